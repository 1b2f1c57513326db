"""Marginal values of quotas (边际价值, SPEC §4 ``marginal_values.csv``).

Two measures per quota:

- ``resolve`` (exact): add ``delta`` units to the quota's city supply in the first horizon
  year, solve the scenario again and report the objective gained, and the gain per unit;
- ``lp_dual`` (approximate): the shadow price of the same extra supply in the LP relaxation
  of the model (projects may be approved fractionally), per unit of the quota.

Units: objective and gains in 万元, ``delta`` in the quota's unit, value per unit in 万元 per unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pulp

from quota_sim.analysis.parallel import solve_many
from quota_sim.model import build_model
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario, with_values
from quota_sim.supply import CITY

#: Share of the quota's first-year city supply used as ``delta`` (at least one median project's charge).
DELTA_SHARE = 0.05

#: Id of the city source added to a quota that has none, to carry ``delta``.
ADDED_SOURCE_ID = "marginal_extra"


def nice_ceiling(value: float) -> float:
    """Round ``value`` > 0 up to two significant digits (e.g. 31.2 -> 32, 0.0433 -> 0.044)."""
    exponent = int(np.floor(np.log10(value))) - 1
    step = 10.0**exponent
    return float(round(np.ceil(value / step - 1e-9) * step, 12))


def choose_delta(scenario: Scenario, projects: Projects, quota: Quota) -> float:
    """The extra supply to test for ``quota``, in its unit.

    5 % of the first-year city supply, but at least the median charge (ratio * demand) of
    the projects that need the quota, so the step can admit a typical project; 1 unit when
    both are 0. Rounded up to two significant digits.
    """
    first_year_city = float(np.sum([s.amount(None, 0) for s in quota.sources if s.scope == "city"]))
    charges = quota.ratio * np.asarray(projects.demand[quota.demand], dtype=float)
    positive = charges[charges > 0]
    median = float(np.median(positive)) if positive.size else 0.0
    delta = max(DELTA_SHARE * first_year_city, median)
    return nice_ceiling(delta) if delta > 0 else 1.0


def with_extra_city_supply(scenario: Scenario, quota: Quota, delta: float) -> Scenario:
    """A variant with ``delta`` more units of ``quota`` in the first year's city supply.

    The extra goes to the quota's first city source; a quota without one gets a new city
    source ``marginal_extra`` holding ``delta`` in the first year and 0 after.
    """
    city = next((s for s in quota.sources if s.scope == "city"), None)
    if city is not None:
        amounts = list(city.amounts.get(None, (0.0,) * scenario.years))
        amounts[0] += delta
        return with_values(scenario, {f"quotas.{quota.id}.sources.{city.id}.amounts": amounts})
    sources = list(scenario.raw["quotas"][quota.id].get("sources", []))
    sources.append(
        {"id": ADDED_SOURCE_ID, "scope": "city", "amounts": [delta] + [0.0] * (scenario.years - 1)}
    )
    return with_values(scenario, {f"quotas.{quota.id}.sources": sources})


def normalised_duals(problem: pulp.LpProblem, solver: pulp.LpSolver) -> dict[str, float]:
    """Row duals of a solved LP as d(objective) / d(right-hand side), whatever the sense.

    PuLP hands a maximisation to HiGHS as a minimisation of the negated objective and
    returns HiGHS's duals unchanged, so for ``LpMaximize`` with HiGHS they are negated here.
    """
    flip = -1.0 if problem.sense == pulp.LpMaximize and isinstance(solver, pulp.HiGHS) else 1.0
    return {row.name: flip * float(row.pi) for row in problem.constraints() if row.pi is not None}


def lp_dual_values(scenario: Scenario, projects: Projects) -> dict[str, float] | None:
    """Per quota, the LP-relaxation shadow price of one more unit of first-year city supply (万元/unit).

    With carry-over, first-year supply raises every later cumulative row of the source, so
    the shadow price is the sum of the duals of that source's rows; without, only the
    first year's row counts. Rows the model leaves out (no project could draw the source
    by then) count 0; a quota with none of these rows (no city source, or no city supply
    any project could draw) is left out. None when the relaxation has no optimal solution.
    """
    model = build_model(scenario, projects)
    solver = pulp.HiGHS(msg=False, mip=False)
    model.problem.solve(solver)
    if pulp.LpStatus[model.problem.status] != "Optimal":
        return None
    duals = normalised_duals(model.problem, solver)
    values: dict[str, float] = {}
    for quota in scenario.quotas:
        city = next((s for s in quota.sources if s.scope == "city"), None)
        if city is None:
            continue
        years = range(scenario.years) if quota.carry_over else range(1)
        rows = [
            model.supply_rows[key]
            for t in years
            if (key := (quota.id, city.id, CITY, t)) in model.supply_rows
        ]
        if rows:
            values[quota.id] = float(np.sum([duals[row.name] for row in rows]))
    return values


def marginal_values(
    scenario: Scenario,
    projects: Projects,
    base_objective: float,
    *,
    solve_options: dict[str, Any] | None = None,
    jobs: int = 2,
    with_duals: bool = True,
) -> list[dict[str, Any]]:
    """Rows of ``marginal_values.csv``: one ``resolve`` row per quota, then ``lp_dual`` rows.

    Parameters
    ----------
    base_objective
        Objective of the scenario as solved (万元).
    solve_options
        Keyword arguments for :func:`quota_sim.solve.solve_scenario` (``time_limit``, ``gap``,
        ``solver``) used for every re-solve.
    jobs
        Worker processes for the re-solves (one per quota, independent of each other).

    Notes
    -----
    Each solve stops within the relative MIP gap ``g`` of its optimum, so a gain smaller than
    about ``g * base_objective`` is not significant. Given the base plan as a ``start`` in
    ``solve_options`` (as :func:`quota_sim.analysis.enrich` does), a re-solve never returns a
    worse plan, so gains are never negative. Gains below 1e-9 of the objective are float noise
    and reported as 0. A re-solve that finds no solution gives an empty gain.
    """
    options = dict(solve_options or {})
    noise = 1e-9 * max(1.0, abs(base_objective))
    deltas = {q.id: choose_delta(scenario, projects, q) for q in scenario.quotas}
    variants = [with_extra_city_supply(scenario, q, deltas[q.id]) for q in scenario.quotas]
    solved = solve_many(variants, projects, options, jobs)
    rows: list[dict[str, Any]] = []
    for quota, outcome in zip(scenario.quotas, solved, strict=True):
        delta, status, objective = deltas[quota.id], outcome["status"], outcome["objective"]
        if status in ("optimal", "feasible") and objective is not None:
            gain = objective - base_objective
            if abs(gain) <= noise:
                gain = 0.0
            rows.append(_row(quota.id, delta, gain, gain / delta, "resolve"))
        else:
            rows.append(_row(quota.id, delta, None, None, "resolve"))
    if with_duals:
        duals = lp_dual_values(scenario, projects) or {}
        for quota in scenario.quotas:
            if quota.id in duals:
                price = duals[quota.id]
                rows.append(_row(quota.id, deltas[quota.id], price * deltas[quota.id], price, "lp_dual"))
    return rows


def _row(quota: str, delta: float, gain: float | None, per_unit: float | None, method: str) -> dict[str, Any]:
    return {
        "quota": quota,
        "delta": delta,
        "objective_gain": None if gain is None else round(gain, 6),
        "value_per_unit": None if per_unit is None else round(per_unit, 6),
        "method": method,
    }

