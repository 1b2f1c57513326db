"""Marginal values: the re-solve row equals an explicit re-solve, the re-solve that keeps the approvals
gives exact lower bounds (against brute force), duals have the right sign."""

from __future__ import annotations

import dataclasses
import time

import pytest

from quota_sim.analysis.marginal import (
    ADDED_SOURCE_ID,
    choose_delta,
    combined_gain,
    marginal_values,
    neighbourhood_gains,
    nice_ceiling,
    with_extra_city_supply,
)
from quota_sim.analysis.neighbourhood import addable, kept_approvals
from quota_sim.analysis.resolve import Resolved
from quota_sim.model import build_model
from quota_sim.pipeline import solve, solve_scenario
from quota_sim.results import approved_plan
from quota_sim.scenario import with_values
from quota_sim.solve import solve_model
from quota_sim.supply import CITY
from tests.bruteforce import brute_force_optimum
from tests.instances import hard_knapsack, load_instance, project_row, random_instance, scenario_dict


def test_relaxation_duals_are_d_objective_d_supply(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    model = build_model(scenario, projects)
    relaxation = solve_model(model, scenario.solver, relax=True).relaxation
    # LP: p1, p2 whole and half of p3 (190 + 40); one more mu of the 100 buys 1/40 of p3, worth 80.
    assert relaxation.objective == pytest.approx(230.0)
    row = model.supply_rows["land", "plan", CITY, 0]
    assert relaxation.row_duals[model.row_names[row]] == pytest.approx(2.0)


def test_the_solve_keeps_the_relaxation_it_solved_for_its_start(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    solved = solve(scenario, projects)
    assert solved.solution.relaxation is not None
    assert solved.solution.relaxation.objective == pytest.approx(230.0)


def _binding_land(tmp_path, **quota_fields):
    """Three 40-mu projects worth 100, 90 and 80; 100 mu of plan quota admits two of them."""
    land = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 100}]}
    land.update(quota_fields)
    rows = [
        project_row("p1", land_mu=40, output=100),
        project_row("p2", land_mu=40, output=90),
        project_row("p3", land_mu=40, output=80),
    ]
    return load_instance(tmp_path, scenario_dict(quotas={"land": land}), rows)


def test_resolve_row_matches_an_explicit_resolve_and_the_hand_value(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    base = solve_scenario(scenario, projects)
    assert base.objective == pytest.approx(190.0)
    rows = marginal_values(scenario, projects, base.objective, jobs=1)
    resolve = [r for r in rows if r["method"] == "resolve"]
    assert len(resolve) == 1 and resolve[0]["quota"] == "land"
    # delta: max(5 % of 100 mu, median charge 40 mu) = 40 mu, which admits the third project.
    assert resolve[0]["delta"] == 40.0
    explicit = solve_scenario(with_values(scenario, {"quotas.land.sources.plan.amounts": [140.0]}), projects)
    assert resolve[0]["objective_gain"] == pytest.approx(explicit.objective - base.objective)
    assert resolve[0]["objective_gain"] == pytest.approx(80.0)
    assert resolve[0]["value_per_unit"] == pytest.approx(2.0)
    assert resolve[0]["status"] == "optimal"  # no budget given: proven within the gap


def test_no_budget_left_gives_an_honest_empty_row(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    solved = solve(scenario, projects)
    rows = marginal_values(
        scenario, projects, 190.0, start=approved_plan(solved.result), model=solved.model,
        relaxation=solved.solution.relaxation, deadline=time.perf_counter(), jobs=1,
    )
    resolve = next(r for r in rows if r["method"] == "resolve")
    assert resolve["status"] == "no_time"
    assert resolve["objective_gain"] is None and resolve["value_per_unit"] is None
    # The LP duals come with the solve's relaxation, at no cost: given even without a budget.
    assert next(r for r in rows if r["method"] == "lp_dual")["value_per_unit"] == pytest.approx(2.0)


def test_without_a_budget_left_not_even_the_relaxation_is_solved(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    rows = marginal_values(scenario, projects, 190.0, deadline=time.perf_counter() - 1.0, jobs=1)
    assert [r["method"] for r in rows] == ["resolve"]
    assert rows[0]["status"] == "no_time"


def test_lp_dual_row_is_the_relaxation_shadow_price(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    rows = marginal_values(scenario, projects, 190.0, jobs=1)
    dual = [r for r in rows if r["method"] == "lp_dual"]
    # LP relaxation: p1, p2 whole and half of p3; one more mu buys 1/40 of p3, worth 80/40.
    assert dual == [
        {
            "quota": "land",
            "delta": 40.0,
            "objective_gain": pytest.approx(80.0),
            "value_per_unit": pytest.approx(2.0),
            "method": "lp_dual",
            "status": "lp",
            "gain_bound": None,
        }
    ]


def test_lp_dual_sums_the_cumulative_rows_with_carry_over(tmp_path) -> None:
    land = {
        "unit": "mu",
        "demand": "land_mu",
        "sources": [{"id": "plan", "scope": "city", "amounts": [30, 30]}],
    }
    rows = [project_row("p1", land_mu=40, output=100), project_row("p2", land_mu=40, output=60)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(years=2, quotas={"land": land}), rows)
    base = solve_scenario(scenario, projects)
    assert base.objective == pytest.approx(100.0)  # 60 mu by year 2 admits p1 only
    table = {r["method"]: r for r in marginal_values(scenario, projects, base.objective, jobs=1)}
    # Relaxation: p1 whole, p2 at 20/40; a first-year mu relaxes both years' cumulative rows: 60/40.
    assert table["lp_dual"]["value_per_unit"] == pytest.approx(1.5)
    # Re-solve: delta = max(1.5, 40) = 40 mu, 100 mu by year 2 admits both.
    assert table["resolve"]["delta"] == 40.0
    assert table["resolve"]["objective_gain"] == pytest.approx(60.0)


def test_quota_without_city_source_gets_one_for_the_delta(tmp_path) -> None:
    land = {
        "unit": "mu",
        "demand": "land_mu",
        "sources": [{"id": "stock", "scope": "zone", "amounts": {"a": 40}}],
    }
    rows = [project_row("p1", land_mu=40, output=100), project_row("p2", land_mu=40, output=90)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas={"land": land}), rows)
    variant = with_extra_city_supply(scenario, scenario.quotas[0], 40.0)
    added = [s for s in variant.quotas[0].sources if s.id == ADDED_SOURCE_ID]
    assert added and added[0].scope == "city" and added[0].amounts[None] == (40.0,)
    rows_out = marginal_values(scenario, projects, 100.0, jobs=1)
    assert rows_out[0]["objective_gain"] == pytest.approx(90.0)


def test_delta_is_positive_and_rounded(tmp_path) -> None:
    land = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 1234}]}
    nox = {"unit": "t", "demand": "nox_t", "sources": [{"id": "cut", "scope": "city", "amounts": 0}]}
    rows = [project_row("p1", land_mu=10, nox_t=0), project_row("p2", land_mu=12, nox_t=0)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas={"land": land, "nox": nox}), rows)
    land_quota, nox_quota = scenario.quotas
    assert choose_delta(scenario, projects, land_quota) == 62.0  # 5 % of 1234 = 61.7, above the median 11
    assert choose_delta(scenario, projects, nox_quota) == 1.0  # no supply, no demand
    assert nice_ceiling(0.0433) == pytest.approx(0.044)
    assert nice_ceiling(31.2) == 32.0


