"""The solve's clock: every HiGHS run of a solve gets at most the time left of its limit, on every route
(pattern master, LP relaxation, restricted MIP, fills, full MIP, the huge-model routes), and a solve cut
by the clock is ``feasible`` with its gap, never ``optimal``.

The solve's clock is simulated: it stands still but for each HiGHS run, which moves it on by ``STEP``
seconds, and the site patterns' set-up (Python work before the first run, ``STEP`` unless told), so the
time left shrinks by the same amount on every machine and load, and a route that counts from a stale
start, from the whole limit or from nothing at all gives HiGHS more than is left. The analyses' Python
set-up (no solver clock) is cut at their deadline on the real clock."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pytest

from quota_sim import analysis, pipeline, site_patterns, solve
from quota_sim.analysis import baselines, marginal, neighbourhood
from quota_sim.greedy import greedy_start
from quota_sim.interrupts import run_highs, set_deadline
from quota_sim.model import build_model
from quota_sim.pattern_master import PatternMaster
from quota_sim.results import approved_plan
from quota_sim.solve import relative_gap
from tests.instances import hard_knapsack, load_instance, project_row, random_sites_instance, scenario_dict
from tests.test_site_patterns import LAND

STEP = 0.25  # simulated seconds each HiGHS run takes
# The routes' functions, as named in the stack of a HiGHS run.
ROUTES = ("_completed_start", "_bounded_mip", "_restricted_mip", "_filled_mip", "_master_plan",
          "_shortlist_plan", "priced_relaxation", "_start_plan", "_solve_highs")


@dataclass
class Run:
    route: tuple[str, ...]  # the ROUTES in its stack, innermost first
    given: float  # HiGHS's time limit for this run (seconds; its option less its run time so far)
    left: float  # the solve's time left when it started (simulated seconds)


class Clock:
    """``time.perf_counter`` standing still but for STEP after each HiGHS run and ``setup`` seconds in
    each set-up of the site patterns; the runs as they started."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, setup: float = STEP) -> None:
        self.offset = 0.0
        self.runs: list[Run] = []
        self.deadline = float("inf")
        started, real_run = time.perf_counter(), highspy.Highs.run
        clock = self

        def counter() -> float:
            return started + clock.offset

        def run(highs: highspy.Highs):
            limit = highs.getOptionValue("time_limit")
            limit = limit[1] if isinstance(limit, tuple) else limit
            clock.runs.append(Run(_route(), limit - highs.getRunTime(), clock.deadline - counter()))
            try:
                return real_run(highs)
            finally:
                clock.offset += STEP

        real_solve, real_patterns = solve._solve_highs, solve._with_site_patterns

        def timed(model, settings, **options):  # the solve's own deadline
            clock.deadline = counter() + settings.time_limit
            return real_solve(model, settings, **options)

        monkeypatch.setattr(time, "perf_counter", counter)
        monkeypatch.setattr(highspy.Highs, "run", run)
        def patterns(*args):
            clock.offset += setup
            return real_patterns(*args)

        monkeypatch.setattr(solve, "_solve_highs", timed)
        monkeypatch.setattr(solve, "_with_site_patterns", patterns)

    def solve(self, model, settings, **options) -> solve.Solution:
        return solve.solve_model(model, settings, **options)

    def assert_within_the_time_left(self) -> None:
        for run in self.runs:
            # Only the LP completing a known plan with its supply use may get a moment past the limit.
            allowed = solve.RETURN_SECONDS if run.route[0] == "_completed_start" else 0.0
            assert run.given <= max(run.left, allowed) + 1e-9, run

    @property
    def routes(self) -> set[str]:
        return {route for run in self.runs for route in run.route}


def _route() -> tuple[str, ...]:
    """The routes of the solve in the stack of the HiGHS run starting now, innermost first (the run is
    in the main thread's "highs" thread while the main thread waits in ``run_highs``)."""
    if threading.current_thread().name == "highs":
        frame = sys._current_frames()[threading.main_thread().ident]
    else:
        frame = sys._getframe()
    names = []
    while frame is not None:
        if frame.f_code.co_name in ROUTES:
            names.append(frame.f_code.co_name)
        frame = frame.f_back
    return tuple(names)


