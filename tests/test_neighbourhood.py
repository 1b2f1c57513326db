"""The neighbourhood model shared by every quota's case: each case, made by changing bounds only, has the
optimum of the model built for that case alone, and gains are lower bounds of the true gain (brute force)."""

from __future__ import annotations

import dataclasses
import threading
import time

import highspy
import pytest

from quota_sim.analysis.marginal import (
    choose_delta,
    extended_scenario,
    neighbourhood_gains,
    with_extra_city_supply,
)
from quota_sim.analysis.neighbourhood import Neighbourhood, addable, kept_approvals
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.placements import PlacementSpace
from quota_sim.results import approved_plan
from quota_sim.solve import solve_model
from quota_sim.supply import source_total
from tests.bruteforce import brute_force_optimum
from tests.instances import load_instance, project_row, random_instance, random_sites_instance, scenario_dict


def _solved(tmp_path, seed: int, sites: bool):
    instance = random_sites_instance(seed) if sites else random_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, *instance)
    base = solve_scenario(scenario, projects)
    assert base.status == "optimal"  # the seeds used here all solve, so no case passes without a check
    return scenario, projects, base


def _every_quota_case(scenario, projects, base):
    """Each quota's extra supply, the neighbourhood of the plan with all of them, and its cases."""
    plan = approved_plan(base)
    deltas = {q.id: choose_delta(scenario, projects, q) for q in scenario.quotas}
    neighbourhood = Neighbourhood(scenario, projects, plan, *extended_scenario(scenario, deltas))
    return plan, deltas, neighbourhood, [None, *deltas]


@pytest.mark.parametrize("sites", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_each_case_has_the_optimum_of_its_own_model(tmp_path, seed, sites) -> None:
    scenario, projects, base = _solved(tmp_path, seed, sites)
    plan, deltas, neighbourhood, cases = _every_quota_case(scenario, projects, base)
    found = neighbourhood.solve(cases, scenario.solver, jobs=1)
    exact = dataclasses.replace(scenario.solver, gap=0.0)
    quotas = {q.id: q for q in scenario.quotas}
    for case in cases:
        own = scenario if case is None else with_extra_city_supply(scenario, quotas[case], deltas[case])
        extra = {} if case is None else {case: deltas[case]}
        free = addable(scenario, projects, plan, [extra])[0]
        alone = solve_model(build_model(own, kept_approvals(projects, plan, free)), exact, start=plan)
        assert found[case].status == alone.status == "optimal", case
        assert found[case].objective == pytest.approx(alone.objective, rel=1e-9, abs=1e-6), case


@pytest.mark.parametrize("sites", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_quotas_tried_together_get_their_own_optimum(tmp_path, seed, sites) -> None:
    scenario, projects, base = _solved(tmp_path, seed, sites)
    _plan, deltas, neighbourhood, cases = _every_quota_case(scenario, projects, base)
    one_by_one = neighbourhood.solve(cases, scenario.solver, jobs=1)
    for jobs in (1, 2):
        together = neighbourhood.solve(cases, scenario.solver, together=list(deltas), jobs=jobs)
        for case in cases:
            assert together[case].status == "optimal"
            assert together[case].objective == pytest.approx(one_by_one[case].objective, rel=1e-9, abs=1e-6)


def test_a_group_that_gains_is_solved_one_by_one(tmp_path) -> None:
    scenario, projects, _ = _two_quotas(tmp_path)
    extended = extended_scenario(scenario, {"land": 40.0, "energy": 30.0})
    found = Neighbourhood(scenario, projects, {}, *extended).solve(
        [None, "land", "energy"], scenario.solver, together=["land", "energy"], jobs=2
    )
    assert found["land"].objective == pytest.approx(170.0)
    assert found["energy"].objective == pytest.approx(190.0)


@pytest.mark.parametrize("seed", range(8))
def test_gains_with_sites_are_lower_bounds_of_the_true_gain(tmp_path, seed) -> None:
    scenario, projects, base = _solved(tmp_path, seed, sites=True)
    deltas = {q.id: choose_delta(scenario, projects, q) for q in scenario.quotas}
    gains = neighbourhood_gains(
        scenario, projects, approved_plan(base), deltas, scenario.quotas, scenario.solver,
        deadline=None, jobs=2, cancel=None,
    )
    assert set(gains) == set(deltas)
    for quota in scenario.quotas:
        best = brute_force_optimum(with_extra_city_supply(scenario, quota, deltas[quota.id]), projects)
        gain, proven = gains[quota.id]
        assert proven and best is not None
        assert -1e-6 <= gain <= best - base.objective + 1e-6 * max(1.0, abs(best))


def _two_quotas(tmp_path):
    land = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 100}]}
    energy = {"unit": "tce", "demand": "energy_tce", "sources": [{"id": "prov", "scope": "zone",
                                                                  "amounts": {"a": 50}}]}
    rows = [
        project_row("p1", land_mu=40, output=100, energy_tce=30),
        project_row("p2", land_mu=40, output=90, energy_tce=30),
        project_row("p3", land_mu=30, output=70, energy_tce=10),
    ]
    return load_instance(tmp_path, scenario_dict(quotas={"land": land, "energy": energy}), rows)


