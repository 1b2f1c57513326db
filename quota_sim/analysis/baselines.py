"""Hand-ranking baselines (DOMAIN §5): the plan a planner would make without the optimiser.

Two orders of the queue are allocated greedily under exactly the same rules as the model:

- ``fcfs`` (先到先得): first come, first served, by ``queued_since`` (blank dates last), then input order;
- ``per_mu`` (亩均排序): by the composite per-mu score of :mod:`quota_sim.analysis.grades`
  (tax/mu 45 : output/mu 20), best first, ties in input order.

Locked-in projects are placed first (in the same order), locked-out ones never. Each project
takes the earliest horizon year in which it fits, and within that year its preferred zone
first, then its other zones in the order the queue lists them, among the zones whose
screens and admission lists it passes (with sites: its candidate sites in that order, each
while the area the plan leaves on it holds the project; :mod:`quota_sim.placements`).
"Fits" is decided exactly by :class:`~quota_sim.analysis.supply.SupplyLedger`
(city and zone sources, carry-over, ratio, purchase budget). The plan's objective uses
the same value terms as the model (:mod:`quota_sim.valuation`) less the cheapest purchase
cost, so it never exceeds the optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from quota_sim.analysis.grades import per_mu_scores
from quota_sim.analysis.supply import SupplyLedger, UseKey
from quota_sim.placements import PlacementSpace
from quota_sim.projects import Projects
from quota_sim.scenario import Scenario
from quota_sim.supply import supply_keys, zone_label
from quota_sim.valuation import base_values, placement_value

METHODS = ("fcfs", "per_mu")


@dataclass(frozen=True)
class BaselinePlan:
    """A plan made by hand ranking.

    ``placements`` maps project index to (zone id, year index), ``sites`` to the site id where the
    scenario has sites. ``status`` is ``feasible``,
    or ``infeasible`` when some locked-in project found no room (listed in ``unmet_locks``).
    Money in 万元 (``objective``, ``output``, ``tax``, ``investment``, ``purchase_cost``),
    land in mu.
    """

    method: str
    status: str
    placements: dict[int, tuple[str, int]]
    values: dict[int, float]
    used: dict[UseKey, float]
    purchase_cost: float
    objective: float
    approved: int
    land_used: float
    investment: float
    output: float
    tax: float
    unmet_locks: list[str] = field(default_factory=list)
    sites: dict[int, str] = field(default_factory=dict)  # project index -> site id (scenarios with sites)

    def kpi(self) -> dict[str, float | int]:
        """The plan's figures as summary.json reports them."""
        return {
            "objective": round(self.objective, 6),
            "approved": self.approved,
            "land_used": round(self.land_used, 6),
            "investment": round(self.investment, 6),
            "output": round(self.output, 6),
            "tax": round(self.tax, 6),
            "purchase_cost": round(self.purchase_cost, 6),
        }


def queue_order(scenario: Scenario, projects: Projects, method: str) -> list[int]:
    """Project indices in the order the planner considers them, locked-in projects first."""
    n = len(projects)
    if method == "fcfs":
        order = sorted(range(n), key=lambda p: (projects.queued_since[p] == "", projects.queued_since[p], p))
    elif method == "per_mu":
        scores = per_mu_scores(projects)
        order = sorted(range(n), key=lambda p: (-scores[p], p))
    else:
        raise ValueError(f"unknown baseline method {method!r}; expected one of {', '.join(METHODS)}")
    locked = [p for p in order if projects.lock[p] == "in"]
    return locked + [p for p in order if projects.lock[p] != "in"]


class OutOfTime(Exception):
    """The deadline of a hand allocation passed before it was done."""


def allocate_by_hand(
    scenario: Scenario, projects: Projects, method: str, deadline: float | None = None,
    space: PlacementSpace | None = None,
) -> BaselinePlan:
    """Allocate the queue greedily in the order of ``method`` (``fcfs`` or ``per_mu``); ``space``: the
    queue's placements when known (e.g. the built model's).

    Raises :class:`OutOfTime` once ``deadline`` (``time.perf_counter()``) passes before the end.
    """
    _check(deadline, method)
    space = space or PlacementSpace.of(scenario, projects)
    base = base_values(scenario.objective, projects)
    ledger = SupplyLedger(scenario)
    area_left = space.sites.area_mu.copy() if space.sites is not None else None
    placements: dict[int, tuple[str, int]] = {}
    sites: dict[int, str] = {}
    values: dict[int, float] = {}
    unmet: list[str] = []
    for p in queue_order(scenario, projects, method):
        if projects.lock[p] == "out":
            continue
        _check(deadline, method)
        land = float(projects.land_mu[p])
        spot = None
        # The earliest year first; within it the preferred zone (or site) first.
        for zone, k, t in sorted(space.options(p), key=lambda option: option[2]):
            if k is not None and area_left[k] < land * (1 - 1e-9):
                continue
            charges = {q.id: space.charge(q.id, p, k) for q in scenario.quotas}
            if ledger.fits(charges, zone, t):
                spot = (zone, k, t, charges)
                break
        if spot is None:
            if projects.lock[p] == "in":
                unmet.append(projects.ids[p])
            continue
        zone, k, t, charges = spot
        ledger.add(charges, zone, t)
        placements[p] = (zone, t)
        if k is not None:
            sites[p] = space.sites.ids[k]
            area_left[k] -= land
        values[p] = placement_value(scenario.objective, float(base[p]), t, space.preferred(p, zone, k))
    used, cost = ledger.draw()
    chosen = sorted(placements)
    return BaselinePlan(
        method=method,
        status="infeasible" if unmet else "feasible",
        placements=placements,
        values=values,
        used=used,
        purchase_cost=cost,
        objective=float(np.sum([values[p] for p in chosen])) - cost,
        approved=len(chosen),
        land_used=float(np.sum(projects.land_mu[chosen])) if chosen else 0.0,
        investment=float(np.sum(projects.investment[chosen])) if chosen else 0.0,
        output=float(np.sum(projects.output[chosen])) if chosen else 0.0,
        tax=float(np.sum(projects.tax[chosen])) if chosen else 0.0,
        unmet_locks=unmet,
        sites=sites,
    )


