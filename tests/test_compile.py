"""Compile tests: the rows and bounds of a tiny built model, checked one by one without a solver.

Two zones (a, b), two years. Land: a city plan source (10 mu a year, carried over) and a priced zone
source in a (5 mu in the first year, 2 万元/mu). NOx: ratio 2, a city source of 3 t a year, not carried
over. P1 (4 mu, 1 t NOx, zones a|b) is locked in; P2 (6 mu, 0.5 t, zone b only) may start from 2027.
"""

from __future__ import annotations

from pathlib import Path

import pulp
import pytest

from quota_sim.model import QuotaModel, build_model
from tests.instances import load_instance, project_row, scenario_dict


@pytest.fixture
def model(tmp_path: Path) -> QuotaModel:
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [
                {"id": "plan", "scope": "city", "amounts": [10, 10]},
                {"id": "stock", "scope": "zone", "amounts": {"a": [5, 0]}, "price": 2},
            ],
        },
        "nox": {
            "unit": "t",
            "demand": "nox_t",
            "ratio": 2,
            "carry_over": False,
            "sources": [{"id": "cut", "scope": "city", "amounts": [3, 3]}],
        },
    }
    scenario = scenario_dict(
        years=2,
        zones=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
        quotas=quotas,
        objective={"purchase_budget": 100},
    )
    rows = [
        project_row("P1", zone="a|b", land_mu=4, nox_t=1, output=50, lock="in"),
        project_row("P2", zone="b", land_mu=6, nox_t=0.5, output=30, earliest_year=2027),
    ]
    loaded, projects, _ = load_instance(tmp_path, scenario, rows)
    return build_model(loaded, projects)


def _rows(model: QuotaModel) -> dict[str, pulp.LpConstraint]:
    return {row.name: row for row in model.problem.constraints()}


def _terms(row: pulp.LpConstraint) -> dict[str, float]:
    return {var.name: coef for var, coef in row.items()}


def test_variables_exist_only_where_they_can_be_non_zero(model: QuotaModel) -> None:
    # P1: zones a (0) and b (1), years 0 and 1; P2: zone b only, from 2027 (year 1).
    names = sorted(var.name for var in model.x.values())
    assert names == ["x_0_0_0", "x_0_0_1", "x_0_1_0", "x_0_1_1", "x_1_1_1"]
    assert all(v.cat == pulp.LpInteger and (v.lowBound, v.upBound) == (0, 1) for v in model.x.values())
    # use: the plan serves both zones; the stock only zone a, and only by a year with stock (both years,
    # cumulatively); NOx in every (zone, year) a project may start.
    assert sorted(var.name for var in model.use.values()) == [
        "use_0_0_0_0", "use_0_0_0_1", "use_0_0_1_0", "use_0_0_1_1", "use_0_1_0_0", "use_0_1_0_1",
        "use_1_0_0_0", "use_1_0_0_1", "use_1_0_1_0", "use_1_0_1_1",
    ]
    assert all(var.lowBound == 0 and var.upBound is None for var in model.use.values())


def test_once_rows(model: QuotaModel) -> None:
    rows = _rows(model)
    once = rows["once_0"]  # P1 is locked in: exactly once
    assert once.sense == pulp.LpConstraintEQ and once.getLb() == once.getUb() == 1
    assert _terms(once) == {"x_0_0_0": 1, "x_0_0_1": 1, "x_0_1_0": 1, "x_0_1_1": 1}
    assert "once_1" not in rows  # P2 has one placement: its binary is already at most 1


def test_balance_rows_charge_ratio_times_demand(model: QuotaModel) -> None:
    rows = _rows(model)
    land_b1 = rows["balance_0_1_1"]  # land, zone b, year 1: P1 and P2 may start there
    assert land_b1.sense == pulp.LpConstraintEQ and land_b1.getUb() == 0
    assert _terms(land_b1) == {"x_0_1_1": 4, "x_1_1_1": 6, "use_0_0_1_1": -1}
    land_a0 = rows["balance_0_0_0"]  # zone a also draws on its stock
    assert _terms(land_a0) == {"x_0_0_0": 4, "use_0_0_0_0": -1, "use_0_1_0_0": -1}
    nox_b1 = rows["balance_1_1_1"]  # ratio 2: P1 charges 2 t, P2 1 t
    assert _terms(nox_b1) == {"x_0_1_1": 2, "x_1_1_1": 1, "use_1_0_1_1": -1}


def test_supply_rows_cumulative_with_carry_over_and_yearly_without(model: QuotaModel) -> None:
    rows = _rows(model)
    plan_1 = rows["supply_0_0_city_1"]  # carried over: years 0 and 1 against 10 + 10
    assert plan_1.sense == pulp.LpConstraintLE and plan_1.getUb() == 20
    assert _terms(plan_1) == dict.fromkeys(("use_0_0_0_0", "use_0_0_1_0", "use_0_0_0_1", "use_0_0_1_1"), 1)
    stock_1 = rows["supply_0_1_a_1"]  # the zone source of a, keyed by the zone's id, cumulative 5 + 0
    assert stock_1.getUb() == 5 and _terms(stock_1) == {"use_0_1_0_0": 1, "use_0_1_0_1": 1}
    nox_1 = rows["supply_1_0_city_1"]  # not carried over: year 1 alone against 3
    assert nox_1.getUb() == 3 and _terms(nox_1) == {"use_1_0_0_1": 1, "use_1_0_1_1": 1}
    assert "supply_0_1_b_0" not in rows  # zone b has no stock


def test_budget_row_and_objective(model: QuotaModel) -> None:
    budget = _rows(model)["budget"]
    assert budget.sense == pulp.LpConstraintLE and budget.getUb() == 100
    assert _terms(budget) == {"use_0_1_0_0": 2, "use_0_1_0_1": 2}
    objective = {var.name: coef for var, coef in model.problem.objective.items()}
    # One appraisal year, no discounting: the value is the output; the stock costs 2 万元/mu.
    assert objective == {
        "x_0_0_0": 50, "x_0_0_1": 50, "x_0_1_0": 50, "x_0_1_1": 50, "x_1_1_1": 30,
        "use_0_1_0_0": -2, "use_0_1_0_1": -2,
    }
    assert model.problem.sense == pulp.LpMaximize
