"""Marginal values of quotas (边际价值, SPEC §4 ``marginal_values.csv``).

Two measures per quota:

- ``resolve``: add ``delta`` units to the quota's city supply in the first horizon year, solve the
  scenario again from the solved plan and report the objective gained, and the gain per unit. The
  re-solves share the analyses' time budget (:mod:`quota_sim.analysis.resolve`). Each variant's LP
  relaxation is solved first: when its bound shows the gain is within the solver gap of 0, no MIP is
  solved. The others share the budget, the quotas whose LP shadow price promises most first.
  ``status`` says how exact each gain is: ``optimal`` (the re-solve proved its gap: exact up to the
  solver gap), ``lp_bound`` (0, as exact: the LP bound leaves no gain beyond the solver gap),
  ``time_limited`` (the gain found so far, a lower bound), ``no_time`` (not re-solved within the
  budget), ``no_solution`` or ``infeasible``; ``gain_bound`` is an upper bound of the gain when one
  is known (the re-solve's or the LP's bound);
- ``lp_dual`` (approximate, ``status`` ``lp``): the shadow price of the same extra supply in the LP
  relaxation of the model (projects may be approved fractionally), per unit of the quota, from the
  relaxation HiGHS solved for its start plan.

Units: objective and gains in 万元, ``delta`` in the quota's unit, value per unit in 万元 per unit.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from quota_sim.analysis.resolve import resolve_variants
from quota_sim.model import QuotaModel, build_model
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario, SolverSettings, with_values
from quota_sim.solve import Relaxation, Start, solve_model
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


def relaxation_of(model: QuotaModel, settings: SolverSettings) -> Relaxation | None:
    """The LP relaxation of ``model`` (objective and row duals), None when it has no optimum."""
    return solve_model(model, settings, relax=True).relaxation


def lp_dual_values(model: QuotaModel, relaxation: Relaxation) -> dict[str, float]:
    """Per quota, the LP-relaxation shadow price of one more unit of first-year city supply (万元/unit).

    With carry-over, first-year supply raises every later cumulative row of the source, so the shadow
    price is the sum of the duals of that source's rows; without, only the first year's row counts.
    Rows the model leaves out (no project could draw the source by then) count 0; a quota with none of
    these rows (no city source, or no city supply any project could draw) is left out.
    """
    scenario = model.scenario
    values: dict[str, float] = {}
    for quota in scenario.quotas:
        city = next((s for s in quota.sources if s.scope == "city"), None)
        if city is None:
            continue
        years = range(scenario.years) if quota.carry_over else range(1)
        keys = [(quota.id, city.id, CITY, t) for t in years]
        rows = [model.row_names[model.supply_rows[key]] for key in keys if key in model.supply_rows]
        if rows:
            values[quota.id] = float(np.sum([relaxation.row_duals.get(row, 0.0) for row in rows]))
    return values


def marginal_values(
    scenario: Scenario,
    projects: Projects,
    base_objective: float,
    *,
    settings: SolverSettings | None = None,
    start: Start | None = None,
    model: QuotaModel | None = None,
    relaxation: Relaxation | None = None,
    deadline: float | None = None,
    jobs: int | None = None,
    with_duals: bool = True,
    cancel: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``marginal_values.csv`` (``quota, delta, objective_gain, value_per_unit, method, status,
    gain_bound``): one ``resolve`` row per quota, in
    scenario order, then ``lp_dual`` rows.

    Parameters
    ----------
    base_objective
        Objective of the scenario as solved (万元).
    settings
        Solver settings of every re-solve (default: the scenario's own).
    start
        The solved plan, project id -> (zone, start year): every re-solve starts from it, so a gain is
        never negative (the plan stays feasible when supply is added).
    model, relaxation
        The scenario's built model and its LP relaxation, when the solve already has them; else they
        are built and solved here.
    deadline
        ``time.perf_counter()`` value by which the re-solves end (None: each gets the settings' time limit).
    jobs
        Threads for the re-solves (default one per core).

    Notes
    -----
    Each re-solve stops within the relative MIP gap ``g`` of its optimum, so a gain smaller than about
    ``g * base_objective`` is not significant. Gains below 1e-9 of the objective are float noise and
    reported as 0.
    """
    settings = settings or scenario.solver
    noise = 1e-9 * max(1.0, abs(base_objective))
    deltas = {q.id: choose_delta(scenario, projects, q) for q in scenario.quotas}
    duals: dict[str, float] = {}
    if with_duals:
        model = model or build_model(scenario, projects)
        relaxation = relaxation or relaxation_of(model, settings)
        duals = lp_dual_values(model, relaxation) if relaxation is not None else {}
    # The budget goes first to the quotas whose extra supply the LP says is worth most.
    order = sorted(
        range(len(scenario.quotas)),
        key=lambda i: -duals.get(scenario.quotas[i].id, 0.0) * deltas[scenario.quotas[i].id],
    )
    variants = [
        (with_extra_city_supply(scenario, scenario.quotas[i], deltas[scenario.quotas[i].id]), projects)
        for i in order
    ]
    # A variant whose LP bound is within the solver gap of the solved objective gains nothing a
    # re-solve at that gap could show: it is settled without a MIP.
    settle_below = base_objective + settings.gap * abs(base_objective) + noise
    outcomes = resolve_variants(
        variants, settings, start=start, deadline=deadline, jobs=jobs, cancel=cancel,
        settle_below=settle_below,
    )
    by_quota = {scenario.quotas[i].id: outcome for i, outcome in zip(order, outcomes, strict=True)}
    rows: list[dict[str, Any]] = []
    for quota in scenario.quotas:
        delta, outcome = deltas[quota.id], by_quota[quota.id]
        bound = None if outcome.bound is None else max(0.0, outcome.bound - base_objective)
        status = {"feasible": "time_limited"}.get(outcome.status, outcome.status)
        if outcome.status == "lp_bound":
            gain = 0.0
        elif outcome.solved:
            gain = outcome.objective - base_objective
            gain = 0.0 if abs(gain) <= noise else gain
        elif outcome.status == "no_solution" and start is not None:
            gain, status = 0.0, "time_limited"  # the solved plan is still feasible: the gain is at least 0
        else:
            rows.append(_row(quota.id, delta, None, None, "resolve", status, bound))
            continue
        bound = None if bound is None else max(bound, gain)
        rows.append(_row(quota.id, delta, gain, gain / delta, "resolve", status, bound))
    for quota in scenario.quotas:
        if quota.id in duals:
            price = duals[quota.id]
            delta = deltas[quota.id]
            rows.append(_row(quota.id, delta, price * delta, price, "lp_dual", "lp", None))
    return rows


def _row(
    quota: str, delta: float, gain: float | None, per_unit: float | None, method: str, status: str,
    bound: float | None,
) -> dict[str, Any]:
    return {
        "quota": quota,
        "delta": delta,
        "objective_gain": None if gain is None else round(gain, 6),
        "value_per_unit": None if per_unit is None else round(per_unit, 6),
        "method": method,
        "status": status,
        "gain_bound": None if bound is None else round(bound, 6),
    }
