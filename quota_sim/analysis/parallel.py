"""Independent re-solves of scenario variants, spread over worker processes.

A sweep solves several variants that do not depend on one another; :func:`solve_many` runs them
through :func:`quota_sim.workers.run_isolated` (one process per solve, HiGHS single-threaded in each)
and returns compact outcomes. Ctrl-C or SIGTERM stop every worker and reach the caller as
:class:`KeyboardInterrupt` (the command line exits 130); a worker that crashes or is killed fails
the call with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from quota_sim.projects import Projects
from quota_sim.scenario import Scenario
from quota_sim.workers import run_isolated

#: KPI keys copied from each re-solve's result.
OUTCOME_KPIS = ("approved", "land_used", "investment", "output", "tax")

Task = tuple[int, Scenario, Projects, dict[str, Any]]  # position, variant, its queue, solve options
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

    Raises
    ------
    RuntimeError
        A worker raised, crashed or was killed.
    """
    queues = list(projects) if isinstance(projects, Sequence) else [projects] * len(variants)
    if len(queues) != len(variants):
        raise ValueError(f"{len(variants)} variants but {len(queues)} project queues")
    if jobs <= 1 or len(variants) <= 1:
        return [solve_outcome(s, p, solve_options) for s, p in zip(variants, queues, strict=True)]
    pairs = zip(variants, queues, strict=True)
    tasks: list[Task] = [(k, variant, queue, solve_options) for k, (variant, queue) in enumerate(pairs)]
    outcomes: list[dict[str, Any]] = [{} for _ in tasks]
    for position, outcome in run_isolated(tasks, _solve_task, _failed, workers=min(jobs, len(tasks))):
        outcomes[position] = outcome
    return outcomes


def _solve_task(task: Task) -> tuple[int, dict[str, Any]]:
    position, scenario, projects, solve_options = task
    return position, solve_outcome(scenario, projects, solve_options)


def _failed(task: Task, reason: str) -> NoReturn:
    """A worker failed: the whole call fails (every other worker is stopped on the way out)."""
    raise RuntimeError(f"the re-solve of variant {task[0] + 1} failed: {reason}")
