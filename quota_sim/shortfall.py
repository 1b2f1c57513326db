"""The queue's land shortfall, year by year, as docs/baseline.md defines it (mu).

Demand in year t is the land of the queued projects (not locked out) that become ready in t: their
``earliest_year`` is t, and the first horizon year also carries every project ready before it.
Supply in year t is the amount of every land source (city and zone) in t, plus, with sites (SPEC §5),
the land already construction land on the sites that become ready in t: the part of a site the land
quota's ``site_classes`` do not charge needs no new quota. The shortfall of year t is demand minus
supply; the horizon averages are the sums divided by the horizon length. The same figures are shown
under the app's plan-land slider, marked on `quota-sim sweep` charts, written into generated
scenarios' descriptions and checked by the baseline's tests: :func:`yearly_balance` is the one
definition, :func:`land_balance` applies it to a loaded scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from quota_sim.projects import Projects
from quota_sim.scenario import Scenario
from quota_sim.sites import Sites
from quota_sim.supply import amounts, land_quota, supply_keys


@dataclass(frozen=True)
class LandBalance:
    """Land demand and supply, mu; ``shortfall`` < 0 when supply exceeds demand.

    ``years`` are the calendar years; ``demand_by_year``, ``supply_by_year`` and
    ``shortfall_by_year`` are aligned with them (mu in that year). ``demand``, ``supply`` and
    ``shortfall`` are horizon averages (mu per year); ``by_source`` is each land source's
    average yearly supply; ``construction_by_year`` the part of each year's supply that is construction
    land already on the sites becoming ready that year (zeros without sites).
    """

    years: tuple[int, ...]
    demand_by_year: tuple[float, ...]
    supply_by_year: tuple[float, ...]
    by_source: dict[str, float]
    construction_by_year: tuple[float, ...]

    @property
    def shortfall_by_year(self) -> tuple[float, ...]:
        return tuple(d - s for d, s in zip(self.demand_by_year, self.supply_by_year, strict=True))

    @property
    def demand(self) -> float:
        return float(np.sum(self.demand_by_year)) / len(self.years)

    @property
    def supply(self) -> float:
        return float(np.sum(self.supply_by_year)) / len(self.years)

    @property
    def shortfall(self) -> float:
        return self.demand - self.supply


def yearly_balance(
    start_year: int,
    horizon: int,
    land_mu: Sequence[float],
    earliest_year: Sequence[int],
    open_projects: Sequence[bool],
    supply_by_source: Mapping[str, Sequence[float]],
    construction_by_year: Sequence[float] | None = None,
) -> LandBalance:
    """The land balance from plain figures.

    Parameters
    ----------
    start_year, horizon
        First calendar year and number of years.
    land_mu, earliest_year, open_projects
        Per project: land (mu), first year it may start (0 or a year before ``start_year`` = at
        once) and whether it counts (not locked out). Projects ready after the horizon count nowhere.
    supply_by_source
        Per land source, its supply in each horizon year (mu), all zones together.
    construction_by_year
        Construction land (mu) on the sites becoming ready in each horizon year; none when omitted.
    """
    years = tuple(start_year + t for t in range(horizon))
    ready = np.maximum(np.asarray(earliest_year, dtype=int), start_year)
    land = np.asarray(land_mu, dtype=float)
    counted = np.asarray(open_projects, dtype=bool)
    demand = tuple(float(np.sum(land[counted & (ready == year)])) for year in years)
    construction = tuple(float(v) for v in construction_by_year) if construction_by_year else (0.0,) * horizon
    supply = tuple(
        float(np.sum([amounts[t] for amounts in supply_by_source.values()])) + construction[t]
        for t in range(horizon)
    )
    by_source = {source: float(np.sum(amounts)) / horizon for source, amounts in supply_by_source.items()}
    return LandBalance(years, demand, supply, by_source, construction)


def land_balance(scenario: Scenario, projects: Projects, sites: Sites | None = None) -> LandBalance | None:
    """The queue's land demand by year against the land supply by year (None without a land quota).

    ``sites``: the scenario's sites table, read from the scenario when not given.
    """
    land = land_quota(scenario)
    if land is None:
        return None
    sites = sites if sites is not None else scenario.sites
    construction = None
    if sites is not None and land.site_classes:
        spare = sites.area_mu * (1.0 - sites.share(land.site_classes))
        ready = np.maximum(sites.ready_year, scenario.start_year)
        construction = [float(np.sum(spare[ready == year])) for year in scenario.horizon]
    zone_ids = scenario.zone_ids()
    supply_by_source = {
        s.id: np.sum([amounts(s, key, scenario.years) for key in supply_keys(s, zone_ids)], axis=0)
        for s in land.sources
    }
    return yearly_balance(
        scenario.start_year,
        scenario.years,
        projects.land_mu,
        projects.earliest_year,
        [lock != "out" for lock in projects.lock],
        supply_by_source,
        construction,
    )