def test_parallel_and_serial_resolves_agree(tmp_path) -> None:
    land = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 100}]}
    energy = {
        "unit": "tce",
        "demand": "energy_tce",
        "sources": [{"id": "prov", "scope": "city", "amounts": 50}],
    }
    rows = [
        project_row("p1", land_mu=40, output=100, energy_tce=30),
        project_row("p2", land_mu=40, output=90, energy_tce=30),
        project_row("p3", land_mu=30, output=70, energy_tce=10),
    ]
    scenario, projects, _ = load_instance(
        tmp_path, scenario_dict(quotas={"land": land, "energy": energy}), rows
    )
    base = solve_scenario(scenario, projects)
    serial = marginal_values(scenario, projects, base.objective, jobs=1, with_duals=False)
    parallel = marginal_values(scenario, projects, base.objective, jobs=2, with_duals=False)
    assert serial == parallel
    assert [r["quota"] for r in serial] == ["land", "energy"]
    assert serial[0]["objective_gain"] == 0.0  # energy binds: p1 and p3 use 40 of 50 tce
    assert serial[1]["objective_gain"] == pytest.approx(20.0)  # 30 more tce: p1 and p2 (190) beat p1 and p3


def test_a_time_limited_resolve_says_so_with_both_bounds(tmp_path) -> None:
    scenario, projects = hard_knapsack(tmp_path)
    base = solve_scenario(scenario, projects, time_limit=1)  # a start plan, not the optimum
    start = approved_plan(base)
    quick = dataclasses.replace(scenario.solver, time_limit=0.2)  # too short to prove a re-solve
    rows = marginal_values(scenario, projects, base.objective, settings=quick, start=start, jobs=2)
    resolve = [r for r in rows if r["method"] == "resolve"]
    assert len(resolve) == len(scenario.quotas)
    assert {r["status"] for r in resolve} <= {"time_limited", "lp_bound", "optimal", "neighbourhood"}
    assert any(r["status"] == "time_limited" for r in resolve)
    for row in resolve:  # the plan stays feasible with more supply: never a negative gain
        assert row["objective_gain"] >= 0
        assert row["gain_bound"] is None or row["gain_bound"] >= row["objective_gain"]


