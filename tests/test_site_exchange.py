"""Exchange moves on a plan of a model with sites (quota_sim/site_exchange.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from quota_sim import solve
from quota_sim.model import build_model
from quota_sim.site_exchange import Exchanges
from tests.bruteforce import brute_force
from tests.instances import START_YEAR, load_instance, project_row, random_sites_instance, scenario_dict
from tests.test_site_patterns import PATTERN_SEEDS
from tests.test_site_search import _locked_in_only


def _exchanges(model, settings) -> Exchanges:
    return Exchanges(model, lambda: solve._configured_highs(settings))


def _keeps_every_row(model, values: np.ndarray) -> bool:
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
    activity = np.bincount(rows, weights=model.row_value * values[model.row_index], minlength=model.n_rows)
    binary = np.all((values[: model.n_x] == 0) | (values[: model.n_x] == 1))
    within = np.all(activity <= model.row_upper + 1e-6) and np.all(activity >= model.row_lower - 1e-6)
    return bool(binary and within)


def test_a_quota_keeps_the_exchange_worth_most_out(tmp_path) -> None:
    # Site s1 (20 mu) holds a (10 mu, no energy) and d (10 mu, 45 of the 50 tce). Waiting b (10 mu,
    # 10 tce) is worth most in a's place, but b and d need 55 tce: the exchange takes d out for b.
    def quota(demand: str, unit: str, amount: float) -> dict:
        source = {"id": "plan", "scope": "city", "amounts": amount}
        return {"unit": unit, "demand": demand, "sources": [source]}

    quotas = {"land": quota("land_mu", "mu", 100), "energy": quota("energy_tce", "tce", 50)}
    rows = [
        project_row("a", output=10, energy_tce=0),
        project_row("d", output=20, energy_tce=45),
        project_row("b", output=40, energy_tce=10),
    ]
    sites = [{"id": "s1", "zone": "a", "area_mu": 20, "construction_mu": 20}]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas=quotas), rows, sites)
    model = build_model(scenario, projects)
    plan = {"a": ("a", "s1", START_YEAR), "d": ("a", "s1", START_YEAR)}
    start = solve._completed_start(model, model.highs_lp(), scenario.solver, plan, time.perf_counter() + 30)
    assert start is not None
    exchanges = _exchanges(model, scenario.solver)
    found = exchanges.improve(start, time.perf_counter() + 30)
    placed = {projects.ids[p] for p in model.placements.project[found[: model.n_x] > 0.5]}
    assert placed == {"a", "b"} and exchanges.moves == 1
    assert _keeps_every_row(model, found)
    assert model.cost @ found == pytest.approx(brute_force(scenario, projects).objective, rel=1e-9)


def test_exchanges_keep_every_row_and_never_lose(tmp_path) -> None:
    # From the plan of the locked-in projects alone, on the seeded instances: every plan the moves give
    # meets every row of the model, is worth at least the start and at most the optimum; most gain.
    gained = 0
    for seed in PATTERN_SEEDS:
        scenario_raw, rows, sites = random_sites_instance(seed)
        scenario, projects, _ = load_instance(tmp_path / str(seed), scenario_raw, rows, sites)
        model = build_model(scenario, projects)
        start = _locked_in_only(model, scenario.solver)
        found = _exchanges(model, scenario.solver).improve(start, time.perf_counter() + 30)
        assert _keeps_every_row(model, found)
        best = brute_force(scenario, projects).objective
        worth = float(model.cost @ found)
        assert float(model.cost @ start) - 1e-9 <= worth <= best + 1e-6 * max(1.0, abs(best))
        gained += worth > float(model.cost @ start) + 1e-9
    assert gained >= len(PATTERN_SEEDS) // 2


def test_no_move_past_the_deadline(tmp_path) -> None:
    scenario_raw, rows, sites = random_sites_instance(PATTERN_SEEDS[0])
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    start = _locked_in_only(model, scenario.solver)
    exchanges = _exchanges(model, scenario.solver)
    assert exchanges.improve(start, time.perf_counter() - 1) is start and exchanges.moves == 0


def test_a_planned_project_takes_the_place_of_another_to_make_room(tmp_path) -> None:
    # s1 (20 mu) holds a (10 mu, 70), s2 (10 mu) holds c (10 mu, 5); waiting b (20 mu, 60) fits only s1.
    # No exchange on one site gains (b for a loses 10); a in c's place on s2, with b on s1, gains 55.
    rows = [project_row("a", output=70), project_row("b", land_mu=20, output=60), project_row("c", output=5)]
    sites = [
        {"id": "s1", "zone": "a", "area_mu": 20, "construction_mu": 20},
        {"id": "s2", "zone": "a", "area_mu": 10, "construction_mu": 10},
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), rows, sites)
    model = build_model(scenario, projects)
    plan = {"a": ("a", "s1", START_YEAR), "c": ("a", "s2", START_YEAR)}
    start = solve._completed_start(model, model.highs_lp(), scenario.solver, plan, time.perf_counter() + 30)
    assert start is not None
    exchanges = _exchanges(model, scenario.solver)
    found = exchanges.improve(start, time.perf_counter() + 30)
    table, on = model.placements, np.flatnonzero(found[: model.n_x] > 0.5)
    placed = {(projects.ids[table.project[j]], table.site[j]) for j in on}
    assert placed == {("a", model.site_index["s2"]), ("b", model.site_index["s1"])}
    assert _keeps_every_row(model, found)
    assert model.cost @ found == pytest.approx(brute_force(scenario, projects).objective, rel=1e-9)
