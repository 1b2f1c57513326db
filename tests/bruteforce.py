"""Exhaustive search for the optimum of tiny instances, straight from SPEC §2 and §5.

Every assignment (each project: not approved, or one eligible zone — and with sites one site in it —
and one allowed start year) is enumerated. Sites: a candidate site in a zone the project passes
(screens and admission list), as large as the project, start year between max(earliest, ready) and
the latest year; the land placed on a site never exceeds its area; a quota with ``site_classes``
charges the share of those classes on the site. Its feasibility and cheapest purchase cost come from
one small LP per quota over source
usage, with city supply split explicitly across zones; the quotas only interact through the purchase
budget, and the cheapest cost is also the smallest budget use, so an assignment is feasible exactly when
every quota's LP is feasible and the cheapest costs fit the budget. Values follow the SPEC formula,
computed here without the model code. Meant for <= 6 projects, <= 2 zones, <= 3 years.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario

Placement = (
    tuple[str, str | None, int] | None
)  # (zone id, site id or None, year index), or None = not approved


@dataclass(frozen=True)
class BruteForceOptimum:
    """The best assignment found: objective (万元), one placement per project, and its purchase cost."""

    objective: float
    placements: tuple[Placement, ...]
    cost: float


def _passes(scenario: Scenario, projects: Projects, p: int, zone_id: str) -> bool:
    zone = {z.id: z for z in scenario.zones}[zone_id]
    checks = []  # thresholds compared with a 1e-9 relative slack, so 6000 / 30 mu reaches 200
    if zone.min_investment_intensity is not None:
        checks.append(
            projects.investment[p] / projects.land_mu[p] >= zone.min_investment_intensity * (1 - 1e-9)
        )
    if zone.min_tax_per_mu is not None:
        checks.append(projects.tax[p] / projects.land_mu[p] >= zone.min_tax_per_mu * (1 - 1e-9))
    return not checks or any(checks)


def _admits(scenario: Scenario, projects: Projects, p: int, zone_id: str) -> bool:
    zone = {z.id: z for z in scenario.zones}[zone_id]
    return zone.industries is None or projects.industries[p] in zone.industries


def _share(scenario: Scenario, quota: Quota, site: str | None) -> float:
    if site is None or not quota.site_classes:
        return 1.0
    sites = scenario.sites
    k = sites.ids.index(site)
    return sum(float(sites.classes[c][k]) for c in quota.site_classes if c in sites.classes) / float(
        sites.area_mu[k]
    )


def _value(scenario: Scenario, projects: Projects, p: int, zone_id: str, site: str | None, t: int) -> float:
    obj = scenario.objective
    w = obj.weights
    delta = 1.0 / (1.0 + obj.discount_rate)
    ramp_share = [min(1.0, (k + 1) / (int(projects.ramp_years[p]) + 1)) for k in range(obj.appraisal_years)]
    annuity = float(np.dot(delta ** np.arange(obj.appraisal_years), ramp_share))
    flows = w.get("output", 0.0) * projects.output[p] + w.get("tax", 0.0) * projects.tax[p]
    flows += w.get("jobs", 0.0) * projects.jobs[p]
    v = w.get("investment", 0.0) * projects.investment[p] + annuity * flows
    if projects.strategic[p]:
        v *= 1.0 + obj.strategic_bonus
    named = projects.sites[p] if site is not None else ()
    if (site != named[0]) if named else (zone_id != projects.zones[p][0]):
        v *= 1.0 - obj.relocation_penalty
    return float(v * delta**t)


def placement_options(scenario: Scenario, projects: Projects, p: int) -> list[Placement]:
    """Every placement of project ``p`` the rules allow, ``None`` (not approved) included unless locked in."""
    if projects.lock[p] == "out":
        return [None]
    earliest = int(projects.earliest_year[p]) or scenario.start_year
    latest = int(projects.latest_year[p]) or scenario.start_year + scenario.years - 1
    declared = set(scenario.zone_ids())
    zones = [
        z
        for z in projects.zones[p]
        if z in declared and _passes(scenario, projects, p, z) and _admits(scenario, projects, p, z)
    ]
    sites = scenario.sites
    options: list[Placement] = []
    for z in zones:
        if sites is None:
            places = [(None, earliest)]
        else:
            places = [
                (site, max(earliest, int(sites.ready_year[k]) or scenario.start_year))
                for k, site in enumerate(sites.ids)
                if sites.zones[k] == z
                and (not projects.sites[p] or site in projects.sites[p])
                and sites.area_mu[k] >= projects.land_mu[p]
            ]
        for site, first in places:
            for year in range(
                max(first, scenario.start_year), min(latest, scenario.start_year + scenario.years - 1) + 1
            ):
                options.append((z, site, year - scenario.start_year))
    if projects.lock[p] != "in":
        options.append(None)
    return options


class _SupplyLP:
    """One quota's purchase LP: one variable per (source, supply zone key, served zone, year), city supply
    serving any zone; the charges (zone-major, year-minor) are the right-hand side of its equality rows.
    Built once in HiGHS, re-solved for each charge vector from the last basis."""

    def __init__(self, scenario: Scenario, quota: Quota) -> None:
        zones, years = scenario.zone_ids(), scenario.years
        columns: list[tuple[int, str | None, str, int]] = []
        for s, source in enumerate(quota.sources):
            for z in zones:
                for t in range(years):
                    columns.append((s, None if source.scope == "city" else z, z, t))
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        n = len(columns)
        cost = np.array([quota.sources[s].price for s, _, _, _ in columns], dtype=float)
        self.highs.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        # the charges: what each (zone, year) uses is served
        for cell in range(len(zones) * years):
            used = [j for j, (_, _, z, t) in enumerate(columns) if zones.index(z) * years + t == cell]
            self._add_row(0.0, 0.0, used)
        # each source's supply up to year t (from year t alone without carry-over)
        for s, source in enumerate(quota.sources):
            for key in [None] if source.scope == "city" else zones:
                for t in range(years):
                    first = 0 if quota.carry_over else t
                    used = [j for j, c in enumerate(columns) if c[:2] == (s, key) and first <= c[3] <= t]
                    supply = sum(source.amount(key, k) for k in range(first, t + 1))
                    self._add_row(-highspy.kHighsInf, supply, used)
        self.cells = np.arange(len(zones) * years, dtype=np.int32)

    def _add_row(self, lower: float, upper: float, columns: list[int]) -> None:
        self.highs.addRows(
            1, np.array([lower]), np.array([upper]), len(columns), np.array([0], dtype=np.int32),
            np.array(columns, dtype=np.int32), np.ones(len(columns)),
        )

    def cheapest(self, charges: tuple[float, ...]) -> float | None:
        """Minimal purchase cost of meeting ``charges``, None if impossible."""
        if not any(charges):
            return 0.0
        values = np.array(charges, dtype=float)
        self.highs.changeRowsBounds(len(values), self.cells, values, values)
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(self.highs.getInfo().objective_function_value)


def _cheapest_supply(scenario: Scenario, quota: Quota, charges: tuple[float, ...]) -> float | None:
    """Minimal purchase cost of one quota meeting ``charges`` (zone-major, year-minor), None if impossible."""
    return _SupplyLP(scenario, quota).cheapest(charges)


def brute_force(scenario: Scenario, projects: Projects) -> BruteForceOptimum | None:
    """The optimum over every assignment, or None when no assignment is feasible.

    Projects are placed one after another; a partial assignment that no supply can serve (or whose
    cheapest cost already exceeds the budget) is not extended, since adding projects only adds charges.
    """
    zones, years = scenario.zone_ids(), scenario.years
    n = len(projects)
    options = [placement_options(scenario, projects, p) for p in range(n)]
    sites = scenario.sites
    area = dict(zip(sites.ids, sites.area_mu, strict=True)) if sites is not None else {}
    site_land: dict[str, float] = {}
    values = {
        (p, opt): _value(scenario, projects, p, *opt)
        for p in range(n)
        for opt in options[p]
        if opt is not None
    }
    budget = scenario.objective.purchase_budget
    supply_cache: dict[tuple[int, tuple[float, ...]], float | None] = {}
    supply_lps = [_SupplyLP(scenario, quota) for quota in scenario.quotas]

    def cheapest(charges: list[list[float]]) -> float | None:
        """Total cheapest purchase cost of all quotas, None when some quota cannot be served."""
        total = 0.0
        for q in range(len(scenario.quotas)):
            key = (q, tuple(round(c, 9) for c in charges[q]))
            if key not in supply_cache:
                supply_cache[key] = supply_lps[q].cheapest(key[1])
            cost = supply_cache[key]
            if cost is None:
                return None
            total += cost
        return total if total <= budget * (1 + 1e-9) + 1e-9 else None

    best: BruteForceOptimum | None = None
    placements: list[Placement] = []

    def extend(p: int, charges: list[list[float]], cost: float) -> None:
        nonlocal best
        if p == n:
            objective = sum(values[i, opt] for i, opt in enumerate(placements) if opt is not None) - cost
            if best is None or objective > best.objective:
                best = BruteForceOptimum(objective, tuple(placements), cost)
            return
        for opt in options[p]:
            new_charges, new_cost = charges, cost
            site = opt[1] if opt is not None else None
            if site is not None and site_land.get(site, 0.0) + projects.land_mu[p] > area[site] * (1 + 1e-9):
                continue
            if opt is not None:
                cell = zones.index(opt[0]) * years + opt[2]
                new_charges = [list(c) for c in charges]
                for q, quota in enumerate(scenario.quotas):
                    new_charges[q][cell] += (
                        quota.ratio * projects.demand[quota.demand][p] * _share(scenario, quota, site)
                    )
                found = cheapest(new_charges)
                if found is None:
                    continue
                new_cost = found
            if site is not None:
                site_land[site] = site_land.get(site, 0.0) + projects.land_mu[p]
            placements.append(opt)
            extend(p + 1, new_charges, new_cost)
            placements.pop()
            if site is not None:
                site_land[site] -= projects.land_mu[p]

    extend(0, [[0.0] * (len(zones) * years) for _ in scenario.quotas], 0.0)
    return best


def brute_force_optimum(scenario: Scenario, projects: Projects) -> float | None:
    """The optimal objective (万元) by exhaustive enumeration, None when infeasible."""
    best = brute_force(scenario, projects)
    return None if best is None else best.objective
