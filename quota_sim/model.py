"""Build the allocation MILP of SPEC §2 and §5 as arrays, the form HiGHS takes.

Variables (columns; only those that can be non-zero are created):

- ``x[p, z, k, t]`` binary, one per *placement* (:data:`Placement`): project ``p`` approved in zone
  ``z`` on site ``k`` (None in a scenario without sites) starting in horizon year ``t``. A placement
  exists only where ``z`` passes the screens and admission list, ``k`` is one of the project's
  candidate sites in ``z`` with area_mu >= land_mu, max(earliest_year, ready_year_k) <= t <=
  latest_year, and the project alone fits every quota;
- ``use[q, s, z, t]`` >= 0: units of source ``s`` of quota ``q`` consumed in year ``t`` by projects in
  zone ``z`` (a city source may serve every zone, a zone source only its own).

Rows: each project at most once (exactly once when locked in); per quota, zone and year the charges of
the projects started there (``ratio * demand * share_q(k)`` on site ``k``) equal the use drawn for them;
per source (per zone for zone sources) and year the use never exceeds the supply (cumulatively with
carry-over); per site the land of the projects placed on it over the horizon stays within its area; the
purchase cost stays within budget.

With ``elastic=True`` the model answers "how much more supply would make the locks feasible": only
locked-in projects get variables, each source gets ``extra[q, s, zone, t]`` >= 0 added to its supply
in year ``t``, each site ``extra_site[k]`` mu added to its area, and the objective minimises the
extra (each quota scaled by its largest amount, each site by its area).

The model is numpy arrays, built a block of placements at a time (never one Python object per
placement): the x columns come first, project by project, then ``use``, ``extra``, ``extra_site`` and
``extra_budget``; the matrix is held in compressed rows. :meth:`QuotaModel.highs_lp` hands it to HiGHS
as is; CBC and SCIP read the same arrays (:mod:`quota_sim.solve`). Names are those of docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import highspy
import numpy as np

from quota_sim.placements import PlacementSpace, PlacementTable
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario
from quota_sim.sites import Sites
from quota_sim.supply import CITY, NO_BUDGET, SupplyKey, project_room, serves, supply_keys, supply_limits
from quota_sim.valuation import base_values, placement_value

_FIT_TOL = 1e-9

Placement = tuple[int, str, str | None, int]  # (project index, zone id, site id or None, year index)
UseKey = tuple[str, str, str, int]  # (quota id, source id, demand zone id, year index)
SupplyRowKey = tuple[str, str, SupplyKey, int]  # (quota id, source id, CITY or zone id, year index)


@dataclass
class QuotaModel:
    """The MILP as arrays, and the index maps that tie its columns and rows back to projects and quotas.

    Column ``j < n_x`` is the placement ``(placements.project[j], zone, site, placements.year[j])``;
    ``use``, ``extra``, ``extra_site`` and ``extra_budget`` give the column of every other variable,
    ``supply_rows``, ``site_rows`` and ``budget_row`` the row of those constraints. Every column has
    lower bound 0; the x columns are binary, the others continuous.
    """

    scenario: Scenario
    projects: Projects
    space: PlacementSpace  # where and when each project may start, and its charges
    placements: PlacementTable  # the placement of each x column
    values: np.ndarray  # objective coefficient of each x column, 万元
    cost: np.ndarray  # objective coefficient of every column (万元 per unit; elastic: scaled extra)
    upper: np.ndarray  # upper bound of every column (inf for continuous columns)
    row_names: list[str]
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_start: np.ndarray  # compressed rows: row r's entries are row_start[r] .. row_start[r + 1] - 1
    row_index: np.ndarray  # column of each entry
    row_value: np.ndarray  # coefficient of each entry
    other_names: list[str]  # names of the columns after the x columns, in column order
    use: dict[UseKey, int] = field(default_factory=dict)
    supply_rows: dict[SupplyRowKey, int] = field(default_factory=dict)
    budget_row: int | None = None
    elastic: bool = False
    extra: dict[SupplyRowKey, int] = field(default_factory=dict)
    extra_budget: int | None = None
    unplaceable_locks: list[int] = field(default_factory=list)  # lock-in projects with no placement
    site_rows: dict[str, int] = field(default_factory=dict)  # site id -> capacity row
    extra_site: dict[str, int] = field(default_factory=dict)  # elastic: column of the mu added to a site

    @property
    def n_x(self) -> int:
        """Number of placement (binary) columns."""
        return len(self.placements)

    @property
    def n_variables(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    @cached_property
    def by_column(self) -> ColumnMatrix:
        """The matrix by columns, built once on first use."""
        return ColumnMatrix(self)

    @cached_property
    def x(self) -> dict[Placement, int]:
        """Placement -> its column."""
        zone_ids = self.scenario.zone_ids()
        site_ids = [None] if self.sites is None else [*self.sites.ids, None]  # index -1: no site
        t = self.placements
        keys = zip(
            t.project.tolist(), [zone_ids[z] for z in t.zone.tolist()],
            [site_ids[k] for k in t.site.tolist()], t.year.tolist(), strict=True,
        )
        return {key: j for j, key in enumerate(keys)}

    @cached_property
    def value(self) -> dict[Placement, float]:
        """Placement -> its objective coefficient (万元)."""
        return dict(zip(self.x, self.values.tolist(), strict=True))

    @property
    def sites(self) -> Sites | None:
        return self.space.sites

    @property
    def charges(self) -> dict[str, np.ndarray]:
        """Per quota, ratio * demand of every project (before site shares)."""
        return self.space.charges

    @property
    def eligible(self) -> list[list[str]]:
        """Per project, the candidate zones passing the screens and admission lists."""
        return self.space.eligible

    @property
    def screen_failures(self) -> list[str]:
        """Per project, what failed in each candidate zone ("" when some zone passes)."""
        return self.space.failures

    @property
    def first_year(self) -> np.ndarray:
        return self.space.first_year

    @property
    def site_index(self) -> dict[str, int]:
        return {} if self.sites is None else self.sites.index

    def charge(self, quota: str, p: int, site: str | None) -> float:
        """What project ``p`` charges ``quota`` on ``site`` (ratio * demand * share_q(site)), quota units."""
        return self.space.charge(quota, p, None if site is None else self.site_index[site])

    def column_names(self) -> list[str]:
        """Every column's name (docs/model.md): ``x_p_z_t`` (``x_p_k_t`` on site k), then the others."""
        t = self.placements
        place = t.zone if self.sites is None else t.site
        keys = zip(t.project.tolist(), place.tolist(), t.year.tolist(), strict=True)
        names = [f"x_{p}_{z}_{y}" for p, z, y in keys]
        return names + self.other_names

    def highs_lp(self, *, relax: bool = False) -> highspy.HighsLp:
        """The model as a HiGHS model (without names): costs, bounds, integrality and the row-wise matrix;
        ``relax`` leaves the integrality out (the LP relaxation)."""
        lp = highspy.HighsLp()
        n = self.n_variables
        lp.num_col_ = n
        lp.num_row_ = self.n_rows
        lp.col_cost_ = self.cost
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = self.upper
        if not relax:
            integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
            lp.integrality_ = [integer] * self.n_x + [continuous] * (n - self.n_x)
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = self.row_start
        lp.a_matrix_.index_ = self.row_index
        lp.a_matrix_.value_ = self.row_value
        lp.sense_ = highspy.ObjSense.kMinimize if self.elastic else highspy.ObjSense.kMaximize
        return lp


