"""Turn a built QuotaModel into a Solution with HiGHS (default), CBC or SCIP: status, bound and gap, honestly.

HiGHS is driven through highspy directly: the model's arrays are handed over as they are (one
row-wise sparse matrix; the HiGHS banner is silenced). A run stopped by the time limit is ``feasible``
with its true gap, never ``optimal``. CBC runs through PuLP's COIN_CMD, on a PuLP problem made from the
same arrays; its bound is the LP relaxation's. SCIP (optional ``pyscipopt``) gets the same matrix as
HiGHS and reports its own dual bound.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata

import highspy
import numpy as np
import pulp

from quota_sim.errors import InputError
from quota_sim.greedy import greedy_start
from quota_sim.interrupts import TimeUp, run_highs, set_deadline, time_limit
from quota_sim.model import QuotaModel, SupplyRowKey, UseKey, build_model
from quota_sim.pattern_master import PatternMaster
from quota_sim.placement_pricing import PricedRelaxation, priced_relaxation
from quota_sim.scenario import SolverSettings
from quota_sim.shortlist import shortlist
from quota_sim.site_duals import tightest_bound
from quota_sim.site_hull import SiteHull
from quota_sim.site_patterns import site_pattern_rows
from quota_sim.site_search import SiteSearch
from quota_sim.zone_relaxation import merged_guide, placement_scores, zone_relaxation

_ON = 0.5  # a binary above this is taken as 1
# HiGHS starts from a plan built on the LP relaxation (see _start_plan). Below this many placement
# variables the plan comes from the MIP restricted to the relaxation's support; from it on, from a
# greedy pass (a 20,000-project queue, 98k variables, otherwise had no plan within a minute).
GREEDY_START_BINARIES = 50_000
RESTRICTED_TIME_SHARE = 0.5  # of the time limit, for the restricted MIPs
RESTRICTED_MIN_GAP = 0.01  # a widened restricted MIP looks for a start, not a proof: stops within this gap
LARGE_LP_TIME_SHARE = 0.5  # of the time left, for the relaxation that guides the greedy start
PATTERN_TIME_SHARE = 0.5  # of the time limit, by when the site patterns are listed (later sites: rows alone)
MASTER_TIME_SHARE = 0.5  # of the time limit, for pricing site patterns into the master LP (its bound)
DIVE_TIME_SHARE = 0.8  # of the time limit, by when the dive on the master has its plan (or is given up)
MERGED_LP_TIME_SHARE = 0.5  # of the time limit, for the LP with each zone's sites merged (huge models)
PLAIN_LP_TIME_SHARE = 0.6  # of the time limit, by when the plain LP may tighten a huge model's bound
DUALS_TIME_SHARE = 0.15  # of the time left after the plain LP, for better duals of the site-knapsack bound
DUALS_TOLERANCE = 1e-4  # relative: they are not sought once their bound is this close to the best there is
IMPROVE_TIME_SHARE = 0.95  # of the time limit, by when a huge model's plan is improved around the plain LP
LEADING_PER_SITE = 40  # projects that gain most on each site at the plain LP's duals, in that neighbourhood
NEIGHBOURHOOD_MASTER_SHARE = 0.3  # of the time for that, by when the pattern master's LP on it is priced
NEIGHBOURHOOD_DIVE_SHARE = 0.4  # of the time for that, by when the pattern master's dive on it ends
NEIGHBOURHOOD_MIN_SECONDS = 10.0  # with less time for that, the pattern master is skipped (its set-up: 2-3 s)
# Past the time limit, HiGHS is waited for this long before a complete plan is reported instead; and what
# the LP completing a known plan with its supply use gets at least (so that the plan is never lost).
RETURN_SECONDS = 0.1
_CBC_MIN_SECONDS = 0.01  # what CBC gets at least, after the relaxation and the PuLP problem
_FEASIBLE = 1e-7  # a row this far outside its bounds still holds (HiGHS's primal feasibility tolerance)
_SUPPORT = 1e-6  # a placement the relaxation gives less than this is left out of the restricted MIP
# project id -> (zone id, site id or None, calendar start year)
Start = Mapping[str, tuple[str, str | None, int]]


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation of a model as solved: its objective (万元, an upper bound on the MILP's) and
    the dual of every row by name, as d(objective) / d(right-hand side) (万元 per unit)."""

    objective: float
    row_duals: dict[str, float]


@dataclass
class Solution:
    """What a solver run found. ``objective`` is recomputed from the chosen placements (万元)."""

    status: str  # "optimal" | "feasible" | "infeasible" | "no_solution"
    objective: float | None
    best_bound: float | None
    gap: float | None
    solver: str
    seconds: float
    # project -> (zone, site or None, year index)
    chosen: dict[int, tuple[str, str | None, int]] = field(default_factory=dict)
    use: dict[UseKey, float] = field(default_factory=dict)
    extra: dict[SupplyRowKey, float] = field(default_factory=dict)  # elastic models only
    extra_budget: float = 0.0
    message: str = ""
    trace: list[tuple[float, float | None, float | None]] = field(default_factory=list)
    """With ``trace``: (seconds, new incumbent or None, HiGHS dual bound or None) as the search went."""
    extra_site: dict[str, float] = field(default_factory=dict)  # elastic models only: mu added per site
    relaxation: Relaxation | None = None
    """The LP relaxation HiGHS solved on the way (for its start plan, or as the solve with ``relax``)."""


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance. The first one in a process prints a banner on the C-level stdout; it is sent
    to /dev/null (under a lock, so that parallel solves never see the descriptor swapped)."""
    global _banner_shown
    with _BANNER_LOCK:
        if _banner_shown:
            return highspy.Highs()
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
        return highs


def solve_model(
    model: QuotaModel, settings: SolverSettings, *, relax: bool = False, start: Start | None = None,
    trace: bool = False,
) -> Solution:
    """Solve ``model``; ``relax`` solves the LP relaxation (HiGHS only, with its row duals in
    ``Solution.relaxation``); ``trace`` records each new
    incumbent and the dual bound over time in ``Solution.trace`` (HiGHS MIP only, for benchmarks).

    ``start`` is a known plan, project id -> (zone, site or None, calendar start year), handed to HiGHS
    as a MIP
    start: a re-solve after adding supply then never returns a worse plan. Placements the model does
    not have are left out; HiGHS completes the rest with an LP, or ignores a start that cannot work.
    """
    if model.unplaceable_locks and not model.elastic:
        return Solution(
            "infeasible", None, None, None, _solver_label(settings.name), 0.0,
            message="a locked-in project cannot be placed",
        )
    if settings.name == "cbc" and not relax:
        return _solve_cbc(model, settings)
    if settings.name == "scip" and not relax:
        return _solve_scip(model, settings, start=start)
    return _solve_highs(model, settings, relax=relax, start=start, trace=trace)


def _solver_label(name: str) -> str:
    """The solver's name with its version for HiGHS (CBC's binary reports none through PuLP)."""
    return f"highs {metadata.version('highspy')}" if name == "highs" else name


def write_model(model: QuotaModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as HiGHS receives it: MPS, or CPLEX LP format when ``path`` ends in ``.lp``.

    Columns and rows keep the model's names (``x_p_z_t``, ``use_q_s_z_t``, ``once_p``,
    ``balance_q_z_t``, ``supply_q_s_k_t``, ``budget``; docs/model.md). HiGHS writes the file itself,
    so the caller picks a fresh path and moves it into place.
    """
    lp = model.highs_lp()
    lp.col_names_ = model.column_names()
    lp.row_names_ = model.row_names
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    if highs.writeModel(str(path)) != highspy.HighsStatus.kOk:
        raise OSError(f"HiGHS could not write the model to {path}")