def test_kept_approvals_fix_each_approved_project_to_its_place_and_year(tmp_path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    rows = [project_row("p1", zone="a|b"), project_row("p2", zone="a|b", earliest_year=2027)]
    _, projects, _ = load_instance(tmp_path, scenario_dict(years=3, zones=zones), rows)
    queue = kept_approvals(projects, {"p1": ("b", None, 2027)})
    assert queue.lock == ["in", ""]
    assert queue.zones == [("b",), ("a", "b")]
    assert list(queue.earliest_year) == [2027, 2027] and list(queue.latest_year) == [2027, 0]


def test_the_neighbourhood_gain_is_exact_when_the_extra_supply_admits_a_waiting_project(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    base = solve_scenario(scenario, projects)
    land = scenario.quotas[0]
    gains = neighbourhood_gains(
        scenario, projects, approved_plan(base), {"land": 40.0}, [land], scenario.solver,
        deadline=None, jobs=1, cancel=None,
    )
    assert gains == {"land": (pytest.approx(80.0), True)}  # p3 fits in the 40 extra mu


@pytest.mark.parametrize("seed", range(12))
def test_neighbourhood_gains_are_lower_bounds_of_the_true_gain(tmp_path, seed) -> None:
    """Against brute force, with relocation penalties and locks: a kept approval outside its preferred
    zone changes the neighbourhood's objective by a constant that the gain must cancel."""
    scenario, projects, _ = load_instance(tmp_path, *random_instance(seed))
    base = solve_scenario(scenario, projects)
    if base.status != "optimal":
        return
    plan = approved_plan(base)
    quotas = scenario.quotas
    deltas = {q.id: choose_delta(scenario, projects, q) for q in quotas}
    variants = {q.id: with_extra_city_supply(scenario, q, deltas[q.id]) for q in quotas}
    gains = neighbourhood_gains(
        scenario, projects, plan, deltas, quotas, scenario.solver,
        deadline=None, jobs=1, cancel=None,
    )
    assert set(gains) == set(variants)
    for quota_id, (gain, proven) in gains.items():
        best = brute_force_optimum(variants[quota_id], projects)
        assert proven and best is not None
        assert -1e-6 <= gain <= best - base.objective + 1e-6 * max(1.0, abs(best))
        if not plan:  # nothing kept: the neighbourhood is the whole scenario
            assert gain == pytest.approx(best - base.objective, abs=1e-6)


def test_the_row_reports_the_larger_gain_and_says_how_exact_it_is() -> None:
    full = Resolved("optimal", 1000.0, 1010.0, 0.1)
    assert combined_gain(full, (5.0, True), 990.0, True, 1e-6) == (10.0, "optimal", 20.0)
    assert combined_gain(full, (15.0, True), 990.0, True, 1e-6) == (15.0, "neighbourhood", 20.0)
    assert combined_gain(full, (15.0, False), 990.0, True, 1e-6) == (15.0, "time_limited", 20.0)
    untimed = Resolved("no_time", None, None, 0.0)
    assert combined_gain(untimed, (0.0, True), 990.0, True, 1e-6) == (0.0, "neighbourhood", None)
    assert combined_gain(untimed, None, 990.0, True, 1e-6) == (None, "no_time", None)
    settled = Resolved("lp_bound", None, 995.0, 0.0)  # the LP leaves no gain beyond the solver gap ...
    assert combined_gain(settled, (3.0, True), 990.0, True, 1e-6) == (3.0, "neighbourhood", 5.0)


@pytest.mark.parametrize("seed", range(12))
def test_leaving_out_the_projects_that_cannot_join_keeps_the_neighbourhood_optimum(tmp_path, seed) -> None:
    scenario, projects, _ = load_instance(tmp_path, *random_instance(seed))
    base = solve_scenario(scenario, projects)
    if base.status != "optimal":
        return
    plan = approved_plan(base)
    exact = dataclasses.replace(scenario.solver, gap=0.0)
    for quota in scenario.quotas:
        delta = choose_delta(scenario, projects, quota)
        variant = with_extra_city_supply(scenario, quota, delta)
        free = addable(scenario, projects, plan, [{quota.id: delta}])[0]
        assert not set(free) & {projects.ids.index(p) for p in plan}
        every = solve_model(build_model(variant, kept_approvals(projects, plan)), exact, start=plan)
        some = solve_model(build_model(variant, kept_approvals(projects, plan, free)), exact, start=plan)
        assert every.status == some.status == "optimal"
        assert some.objective == pytest.approx(every.objective, rel=1e-9, abs=1e-6)


def test_full_resolves_are_made_only_where_the_budget_gives_each_what_the_solve_took(tmp_path) -> None:
    scenario, projects, _ = _binding_land(tmp_path)
    solved = solve(scenario, projects)
    common = {"start": approved_plan(solved.result), "model": solved.model, "jobs": 1,
              "relaxation": solved.solution.relaxation}
    slow = marginal_values(scenario, projects, 190.0, deadline=time.perf_counter() + 5.0, full_seconds=60.0,
                           **common)
    # No full re-solve fits: the neighbourhood re-solve alone answers, exactly (p3 fits in 40 more mu).
    assert slow[0]["status"] == "neighbourhood" and slow[0]["objective_gain"] == pytest.approx(80.0)
    assert slow[0]["gain_bound"] is None  # no full re-solve or LP bound was made
    quick = marginal_values(scenario, projects, 190.0, deadline=time.perf_counter() + 5.0, full_seconds=0.1,
                            **common)
    assert quick[0]["status"] == "optimal" and quick[0]["objective_gain"] == pytest.approx(80.0)
