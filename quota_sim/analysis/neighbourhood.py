"""The solved plan's neighbourhood: one small MILP, re-solved for each quota's extra supply.

In the neighbourhood the plan's approvals keep their place and start year, and only the waiting projects
that could still join them are free (:func:`kept_approvals`, :func:`addable`). It is small enough to be
solved to optimality (gap 0) in a fraction of the solve's time, so the gain of extra supply in it is
exact there and a proven lower bound of what the supply is worth (:mod:`quota_sim.analysis.marginal`).

The neighbourhood is built once, with every quota's extra supply in (``extended``), and handed to one
HiGHS instance per thread. Each case (the reference without extra supply, then each quota's) only changes
bounds: the supply rows of every quota's extra source go back to their own limits but the case's, and the
free projects that could not join in the case are fixed out. Rows and columns the case's own model would
not have are then empty or fixed to 0 (a source's use is bounded by its rows; a placement that does not
fit alone breaks them), so each case has the optimum of its own model. No model is built per case, and
every case after the reference starts from the reference's optimum, which stays feasible when supply is
added.

Units: objectives and gains in 万元, supply in the quota's unit.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import highspy
import numpy as np

from quota_sim.analysis.resolve import MIN_SOLVE_SECONDS, lanes
from quota_sim.interrupts import run_highs, set_deadline
from quota_sim.model import build_model
from quota_sim.placements import PlacementSpace
from quota_sim.projects import Projects
from quota_sim.scenario import Scenario, SolverSettings
from quota_sim.solve import MipSetup, MipStop, Start, _configured_highs, _start_vector
from quota_sim.supply import CITY, source_total, supply_limits

#: Relative slack on "a project's charge fits what the plan leaves" (float noise, never a real unit).
_FIT_SLACK = 1e-9

#: HiGHS options of a neighbourhood re-solve. It starts from a plan that is optimal or nearly so and is
#: small: restarts and the sub-MIP and feasibility-jump heuristics cost more time than they save (on the
#: baseline 0.5 s of CPU instead of 0.8 s for its 12 cases).
HIGHS_OPTIONS = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_feasibility_jump": False,
}

#: Extra supply of a quota: (id of the city source that carries it, units added in the first year).
Extra = tuple[str, float]


@dataclass(frozen=True)
class Found:
    """One case's re-solve: ``status`` optimal (proven, gap 0), feasible (time-limited: ``objective``
    is the best plan found), infeasible, no_solution or no_time (not started: the budget was spent);
    ``objective`` in 万元 (the neighbourhood's, kept projects valued at their one place)."""

    status: str
    objective: float | None = None

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible") and self.objective is not None


def kept_approvals(projects: Projects, plan: Start, free: Collection[int] | None = None) -> Projects:
    """The queue of a neighbourhood re-solve: every project of ``plan`` (project id -> (zone, site or
    None, calendar start year)) locked in to its place and year; the waiting projects ``free`` (indices;
    default all) as they were, the other waiting projects locked out.

    A kept project's only place becomes its preferred one, so its value may lose the relocation penalty:
    the same constant in every case of the neighbourhood, which their differences cancel.
    """
    n = len(projects)
    locks, zones = list(projects.lock), list(projects.zones)
    sites = list(projects.sites) if len(projects.sites) == n else [()] * n
    earliest = projects.earliest_year.copy()
    latest = projects.latest_year.copy() if len(projects.latest_year) == n else np.zeros(n, dtype=int)
    if free is not None:
        kept = set(free)
        locks = [lock if p in kept else "out" for p, lock in enumerate(locks)]
    index = {project_id: i for i, project_id in enumerate(projects.ids)}
    for project_id, (zone, site, year) in plan.items():
        i = index[project_id]
        locks[i], zones[i], earliest[i], latest[i] = "in", (zone,), year, year
        if site is not None:
            sites[i] = (site,)
    return dataclasses.replace(
        projects, lock=locks, zones=zones, sites=sites, earliest_year=earliest, latest_year=latest
    )


def addable(
    scenario: Scenario, projects: Projects, plan: Start, extras: Sequence[Mapping[str, float]]
) -> list[list[int]]:
    """For each of ``extras`` (quota id -> units of extra supply), the waiting projects that could join
    ``plan`` with that much more supply.

    A project is kept when one of its placements charges every quota no more than the quota's supply
    over the horizon (every source and zone together, plus the extra) less what the plan's projects
    charge it. Any project the plan could take passes this test (it ignores years, zones, sites and the
    budget), so a neighbourhood re-solve over the kept ones has the same optimum as over all of them.
    """
    space = PlacementSpace.of(scenario, projects)
    quotas = [q.id for q in scenario.quotas]
    index = {project_id: i for i, project_id in enumerate(projects.ids)}
    sites = {} if space.sites is None else space.sites.index
    supplied = np.array([sum(source_total(s, scenario.years) for s in q.sources) for q in scenario.quotas])
    # What each project charges each quota (quotas x projects), and each quota's share of each site.
    demand = np.array([space.charges[q] for q in quotas]).reshape(len(quotas), len(projects))
    shares = np.array([space.shares[q] for q in quotas]) if space.shares else None

    def charges_at(p: int, site: np.ndarray) -> np.ndarray:
        """What project ``p`` charges each quota on each of ``site`` (indices, -1: none): sites x quotas."""
        share = np.ones((len(site), len(quotas))) if shares is None else shares[:, site].T
        return demand[:, p] * np.where(site[:, None] >= 0, share, 1.0)

    placed = [(index[p], -1 if site is None else sites[site]) for p, (_, site, _) in plan.items()]
    charged = sum((charges_at(p, np.array([k]))[0] for p, k in placed), np.zeros(len(quotas)))
    waiting = [p for p in range(len(projects)) if projects.ids[p] not in plan and projects.lock[p] != "out"]
    # What every place of every waiting project charges each quota (places x quotas), and whose it is.
    places = [space.place_arrays(p)[1] for p in waiting]
    charges = np.concatenate([charges_at(p, k) for p, k in zip(waiting, places, strict=True)] or
                             [np.zeros((0, len(quotas)))])
    owner = np.repeat(np.array(waiting, dtype=np.int64), [len(k) for k in places])
    kept = []
    for extra in extras:
        left = supplied - charged + np.array([extra.get(q, 0.0) for q in quotas])
        room = left + _FIT_SLACK * np.maximum(1.0, np.abs(left))
        fits = np.zeros(len(projects), dtype=bool)
        fits[owner[np.all(charges <= room, axis=1)]] = True
        kept.append(np.flatnonzero(fits).tolist())
    return kept


class Neighbourhood:
    """The neighbourhood of ``plan`` as one MILP for the reference (no extra supply, case ``None``) and
    each quota's extra supply (case: the quota id).

    ``extended`` is the scenario with every quota's extra supply added to its first city source's first
    year (a quota without one gets a new city source); ``extras``: per quota id, that source's id and the
    units added.
    """

    def __init__(
        self, scenario: Scenario, projects: Projects, plan: Start, extended: Scenario,
        extras: Mapping[str, Extra],
    ) -> None:
        began = time.perf_counter()
        self.plan = plan
        cases: list[str | None] = [None, *extras]
        free = addable(scenario, projects, plan, [{}] + [{q: delta} for q, (_s, delta) in extras.items()])
        self.model = model = build_model(extended, kept_approvals(projects, plan, set().union(*free)))
        self._kept = np.zeros(len(projects), dtype=bool)
        self._kept[[i for i, pid in enumerate(projects.ids) if pid in plan]] = True
        self._free = dict(zip(cases, free, strict=True))  # per case, the free projects that could join
        # Per quota, its extra source's rows with their limits without and with the extra supply.
        quotas = {q.id: q for q in scenario.quotas}
        self._rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for quota_id, (source_id, _delta) in extras.items():
            quota = quotas[quota_id]
            source = next((s for s in quota.sources if s.id == source_id), None)
            horizon = scenario.years
            own = np.zeros(horizon) if source is None else supply_limits(quota, source, CITY, horizon)
            years = [t for t in range(horizon) if (quota_id, source_id, CITY, t) in model.supply_rows]
            rows = np.array([model.supply_rows[quota_id, source_id, CITY, t] for t in years], dtype=np.int32)
            self._rows[quota_id] = (rows, own[years], model.row_upper[rows])
        # HiGHS's set-up of the model, before its first callback, takes about as long as this (0.47-0.48 s
        # where this took 0.62 s, on the named-sites queue of 5,000 projects): its first estimate.
        self.setup_seconds = time.perf_counter() - began

    def row_upper(self, raised: Collection[str]) -> np.ndarray:
        """The upper bound of every row with the extra supply of the quotas ``raised`` only."""
        upper = self.model.row_upper.copy()
        for quota_id, (rows, without, with_extra) in self._rows.items():
            upper[rows] = with_extra if quota_id in raised else without
        return upper

    def col_upper(self, raised: Collection[str]) -> np.ndarray:
        """The upper bound of every x column with the extra supply of the quotas ``raised`` only: 0 for
        the free projects that could not join then."""
        on = self._kept.copy()
        for case in [None, *raised]:
            on[self._free[case]] = True
        return on[self.model.placements.project].astype(float)

    def solve(
        self, cases: Sequence[str | None], settings: SolverSettings, *, together: Collection[str] = (),
        deadline: float | None = None, jobs: int | None = None, cancel: threading.Event | None = None,
    ) -> dict[str | None, Found]:
        """Solve ``cases`` to optimality (gap 0), in this order, in ``jobs`` threads (default one per core),
        each with all the time left before ``deadline`` (``time.perf_counter()``; None: the settings' time
        limit each). A case not started before the deadline, or once ``cancel`` is set, is ``no_time``; so
        is one that would start with less time left than a case took to reach its first MIP callback, or
        (before any case ran) than setting the neighbourhood up took: HiGHS cannot be stopped before that
        callback, so the case would end past the deadline.

        The quotas ``together`` (of ``cases``; those expected to gain nothing) are first solved as one
        case with all their extra supply, right after the reference: when it gains nothing over the
        reference, neither does any of them (each lies between the two), else they are solved one by one.
        Every case starts from the plan, and once the reference (``None``) is solved, from its plan.
        """
        model, settings = self.model, dataclasses.replace(settings, gap=0.0)
        if model.unplaceable_locks:  # a kept approval with no place: the plan is not this scenario's
            return {case: Found("infeasible") for case in cases}
        if not model.n_variables:  # nothing can be approved or drawn: every case is the empty plan
            return {case: Found("optimal", 0.0) for case in cases}
        group = tuple(q for q in cases if q is not None and q in together)
        found: dict[tuple[str, ...], Found] = {}
        # The best start known: the plan's placements (HiGHS completes the supply use with an LP), then the
        # reference's optimum, every column (feasible in every case: the cases only add supply).
        best: list[np.ndarray] = [_start_vector(model, self.plan)[1]]
        # Tasks: the quotas raised together; () is the reference.
        queue = [() if case is None else (case,) for case in cases if case not in group]
        if len(group) > 1:
            queue.insert(min(1, len(queue)), group)
        else:
            queue += [(q,) for q in group]
        running: list[tuple[str, ...]] = []
        ready = threading.Condition()
        rows = np.arange(model.n_rows, dtype=np.int32)
        columns = np.arange(model.n_x, dtype=np.int32)
        # The longest a case took to reach its first MIP callback, over the lanes (at first, the set-up's).
        setup = MipSetup(self.setup_seconds)

        def left() -> float:
            return settings.time_limit if deadline is None else deadline - time.perf_counter()

        def settle(task: tuple[str, ...]) -> None:
            """With the reference and the group solved: the group's quotas, at once or one by one."""
            reference, outcome = found.get(()), found.get(task)
            if reference is None or outcome is None:
                return
            both = reference.solved and outcome.solved
            if both and outcome.objective - reference.objective <= _noise(reference):
                status = "optimal" if reference.status == outcome.status == "optimal" else "feasible"
                found.update({(q,): Found(status, reference.objective) for q in task})
            else:
                queue[:0] = [(q,) for q in task]

        def lane() -> None:
            highs: highspy.Highs | None = None
            stop: MipStop | None = None  # the deadline of the case this lane's HiGHS is solving
            while True:
                with ready:
                    while not queue and running:  # a group still solving may hand its quotas back
                        ready.wait()
                    too_late = left() < max(MIN_SOLVE_SECONDS, setup.seconds)
                    if not queue or too_late or (cancel is not None and cancel.is_set()):
                        ready.notify_all()
                        return
                    task, start = queue.pop(0), best[-1]
                    running.append(task)
                began = time.perf_counter()
                if highs is None:
                    highs = _configured_highs(settings, time_limit=settings.time_limit)
                    for option, value in HIGHS_OPTIONS.items():
                        highs.setOptionValue(option, value)
                    highs.passModel(model.highs_lp())
                    stop = MipStop(highs)
                highs.changeRowsBounds(len(rows), rows, model.row_lower, self.row_upper(task))
                highs.changeColsBounds(len(columns), columns, np.zeros(len(columns)), self.col_upper(task))
                if len(start) == model.n_x:
                    highs.setSolution(len(columns), columns, start)
                else:
                    whole = highspy.HighsSolution()
                    whole.col_value, whole.value_valid = start, True
                    highs.setSolution(whole)
                stop.first, stop.deadline = None, time.perf_counter() + max(left(), MIN_SOLVE_SECONDS)
                set_deadline(highs, stop.deadline)
                try:
                    run_highs(highs)
                    outcome = _outcome(highs)
                except BaseException:
                    with ready:
                        running.remove(task)
                        ready.notify_all()
                    raise
                with ready:
                    setup.seconds = max(setup.seconds, (stop.first or time.perf_counter()) - began)
                    found[task] = outcome
                    if task == () and outcome.solved:
                        values = np.asarray(highs.getSolution().col_value)
                        values[: model.n_x] = np.round(values[: model.n_x])
                        best.append(values)
                    if len(group) > 1 and task in ((), group):
                        settle(group)
                    running.remove(task)
                    ready.notify_all()

        width = lanes(jobs, len(cases))
        if width == 1:
            lane()
        else:
            with ThreadPoolExecutor(max_workers=width, thread_name_prefix="quota-sim-neighbourhood") as pool:
                for future in [pool.submit(lane) for _ in range(width)]:
                    future.result()
        return {case: found.get(() if case is None else (case,), Found("no_time")) for case in cases}


def _noise(found: Found) -> float:
    """Objective differences below this are float noise (万元)."""
    return 1e-9 * max(1.0, abs(found.objective or 0.0))


def _outcome(highs: highspy.Highs) -> Found:
    """What a HiGHS MIP run found."""
    status = highs.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Found("infeasible")
    if highs.getInfo().primal_solution_status != 2:
        return Found("no_solution")
    optimal = status == highspy.HighsModelStatus.kOptimal
    return Found("optimal" if optimal else "feasible", float(highs.getInfo().objective_function_value))

