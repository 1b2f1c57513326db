"""A quick feasible plan to start HiGHS from on large queues (LP-guided greedy).

Projects are taken in the order of their weight in the LP relaxation (locked-in projects
first), each at the placement the relaxation favours that still fits. Fitting is decided by
drawing supply explicitly — the project's zone sources first, then free city sources, then
priced ones cheapest first within the budget left — so every plan it returns satisfies every
rule of the model. It may leave out a project an exact check would fit; it never overfills.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from quota_sim.model import Placement, QuotaModel
from quota_sim.supply import SupplyLeft

_TOL = 1e-9

Draw = tuple[str, str, str | None, float]  # (quota id, source id, supply key, units)
Plan = dict[str, tuple[str, str | None, int]]  # project id -> (zone, site or None, calendar start year)


def _draw(supply: SupplyLeft, charges: dict[str, float], zone: str, t: int) -> list[Draw] | None:
    """Draws that serve ``charges`` in ``zone`` and year ``t`` within the supply and budget left, or None."""
    quotas = {q.id: q for q in supply.scenario.quotas}
    draws, cost = [], 0.0
    for quota, charge in charges.items():
        need = charge
        for source, key, price in supply.draw_order(quotas[quota], zone):
            if need <= _TOL:
                break
            take = min(need, supply.available(quota, source, key, t))
            if price > 0:
                take = min(take, (supply.budget_left - cost) / price)
            if take > _TOL:
                draws.append((quota, source, key, take))
                cost += take * price
                need -= take
        if need > _TOL:
            return None
    return draws


def greedy_start(
    model: QuotaModel, weights: np.ndarray | Mapping[Placement, float], deadline: float | None = None
) -> Plan:
    """A feasible plan, project id -> (zone, site or None, calendar start year), guided by ``weights``
    (the LP relaxation's value of each placement variable, per x column or per placement; higher first).
    Locked-in projects come first. A placement on a site is taken only while the site's area left holds
    the project's land. From ``deadline`` on (a ``time.perf_counter()`` value) only locked-in projects
    are still placed (a plan without them would not be feasible): the plan so far. The ranking is done
    on arrays (a 311k-placement queue is ranked in a fraction of a second)."""
    projects, scenario = model.projects, model.scenario
    table = model.placements
    if not isinstance(weights, np.ndarray):
        weights = np.array([weights.get(key, 0.0) for key in model.x], dtype=float)
    locked = np.array([lock == "in" for lock in projects.lock], dtype=bool)
    # Past the deadline already: only the locked-in projects are ranked and placed.
    late = deadline is not None and time.perf_counter() >= deadline
    columns = np.flatnonzero(locked[table.project]) if late else np.arange(len(table))
    project, values = table.project[columns], model.values[columns]
    # Per project: its weight's mass, its best value; placements are in project order.
    mass = np.round(np.bincount(project, weights=weights[columns], minlength=len(locked)), 6)
    best_value = np.full(len(locked), -np.inf)
    np.maximum.at(best_value, project, values)
    ranked = np.unique(project)
    ranked = ranked[np.lexsort((ranked, -best_value[ranked], -mass[ranked], ~locked[ranked]))]
    # Each project's placements, the relaxation's favourite first (then by value, then in column order).
    favour = -np.round(weights[columns], 6)
    by_favour = columns[np.lexsort((np.arange(len(columns)), -values, favour, project))]
    offsets = np.r_[0, np.cumsum(np.bincount(project, minlength=len(locked)))]  # segments of by_favour
    zone_ids = scenario.zone_ids()
    sites = model.sites
    site_ids = sites.ids if sites is not None else []
    area_left = sites.area_mu.astype(float).copy() if sites is not None else np.zeros(0)
    supply = SupplyLeft(scenario)
    plan: Plan = {}
    for p in ranked.tolist():
        if not locked[p] and deadline is not None and time.perf_counter() >= deadline:
            break
        land = float(projects.land_mu[p])
        for j in by_favour[offsets[p]:offsets[p + 1]].tolist():
            k = int(table.site[j])
            if k >= 0 and area_left[k] < land * (1 - _TOL):
                continue
            site = site_ids[k] if k >= 0 else None
            zone, t = zone_ids[int(table.zone[j])], int(table.year[j])
            charges = {q.id: model.charge(q.id, p, site) for q in scenario.quotas}
            draws = _draw(supply, {q: c for q, c in charges.items() if c > 0}, zone, t)
            if draws is not None:
                for quota, source, key, amount in draws:
                    supply.take(quota, source, key, t, amount)
                if k >= 0:
                    area_left[k] -= land
                plan[projects.ids[p]] = (zone, site, scenario.start_year + t)
                break
    return plan
