"""Compile tests: the rows and bounds of a tiny built model, checked one by one without a solver.

Two zones (a, b), two years. Land: a city plan source (10 mu a year, carried over) and a priced zone
source in a (5 mu in the first year, 2 万元/mu). NOx: ratio 2, a city source of 3 t a year, not carried
over. P1 (4 mu, 1 t NOx, zones a|b) is locked in; P2 (6 mu, 0.5 t, zone b only) may start from 2027.
"""

from __future__ import annotations

from pathlib import Path

import highspy
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


class _Row:
    """One row of a built model: its bounds and its coefficients by column name."""

    def __init__(self, model: QuotaModel, r: int) -> None:
        names = model.column_names()
        span = range(int(model.row_start[r]), int(model.row_start[r + 1]))
        self.lower, self.upper = float(model.row_lower[r]), float(model.row_upper[r])
        self.terms = {names[model.row_index[e]]: float(model.row_value[e]) for e in span}

    @property
    def equality(self) -> bool:
        return self.lower == self.upper

    @property
    def at_most(self) -> bool:
        return self.lower == -highspy.kHighsInf


def _rows(model: QuotaModel) -> dict[str, _Row]:
    return {name: _Row(model, r) for r, name in enumerate(model.row_names)}


def _columns(model: QuotaModel, keys: dict) -> list[str]:
    names = model.column_names()
    return [names[j] for j in keys.values()]


def test_variables_exist_only_where_they_can_be_non_zero(model: QuotaModel) -> None:
    # P1: zones a (0) and b (1), years 0 and 1; P2: zone b only, from 2027 (year 1).
    names = sorted(_columns(model, model.x))
    assert names == ["x_0_0_0", "x_0_0_1", "x_0_1_0", "x_0_1_1", "x_1_1_1"]
    lp = model.highs_lp()
    binary = [lp.integrality_[j] == highspy.HighsVarType.kInteger for j in range(model.n_variables)]
    assert all(binary[j] and model.upper[j] == 1 for j in model.x.values())
    assert list(lp.col_lower_) == [0.0] * model.n_variables
    # use: the plan serves both zones; the stock only zone a, and only by a year with stock (both years,
    # cumulatively); NOx in every (zone, year) a project may start.
    assert sorted(_columns(model, model.use)) == [
        "use_0_0_0_0", "use_0_0_0_1", "use_0_0_1_0", "use_0_0_1_1", "use_0_1_0_0", "use_0_1_0_1",
        "use_1_0_0_0", "use_1_0_0_1", "use_1_0_1_0", "use_1_0_1_1",
    ]
    assert all(not binary[j] and model.upper[j] == highspy.kHighsInf for j in model.use.values())


def test_once_rows(model: QuotaModel) -> None:
    rows = _rows(model)
    once = rows["once_0"]  # P1 is locked in: exactly once
    assert once.equality and once.upper == 1
    assert once.terms == {"x_0_0_0": 1, "x_0_0_1": 1, "x_0_1_0": 1, "x_0_1_1": 1}
    assert "once_1" not in rows  # P2 has one placement: its binary is already at most 1


def test_balance_rows_charge_ratio_times_demand(model: QuotaModel) -> None:
    rows = _rows(model)
    land_b1 = rows["balance_0_1_1"]  # land, zone b, year 1: P1 and P2 may start there
    assert land_b1.equality and land_b1.upper == 0
    assert land_b1.terms == {"x_0_1_1": 4, "x_1_1_1": 6, "use_0_0_1_1": -1}
    land_a0 = rows["balance_0_0_0"]  # zone a also draws on its stock
    assert land_a0.terms == {"x_0_0_0": 4, "use_0_0_0_0": -1, "use_0_1_0_0": -1}
    nox_b1 = rows["balance_1_1_1"]  # ratio 2: P1 charges 2 t, P2 1 t
    assert nox_b1.terms == {"x_0_1_1": 2, "x_1_1_1": 1, "use_1_0_1_1": -1}


def test_supply_rows_cumulative_with_carry_over_and_yearly_without(model: QuotaModel) -> None:
    rows = _rows(model)
    plan_1 = rows["supply_0_0_city_1"]  # carried over: years 0 and 1 against 10 + 10
    assert plan_1.at_most and plan_1.upper == 20
    assert plan_1.terms == dict.fromkeys(("use_0_0_0_0", "use_0_0_1_0", "use_0_0_0_1", "use_0_0_1_1"), 1)
    stock_1 = rows["supply_0_1_a_1"]  # the zone source of a, keyed by the zone's id, cumulative 5 + 0
    assert stock_1.upper == 5 and stock_1.terms == {"use_0_1_0_0": 1, "use_0_1_0_1": 1}
    nox_1 = rows["supply_1_0_city_1"]  # not carried over: year 1 alone against 3
    assert nox_1.upper == 3 and nox_1.terms == {"use_1_0_0_1": 1, "use_1_0_1_1": 1}
    assert "supply_0_1_b_0" not in rows  # zone b has no stock


def test_budget_row_and_objective(model: QuotaModel) -> None:
    budget = _rows(model)["budget"]
    assert budget.at_most and budget.upper == 100
    assert budget.terms == {"use_0_1_0_0": 2, "use_0_1_0_1": 2}
    objective = {name: c for name, c in zip(model.column_names(), model.cost.tolist(), strict=True) if c}
    # One appraisal year, no discounting: the value is the output; the stock costs 2 万元/mu.
    assert objective == {
        "x_0_0_0": 50, "x_0_0_1": 50, "x_0_1_0": 50, "x_0_1_1": 50, "x_1_1_1": 30,
        "use_0_1_0_0": -2, "use_0_1_0_1": -2,
    }
    assert model.highs_lp().sense_ == highspy.ObjSense.kMaximize