def _start_vector(model: QuotaModel, start: Start) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values (1 for a started placement, 0 for every other x) of a MIP start."""
    ids = {pid: p for p, pid in enumerate(model.projects.ids)}
    on = [
        model.x.get((ids[pid], zone, site, year - model.scenario.start_year))
        for pid, (zone, site, year) in start.items()
        if pid in ids
    ]
    values = np.zeros(model.n_x)
    values[[j for j in on if j is not None]] = 1.0
    return np.arange(model.n_x, dtype=np.int32), values


def _completed_start(
    model: QuotaModel, lp: highspy.HighsLp, settings: SolverSettings, start: Start, deadline: float
) -> np.ndarray | None:
    """Column values of the start plan with its supply use, or None if the plan does not fit or its LP
    is not solved by ``deadline`` (it gets at least RETURN_SECONDS, so that a known plan is not lost for
    want of a moment). The LP has only the columns after the placements: the plan's placements are
    moved into the row bounds, so it is small even where the model has 300k placements."""
    n = model.n_x
    _, on = _start_vector(model, start)
    if (lp.num_row_, lp.num_col_) == (model.n_rows, model.n_variables):  # the model's own arrays: no copy
        starts, index, value = model.row_start, model.row_index, model.row_value
    else:  # with the site patterns' rows and columns (row-wise, as QuotaModel.highs_lp)
        matrix = lp.a_matrix_
        starts, index = np.asarray(matrix.start_), np.asarray(matrix.index_)
        value = np.asarray(matrix.value_, dtype=float)
    rows = np.repeat(np.arange(lp.num_row_), np.diff(starts))
    placement = index < n
    activity = np.bincount(rows[placement], weights=value[placement] * on[index[placement]],
                           minlength=lp.num_row_)
    rest = highspy.HighsLp()
    rest.num_col_, rest.num_row_ = lp.num_col_ - n, lp.num_row_
    rest.col_cost_ = np.asarray(lp.col_cost_, dtype=float)[n:]
    rest.col_lower_ = np.asarray(lp.col_lower_, dtype=float)[n:]
    rest.col_upper_ = np.asarray(lp.col_upper_, dtype=float)[n:]
    rest.row_lower_ = np.asarray(lp.row_lower_, dtype=float) - activity
    rest.row_upper_ = np.asarray(lp.row_upper_, dtype=float) - activity
    rest.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    rest.a_matrix_.start_ = np.r_[0, np.cumsum(np.bincount(rows[~placement], minlength=lp.num_row_))]
    rest.a_matrix_.index_ = (index[~placement] - n).astype(np.int32)
    rest.a_matrix_.value_ = value[~placement]
    rest.sense_ = lp.sense_
    if not rest.num_col_:  # nothing to draw: the plan fits if its rows hold
        fits = np.all(rest.row_lower_ <= _FEASIBLE) and np.all(rest.row_upper_ >= -_FEASIBLE)
        return on if fits else None
    highs = _configured_highs(settings)
    highs.passModel(rest)
    set_deadline(highs, max(deadline, time.perf_counter() + RETURN_SECONDS))
    run_highs(highs)
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.concatenate([on, np.asarray(highs.getSolution().col_value)])


def _with_site_patterns(
    model: QuotaModel, lp: highspy.HighsLp, deadline: float = np.inf
) -> tuple[highspy.HighsLp, bool]:
    """``lp`` with the site pattern columns and rows of :mod:`quota_sim.site_patterns` appended after
    the model's own (a tighter LP relaxation of the same MILP); unchanged when no site needs them. And
    whether some site's patterns hold only part of its candidates (its hull is then priced in by
    :mod:`quota_sim.pattern_master`); so do the sites not reached by ``deadline``, which keep their
    capacity rows alone."""
    if model.elastic or model.sites is None or not model.n_x or model.n_x >= GREEDY_START_BINARIES:
        return lp, False  # very large models: the plain relaxation is solved sooner, for the greedy start
    table = model.placements
    land, area = model.projects.land_mu, model.sites.area_mu
    rows = site_pattern_rows(table.project, table.site, land, area, lp.num_col_, deadline)
    if rows is None or not rows.sites:
        return lp, rows is not None and rows.partial > 0
    count, n_rows = rows.n_patterns, len(rows.upper)
    lp.num_col_ += count
    lp.col_cost_ = np.append(np.asarray(lp.col_cost_), np.zeros(count))
    lp.col_lower_ = np.append(np.asarray(lp.col_lower_), np.zeros(count))
    lp.col_upper_ = np.append(np.asarray(lp.col_upper_), np.ones(count))
    if len(lp.integrality_):  # the pattern columns are continuous
        lp.integrality_ = [*lp.integrality_, *[highspy.HighsVarType.kContinuous] * count]
    lp.num_row_ += n_rows
    lp.row_lower_ = np.append(np.asarray(lp.row_lower_), np.full(n_rows, -highspy.kHighsInf))
    lp.row_upper_ = np.append(np.asarray(lp.row_upper_), rows.upper)
    matrix = lp.a_matrix_
    starts = np.asarray(matrix.start_)
    matrix.start_ = np.append(starts, rows.starts[1:] + starts[-1]).astype(np.int32)
    matrix.index_ = np.append(np.asarray(matrix.index_), rows.indices).astype(np.int32)
    matrix.value_ = np.append(np.asarray(matrix.value_), rows.values)
    return lp, rows.partial > 0


def _solve_highs(
    model: QuotaModel,
    settings: SolverSettings,
    *,
    relax: bool,
    start: Start | None = None,
    trace: bool = False,
) -> Solution:
    clock = time.perf_counter()
    deadline = clock + settings.time_limit  # every HiGHS run of the solve ends by then
    solver_name = _solver_label("highs")
    if not model.n_variables:
        return _finish(model, np.zeros(0), clock, "optimal", solver_name, bound=None, gap=0.0)
    patterns_by = clock + PATTERN_TIME_SHARE * settings.time_limit
    lp, partial = _with_site_patterns(model, model.highs_lp(relax=relax), patterns_by)
    relaxation = None
    restricted = None  # column values of the restricted MIP's plan, kept if the run's time runs out
    ready = None  # column values of a complete start plan: HiGHS is then not waited for past the limit
    priced = False  # the relaxation is the pattern master's (its bound may be below HiGHS's own)
    search = True  # the full MIP is run from the start plan
    planning = 0.0  # seconds spent finding the start plan (its LP relaxation first)
    if start is None and not relax and not model.elastic and model.n_x and _left(settings, clock) > 0:
        found = _start_plan(model, lp, settings, deadline, partial)
        start, relaxation, restricted, ready = found.plan, found.relaxation, found.values, found.ready
        priced, search = found.priced, found.search
        planning = time.perf_counter() - clock
        if found.proven is not None:  # within the requested gap of the relaxation's bound already
            solution = _proven_start(model, found.proven, clock, solver_name, relaxation)
            solution.trace = [(solution.seconds, solution.objective, relaxation.objective)] if trace else []
            return solution
    before_run = time.perf_counter() - clock
    if _left(settings, clock) <= 0 and start is None:
        return Solution(
            "no_solution", None, None, None, solver_name, before_run,
            message=f"the time limit of {settings.time_limit:g} s was reached before HiGHS started",
        )
    with_start = start is not None and not relax and model.n_x > 0
    # On very large models HiGHS may overrun its time limit before it takes the start in (its presolve
    # and root LP do not all check the clock), so the start plan with its supply is made ready first.
    large = model.n_x >= GREEDY_START_BINARIES
    # So is a greedy start plan found with less time left than finding it took: it is the answer (below).
    short = restricted is None and _left(settings, clock) < planning
    completed = ready is None and with_start and (large or priced or short)
    if completed:
        ready = _completed_start(model, lp, settings, start, deadline)
    kept = ready if ready is not None else restricted  # a complete plan to report if HiGHS has no time
    if with_start and _left(settings, clock) <= 0:  # no time for a MIP search: the start plan is the answer
        values = kept if kept is not None or completed else _completed_start(model, lp, settings, start,
                                                                              deadline)
        if values is None:
            return Solution(
                "no_solution", None, None, None, solver_name, time.perf_counter() - clock,
                message=f"the time limit of {settings.time_limit:g} s was reached before the start plan "
                        "was complete",
            )
        message = f"the time limit of {settings.time_limit:g} s was reached before a MIP search"
        return _start_solution(model, values, clock, solver_name, relaxation, message)
    if ready is not None and not search:
        message = (f"the huge-model route's plan is reported without a MIP search: a MIP over all "
                   f"{model.n_x:,} placements would first solve their whole LP from scratch")
        return _start_solution(model, ready, clock, solver_name, relaxation, message)
    if kept is not None and _left(settings, clock) < planning:
        # The MIP would presolve and solve its root LP again before it could improve the plan: with less
        # time left than the relaxation and the start took, it would only run past the limit (on the
        # named-sites queue of 5,000 projects it took the start in after 7 s, and went 4-8 s past a
        # limit it could not look at).
        message = (f"{max(_left(settings, clock), 0.0):.1f} s were left, less than finding the start plan "
                   f"took ({planning:.1f} s): the start plan is reported without a MIP search")
        return _start_solution(model, kept, clock, solver_name, relaxation, message)
    highs = _configured_highs(settings)
    highs.passModel(lp)
    events: list[tuple[float, float | None, float | None]] = []
    if trace and not relax:
        highs.cbMipImprovingSolution.subscribe(
            lambda e: events.append((e.data_out.running_time, e.data_out.objective_function_value, None))
        )
        highs.cbMipInterrupt.subscribe(
            lambda e: events.append((e.data_out.running_time, None, e.data_out.mip_dual_bound))
        )
    if with_start:
        highs.setSolution(model.n_x, *_start_vector(model, start))
    try:
        # With a complete plan in hand, HiGHS is not waited for long past the time limit: the plan is
        # reported instead (HiGHS is asked to stop; its presolve does not always check the clock).
        overrun = _left(settings, clock) + RETURN_SECONDS
        with time_limit(overrun) if kept is not None else contextlib.nullcontext():
            MipStop(highs, deadline)
            set_deadline(highs, deadline)
            run_highs(highs)
    except TimeUp:
        if kept is None:
            raise
        message = "the run's time limit came before HiGHS improved the start plan"
        return _start_solution(model, kept, clock, solver_name, relaxation, message)
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Solution("infeasible", None, None, None, solver_name, time.perf_counter() - clock)
    if not has_solution and with_start:
        # The MIP ran out of time before taking in the start (very large models): the start plan itself,
        # its supply drawn by an LP (placements fixed), is the feasible plan to report.
        values = kept if kept is not None or completed else _completed_start(model, lp, settings, start,
                                                                              deadline)
        if values is not None:
            stopped = _stopped_with(highs, status)
            message = f"HiGHS stopped with {stopped} before improving the start plan"
            return _start_solution(model, values, clock, solver_name, relaxation, message)
    if not has_solution:
        return Solution(
            "no_solution", None, None, None, solver_name, time.perf_counter() - clock,
            message=f"HiGHS stopped with {_stopped_with(highs, status)} and no solution",
        )
    values = np.asarray(highs.getSolution().col_value)
    optimal = status == highspy.HighsModelStatus.kOptimal
    integer = not relax and model.n_x > 0
    bound = info.mip_dual_bound if integer else None
    gap = info.mip_gap if integer else 0.0
    if (priced or partial) and bound is not None and relaxation is not None:
        # The relaxation's bound (the master's, or the LP with the site patterns) holds too, and may be
        # the tighter one, or the only one (HiGHS stopped before its own).
        bound = min(bound, relaxation.objective) if np.isfinite(bound) else relaxation.objective
        gap = None
    solution = _finish(
        model, values, clock, "optimal" if optimal else "feasible", solver_name, bound=bound, gap=gap
    )
    upgraded = False
    if gap is None:
        solution.gap = relative_gap(solution.objective, solution.best_bound)
        upgraded = not optimal and solution.gap <= settings.gap
        if upgraded:
            solution.status = "optimal"
            solution.message = "within the requested gap of the site pattern master's bound"
    solution.trace = [
        (before_run + t, incumbent, bound if bound is None or np.isfinite(bound) else None)
        for t, incumbent, bound in events
    ]
    if not optimal and not upgraded:
        solution.message = f"HiGHS stopped with {_stopped_with(highs, status)}"
    solution.relaxation = _relaxation(model, highs) if relax and optimal else relaxation
    if solution.relaxation is not None and relax:  # an LP's value, not that of its rounded plan
        solution.objective = solution.best_bound = solution.relaxation.objective
    return solution


def _stopped_with(highs: highspy.Highs, status: highspy.HighsModelStatus) -> str:
    """HiGHS's words for how a run ended; a run stopped at its deadline (:class:`MipStop`) reached its
    time limit."""
    if status == highspy.HighsModelStatus.kInterrupt:
        status = highspy.HighsModelStatus.kTimeLimit
    return highs.modelStatusToString(status)


def _proven_start(
    model: QuotaModel, values: np.ndarray, clock: float, solver_name: str, relaxation: Relaxation
) -> Solution:
    """The restricted MIP's plan (column ``values``) as the ``optimal`` solution: it is within the
    requested gap of the relaxation's objective, a bound on every plan."""
    solution = _finish(model, values, clock, "optimal", solver_name, bound=relaxation.objective, gap=None)
    solution.gap = relative_gap(solution.objective, relaxation.objective)
    solution.relaxation = relaxation
    return solution


