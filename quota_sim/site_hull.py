"""The site-knapsack bound of a huge model with sites at given row duals, over all its placements.

The plain LP of a model whose projects may use any site is a fractional packing of the sites (one
of them may hold 1.6 projects where only one fits). This Lagrangian bound keeps each site's capacity
as a knapsack and prices every other row at duals ``y`` (the plain LP's, for one):

    ``L(y) = sum_r y_r b_r + sum_j u_j max(0, r_j) + sum_k max(0, knapsack_k(y))``

- ``r`` runs over the model's rows but the sites' capacity rows, ``b_r`` the bound the dual's sign
  points to (``y_r`` > 0: the upper, < 0: the lower);
- ``j`` over its columns that are not on a site with a capacity row (``u_j`` their upper bound; none
  may gain when it is infinite), ``r_j = c_j - a_j y`` their reduced cost;
- ``k`` over its sites with a capacity row: ``knapsack_k(y)`` is the most the projects that fit the
  site together gain, each project by its best placement there (reduced cost ``c_j - a_j y``; a plan
  puts a project on a site at most once). It is solved exactly by
  :func:`quota_sim.pattern_master.best_fit`, whose rounding never under-estimates it.

Every plan ``x`` meets each priced row, so ``c x <= c x + sum_r y_r (b_r - a_r x)``, which is at most
``L(y)`` (each site's placements in the plan are one of its knapsack's sets). It holds for any ``y`` of
the right signs; at the plain LP's duals it is at most the plain LP's value (the LP of each site's
knapsack is worth its capacity row's dual times the area). Pricing covers every placement (311,093 on
5,000 projects x 300 sites) with one product of the matrix with ``y`` and one knapsack per site; the
projects that gain most on each site (:meth:`SiteHull.leading`) are where a plan is worth looking.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from quota_sim.model import QuotaModel
from quota_sim.pattern_master import best_fit

_GAIN = 1e-6  # 万元: a placement (or column) gains when its reduced cost is above this
_DUAL_TOL = 1e-9  # a dual this small is taken as 0 (its row's bound may then be infinite)


@dataclass
class _Site:
    """A site: its index, area (mu), whether it has a capacity row, and its placements (x columns)."""

    index: int
    area: float
    capacity: bool
    columns: np.ndarray  # its placements, by project then year
    project: np.ndarray  # their project
    starts: np.ndarray  # where each distinct project's placements start in ``columns``


class SiteHull:
    """The site-knapsack bound of ``model`` (see the module docstring): :meth:`bound` at row duals."""

    def __init__(self, model: QuotaModel) -> None:
        self.model = model
        n, table = model.n_x, model.placements
        self._rows = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
        site_row = np.zeros(model.n_rows, dtype=bool)
        site_row[list(model.site_rows.values())] = True
        self.site_row = site_row  # per model row, whether it is a site's capacity row
        hull_sites = np.array(sorted(model.site_index[s] for s in model.site_rows), dtype=np.int64)
        on_hull = np.isin(table.site, hull_sites)
        # Per model column, whether it is a placement on a site with a capacity row.
        self.on_sites = np.concatenate([on_hull, np.zeros(model.n_variables - n, dtype=bool)])
        # Every site's placements, by project then year (the model's order, kept by a stable sort).
        on_site = np.flatnonzero(table.site >= 0)
        order = on_site[np.argsort(table.site[on_site], kind="stable")]
        bounds = np.r_[0, np.flatnonzero(np.diff(table.site[order])) + 1, len(order)]
        capacity = np.isin(table.site[order[bounds[:-1]]], hull_sites) if len(order) else np.zeros(0, bool)
        self.every_site: list[_Site] = []  # every site with placements
        spans = zip(bounds[:-1].tolist(), bounds[1:].tolist(), capacity.tolist(), strict=True)
        for begin, end, held in spans:
            columns = order[begin:end]
            project = table.project[columns]
            starts = np.r_[0, np.flatnonzero(np.diff(project)) + 1]
            k = int(table.site[columns[0]])
            self.every_site.append(_Site(k, float(model.sites.area_mu[k]), held, columns, project, starts))
        self.sites = [site for site in self.every_site if site.capacity]  # those with a capacity row
        self._memo_key, self._memo = b"", {}  # knapsack values at the duals last priced, by site

    def reduced(self, duals: np.ndarray) -> np.ndarray:
        """Per column of the model, its reduced cost at the model rows' ``duals``, the sites' capacity
        rows left out (万元)."""
        model = self.model
        entries = ~self.site_row[self._rows]
        weights = model.row_value[entries] * duals[self._rows[entries]]
        priced = np.bincount(model.row_index[entries], weights=weights, minlength=model.n_variables)
        return model.cost - priced

    def _best_per_project(self, site: _Site, reduced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct project of ``site``: its best placement there (x column) and its reduced cost."""
        values = reduced[site.columns]
        best = np.maximum.reduceat(values, site.starts)
        hit = np.flatnonzero(values >= np.repeat(best, np.diff(np.r_[site.starts, len(values)])))
        first = hit[np.r_[True, np.diff(site.project[hit]) != 0]]  # each project's first best placement
        return site.columns[first], best

    def site_reduced(self, duals: np.ndarray) -> np.ndarray:
        """Per x column, its reduced cost at the model rows' ``duals`` with the sites' capacity rows left
        out (万元)."""
        return self.reduced(np.where(self.site_row, 0.0, duals[: self.model.n_rows]))[: self.model.n_x]

    def bound(self, duals: np.ndarray, deadline: float = np.inf) -> float | None:
        """``L(duals)`` (万元; ``duals`` per model row, d(objective) / d(right-hand side)); None when the
        duals give no bound (a row's bound they point to is infinite, or a column of infinite upper
        bound gains), or when its knapsacks are not solved by ``deadline`` (a ``time.perf_counter()``
        value)."""
        found = self.maximiser(duals, deadline)
        return None if found is None else found[0]

    def maximiser(self, duals: np.ndarray, deadline: float = np.inf) -> tuple[float, np.ndarray] | None:
        """``L(duals)`` as :meth:`bound` gives it, and the column values that reach it: each site's
        knapsack set at 1 (a project's best placement there), every other column that gains at its
        upper bound, the rest at 0. None as for :meth:`bound`."""
        model = self.model
        duals = np.where(self.site_row, 0.0, duals[: model.n_rows])
        lower, upper = model.row_lower, model.row_upper
        side = np.where(duals > _DUAL_TOL, upper, np.where(duals < -_DUAL_TOL, lower, 0.0))
        if not np.all(np.isfinite(side)):
            return None
        reduced = self.reduced(duals)
        free = ~self.on_sites & (reduced > _GAIN)
        if np.any(free & ~np.isfinite(model.upper)):
            return None
        values = np.where(free, model.upper, 0.0)
        total = float(np.sum(duals * side)) + float(np.sum(reduced[free] * model.upper[free]))
        key = duals.tobytes()
        for site in self.sites:
            if time.perf_counter() >= deadline:
                return None
            value, chosen = self._knapsack(site, *self._best_per_project(site, reduced), key)
            total += value
            values[chosen] = 1.0
        return total, values

    def _knapsack(
        self, site: _Site, columns: np.ndarray, best: np.ndarray, key: bytes
    ) -> tuple[float, np.ndarray]:
        """The most the projects that fit ``site`` together gain, each by its placement ``columns`` at
        reduced cost ``best`` (万元, 0 when none gains), and those placements; remembered for the duals
        ``key`` (:meth:`bound` and :meth:`site_gains` at the same duals solve each knapsack once)."""
        if key != self._memo_key:
            self._memo_key, self._memo = key, {}
        if site.index not in self._memo:
            positive = np.flatnonzero(best > _GAIN)
            land = self.model.projects.land_mu[site.project[site.starts[positive]]]
            value, chosen = best_fit(land, best[positive], site.area) if len(positive) else (0.0, positive)
            self._memo[site.index] = (value, columns[positive[chosen]]) if value > 0 else (0.0, columns[:0])
        return self._memo[site.index]

    def leading(self, duals: np.ndarray, count: int) -> np.ndarray:
        """Per x column, whether it is the best placement of one of the ``count`` projects that gain most
        on its site at ``duals`` (the sites' capacity rows left out)."""
        reduced = self.site_reduced(duals)
        chosen = np.zeros(self.model.n_x, dtype=bool)
        for site in self.sites:
            columns, best = self._best_per_project(site, reduced)
            chosen[columns[np.argsort(-best, kind="stable")[:count]]] = True
        return chosen

    def site_gains(
        self, duals: np.ndarray, count: int, deadline: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None:
        """At ``duals`` (the sites' capacity rows left out), per site with placements: its index, the most
        the projects that fit it together gain (万元: its knapsack where it has a capacity row, else the
        sum of every gain; 0 when nothing gains) and the ``count`` projects that gain most on it, best
        first. None when the knapsacks are not solved by ``deadline``."""
        reduced = self.site_reduced(duals)
        key = np.where(self.site_row, 0.0, duals[: self.model.n_rows]).tobytes()  # as in :meth:`bound`
        values, leading = np.zeros(len(self.every_site)), []
        for i, site in enumerate(self.every_site):
            columns, best = self._best_per_project(site, reduced)
            if site.capacity:
                if time.perf_counter() >= deadline:
                    return None
                values[i] = self._knapsack(site, columns, best, key)[0]
            else:
                values[i] = float(np.sum(best[best > _GAIN]))
            leading.append(site.project[site.starts[np.argsort(-best, kind="stable")[:count]]])
        return np.array([site.index for site in self.every_site], dtype=np.int64), values, leading