def _many_on_one_site(tmp_path):
    """12 candidates on one 100-mu site; with MAX_CANDIDATES 6 its patterns are partial (the pattern
    master's route)."""
    lands = [60, 55, 50, 45, 40, 35, 7, 7, 7, 7, 7, 7]
    outputs = [100, 95, 90, 80, 75, 70, 20, 20, 20, 20, 20, 19]
    rows = [project_row(f"p{i}", land_mu=land, output=output, site="s1")
            for i, (land, output) in enumerate(zip(lands, outputs, strict=True), start=1)]
    sites = [{"id": "s1", "zone": "a", "area_mu": 100.0}]
    # Two start years: several placements per project (a model of one placement each runs HiGHS alone).
    scenario = scenario_dict(years=2, quotas={"land": LAND})
    scenario, projects, _ = load_instance(tmp_path, scenario, rows, sites)
    return scenario, build_model(scenario, projects)


def _unpriced_master(monkeypatch) -> None:
    """The pattern master runs and stops unpriced (as under a short limit)."""
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 6)
    real = PatternMaster.solve

    def unpriced(self, deadline, tolerance=0.0):
        solved = real(self, deadline, tolerance)
        self.priced_out = False
        return solved

    monkeypatch.setattr(PatternMaster, "solve", unpriced)


def test_every_route_of_a_small_model_gets_only_the_time_left(tmp_path, monkeypatch) -> None:
    # The set-up takes 20 % of the limit. The pattern master runs and stops unpriced (as under a short
    # limit); the LP relaxation, the MIP on its support, the fills and the full MIP follow (gap 0: the
    # restricted plans prove nothing).
    _unpriced_master(monkeypatch)
    scenario, model = _many_on_one_site(tmp_path)
    clock = Clock(monkeypatch, setup=6.0)
    solution = clock.solve(model, replace(scenario.solver, time_limit=30.0, gap=0.0))
    assert {"_master_plan", "_start_plan", "_restricted_mip", "_filled_mip"} <= clock.routes
    assert clock.runs[-1].route == ("_solve_highs",)  # the full MIP
    clock.assert_within_the_time_left()
    assert solution.status == "optimal" and solution.gap == 0.0


def test_no_full_mip_with_less_time_left_than_the_start_plan_took(tmp_path, monkeypatch) -> None:
    # The set-up takes 60 % of the limit: the start plan is found with less time left than it took. The
    # full MIP would presolve and solve its root LP again before it could improve it (on a large queue
    # HiGHS overran its limit by seconds there): the restricted plan is the answer, feasible, with its gap.
    _unpriced_master(monkeypatch)
    scenario, model = _many_on_one_site(tmp_path)
    clock = Clock(monkeypatch, setup=18.0)
    solution = clock.solve(model, replace(scenario.solver, time_limit=30.0, gap=0.0))
    assert {"_restricted_mip", "_filled_mip"} <= clock.routes
    assert all(run.route != ("_solve_highs",) for run in clock.runs)
    clock.assert_within_the_time_left()
    assert solution.status == "feasible" and "less than finding the start plan took" in solution.message
    assert solution.gap == pytest.approx(relative_gap(solution.objective, solution.relaxation.objective))


