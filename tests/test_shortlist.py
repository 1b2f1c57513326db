"""Huge models with sites: the LP with each zone's sites merged (a bound), the shortlist and the plan it
guides, and the plain LP priced over a growing set of placements (a bound each round)."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from quota_sim import placement_pricing, solve
from quota_sim import shortlist as shortlist_module
from quota_sim.export import write_outputs
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.placement_pricing import priced_relaxation
from quota_sim.shortlist import shortlist
from quota_sim.solve import solve_model
from quota_sim.verify import verify_outputs
from quota_sim.zone_relaxation import placement_scores, zone_relaxation
from tests.bruteforce import brute_force
from tests.instances import load_instance, project_row, random_sites_instance, scenario_dict
from tests.test_site_patterns import PATTERN_SEEDS

SEEDS = PATTERN_SEEDS  # instances where some site cannot hold all its candidates


def _sites_model(seed: int, tmp_path):
    """The random instance ``seed`` with sites, and its model; every one of SEEDS places projects on
    sites with a capacity row and can place its locked-in projects, so no test passes without a check."""
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    assert model.n_x and model.site_rows and not model.unplaceable_locks
    return scenario, projects, model


def _merged_bound(model, settings) -> tuple[float, np.ndarray]:
    merged = zone_relaxation(model)
    highs = solve._configured_highs(settings, time_limit=60)
    highs.passModel(merged.lp)
    solve.run_highs(highs)
    assert highs.getModelStatus() == solve.highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value, np.asarray(highs.getSolution().row_dual)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_merged_lp_bounds_the_plain_lp_and_every_plan(seed: int, tmp_path) -> None:
    scenario, projects, model = _sites_model(seed, tmp_path)
    merged, _ = _merged_bound(model, scenario.solver)
    plain = solve_model(model, scenario.solver, relax=True).relaxation.objective
    assert merged >= plain - 1e-6 * max(1.0, abs(plain))
    best = brute_force(scenario, projects)
    if best is not None:
        assert merged >= best.objective - 1e-6 * max(1.0, abs(best.objective))


def test_a_large_project_needs_a_large_site_in_the_merged_lp(tmp_path) -> None:
    # Two 60-mu sites and a 40-mu one: the 50-mu projects fit only on the 60-mu sites, one each. The
    # zone's 160 mu would hold 3.2 of them; the 120 mu of its sites larger than 40 mu hold 2.4.
    land = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 1000}]}
    rows = [project_row(f"p{i}", land_mu=50, output=100) for i in range(1, 4)]
    sites = [{"id": "s1", "zone": "a", "area_mu": 60}, {"id": "s2", "zone": "a", "area_mu": 60},
             {"id": "s3", "zone": "a", "area_mu": 40}]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas={"land": land}), rows, sites)
    model = build_model(scenario, projects)
    merged, _ = _merged_bound(model, scenario.solver)
    value = float(model.values.max())
    assert merged == pytest.approx(2.4 * value)
    assert solve_model(model, scenario.solver).objective == pytest.approx(2 * value)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_shortlist_keeps_locks_and_a_few_sites_per_project(seed: int, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(shortlist_module, "PER_PROJECT", 1)
    scenario, projects, model = _sites_model(seed, tmp_path)
    merged = zone_relaxation(model)
    _, duals = _merged_bound(model, scenario.solver)
    keep = shortlist(model, placement_scores(model, merged, duals))
    table = model.placements
    for p in np.unique(table.project).tolist():
        mine = table.project == p
        kept_sites = set(table.site[mine & keep].tolist())
        if projects.lock[p] == "in":
            assert keep[mine].all()
        else:
            assert len(kept_sites) <= 1
    reduced = build_model(scenario, projects, keep=keep)
    assert reduced.n_x == int(keep.sum())
    assert reduced.values.tolist() == model.values[keep].tolist()  # same placements, same values


@pytest.mark.parametrize("seed", SEEDS)
def test_a_huge_model_with_sites_gets_a_valid_plan_and_bound(seed: int, tmp_path, monkeypatch) -> None:
    # Every model is taken as huge: the plan comes from the huge-model route, the bound from the merged
    # or the plain LP; the plan never beats the optimum, the bound never falls below it.
    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 0)
    found = []
    real = solve._shortlist_plan
    monkeypatch.setattr(solve, "_shortlist_plan", lambda *args: found.append(real(*args)) or found[-1])
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_raw, rows, sites)
    best = brute_force(scenario, projects)
    result = solve_scenario(scenario, projects)
    if best is None:
        assert result.status in ("infeasible", "no_solution")
        return
    tol = 1e-6 * max(1.0, abs(best.objective))
    assert found and found[0] is not None and found[0].plan is not None  # the route's plan is the answer
    assert result.status in ("optimal", "feasible")
    assert result.objective <= best.objective + tol
    assert result.best_bound >= best.objective - tol
    if result.status == "optimal":
        assert result.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-6)
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


@pytest.mark.parametrize("seed", SEEDS)
def test_the_priced_lp_never_bounds_below_the_plain_lp(seed: int, tmp_path, monkeypatch) -> None:
    # One placement enters a round, from one placement per project: every round's bound (the smallest
    # is kept) must stay at or above the plain LP's value, which it reaches once none gains.
    monkeypatch.setattr(placement_pricing, "ENTER_PER_ROUND", 1)
    scenario, _projects, model = _sites_model(seed, tmp_path)
    lp = solve._configured_highs(scenario.solver, time_limit=60)
    lp.passModel(model.highs_lp(relax=True))  # the plain LP (no site patterns)
    solve.run_highs(lp)
    table = model.placements
    start = np.r_[True, np.diff(table.project) != 0]  # each project's first placement
    highs = solve._configured_highs(scenario.solver, time_limit=60)
    found = priced_relaxation(model, model.highs_lp(relax=True), start, highs, time.perf_counter() + 60)
    if lp.getModelStatus() != solve.highspy.HighsModelStatus.kOptimal:  # infeasible locks: every round too
        assert found is None
        return
    plain = lp.getInfo().objective_function_value
    assert found is not None and found.complete
    assert found.bound >= plain - 1e-6 * max(1.0, abs(plain))
    assert found.bound == pytest.approx(plain, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_merged_lp_bound_is_kept_when_the_plain_lp_is_not_priced_in_time(
    seed: int, tmp_path, monkeypatch
) -> None:
    # The plain LP is not priced in time (as under a short limit): the greedy pass guided by the merged
    # LP gives the plan, and the merged LP's bound is reported with it, not lost.
    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 0)
    monkeypatch.setattr(solve, "priced_relaxation", lambda *args: None)
    scenario, projects, model = _sites_model(seed, tmp_path / "in")
    best = brute_force(scenario, projects)
    merged, _ = _merged_bound(model, scenario.solver)
    result = solve_scenario(scenario, projects)
    assert result.status in ("optimal", "feasible") and best is not None
    tol = 1e-6 * max(1.0, abs(best.objective))
    assert result.best_bound == pytest.approx(merged, rel=1e-9)
    assert result.objective - tol <= best.objective <= result.best_bound + tol
    assert result.gap == pytest.approx(solve.relative_gap(result.objective, merged))
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


def test_on_a_short_limit_the_merged_lp_guides_a_plan_in_time(
    tmp_path, monkeypatch
) -> None:
    # A simulated clock (tests/test_deadline.py): the set-up and the merged LP take most of the limit;
    # the greedy pass guided by the merged LP gives the plan, completed with its supply use in a moment,
    # and nothing else runs: feasible, with its gap to the merged LP's bound.
    from tests.test_deadline import STEP, Clock

    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 1)
    scenario, _projects, model = _sites_model(108, tmp_path)
    merged, _ = _merged_bound(model, scenario.solver)
    clock = Clock(monkeypatch)
    solution = clock.solve(model, replace(scenario.solver, time_limit=3 * STEP))
    assert [run.route[0] for run in clock.runs] == ["_shortlist_plan", "_completed_start"]
    clock.assert_within_the_time_left()
    assert solution.status == "feasible" and solution.chosen
    assert solution.best_bound == pytest.approx(merged, rel=1e-9)
    assert solution.gap == pytest.approx(solve.relative_gap(solution.objective, merged))
