"""Build the allocation MILP of SPEC §2 with PuLP.

Variables (only those that can be non-zero are created):

- ``x[p, z, t]`` binary: project ``p`` approved in zone ``z`` starting in horizon year ``t``
  (``z`` passes the screens, ``t`` not before the earliest year, the project alone fits every quota);
- ``use[q, s, z, t]`` >= 0: units of source ``s`` of quota ``q`` consumed in year ``t`` by projects in
  zone ``z`` (a city source may serve every zone, a zone source only its own).

Rows: each project at most once (exactly once when locked in); per quota, zone and year the charges of
the projects started there equal the use drawn for them; per source (per zone for zone sources) and year
the use never exceeds the supply (cumulatively with carry-over); the purchase cost stays within budget.

With ``elastic=True`` the model answers "how much more supply would make the locks feasible": only
locked-in projects get variables, each source gets ``extra[q, s, zone, t]`` >= 0 added to its supply
in year ``t``, and the objective minimises the extra supply (each quota scaled by its largest amount).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pulp

from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario
from quota_sim.screens import eligible_zones
from quota_sim.supply import CITY, NO_BUDGET, SupplyKey, project_room, serves, supply_keys, supply_limits
from quota_sim.valuation import base_values, placement_value

_FIT_TOL = 1e-9

Key = tuple[int, str, int]  # (project index, zone id, horizon year index)
UseKey = tuple[str, str, str, int]  # (quota id, source id, demand zone id, year index)
SupplyRowKey = tuple[str, str, SupplyKey, int]  # (quota id, source id, CITY or zone id, year index)


@dataclass
class QuotaModel:
    """The PuLP problem and the index maps that tie its variables back to projects and quotas."""

    scenario: Scenario
    projects: Projects
    problem: pulp.LpProblem
    x: dict[Key, pulp.LpVariable]
    value: dict[Key, float]  # objective coefficient of each x, 万元
    use: dict[UseKey, pulp.LpVariable]
    supply_rows: dict[SupplyRowKey, pulp.LpConstraint]
    charges: dict[str, np.ndarray]  # per quota, ratio * demand of every project
    eligible: list[list[str]]  # per project, the candidate zones passing the screens
    screen_failures: list[str]  # per project, the failed screens ("" when some zone passes)
    first_year: np.ndarray  # per project, first horizon year index it may start (may be >= years)
    budget_row: pulp.LpConstraint | None = None
    elastic: bool = False
    extra: dict[SupplyRowKey, pulp.LpVariable] = field(default_factory=dict)
    extra_budget: pulp.LpVariable | None = None
    unplaceable_locks: list[int] = field(default_factory=list)  # lock-in projects with no placement

    @property
    def n_variables(self) -> int:
        return len(self.x) + len(self.use) + len(self.extra) + (self.extra_budget is not None)


def first_year_index(scenario: Scenario, projects: Projects) -> np.ndarray:
    """Per project, the first horizon year index allowed by ``earliest_year`` (0 when blank)."""
    earliest = projects.earliest_year.astype(int)
    return np.where(earliest > 0, np.maximum(earliest - scenario.start_year, 0), 0)


def build_model(scenario: Scenario, projects: Projects, *, elastic: bool = False) -> QuotaModel:
    """Build the MILP (or, with ``elastic``, the smallest-extra-supply model for the locks)."""
    years = scenario.years
    zone_ids = scenario.zone_ids()
    quotas = scenario.quotas
    eligible, failures = eligible_zones(scenario, projects)
    charges = {q.id: q.ratio * projects.demand[q.demand] for q in quotas}
    first_year = first_year_index(scenario, projects)
    limits = {
        (q.id, s.id, key): supply_limits(q, s, key, years)
        for q in quotas
        for s in q.sources
        for key in supply_keys(s, zone_ids)
    }
    room = {(q.id, z): project_room(q, z, zone_ids, years) for q in quotas for z in zone_ids}

    sense = pulp.LpMinimize if elastic else pulp.LpMaximize
    problem = pulp.LpProblem(f"quota_{scenario.name}", sense)
    zone_index = {z: i for i, z in enumerate(zone_ids)}
    values = base_values(scenario.objective, projects)
    x: dict[Key, pulp.LpVariable] = {}
    value: dict[Key, float] = {}
    unplaceable: list[int] = []

    for p in range(len(projects)):
        locked_in = projects.lock[p] == "in"
        if projects.lock[p] == "out" or (elastic and not locked_in):
            continue
        before = len(x)
        for z in eligible[p]:
            for t in range(first_year[p], years):
                if not elastic and any(
                    charges[q.id][p] > room[q.id, z][t] + _FIT_TOL for q in quotas if charges[q.id][p] > 0
                ):
                    continue
                key = (p, z, t)
                x[key] = problem.add_variable(f"x_{p}_{zone_index[z]}_{t}", 0, 1, pulp.LpBinary)
                value[key] = placement_value(scenario.objective, values[p], t, z == projects.zones[p][0])
        if locked_in and len(x) == before:
            unplaceable.append(p)

    model = QuotaModel(
        scenario=scenario,
        projects=projects,
        problem=problem,
        x=x,
        value=value,
        use={},
        supply_rows={},
        charges=charges,
        eligible=eligible,
        screen_failures=failures,
        first_year=first_year,
        elastic=elastic,
        unplaceable_locks=unplaceable,
    )
    _define_selection(model)
    _define_quota_balance(model, limits)
    _define_supply(model, limits)
    _define_budget(model)
    _define_objective(model)
    return model


def _define_selection(model: QuotaModel) -> None:
    """Each project at most once; exactly once when locked in."""
    by_project: dict[int, list[pulp.LpVariable]] = {}
    for (p, _z, _t), var in model.x.items():
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
    for qi, quota in enumerate(scenario.quotas):
        charge = model.charges[quota.id]
        demand: dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]] = {}
        for (p, z, t), var in model.x.items():
            if charge[p] > 0:
                demand.setdefault((z, t), []).append((var, float(charge[p])))
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
        model.problem.setObjective(pulp.LpAffineExpression(terms))
        return
    terms = [(var, model.value[key]) for key, var in model.x.items()]
    terms += [(var, -price) for var, price in _purchase_terms(model)]
    model.problem.setObjective(pulp.LpAffineExpression(terms))


def _quota_scale(quota: Quota) -> float:
    """The largest yearly amount of a quota (at least 1): makes extra supply comparable across units."""
    amounts = [a for s in quota.sources for values in s.amounts.values() for a in values]
    return max([1.0, *amounts])
