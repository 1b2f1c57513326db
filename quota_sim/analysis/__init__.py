"""Planner analytics on a solved scenario: what each quota is worth, why a plan is infeasible,
how the plan compares with ranking by hand, which approvals matter, and 亩均 grades.

:func:`enrich` adds them to a :class:`~quota_sim.results.Result` (``result.extras``), from
where the export writes ``marginal_values.csv``, the ``baselines`` and ``importance`` keys
of ``summary.json``, extra allocation columns and ``diagnosis.json``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from quota_sim.analysis.baselines import baseline_summary
from quota_sim.analysis.diagnosis import Finding, check_scenario, diagnose
from quota_sim.analysis.grades import grade_projects
from quota_sim.analysis.importance import project_importance
from quota_sim.analysis.marginal import marginal_values
from quota_sim.analysis.resolve import lanes
from quota_sim.model import QuotaModel
from quota_sim.results import Result, approved_plan
from quota_sim.solve import Relaxation

__all__ = ["Finding", "analysis_budget", "check_scenario", "diagnose", "enrich"]

#: The analyses' time budget is this share of the solve's time (seconds) ...
ANALYSIS_SHARE = 0.25
#: ... but at least this many seconds, for the re-solves of marginal values.
ANALYSIS_FLOOR = 1.0
#: Seconds budgeted at least for each importance re-solve.
MIN_RESOLVE_SECONDS = 0.1


def analysis_budget(result: Result, importance_top: int = 0, jobs: int | None = None) -> float:
    """Seconds the analyses of ``result`` may take by default: for the marginal values,
    :data:`ANALYSIS_SHARE` of the solve time and at least :data:`ANALYSIS_FLOOR`; for each of the
    ``importance_top`` importance re-solves (asked for explicitly), the same share of the solve time
    (at least :data:`MIN_RESOLVE_SECONDS`) over the lanes that run them side by side."""
    share = ANALYSIS_SHARE * result.seconds.get("solve", 0.0)
    per_resolve = max(MIN_RESOLVE_SECONDS, share) / lanes(jobs, max(1, importance_top))
    return max(ANALYSIS_FLOOR, share) + importance_top * per_resolve


def enrich(
    result: Result,
    *,
    marginal: bool = True,
    baselines: bool = True,
    importance_top: int = 10,
    jobs: int | None = None,
    budget: float | None = None,
    model: QuotaModel | None = None,
    relaxation: Relaxation | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Add the analyses to ``result.extras`` in place, within ``budget`` seconds of re-solves.

    Always: ``allocation_columns`` with the 亩均 ``per_mu_score`` and ``grade`` of every project.
    When infeasible: ``diagnosis`` (the content of diagnosis.json), its elastic solve within ``budget``
    when given (else the solver settings' time limit). When solved:
    ``marginal_values`` (if ``marginal``), ``baselines`` (if ``baselines``) and ``importance``
    with a ``replacement_cost`` allocation column for the ``importance_top`` approved projects
    of highest value (none if 0), and ``analysis``: the budget, the time taken and how many re-solves
    were exact (proven within the solver gap), time-limited or not run.

    Re-solves use the result's own solver settings, start from its plan and run in ``jobs`` threads
    (default one per core); ``budget`` defaults to :func:`analysis_budget`. Every part stops at the
    budget's end: no re-solve starts after it, each one's time limit ends with it, and a hand ranking
    not done by then is ``{"status": "no_time"}``; the analyses end when their work is done. ``model`` and
    ``relaxation``: the built model and its LP relaxation when the solve has them (else built and
    solved here). ``cancel``: once set, re-solves not yet started are skipped.
    """
    started = time.perf_counter()
    scenario, projects = result.scenario, result.projects
    columns: dict[str, list] = grade_projects(projects)
    result.extras["allocation_columns"] = columns
    if result.status == "infeasible":
        # Its elastic solve is the one analysis: it gets the budget (the run's time left), when given.
        settings = result.settings
        if budget is not None:
            settings = replace(settings, time_limit=max(0.0, budget))
        report = diagnose(scenario, projects, settings)
        report["message"] = report["message_en"] + "\n" + report["message_zh"]
        result.extras["diagnosis"] = report
        return
    if not result.solved or result.objective is None:
        return
    budget = analysis_budget(result, max(0, importance_top), jobs) if budget is None else budget
    deadline = started + max(0.0, budget)
    # Re-solves start from this plan: it stays feasible when supply is added, so a gain is never
    # negative, and dropping one project leaves the rest of it as a start for the importance re-solve.
    start = approved_plan(result)
    common = {
        "settings": result.settings, "start": start, "deadline": deadline, "jobs": jobs, "cancel": cancel
    }
    statuses: list[str] = []
    # The hand-ranking baselines are pure Python; the re-solves spend their time inside HiGHS, which
    # releases the GIL: the two run side by side.
    hand = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quota-sim-baselines") if baselines else None
    space = model.space if model is not None else None  # the queue's placements, found by the build
    by_hand = (hand.submit(baseline_summary, scenario, projects, result.objective, deadline, space)
               if hand else None)
    if marginal:
        rows = marginal_values(
            scenario, projects, result.objective, model=model, relaxation=relaxation,
            full_seconds=result.seconds.get("solve", 0.0), **common,
        )
        result.extras["marginal_values"] = rows
        statuses += [row["status"] for row in rows if row["method"] == "resolve"]
    if importance_top > 0:
        rows = project_importance(
            scenario, projects, result.allocation, result.objective, top=importance_top, **common
        )
        result.extras["importance"] = rows
        cost = {row["id"]: row["replacement_cost"] for row in rows}
        columns["replacement_cost"] = [cost.get(pid) for pid in projects.ids]
        statuses += [{"feasible": "time_limited"}.get(row["status"], row["status"]) for row in rows]
    if hand is not None and by_hand is not None:
        result.extras["baselines"] = by_hand.result()
        hand.shutdown()
    result.extras["analysis"] = {
        "budget_seconds": round(budget, 3),
        "seconds": round(time.perf_counter() - started, 3),
        "resolves": {status: statuses.count(status) for status in sorted(set(statuses))},
    }