@pytest.mark.parametrize("sites", [False, True])
def test_every_route_of_a_huge_model_gets_only_the_time_left(sites: bool, tmp_path, monkeypatch) -> None:
    # Treated as a huge model: without sites, the LP (its share of the limit), the greedy plan completed
    # with its supply use, then the full MIP; with sites, the merged LP, the greedy plan it guides
    # completed with its supply use, the plain LP priced over the placements, then the pattern master
    # around it and the search over sites.
    monkeypatch.setattr(solve, "GREEDY_START_BINARIES", 1)
    if sites:
        monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 1)
        scenario, projects, _ = load_instance(tmp_path, *random_sites_instance(108))
        expected = {"_shortlist_plan", "_completed_start", "priced_relaxation"}
    else:
        scenario, projects = hard_knapsack(tmp_path, n=20)
        expected = {"_start_plan", "_completed_start", "_solve_highs"}
    model = build_model(scenario, projects)
    assert model.n_x and (model.site_rows or not sites)
    clock = Clock(monkeypatch)
    solution = clock.solve(model, replace(scenario.solver, time_limit=30.0))
    assert expected <= clock.routes
    clock.assert_within_the_time_left()
    assert solution.status in ("optimal", "feasible") and solution.chosen


def test_a_solve_cut_by_the_clock_reports_its_plan_as_feasible_with_its_gap(tmp_path, monkeypatch) -> None:
    # Three steps' time, gap 0: the set-up, the LP relaxation, then the MIP on its support until the
    # limit. No fill and
    # no full MIP is started after that: the restricted plan is the answer, feasible, with its gap to the
    # relaxation's bound.
    scenario, projects = hard_knapsack(tmp_path, n=40, zones=2)
    model = build_model(scenario, projects)
    clock = Clock(monkeypatch)
    solution = clock.solve(model, replace(scenario.solver, time_limit=3 * STEP, gap=0.0))
    assert [run.route[0] for run in clock.runs] == ["_start_plan", "_bounded_mip"]
    clock.assert_within_the_time_left()
    assert solution.status == "feasible" and "reached before a MIP search" in solution.message
    assert solution.best_bound == pytest.approx(solution.relaxation.objective)
    assert solution.objective > 0 and solution.best_bound > solution.objective
    assert solution.gap == pytest.approx((solution.best_bound - solution.objective) / solution.objective)


def test_a_relaxation_that_takes_the_whole_limit_still_guides_a_plan(tmp_path, monkeypatch) -> None:
    # The LP relaxation uses up the limit: no MIP is started after it; the greedy pass it guides gives
    # the plan, completed with its supply use in a moment, feasible with its gap to the relaxation.
    scenario, projects = hard_knapsack(tmp_path, n=40, zones=2)
    model = build_model(scenario, projects)
    clock = Clock(monkeypatch)
    solution = clock.solve(model, replace(scenario.solver, time_limit=1.5 * STEP))
    assert [run.route[0] for run in clock.runs] == ["_start_plan", "_completed_start"]
    clock.assert_within_the_time_left()
    assert solution.status == "feasible" and solution.objective > 0
    assert solution.best_bound == pytest.approx(solution.relaxation.objective)
    assert solution.gap == pytest.approx((solution.best_bound - solution.objective) / solution.objective)


def test_a_known_plan_is_completed_with_its_supply_use_without_the_placement_columns(tmp_path) -> None:
    # The completion's LP holds only the supply columns; the plan's placements are in its row bounds.
    scenario, projects = hard_knapsack(tmp_path, n=20)
    model = build_model(scenario, projects)
    exact = solve.solve_model(model, scenario.solver)
    plan = {projects.ids[p]: (z, k, scenario.start_year + t) for p, (z, k, t) in exact.chosen.items()}
    lp = model.highs_lp()
    values = solve._completed_start(model, lp, scenario.solver, plan, time.perf_counter() + 30)
    assert values is not None and len(values) == model.n_variables
    assert float(np.asarray(model.cost) @ values) == pytest.approx(exact.objective)
    too_much = {pid: ("a", None, scenario.start_year) for pid in projects.ids}  # every project at once
    assert solve._completed_start(model, lp, scenario.solver, too_much, time.perf_counter() + 30) is None