class _Rows:
    """Rows as they are added: names, bounds and their (row, column, coefficient) entries in blocks."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, name: str, lower: float, upper: float) -> int:
        """A new row; its index."""
        self.names.append(name)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.names) - 1

    def enter(
        self, rows: np.ndarray | int, columns: np.ndarray | list[int], values: np.ndarray | float
    ) -> None:
        """Coefficients ``values`` at (``rows``, ``columns``); a row keeps its entries in entry order."""
        columns = np.asarray(columns, dtype=np.int32)
        self.entries.append((
            np.broadcast_to(np.asarray(rows, dtype=np.int64), columns.shape),
            columns,
            np.broadcast_to(np.asarray(values, dtype=float), columns.shape),
        ))

    def compressed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, index, value) of the rows in compressed-row form."""
        rows = np.concatenate([r for r, _c, _v in self.entries] or [np.zeros(0, dtype=np.int64)])
        order = np.argsort(rows, kind="stable")
        index = np.concatenate([c for _r, c, _v in self.entries] or [np.zeros(0, dtype=np.int32)])[order]
        value = np.concatenate([v for _r, _c, v in self.entries] or [np.zeros(0)])[order]
        start = np.zeros(len(self.names) + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=len(self.names)), out=start[1:])
        return start, index, value


