"""Build the allocation MILP of SPEC §2 and §5 with PuLP.

Variables (only those that can be non-zero are created):

- ``x[p, z, k, t]`` binary, one per *placement* (:data:`Placement`): project ``p`` approved in zone
  ``z`` on site ``k`` (None in a scenario without sites) starting in horizon year ``t``. A placement
  exists only where ``z`` passes the screens and admission list, ``k`` is one of the project's
  candidate sites in ``z`` with area_mu >= land_mu, max(earliest_year, ready_year_k) <= t <=
  latest_year, and the project alone fits every quota;
- ``use[q, s, z, t]`` >= 0: units of source ``s`` of quota ``q`` consumed in year ``t`` by projects in
  zone ``z`` (a city source may serve every zone, a zone source only its own).

Rows: each project at most once (exactly once when locked in); per quota, zone and year the charges of
the projects started there (``ratio * demand * share_q(k)`` on site ``k``) equal the use drawn for them;
per source (per zone for zone sources) and year the use never exceeds the supply (cumulatively with
carry-over); per site the land of the projects placed on it over the horizon stays within its area; the
purchase cost stays within budget.

With ``elastic=True`` the model answers "how much more supply would make the locks feasible": only
locked-in projects get variables, each source gets ``extra[q, s, zone, t]`` >= 0 added to its supply
in year ``t``, each site ``extra_site[k]`` mu added to its area, and the objective minimises the
extra (each quota scaled by its largest amount, each site by its area).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pulp

from quota_sim.placements import PlacementSpace
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario
from quota_sim.sites import Sites
from quota_sim.supply import CITY, NO_BUDGET, SupplyKey, project_room, serves, supply_keys, supply_limits
from quota_sim.valuation import base_values, placement_value

_FIT_TOL = 1e-9

Placement = tuple[int, str, str | None, int]  # (project index, zone id, site id or None, year index)
UseKey = tuple[str, str, str, int]  # (quota id, source id, demand zone id, year index)
SupplyRowKey = tuple[str, str, SupplyKey, int]  # (quota id, source id, CITY or zone id, year index)


@dataclass
class QuotaModel:
    """The PuLP problem and the index maps that tie its variables back to projects and quotas."""

    scenario: Scenario
    projects: Projects
    space: PlacementSpace  # where and when each project may start, and its charges
    problem: pulp.LpProblem
    x: dict[Placement, pulp.LpVariable]
    value: dict[Placement, float]  # objective coefficient of each x, 万元
    use: dict[UseKey, pulp.LpVariable] = field(default_factory=dict)
    supply_rows: dict[SupplyRowKey, pulp.LpConstraint] = field(default_factory=dict)
    budget_row: pulp.LpConstraint | None = None
    elastic: bool = False
    extra: dict[SupplyRowKey, pulp.LpVariable] = field(default_factory=dict)
    extra_budget: pulp.LpVariable | None = None
    unplaceable_locks: list[int] = field(default_factory=list)  # lock-in projects with no placement
    site_rows: dict[str, pulp.LpConstraint] = field(default_factory=dict)  # site id -> capacity row
    extra_site: dict[str, pulp.LpVariable] = field(default_factory=dict)  # elastic: mu added to a site

    @property
    def n_variables(self) -> int:
        return (
            len(self.x)
            + len(self.use)
            + len(self.extra)
            + len(self.extra_site)
            + (self.extra_budget is not None)
        )

    @property
    def sites(self) -> Sites | None:
        return self.space.sites

    @property
    def charges(self) -> dict[str, np.ndarray]:
        """Per quota, ratio * demand of every project (before site shares)."""
        return self.space.charges

    @property
    def eligible(self) -> list[list[str]]:
        """Per project, the candidate zones passing the screens and admission lists."""
        return self.space.eligible

    @property
    def screen_failures(self) -> list[str]:
        """Per project, what failed in each candidate zone ("" when some zone passes)."""
        return self.space.failures

    @property
    def first_year(self) -> np.ndarray:
        return self.space.first_year

    @property
    def site_index(self) -> dict[str, int]:
        return {} if self.sites is None else self.sites.index

    def charge(self, quota: str, p: int, site: str | None) -> float:
        """What project ``p`` charges ``quota`` on ``site`` (ratio * demand * share_q(site)), quota units."""
        return self.space.charge(quota, p, None if site is None else self.site_index[site])


def build_model(scenario: Scenario, projects: Projects, *, elastic: bool = False) -> QuotaModel:
    """Build the MILP (or, with ``elastic``, the smallest-extra model for the locks).

    Sites come from ``scenario.sites``; without them every placement's site is None.
    """
    years = scenario.years
    zone_ids = scenario.zone_ids()
    quotas = scenario.quotas
    space = PlacementSpace.of(scenario, projects)
    sites = space.sites
    limits = {
        (q.id, s.id, key): supply_limits(q, s, key, years)
        for q in quotas
        for s in q.sources
        for key in supply_keys(s, zone_ids)
    }
    zone_index = {z: i for i, z in enumerate(zone_ids)}
    # Most a single project could draw of each quota, per zone (rows) and start year (columns).
    room = {q.id: np.array([project_room(q, z, zone_ids, years) for z in zone_ids]) for q in quotas}
    charged = [(q.id, space.charges[q.id], space.shares.get(q.id)) for q in quotas]

    sense = pulp.LpMinimize if elastic else pulp.LpMaximize
    problem = pulp.LpProblem(f"quota_{scenario.name}", sense)
    values = base_values(scenario.objective, projects)
    x: dict[Placement, pulp.LpVariable] = {}
    value: dict[Placement, float] = {}
    unplaceable: list[int] = []

    for p in range(len(projects)):
        locked_in = projects.lock[p] == "in"
        if projects.lock[p] == "out" or (elastic and not locked_in):
            continue
        before = len(x)
        last = int(space.last_year[p])
        needs = [(q, charge[p], share) for q, charge, share in charged if charge[p] > 0]
        for z, k, first in space.places(p):
            zi = zone_index[z]
            # The project alone must fit every quota it needs (its charge on this site).
            amounts = [(q, c if k is None else c * share[k]) for q, c, share in needs]
            preferred = space.preferred(p, z, k)
            site = None if k is None else sites.ids[k]
            column = zi if k is None else k
            for t in range(first, last + 1):
                if not elastic and any(a > room[q][zi, t] + _FIT_TOL for q, a in amounts):
                    continue
                key = (p, z, site, t)
                x[key] = problem.add_variable(f"x_{p}_{column}_{t}", 0, 1, pulp.LpBinary)
                value[key] = placement_value(scenario.objective, values[p], t, preferred)
        if locked_in and len(x) == before:
            unplaceable.append(p)

    model = QuotaModel(
        scenario=scenario,
        projects=projects,
        space=space,
        problem=problem,
        x=x,
        value=value,
        elastic=elastic,
        unplaceable_locks=unplaceable,
    )
    _define_selection(model)
    _define_quota_balance(model, limits)
    _define_supply(model, limits)
    _define_site_capacity(model)
    _define_budget(model)
    _define_objective(model)
    return model


def _define_selection(model: QuotaModel) -> None:
    """Each project at most once; exactly once when locked in."""
    by_project: dict[int, list[pulp.LpVariable]] = {}
    for (p, _z, _k, _t), var in model.x.items():
        by_project.setdefault(p, []).append(var)
    for p, variables in by_project.items():
        locked_in = model.projects.lock[p] == "in"
        if len(variables) == 1 and not locked_in:
            continue  # a binary is already at most 1
        expr = pulp.LpAffineExpression([(v, 1.0) for v in variables])
        sense = pulp.LpConstraintEQ if locked_in else pulp.LpConstraintLE
        model.problem.addConstraint(pulp.LpConstraint(expr, sense, f"once_{p}", 1.0))


def _define_quota_balance(model: QuotaModel, limits: dict[tuple[str, str, SupplyKey], np.ndarray]) -> None:
    """Per quota, zone and year: charges of projects started there == use drawn for them."""
    scenario = model.scenario
    zone_ids = scenario.zone_ids()
    space, site_index = model.space, model.site_index
    quotas = scenario.quotas
    # One pass over the placements: each adds its charge to the (zone, year) of every quota it needs.
    needs: dict[int, list[tuple[int, float, np.ndarray | None]]] = {}
    demands: list[dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]]] = [{} for _ in quotas]
    for (p, z, k, t), var in model.x.items():
        need = needs.get(p)
        if need is None:
            need = needs[p] = [
                (qi, float(space.charges[q.id][p]), space.shares.get(q.id))
                for qi, q in enumerate(quotas)
                if space.charges[q.id][p] > 0
            ]
        ki = None if k is None else site_index[k]
        for qi, charge, share in need:
            amount = charge if ki is None else charge * float(share[ki])
            if amount > 0:
                demands[qi].setdefault((z, t), []).append((var, amount))
    for qi, quota in enumerate(quotas):
        demand = demands[qi]
        for (z, t), terms in demand.items():
            supply_terms = []
            for si, source in enumerate(quota.sources):
                key = CITY if source.scope == "city" else z
                if limits[quota.id, source.id, key][t] <= 0 and not model.elastic:
                    continue  # nothing to draw up to this year
                var = model.problem.add_variable(f"use_{qi}_{si}_{zone_ids.index(z)}_{t}", 0)
                model.use[quota.id, source.id, z, t] = var
                supply_terms.append((var, -1.0))
            if model.elastic and not quota.sources:
                var = model.problem.add_variable(f"extra_{qi}_none_{zone_ids.index(z)}_{t}", 0)
                model.extra[quota.id, "", z, t] = var
                supply_terms.append((var, -1.0))
            expr = pulp.LpAffineExpression(terms + supply_terms)
            model.problem.addConstraint(
                pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"balance_{qi}_{zone_ids.index(z)}_{t}", 0.0)
            )


def _define_supply(model: QuotaModel, limits: dict[tuple[str, str, SupplyKey], np.ndarray]) -> None:
    """Per source (per zone for zone sources) and year: use never exceeds supply."""
    scenario = model.scenario
    zone_ids = scenario.zone_ids()
    years = scenario.years
    for qi, quota in enumerate(scenario.quotas):
        for si, source in enumerate(quota.sources):
            for key in supply_keys(source, zone_ids):
                per_year: list[list[pulp.LpVariable]] = [[] for _ in range(years)]
                for z in zone_ids:
                    if serves(source, key, z):
                        for t in range(years):
                            var = model.use.get((quota.id, source.id, z, t))
                            if var is not None:
                                per_year[t].append(var)
                extra = []
                if model.elastic:
                    extra = [
                        model.problem.add_variable(f"extra_{qi}_{si}_{key or 'city'}_{t}", 0)
                        for t in range(years)
                    ]
                    for t, var in enumerate(extra):
                        model.extra[quota.id, source.id, key, t] = var
                for t in range(years):
                    span = range(t + 1) if quota.carry_over else range(t, t + 1)
                    terms = [(v, 1.0) for k in span for v in per_year[k]]
                    if not terms:
                        continue
                    terms += [(extra[k], -1.0) for k in span] if extra else []
                    row = pulp.LpConstraint(
                        pulp.LpAffineExpression(terms),
                        pulp.LpConstraintLE,
                        f"supply_{qi}_{si}_{key or 'city'}_{t}",
                        float(limits[quota.id, source.id, key][t]),
                    )
                    model.problem.addConstraint(row)
                    model.supply_rows[quota.id, source.id, key, t] = row


def _define_site_capacity(model: QuotaModel) -> None:
    """Per site: the land (mu) of the projects placed on it over the horizon stays within its area.

    A row is left out where every project that may use the site fits on it together."""
    if model.sites is None:
        return
    land = model.projects.land_mu
    on_site: dict[str, dict[int, list[pulp.LpVariable]]] = {}
    for (p, _z, k, _t), var in model.x.items():
        on_site.setdefault(k, {}).setdefault(p, []).append(var)
    index = model.site_index
    for site, by_project in on_site.items():
        area = float(model.sites.area_mu[index[site]])
        if not model.elastic and float(np.sum([land[p] for p in by_project])) <= area * (1 + _FIT_TOL):
            continue
        terms = [(var, float(land[p])) for p, variables in by_project.items() for var in variables]
        if model.elastic:
            extra = model.problem.add_variable(f"extra_site_{index[site]}", 0)
            model.extra_site[site] = extra
            terms.append((extra, -1.0))
        row = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"site_{index[site]}", area
        )
        model.problem.addConstraint(row)
        model.site_rows[site] = row


def _purchase_terms(model: QuotaModel) -> list[tuple[pulp.LpVariable, float]]:
    """(use variable, price) for every priced source: the purchase cost in 万元."""
    prices = {(q.id, s.id): s.price for q in model.scenario.quotas for s in q.sources}
    return [(var, prices[q, s]) for (q, s, _z, _t), var in model.use.items() if prices[q, s] > 0]


def _define_budget(model: QuotaModel) -> None:
    """Total purchase cost within the purchase budget (万元)."""
    budget = model.scenario.objective.purchase_budget
    terms = _purchase_terms(model)
    if not terms or budget >= NO_BUDGET:
        return
    if model.elastic:
        model.extra_budget = model.problem.add_variable("extra_budget", 0)
        terms = [*terms, (model.extra_budget, -1.0)]
    model.budget_row = pulp.LpConstraint(
        pulp.LpAffineExpression(terms), pulp.LpConstraintLE, "budget", budget
    )
    model.problem.addConstraint(model.budget_row)


def _define_objective(model: QuotaModel) -> None:
    if model.elastic:
        scale = {q.id: _quota_scale(q) for q in model.scenario.quotas}
        years = model.scenario.years
        # Among equally small extras, prefer the latest year: supply granted later is easier to find.
        terms = [
            (var, (1.0 + 1e-3 * (years - 1 - t)) / scale[q]) for (q, _s, _k, t), var in model.extra.items()
        ]
        if model.extra_budget is not None:
            terms.append((model.extra_budget, 1.0 / max(1.0, model.scenario.objective.purchase_budget)))
        index = model.site_index
        terms += [(var, 1.0 / float(model.sites.area_mu[index[k]])) for k, var in model.extra_site.items()]
        model.problem.setObjective(pulp.LpAffineExpression(terms))
        return
    terms = [(var, model.value[key]) for key, var in model.x.items()]
    terms += [(var, -price) for var, price in _purchase_terms(model)]
    model.problem.setObjective(pulp.LpAffineExpression(terms))


def _quota_scale(quota: Quota) -> float:
    """The largest yearly amount of a quota (at least 1): makes extra supply comparable across units."""
    amounts = [a for s in quota.sources for values in s.amounts.values() for a in values]
    return max([1.0, *amounts])