def test_a_reused_highs_instance_gets_the_seconds_left_on_top_of_its_run_time(tmp_path) -> None:
    # HiGHS counts its time limit over every run of one instance (the pattern master, the priced LP and
    # the neighbourhood's lanes reuse theirs): a limit of the seconds left alone would stop it too soon.
    scenario, projects = hard_knapsack(tmp_path, n=20)
    highs = solve._configured_highs(scenario.solver)
    highs.passModel(build_model(scenario, projects).highs_lp())
    set_deadline(highs, time.perf_counter() + 30)
    run_highs(highs)
    spent = highs.getRunTime()
    assert spent > 0
    set_deadline(highs, time.perf_counter() + 5)
    limit = highs.getOptionValue("time_limit")
    limit = limit[1] if isinstance(limit, tuple) else limit
    assert limit - spent == pytest.approx(5, abs=0.05)


def test_the_greedy_pass_takes_no_project_past_its_deadline(tmp_path) -> None:
    scenario, projects = hard_knapsack(tmp_path, n=20)
    model = build_model(scenario, projects)
    assert greedy_start(model, dict(model.value), time.perf_counter() + 30)  # in time: a plan
    assert greedy_start(model, dict(model.value), time.perf_counter() - 1) == {}  # too late: none
    # (a locked-in project is still placed: see below)


def test_past_its_deadline_the_greedy_pass_still_places_the_locked_in_projects(tmp_path) -> None:
    rows = [project_row("free", land_mu=10, output=500.0), project_row("locked", lock="in", land_mu=10)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), rows)
    model = build_model(scenario, projects)
    assert set(greedy_start(model, dict(model.value), time.perf_counter() - 1)) == {"locked"}


@pytest.mark.parametrize("slow", ["neighbourhood", "model"])
def test_the_analyses_python_set_up_ends_by_their_deadline(slow: str, tmp_path, monkeypatch) -> None:
    # On a large queue, setting up the plan's neighbourhood (which projects could join it, its model) or
    # building the model for the LP duals is seconds of Python that no solver clock bounds: here it
    # would take 30 s, with 0.3 s left. It is cut at the deadline; the rows say no_time, none is
    # claimed from the neighbourhood.
    scenario, projects = hard_knapsack(tmp_path, n=20)
    solved = pipeline.solve(scenario, projects)
    assert solved.result.status == "optimal"

    def stuck(*_args, **_kwargs):
        time.sleep(30)

    if slow == "neighbourhood":
        monkeypatch.setattr(neighbourhood, "addable", stuck)
    else:
        monkeypatch.setattr(marginal, "build_model", stuck)
    known = {"model": solved.model, "relaxation": solved.solution.relaxation}
    if slow == "model":
        known = {}
    started = time.perf_counter()
    rows = marginal.marginal_values(
        scenario, projects, solved.result.objective, start=approved_plan(solved.result),
        deadline=started + 0.3, jobs=1, **known,
    )
    assert time.perf_counter() - started < 1.5
    resolve_rows = [row for row in rows if row["method"] == "resolve"]
    assert len(resolve_rows) == len(scenario.quotas)
    assert {row["status"] for row in resolve_rows} == {"no_time"}
    # The LP duals come with the solve's relaxation; without it, there was no time to get them.
    assert any(row["method"] == "lp_dual" for row in rows) == (slow == "neighbourhood")


def test_hand_rankings_past_their_deadline_set_nothing_up(tmp_path, monkeypatch) -> None:
    # Finding a large queue's placements takes a tenth of a second or more per ranking: past the deadline
    # neither ranking starts it, and both say no_time.
    scenario, projects = hard_knapsack(tmp_path, n=20)

    def never(*_args, **_kwargs):
        raise AssertionError("the placements were set up past the deadline")

    monkeypatch.setattr(baselines.PlacementSpace, "of", never)
    late = baselines.baseline_summary(scenario, projects, 100.0, deadline=time.perf_counter() - 0.01)
    assert late == {method: {"status": "no_time"} for method in baselines.METHODS}