def _start_solution(
    model: QuotaModel,
    values: np.ndarray,
    clock: float,
    solver_name: str,
    relaxation: Relaxation | None,
    message: str,
) -> Solution:
    """The start plan (column ``values`` from :func:`_completed_start`) as a ``feasible`` solution,
    its gap measured against the LP relaxation when there is one."""
    bound = relaxation.objective if relaxation is not None else None
    solution = _finish(model, values, clock, "feasible", solver_name, bound=bound, gap=None)
    if bound is not None and solution.objective is not None:
        solution.gap = relative_gap(solution.objective, bound)
    solution.message = message
    solution.relaxation = relaxation
    return solution


def _relaxation(model: QuotaModel, highs: highspy.Highs) -> Relaxation:
    """Objective and row duals of an LP HiGHS solved to optimality. For a maximisation HiGHS reports
    duals as d(objective) / d(right-hand side) already."""
    duals = np.asarray(highs.getSolution().row_dual, dtype=float)[: model.n_rows]
    objective = float(highs.getInfo().objective_function_value)
    return Relaxation(objective, dict(zip(model.row_names, duals.tolist(), strict=True)))


def _left(settings: SolverSettings, clock: float) -> float:
    """Seconds of the time limit left since ``clock``."""
    return settings.time_limit - (time.perf_counter() - clock)


