"""Marginal values of quotas (边际价值, SPEC §4 ``marginal_values.csv``).

Two measures per quota:

- ``resolve``: add ``delta`` units to the quota's city supply in the first horizon year, solve the
  scenario again and report the objective gained, and the gain per unit. Two kinds of re-solve share the
  analyses' time budget (:mod:`quota_sim.analysis.resolve`), both starting from the solved plan:

  1. a neighbourhood re-solve, run first for every quota: the plan's approvals keep their start years
     (their parks and sites stay free) and every waiting project may be added; small enough to be solved
     to optimality (gap 0) in a fraction of the solve's time, so its gain is exact within that
     neighbourhood and a proven lower bound of what the extra supply is worth (status ``neighbourhood``);
  2. full re-solves at the scenario's gap with the time left, the quotas whose LP shadow price promises
     most first. Each variant's LP relaxation is solved first: when its bound shows the gain is within
     the solver gap of 0, no MIP is solved (``lp_bound``).

  Gains are measured from the reference: the best plan known without the extra supply (the solved plan,
  or a better one the neighbourhood re-solve of the scenario itself finds), so a plan the solve left
  improvable is not counted as the supply's worth. Each quota reports the larger gain of its re-solves.
  ``status`` says how exact it is: ``optimal`` (a full re-solve proved its gap: exact up to the solver
  gap), ``neighbourhood`` (exact within the neighbourhood, a lower bound), ``lp_bound`` (0, as exact: the
  LP bound leaves no gain beyond the solver gap), ``time_limited`` (the gain found so far, a lower
  bound), ``no_time`` (not re-solved within the budget), ``no_solution`` or ``infeasible``;
  ``gain_bound`` is an upper bound of the gain when one is known (a full re-solve's or the LP's bound);
- ``lp_dual`` (approximate, ``status`` ``lp``): the shadow price of the same extra supply in the LP
  relaxation of the model (projects may be approved fractionally), per unit of the quota, from the
  relaxation HiGHS solved for its start plan.

Units: objective and gains in 万元, ``delta`` in the quota's unit, value per unit in 万元 per unit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from quota_sim.analysis.neighbourhood import Extra, Neighbourhood
from quota_sim.analysis.resolve import MIN_SOLVE_SECONDS, Resolved, lanes, resolve_variants
from quota_sim.interrupts import TimeUp, time_limit
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
    return with_values(scenario, dict([_extra_city_supply(scenario, quota, delta)]))


def _extra_city_supply(scenario: Scenario, quota: Quota, delta: float) -> tuple[str, Any]:
    """The scenario key and value (as :func:`with_values` takes them) that add ``delta`` units of
    ``quota`` to the first year's city supply."""
    city = next((s for s in quota.sources if s.scope == "city"), None)
    if city is not None:
        amounts = list(city.amounts.get(None, (0.0,) * scenario.years))
        amounts[0] += delta
        return f"quotas.{quota.id}.sources.{city.id}.amounts", amounts
    sources = list(scenario.raw["quotas"][quota.id].get("sources", []))
    sources.append(
        {"id": ADDED_SOURCE_ID, "scope": "city", "amounts": [delta] + [0.0] * (scenario.years - 1)}
    )
    return f"quotas.{quota.id}.sources", sources


def relaxation_of(model: QuotaModel, settings: SolverSettings) -> Relaxation | None:
    """The LP relaxation of ``model`` (objective and row duals), None when it has no optimum."""
    return solve_model(model, settings, relax=True).relaxation


def _until(settings: SolverSettings, deadline: float | None) -> SolverSettings:
    """``settings`` with a time limit ending by ``deadline`` (``time.perf_counter()``; None: unchanged)."""
    if deadline is None:
        return settings
    return dataclasses.replace(settings, time_limit=max(0.0, deadline - time.perf_counter()))