def test_a_neighbourhood_lane_stops_its_highs_at_its_deadline_without_highs_own_limit(tmp_path) -> None:
    # HiGHS checks its own time limit seldom (a lane's case given 0.84 s ran 1.2 s), and the lanes are
    # threads the run's time limit cannot reach: their MIP callback stops it once the deadline passed.
    scenario, projects = hard_knapsack(tmp_path, n=60)
    highs = solve._configured_highs(scenario.solver)  # no time limit of its own
    highs.passModel(build_model(scenario, projects).highs_lp())
    solve.MipStop(highs, time.perf_counter() - 1.0)  # as a lane's, its deadline passed
    run_highs(highs)
    assert highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    assert highs.getInfo().mip_node_count <= 1


def test_the_diagnosis_of_an_infeasible_run_gets_only_the_runs_time_left(tmp_path, monkeypatch) -> None:
    # Two locked-in projects need 50 mu of 10: infeasible. The diagnosis's elastic solve is the run's one
    # analysis: it gets the time left of the run's limit, not the scenario's 60 s again.
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city",
                                                                      "amounts": 10}]}}
    rows = [project_row("p1", land_mu=25, lock="in"), project_row("p2", land_mu=25, lock="in")]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas=quotas), rows)
    given = []
    real = analysis.diagnose

    def recording(scenario, projects, settings):
        given.append(settings.time_limit)
        return real(scenario, projects, settings)

    monkeypatch.setattr(analysis, "diagnose", recording)
    result = pipeline.run_and_write(scenario, tmp_path / "out", projects=projects, time_limit=2.0)
    assert result.status == "infeasible" and result.extras["diagnosis"]["overruns"]
    spent = result.seconds["load"] + result.seconds["build"] + result.seconds["solve"]
    assert len(given) == 1 and 0 < given[0] <= 2.0 - spent  # not the limit again


def test_no_mip_is_started_in_less_time_than_a_mip_on_its_lp_took_to_set_up(tmp_path, monkeypatch) -> None:
    # Before its first MIP callback HiGHS reads the model, presolves and completes the start without
    # looking at the clock (0.2-0.8 s on a 5,000-project queue, even with no time left): here each run
    # spends 0.4 s so (the clock stands still but for that). The first MIP on the LP records it; a MIP
    # with 0.3 s left is then not started, one with 1 s left is.
    scenario, projects = hard_knapsack(tmp_path, n=20, zones=2)
    model = build_model(scenario, projects)
    lp, n = model.highs_lp(), model.n_x
    offset, runs, real_run = [0.0], [], highspy.Highs.run
    started = time.perf_counter()

    def run(highs: highspy.Highs):
        offset[0] += 0.4
        runs.append(highs)
        return real_run(highs)

    monkeypatch.setattr(time, "perf_counter", lambda: started + offset[0])
    monkeypatch.setattr(highspy.Highs, "run", run)
    setup = solve.MipSetup()
    keep = np.ones(n, dtype=bool)

    def restricted(seconds_left: float):
        deadline = time.perf_counter() + seconds_left
        return solve._restricted_mip(lp, n, keep, None, scenario.solver, np.inf, deadline, 0.0, setup)

    found, _ = restricted(30.0)
    assert found is not None and len(runs) == 1
    assert setup.seconds == pytest.approx(0.4)
    assert restricted(0.3) == (None, False) and len(runs) == 1  # not started
    found, _ = restricted(1.0)
    assert found is not None and len(runs) == 2


def test_the_solves_mips_stop_at_their_first_callback_past_their_deadline(tmp_path) -> None:
    # HiGHS looks at its own time limit seldom (a full MIP of the 5,000-project named-sites queue given
    # 1 s ran 5.5 s): the solve's MIPs are stopped at their MIP callback once the deadline passed, which
    # counts as reaching the time limit.
    scenario, projects = hard_knapsack(tmp_path, n=60)
    highs = solve._configured_highs(scenario.solver)  # no time limit of its own
    highs.passModel(build_model(scenario, projects).highs_lp())
    stop = solve.MipStop(highs, time.perf_counter() - 1.0)
    run_highs(highs)
    status = highs.getModelStatus()
    assert status == highspy.HighsModelStatus.kInterrupt and highs.getInfo().mip_node_count <= 1
    assert stop.first is not None  # when HiGHS could first be stopped
    assert solve._stopped_with(highs, status) == "Time limit reached"


