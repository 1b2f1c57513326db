"""Independent re-solves of scenario variants, spread over worker processes.

Marginal values, project importance and sweeps each solve several variants that do not
depend on one another; :func:`solve_many` runs them in a process pool (one solve per
process at a time, HiGHS itself single-threaded per solve) and returns compact outcomes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from quota_sim.projects import Projects
from quota_sim.scenario import Scenario

#: Workers come from a fork server, never from a fork of a process that has run HiGHS: a forked
#: child inherits HiGHS's thread pool in an unusable state and hangs in its first solve.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["quota_sim.pipeline"])

#: KPI keys copied from each re-solve's result.
OUTCOME_KPIS = ("approved", "land_used", "investment", "output", "tax")


def solve_outcome(scenario: Scenario, projects: Projects, solve_options: dict[str, Any]) -> dict[str, Any]:
    """Solve one variant; return ``status``, ``objective`` (万元), ``seconds`` and the KPIs of
    :data:`OUTCOME_KPIS`."""
    from quota_sim.pipeline import solve_scenario

    result = solve_scenario(scenario, projects, **solve_options)
    solved = result.status in ("optimal", "feasible")
    outcome: dict[str, Any] = {
        "status": result.status,
        "objective": result.objective if solved else None,
        "seconds": result.seconds.get("total"),
    }
    for key in OUTCOME_KPIS:
        outcome[key] = result.kpi.get(key) if solved else None
    return outcome


def solve_many(
    variants: Sequence[Scenario],
    projects: Projects | Sequence[Projects],
    solve_options: dict[str, Any],
    jobs: int = 2,
) -> list[dict[str, Any]]:
    """Outcomes of :func:`solve_outcome` for each variant, in order.

    ``projects`` is one queue for every variant or one queue per variant. With ``jobs`` > 1
    and several variants the solves run in that many worker processes.
    """
    queues = list(projects) if isinstance(projects, Sequence) else [projects] * len(variants)
    if len(queues) != len(variants):
        raise ValueError(f"{len(variants)} variants but {len(queues)} project queues")
    if jobs <= 1 or len(variants) <= 1:
        return [solve_outcome(s, p, solve_options) for s, p in zip(variants, queues, strict=True)]
    with ProcessPoolExecutor(max_workers=min(jobs, len(variants)), mp_context=_CONTEXT) as pool:
        futures = [
            pool.submit(solve_outcome, s, p, solve_options) for s, p in zip(variants, queues, strict=True)
        ]
        return [future.result() for future in futures]