def _by(deadline: float | None) -> contextlib.AbstractContextManager[None]:
    """A block that raises :class:`~quota_sim.interrupts.TimeUp` at ``deadline`` (``time.perf_counter()``;
    None: never), for the Python steps of the analyses (building a model, setting up the neighbourhood)
    that no solver clock bounds. In the main thread only (:func:`~quota_sim.interrupts.time_limit`)."""
    if deadline is None:
        return contextlib.nullcontext()
    return time_limit(deadline - time.perf_counter())


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
    full_seconds: float = 0.0,
) -> list[dict[str, Any]]:
    """Rows of ``marginal_values.csv`` (``quota, delta, objective_gain, value_per_unit, method, status,
    gain_bound``): one ``resolve`` row per quota, in scenario order, then ``lp_dual`` rows.

    Parameters
    ----------
    base_objective
        Objective of the scenario as solved (万元).
    settings
        Solver settings of every re-solve (default: the scenario's own).
    start
        The solved plan, project id -> (zone, site, start year): every re-solve starts from it, so a gain
        is never negative (the plan stays feasible when supply is added), and the neighbourhood re-solves
        keep its approvals (none without it).
    model, relaxation
        The scenario's built model and its LP relaxation, when the solve already has them; else they
        are built and solved here.
    deadline
        ``time.perf_counter()`` value by which the re-solves end (None: each gets the settings' time limit).
    jobs
        Threads for the re-solves (default one per core).
    full_seconds
        What a full re-solve is expected to take (s; the solve's own time): with a deadline, the full
        re-solves are made only when the time left after the neighbourhood gives every quota that much,
        over the threads (time-limited ones would spend the budget for gains the neighbourhood re-solves
        already show); else they are all ``no_time``.

    Notes
    -----
    A full re-solve stops within the relative MIP gap ``g`` of its optimum, so a gain it shows smaller
    than about ``g * base_objective`` is not significant; a neighbourhood gain is exact within its
    neighbourhood. Gains below 1e-9 of the objective are float noise and reported as 0.
    """
    settings = settings or scenario.solver
    noise = 1e-9 * max(1.0, abs(base_objective))
    deltas = {q.id: choose_delta(scenario, projects, q) for q in scenario.quotas}
    duals: dict[str, float] = {}
    if with_duals:
        with contextlib.suppress(TimeUp), _by(deadline):
            model = model or build_model(scenario, projects)
            relaxation = relaxation or relaxation_of(model, _until(settings, deadline))
        duals = lp_dual_values(model, relaxation) if model is not None and relaxation is not None else {}
    # The budget goes first to the quotas whose extra supply the LP says is worth most.
    order = sorted(scenario.quotas, key=lambda q: -duals.get(q.id, 0.0) * deltas[q.id])
    nearby: dict[str, tuple[float, bool]] = {}
    if start is not None and (deadline is None or deadline - time.perf_counter() >= MIN_SOLVE_SECONDS):
        # Quotas whose extra supply the LP values at 0 are likely to gain nothing: tried at once first.
        idle = [q.id for q in order if q.id in duals and abs(duals[q.id] * deltas[q.id]) <= noise]
        nearby = neighbourhood_gains(
            scenario, projects, start, deltas, order, settings, deadline=deadline, jobs=jobs, cancel=cancel,
            together=idle,
        )
    # A variant whose LP bound is within the solver gap of the solved objective gains nothing a
    # re-solve at that gap could show: it is settled without a MIP.
    settle_below = base_objective + settings.gap * abs(base_objective) + noise
    fitting = order
    if deadline is not None:  # all of them, or none: a time-limited one would only spend the budget
        left = max(0.0, deadline - time.perf_counter())
        fits = lanes(jobs, len(order)) * left >= len(order) * max(full_seconds, MIN_SOLVE_SECONDS)
        fitting = order if fits else []
    outcomes = resolve_variants(
        [(with_extra_city_supply(scenario, q, deltas[q.id]), projects) for q in fitting], settings,
        start=start, deadline=deadline, jobs=jobs, cancel=cancel, settle_below=settle_below,
    )
    full = {q.id: Resolved("no_time", None, None, 0.0) for q in order}
    full.update({q.id: outcome for q, outcome in zip(fitting, outcomes, strict=True)})
    rows: list[dict[str, Any]] = []
    for quota in scenario.quotas:
        delta = deltas[quota.id]
        gain, status, bound = combined_gain(
            full[quota.id], nearby.get(quota.id), base_objective, start is not None, noise
        )
        per_unit = None if gain is None else gain / delta
        rows.append(_row(quota.id, delta, gain, per_unit, "resolve", status, bound))
    for quota in scenario.quotas:
        if quota.id in duals:
            price = duals[quota.id]
            delta = deltas[quota.id]
            rows.append(_row(quota.id, delta, price * delta, price, "lp_dual", "lp", None))
    return rows


