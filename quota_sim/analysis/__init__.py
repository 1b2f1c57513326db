"""Planner analytics on a solved scenario: what each quota is worth, why a plan is infeasible,
how the plan compares with ranking by hand, which approvals matter, and 亩均 grades.

:func:`enrich` adds them to a :class:`~quota_sim.results.Result` (``result.extras``), from
where the export writes ``marginal_values.csv``, the ``baselines`` and ``importance`` keys
of ``summary.json``, extra allocation columns and ``diagnosis.json``.
"""

from __future__ import annotations

from typing import Any

from quota_sim.analysis.baselines import baseline_summary
from quota_sim.analysis.diagnosis import Finding, check_scenario, diagnose
from quota_sim.analysis.grades import grade_projects
from quota_sim.analysis.importance import project_importance
from quota_sim.analysis.marginal import marginal_values
from quota_sim.results import Result, approved_plan

__all__ = ["Finding", "check_scenario", "diagnose", "enrich", "solve_options_of"]


def solve_options_of(result: Result) -> dict[str, Any]:
    """The solver settings a result was obtained with, as keyword arguments of ``solve_scenario``."""
    settings = result.settings
    return {"time_limit": settings.time_limit, "gap": settings.gap, "solver": settings.name}


def enrich(
    result: Result, *, marginal: bool = True, baselines: bool = True, importance_top: int = 10, jobs: int = 2
) -> None:
    """Add the analyses to ``result.extras`` in place.

    Always: ``allocation_columns`` with the 亩均 ``per_mu_score`` and ``grade`` of every project.
    When infeasible: ``diagnosis`` (the content of diagnosis.json). When solved:
    ``marginal_values`` (if ``marginal``), ``baselines`` (if ``baselines``) and ``importance``
    with a ``replacement_cost`` allocation column for the ``importance_top`` approved projects
    of highest value (none if 0). Re-solves use the result's own solver settings and run in
    ``jobs`` worker processes (1: in this process, e.g. inside a batch worker).
    """
    scenario, projects = result.scenario, result.projects
    columns: dict[str, list] = grade_projects(projects)
    result.extras["allocation_columns"] = columns
    if result.status == "infeasible":
        report = diagnose(scenario, projects, result.settings)
        report["message"] = report["message_en"] + "\n" + report["message_zh"]
        result.extras["diagnosis"] = report
        return
    if not result.solved or result.objective is None:
        return
    # Re-solves start from this plan: it stays feasible when supply is added, so a gain is never
    # negative, and dropping one project leaves the rest of it as a start for the importance re-solve.
    start = approved_plan(result)
    options = {**solve_options_of(result), "start": start}
    if marginal:
        result.extras["marginal_values"] = marginal_values(
            scenario, projects, result.objective, solve_options=options, jobs=jobs
        )
    if baselines:
        result.extras["baselines"] = baseline_summary(scenario, projects, result.objective)
    if importance_top > 0:
        rows = project_importance(
            scenario,
            projects,
            result.allocation,
            result.objective,
            top=importance_top,
            solve_options=options,
            jobs=jobs,
        )
        result.extras["importance"] = rows
        cost = {row["id"]: row["replacement_cost"] for row in rows}
        columns["replacement_cost"] = [cost.get(pid) for pid in projects.ids]
