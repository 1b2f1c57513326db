"""The queue's yearly land shortfall, as docs/baseline.md defines it (mu per year).

Demand is the land of every queued project that is not locked out, spread over the horizon;
supply is every land source (city and zone) over the horizon, per year. The same figure is shown
under the app's plan-land slider, marked on `quota-sim sweep` charts, stated in the baseline
and checked by its tests: :func:`balance` is the one definition, :func:`land_balance` applies it
to a loaded scenario.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from quota_sim.projects import Projects
from quota_sim.scenario import Scenario
from quota_sim.supply import land_quota, source_total


@dataclass(frozen=True)
class LandBalance:
    """Horizon averages in mu per year; ``shortfall`` < 0 when supply exceeds demand."""

    demand: float
    supply: float
    shortfall: float
    by_source: dict[str, float]  # yearly supply of each land source


def balance(
    land_mu: Iterable[float], locks: Iterable[str], source_totals: Mapping[str, float], years: int
) -> LandBalance:
    """The yearly land balance of a queue.

    Parameters
    ----------
    land_mu, locks
        Per project, its land (mu) and its lock (``in``, ``out`` or blank).
    source_totals
        Per land source, the mu it supplies over the horizon (every zone together).
    years
        The horizon length.
    """
    by_source = {source: float(total) / years for source, total in source_totals.items()}
    demand = (
        math.fsum(float(land) for land, lock in zip(land_mu, locks, strict=True) if lock != "out") / years
    )
    supply = math.fsum(by_source.values())
    return LandBalance(demand, supply, demand - supply, by_source)


def land_balance(scenario: Scenario, projects: Projects) -> LandBalance | None:
    """The queue's yearly land demand against the yearly land supply (None without a land quota)."""
    land = land_quota(scenario)
    if land is None:
        return None
    totals = {s.id: source_total(s, scenario.years) for s in land.sources}
    return balance(projects.land_mu, projects.lock, totals, scenario.years)