def build_model(
    scenario: Scenario, projects: Projects, *, elastic: bool = False, keep: np.ndarray | None = None
) -> QuotaModel:
    """Build the MILP (or, with ``elastic``, the smallest-extra model for the locks).

    Sites come from ``scenario.sites``; without them every placement's site is None. ``keep`` (a bool
    per placement of the model built without it) builds the model of those placements only: each of
    its plans is a plan of the whole model, with the same value.
    """
    years = scenario.years
    zone_ids = scenario.zone_ids()
    quotas = scenario.quotas
    space = PlacementSpace.of(scenario, projects)
    limits = {
        (q.id, s.id, key): supply_limits(q, s, key, years)
        for q in quotas
        for s in q.sources
        for key in supply_keys(s, zone_ids)
    }
    locked_in = np.array([lock == "in" for lock in projects.lock], dtype=bool)
    # Locked-out projects never get a placement; the elastic model places the locked-in ones only.
    kept = locked_in if elastic else np.array([lock != "out" for lock in projects.lock], dtype=bool)
    table = space.table(np.flatnonzero(kept))
    if not elastic:
        table = table.subset(_fits_alone(space, table, zone_ids, years))
    if keep is not None:
        table = table.subset(keep)
    base = base_values(scenario.objective, projects)[table.project]
    values = placement_value(scenario.objective, base, table.year, table.preferred)
    placed = np.bincount(table.project, minlength=len(projects)) > 0
    unplaceable = np.flatnonzero(locked_in & kept & ~placed).tolist()

    amounts = {q.id: _amounts(space, q, table) for q in quotas}
    balance_keys = {q.id: _balance_keys(amounts[q.id], table, years) for q in quotas}
    columns = _Columns(table, elastic)
    columns.add_use(scenario, balance_keys, limits)
    # (use column, price) of every priced source: the purchase cost in 万元.
    prices = {(q.id, s.id): s.price for q in quotas for s in q.sources}
    purchase = [(j, prices[q, s]) for (q, s, _z, _t), j in columns.use.items() if prices[q, s] > 0]
    with_budget = bool(purchase) and scenario.objective.purchase_budget < NO_BUDGET
    if elastic:
        columns.add_extra(scenario, with_budget)
    rows = _Rows()
    _define_selection(rows, table, locked_in)
    supply_rows = _define_balance_and_supply(rows, scenario, columns, table, amounts, balance_keys, limits)
    site_rows = _define_site_capacity(rows, space, columns, table, elastic)
    budget_row = _define_budget(rows, scenario, columns, purchase) if with_budget else None

    cost = np.zeros(columns.count)
    if elastic:
        scale = {q.id: _quota_scale(q) for q in quotas}
        # Among equally small extras, prefer the latest year: supply granted later is easier to find.
        for (q, _s, _k, t), j in columns.extra.items():
            cost[j] = (1.0 + 1e-3 * (years - 1 - t)) / scale[q]
        if columns.extra_budget is not None:
            cost[columns.extra_budget] = 1.0 / max(1.0, scenario.objective.purchase_budget)
        for k, j in columns.extra_site.items():
            cost[j] = 1.0 / float(space.sites.area_mu[space.sites.index[k]])
    else:
        cost[: len(table)] = values
        for j, price in purchase:
            cost[j] = -price
    upper = np.full(columns.count, highspy.kHighsInf)
    upper[: len(table)] = 1.0
    start, index, value = rows.compressed()
    return QuotaModel(
        scenario=scenario,
        projects=projects,
        space=space,
        placements=table,
        values=values,
        cost=cost,
        upper=upper,
        row_names=rows.names,
        row_lower=np.array(rows.lower, dtype=float),
        row_upper=np.array(rows.upper, dtype=float),
        row_start=start,
        row_index=index,
        row_value=value,
        other_names=columns.names,
        use=columns.use,
        supply_rows=supply_rows,
        budget_row=budget_row,
        elastic=elastic,
        extra=columns.extra,
        extra_budget=columns.extra_budget,
        unplaceable_locks=unplaceable,
        site_rows=site_rows,
        extra_site=columns.extra_site,
    )


