"""Exact quota bookkeeping for plans made one project at a time (the hand-ranking baselines).

A :class:`SupplyLedger` holds the charges of the projects placed so far and answers
whether one more placement still fits every quota (city and zone sources, carry-over,
the purchase budget), then draws the supply that serves them.

Feasibility of one quota is decided by a greedy draw that is exact: year by year, each
zone's charge is served first from its own zone sources, the rest from the city
sources. Zone supply can serve only its zone, city supply can serve any zone later
(with carry-over), so using zone supply first never loses a feasible plan. When priced
sources exist, the cheapest draw is a small linear programme (HiGHS); it is
solved to report the purchase cost and, where the budget can bind, to check the budget.

Units: each quota's own unit (mu, tce, t); money in 万元.
"""

from __future__ import annotations

import highspy
import numpy as np

from quota_sim.scenario import Quota, Scenario
from quota_sim.solve import _new_highs
from quota_sim.supply import CITY, SupplyKey, source_total, supply_keys

#: Absolute slack, in quota units, below which an unserved remainder counts as served.
_TOLERANCE = 1e-9

UseKey = tuple[str, str, SupplyKey, int]  # quota id, source id, supply key (CITY or zone), year index


class SupplyLedger:
    """Charges placed so far, per quota, zone and year, and the test whether more fits.

    Parameters
    ----------
    scenario
        The scenario whose quotas, sources and purchase budget bind.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.zone_ids = scenario.zone_ids()
        self._zone_index = {z: i for i, z in enumerate(self.zone_ids)}
        self.charges = {q.id: np.zeros((len(self.zone_ids), scenario.years)) for q in scenario.quotas}
        self._priced = any(s.price > 0 for q in scenario.quotas for s in q.sources)
        self._budget_can_bind = _max_purchase_cost(scenario) > scenario.objective.purchase_budget
        self._pools = {q.id: _pools(q, self.zone_ids, scenario.years) for q in scenario.quotas}

    def fits(self, charges: dict[str, float], zone: str, year_index: int) -> bool:
        """Whether a project charging ``charges`` (quota id -> units) in ``zone`` and year still fits."""
        trial = {}
        for quota in self.scenario.quotas:
            amount = charges.get(quota.id, 0.0)
            if amount <= 0:
                continue
            matrix = self.charges[quota.id].copy()
            matrix[self._zone_index[zone], year_index] += amount
            if not can_serve(quota.carry_over, *self._pools[quota.id], matrix):
                return False
            trial[quota.id] = matrix
        if self._budget_can_bind and trial:
            merged = {**self.charges, **trial}
            cheapest = cheapest_draw(self.scenario, merged)
            return cheapest is not None and cheapest[1] <= self.scenario.objective.purchase_budget * (
                1 + 1e-9
            )
        return True

    def add(self, charges: dict[str, float], zone: str, year_index: int) -> None:
        """Record a placement (call :meth:`fits` first)."""
        for quota_id, amount in charges.items():
            self.charges[quota_id][self._zone_index[zone], year_index] += amount

    def draw(self) -> tuple[dict[UseKey, float], float]:
        """Supply used per (quota, source, supply key, year index) and the total purchase cost (万元).

        With priced sources the draw is the cheapest one; otherwise the exact greedy draw.
        """
        if self._priced:
            cheapest = cheapest_draw(self.scenario, self.charges)
            if cheapest is None:
                raise ValueError("the placed projects do not fit the purchase budget")
            return cheapest
        used: dict[UseKey, float] = {}
        for quota in self.scenario.quotas:
            drawn = greedy_draw(quota, self.zone_ids, self.charges[quota.id])
            if drawn is None:
                raise ValueError(f"the placed projects exceed quota {quota.id}")
            used.update(drawn)
        return used, 0.0


def _max_purchase_cost(scenario: Scenario) -> float:
    """Cost in 万元 of buying every unit of every priced source over the horizon."""
    return float(
        np.sum(
            [
                s.price * source_total(s, scenario.years)
                for q in scenario.quotas
                for s in q.sources
                if s.price > 0
            ]
        )
    )


def _pools(quota: Quota, zone_ids: list[str], years: int) -> tuple[list[list[float]], list[float]]:
    """Per year, the quota's zone supply of each zone (zones x years) and its city supply (units)."""
    zonal = [[sum(s.amount(z, t) for s in quota.sources if s.scope == "zone") for t in range(years)]
             for z in zone_ids]
    city = [sum(s.amount(CITY, t) for s in quota.sources if s.scope == "city") for t in range(years)]
    return zonal, city


def can_serve(carry_over: bool, zonal: list[list[float]], city: list[float], charges: np.ndarray) -> bool:
    """Whether :func:`greedy_draw` serves ``charges`` (zones x years) from the zone supply ``zonal``
    (zones x years) and the city supply ``city`` (per year), without recording the draw. The sources of
    one scope are interchangeable for this: only their totals are tracked."""
    need_by_year = charges.T.tolist()
    zone_left = [0.0] * len(zonal)
    city_left = 0.0
    for t, needs in enumerate(need_by_year):
        if not carry_over:
            zone_left, city_left = [0.0] * len(zonal), 0.0
        city_left += city[t]
        for zi, need in enumerate(needs):
            zone_left[zi] += zonal[zi][t]
            if need <= 0:
                continue
            rest = need
            take = min(rest, zone_left[zi])
            if take > 0:
                zone_left[zi] -= take
                rest -= take
            take = min(rest, city_left)
            if take > 0:
                city_left -= take
                rest -= take
            if rest > _TOLERANCE * max(1.0, need):
                return False
    return True


