"""A quick feasible plan to start HiGHS from on large queues (LP-guided greedy).

Projects are taken in the order of their weight in the LP relaxation (locked-in projects
first), each at the placement the relaxation favours that still fits. Fitting is decided by
drawing supply explicitly — the project's zone sources first, then free city sources, then
priced ones cheapest first within the budget left — so every plan it returns satisfies every
rule of the model. It may leave out a project an exact check would fit; it never overfills.
"""

from __future__ import annotations

import time

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


def greedy_start(model: QuotaModel, weights: dict[Placement, float], deadline: float | None = None) -> Plan:
    """A feasible plan, project id -> (zone, site or None, calendar start year), guided by ``weights``
    (the LP relaxation's value of each placement variable; higher first). Locked-in projects come first.
    A placement on a site is taken only while the site's area left holds the project's land. From
    ``deadline`` on (a ``time.perf_counter()`` value) only locked-in projects are still placed (a plan
    without them would not be feasible): the plan so far."""
    projects, scenario = model.projects, model.scenario
    # Past the deadline already: only the locked-in projects are ranked and placed.
    late = deadline is not None and time.perf_counter() >= deadline
    placements: dict[int, list[Placement]] = {}
    for key in model.x:
        if not late or projects.lock[key[0]] == "in":
            placements.setdefault(key[0], []).append(key)
    mass = {p: float(np.sum([weights.get(k, 0.0) for k in keys])) for p, keys in placements.items()}
    best_value = {p: max(model.value[k] for k in keys) for p, keys in placements.items()}
    order = sorted(
        placements, key=lambda p: (projects.lock[p] != "in", -round(mass[p], 6), -best_value[p], p)
    )
    supply = SupplyLeft(scenario)
    sites = model.sites
    area_left = dict(zip(sites.ids, sites.area_mu.tolist(), strict=True)) if sites is not None else {}
    plan: Plan = {}
    for p in order:
        if projects.lock[p] != "in" and deadline is not None and time.perf_counter() >= deadline:
            break
        land = float(projects.land_mu[p])
        for _, zone, site, t in sorted(
            placements[p], key=lambda k: (-round(weights.get(k, 0.0), 6), -model.value[k])
        ):
            if site is not None and area_left[site] < land * (1 - _TOL):
                continue
            charges = {q.id: model.charge(q.id, p, site) for q in scenario.quotas}
            draws = _draw(supply, {q: c for q, c in charges.items() if c > 0}, zone, t)
            if draws is not None:
                for quota, source, key, amount in draws:
                    supply.take(quota, source, key, t, amount)
                if site is not None:
                    area_left[site] -= land
                plan[projects.ids[p]] = (zone, site, scenario.start_year + t)
                break
    return plan
