"""The LP relaxation of a huge model, solved over a growing set of its placements, with a bound each round.

The plain LP of 5,000 projects on 300 sites (311,093 placements) takes HiGHS 23-79 s. Most placements
are 0 in it, so it is solved over a few of them (the others' columns kept at 0) and grown: each round,
every placement left out is priced at the LP's duals ``y`` (its reduced cost ``c_j - a_j y``), the best
of each project that gains enters (at most :data:`ENTER_PER_ROUND` a round), and the LP is solved again
from its basis, until none gains. On that queue: 11,000 placements to start with, 5 rounds, about 5 s.

The LP over some placements is not a bound on the whole, but each round gives one (Lagrangian: every
row but the projects' own is priced at ``y``): ``sum_r y_r b_r + sum_p max_j (c_j - a'_j y)``, where
``b_r`` is the row's bound the dual's sign points to, ``a'_j`` leaves out the project's own row, and the
max over a project's placements is taken with 0 (leaving it out) unless it is locked in. It holds for
any ``y`` of the right signs (the continuous columns must not gain, or there is none); the smallest is
kept. Once no placement gains it is the LP's own value.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from quota_sim.interrupts import TimeUp, run_highs, set_deadline, time_limit
from quota_sim.model import QuotaModel

ENTER_PER_ROUND = 20_000
_GAIN = 1e-6  # 万元: a placement gains when its reduced cost is above this
_DUAL_TOL = 1e-9  # a dual this small is taken as 0 (its row's bound may then be infinite)


@dataclass(frozen=True)
class PricedRelaxation:
    """What :func:`priced_relaxation` found: a bound on every plan (万元), the LP's row duals and its
    placements' values in its last round (the model's rows and x columns), and whether the LP was
    solved over every placement that gains (then the bound is the plain LP's value)."""

    bound: float
    row_duals: np.ndarray
    complete: bool
    values: np.ndarray


def priced_relaxation(
    model: QuotaModel, lp: highspy.HighsLp, start: np.ndarray, highs: highspy.Highs, deadline: float
) -> PricedRelaxation | None:
    """Solve ``lp`` (the model's LP relaxation, columns in the model's order) over the placements of
    ``start`` (a bool per x column) and those that enter by pricing, until none gains or ``deadline``
    (HiGHS is not waited for past it); None when no round was solved by then."""
    n = model.n_x
    upper = np.asarray(lp.col_upper_, dtype=float)
    restricted = upper.copy()
    restricted[:n][~start] = 0.0
    lp.col_upper_ = restricted
    try:
        highs.passModel(lp)
    finally:
        lp.col_upper_ = upper
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
    columns, values = model.row_index, model.row_value
    on_x = columns < n
    own = np.zeros(model.n_rows, dtype=bool)  # the projects' own rows (each at most once)
    own[[r for r, name in enumerate(model.row_names) if name.startswith("once_")]] = True
    project = model.placements.project
    locked = np.array([lock == "in" for lock in model.projects.lock], dtype=bool)
    active = start.copy()
    best, complete, last, placed = np.inf, False, None, np.zeros(n)
    while time.perf_counter() < deadline:
        try:
            with time_limit(max(deadline - time.perf_counter(), 1e-3)):
                set_deadline(highs, deadline)
                run_highs(highs)
        except TimeUp:
            break
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        y = np.asarray(highs.getSolution().row_dual, dtype=float)
        objective = float(highs.getInfo().objective_function_value)
        priced = np.bincount(columns[on_x], weights=values[on_x] * y[rows[on_x]], minlength=n)
        reduced = model.cost[:n] - priced
        bound = _lagrangian(model, y, reduced, rows, columns, values, own, project, locked)
        gaining = np.flatnonzero(~active & (reduced > _GAIN))
        complete, last = not len(gaining), y[: model.n_rows]
        placed = np.asarray(highs.getSolution().col_value, dtype=float)[:n]
        if complete:  # the LP's own value (the bound is that too, up to rounding)
            bound = objective
        if bound is not None:
            best = min(best, max(bound, objective))
        if complete:
            break
        # The best placement of each project that gains, the largest gains first.
        order = gaining[np.lexsort((-reduced[gaining], project[gaining]))]
        firsts = order[np.r_[True, np.diff(project[order]) != 0]]
        entering = firsts[np.argsort(-reduced[firsts], kind="stable")][:ENTER_PER_ROUND]
        active[entering] = True
        highs.changeColsBounds(len(entering), entering.astype(np.int32), np.zeros(len(entering)),
                               upper[entering])
    if last is None or not np.isfinite(best):
        return None
    return PricedRelaxation(float(best), last, complete, placed)


def _lagrangian(
    model: QuotaModel, y: np.ndarray, reduced: np.ndarray, rows: np.ndarray, columns: np.ndarray,
    values: np.ndarray, own: np.ndarray, project: np.ndarray, locked: np.ndarray,
) -> float | None:
    """The Lagrangian bound at duals ``y`` (see the module docstring); None when ``y`` gives none (a
    dual whose bound is infinite, or a continuous column that gains)."""
    n = model.n_x
    duals = y[: model.n_rows]
    lower, upper = model.row_lower, model.row_upper
    side = np.where(duals > _DUAL_TOL, upper, np.where(duals < -_DUAL_TOL, lower, 0.0))
    if not np.all(np.isfinite(side)):
        return None
    other = columns >= n
    continuous = model.cost[n:] - np.bincount(columns[other] - n, weights=values[other] * y[rows[other]],
                                              minlength=model.n_variables - n)
    if np.any(continuous > _GAIN):
        return None
    # Each placement's reduced cost without its project's own row, the best of each project.
    mine = (columns < n) & own[rows]
    without_own = reduced.copy()
    without_own[columns[mine]] += y[rows[mine]]
    best = np.full(len(locked), -np.inf)
    np.maximum.at(best, project, without_own)
    placed = np.isfinite(best)
    projects = np.where(locked, best, np.maximum(best, 0.0))[placed]
    return float(np.sum(duals[~own] * side[~own]) + np.sum(projects))
