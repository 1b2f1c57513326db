"""Site patterns priced in as the LP asks for them: the bound of every site's knapsack hull, and a plan.

Where a site has too many candidates for all its maximal fits to be listed (:mod:`quota_sim.site_patterns`
then draws them from its largest candidates only), its patterns are generated instead (column
generation over the Dantzig-Wolfe master). Appended to the model's rows, per site with a capacity row:

- ``sum_S y[k, S] <= 1``: the site holds at most one pattern (dual ``mu[k]``);
- ``sum_t x[p, k, t] - sum_{S contains p} y[k, S] <= 0`` for *every* candidate ``p`` (dual ``pi[k, p]``).

The master starts from a few patterns per site and solves its LP; the best new pattern of site ``k``
is the knapsack ``max sum_{p in S} pi[k, p]`` over the sets ``S`` whose land (mu) fits the area, and it
enters when that beats ``mu[k]``. The knapsack is solved exactly by dynamic programming over land in
steps of at least 0.1 mu, each project's land rounded down and the area up, so its value is never
under-estimated. The LP of a master holding only some patterns is not a bound, but it plus every
site's best gain ``max(0, knapsack - mu[k])`` is (Lagrangian bound: the full master's LP, hence every
plan, is at most that); the smallest seen is kept, and once no pattern gains it is the LP's value.

A plan comes from diving on the master: placements the LP sets at 1 or near it are fixed to 1, the
LP is solved again (pricing new patterns as it needs them), and so on until every placement is 0 or
1; a batch whose fixing leaves no feasible LP is fixed to 0 instead. A plan with every x at 0 or 1 in
a feasible master LP keeps every rule of the model: each project placed on a site lies in every
pattern the site holds (its linking row), so the projects on a site fit it together.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from quota_sim.interrupts import run_highs, set_deadline
from quota_sim.model import QuotaModel
from quota_sim.site_patterns import FIT_TOL_MU

INITIAL_PER_SITE = 60  # most initial patterns of a site (one grown from each candidate, largest first)
DIVE_FIX = 0.6  # the dive fixes to 1 every placement the LP sets at least this high (or its largest)
_STEP_MU = 0.1  # finest land step of the pricing knapsack (mu)
_MAX_STEPS = 20_000  # most land steps of one site's knapsack (coarser steps on larger sites)
_INTEGRAL = 1e-6  # a placement within this of 0 or 1 is integral


@dataclass
class _Site:
    """One site of the master: its area (mu), candidate projects, their columns, and its rows."""

    index: int
    area: float
    projects: np.ndarray  # candidate project indices
    land: np.ndarray  # their land (mu)
    value: np.ndarray  # their best placement value on the site (万元)
    convexity: int  # row of sum_S y[k, S] <= 1
    links: np.ndarray  # per candidate, its linking row

    def position(self, project: int) -> int:
        return int(np.searchsorted(self.projects, project))


class PatternMaster:
    """The model's LP with site patterns generated as needed (see the module docstring).

    Build it, then :meth:`solve` for the bound; :meth:`dive` for a plan. ``highs`` holds the master;
    ``plans`` (column values of the model) give it their sites' sets of projects as patterns too.
    """

    def __init__(self, model: QuotaModel, highs: highspy.Highs, plans: Sequence[np.ndarray] = ()) -> None:
        self.model = model
        self.highs = highs
        self.bound = np.inf  # the smallest upper bound seen on every plan (万元)
        self.sites: list[_Site] = []
        self._by_index: dict[int, _Site] = {}
        self.guide: np.ndarray | None = None  # placements' values in the dive's last feasible LP
        self.priced_out = False  # pricing stopped because no pattern gained enough, not by the deadline
        self._seen: set[tuple[int, tuple[int, ...]]] = set()
        highs.passModel(model.highs_lp(relax=True))
        table, land = model.placements, model.projects.land_mu
        rows = model.n_rows
        lower, upper, starts, index = [], [], [], []
        for site_id in model.site_rows:
            k = model.site_index[site_id]
            columns = np.flatnonzero(table.site == k)
            projects, counts = np.unique(table.project[columns], return_counts=True)
            convexity = rows
            links = np.arange(rows + 1, rows + 1 + len(projects))
            rows += 1 + len(projects)
            lower += [-highspy.kHighsInf] * (1 + len(projects))
            upper += [1.0] + [0.0] * len(projects)
            starts.append(len(index))
            order = columns[np.argsort(table.project[columns], kind="stable")]
            placed = np.split(order, np.cumsum(counts)[:-1])
            for of_project in placed:
                starts.append(len(index))
                index += of_project.tolist()
            value = np.array([float(np.max(model.values[of_project])) for of_project in placed])
            site = _Site(k, float(model.sites.area_mu[k]), projects, land[projects], value, convexity, links)
            self.sites.append(site)
            self._by_index[k] = site
        index_array = np.array(index, dtype=np.int32)
        highs.addRows(len(lower), np.array(lower), np.array(upper), len(index_array),
                      np.array(starts, dtype=np.int32), index_array, np.ones(len(index_array)))
        for site in self.sites:
            for members in _initial_patterns(site, model.projects.lock):
                self._add(site, members)
        for plan in plans:  # the projects each plan puts on a site, made maximal
            on = np.flatnonzero((plan[: model.n_x] > 0.5) & (table.site >= 0))
            for k in np.unique(table.site[on]).tolist():
                site = self._by_index.get(k)
                placed = table.project[on[table.site[on] == k]].tolist()
                members = None if site is None else _maximal(site, [site.position(p) for p in placed])
                if members is not None:
                    self._add(site, members)

    @property
    def n_patterns(self) -> int:
        return len(self._seen)

    def _add(self, site: _Site, members: list[int]) -> bool:
        """Add the pattern of candidates ``members`` (positions in ``site.projects``); False if known."""
        key = (site.index, tuple(sorted(members)))
        if key in self._seen:
            return False
        self._seen.add(key)
        rows = np.concatenate([[site.convexity], site.links[members]]).astype(np.int32)
        values = np.concatenate([[1.0], -np.ones(len(members))])
        # No upper bound of its own (the site's row keeps it within 1), so the site's row carries the dual.
        self.highs.addCol(0.0, 0.0, highspy.kHighsInf, len(rows), rows, values)
        return True

    def _run(self, deadline: float) -> bool:
        """Solve the master LP until ``deadline``; whether it is solved to optimality."""
        set_deadline(self.highs, deadline)
        run_highs(self.highs)
        return self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def _price(self) -> tuple[int, float]:
        """Add the best new pattern of every site that gains; (patterns added, sum of the gains)."""
        dual = np.asarray(self.highs.getSolution().row_dual)
        added, gains = 0, 0.0
        for site in self.sites:
            pi = dual[site.links]
            positive = np.flatnonzero(pi > 1e-9)
            if not len(positive):
                continue
            value, chosen = best_fit(site.land[positive], pi[positive], site.area)
            gain = value - dual[site.convexity]
            if gain <= 1e-9 * max(1.0, abs(value)):
                continue
            gains += gain
            members = _maximal(site, positive[chosen].tolist())
            if members is not None and self._add(site, members):
                added += 1
        return added, gains

    def solve(self, deadline: float, tolerance: float = 0.0) -> bool:
        """Price patterns in until none gains, the bound is within ``tolerance`` (relative) of the LP's
        value, or ``deadline``; whether the master LP was solved (then :attr:`bound` is an upper bound
        on every plan, 万元)."""
        solved = False
        while self._run(deadline):
            solved = True
            objective = self.objective
            added, gains = self._price()
            self.bound = min(self.bound, objective + gains)
            close = self.bound - objective <= tolerance * abs(objective)
            self.priced_out = not added or close
            if self.priced_out or time.perf_counter() >= deadline:
                break
        return solved

    @property
    def objective(self) -> float:
        return float(self.highs.getInfo().objective_function_value)

    def row_duals(self) -> np.ndarray:
        """The duals of the model's own rows in the master LP last solved (万元 per unit)."""
        return np.asarray(self.highs.getSolution().row_dual, dtype=float)[: self.model.n_rows]

    def _reprice(self, deadline: float) -> bool:
        """Solve the master again, then price once (and solve again if a pattern entered); whether it
        has a feasible LP."""
        if not self._run(deadline):
            return False
        return not self._price()[0] or self._run(deadline)

    def _bounds(self, columns: np.ndarray, lower: float, upper: float) -> None:
        self.highs.changeColsBounds(
            len(columns), columns.astype(np.int32), np.full(len(columns), lower), np.full(len(columns), upper)
        )

    def x(self) -> np.ndarray:
        """The placements' values in the master LP last solved."""
        return np.asarray(self.highs.getSolution().col_value)[: self.model.n_x]

    def solved(self, deadline: float) -> bool:
        """Whether the master LP is solved to optimality, solving it again until ``deadline`` when its
        last run was stopped (pricing stopped by its time)."""
        optimal = self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return optimal or self._run(deadline)

    def dive(self, deadline: float) -> np.ndarray | None:
        """Column values of the model (its own columns) for a plan found by diving on the solved
        master, or None when the deadline comes first or no feasible LP is left."""
        if not self.solved(deadline):  # a point of a stopped LP is no guide, and may fix an infeasible set
            return None
        n = self.model.n_x
        fixed = np.zeros(n, dtype=bool)  # placements fixed to 0 or 1
        on = np.zeros(n, dtype=bool)  # placements fixed to 1
        while time.perf_counter() < deadline:
            x = self.guide = self.x()
            fractional = np.flatnonzero(~fixed & (x > _INTEGRAL) & (x < 1 - _INTEGRAL))
            if not len(fractional):
                on = x > 0.5
                self._bounds(np.flatnonzero(on & ~fixed), 1.0, 1.0)
                self._bounds(np.flatnonzero(~on & ~fixed), 0.0, 0.0)
                if not self._run(deadline):
                    return None
                return np.asarray(self.highs.getSolution().col_value)[: self.model.n_variables]
            ones = np.flatnonzero(~fixed & (x >= 1 - _INTEGRAL))
            self._bounds(ones, 1.0, 1.0)
            fixed[ones] = on[ones] = True
            by_value = fractional[np.argsort(-x[fractional], kind="stable")]
            largest = by_value[:1]
            count = max(1, int(np.sum(x[fractional] >= DIVE_FIX)))
            while True:  # the placements at DIVE_FIX or more, then their better half, ..., the largest
                pick = by_value[:count]
                self._bounds(pick, 1.0, 1.0)
                on[pick] = True
                if self._cover(on) and self._reprice(deadline):
                    break
                self._bounds(pick, 0.0, 1.0)  # no plan holds them all
                on[pick] = False
                if count == 1:
                    break
                count //= 2
            if not on[largest[0]]:
                self._bounds(largest, 0.0, 0.0)  # no plan holds it: it is left out
                if not self._reprice(deadline):
                    return None
            fixed[pick] = True
        return None

    def _cover(self, on: np.ndarray) -> bool:
        """Give every site a pattern holding the projects fixed on it (``on``: placements fixed to 1),
        so the master LP need not find one by pricing, which it cannot do once it has no feasible LP;
        False when those projects do not fit a site together."""
        table = self.model.placements
        columns = np.flatnonzero(on & (table.site >= 0))
        by_site: dict[int, list[int]] = {}
        for k, p in zip(table.site[columns].tolist(), table.project[columns].tolist(), strict=True):
            by_site.setdefault(k, []).append(p)
        for k, projects in by_site.items():
            site = self._by_index.get(k)
            if site is None or len(projects) < 2:
                continue  # a site with no capacity row, or one project: its patterns hold it already
            members = _maximal(site, [site.position(p) for p in projects])
            if members is None:
                return False
            self._add(site, members)
        return True