def test_the_solve_leaves_the_plans_tables_as_long_as_the_build_took(tmp_path, monkeypatch) -> None:
    # The plan's tables (and a waiting project's reasons) go over the placements the build found, after
    # the solve: the solve ends as long before the limit as the build took (2 s on a stand-in clock that
    # stands still but for the build), and the analyses' share comes out of the rest.
    scenario, projects = hard_knapsack(tmp_path, n=20)
    offset, limits = [0.0], []
    started = time.perf_counter()
    real_build, real_solve = pipeline.build_model, pipeline.solve_model

    def build(*args, **kwargs):
        offset[0] += 2.0
        return real_build(*args, **kwargs)

    def solve_model(model, settings, **kwargs):
        limits.append(settings.time_limit)
        return real_solve(model, settings, **kwargs)

    monkeypatch.setattr(time, "perf_counter", lambda: started + offset[0])
    monkeypatch.setattr(pipeline, "build_model", build)
    monkeypatch.setattr(pipeline, "solve_model", solve_model)
    solved = pipeline.solve(scenario, projects, time_limit=10.0, reserve=pipeline.ANALYSIS_RESERVE)
    assert limits == [pytest.approx((10.0 - 2.0 - 2.0) * (1 - pipeline.ANALYSIS_RESERVE))]
    assert solved.result.status == "optimal"


def test_a_relaxation_not_solved_in_its_time_still_leaves_a_plan(tmp_path, monkeypatch) -> None:
    # The LP relaxation is stopped by its time (HiGHS given no time at all): the greedy pass by the
    # placements' values gives a plan, completed with its supply use at once (its LP has the supply
    # columns alone), which the full MIP starts from; with no time left it would be the answer.
    scenario, projects = hard_knapsack(tmp_path, n=40, zones=2)
    model = build_model(scenario, projects)
    real_run, runs = solve.run_highs, []

    def run(highs):
        if not runs:  # the relaxation
            highs.setOptionValue("time_limit", 0.0)
        runs.append(highs)
        return real_run(highs)

    monkeypatch.setattr(solve, "run_highs", run)
    solution = solve.solve_model(model, replace(scenario.solver, time_limit=30.0))
    assert runs[0].getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    assert [highs.getNumCol() for highs in runs[1:]] == [model.n_variables - model.n_x, model.n_variables]
    assert solution.status == "optimal" and solution.chosen


def test_before_its_first_mip_the_relaxations_set_up_stands_for_the_mips(tmp_path, monkeypatch) -> None:
    # Each HiGHS run spends 0.4 s before its first callback (the clock stands still but for that). The LP
    # relaxation leaves 0.3 s of a 0.7 s limit: less than its own set-up, which stands for the restricted
    # MIP's before any ran, so no MIP is started; the greedy pass the relaxation guides gives the plan,
    # completed with its supply use, feasible with its gap.
    scenario, projects = hard_knapsack(tmp_path, n=40, zones=2)
    model = build_model(scenario, projects)
    offset, real_run = [0.0], highspy.Highs.run
    started = time.perf_counter()
    routes = []

    def run(highs: highspy.Highs):
        offset[0] += 0.4
        routes.append(_route())
        return real_run(highs)

    monkeypatch.setattr(time, "perf_counter", lambda: started + offset[0])
    monkeypatch.setattr(highspy.Highs, "run", run)
    solution = solve.solve_model(model, replace(scenario.solver, time_limit=0.7))
    assert [route[0] for route in routes] == ["_start_plan", "_completed_start"]
    assert solution.status == "feasible" and solution.chosen
    assert solution.gap == pytest.approx(relative_gap(solution.objective, solution.relaxation.objective))
