"""What ``quota-sim run`` does, top to bottom: load → check → build → solve → assign → analyse → export.

- load: the projects table of the scenario (:func:`quota_sim.projects.projects_for`; the caller has
  read the scenario file);
- check: the output folder, before anything is solved (:func:`quota_sim.export.open_outputs`);
- build: the MILP (:func:`quota_sim.model.build_model`);
- solve: one solver run on it (:func:`quota_sim.solve.solve_model`);
- assign: the plan's tables and KPIs (:func:`quota_sim.results.assign_results`);
- analyse: marginal values, hand-ranking baselines, grades, importance, or the diagnosis when
  infeasible (:func:`quota_sim.analysis.enrich`);
- export: the SPEC §4 files, as one set (:func:`quota_sim.export.write_outputs`).

One time limit bounds the whole run (the scenario's ``solver.time_limit`` or ``--time-limit``, in
seconds, counted from the start of loading): the solve gets what loading and building left, less as
long again as the build took (for the plan's tables, which go over the same placements: 0.06-0.23 s
on 5,000 projects with named sites, where the build takes 0.1-0.3 s), and less :data:`ANALYSIS_RESERVE`
of the rest when analyses follow; the analyses get a budget in proportion to the solve
(:func:`quota_sim.analysis.analysis_budget`) within what is left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from quota_sim.analysis import analysis_budget, enrich
from quota_sim.export import open_outputs, scenario_inputs, write_outputs
from quota_sim.interrupts import TimeUp
from quota_sim.interrupts import time_limit as stop_at
from quota_sim.model import QuotaModel, build_model
from quota_sim.projects import Projects, projects_for
from quota_sim.results import Result, assign_results
from quota_sim.scenario import Scenario, SolverSettings
from quota_sim.solve import Solution, Start, solve_model

#: Share of the time left after building that the solve leaves to the analyses.
ANALYSIS_RESERVE = 0.1


@dataclass
class Solved:
    """A solved scenario and what the analyses reuse: the built model and the solver's solution
    (its plan and its LP relaxation), and the run's deadline (a ``time.perf_counter()`` value)."""

    result: Result
    model: QuotaModel
    solution: Solution
    deadline: float


GRACE = 2.0  # seconds past the time limit before the run is stopped, however short the limit


def _grace(limit: float) -> float:
    """Seconds past the time limit that HiGHS gets to return its plan before the run is stopped."""
    return GRACE + 0.05 * limit


def solver_settings(
    base: SolverSettings,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    solver: str | None = None,
) -> SolverSettings:
    """The scenario's solver settings with the command line's overrides applied."""
    changes: dict[str, object] = {}
    if time_limit is not None:
        changes["time_limit"] = float(time_limit)
    if gap is not None:
        changes["gap"] = float(gap)
    if solver is not None:
        changes["name"] = solver
    return replace(base, **changes)


