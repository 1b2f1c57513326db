"""Better duals for the site-knapsack bound: its Lagrangian dual, solved over the sites' patterns.

:class:`quota_sim.site_hull.SiteHull` bounds every plan by ``L(y)`` at any row duals ``y`` of the right
signs. The plain LP's duals give one such bound; the smallest over all ``y`` is the value of the
Dantzig-Wolfe master whose columns are the sites' patterns (a set of placements on one site that fit
it together), which the plain LP's duals rarely reach. :func:`tightest_bound` comes close to it:

1. Subgradient steps from the plain LP's duals. Each step solves every site's knapsack at ``y``
   (:meth:`SiteHull.maximiser`), whose placements ``x`` give the subgradient ``b - A x`` of ``L`` on the
   rows, and moves ``y`` against it by a Polyak step towards the best plan's worth (its share shrunk
   by STEP_SHRINK when ``L`` does not fall). Only the rows that no column off the sites touches move,
   so no supply use column can gain without limit.
2. Column generation. The master LP has the model's rows but the sites' capacity rows, one row per site
   (at most one pattern), the model's columns that are not on such a site, and every pattern met so
   far: the knapsack sets of the steps and the sites' sets in the plans given. The next knapsacks are
   solved at its row duals smoothed towards the best duals so far (Wentges: half each), and their sets
   enter the master; at the master's own duals when none was new.

Every ``L`` computed is an upper bound on every plan; the smallest is kept. The master LP's value is at
most the Lagrangian dual, so once the smallest ``L`` is within ``tolerance`` of it no duals give a much
better bound and the work stops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import highspy
import numpy as np

from quota_sim.interrupts import run_highs, set_deadline
from quota_sim.site_hull import SiteHull

SUBGRADIENT_STEPS = 10  # steps before the master (their knapsack sets make its first patterns)
STEP_SHRINK = 0.7  # the Polyak step's share is multiplied by this when L does not fall
SMOOTHING = 0.5  # the next knapsacks' duals: this much of the best duals so far, the rest the master's
_ON = 0.5  # a placement above this is in the plan


def tightest_bound(
    hull: SiteHull, duals: np.ndarray, plans: Sequence[np.ndarray], worth: float | None,
    new_highs: Callable[[], highspy.Highs], improve_by: float, tolerance: float, deadline: float = np.inf,
) -> tuple[float, np.ndarray] | None:
    """The smallest site-knapsack bound found from the row ``duals`` (the plain LP's) until
    ``improve_by``, and its duals; None when the bound at ``duals`` itself is not found by ``deadline``
    (both ``time.perf_counter()`` values). ``plans`` (column values of the model) give the master its
    first patterns, ``worth`` (万元, the best plan's; None: no steps) the steps' target; ``new_highs``
    makes the master's HiGHS; ``tolerance`` is relative (see the module docstring)."""
    found = hull.maximiser(duals, deadline)
    if found is None:
        return None
    deadline = min(deadline, improve_by)
    search = _Duals(hull, duals, found, worth)
    master = _Master(hull, new_highs())
    for plan in plans:
        master.add(_sets_of(hull, plan))
    master.add(_sets_of(hull, found[1]))
    for _ in range(SUBGRADIENT_STEPS):
        if time.perf_counter() >= deadline or not search.step(deadline, master):
            break
    while time.perf_counter() < deadline:
        value = master.solve(deadline)
        if value is None or search.bound - value <= tolerance * abs(search.bound):
            break
        smoothed = SMOOTHING * search.duals + (1 - SMOOTHING) * master.duals
        entered = search.evaluate(smoothed, deadline, master)
        if not entered and not search.evaluate(master.duals, deadline, master):
            break  # no pattern gains at the master's duals: its value is the Lagrangian dual
    return search.bound, search.duals


def _sets_of(hull: SiteHull, values: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Per site with a capacity row (its position in ``hull.sites``), the placements that ``values``
    (column values of the model) sets there."""
    on = values[: hull.model.n_x] > _ON
    return [(i, site.columns[on[site.columns]]) for i, site in enumerate(hull.sites)]


class _Duals:
    """The best duals so far and their bound, and the subgradient steps from them."""

    def __init__(
        self, hull: SiteHull, duals: np.ndarray, found: tuple[float, np.ndarray], worth: float | None
    ) -> None:
        model = hull.model
        self.hull = hull
        self.rows = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
        touched = np.zeros(model.n_rows, dtype=bool)  # rows a column off the capacity sites touches
        touched[self.rows[~hull.on_sites[model.row_index]]] = True
        self.moving = ~hull.site_row & ~touched
        self.duals = np.where(hull.site_row, 0.0, duals[: model.n_rows])
        self.bound = found[0]
        self.at, self.at_bound, self.at_values = self.duals, found[0], found[1]  # the steps' point
        self.worth = worth
        self.share = 1.0

    def evaluate(self, duals: np.ndarray, deadline: float, master: _Master) -> bool:
        """``L`` at ``duals``, kept if smallest; its knapsack sets enter ``master``: whether one was new."""
        found = self.hull.maximiser(duals, deadline)
        if found is None:
            return False
        if found[0] < self.bound:
            self.bound, self.duals = found[0], duals
        return master.add(_sets_of(self.hull, found[1]))

    def step(self, deadline: float, master: _Master) -> bool:
        """One subgradient step from the steps' point; False when it cannot move (no subgradient, or
        the bound at the new point not found by ``deadline``)."""
        model = self.hull.model
        used = np.bincount(self.rows, weights=model.row_value * self.at_values[model.row_index],
                           minlength=model.n_rows)
        y, lower, upper = self.at, model.row_lower, model.row_upper
        beyond = np.where(used > upper, upper - used, np.where(used < lower, lower - used, 0.0))
        slope = np.where(y > 0, upper - used, np.where(y < 0, lower - used, beyond))
        slope = np.where(self.moving & np.isfinite(slope), slope, 0.0)
        norm = float(slope @ slope)
        if norm <= 0.0 or self.worth is None or self.at_bound <= self.worth:
            return False
        moved = y - self.share * (self.at_bound - self.worth) / norm * slope
        moved = np.where(np.isfinite(lower), moved, np.maximum(moved, 0.0))
        moved = np.where(np.isfinite(upper), moved, np.minimum(moved, 0.0))
        found = self.hull.maximiser(moved, deadline)
        if found is None:
            return False
        if found[0] >= self.bound:
            self.share *= STEP_SHRINK
        else:
            self.bound, self.duals = found[0], moved
        self.at, self.at_bound, self.at_values = moved, found[0], found[1]
        master.add(_sets_of(self.hull, found[1]))
        return True


class _Master:
    """The restricted Dantzig-Wolfe master LP over the sites' patterns (see the module docstring)."""

    def __init__(self, hull: SiteHull, highs: highspy.Highs) -> None:
        model = hull.model
        self.hull, self.highs = hull, highs
        self.kept = np.flatnonzero(~hull.site_row)  # the model's rows in the master, in order
        self.position = np.full(model.n_rows, -1)  # each model row's row in the master (-1: none)
        self.position[self.kept] = np.arange(len(self.kept))
        off = np.flatnonzero(~hull.on_sites)  # the model's columns that are not on a capacity site
        n_sites = len(hull.sites)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(off), len(self.kept) + n_sites
        lp.col_cost_ = model.cost[off]
        lp.col_lower_ = np.zeros(len(off))
        lp.col_upper_ = model.upper[off]
        lp.row_lower_ = np.r_[model.row_lower[self.kept], np.full(n_sites, -highspy.kHighsInf)]
        lp.row_upper_ = np.r_[model.row_upper[self.kept], np.ones(n_sites)]
        starts, index, value = self._sums([np.array([j]) for j in off.tolist()])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = starts, index, value
        lp.sense_ = highspy.ObjSense.kMaximize
        highs.passModel(lp)
        self.duals = np.zeros(model.n_rows)
        self._seen: set[tuple[int, bytes]] = set()

    def _sums(self, groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group of the model's columns, the sum of their columns on the master's rows, compressed
        by column (starts, row indices, values)."""
        columns = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
        group = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        count, rows, values = self.hull.model.by_column.entries(columns)
        rows, group = self.position[rows], np.repeat(group, count)
        held = rows >= 0
        keys, where = np.unique(group[held] * len(self.kept) + rows[held], return_inverse=True)
        sums = np.bincount(where, weights=values[held], minlength=len(keys))
        starts = np.searchsorted(keys // len(self.kept), np.arange(len(groups) + 1))
        return starts.astype(np.int32), (keys % len(self.kept)).astype(np.int32), sums

    def add(self, sets: list[tuple[int, np.ndarray]]) -> bool:
        """Add each (site position, placements) not met before and not empty as a pattern; whether one
        was new."""
        new = []
        for i, columns in sets:
            key = (i, np.sort(columns).tobytes())
            if len(columns) and key not in self._seen:
                self._seen.add(key)
                new.append((i, columns))
        if not new:
            return False
        starts, index, value = self._sums([columns for _, columns in new])
        # Each pattern also holds its site's row (at most one pattern per site).
        site_rows = len(self.kept) + np.array([i for i, _ in new])
        counts = np.diff(starts)
        index = np.insert(index, starts[1:], site_rows.astype(np.int32))
        value = np.insert(value, starts[1:], 1.0)
        starts = np.r_[0, np.cumsum(counts + 1)].astype(np.int32)
        cost = np.array([float(np.sum(self.hull.model.cost[columns])) for _, columns in new])
        self.highs.addCols(len(new), cost, np.zeros(len(new)), np.full(len(new), highspy.kHighsInf),
                           len(index), starts[:-1], index, value)
        return True

    def solve(self, deadline: float) -> float | None:
        """Solve the master LP until ``deadline``: its value (万元; None if not solved), its row duals
        in :attr:`duals` (per model row; the sites' capacity rows 0)."""
        set_deadline(self.highs, deadline)
        run_highs(self.highs)
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        self.duals = np.zeros(self.hull.model.n_rows)
        self.duals[self.kept] = np.asarray(self.highs.getSolution().row_dual)[: len(self.kept)]
        return float(self.highs.getInfo().objective_function_value)