def _configured_highs(
    settings: SolverSettings, *, time_limit: float = highspy.kHighsInf, gap: float | None = None
) -> highspy.Highs:
    """A silent HiGHS on one thread (reproducible; parallel runs each keep to one core). Runs in the
    solve are given their deadline by :func:`~quota_sim.interrupts.set_deadline` instead of ``time_limit``."""
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", float(settings.gap if gap is None else gap))
    highs.setOptionValue("random_seed", int(settings.seed))
    highs.setOptionValue("threads", 1)
    return highs


@dataclass
class _StartPlan:
    """What :func:`_start_plan` found: the plan for HiGHS (None if none), the LP relaxation, and the
    column values of the restricted MIP's plan (``values``), and those values again as ``proven`` when
    the plan already proves the requested gap against the relaxation's bound (the full MIP is then
    not needed)."""

    plan: Start | None
    relaxation: Relaxation | None
    proven: np.ndarray | None = None
    values: np.ndarray | None = None
    ready: np.ndarray | None = None  # the plan's column values, complete with its supply use
    priced: bool = False  # the relaxation is the pattern master's
    search: bool = True  # whether the full MIP is to be run from the plan


def _start_plan(
    model: QuotaModel, lp: highspy.HighsLp, settings: SolverSettings, deadline: float, priced: bool = False
) -> _StartPlan:
    """A good first plan for HiGHS, from the LP relaxation, and the relaxation.

    With ``priced`` (some site's patterns in ``lp`` hold only part of its candidates), the plan and
    the bound come from the pattern master (:func:`_master_plan`) when it solves in its time.

    The relaxation is solved first. A model where every project has one placement at most
    (:func:`_one_place_each`) gets no plan: HiGHS runs as it is. Otherwise, below GREEDY_START_BINARIES
    placement variables, the MIP restricted to the placements the relaxation uses (every other one
    fixed to 0, as in the RENS heuristic) is solved to the requested gap, and stopped at its first plan
    within the requested gap of the relaxation's bound (that plan is then the answer). Without such a
    plan, the plan is filled in the supply it leaves (:func:`_filled`), which often proves the gap;
    failing that, the placements with the best reduced costs are let in (as many as the relaxation
    uses, then twice as many, ...) and the wider restricted MIP is solved from the plan so far, while
    that improves the plan and half the time limit lasts; the best plan starts the full MIP. When the
    relaxation's support holds no plan, the relaxation guides the greedy pass below. On larger models
    the relaxation (given half the time limit) guides a greedy pass (:mod:`quota_sim.greedy`) instead.
    When the relaxation is not solved in its time, the greedy pass goes by the placements' values.

    Every route ends by ``deadline`` (a ``time.perf_counter()`` value, the solve's); the shares above
    are of ``settings.time_limit``, within it.
    """
    n = model.n_x
    large = n >= GREEDY_START_BINARIES
    if priced and not large:
        found = _master_plan(model, settings, deadline)
        if found is not None:
            return found
        # The routes below share the time the master leaves.
        settings = replace(settings, time_limit=max(deadline - time.perf_counter(), 0.0))
    if large and model.site_rows:  # its plain LP takes longer than most limits: the LP is not tried
        return _shortlist_plan(model, lp, settings, deadline)
    if time.perf_counter() >= deadline:
        return _StartPlan(None, None)
    integrality = lp.integrality_
    lp.integrality_ = []
    try:
        # A large model's relaxation leaves time for the greedy pass, its completion and the MIP.
        share = LARGE_LP_TIME_SHARE if large else 1.0
        lp_by = time.perf_counter() + share * (deadline - time.perf_counter())
        lp_run = _configured_highs(settings)
        solved = False
        passing = time.perf_counter()
        first = _first_callback(lp_run)
        if time.perf_counter() < lp_by:  # else not passed on (a huge model's takes seconds)
            lp_run.passModel(lp)
        if time.perf_counter() < lp_by:  # else not run: HiGHS may solve a small LP on no time at all
            set_deadline(lp_run, lp_by)
            # HiGHS may check its clock late on a very large LP (2.5 s late on 311k placements): it is
            # not waited for long past its share.
            with time_limit(lp_by - time.perf_counter() + RETURN_SECONDS):
                run_highs(lp_run)
            solved = lp_run.getModelStatus() == highspy.HighsModelStatus.kOptimal
    except TimeUp:
        solved = False
    finally:
        lp.integrality_ = integrality
    if not solved:  # the greedy pass by value: a plan all the same (a knapsack is left to HiGHS alone)
        if large:
            return _StartPlan(_greedy_plan(model, model.values, deadline), None)
        if _one_place_each(model):
            return _StartPlan(None, None)
        # Completed with its supply use here: with less time left than this took, it is the answer
        # (see _solve_highs); the named-sites queue of 5,000 projects had no plan on a 5 s limit. The
        # model's own LP completes it (the site patterns' rows hold for every plan; reading them back
        # from HiGHS took 0.3 s there).
        plan = _greedy_plan(model, model.values, deadline)
        ready = _completed_start(model, model.highs_lp(), settings, plan, deadline)
        return _StartPlan(plan, None, values=ready, ready=ready)
    relaxation = _relaxation(model, lp_run)
    if not large and _one_place_each(model):  # the relaxation only: its duals for the analyses
        return _StartPlan(None, relaxation)
    weights = np.asarray(lp_run.getSolution().col_value)[:n]
    if large:
        return _StartPlan(_greedy_plan(model, weights, deadline), relaxation)
    reduced = np.asarray(lp_run.getSolution().col_dual)[:n]
    restricted_by = min(time.perf_counter() + RESTRICTED_TIME_SHARE * settings.time_limit, deadline)
    keep = weights > _SUPPORT
    by_reduced_cost = np.argsort(-reduced, kind="stable")  # the placements the relaxation likes best first
    width = max(int(keep.sum()), 1)
    best, proven = None, False
    cost = np.asarray(lp.col_cost_, dtype=float)
    # The MIPs on ``lp`` below are not started in less time than their set-up takes; before the first,
    # the relaxation's (the time to its first simplex callback) stands for it: 0.47 s where the MIPs'
    # took 0.27-0.36 s on the named-sites queue of 5,000 projects.
    setup = MipSetup((first[0] if first else time.perf_counter()) - passing)
    while True:
        # The relaxation's support is small: its MIP is solved to the requested gap. A wider one looks
        # for a better start, not a proof: it stops within RESTRICTED_MIN_GAP at the least.
        gap = settings.gap if best is None else max(settings.gap, RESTRICTED_MIN_GAP)
        found, proven = _restricted_mip(lp, n, keep, best, replace(settings, gap=gap), relaxation.objective,
                                        restricted_by, settings.gap, setup)
        improved = _better(cost, found, best)
        if improved:
            best = found
        if improved and not proven:
            best, proven = _filled(lp, n, model.placements.project, best, weights, settings,
                                   relaxation.objective, restricted_by, setup)
        if proven or not improved or time.perf_counter() >= restricted_by:
            break
        # Let in as many more placements as the support holds, then twice as many, ...
        keep[by_reduced_cost[~keep[by_reduced_cost]][:width]] = True
        width *= 2
        if keep.all():
            break  # no longer restricted: the full MIP's work
    if best is None:
        # The relaxation's support holds no plan (e.g. locks split over sites): the greedy pass still does.
        return _StartPlan(_greedy_plan(model, weights, deadline), relaxation)
    return _StartPlan(_plan(model, best), relaxation, best if proven else None, best)


