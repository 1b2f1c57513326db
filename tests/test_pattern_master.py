"""The pattern master: site patterns priced in by column generation, its bound and its dive (SPEC §5)."""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import pytest

from quota_sim import site_patterns, solve
from quota_sim.export import write_outputs
from quota_sim.model import build_model
from quota_sim.pattern_master import PatternMaster, _dynamic_programme, _needed, best_fit
from quota_sim.pipeline import solve_scenario
from quota_sim.solve import solve_model
from quota_sim.verify import verify_outputs
from tests.bruteforce import brute_force
from tests.instances import load_instance, project_row, random_sites_instance, scenario_dict
from tests.test_bruteforce import assert_matches_exhaustive_search
from tests.test_site_patterns import LAND, PATTERN_SEEDS


@pytest.mark.parametrize("seed", range(30))
def test_best_fit_is_the_best_set_that_fits(seed: int) -> None:
    rng = random.Random(seed)
    land = np.array([round(rng.uniform(1, 40), rng.choice([0, 1, 2])) for _ in range(rng.randint(1, 9))])
    value = np.array([round(rng.uniform(0, 10), 3) for _ in land])
    area = float(rng.randint(5, 80))
    best = max(
        sum(value[list(chosen)])
        for r in range(len(land) + 1)
        for chosen in itertools.combinations(range(len(land)), r)
        if sum(land[list(chosen)]) <= area
    )
    found, chosen = best_fit(land, value, area)
    # Never below the best set (the bound stays valid); land in steps of 0.1 mu is exact.
    assert found >= best - 1e-9
    if np.allclose(land * 10, np.round(land * 10)):
        assert found == pytest.approx(best)
        assert float(np.sum(land[chosen])) <= area + 1e-6
        assert float(np.sum(value[chosen])) == pytest.approx(found)


@pytest.mark.parametrize("seed", range(40))
def test_best_fit_leaves_out_only_items_no_better_set_holds(seed: int) -> None:
    # Many items on one site: the items left out before the dynamic programme change neither the value
    # nor the worth of the set chosen (land in steps of 0.1 mu, where the programme is exact).
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    land = np.round(rng.uniform(0.0, 120.0, n), 1)
    value = np.round(rng.uniform(-5.0, 100.0, n) * rng.uniform(0.2, 1.0, n), 3)
    area = float(np.round(rng.uniform(5.0, 600.0), 1))
    every, _ = _dynamic_programme(land, value, area)
    found, chosen = best_fit(land, value, area)
    assert found == pytest.approx(every, rel=1e-12, abs=1e-9)
    assert float(np.sum(value[chosen])) == pytest.approx(found, rel=1e-12, abs=1e-9)
    assert float(np.sum(land[chosen])) <= area + 1e-6
    assert len(set(chosen.tolist())) == len(chosen)


def test_best_fit_leaves_out_items_that_cannot_beat_the_greedy_set() -> None:
    # One item fills the 10 mu and is worth 100; no set of the others is worth more than 4, nor is one
    # of them with any fractional fill; the 20 mu item does not fit and the last is worth nothing.
    land = np.array([10.0, 5.0, 5.0, 3.0, 20.0, 1.0])
    value = np.array([100.0, 2.0, 2.0, 1.0, 500.0, 0.0])
    assert _needed(land, value, 10.0).tolist() == [0]
    # The greedy set is a 6 mu item and the 4 mu one (70). With the 3 mu item (10) in, at most
    # 10 + 50 + 1 mu of the other 6 mu item (8.3) fit: 68.3, so it is left out; the others stay.
    land, value = np.array([6.0, 6.0, 4.0, 3.0]), np.array([50.0, 50.0, 20.0, 10.0])
    assert _needed(land, value, 10.0).tolist() == [0, 1, 2]


def _many_on_one_site(tmp_path):
    # 12 candidates on a 100-mu site: six large ones (35-60 mu, two fit at most) and six of 7 mu.
    lands = [60, 55, 50, 45, 40, 35, 7, 7, 7, 7, 7, 7]
    outputs = [100, 95, 90, 80, 75, 70, 20, 20, 20, 20, 20, 19]
    rows = [
        project_row(f"p{i}", land_mu=land, output=output, site="s1")
        for i, (land, output) in enumerate(zip(lands, outputs, strict=True), start=1)
    ]
    sites = [{"id": "s1", "zone": "a", "area_mu": 100.0}]
    return load_instance(tmp_path, scenario_dict(quotas={"land": LAND}), rows, sites)


