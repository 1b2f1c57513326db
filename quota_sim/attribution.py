"""Which supply pays for each approved project (SPEC §6 ``attribution.csv``).

The solved plan says, per quota, source and year, how much supply was used (``quota_use``) and, per
project, what it charges in its start year. Attribution splits the one over the other, per year of use
(as ``quota_use`` is: with carry-over, supply used in year t may come from earlier years' amounts), so
that both sums hold: per project and quota the amounts add up to its charge, and per source, zone and
year they add up to ``used``.

The split is deterministic. For each quota and year:

1. each zone source serves only its own zone, so its use goes to that zone's projects;
2. what the zone's projects charge beyond their zone sources is served from the city sources, the
   zones taking the city supply in scenario order, free sources first, then priced ones by price;
3. inside a zone the projects (in queue order) draw from that zone's pool, free supply first, then
   priced supply from the cheapest up, sources of equal price in the scenario's order.

Amounts are in each quota's unit, cost in 万元 (price × amount).
"""

from __future__ import annotations

from dataclasses import dataclass

from quota_sim.results import Result

ATTRIBUTION_COLUMNS = ("id", "quota", "source", "zone", "year", "amount", "cost")
_TOL = 1e-9


@dataclass(frozen=True)
class AttributionRow:
    """``amount`` of ``source`` (of ``quota``; ``zone`` blank for a city source) drawn by project ``id`` in
    ``year``; ``cost`` in 万元."""

    id: str
    quota: str
    source: str
    zone: str
    year: int
    amount: float
    cost: float


@dataclass
class _Pool:
    source: str
    zone: str  # supply zone: "" for a city source
    price: float
    rank: int  # the source's position in the quota's declaration
    left: float


def attribute(result: Result) -> list[AttributionRow]:
    """The attribution rows of a solved result, in queue order, then quota and draw order."""
    if not result.solved:
        return []
    scenario = result.scenario
    zone_order = {z: i for i, z in enumerate(scenario.zone_ids())}
    order = {row.id: i for i, row in enumerate(result.allocation)}
    approved = [row for row in result.allocation if row.status == "approved"]
    used = {(r.quota, r.source, r.zone, r.year): r.used for r in result.quota_use}
    drawn: list[tuple[int, int, int, AttributionRow]] = []
    for qi, quota in enumerate(scenario.quotas):
        rank = {s.id: i for i, s in enumerate(quota.sources)}
        for year in scenario.horizon:
            charged = [row for row in approved if row.start_year == year and row.charged[quota.id] > _TOL]
            if not charged:
                continue
            by_zone: dict[str, list] = {}
            for row in charged:
                by_zone.setdefault(row.zone, []).append(row)
            pools = {
                z: [
                    _Pool(s.id, z, s.price, rank[s.id], used.get((quota.id, s.id, z, year), 0.0))
                    for s in quota.sources
                    if s.scope == "zone"
                ]
                for z in by_zone
            }
            city = sorted(
                (
                    _Pool(s.id, "", s.price, rank[s.id], used.get((quota.id, s.id, "", year), 0.0))
                    for s in quota.sources
                    if s.scope == "city"
                ),
                key=lambda pool: (pool.price, pool.rank),
            )
            for z in sorted(by_zone, key=zone_order.__getitem__):
                need = sum(row.charged[quota.id] for row in by_zone[z]) - sum(p.left for p in pools[z])
                for pool in city:
                    if need <= _TOL:
                        break
                    take = min(need, pool.left)
                    if take > _TOL:
                        pools[z].append(_Pool(pool.source, "", pool.price, pool.rank, take))
                        pool.left -= take
                        need -= take
            for z, rows in by_zone.items():
                pool_order = sorted(pools[z], key=lambda pool: (pool.price, pool.rank, pool.zone == ""))
                for row in rows:
                    need = row.charged[quota.id]
                    for pool in pool_order:
                        if need <= _TOL:
                            break
                        take = min(need, pool.left)
                        if take <= _TOL:
                            continue
                        pool.left -= take
                        need -= take
                        cost = pool.price * take
                        drawn.append(
                            (
                                order[row.id],
                                qi,
                                pool.rank,
                                AttributionRow(
                                    row.id,
                                    quota.id,
                                    pool.source,
                                    pool.zone,
                                    year,
                                    take,
                                    cost,
                                ),
                            )
                        )
    drawn.sort(key=lambda item: item[:3])  # each source enters a zone's pool once: keys are unique
    return [item[3] for item in drawn]