def _filled(site: _Site, members: list[int], order: list[int]) -> list[int] | None:
    """``members`` (positions in ``site.projects``) with the other candidates that still fit added in
    ``order``; None when ``members`` themselves do not fit the site (by the knapsack's rounding)."""
    room = site.area - float(np.sum(site.land[members]))
    if room < -FIT_TOL_MU:
        return None
    chosen = set(members)
    for i in order:
        if i not in chosen and site.land[i] <= room + FIT_TOL_MU:
            members.append(i)
            room -= float(site.land[i])
    return members


def _maximal(site: _Site, members: list[int]) -> list[int] | None:
    """``members`` with the other candidates that still fit added, largest first (:func:`_filled`)."""
    return _filled(site, members, np.argsort(-site.land, kind="stable").tolist())


def _initial_patterns(site: _Site, lock: list[str]) -> list[list[int]]:
    """A few maximal patterns of a site: from each of its largest candidates, the candidates locked in
    (largest first), then the others (largest first), while they fit."""
    by_size = np.argsort(-site.land, kind="stable").tolist()
    locked = [i for i in by_size if lock[int(site.projects[i])] == "in"]
    rest = [i for i in by_size if lock[int(site.projects[i])] != "in"]
    filled = (_filled(site, [seed], locked + rest) for seed in by_size[:INITIAL_PER_SITE])
    return [members for members in filled if members is not None]