def solve(
    scenario: Scenario,
    projects: Projects | None = None,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    solver: str | None = None,
    start: Start | None = None,
    reserve: float = 0.0,
    started: float | None = None,
) -> Solved:
    """Load the projects (unless given), build, solve and assign.

    ``start``: a known plan to start HiGHS from (see :func:`quota_sim.solve.solve_model`).
    ``reserve``: share of the time left after building (and the tables' time) kept back from the
    solver (for analyses).
    ``started``: ``time.perf_counter()`` when the run began (default now); the time limit counts from it.

    Past the limit (and a grace of ``GRACE`` seconds, plus 5 % of the limit once HiGHS runs and may
    return its plan) the run is stopped wherever it is (:func:`quota_sim.interrupts.time_limit`):
    before the model is built this raises :class:`~quota_sim.interrupts.TimeUp` naming the phase
    reached; later it gives a ``no_solution``.
    """
    started = time.perf_counter() if started is None else started
    settings = solver_settings(scenario.solver, time_limit=time_limit, gap=gap, solver=solver)
    deadline = started + settings.time_limit
    phase = "reading the queue"
    try:
        with stop_at(deadline - time.perf_counter() + _grace(settings.time_limit)):
            with stop_at(deadline - time.perf_counter() + GRACE):  # no plan to wait for yet
                if projects is None:
                    projects = projects_for(scenario)
                loaded = time.perf_counter()
                phase = f"building the model of {len(projects):,} projects"
                model = build_model(scenario, projects)
                built = time.perf_counter()
            phase = "looking for a plan"
            tables = built - loaded  # the plan's tables take about as long as the build (see above)
            limit = max(0.0, deadline - built - tables) * (1.0 - reserve)
            solution = solve_model(model, replace(settings, time_limit=limit), start=start)
    except TimeUp:
        message = (f"the time limit of {settings.time_limit:g} s was reached while {phase} "
                   f"({time.perf_counter() - started:.1f} s); allow more time")
        if phase != "looking for a plan":
            raise TimeUp(message) from None
        solution = Solution("no_solution", None, None, None, settings.name, time.perf_counter() - built,
                            message=message)
    solved = time.perf_counter()
    seconds = {"load": loaded - started, "build": built - loaded, "solve": solved - built}
    result = assign_results(model, solution, settings, seconds)
    result.seconds["total"] = time.perf_counter() - started  # the plan's tables and KPIs included
    return Solved(result, model, solution, deadline)


def solve_scenario(
    scenario: Scenario,
    projects: Projects | None = None,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    solver: str | None = None,
    start: Start | None = None,
) -> Result:
    """:func:`solve` without the analyses' context: the result only."""
    return solve(scenario, projects, time_limit=time_limit, gap=gap, solver=solver, start=start).result


def run_and_write(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    projects: Projects | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    solver: str | None = None,
    analyses: bool = True,
    importance_top: int = 0,
    jobs: int | None = None,
    analysis_seconds: float | None = None,
    load_seconds: float = 0.0,
    lang: str = "zh",
    report: bool = False,
) -> Result:
    """Solve ``scenario``, add the analyses (marginal values, baselines, grades, the replacement cost
    of the ``importance_top`` most valuable approvals, or the diagnosis when infeasible; re-solves in
    ``jobs`` threads, default one per core, within ``analysis_seconds``, default
    :func:`~quota_sim.analysis.analysis_budget`) and write the SPEC §4 files into ``out_dir``.
    ``load_seconds``: time the caller spent reading the scenario file, counted in ``seconds.load``
    and in the time limit. The planners' workbook is in ``lang``; ``report`` adds the meeting report
    (SPEC §6).

    ``out_dir`` is checked before solving (:func:`quota_sim.export.open_outputs`): a folder that is a
    file, cannot be written, holds the inputs or holds files quota-sim did not write is bad input."""
    started = time.perf_counter() - load_seconds
    outputs = open_outputs(out_dir, scenario_inputs(scenario))
    try:
        solved = solve(
            scenario, projects, time_limit=time_limit, gap=gap, solver=solver,
            reserve=ANALYSIS_RESERVE if analyses else 0.0, started=started,
        )
    except BaseException:
        outputs.discard()
        raise
    result = solved.result
    if analyses:
        analysing = time.perf_counter()
        wanted = analysis_seconds
        if wanted is None and result.status == "infeasible":
            wanted = solved.deadline - analysing  # the diagnosis: all the run's time left
        elif wanted is None:
            wanted = analysis_budget(result, importance_top, jobs)
        budget = max(0.0, min(solved.deadline - analysing, wanted))
        with outputs:  # staged files are discarded if the analyses fail or are interrupted
            enrich(
                result, importance_top=importance_top, jobs=jobs, budget=budget,
                model=solved.model, relaxation=solved.solution.relaxation,
            )
        result.seconds["analysis"] = time.perf_counter() - analysing
        result.seconds["total"] = time.perf_counter() - started
    write_outputs(result, outputs, lang=lang, report=report)
    return result
