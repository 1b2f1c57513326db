"""The greedy start plan never breaks a rule (checked independently of the model code)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from quota_sim import solve
from quota_sim.greedy import greedy_start
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.results import approved_plan
from quota_sim.solve import _completed_start as completed_start
from tests.bruteforce import _cheapest_supply, _share
from tests.instances import (
    alike_zones,
    hard_knapsack,
    load_instance,
    project_row,
    random_instance,
    random_sites_instance,
    scenario_dict,
)


@pytest.mark.parametrize("seed", range(30))
def test_greedy_plans_fit_every_quota_and_the_budget(tmp_path, seed):
    scenario, projects, _ = load_instance(tmp_path, *random_instance(seed))
    model = build_model(scenario, projects)
    plan = greedy_start(model, dict(model.value))
    ids = {pid: p for p, pid in enumerate(projects.ids)}
    zones, years = scenario.zone_ids(), scenario.years
    cost = 0.0
    for quota in scenario.quotas:
        charges = np.zeros((len(zones), years))
        for pid, (zone, site, year) in plan.items():
            p, t = ids[pid], year - scenario.start_year
            assert (p, zone, site, t) in model.x  # eligible zone, allowed year, not locked out
            charges[zones.index(zone), t] += quota.ratio * projects.demand[quota.demand][p]
        cheapest = _cheapest_supply(scenario, quota, tuple(charges.ravel()))
        assert cheapest is not None, f"seed {seed}: quota {quota.id} overfilled"
        cost += cheapest
    assert cost <= scenario.objective.purchase_budget * (1 + 1e-9) + 1e-9


@pytest.mark.parametrize("seed", range(20))
def test_greedy_plans_with_sites_fit_sites_quotas_and_the_budget(tmp_path, seed):
    scenario, projects, _ = load_instance(tmp_path, *random_sites_instance(seed))
    model = build_model(scenario, projects)
    plan = greedy_start(model, dict(model.value))
    ids = {pid: p for p, pid in enumerate(projects.ids)}
    zones, years, sites = scenario.zone_ids(), scenario.years, scenario.sites
    on_site = {site: 0.0 for site in sites.ids}
    for pid, (zone, site, year) in plan.items():
        assert (ids[pid], zone, site, year - scenario.start_year) in model.x
        on_site[site] += float(projects.land_mu[ids[pid]])
    assert all(on_site[site] <= area + 1e-9 for site, area in zip(sites.ids, sites.area_mu, strict=True))
    cost = 0.0
    for quota in scenario.quotas:
        charges = np.zeros((len(zones), years))
        for pid, (zone, site, year) in plan.items():
            p = ids[pid]
            charges[zones.index(zone), year - scenario.start_year] += (
                quota.ratio * projects.demand[quota.demand][p] * _share(scenario, quota, site)
            )
        cheapest = _cheapest_supply(scenario, quota, tuple(charges.ravel()))
        assert cheapest is not None, f"seed {seed}: quota {quota.id} overfilled"
        cost += cheapest
    assert cost <= scenario.objective.purchase_budget * (1 + 1e-9) + 1e-9


def test_a_large_model_without_a_relaxation_in_time_starts_from_a_greedy_plan_by_value(tmp_path, monkeypatch):
    scenario, projects, _ = load_instance(tmp_path, *random_sites_instance(3))
    calls = []

    def recording(model, weights, *deadline):
        calls.append(weights)
        return greedy_start(model, weights, *deadline)

    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 1)
    monkeypatch.setattr(solve, "LARGE_LP_TIME_SHARE", 1e-12)
    monkeypatch.setattr(solve, "MERGED_LP_TIME_SHARE", 1e-12)  # with sites, the merged LP's share
    monkeypatch.setattr(solve, "greedy_start", recording)
    result = solve_scenario(scenario, projects)
    model = build_model(scenario, projects)
    assert calls and np.array_equal(calls[0], model.values)
    assert result.status == "optimal"


def test_a_start_plan_the_mip_had_no_time_to_take_in_is_reported_as_feasible(tmp_path, monkeypatch):
    scenario, projects, _ = load_instance(tmp_path, *random_sites_instance(3))
    best = solve_scenario(scenario, projects)
    completed = []

    def recording(*args):
        values = completed_start(*args)
        completed.append(values is not None)
        return values

    monkeypatch.setattr(solve, "_completed_start", recording)
    model = build_model(scenario, projects)
    settings = replace(scenario.solver, time_limit=1e-9)
    rushed = solve.solve_model(model, settings, start=approved_plan(best))
    assert completed == [True]
    assert rushed.status == "feasible" and rushed.objective == pytest.approx(best.objective)
    placed = {projects.ids[p]: (z, k, scenario.start_year + t) for p, (z, k, t) in rushed.chosen.items()}
    assert placed == approved_plan(best)


def test_when_the_relaxation_support_holds_no_plan_the_greedy_pass_starts_the_mip(tmp_path, monkeypatch):
    # Two alike zones: two placements each (a model of one placement each gets no start plan).
    rows = [project_row("locked", lock="in", land_mu=10, zone="a|b"),
            project_row("free", land_mu=10, zone="a|b")]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=alike_zones(2)), rows)
    calls = []

    def recording(model, weights, *deadline):
        calls.append(weights)
        return greedy_start(model, weights, *deadline)

    monkeypatch.setattr(solve, "_SUPPORT", 2.0)  # the restricted MIP keeps no placement: locks cannot be met
    monkeypatch.setattr(solve, "greedy_start", recording)
    result = solve_scenario(scenario, projects)
    assert len(calls) == 1 and result.status == "optimal" and result.objective == pytest.approx(200)


def test_a_narrow_support_is_widened_by_reduced_cost_until_the_plan_stops_improving(tmp_path, monkeypatch):
    scenario, projects = hard_knapsack(tmp_path, n=30, zones=2)
    exact = solve_scenario(scenario, projects)
    calls = []

    def recording(lp, n, keep, start, *args):
        found, proven = real(lp, n, keep, start, *args)
        calls.append((int(keep.sum()), None if found is None else float(np.asarray(lp.col_cost_) @ found)))
        return found, proven

    real = solve._restricted_mip
    monkeypatch.setattr(solve, "_SUPPORT", 2.0)  # the first restricted MIP may only take the empty plan
    monkeypatch.setattr(solve, "_restricted_mip", recording)
    result = solve_scenario(scenario, projects)
    kept = [count for count, _ in calls]
    values = [value for _, value in calls]
    assert kept[0] == 0 and kept == sorted(kept) and len(set(kept)) == len(kept)  # wider each time
    assert values[0] == 0.0 and values[1] > 0.0  # the empty plan, then the first placements let in
    assert all(a < b for a, b in itertools.pairwise(values[:-1]))  # widened while the plan improved
    assert result.status == "optimal" and result.objective == pytest.approx(exact.objective, rel=1e-9)


def test_the_restricted_plan_is_kept_when_the_run_is_stopped_in_the_full_mip(tmp_path, monkeypatch):
    # The full MIP overruns the run's time (HiGHS does not always check its clock): the plan of the
    # restricted MIPs is reported as feasible with its gap to the relaxation, not lost.
    scenario, projects = hard_knapsack(tmp_path, n=30, zones=2)
    planned = []
    real_plan, real_run = solve._start_plan, solve.run_highs

    def plan(*args):
        found = real_plan(*args)
        planned.append(found)
        return found

    def run(highs):
        if planned:
            raise solve.TimeUp("the run's time limit")
        real_run(highs)

    monkeypatch.setattr(solve, "_start_plan", plan)
    monkeypatch.setattr(solve, "run_highs", run)
    model = build_model(scenario, projects)
    stopped = solve.solve_model(model, scenario.solver)
    found = planned[0]
    assert found.proven is None and found.values is not None  # gap 0: the full MIP had to run
    assert stopped.status == "feasible"
    plan_value = float(np.asarray(model.cost) @ found.values[: model.n_variables])
    assert stopped.objective == pytest.approx(plan_value)
    assert stopped.best_bound == pytest.approx(found.relaxation.objective)
    assert stopped.gap == pytest.approx((stopped.best_bound - stopped.objective) / stopped.objective)