def best_fit(land: np.ndarray, value: np.ndarray, area: float) -> tuple[float, np.ndarray]:
    """The knapsack: the most ``value`` a set of items whose ``land`` (mu) fits ``area`` holds, and
    that set (indices). Exact over land steps of at least 0.1 mu (finer data is rounded: land down,
    area up, so the value is never below the true one; the set may then not fit by that rounding).
    Items that no set better than a greedy one can hold (:func:`_needed`) are left out first."""
    needed = _needed(land, value, area + FIT_TOL_MU)
    found, chosen = _dynamic_programme(land[needed], value[needed], area)
    return found, needed[chosen]


def _needed(land: np.ndarray, value: np.ndarray, area: float) -> np.ndarray:
    """The items (indices, ascending) that may belong to a set of ``land`` within ``area`` worth more than
    the greedy set (items by value per mu, each taken when it still fits). Item ``i`` may not when even
    the LP of the knapsack with ``i`` taken first, ``value[i]`` plus the best fractional fill of
    ``area - land[i]`` by every item, is below the greedy set's value; items of no value never help."""
    useful = np.flatnonzero((value > 0) & (land <= area))
    if len(useful) < 2:
        return useful
    order = useful[np.argsort(-value[useful] / np.maximum(land[useful], 1e-12), kind="stable")]
    weights, values = land[order], value[order]
    room, greedy = area, 0.0
    for weight, worth in zip(weights.tolist(), values.tolist(), strict=True):
        if weight <= room:
            room -= weight
            greedy += worth
    greedy = max(greedy, float(values.max()))
    filled_land, filled_value = np.r_[0.0, np.cumsum(weights)], np.r_[0.0, np.cumsum(values)]
    left = area - weights  # room left once item i is in
    whole = np.searchsorted(filled_land, left, side="right") - 1  # items that fit whole in that room
    cut = np.minimum(whole, len(order) - 1)  # the first item that does not (its share fills the rest)
    share = (left - filled_land[whole]) * values[cut] / np.maximum(weights[cut], 1e-12)
    partial = np.where(whole < len(order), share, 0.0)
    most = values + filled_value[whole] + partial
    return np.sort(order[most >= greedy * (1 - 1e-12) - 1e-9])


def _dynamic_programme(land: np.ndarray, value: np.ndarray, area: float) -> tuple[float, np.ndarray]:
    """:func:`best_fit` over every item given, by dynamic programming over land steps."""
    step = max(_STEP_MU, area / _MAX_STEPS)
    weight = np.floor(land / step + 1e-9).astype(np.int64)
    capacity = int(np.floor((area + FIT_TOL_MU) / step + 1e-9))
    best = np.zeros(capacity + 1)
    took = np.zeros((len(weight), capacity + 1), dtype=bool)
    for i, w in enumerate(weight.tolist()):
        if w > capacity:
            continue
        with_item = np.full(capacity + 1, -np.inf)
        with_item[w:] = best[: capacity + 1 - w] + value[i]
        took[i] = with_item > best
        best = np.maximum(best, with_item)
    chosen, room = [], capacity
    for i in range(len(weight) - 1, -1, -1):
        if took[i, room]:
            chosen.append(i)
            room -= int(weight[i])
    return float(best[capacity]), np.array(chosen[::-1], dtype=np.int64)