def _one_place_each(model: QuotaModel) -> bool:
    """Whether every project has at most one placement (one zone, one site at most, one start year): the
    model is then a multidimensional knapsack. HiGHS's own root heuristics (RENS on its relaxation's
    support, RINS, feasibility jump) do there what the start plan would, and its search is left as it
    is: a start only changes its path (on OR-Library mknapcb1 it took from half to twice the nodes; see
    docs/model.md)."""
    project = model.placements.project
    return len(project) == len(np.unique(project))


def _plan(model: QuotaModel, values: np.ndarray) -> Start:
    """The plan of column values ``values``: project id -> (zone, site or None, calendar start year)."""
    start_year = model.scenario.start_year
    return {
        model.projects.ids[p]: (z, k, start_year + t)
        for (p, z, k, t), v in zip(model.x, values[: model.n_x], strict=True)
        if v > _ON
    }


def _better(cost: np.ndarray, values: np.ndarray | None, than: np.ndarray | None) -> bool:
    """Whether the plan ``values`` is worth more than ``than`` (any plan is better than none)."""
    return values is not None and (than is None or cost @ values > cost @ than * (1 + 1e-9) + 1e-9)


def _greedy_plan(model: QuotaModel, weights: np.ndarray | Mapping, deadline: float) -> Start:
    """The greedy pass's plan (:func:`quota_sim.greedy.greedy_start`) by ``deadline``, or in a moment
    (RETURN_SECONDS) when the time is up: a plan guided by a relaxation in hand is not lost for want
    of one."""
    return greedy_start(model, weights, max(deadline, time.perf_counter() + RETURN_SECONDS))


def _master_plan(model: QuotaModel, settings: SolverSettings, deadline: float) -> _StartPlan | None:
    """The plan and bound of the pattern master (:mod:`quota_sim.pattern_master`): patterns priced in
    for MASTER_TIME_SHARE of the time left until ``deadline`` (None when its LP is not solved by then,
    or when pricing is not done by then), then its dive until DIVE_TIME_SHARE of it (the greedy pass
    guided by the master's LP when the dive finds no plan). Pricing stops within a tenth of the
    requested gap."""
    clock = time.perf_counter()
    span = max(deadline - clock, 0.0)
    master = PatternMaster(model, _configured_highs(settings))
    # None also when pricing is stopped by its time before it is done: the plan and bound of
    # :func:`_start_plan`'s other routes are then the better ones (5,000 projects with a 5 s limit).
    # Pricing stops when the bound is well within the requested gap of the master LP's value.
    if not master.solve(clock + MASTER_TIME_SHARE * span, tolerance=settings.gap / 10):
        return None
    if not master.priced_out:  # stopped by its time (a short limit): its bound is far
        return None
    duals = dict(zip(model.row_names, master.row_duals().tolist(), strict=True))
    relaxation = Relaxation(master.bound, duals)
    values = master.dive(clock + DIVE_TIME_SHARE * span)
    if values is None:  # the greedy pass, guided by the dive's last LP (by value when it solved none)
        plan = _greedy_plan(model, model.values if master.guide is None else master.guide, deadline)
        return _StartPlan(plan, relaxation, priced=True)
    plan = _plan(model, values)
    proven = relative_gap(float(model.cost @ values), master.bound) <= settings.gap
    return _StartPlan(plan, relaxation, values if proven else None, values, ready=values, priced=True)


def _shortlist_plan(
    model: QuotaModel, lp: highspy.HighsLp, settings: SolverSettings, deadline: float
) -> _StartPlan:
    """The plan and bound of a huge model with sites; the shares below are of the time left until
    ``deadline``.

    1. The LP with each zone's sites merged (:mod:`quota_sim.zone_relaxation`, until
       MERGED_LP_TIME_SHARE) bounds it and scores its placements, which give a shortlist of a few sites
       per project (:mod:`quota_sim.shortlist`); the greedy pass guided by the merged LP, trying the
       shortlisted sites first, gives a first plan.
    2. The plain LP is priced over the placements from the shortlist on (:mod:`quota_sim.placement_pricing`,
       until PLAIN_LP_TIME_SHARE): its bound, and from its duals the site-knapsack bound over every
       placement (:mod:`quota_sim.site_hull`), which is tighter, at the best duals found from there
       in DUALS_TIME_SHARE of the time left (:mod:`quota_sim.site_duals`).
    3. The plan is improved (:func:`_improved_plan`) until IMPROVE_TIME_SHARE: by the pattern master
       in the model around the plain LP, then by a large-neighbourhood search over the sites.

    The smallest bound found is reported with the best plan, also when there is no plan (a bound is
    never lost for want of one). When the merged LP is not solved in its time, the plan is the greedy
    pass's by value, without a bound."""
    clock = time.perf_counter()
    span = max(deadline - clock, 0.0)
    merged = zone_relaxation(model)
    run = _configured_highs(settings)
    run.passModel(merged.lp)
    set_deadline(run, clock + MERGED_LP_TIME_SHARE * span)
    run_highs(run)
    if run.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return _StartPlan(_greedy_plan(model, model.values, deadline), None, search=False)
    bound = float(run.getInfo().objective_function_value)
    duals = np.asarray(run.getSolution().row_dual, dtype=float)
    keep = shortlist(model, placement_scores(model, merged, duals))
    guide = merged_guide(merged, np.asarray(run.getSolution().col_value), keep)
    ready = _completed_start(model, lp, settings, _greedy_plan(model, guide, deadline), deadline)
    # The plain LP, priced over the placements from the shortlist on, may give the tighter bound.
    integrality = lp.integrality_
    lp.integrality_ = []
    try:
        highs = _configured_highs(settings)
        priced = priced_relaxation(model, lp, keep, highs, clock + PLAIN_LP_TIME_SHARE * span)
    finally:
        lp.integrality_ = integrality
    if priced is not None:
        hull = SiteHull(model)
        if priced.bound < bound:
            bound, duals = priced.bound, priced.row_duals
        worth = None if ready is None else float(model.cost @ ready)
        now = time.perf_counter()
        improve_by = now + DUALS_TIME_SHARE * max(deadline - now, 0.0)
        tightest = tightest_bound(hull, priced.row_duals, [] if ready is None else [ready], worth,
                                  lambda: _configured_highs(settings), improve_by, DUALS_TOLERANCE, deadline)
        if tightest is not None and tightest[0] < bound:
            bound, duals = tightest
        ready = _improved_plan(model, hull, priced, ready, settings, bound, clock + IMPROVE_TIME_SHARE * span)
    relaxation = Relaxation(bound, dict(zip(model.row_names, duals[: model.n_rows].tolist(), strict=True)))
    if ready is None:  # its bound holds below HiGHS's own
        return _StartPlan(None, relaxation, priced=True)
    plan = _plan(model, ready)
    proven = ready if relative_gap(float(model.cost @ ready), bound) <= settings.gap else None
    return _StartPlan(plan, relaxation, proven, values=ready, ready=ready, search=False)