def plan_tables(scenario: Scenario, projects: Projects, plan: BaselinePlan) -> tuple[list[dict], list[dict]]:
    """The plan as rows of allocation.csv and quota_use.csv (SPEC §4), for checking and export."""
    space = PlacementSpace.of(scenario, projects)
    eligible, failures = space.eligible, space.failures
    site_index = space.sites.index if space.sites is not None else {}
    allocation = []
    for p in range(len(projects)):
        placement = plan.placements.get(p)
        if placement is not None:
            status, reason = "approved", ""
        elif not eligible[p]:
            status, reason = "ineligible", failures[p]
        elif projects.lock[p] == "out":
            status, reason = "locked_out", ""
        else:
            status, reason = "not_selected", "hand ranking"
        row = {
            "id": projects.ids[p],
            "name": projects.names[p],
            "status": status,
            "zone": placement[0] if placement else "",
            **({"site": plan.sites.get(p, "")} if space.sites is not None else {}),
            "start_year": scenario.start_year + placement[1] if placement else "",
            "value": plan.values.get(p, 0.0),
            "reason": reason,
        }
        site = site_index.get(plan.sites.get(p, ""))
        for quota in scenario.quotas:
            row[f"{quota.id}_charged"] = space.charge(quota.id, p, site) if placement else 0.0
        allocation.append(row)
    quota_use = []
    for quota in scenario.quotas:
        for source in quota.sources:
            for pool in supply_keys(source, scenario.zone_ids()):
                for t in range(scenario.years):
                    used = plan.used.get((quota.id, source.id, pool, t), 0.0)
                    quota_use.append(
                        {
                            "quota": quota.id,
                            "source": source.id,
                            "zone": zone_label(pool),
                            "year": scenario.start_year + t,
                            "available": source.amount(pool, t),
                            "used": used,
                            "cost": source.price * used,
                        }
                    )
    return allocation, quota_use


def uplift_percent(optimised: float, baseline: float) -> float | None:
    """How much better the optimised objective is, in % of the baseline's (None if the baseline is <= 0)."""
    if baseline <= 0:
        return None
    return round(100.0 * (optimised - baseline) / baseline, 4)


def _check(deadline: float | None, method: str) -> None:
    """Raise :class:`OutOfTime` if ``deadline`` (``time.perf_counter()``; None: none) has passed."""
    if deadline is not None and time.perf_counter() > deadline:
        raise OutOfTime(method)


def baseline_summary(
    scenario: Scenario, projects: Projects, optimised_objective: float, deadline: float | None = None,
    space: PlacementSpace | None = None,
) -> dict[str, dict]:
    """summary.json entry ``baselines``: per method its figures and the optimised plan's uplift.

    Returns
    -------
    dict
        ``{"fcfs": {...}, "per_mu": {...}}``, each with ``status``, ``objective``, ``approved``,
        ``land_used``, ``investment``, ``output``, ``tax``, ``purchase_cost`` (万元, mu) and
        ``uplift_pct``; an infeasible baseline also lists ``unmet_locks`` and has no uplift. A method
        not done by ``deadline`` (``time.perf_counter()``; None: none) is only ``{"status": "no_time"}``.
        ``space``: the queue's placements when known (the built model's), else found once here.
    """
    summary: dict[str, dict] = {}
    for method in METHODS:
        try:
            if space is None:
                _check(deadline, method)
                space = PlacementSpace.of(scenario, projects)
            plan = allocate_by_hand(scenario, projects, method, deadline, space)
        except OutOfTime:
            summary[method] = {"status": "no_time"}
            continue
        entry: dict = {"status": plan.status, **plan.kpi()}
        if plan.status == "feasible":
            entry["uplift_pct"] = uplift_percent(optimised_objective, plan.objective)
        else:
            entry["uplift_pct"] = None
            entry["unmet_locks"] = plan.unmet_locks
        summary[method] = entry
    return summary
