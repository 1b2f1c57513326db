"""Solver behaviour: honest status under a time limit, silence, reproducibility, both solvers agree."""

from __future__ import annotations

import threading

import highspy
import pytest

from quota_sim import solve
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from tests.instances import hard_knapsack, load_instance, project_row, scenario_dict


def test_time_limited_incumbent_is_feasible_with_its_gap(tmp_path, solver):
    scenario, projects = hard_knapsack(tmp_path)
    # Starting from the empty plan (feasible: nothing is locked in), every solver has an incumbent at
    # once, so the 0.2 s run must end as a feasible plan with its gap, never as optimal.
    result = solve_scenario(scenario, projects, time_limit=0.2, solver=solver, start={})
    assert result.status == "feasible"
    assert result.gap is not None and result.gap > scenario.solver.gap
    assert result.best_bound > result.objective
    # Under load a solver may still hold only the empty start (objective 0): its gap is then infinite.
    gap = (result.best_bound - result.objective) / result.objective if result.objective else float("inf")
    assert result.gap == pytest.approx(gap, rel=1e-3)


def test_highs_banner_is_silenced(tmp_path, capfd):
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), [project_row("P1")])
    solve_scenario(scenario, projects)
    assert "HiGHS" not in capfd.readouterr().out


def test_same_inputs_same_result(tmp_path):
    scenario, projects = hard_knapsack(tmp_path, n=60)
    first = solve_scenario(scenario, projects)
    second = solve_scenario(scenario, projects)
    assert [(r.status, r.zone, r.start_year) for r in first.allocation] == [
        (r.status, r.zone, r.start_year) for r in second.allocation
    ]
    assert first.objective == second.objective


def test_every_solver_reaches_the_same_optimum(tmp_path, solver):
    scenario, projects = hard_knapsack(tmp_path, n=30)
    result = solve_scenario(scenario, projects, solver=solver)
    reference = solve_scenario(scenario, projects, solver="highs")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(reference.objective, rel=1e-9)
    assert result.best_bound >= result.objective - 1e-6


def test_only_placements_that_can_be_nonzero_get_variables(tmp_path):
    scenario = scenario_dict(
        years=3,
        zones=[{"id": "a", "name": "A", "min_investment_intensity": 50}, {"id": "b", "name": "B"}],
        quotas={
            "land": {"demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": [5, 5, 5]}]}
        },
    )
    rows = [
        project_row("fits", zone="a|b", land_mu=4),  # 2 zones x 3 years
        project_row("late", zone="b", land_mu=4, earliest_year=2028),  # 1 zone x 1 year
        project_row("screened", zone="a|b", land_mu=4, investment=10),  # fails a: 1 zone x 3 years
        project_row("too_big_early", zone="b", land_mu=12),  # fits cumulative supply only from 2028
        project_row("out", zone="b", land_mu=1, lock="out"),  # none
        project_row("never", zone="b", land_mu=16),  # more than all supply: none
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario, rows)
    model = build_model(scenario, projects)
    per_project = {
        pid: sum(1 for (p, _z, _k, _t) in model.x if projects.ids[p] == pid) for pid in projects.ids
    }
    assert per_project == {"fits": 6, "late": 1, "screened": 3, "too_big_early": 1, "out": 0, "never": 0}
    result = solve_scenario(scenario, projects)
    reasons = {row.id: row.reason for row in result.allocation}
    assert reasons["never"] == "land"


def test_a_mip_start_is_never_lost(tmp_path):
    scenario, projects = hard_knapsack(tmp_path)
    good = solve_scenario(scenario, projects, time_limit=5)
    start = {row.id: (row.zone, None, row.start_year) for row in good.allocation if row.status == "approved"}
    rushed = solve_scenario(scenario, projects, time_limit=0.05, start=start)
    assert rushed.status in ("optimal", "feasible")
    assert rushed.objective >= good.objective - 1e-6


def test_large_model_keeps_its_start_plan_when_the_run_is_stopped(tmp_path, monkeypatch):
    # On very large models HiGHS can overrun its own time limit before it takes the start in; the run's
    # deadline then stops it. The greedy start plan, made ready before the MIP, is the feasible result.
    import quota_sim.solve as solve_module
    from quota_sim.interrupts import TimeUp

    scenario, projects = hard_knapsack(tmp_path, n=40)
    monkeypatch.setattr(solve_module, "GREEDY_START_BINARIES", 1)  # treat this model as a large one
    real_run = solve_module.run_highs

    def stopped_in_the_mip(highs):
        if len(highs.getLp().integrality_):
            raise TimeUp("deadline")
        real_run(highs)

    monkeypatch.setattr(solve_module, "run_highs", stopped_in_the_mip)
    result = solve_scenario(scenario, projects, time_limit=30)
    assert result.status == "feasible"
    assert "time limit" in result.message
    assert result.objective > 0 and result.best_bound >= result.objective
    assert result.gap == pytest.approx((result.best_bound - result.objective) / result.objective, rel=1e-6)