def greedy_draw(quota: Quota, zone_ids: list[str], charges: np.ndarray) -> dict[UseKey, float] | None:
    """Serve ``charges`` (zones x years, quota units) from the quota's sources, or None if impossible.

    Each year, a zone's charge is drawn from that zone's sources first, then from the city
    sources, each source up to what it still has (its amounts so far less its use, with
    carry-over; that year's amount without). Exact for feasibility; ignores prices.
    """
    years = charges.shape[1]
    city = [s for s in quota.sources if s.scope == "city"]
    zonal = [s for s in quota.sources if s.scope == "zone"]
    left: dict[tuple[str, SupplyKey], float] = {}
    used: dict[UseKey, float] = {}
    for t in range(years):
        for source in quota.sources:
            for key in supply_keys(source, zone_ids):
                carried = left.get((source.id, key), 0.0) if quota.carry_over else 0.0
                left[source.id, key] = carried + source.amount(key, t)
        for zi, zone in enumerate(zone_ids):
            need = float(charges[zi, t])
            pools = [(s.id, zone) for s in zonal] + [(s.id, CITY) for s in city]
            for pool in pools:
                if need <= 0:
                    break
                take = min(need, left[pool])
                if take > 0:
                    left[pool] -= take
                    need -= take
                    key = (quota.id, pool[0], pool[1], t)
                    used[key] = used.get(key, 0.0) + take
            if need > _TOLERANCE * max(1.0, float(charges[zi, t])):
                return None
    return used


def cheapest_draw(
    scenario: Scenario, charges: dict[str, np.ndarray]
) -> tuple[dict[UseKey, float], float] | None:
    """The draw of least purchase cost serving ``charges`` within every source and the budget.

    Parameters
    ----------
    charges
        Quota id -> zones x years array of charges (quota units).

    Returns
    -------
    tuple or None
        Use per (quota, source, supply key, year index) and the total cost in 万元;
        None when no draw fits.
    """
    zone_ids = scenario.zone_ids()
    # One column per (quota, source, supply key, served zone, year).
    columns: list[tuple[str, str, SupplyKey, int, int]] = []
    for quota in scenario.quotas:
        matrix = charges[quota.id]
        for zi, zone in enumerate(zone_ids):
            for t in range(scenario.years):
                if matrix[zi, t] > 0:
                    for source in quota.sources:
                        pool = CITY if source.scope == "city" else zone
                        columns.append((quota.id, source.id, pool, zi, t))
    if not columns:
        return {}, 0.0
    prices = {(q.id, s.id): s.price for q in scenario.quotas for s in q.sources}
    cost = np.array([prices[c[0], c[1]] for c in columns])

    demand: dict[tuple[str, int, int], list[int]] = {}
    supply: dict[tuple[str, str, SupplyKey], list[tuple[int, int]]] = {}
    for j, (quota_id, source_id, pool, zi, t) in enumerate(columns):
        demand.setdefault((quota_id, zi, t), []).append(j)
        supply.setdefault((quota_id, source_id, pool), []).append((j, t))
    # Rows: each (quota, zone, year) charge served exactly, then each source's supply so far (with
    # carry-over, the draws of every year up to t count against the amounts up to t), then the budget.
    entries: list[tuple[list[int], list[float]]] = []
    lower: list[float] = []
    upper: list[float] = []
    for (quota_id, zi, t), cols in demand.items():
        entries.append((cols, [1.0] * len(cols)))
        lower.append(float(charges[quota_id][zi, t]))
        upper.append(float(charges[quota_id][zi, t]))
    quotas = {q.id: q for q in scenario.quotas}
    for (quota_id, source_id, pool), drawn in supply.items():
        quota = quotas[quota_id]
        source = next(s for s in quota.sources if s.id == source_id)
        supplied = 0.0
        for t in range(scenario.years):
            supplied = (supplied if quota.carry_over else 0.0) + source.amount(pool, t)
            cols = [j for j, year in drawn if year == t or (quota.carry_over and year < t)]
            if cols:
                entries.append((cols, [1.0] * len(cols)))
                lower.append(-highspy.kHighsInf)
                upper.append(supplied)
    budget = [j for j in range(len(columns)) if cost[j] != 0]
    if budget:
        entries.append((budget, [float(cost[j]) for j in budget]))
        lower.append(-highspy.kHighsInf)
        upper.append(scenario.objective.purchase_budget)
    drawn_amounts = _least_cost(cost, entries, np.array(lower), np.array(upper))
    if drawn_amounts is None:
        return None
    used: dict[UseKey, float] = {}
    for j, (quota_id, source_id, pool, _zi, t) in enumerate(columns):
        if drawn_amounts[j] > 0:
            key = (quota_id, source_id, pool, t)
            used[key] = used.get(key, 0.0) + float(drawn_amounts[j])
    return used, float(cost @ drawn_amounts)


def _least_cost(
    cost: np.ndarray, rows: list[tuple[list[int], list[float]]], lower: np.ndarray, upper: np.ndarray
) -> np.ndarray | None:
    """The x >= 0 of least ``cost @ x`` within ``lower <= A x <= upper``, each row of A given as (columns,
    coefficients), solved by HiGHS; None when no x fits."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_ = np.zeros(len(cost))
    lp.col_upper_ = np.full(len(cost), highspy.kHighsInf)
    lp.row_lower_ = lower
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.cumsum([0] + [len(cols) for cols, _ in rows], dtype=np.int32)
    lp.a_matrix_.index_ = np.array([j for cols, _ in rows for j in cols], dtype=np.int32)
    lp.a_matrix_.value_ = np.array([v for _, values in rows for v in values], dtype=float)
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(highs.getSolution().col_value)