def test_a_quota_without_city_source_is_raised_only_in_its_own_case(tmp_path) -> None:
    scenario, projects, _ = _two_quotas(tmp_path)
    base = solve_scenario(scenario, projects)
    assert base.objective == pytest.approx(170.0)  # p1 and p3: 40 of 50 tce
    deltas = {"land": 40.0, "energy": 30.0}
    found = Neighbourhood(scenario, projects, {}, *extended_scenario(scenario, deltas)).solve(
        [None, "land", "energy"], scenario.solver, jobs=1
    )
    assert found[None].objective == pytest.approx(170.0)
    assert found["land"].objective == pytest.approx(170.0)  # energy binds: more land buys nothing
    assert found["energy"].objective == pytest.approx(190.0)  # 30 more tce (a new city source): p1, p2


def test_cases_left_when_the_deadline_passes_are_no_time(tmp_path) -> None:
    scenario, projects, _ = _two_quotas(tmp_path)
    extended = extended_scenario(scenario, {"land": 40.0, "energy": 30.0})
    neighbourhood = Neighbourhood(scenario, projects, {}, *extended)
    found = neighbourhood.solve([None, "land"], scenario.solver, deadline=time.perf_counter(), jobs=2)
    assert {f.status for f in found.values()} == {"no_time"}
    cancel = threading.Event()
    cancel.set()
    found = neighbourhood.solve([None, "land"], scenario.solver, jobs=1, cancel=cancel)
    assert {f.status for f in found.values()} == {"no_time"}


@pytest.mark.parametrize("sites", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_addable_keeps_the_waiting_projects_with_a_place_fitting_what_the_plan_leaves(tmp_path, seed, sites):
    scenario, projects, base = _solved(tmp_path, seed, sites)
    plan = approved_plan(base)
    space = PlacementSpace.of(scenario, projects)
    index = space.sites.index if space.sites is not None else {}
    quotas = scenario.quotas
    left = {q.id: sum(source_total(s, scenario.years) for s in q.sources) for q in quotas}
    for pid, (_zone, site, _year) in plan.items():
        for q in quotas:
            left[q.id] -= space.charge(q.id, projects.ids.index(pid), index.get(site))
    extra = {quotas[0].id: choose_delta(scenario, projects, quotas[0])}
    expected = [
        p for p in range(len(projects))
        if projects.ids[p] not in plan and projects.lock[p] != "out" and any(
            all(space.charge(q.id, p, k) <= left[q.id] + extra.get(q.id, 0.0) + 1e-6 for q in quotas)
            for _zone, k, _first in space.places(p)
        )
    ]
    assert addable(scenario, projects, plan, [extra])[0] == expected


def test_a_plan_whose_approval_has_no_place_gives_no_gain(tmp_path) -> None:
    scenario, projects, _ = _two_quotas(tmp_path)
    plan = {"p1": ("a", None, 2099)}  # a start year outside the horizon: no placement
    extended = extended_scenario(scenario, {"land": 40.0, "energy": 30.0})
    found = Neighbourhood(scenario, projects, plan, *extended).solve([None, "land"], scenario.solver, jobs=1)
    assert {f.status for f in found.values()} == {"infeasible"}


def test_no_case_starts_in_less_time_than_a_case_took_to_reach_its_first_callback(tmp_path, monkeypatch):
    # HiGHS cannot be stopped before its first MIP callback (0.4-0.8 s on a 5,000-project queue): a case
    # started with less time left would end past the deadline. Here each HiGHS run spends 0.4 s before
    # it (the clock stands still but for that): the reference is started with 0.5 s left, and after it
    # no case is; before any case ran, the estimate is the neighbourhood's own set-up time.
    scenario, projects, base = _solved(tmp_path, 3, sites=True)
    _plan, _deltas, neighbourhood, cases = _every_quota_case(scenario, projects, base)
    offset, runs, real_run = [0.0], [], highspy.Highs.run
    started = time.perf_counter()

    def run(highs):
        offset[0] += 0.4
        runs.append(highs)
        return real_run(highs)

    monkeypatch.setattr(time, "perf_counter", lambda: started + offset[0])
    monkeypatch.setattr(highspy.Highs, "run", run)
    neighbourhood.setup_seconds = 0.0
    found = neighbourhood.solve(cases, scenario.solver, deadline=started + 0.5, jobs=1)
    assert len(runs) == 1 and found[None].status != "no_time"
    assert {found[case].status for case in cases[1:]} == {"no_time"}
    neighbourhood.setup_seconds = 0.6  # longer than the time left: nothing starts
    found = neighbourhood.solve(cases, scenario.solver, deadline=time.perf_counter() + 0.5, jobs=1)
    assert len(runs) == 1 and {f.status for f in found.values()} == {"no_time"}