def test_large_model_is_not_waited_for_past_its_time_limit(tmp_path, monkeypatch):
    # HiGHS's presolve does not check its clock: on a very large model the MIP may run on well past its
    # limit. With the start plan ready, the solve does not wait for it: the plan is the feasible result.
    import time
    from dataclasses import replace

    import quota_sim.solve as solve_module
    from quota_sim.solve import solve_model

    scenario, projects = hard_knapsack(tmp_path, n=40)
    monkeypatch.setattr(solve_module, "GREEDY_START_BINARIES", 1)  # treat this model as a large one
    real_run = solve_module.run_highs

    def deaf_to_the_clock(highs):
        if len(highs.getLp().integrality_):
            time.sleep(60)  # a presolve that never looks at the time limit
        real_run(highs)

    monkeypatch.setattr(solve_module, "run_highs", deaf_to_the_clock)
    model = build_model(scenario, projects)
    solution = solve_model(model, replace(scenario.solver, time_limit=2.0))
    assert solution.status == "feasible"
    assert "time limit" in solution.message
    assert solution.chosen and solution.best_bound >= solution.objective > 0


def test_large_model_skips_a_mip_search_it_has_no_time_for(tmp_path, monkeypatch):
    # The MIP must presolve and solve its root LP again before it can improve the start plan: when less
    # time is left than finding the start took, the start plan is the result and the MIP is not run.
    import time
    from dataclasses import replace

    import quota_sim.solve as solve_module
    from quota_sim.solve import solve_model

    scenario, projects = hard_knapsack(tmp_path, n=40)
    monkeypatch.setattr(solve_module, "GREEDY_START_BINARIES", 1)  # treat this model as a large one
    real_plan, real_run = solve_module._start_plan, solve_module.run_highs
    integer_runs = []

    def slow_plan(*args, **kwargs):
        found = real_plan(*args, **kwargs)
        time.sleep(1.0)  # a relaxation that took most of the time limit
        return found

    def counted(highs):
        integer_runs.append(len(highs.getLp().integrality_) > 0)
        real_run(highs)

    monkeypatch.setattr(solve_module, "_start_plan", slow_plan)
    monkeypatch.setattr(solve_module, "run_highs", counted)
    model = build_model(scenario, projects)
    solution = solve_model(model, replace(scenario.solver, time_limit=1.5))
    assert solution.status == "feasible" and "without a MIP search" in solution.message
    assert not any(integer_runs)
    assert solution.chosen and solution.best_bound >= solution.objective > 0


def test_a_model_of_one_placement_per_project_is_left_to_highs_alone(tmp_path, monkeypatch):
    # One zone, one year: a multidimensional knapsack. HiGHS runs as it would on the model alone: no
    # start, no restricted MIP, the model and settings of raw HiGHS (the same search); the relaxation is
    # still kept for the LP duals. With two alike zones (two placements each) the start plan's route
    # runs, to the same optimum.
    runs, starts = [], []
    real_run, real_start = solve.run_highs, highspy.Highs.setSolution
    this = threading.get_ident()  # not another test's solve still running in this process

    def run(highs):
        real_run(highs)
        if threading.get_ident() == this:
            runs.append(highs)

    def start(highs, *args):
        if threading.get_ident() == this:
            starts.append(args)
        return real_start(highs, *args)

    monkeypatch.setattr(solve, "run_highs", run)
    monkeypatch.setattr(highspy.Highs, "setSolution", start)
    scenario, projects = hard_knapsack(tmp_path / "one", n=12)
    model = build_model(scenario, projects)
    alone = solve.solve_model(model, scenario.solver)
    assert not starts and len(runs) == 2  # the relaxation, then the MIP
    assert alone.status == "optimal" and alone.relaxation is not None
    mip = runs[-1]
    assert mip.getLp().num_col_ == model.n_variables and mip.getLp().num_row_ == model.n_rows
    default = highspy.Highs()
    for option, value in (("threads", 1), ("random_seed", scenario.solver.seed), ("mip_rel_gap", 0.0),
                          ("mip_heuristic_effort", default.getOptionValue("mip_heuristic_effort")[1])):
        assert mip.getOptionValue(option)[1] == value
    runs.clear()
    scenario, projects = hard_knapsack(tmp_path / "two", n=12, zones=2)
    assert build_model(scenario, projects).n_x == 2 * model.n_x
    moved = solve_scenario(scenario, projects)
    assert len(runs) > 2 and moved.status == "optimal" and moved.objective == pytest.approx(alone.objective)