def _fits_alone(space: PlacementSpace, table: PlacementTable, zone_ids: list[str], years: int) -> np.ndarray:
    """Per placement, whether the project alone fits every quota it needs (its charge on the site)
    within the most one project could draw in that zone and start year."""
    scenario = space.scenario
    fits = np.ones(len(table), dtype=bool)
    for q in scenario.quotas:
        # Most a single project could draw of the quota, per zone (rows) and start year (columns).
        room = np.array([project_room(q, z, zone_ids, years) for z in zone_ids]).reshape(len(zone_ids), years)
        charge = space.charges[q.id][table.project]
        amount = _amounts(space, q, table)
        fits &= ~((charge > 0) & (amount > room[table.zone, table.year] + _FIT_TOL))
    return fits


def _amounts(space: PlacementSpace, quota: Quota, table: PlacementTable) -> np.ndarray:
    """What each placement charges ``quota``: ratio * demand, times share_q(site) on a site."""
    charge = space.charges[quota.id][table.project]
    share = space.shares.get(quota.id)
    return charge if share is None else charge * share[table.site]


def _balance_keys(amount: np.ndarray, table: PlacementTable, years: int) -> list[tuple[int, int]]:
    """(zone index, year) of every balance row of a quota: where some placement charges it, in the
    order the placements first reach them."""
    keys = (table.zone * years + table.year)[amount > 0]
    found, first = np.unique(keys, return_index=True)
    return [(int(k) // years, int(k) % years) for k in found[np.argsort(first)]]


class _Columns:
    """The model's columns: the x columns (one per placement), then ``use``, ``extra``, ``extra_site``
    and ``extra_budget`` in that order, with the names of the columns after the x."""

    def __init__(self, table: PlacementTable, elastic: bool) -> None:
        self.count = len(table)
        self.elastic = elastic
        self.names: list[str] = []
        self.use: dict[UseKey, int] = {}
        self.extra: dict[SupplyRowKey, int] = {}
        self.extra_site: dict[str, int] = {}
        self.extra_budget: int | None = None
        self.sites_on = _sites_in_order(table)
        self._balance_extra: list[tuple[SupplyRowKey, str]] = []

    def _new(self, name: str) -> int:
        self.names.append(name)
        self.count += 1
        return self.count - 1

    def add_use(
        self, scenario: Scenario, balance_keys: dict[str, list[tuple[int, int]]],
        limits: dict[tuple[str, str, SupplyKey], np.ndarray],
    ) -> None:
        """A use column per source that may serve each balance row (supply there by then, or elastic)."""
        zone_ids = scenario.zone_ids()
        for qi, quota in enumerate(scenario.quotas):
            for zi, t in balance_keys[quota.id]:
                z = zone_ids[zi]
                for si, source in enumerate(quota.sources):
                    key = CITY if source.scope == "city" else z
                    if limits[quota.id, source.id, key][t] <= 0 and not self.elastic:
                        continue  # nothing to draw up to this year
                    self.use[quota.id, source.id, z, t] = self._new(f"use_{qi}_{si}_{zi}_{t}")
                if self.elastic and not quota.sources:
                    self._balance_extra.append(((quota.id, "", z, t), f"extra_{qi}_none_{zi}_{t}"))

    def add_extra(self, scenario: Scenario, with_budget: bool) -> None:
        """Elastic: the extra supply of quotas without sources (in their balance rows), of every source,
        key and year, of every site with placements, and ``with_budget`` the extra budget."""
        for key, name in self._balance_extra:
            self.extra[key] = self._new(name)
        zone_ids = scenario.zone_ids()
        for qi, quota in enumerate(scenario.quotas):
            for si, source in enumerate(quota.sources):
                for key in supply_keys(source, zone_ids):
                    for t in range(scenario.years):
                        self.extra[quota.id, source.id, key, t] = self._new(
                            _row_name(f"extra_{qi}_{si}_{key or 'city'}_{t}")
                        )
        sites = scenario.sites
        for k in self.sites_on.tolist():
            self.extra_site[sites.ids[k]] = self._new(f"extra_site_{k}")
        if with_budget:
            self.extra_budget = self._new("extra_budget")


def _sites_in_order(table: PlacementTable) -> np.ndarray:
    """The sites with placements, in the order the placements first reach them (empty without sites)."""
    on_site = table.site[table.site >= 0]
    found, first = np.unique(on_site, return_index=True)
    return found[np.argsort(first)]


def _row_name(name: str) -> str:
    """A row or column name as solvers take it: '-' (allowed in zone ids) becomes '_'."""
    return name.replace("-", "_")


def _define_selection(rows: _Rows, table: PlacementTable, locked_in: np.ndarray) -> None:
    """Each project at most once; exactly once when locked in."""
    count = np.bincount(table.project, minlength=len(locked_in))
    with_row = ((count > 1) | locked_in) & (count > 0)  # a single binary is already at most 1
    row_of = np.full(len(locked_in), -1, dtype=np.int64)
    for p in np.flatnonzero(with_row).tolist():
        row_of[p] = rows.add(f"once_{p}", 1.0 if locked_in[p] else -highspy.kHighsInf, 1.0)
    on = np.flatnonzero(with_row[table.project])
    rows.enter(row_of[table.project[on]], on, 1.0)


def _define_balance_and_supply(
    rows: _Rows, scenario: Scenario, columns: _Columns, table: PlacementTable,
    amounts: dict[str, np.ndarray], balance_keys: dict[str, list[tuple[int, int]]],
    limits: dict[tuple[str, str, SupplyKey], np.ndarray],
) -> dict[SupplyRowKey, int]:
    """Per quota, zone and year: charges of projects started there == use drawn for them. Then per
    source (per zone for zone sources) and year: use never exceeds supply. Returns the supply rows."""
    zone_ids = scenario.zone_ids()
    years = scenario.years
    for qi, quota in enumerate(scenario.quotas):
        keys = balance_keys[quota.id]
        row_of = np.full(len(zone_ids) * years, -1, dtype=np.int64)
        for zi, t in keys:
            row_of[zi * years + t] = rows.add(f"balance_{qi}_{zi}_{t}", 0.0, 0.0)
        charged = np.flatnonzero(amounts[quota.id] > 0)
        at = table.zone[charged] * years + table.year[charged]
        rows.enter(row_of[at], charged, amounts[quota.id][charged])
        for zi, t in keys:
            z = zone_ids[zi]
            drawn = [columns.use[u] for s in quota.sources if (u := (quota.id, s.id, z, t)) in columns.use]
            if columns.elastic and not quota.sources:
                drawn.append(columns.extra[quota.id, "", z, t])
            rows.enter(row_of[zi * years + t], drawn, -1.0)
    supply_rows: dict[SupplyRowKey, int] = {}
    for qi, quota in enumerate(scenario.quotas):
        for si, source in enumerate(quota.sources):
            for key in supply_keys(source, zone_ids):
                served = [z for z in zone_ids if serves(source, key, z)]
                per_year = [
                    [columns.use[u] for z in served if (u := (quota.id, source.id, z, t)) in columns.use]
                    for t in range(years)
                ]
                for t in range(years):
                    span = range(t + 1) if quota.carry_over else range(t, t + 1)
                    drawn = [j for k in span for j in per_year[k]]
                    if not drawn:
                        continue
                    row = rows.add(
                        _row_name(f"supply_{qi}_{si}_{key or 'city'}_{t}"), -highspy.kHighsInf,
                        float(limits[quota.id, source.id, key][t]),
                    )
                    rows.enter(row, drawn, 1.0)
                    if columns.elastic:
                        rows.enter(row, [columns.extra[quota.id, source.id, key, k] for k in span], -1.0)
                    supply_rows[quota.id, source.id, key, t] = row
    return supply_rows


def _define_site_capacity(
    rows: _Rows, space: PlacementSpace, columns: _Columns, table: PlacementTable, elastic: bool
) -> dict[str, int]:
    """Per site: the land (mu) of the projects placed on it over the horizon stays within its area.

    A row is left out where every project that may use the site fits on it together."""
    sites = space.sites
    if sites is None or not len(columns.sites_on):
        return {}
    land = space.projects.land_mu
    # The distinct projects of every site, site by site, projects in order.
    pairs = np.unique(table.site * len(land) + table.project)
    by_site = np.split(pairs % len(land), np.flatnonzero(np.diff(pairs // len(land))) + 1)
    projects_on = dict(zip(np.unique(pairs // len(land)).tolist(), by_site, strict=True))
    site_rows: dict[str, int] = {}
    row_of = np.full(len(sites), -1, dtype=np.int64)
    for k in columns.sites_on.tolist():
        area = float(sites.area_mu[k])
        if not elastic and float(np.sum(land[projects_on[k]])) <= area * (1 + _FIT_TOL):
            continue
        row_of[k] = site_rows[sites.ids[k]] = rows.add(f"site_{k}", -highspy.kHighsInf, area)
    on = np.flatnonzero(row_of[table.site] >= 0)
    rows.enter(row_of[table.site[on]], on, land[table.project[on]])
    for site, j in columns.extra_site.items():
        rows.enter(site_rows[site], [j], -1.0)
    return site_rows


def _define_budget(
    rows: _Rows, scenario: Scenario, columns: _Columns, purchase: list[tuple[int, float]]
) -> int:
    """Total purchase cost within the purchase budget (万元)."""
    row = rows.add("budget", -highspy.kHighsInf, scenario.objective.purchase_budget)
    rows.enter(row, [j for j, _price in purchase], np.array([price for _j, price in purchase]))
    if columns.extra_budget is not None:
        rows.enter(row, [columns.extra_budget], -1.0)
    return row


def _quota_scale(quota: Quota) -> float:
    """The largest yearly amount of a quota (at least 1): makes extra supply comparable across units."""
    amounts = [a for s in quota.sources for values in s.amounts.values() for a in values]
    return max([1.0, *amounts])


class ColumnMatrix:
    """The matrix of ``model`` by columns, for the entries of a few columns at a time."""

    def __init__(self, model: QuotaModel) -> None:
        rows = np.repeat(np.arange(model.n_rows, dtype=np.int64), np.diff(model.row_start))
        order = np.argsort(model.row_index, kind="stable")
        self._start = np.r_[0, np.cumsum(np.bincount(model.row_index, minlength=model.n_variables))]
        self._row, self._value = rows[order], model.row_value[order]

    def entries(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries in ``columns``: per column its count, and each entry's row and value, column by
        column."""
        begin, end = self._start[columns], self._start[columns + 1]
        count = end - begin
        at = np.repeat(begin - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(int(count.sum()))
        return count, self._row[at], self._value[at]
