"""The site-knapsack bound and the improved plan of a huge model with sites (SPEC §5)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from quota_sim import shortlist as shortlist_module
from quota_sim import solve
from quota_sim.export import write_outputs
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.site_hull import SiteHull
from quota_sim.verify import verify_outputs
from tests.bruteforce import brute_force
from tests.instances import load_instance, project_row, random_sites_instance, scenario_dict
from tests.test_site_patterns import LAND, PATTERN_SEEDS


def _plain_lp(model, settings):
    """The plain LP (no site patterns): its value and row duals, or None when it has no optimum."""
    highs = solve._configured_highs(settings, time_limit=60)
    highs.passModel(model.highs_lp(relax=True))
    solve.run_highs(highs)
    if highs.getModelStatus() != solve.highspy.HighsModelStatus.kOptimal:
        return None
    return highs.getInfo().objective_function_value, np.asarray(highs.getSolution().row_dual)


@pytest.mark.parametrize("seed", PATTERN_SEEDS)
def test_the_knapsack_bound_is_between_every_plan_and_the_plain_lp(seed: int, tmp_path) -> None:
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    assert model.n_x and model.site_rows and not model.unplaceable_locks
    best = brute_force(scenario, projects)
    lp = _plain_lp(model, scenario.solver)
    assert lp is not None and best is not None
    plain, duals = lp
    tol = 1e-6 * max(1.0, abs(plain))
    hull = SiteHull(model)
    at_lp = hull.bound(duals)
    assert at_lp is not None
    assert best.objective - tol <= at_lp <= plain + tol
    # Any duals of the right signs give a bound: the LP's, scaled and moved at random.
    rng = np.random.default_rng(seed)
    for _ in range(5):
        noise = rng.normal(0, 1 + np.abs(duals).mean(), len(duals))
        moved = duals * rng.uniform(0.3, 2.0, len(duals)) + noise
        moved = np.where(model.row_lower <= -solve.highspy.kHighsInf, np.maximum(moved, 0.0), moved)
        moved = np.where(model.row_upper >= solve.highspy.kHighsInf, np.minimum(moved, 0.0), moved)
        bound = hull.bound(moved)
        if bound is not None:  # None: a supply use column would gain without limit at these duals
            assert bound >= best.objective - tol


def test_the_knapsack_bound_holds_one_large_project_per_site(tmp_path) -> None:
    # A 100-mu site and projects of 60, 55 and 50 mu: one fits. The plain LP packs 1.9 of them; the
    # knapsack bound at its duals is worth one project and the duals of the rows it priced.
    rows = [project_row(f"p{i}", land_mu=land, output=output, site="s1")
            for i, (land, output) in enumerate([(60, 100), (55, 95), (50, 90)], start=1)]
    sites = [{"id": "s1", "zone": "a", "area_mu": 100.0}]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas={"land": LAND}), rows, sites)
    model = build_model(scenario, projects)
    plain, duals = _plain_lp(model, scenario.solver)
    optimum = brute_force(scenario, projects).objective
    bound = SiteHull(model).bound(duals)
    assert bound == pytest.approx(optimum, rel=1e-6) and plain > 1.5 * optimum
    assert solve.solve_model(model, scenario.solver).objective == pytest.approx(optimum, rel=1e-6)


def test_the_leading_projects_of_a_site_gain_most(tmp_path) -> None:
    rows = [project_row(f"p{i}", land_mu=10, output=output) for i, output in enumerate([50, 90, 70, 60], 1)]
    sites = [{"id": "s1", "zone": "a", "area_mu": 20.0}]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas={"land": LAND}), rows, sites)
    model = build_model(scenario, projects)
    chosen = SiteHull(model).leading(np.zeros(model.n_rows), 2)
    assert sorted(projects.ids[p] for p in model.placements.project[chosen]) == ["p2", "p3"]


@pytest.mark.parametrize("seed", PATTERN_SEEDS)
def test_a_huge_model_plan_is_improved_around_the_plain_lp(seed: int, tmp_path, monkeypatch) -> None:
    # Every model taken as huge, its shortlist one site per project: the first plan may miss the
    # optimum, but on these small queues the improvement (the pattern master around the plain LP, then
    # the search over sites) reaches it; the plan passes the validator.
    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 0)
    monkeypatch.setattr(shortlist_module, "PER_PROJECT", 1)
    improved = []
    real = solve._improved_plan
    monkeypatch.setattr(solve, "_improved_plan", lambda *args: improved.append(real(*args)) or improved[-1])
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_raw, rows, sites)
    best = brute_force(scenario, projects)
    result = solve_scenario(scenario, projects)
    assert improved and improved[0] is not None
    assert result.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-6)
    assert result.best_bound >= best.objective - 1e-6 * max(1.0, abs(best.objective))
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


def test_the_knapsacks_are_given_up_at_their_deadline_and_not_reused_at_other_duals(tmp_path) -> None:
    scenario_raw, rows, sites = random_sites_instance(PATTERN_SEEDS[0])
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    assert model.site_rows
    _, duals = _plain_lp(model, scenario.solver)
    hull = SiteHull(model)
    assert hull.bound(duals, time.perf_counter() - 1) is None
    assert hull.site_gains(duals, 3, time.perf_counter() - 1) is None
    at_lp = hull.bound(duals)
    index, values, leading = hull.site_gains(duals, 3)
    assert at_lp is not None and len(index) == len(values) == len(leading) >= len(model.site_rows)
    assert np.all(values >= 0) and all(len(projects_of) <= 3 for projects_of in leading)
    # The knapsacks remembered at the LP's duals are not those of other duals: a fresh hull agrees.
    moved = np.where(model.row_upper >= solve.highspy.kHighsInf, np.minimum(duals * 1.7, 0.0), duals * 1.7)
    assert hull.bound(moved) == pytest.approx(SiteHull(model).bound(moved), rel=1e-12)
    assert hull.bound(duals) == pytest.approx(at_lp, rel=1e-12)
