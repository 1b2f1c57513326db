"""What a waiting (not selected) project would need: the extra quota and the year it could then start.

Read from the solved plan's remaining supply: per source (per zone for zone sources) and year, the room
left is the supply not used by the approved projects — with carry-over the least cumulative slack in that
year or any later one (supply drawn later was already counted), without carry-over that year's amount
less its use. A project placed in zone z in year t can draw the room of the city sources and of z's
sources; priced room costs its price and shares the purchase budget left over by the plan.

For every placement the project may take (:mod:`quota_sim.placements`: a zone passing its screens and
admission list, with sites a candidate site in it that the plan leaves room on, a year in its window)
the shortfall of each quota is its charge less that room (never below 0), and the budget shortfall is
the cost of the priced room it draws beyond the budget left. The placement reported is the one with the
fewest short quotas, then the earliest year, then the smallest shortfall (each quota scaled by its
largest yearly amount), then the preferred zone: granting those amounts in that zone and year lets the
project start there, the other approvals unchanged (a later year may need less, as supply accumulates).
A project with no shortfall anywhere fits in what is left and was displaced by better projects; its
reported year is the first one it fits.

Units: each quota's own unit (mu, tce, t); budget in 万元.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quota_sim.placements import PlacementSpace
from quota_sim.results import Result
from quota_sim.supply import CITY, SupplyLeft

_TOL = 1e-7


@dataclass(frozen=True)
class Need:
    """Extra supply a waiting project needs to start in ``zone`` in calendar ``year``.

    ``short``: quota id -> units missing (only quotas with a shortfall); ``budget``: 万元 missing.
    """

    id: str
    zone: str
    year: int
    short: dict[str, float] = field(default_factory=dict)
    budget: float = 0.0
    site: str = ""  # with sites: the site it could start on

    @property
    def fits(self) -> bool:
        """Whether it fits in what the plan left (displaced by better projects, not blocked)."""
        return not self.short and self.budget <= _TOL


def remaining_room(result: Result) -> tuple[dict, dict, float]:
    """Room the plan leaves, per (quota, zone) and year: free room (array over years), priced room
    (list of (price 万元/unit, array) cheapest first), and the purchase budget left (万元; inf if none)."""
    scenario = result.scenario
    left = SupplyLeft(scenario)
    for row in result.quota_use:
        left.take(row.quota, row.source, row.zone or CITY, row.year - scenario.start_year, row.used)
    free: dict[tuple[str, str], np.ndarray] = {}
    priced: dict[tuple[str, str], list[tuple[float, np.ndarray]]] = {}
    for q in scenario.quotas:
        for z in scenario.zone_ids():
            free[q.id, z], priced[q.id, z] = left.zone_room(q, z)
    return free, priced, max(0.0, left.budget_left)


def waiting_needs(result: Result) -> dict[str, Need]:
    """Per not-selected project id, what it would need (see the module text); empty unless solved."""
    if not result.solved:
        return {}
    scenario, projects = result.scenario, result.projects
    free, priced, budget_left = remaining_room(result)
    space = PlacementSpace.of(scenario, projects)
    area_left = {row.id: row.free_mu for row in result.site_use}
    scale = {
        q.id: max([1.0, *(a for s in q.sources for values in s.amounts.values() for a in values)])
        for q in scenario.quotas
    }
    needs = {}
    for p, row in enumerate(result.allocation):
        if row.status != "not_selected":
            continue
        best: tuple | None = None
        land = float(projects.land_mu[p])
        for zi, (z, k, first) in enumerate(space.places(p)):
            site = space.sites.ids[k] if k is not None else ""
            if site and area_left[site] < land * (1 - _TOL):
                continue  # the plan leaves too little of the site
            charges = {q.id: space.charge(q.id, p, k) for q in scenario.quotas}
            for t in range(first, int(space.last_year[p]) + 1):
                short, cost = {}, 0.0
                for q in scenario.quotas:
                    missing = charges[q.id] - free[q.id, z][t]
                    for price, room in priced[q.id, z]:
                        if missing <= _TOL:
                            break
                        take = min(missing, room[t])
                        cost += take * price
                        missing -= take
                    if missing > _TOL * max(1.0, charges[q.id]):
                        short[q.id] = float(missing)
                budget = max(0.0, cost - budget_left)
                budget = budget if budget > _TOL else 0.0
                rank = (len(short) + (budget > 0), t, sum(v / scale[q] for q, v in short.items()), zi)
                if best is None or rank < best[0]:
                    best = (rank, Need(row.id, z, scenario.start_year + t, short, float(budget), site))
        if best is not None:
            needs[row.id] = best[1]
    return needs