def extended_scenario(scenario: Scenario, deltas: Mapping[str, float]) -> tuple[Scenario, dict[str, Extra]]:
    """The scenario with every quota's extra supply at once (:func:`with_extra_city_supply`, ``deltas``
    units each), and per quota the id of the city source that carries it and its units."""
    extras = {}
    for quota in scenario.quotas:
        city = next((s for s in quota.sources if s.scope == "city"), None)
        extras[quota.id] = (ADDED_SOURCE_ID if city is None else city.id, deltas[quota.id])
    changes = dict(_extra_city_supply(scenario, q, deltas[q.id]) for q in scenario.quotas)
    return with_values(scenario, changes), extras


def neighbourhood_gains(
    scenario: Scenario,
    projects: Projects,
    plan: Start,
    deltas: Mapping[str, float],
    order: Sequence[Quota],
    settings: SolverSettings,
    *,
    deadline: float | None,
    jobs: int | None,
    cancel: threading.Event | None,
    together: Collection[str] = (),
) -> dict[str, tuple[float, bool]]:
    """Per quota (of those solved within the deadline), the gain of its neighbourhood re-solve over the
    neighbourhood's own optimum without the extra supply (万元), and whether both were proven optimal.

    The neighbourhood of ``plan`` (:class:`~quota_sim.analysis.neighbourhood.Neighbourhood`; ``deltas``:
    each quota's extra units) is solved to optimality, the reference first, then the quotas in ``order``.
    The quotas ``together`` (those expected to gain nothing) are first tried at once. The plan that is
    best without the extra supply stays feasible with it, so a gain is never negative, and one that is
    not proven is still a lower bound.
    """
    extended, extras = extended_scenario(scenario, deltas)
    try:
        with _by(deadline):  # the set-up is Python work on the whole queue: it ends by the deadline too
            neighbourhood = Neighbourhood(scenario, projects, plan, extended, extras)
    except TimeUp:
        return {}
    found = neighbourhood.solve(
        [None, *[q.id for q in order]], settings, together=together, deadline=deadline, jobs=jobs,
        cancel=cancel,
    )
    reference = found[None]
    if not reference.solved:
        return {}
    return {
        q.id: (
            max(0.0, found[q.id].objective - reference.objective),
            found[q.id].status == reference.status == "optimal",
        )
        for q in order
        if found[q.id].solved
    }


def combined_gain(
    full: Resolved, nearby: tuple[float, bool] | None, base_objective: float, from_plan: bool, noise: float
) -> tuple[float | None, str, float | None]:
    """(gain, status, gain bound) of one quota's resolve row from its full re-solve (gain over
    ``base_objective``; ``from_plan``: it started from the solved plan) and its neighbourhood gain (with
    whether it is proven), 万元."""
    bound = None if full.bound is None else max(0.0, full.bound - base_objective)
    status = {"feasible": "time_limited"}.get(full.status, full.status)
    gain: float | None = None
    if full.status == "lp_bound":
        gain = 0.0
    elif full.solved:
        gain = max(0.0, full.objective - base_objective)
    elif full.status == "no_solution" and from_plan:
        gain, status = 0.0, "time_limited"  # the solved plan is still feasible: the gain is at least 0
    if nearby is not None:
        found, proven = nearby
        if gain is None or found > gain or (found == gain and status in ("no_time", "time_limited")):
            gain, status = found, "neighbourhood" if proven else "time_limited"
    if gain is None:
        return None, status, bound
    gain = 0.0 if gain <= noise else gain
    return gain, status, None if bound is None else max(bound, gain)


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
