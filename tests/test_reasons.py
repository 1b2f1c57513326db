"""Why a project was not selected: the blocking quotas, the budget, or `value`."""

from __future__ import annotations

from dataclasses import replace

from quota_sim import results
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.projects import projects_for
from quota_sim.scenario import baseline_path, load_scenario
from quota_sim.solve import solve_model
from tests.instances import load_instance, project_row, scenario_dict


def _reasons(tmp_path, scenario, rows):
    scenario, projects, _ = load_instance(tmp_path, scenario, rows)
    result = solve_scenario(scenario, projects)
    assert result.status == "optimal"
    return {row.id: (row.status, row.reason) for row in result.allocation}


def test_a_binding_quota_is_named_and_a_displaced_project_says_value(tmp_path):
    scenario = scenario_dict(
        quotas={
            "land": {"demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 100}]},
            "nox": {
                "demand": "nox_t",
                "ratio": 2.0,
                "sources": [{"id": "alloc", "scope": "city", "amounts": 10}],
            },
        }
    )
    rows = [
        project_row("big", land_mu=70, output=500, nox_t=2),
        project_row("dirty", land_mu=10, output=400, nox_t=4),  # 8 t charged: only 6 t left
        project_row("small", land_mu=20, output=30, nox_t=0),  # fits in the 30 mu left
        project_row("wide", land_mu=40, output=60, nox_t=0),  # 40 mu > 30 mu left
    ]
    reasons = _reasons(tmp_path, scenario, rows)
    assert reasons["big"] == ("approved", "")
    assert reasons["dirty"] == ("not_selected", "nox")
    assert reasons["small"] == ("approved", "")
    assert reasons["wide"] == ("not_selected", "land")


def test_the_purchase_budget_is_named_when_it_blocks(tmp_path):
    scenario = scenario_dict(
        quotas={
            "land": {
                "demand": "land_mu",
                "sources": [{"id": "linkage", "scope": "city", "amounts": 100, "price": 1}],
            }
        },
        objective={"purchase_budget": 50},
    )
    rows = [project_row("first", land_mu=40, output=100), project_row("second", land_mu=30, output=50)]
    reasons = _reasons(tmp_path, scenario, rows)
    assert reasons["first"] == ("approved", "")
    assert reasons["second"] == ("not_selected", "budget")


def test_zone_stock_does_not_count_as_room_in_another_zone(tmp_path):
    scenario = scenario_dict(
        zones=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
        quotas={
            "land": {"demand": "land_mu", "sources": [{"id": "stock", "scope": "zone", "amounts": {"a": 50}}]}
        },
    )
    rows = [project_row("in_a", zone="a", land_mu=20), project_row("in_b", zone="b", land_mu=20)]
    reasons = _reasons(tmp_path, scenario, rows)
    assert reasons == {"in_a": ("approved", ""), "in_b": ("not_selected", "land")}


def test_reasons_worked_out_together_are_each_projects_own(monkeypatch):
    # The reasons of the waiting projects are worked out on arrays, WAITING_CHUNK projects at a time: one
    # at a time, every project of the baseline (quotas, budget, sites full or not ready) gets the same one.
    scenario = load_scenario(baseline_path())
    model = build_model(scenario, projects_for(scenario))
    solution = solve_model(model, replace(scenario.solver, time_limit=30.0))
    together = results.assign_results(model, solution, scenario.solver, {})
    monkeypatch.setattr(results, "WAITING_CHUNK", 1)
    alone = results.assign_results(model, solution, scenario.solver, {})
    reasons = [row.reason for row in together.allocation if row.status == "not_selected"]
    assert reasons == [row.reason for row in alone.allocation if row.status == "not_selected"]
    assert len(set(reasons)) >= 4
