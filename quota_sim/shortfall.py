"""The queue's yearly land shortfall, as docs/baseline.md defines it (mu per year).

Demand is the land of every queued project that is not locked out, spread over the horizon;
supply is every land source (city and zone) over the horizon, per year. The same figure is shown
under the app's plan-land slider, marked on `quota-sim sweep` charts and stated in the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quota_sim.model import source_keys
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario

LAND_COLUMN = "land_mu"


@dataclass(frozen=True)
class LandBalance:
    """Horizon averages in mu per year; ``shortfall`` < 0 when supply exceeds demand."""

    demand: float
    supply: float
    shortfall: float
    by_source: dict[str, float]  # yearly supply of each land source


def land_quota(scenario: Scenario) -> Quota | None:
    """The quota that charges ``land_mu`` (the first one, if several do)."""
    return next((q for q in scenario.quotas if q.demand == LAND_COLUMN), None)


def land_balance(scenario: Scenario, projects: Projects) -> LandBalance | None:
    """The queue's yearly land demand against the yearly land supply (None without a land quota)."""
    land = land_quota(scenario)
    if land is None:
        return None
    years = scenario.years
    by_source = {
        s.id: float(np.sum([s.amount(key or None, t) for key in source_keys(s, scenario.zone_ids()) for t in range(years)]))
        / years
        for s in land.sources
    }
    open_projects = np.array([lock != "out" for lock in projects.lock], dtype=bool)
    demand = float(np.sum(projects.land_mu[open_projects])) / years
    supply = float(np.sum(list(by_source.values())))
    return LandBalance(demand, supply, demand - supply, by_source)