def test_the_master_bound_is_the_site_hull_where_patterns_are_partial(tmp_path, monkeypatch) -> None:
    # With the patterns drawn from the 6 largest candidates only, the LP still mixes in the small ones
    # fractionally; the master prices every pattern it needs, and a single knapsack's hull is integral.
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 6)
    scenario, projects, _ = _many_on_one_site(tmp_path)
    optimum = brute_force(scenario, projects).objective
    model = build_model(scenario, projects)
    pattern_lp = solve_model(model, scenario.solver, relax=True).relaxation.objective
    master = PatternMaster(model, solve._configured_highs(scenario.solver, time_limit=60))
    assert master.solve(time.perf_counter() + 60)
    assert pattern_lp > optimum + 1  # the partial patterns leave the LP loose
    assert master.bound == pytest.approx(optimum)
    values = master.dive(time.perf_counter() + 60)
    assert values is not None and float(model.cost @ values) == pytest.approx(optimum)


def test_a_dive_solves_a_master_whose_pricing_was_stopped(tmp_path, monkeypatch) -> None:
    # Pricing stopped by its time leaves the master LP unsolved; its point is no guide (all 0 here, and
    # the dive from it fixed every placement to 0), so the dive solves the LP first and finds a plan
    # from its initial patterns (200 of the best 214: it prices only as its fixings need).
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 6)
    scenario, projects, _ = _many_on_one_site(tmp_path)
    optimum = brute_force(scenario, projects).objective
    model = build_model(scenario, projects)
    master = PatternMaster(model, solve._configured_highs(scenario.solver, time_limit=60))
    assert master.highs.getModelStatus() != solve.highspy.HighsModelStatus.kOptimal  # never run
    values = master.dive(time.perf_counter() + 60)
    assert values is not None and 0.9 * optimum <= float(model.cost @ values) <= optimum + 1e-6


def test_a_dive_within_the_gap_of_the_master_bound_is_the_answer(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 6)
    scenario, projects, _ = _many_on_one_site(tmp_path)
    runs = []
    real = solve.run_highs
    monkeypatch.setattr(solve, "run_highs", lambda highs: (runs.append(highs), real(highs)))
    result = solve_scenario(scenario, projects)
    assert runs == []  # the master and its dive alone: no restricted or full MIP
    assert result.status == "optimal" and result.gap == pytest.approx(0.0, abs=1e-9)
    assert result.objective == pytest.approx(brute_force(scenario, projects).objective)
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


@pytest.mark.parametrize("seed", PATTERN_SEEDS)
def test_the_master_bound_and_dive_against_exhaustive_search(seed: int, tmp_path, monkeypatch) -> None:
    # Every site with a capacity row gets no enumerated patterns, so the master prices them all.
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 1)
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_raw, rows, sites)
    best = brute_force(scenario, projects)
    model = build_model(scenario, projects)
    master = PatternMaster(model, solve._configured_highs(scenario.solver, time_limit=60))
    if best is None:
        assert not master.solve(time.perf_counter() + 60)
    else:
        assert master.solve(time.perf_counter() + 60)
        assert master.bound >= best.objective - 1e-6 * max(1.0, abs(best.objective))
        values = master.dive(time.perf_counter() + 60)
        if values is not None:  # a plan never beats the optimum
            assert float(model.cost @ values) <= best.objective + 1e-6 * max(1.0, abs(best.objective))
    # The whole solve through the master is still exact and its plan passes the validator.
    assert_matches_exhaustive_search(scenario, projects, tmp_path / "out")


def test_a_master_stopped_by_its_time_leaves_the_plan_to_the_other_routes(tmp_path, monkeypatch) -> None:
    # Pricing stopped before it is done (a short time limit) leaves a bound far from the master's LP:
    # the relaxation with the listed patterns and the restricted MIPs plan instead, still exactly.
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 6)
    real = PatternMaster.solve

    def stopped(self, deadline, tolerance=0.0):
        solved = real(self, deadline, tolerance)
        self.priced_out = False
        return solved

    monkeypatch.setattr(PatternMaster, "solve", stopped)
    runs = []
    real_run = solve.run_highs
    monkeypatch.setattr(solve, "run_highs", lambda highs: (runs.append(highs), real_run(highs)))
    scenario, projects, _ = _many_on_one_site(tmp_path)
    result = solve_scenario(scenario, projects)
    assert runs  # the relaxation and restricted MIP of the other route ran
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force(scenario, projects).objective)
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []
