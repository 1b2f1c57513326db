"""The large-neighbourhood search over sites of a huge model (quota_sim/site_search.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from quota_sim import solve
from quota_sim.export import write_outputs
from quota_sim.greedy import greedy_start
from quota_sim.model import build_model
from quota_sim.pattern_master import PatternMaster
from quota_sim.pipeline import solve_scenario
from quota_sim.site_exchange import Exchanges
from quota_sim.site_hull import SiteHull
from quota_sim.site_search import SiteSearch
from quota_sim.verify import verify_outputs
from tests.bruteforce import brute_force
from tests.instances import load_instance, random_sites_instance
from tests.test_site_hull import _plain_lp
from tests.test_site_patterns import PATTERN_SEEDS

SEARCHED = [121, 133, 140, 150]  # a few of PATTERN_SEEDS, for the slower checks


def _search(model, settings) -> SiteSearch:
    _, duals = _plain_lp(model, settings)
    return SiteSearch(model, SiteHull(model), duals, lambda: solve._configured_highs(settings), settings.seed)


def _locked_in_only(model, settings) -> np.ndarray:
    """Column values of the plan of the locked-in projects alone (the greedy pass past its deadline),
    with its supply use."""
    plan = greedy_start(model, model.values, time.perf_counter() - 1)
    values = solve._completed_start(model, model.highs_lp(), settings, plan, time.perf_counter() + 30)
    assert values is not None
    return values


@pytest.mark.parametrize("exchanges", [False, True], ids=["steps alone", "with exchanges"])
@pytest.mark.parametrize("seed", PATTERN_SEEDS)
def test_from_the_locked_in_projects_alone_the_search_reaches_the_optimum(
    seed: int, exchanges: bool, tmp_path, monkeypatch
) -> None:
    if not exchanges:
        monkeypatch.setattr(Exchanges, "improve", lambda self, values, deadline: values)
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    best = brute_force(scenario, projects).objective
    start = _locked_in_only(model, scenario.solver)
    assert model.cost @ start < best - 1e-6 * max(1.0, abs(best))  # the search has the work to do
    search = _search(model, scenario.solver)
    found = search.improve(start, time.perf_counter() + 30)
    assert model.cost @ found == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert search.improved + search.exchanges.moves >= 1
    assert exchanges or search.improved >= 1


def test_the_search_takes_the_huge_route_plan_to_the_optimum(tmp_path, monkeypatch) -> None:
    # The model taken as huge, the neighbourhood's dive switched off: on this queue the greedy plan
    # guided by the merged LP is below the optimum, and the search reaches it; the plan passes the
    # validator.
    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 0)
    monkeypatch.setattr(PatternMaster, "dive", lambda self, deadline: None)
    worth = []
    real = SiteSearch.improve

    def recording(self, values, *args):
        found = real(self, values, *args)
        worth.append((float(self.model.cost @ values), float(self.model.cost @ found)))
        return found

    monkeypatch.setattr(SiteSearch, "improve", recording)
    scenario_raw, rows, sites = random_sites_instance(140)
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_raw, rows, sites)
    best = brute_force(scenario, projects).objective
    result = solve_scenario(scenario, projects)
    tol = 1e-6 * max(1.0, abs(best))
    assert len(worth) == 1 and worth[0][0] < best - tol  # the search had work to do
    assert worth[0][1] == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert result.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert result.best_bound >= best - tol
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


@pytest.mark.parametrize("seed", SEARCHED)
def test_a_step_keeps_every_rule_and_the_placements_it_does_not_free(seed: int, tmp_path) -> None:
    # From the plan of the locked-in projects alone, each step's plan meets every row of the model, keeps the
    # placements outside its neighbourhood as they were, and is never worth less.
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    search = _search(model, scenario.solver)
    values = _locked_in_only(model, scenario.solver)
    rows_of = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
    for _ in range(6):
        _, free = search.neighbourhood(values)
        found = search.step(values, free, time.perf_counter() + 30)
        assert found is not None
        entries = model.row_value * found[model.row_index]
        activity = np.bincount(rows_of, weights=entries, minlength=model.n_rows)
        assert np.all(activity <= model.row_upper + 1e-6) and np.all(activity >= model.row_lower - 1e-6)
        assert np.all((found[: model.n_x] == 0) | (found[: model.n_x] == 1))
        held = ~free
        assert np.array_equal(found[: model.n_x][held] > 0.5, values[: model.n_x][held] > 0.5)
        assert model.cost @ found >= model.cost @ values - 1e-6
        values = found


def test_the_search_runs_no_step_past_its_deadline(tmp_path) -> None:
    scenario_raw, rows, sites = random_sites_instance(SEARCHED[0])
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    search = _search(model, scenario.solver)
    plan = np.zeros(model.n_variables)
    assert search.improve(plan, time.perf_counter() - 1) is plan and search.steps == 0


def test_a_site_weighs_as_before_any_step_once_the_plan_changes_there(tmp_path) -> None:
    scenario_raw, rows, sites = random_sites_instance(SEARCHED[0])
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    search = _search(model, scenario.solver)
    values = _locked_in_only(model, scenario.solver)
    search.weight[:] = 0.1
    found = values.copy()
    j = int(np.flatnonzero((values[: model.n_x] < 0.5) & (model.placements.site >= 0))[0])
    found[j] = 1.0
    assert search._changed(values, found) is found
    changed = search.sites == model.placements.site[j]
    assert np.all(search.weight[changed] == 1.0) and np.all(search.weight[~changed] == 0.1)
