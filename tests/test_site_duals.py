"""The site-knapsack bound at better duals (:mod:`quota_sim.site_duals`)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from quota_sim import site_duals, solve
from quota_sim.model import build_model
from quota_sim.pattern_master import PatternMaster
from quota_sim.site_hull import SiteHull
from tests.bruteforce import brute_force
from tests.instances import load_instance, random_sites_instance
from tests.test_site_hull import _plain_lp

# Seeds of random_sites_instance where the plain LP's duals leave the site-knapsack bound loose.
DUAL_SEEDS = [0, 14, 16, 21, 67, 125, 168, 184, 212, 256, 339]


def _tightest(model, settings, duals, plans, worth, tolerance=0.0):
    return site_duals.tightest_bound(
        SiteHull(model), duals, plans, worth, lambda: solve._configured_highs(settings, time_limit=60),
        time.perf_counter() + 60, tolerance,
    )


@pytest.mark.parametrize("seed", DUAL_SEEDS)
def test_the_tightest_bound_is_the_pattern_masters_and_holds_every_plan(seed: int, tmp_path) -> None:
    # From the plain LP's duals, the steps and the master reach the Lagrangian dual: the value of the
    # pattern master with every pattern priced in (its own route to the same bound), below the bound
    # at the LP's duals and never below the best plan.
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    best = brute_force(scenario, projects)
    plain, duals = _plain_lp(model, scenario.solver)
    tol = 1e-6 * max(1.0, abs(plain))
    plan = solve.solve_model(model, scenario.solver)
    values = np.zeros(model.n_variables)
    for project, (zone, site, year) in plan.chosen.items():
        values[model.x[project, zone, site, year]] = 1.0
    at_lp = SiteHull(model).bound(duals)
    found = _tightest(model, scenario.solver, duals, [values], best.objective)
    assert found is not None
    bound, better = found
    assert best.objective - tol <= bound < at_lp - 1e-3 * abs(at_lp)
    assert SiteHull(model).bound(better) == pytest.approx(bound, abs=tol)
    master = PatternMaster(model, solve._configured_highs(scenario.solver, time_limit=60))
    assert master.solve(time.perf_counter() + 60) and master.priced_out
    assert bound == pytest.approx(master.bound, abs=10 * tol)


def _seed_model(tmp_path, seed: int = 0):
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    return model, scenario.solver, _plain_lp(model, scenario.solver)[1]


def test_the_bound_at_the_lp_duals_alone_when_there_is_no_time_to_improve_it(tmp_path) -> None:
    model, settings, duals = _seed_model(tmp_path)
    new_highs = lambda: solve._configured_highs(settings, time_limit=60)  # noqa: E731
    now = time.perf_counter()
    found = site_duals.tightest_bound(SiteHull(model), duals, [], 0.0, new_highs, now - 1, 0.0, now + 60)
    assert found is not None and found[0] == pytest.approx(SiteHull(model).bound(duals))
    late = site_duals.tightest_bound(SiteHull(model), duals, [], 0.0, new_highs, now + 60, 0.0, now - 1)
    assert late is None


def test_the_master_is_not_solved_again_once_the_bound_is_within_the_tolerance(tmp_path, monkeypatch) -> None:
    model, settings, duals = _seed_model(tmp_path)
    # Without a plan (no subgradient steps) the master does all the work: with any bound close enough
    # it is solved once, and the bound stays the LP duals'; with none, it goes on to the better one.
    solved = []
    solve_master = site_duals._Master.solve

    def counted(self, by):
        solved.append(by)
        return solve_master(self, by)

    monkeypatch.setattr(site_duals._Master, "solve", counted)
    at_lp = SiteHull(model).bound(duals)
    loose, _ = _tightest(model, settings, duals, [], None, tolerance=1.0)
    assert len(solved) == 1 and loose == pytest.approx(at_lp)
    solved.clear()
    tight, _ = _tightest(model, settings, duals, [], None, tolerance=0.0)
    assert len(solved) > 1 and tight < at_lp - 1e-3 * abs(at_lp)