def _in_whole_model(
    model: QuotaModel, reduced: QuotaModel, keep: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Column values of ``reduced`` (the model of ``model``'s placements ``keep``) as column values of
    ``model``: its x columns are ``model``'s ``keep`` columns, in order; its use columns are ``model``'s
    of the same key."""
    whole = np.zeros(model.n_variables)
    whole[np.flatnonzero(keep)] = values[: reduced.n_x]
    for key, j in reduced.use.items():
        whole[model.use[key]] = values[j]
    return whole


def _improved_plan(
    model: QuotaModel, hull: SiteHull, priced: PricedRelaxation, plan: np.ndarray | None,
    settings: SolverSettings, bound: float, deadline: float,
) -> np.ndarray | None:
    """``plan`` (column values of ``model``, or None) improved until ``deadline``, or until a plan is
    within the requested gap of ``bound``. First in the model of the placements around it: the plain
    LP's support (``priced``), the plan's placements and, on each site, the LEADING_PER_SITE projects
    that gain most at the plain LP's duals. There the pattern master, started from the plan's patterns,
    prices its site patterns in (until NEIGHBOURHOOD_MASTER_SHARE of the time left) and dives (until
    NEIGHBOURHOOD_DIVE_SHARE), unless there are less than NEIGHBOURHOOD_MIN_SECONDS for all this. Then,
    over the whole model, the large-neighbourhood search of :mod:`quota_sim.site_search` re-plans a few
    sites at a time from the better plan. The best plan (None if none)."""
    started = time.perf_counter()
    span = max(deadline - started, 0.0)
    if plan is not None and span < NEIGHBOURHOOD_MIN_SECONDS:  # too short for the master: the search alone
        return _searched(model, hull, priced, plan, settings, bound, deadline)
    locked = np.array([lock == "in" for lock in model.projects.lock], dtype=bool)[model.placements.project]
    keep = (priced.values > _SUPPORT) | hull.leading(priced.row_duals, LEADING_PER_SITE)
    # A locked-in project keeps its place in the plan, or every placement without one.
    keep |= plan[: model.n_x] > _ON if plan is not None else locked
    reduced = build_model(model.scenario, model.projects, keep=keep)
    if reduced.unplaceable_locks or not reduced.n_x:
        return plan
    start = None
    if plan is not None:  # the plan's column values in the model around it
        start = np.zeros(reduced.n_variables)
        start[: reduced.n_x] = plan[: model.n_x][keep]
        for key, j in reduced.use.items():
            start[j] = plan[model.use[key]]
    master = PatternMaster(reduced, _configured_highs(settings), [] if start is None else [start])
    dive_by = started + NEIGHBOURHOOD_DIVE_SHARE * span
    if master.solve(started + NEIGHBOURHOOD_MASTER_SHARE * span, tolerance=settings.gap / 10):
        dived = master.dive(dive_by)
        if _better(reduced.cost, dived, start):
            start = dived
    if start is None:
        return plan
    dived = _in_whole_model(model, reduced, keep, start)
    return _searched(model, hull, priced, dived, settings, bound, deadline)


def _searched(
    model: QuotaModel, hull: SiteHull, priced: PricedRelaxation, plan: np.ndarray, settings: SolverSettings,
    bound: float, deadline: float,
) -> np.ndarray:
    """``plan`` (column values of ``model``) improved by the search over sites (:mod:`quota_sim.site_search`)
    at the plain LP's duals until ``deadline``, or until within the requested gap of ``bound``."""
    search = SiteSearch(model, hull, priced.row_duals, lambda: _configured_highs(settings), settings.seed,
                        deadline)
    return search.improve(plan, deadline, bound, settings.gap)


def _restricted_mip(
    lp: highspy.HighsLp,
    n: int,
    keep: np.ndarray,
    start: np.ndarray | None,
    settings: SolverSettings,
    bound: float,
    deadline: float,
    proof_gap: float,
    setup: MipSetup | None = None,
) -> tuple[np.ndarray | None, bool]:
    """The MIP with every placement column outside ``keep`` fixed to 0, solved to ``settings.gap`` from
    the column values ``start`` (a plan that fits) until ``deadline``: its plan's column values (None
    if none, or not started: see :func:`_bounded_mip`) and whether that plan is within ``proof_gap`` of
    ``bound`` (then it stopped there)."""
    return _bounded_mip(lp, n, np.zeros(n), keep.astype(float), start, settings, bound, deadline, proof_gap,
                        setup=setup)


def _filled(
    lp: highspy.HighsLp,
    n: int,
    project: np.ndarray,
    plan: np.ndarray,
    weights: np.ndarray,
    settings: SolverSettings,
    bound: float,
    deadline: float,
    setup: MipSetup | None = None,
) -> tuple[np.ndarray, bool]:
    """``plan`` (column values) improved by filling the supply it leaves over, and whether the result
    is within ``settings.gap`` of ``bound``. The relaxation's support rarely holds the small projects
    that fit in what a restricted plan leaves, and the plan is often a swap or two short of the gap:
    first every placement of the plan stays and the other projects may join it; then only the plan's
    placements the relaxation (``weights`` per placement column) also gives more than a half stay,
    and the other projects of the plan may move or leave. Each of these MIPs is small (most of the plan
    cannot move), is solved to gap 0 and stops at its first plan proving the gap."""
    cost = np.asarray(lp.col_cost_, dtype=float)
    placed = plan[:n] > _ON
    tried = None
    for fixed in (placed, placed & (weights > 0.5)):
        if time.perf_counter() >= deadline or not fixed.any():
            break
        if tried is not None and np.array_equal(fixed, tried):
            continue
        tried = fixed
        found, proven = _filled_mip(lp, n, project, fixed, plan, settings, bound, deadline, setup)
        if _better(cost, found, plan):
            plan = found
            placed = plan[:n] > _ON
        if proven:
            return plan, True
    return plan, False


def _filled_mip(
    lp: highspy.HighsLp,
    n: int,
    project: np.ndarray,
    fixed: np.ndarray,
    start: np.ndarray,
    settings: SolverSettings,
    bound: float,
    deadline: float,
    setup: MipSetup | None = None,
) -> tuple[np.ndarray | None, bool]:
    """The MIP with the placement columns ``fixed`` (a mask) fixed to 1, the projects they place kept
    there and every other project (``project`` per placement column) free, solved to gap 0 from the
    column values ``start`` and stopped at its first plan within ``settings.gap`` of ``bound``: that
    plan's column values (None if none) and whether it stopped there."""
    kept = np.zeros(int(project.max()) + 1, dtype=bool)
    kept[project[fixed]] = True
    free = fixed | ~kept[project]
    # Only plans proving the gap count: HiGHS prunes every branch that cannot reach one (objective_bound is
    # a cutoff in its minimising sense), so a neighbourhood without such a plan ends at once.
    cutoff = -bound / (1.0 + settings.gap) * (1.0 - 1e-9) if bound > 0 else None
    return _bounded_mip(lp, n, fixed.astype(float), free.astype(float), start, replace(settings, gap=0.0),
                        bound, deadline, settings.gap, cutoff=cutoff, setup=setup)


def _bounded_mip(
    lp: highspy.HighsLp,
    n: int,
    lower: np.ndarray,
    upper: np.ndarray,
    start: np.ndarray | None,
    settings: SolverSettings,
    bound: float,
    deadline: float,
    proof_gap: float,
    *,
    cutoff: float | None = None,
    setup: MipSetup | None = None,
) -> tuple[np.ndarray | None, bool]:
    """The MIP with the placement columns held within ``lower`` and ``upper`` (0 or 1 each), solved to
    ``settings.gap`` from the column values ``start`` until ``deadline``, and stopped at its first plan
    within ``proof_gap`` of ``bound``: that plan's column values (None if none) and whether it stopped
    there. ``cutoff``: HiGHS's ``objective_bound``, branches that cannot beat it are pruned.

    ``setup``: the set-up of the MIPs on ``lp`` so far; the MIP is not started (None) with less time
    left than that, and its own set-up is added to it."""
    began = time.perf_counter()
    if began + (setup.seconds if setup is not None else 0.0) >= deadline:
        return None, False
    lowest, highest = np.array(lp.col_lower_, dtype=float), np.array(lp.col_upper_, dtype=float)
    held_lower, held_upper = lowest.copy(), highest.copy()
    held_lower[:n] = np.maximum(lowest[:n], lower)
    held_upper[:n] = np.minimum(highest[:n], upper)
    lp.col_lower_, lp.col_upper_ = held_lower, held_upper
    try:
        highs = _configured_highs(settings)
        if cutoff is not None:
            highs.setOptionValue("objective_bound", float(cutoff))
        highs.passModel(lp)
        if start is not None:
            highs.setSolution(n, np.arange(n, dtype=np.int32), np.where(start[:n] > _ON, 1.0, 0.0))
        proven = _stop_when_proven(highs, bound, proof_gap)
        stop = MipStop(highs, deadline)
        set_deadline(highs, deadline)
        run_highs(highs)
    finally:
        lp.col_lower_, lp.col_upper_ = lowest, highest
    if setup is not None:
        setup.seconds = max(setup.seconds, (stop.first or time.perf_counter()) - began)
    if highs.getInfo().primal_solution_status != 2:
        return None, False
    return np.asarray(highs.getSolution().col_value), proven.is_set()


def _stop_when_proven(highs: highspy.Highs, bound: float, gap: float) -> threading.Event:
    """Stop ``highs`` (a maximisation) at its first plan within ``gap`` of ``bound``; the event
    returned is set when that happened."""
    proven = threading.Event()

    def check(event: highspy.HighsCallbackEvent) -> None:
        if relative_gap(event.data_out.objective_function_value, bound) <= gap:
            proven.set()

    def stop(event: highspy.HighsCallbackEvent) -> None:
        if proven.is_set():
            event.interrupt()

    highs.cbMipImprovingSolution.subscribe(check)
    highs.cbMipInterrupt.subscribe(stop)
    return proven


@dataclass
class MipSetup:
    """The longest set-up seen of the MIPs on one LP: seconds from handing a MIP to HiGHS to its first
    MIP callback, the first point where its time limit (or a stop) can end it. Before it, HiGHS reads
    the model, presolves and completes the start without looking at the clock: 0.2-0.8 s on the
    named-sites queue of 5,000 projects (60k columns), even with no time left at all."""

    seconds: float = 0.0


class MipStop:
    """Stops a HiGHS MIP at its first MIP callback past :attr:`deadline` (a ``time.perf_counter()``
    value; it may be moved between runs of the same HiGHS) and notes in :attr:`first` when the run's
    first MIP callback came (None until then; set it back to None before another run). HiGHS looks at
    its own time limit less often: a full MIP of the named-sites queue given 1 s ran 5.5 s (1.4 s with
    this stop), and a neighbourhood lane's case given 0.84 s ran 1.2 s (the lanes are threads, which
    the run's time limit cannot reach). A run so stopped ends as interrupted, with its plan."""

    def __init__(self, highs: highspy.Highs, deadline: float = np.inf) -> None:
        self.deadline = deadline
        self.first: float | None = None
        highs.cbMipInterrupt.subscribe(self._check)

    def _check(self, event: highspy.HighsCallbackEvent) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        if now >= self.deadline:
            event.interrupt()


def _first_callback(highs: highspy.Highs) -> list[float]:
    """A list that receives the time of the first simplex callback of ``highs``'s next LP run."""
    first: list[float] = []

    def note(_event: highspy.HighsCallbackEvent) -> None:
        if not first:
            first.append(time.perf_counter())

    highs.cbSimplexInterrupt.subscribe(note)
    return first


def _finish(
    model: QuotaModel, values: np.ndarray, start: float, status: str, solver: str,
    *, bound: float | None, gap: float | None,
) -> Solution:
    """Read placements and use from the column ``values`` and recompute the objective ourselves."""
    on = np.flatnonzero(values[: model.n_x] > _ON)
    table = model.placements
    zone_ids = model.scenario.zone_ids()
    site_ids = model.sites.ids if model.sites is not None else []
    chosen = {
        p: (zone_ids[z], site_ids[k] if k >= 0 else None, t)
        for p, z, k, t in zip(*(a[on].tolist() for a in (table.project, table.zone, table.site, table.year)),
                              strict=True)
    }
    use = {key: max(0.0, float(values[j])) for key, j in model.use.items()}
    extra = {key: max(0.0, float(values[j])) for key, j in model.extra.items()}
    extra_budget = max(0.0, float(values[model.extra_budget])) if model.extra_budget is not None else 0.0
    extra_site = {site: max(0.0, float(values[j])) for site, j in model.extra_site.items()}
    if model.elastic:
        extras = [*extra.values(), *extra_site.values()]
        objective = float(np.sum(extras)) + extra_budget
    else:
        prices = {(q.id, s.id): s.price for q in model.scenario.quotas for s in q.sources}
        objective = float(
            np.sum(model.values[on]) - np.sum([prices[q, s] * u for (q, s, _z, _t), u in use.items()])
        )
    if bound is None or not np.isfinite(bound):
        bound = objective if status == "optimal" else None
    return Solution(
        status, objective, float(bound) if bound is not None else None, gap, solver,
        time.perf_counter() - start, chosen, use, extra, extra_budget, extra_site=extra_site,
    )


def _cbc_path() -> str:
    from pulp.apis.coin_api import pulp_cbc_path

    return shutil.which("cbc") or pulp_cbc_path


def _pulp_problem(model: QuotaModel) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The model as a PuLP problem (for CBC), built from its arrays: its variables in column order."""
    sense = pulp.LpMinimize if model.elastic else pulp.LpMaximize
    problem = pulp.LpProblem(f"quota_{model.scenario.name}", sense)
    variables = [
        problem.add_variable(name, 0, 1, pulp.LpBinary) if j < model.n_x else problem.add_variable(name, 0)
        for j, name in enumerate(model.column_names())
    ]
    starts, index, value = model.row_start, model.row_index.tolist(), model.row_value.tolist()
    for r, name in enumerate(model.row_names):
        span = range(int(starts[r]), int(starts[r + 1]))
        expr = pulp.LpAffineExpression([(variables[index[e]], value[e]) for e in span])
        lower, upper = float(model.row_lower[r]), float(model.row_upper[r])
        if lower == upper:
            row = pulp.LpConstraint(expr, pulp.LpConstraintEQ, name, upper)
        elif lower <= -highspy.kHighsInf:
            row = pulp.LpConstraint(expr, pulp.LpConstraintLE, name, upper)
        else:
            row = pulp.LpConstraint(expr, pulp.LpConstraintGE, name, lower)
        problem.addConstraint(row)
    problem.setObjective(
        pulp.LpAffineExpression([(variables[j], float(model.cost[j])) for j in np.flatnonzero(model.cost)])
    )
    return problem, variables


def _solve_cbc(model: QuotaModel, settings: SolverSettings) -> Solution:
    """CBC through PuLP; the reported bound is the LP relaxation's (CBC's own is not exposed)."""
    start = time.perf_counter()
    if not model.n_variables:
        return _finish(model, np.zeros(0), start, "optimal", "cbc", bound=None, gap=0.0)
    relaxation = _solve_highs(model, settings, relax=True)
    problem, variables = _pulp_problem(model)
    left = max(_left(settings, start), _CBC_MIN_SECONDS)  # the relaxation and the PuLP problem took the rest
    with tempfile.TemporaryDirectory(prefix="quota-sim-cbc-") as tmp:
        solver = pulp.COIN_CMD(
            path=_cbc_path(), msg=False, timeLimit=left, gapRel=settings.gap,
            options=[f"randomCbcSeed {settings.seed + 1}"], keepFiles=False,
        )
        solver.tmpDir = tmp
        problem.solve(solver)
    sol_status = problem.sol_status
    elapsed = time.perf_counter() - start
    if problem.status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return Solution("infeasible", None, None, None, "cbc", elapsed)
    if sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return Solution("no_solution", None, None, None, "cbc", elapsed, message="CBC found no solution")
    values = np.array([v.varValue or 0.0 for v in variables])
    optimal = sol_status == pulp.LpSolutionOptimal
    solution = _finish(
        model, values, start, "optimal" if optimal else "feasible", "cbc", bound=None, gap=None
    )
    lp_bound = relaxation.relaxation.objective if relaxation.relaxation is not None else float("inf")
    if optimal:  # CBC proved the gap within settings.gap
        lp_bound = min(lp_bound, solution.objective + settings.gap * abs(solution.objective))
    solution.best_bound = max(lp_bound, solution.objective)
    solution.gap = relative_gap(solution.objective, solution.best_bound)
    solution.relaxation = relaxation.relaxation
    return solution


def scip_available() -> bool:
    """Whether SCIP can be used (the optional ``pyscipopt`` package is installed)."""
    import importlib.util

    return importlib.util.find_spec("pyscipopt") is not None


def _solve_scip(model: QuotaModel, settings: SolverSettings, *, start: Start | None = None) -> Solution:
    """SCIP through pyscipopt, on the same matrix HiGHS receives; its own dual bound and gap."""
    if not scip_available():
        raise InputError("the SCIP solver needs the pyscipopt package: pip install 'quota-sim[scip]'",
                         column="solver.name")
    import pyscipopt

    clock = time.perf_counter()
    label = f"scip {pyscipopt.Model().version()}"
    if not model.n_variables:
        return _finish(model, np.zeros(0), clock, "optimal", label, bound=None, gap=0.0)
    scip = pyscipopt.Model()
    scip.hideOutput()
    scip.setParam("limits/gap", settings.gap)
    scip.setParam("randomization/randomseedshift", settings.seed)
    upper = model.upper
    variables = [
        scip.addVar(
            name=name,
            vtype="I" if j < model.n_x else "C",
            lb=0.0,
            ub=None if upper[j] >= highspy.kHighsInf else float(upper[j]),
        )
        for j, name in enumerate(model.column_names())
    ]
    starts, indices, values = model.row_start, model.row_index, model.row_value
    for r in range(model.n_rows):
        expr = pyscipopt.quicksum(
            float(values[k]) * variables[indices[k]] for k in range(starts[r], starts[r + 1])
        )
        lo, hi = float(model.row_lower[r]), float(model.row_upper[r])
        if lo == hi:
            scip.addCons(expr == hi)
        elif lo <= -highspy.kHighsInf:
            scip.addCons(expr <= hi)
        elif hi >= highspy.kHighsInf:
            scip.addCons(expr >= lo)
        else:
            scip.addCons(lo <= (expr <= hi))
    cost = model.cost
    scip.setObjective(
        pyscipopt.quicksum(float(cost[j]) * variables[j] for j in np.flatnonzero(cost)),
        "minimize" if model.elastic else "maximize",
    )
    if start is not None and model.n_x:
        plan = scip.createPartialSol()
        for j, value in zip(*_start_vector(model, start), strict=True):
            scip.setSolVal(plan, variables[j], float(value))
        scip.addSol(plan)
    scip.setParam("limits/time", max(_left(settings, clock), 1e-3))  # building the model took the rest
    scip.optimize()
    status = scip.getStatus()
    elapsed = time.perf_counter() - clock
    if status == "infeasible":
        return Solution("infeasible", None, None, None, label, elapsed)
    if scip.getNSols() == 0:
        message = f"SCIP stopped ({status}) with no solution"
        return Solution("no_solution", None, None, None, label, elapsed, message=message)
    best = scip.getBestSol()
    found = np.array([scip.getSolVal(best, v) for v in variables])
    optimal = status in ("optimal", "gaplimit")  # gaplimit: SCIP proved settings.gap
    solution = _finish(model, found, clock, "optimal" if optimal else "feasible", label, bound=None, gap=None)
    bound = float(scip.getDualbound())
    solution.best_bound = max(bound, solution.objective) if np.isfinite(bound) else None
    if solution.best_bound is not None:
        solution.gap = relative_gap(solution.objective, solution.best_bound)
    if not optimal:
        solution.message = f"SCIP stopped with status {status}"
    return solution


def relative_gap(objective: float, bound: float) -> float:
    """(bound - objective) / |objective|, as HiGHS defines the MIP gap (0 when both are 0)."""
    diff = max(0.0, bound - objective)
    if diff == 0.0:
        return 0.0
    return diff / abs(objective) if objective != 0 else float("inf")
