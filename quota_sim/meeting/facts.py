"""The ``planner`` block of summary.json: what the meeting pack needs beyond the §4 tables.

Names of the parks, sites (with their land classes), quotas and sources (so a results folder can be
read without the scenario), the
queue's land balance (the one shortfall definition, :mod:`quota_sim.shortfall`) and, per waiting
project, what it would need (:mod:`quota_sim.needs`).
"""

from __future__ import annotations

from typing import Any

from quota_sim.needs import waiting_needs
from quota_sim.results import Result
from quota_sim.scenario import Scenario
from quota_sim.shortfall import land_balance
from quota_sim.supply import NO_BUDGET, land_quota


def planner_facts(result: Result) -> dict[str, Any]:
    """Names (parks, sites, quotas, sources), land balance and waiting projects' needs, as plain JSON
    data. Units: quota units, mu, 万元."""
    scenario, projects = result.scenario, result.projects
    land = land_quota(scenario)
    balance = land_balance(scenario, projects)
    index = {pid: p for p, pid in enumerate(projects.ids)}
    waiting = {}
    for pid, need in waiting_needs(result).items():
        p = index[pid]
        waiting[pid] = {
            "zone": need.zone,
            "site": need.site,
            "year": need.year,
            "short": need.short,
            "budget": need.budget,
            "land_mu": float(projects.land_mu[p]),
            "output": float(projects.output[p]),
        }
    budget = scenario.objective.purchase_budget
    return {
        "description": scenario.description,
        "start_year": scenario.start_year,
        "years": scenario.years,
        "purchase_budget": budget if budget < NO_BUDGET else None,
        "zones": {z.id: z.name for z in scenario.zones},
        "quotas": [
            {
                "id": q.id,
                "name": q.name,
                "unit": q.unit,
                "ratio": q.ratio,
                "carry_over": q.carry_over,
                "sources": [
                    {"id": s.id, "name": s.name, "scope": s.scope, "price": s.price} for s in q.sources
                ],
            }
            for q in scenario.quotas
        ],
        "land_quota": land.id if land else None,
        "land_balance": None
        if balance is None
        else {
            "demand": balance.demand,
            "supply": balance.supply,
            "shortfall": balance.shortfall,
            "by_source": balance.by_source,
            "years": list(balance.years),
            "demand_by_year": list(balance.demand_by_year),
            "supply_by_year": list(balance.supply_by_year),
        },
        "sites": _sites(scenario),
        "land_mu": {row.id: float(projects.land_mu[index[row.id]]) for row in result.allocation
                    if row.status == "approved"},
        "waiting": waiting,
    }


def _sites(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Per site id: name, park, area and the area of each land class (mu); empty without sites."""
    sites = scenario.sites
    if sites is None:
        return {}
    return {
        site: {
            "name": sites.names[k],
            "zone": sites.zones[k],
            "area_mu": float(sites.area_mu[k]),
            "classes": {name: float(areas[k]) for name, areas in sites.classes.items()},
        }
        for k, site in enumerate(sites.ids)
    }
