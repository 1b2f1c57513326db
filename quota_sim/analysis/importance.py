"""Project importance (项目重要性): what the plan loses if an approved project is taken out.

For the approved projects of highest value, the scenario is solved again with that
project locked out; the ``replacement_cost`` is the optimised objective minus the new
one (万元). It is usually well below the project's own value, because the freed quota
goes to the next best projects: a small replacement cost means the approval is easy to
replace, a large one that the plan depends on it. The re-solves share the analyses' time budget
(:mod:`quota_sim.analysis.resolve`); a time-limited one (``status`` ``feasible``) gives an upper
bound of the replacement cost, one not run within the budget (``no_time``) none.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from quota_sim.analysis.resolve import resolve_variants
from quota_sim.projects import Projects
from quota_sim.scenario import Scenario, SolverSettings
from quota_sim.solve import Start


def locked_out(projects: Projects, index: int) -> Projects:
    """The queue with project ``index`` locked out (never approved)."""
    locks = list(projects.lock)
    locks[index] = "out"
    return dataclasses.replace(projects, lock=locks)


def top_approved(allocation: list[Any], top: int) -> list[int]:
    """Indices of the ``top`` approved projects of highest value (ties in input order)."""
    approved = [i for i, row in enumerate(allocation) if row.status == "approved"]
    return sorted(approved, key=lambda i: (-allocation[i].value, i))[:top]


def project_importance(
    scenario: Scenario,
    projects: Projects,
    allocation: list[Any],
    base_objective: float,
    *,
    top: int = 10,
    settings: SolverSettings | None = None,
    start: Start | None = None,
    deadline: float | None = None,
    jobs: int | None = None,
    cancel: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Replacement cost of the ``top`` approved projects by value.

    Parameters
    ----------
    allocation
        The solved plan's allocation rows (``results.AllocationRow``), aligned with ``projects``.
    base_objective
        The solved plan's objective (万元).
    settings, start, deadline, jobs
        As for :func:`quota_sim.analysis.resolve.resolve_variants` (settings default to the scenario's).

    Returns
    -------
    list of dict
        Per project, by decreasing value: ``id``, ``name``, ``zone``, ``start_year``, ``value``
        (its objective term, 万元), ``objective_without`` and ``replacement_cost`` (万元; empty
        when the re-solve found no solution, e.g. because a lock then fails) and the
        re-solve's ``status``.
    """
    chosen = top_approved(allocation, top)
    variants = [(scenario, locked_out(projects, i)) for i in chosen]
    outcomes = resolve_variants(
        variants, settings or scenario.solver, start=start, deadline=deadline, jobs=jobs, cancel=cancel
    )
    rows = []
    for i, outcome in zip(chosen, outcomes, strict=True):
        row = allocation[i]
        without = outcome.objective if outcome.solved else None
        rows.append(
            {
                "id": row.id,
                "name": row.name,
                "zone": row.zone,
                "start_year": row.start_year,
                "value": round(float(row.value), 6),
                "objective_without": None if without is None else round(without, 6),
                "replacement_cost": None if without is None else round(base_objective - without, 6),
                "status": outcome.status,
            }
        )
    return rows
