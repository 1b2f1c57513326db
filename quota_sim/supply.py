"""How much of each quota source there is, what one project can draw, and what a plan leaves (SPEC §2).

The one home of supply bookkeeping for the model, the greedy start, the results' reasons, the
hand-ranking baselines, the diagnosis, the app and the shortfall.

- A source's supply is keyed by a *supply key*: :data:`CITY` (``None``) for a city source, which
  serves every zone, or a zone id for a zone source, which serves only that zone. Output tables
  write the city key blank (:func:`zone_label`).
- With carry-over, the use of a source in years <= t never exceeds its amounts of years <= t;
  without it, the use of year t never exceeds the amount of year t. :func:`supply_limits` is the
  right-hand side of those rows (cumulative or yearly).
- :class:`SupplyLeft` is what a plan leaves of every source, and in which order a zone draws them.

Units: each quota's own unit (mu, tce, t); prices in 万元 per unit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from quota_sim.scenario import Quota, Scenario, Source

#: The supply key of a city source (it serves every zone); written blank in output tables.
CITY: None = None

#: The projects-table column of land demand (mu).
LAND_COLUMN = "land_mu"
#: The id of the land quota when a scenario has one of that name.
LAND_QUOTA = "land"

SupplyKey = str | None  # CITY or a zone id

#: A purchase budget at or above this (万元) is no limit.
NO_BUDGET = 1e29


def land_quota(scenario: Scenario) -> Quota | None:
    """The construction-land quota: the one named ``land``, else the first charging ``land_mu``."""
    named = next((q for q in scenario.quotas if q.id == LAND_QUOTA), None)
    return named or next((q for q in scenario.quotas if q.demand == LAND_COLUMN), None)


def zone_label(key: SupplyKey) -> str:
    """A supply key as written in output tables: blank for the city, else the zone id."""
    return "" if key is CITY else key


def supply_keys(source: Source, zone_ids: Iterable[str]) -> list[SupplyKey]:
    """The supply keys of a source: CITY for a city source, every zone id for a zone source."""
    return [CITY] if source.scope == "city" else list(zone_ids)


def serves(source: Source, key: SupplyKey, zone: str) -> bool:
    """Whether the supply of ``source`` under ``key`` may serve projects in ``zone``."""
    return source.scope == "city" or key == zone


def amounts(source: Source, key: SupplyKey, years: int) -> np.ndarray:
    """The source's amount in each horizon year under ``key`` (quota units)."""
    return np.array([source.amount(key, t) for t in range(years)], dtype=float)


def source_total(source: Source, years: int) -> float:
    """Units a source supplies over the horizon, every zone together."""
    return float(np.sum([np.sum(values[:years]) for values in source.amounts.values()]))


def supply_limits(quota: Quota, source: Source, key: SupplyKey, years: int) -> np.ndarray:
    """Right-hand side of the source's rows per year: cumulative supply with carry-over, else yearly."""
    values = amounts(source, key, years)
    return np.cumsum(values) if quota.carry_over else values


def zone_supply(quota: Quota, zone: str | None, zone_ids: Iterable[str], years: int) -> np.ndarray:
    """Yearly amounts of ``quota`` open to ``zone``: city sources plus that zone's sources.

    ``zone`` None counts every source in every zone.
    """
    zone_ids = list(zone_ids)
    total = np.zeros(years)
    for source in quota.sources:
        for key in supply_keys(source, zone_ids):
            if zone is None or serves(source, key, zone):
                total += amounts(source, key, years)
    return total


def project_room(quota: Quota, zone: str, zone_ids: Iterable[str], years: int) -> np.ndarray:
    """Per start year, the most one project alone can draw of ``quota`` in ``zone``."""
    yearly = zone_supply(quota, zone, zone_ids, years)
    return np.cumsum(yearly) if quota.carry_over else yearly


def budget_limit(budget: float) -> float:
    """A purchase budget (万元) as a number to compare with: infinite at or above :data:`NO_BUDGET`."""
    return budget if budget < NO_BUDGET else float("inf")


class SupplyLeft:
    """What is left of every source after some use, per (quota, source, supply key).

    ``left[q, s, key][t]`` is the row slack: the limit of year t less the use it counts
    (cumulative with carry-over). :meth:`available` is what one more draw in year t may take
    without breaking that row or a later one.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.years = scenario.years
        self.zone_ids = scenario.zone_ids()
        self.carry = {q.id: q.carry_over for q in scenario.quotas}
        self.prices = {(q.id, s.id): s.price for q in scenario.quotas for s in q.sources}
        self.left: dict[tuple[str, str, SupplyKey], np.ndarray] = {
            (q.id, s.id, key): supply_limits(q, s, key, self.years)
            for q in scenario.quotas
            for s in q.sources
            for key in supply_keys(s, self.zone_ids)
        }
        self.budget_left = budget_limit(scenario.objective.purchase_budget)

    def take(self, quota: str, source: str, key: SupplyKey, t: int, amount: float) -> None:
        """Record ``amount`` units drawn in year index ``t`` (and its cost against the budget)."""
        left = self.left[quota, source, key]
        if self.carry[quota]:
            left[t:] -= amount
        else:
            left[t] -= amount
        self.budget_left -= amount * self.prices[quota, source]

    def available(self, quota: str, source: str, key: SupplyKey, t: int) -> float:
        """Units one more draw in year index ``t`` may take (may be <= 0)."""
        left = self.left[quota, source, key]
        return float(left[t:].min()) if self.carry[quota] else float(left[t])

    def zone_room(self, quota: Quota, zone: str) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        """What one more project in ``zone`` may still draw of ``quota`` per start year: the free room
        (units per year) and the priced room (price 万元/unit, units per year), cheapest first."""
        free = np.zeros(self.years)
        priced = []
        for source, key, price in self.draw_order(quota, zone):
            room = np.array([max(0.0, self.available(quota.id, source, key, t)) for t in range(self.years)])
            if price > 0:
                priced.append((price, room))
            else:
                free += room
        return free, priced

    def draw_order(self, quota: Quota, zone: str) -> list[tuple[str, SupplyKey, float]]:
        """(source id, supply key, price) serving ``zone``: the zone's free sources, then free city
        sources, then priced sources cheapest first."""
        own = [(s.id, zone, 0.0) for s in quota.sources if s.scope == "zone" and s.price == 0]
        free = [(s.id, CITY, 0.0) for s in quota.sources if s.scope == "city" and s.price == 0]
        priced = sorted(
            ((s.id, CITY if s.scope == "city" else zone, s.price) for s in quota.sources if s.price > 0),
            key=lambda item: item[2],
        )
        return own + free + priced
