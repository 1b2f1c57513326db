"""One test per rule of SPEC §2: each instance's optimum changes if the rule is dropped.

Every solve is also written out and checked by the independent validator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quota_sim.export import write_outputs
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.results import AllocationRow, Result
from quota_sim.verify import verify_outputs
from tests.instances import load_instance, project_row, scenario_dict

_SOLVER = {"name": "highs"}


@pytest.fixture(autouse=True)
def _every_solver(solver: str) -> None:
    """Each rule test runs once per installed solver (``tests/conftest.py``)."""
    _SOLVER["name"] = solver


def _solve(tmp_path: Path, scenario: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[Result, dict]:
    """Solve, check the written outputs, and return the result and its allocation rows by project id."""
    loaded, projects, _ = load_instance(tmp_path / "input", scenario, rows)
    result = solve_scenario(loaded, projects, solver=_SOLVER["name"])
    assert result.status == "optimal"
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(loaded, projects, tmp_path / "out") == []
    return result, {row.id: row for row in result.allocation}


def _land(amounts: Any, carry_over: bool = True, **extra_sources: Any) -> dict[str, dict[str, Any]]:
    """A land quota with a free city source ``plan`` (plus any further sources given by id)."""
    sources = [{"id": "plan", "scope": "city", "amounts": amounts}]
    sources += [{"id": sid, **source} for sid, source in extra_sources.items()]
    return {"land": {"unit": "mu", "demand": "land_mu", "carry_over": carry_over, "sources": sources}}


def _approved(allocation: dict[str, AllocationRow]) -> dict[str, tuple[str, int]]:
    return {pid: (row.zone, row.start_year) for pid, row in allocation.items() if row.status == "approved"}


# --- screens ------------------------------------------------------------------------------------------


def test_investment_intensity_screen_alone(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A", "min_investment_intensity": 200}]
    rows = [
        project_row("fits", land_mu=30, investment=6000, output=100),  # exactly 200 万元/mu passes
        project_row("low", land_mu=10, investment=1500, tax=500, output=300),  # high tax does not help
    ]
    result, allocation = _solve(tmp_path, scenario_dict(zones=zones), rows)
    assert result.objective == pytest.approx(100)
    assert allocation["fits"].status == "approved"
    assert allocation["low"].status == "ineligible"
    assert "investment" in allocation["low"].reason


def test_tax_per_mu_screen_alone(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A", "min_tax_per_mu": 15}]
    rows = [
        project_row("taxed", land_mu=10, investment=500, tax=150, output=100),
        project_row("rich", land_mu=10, investment=9000, tax=100, output=300),  # 10 万元/mu/yr < 15
    ]
    result, allocation = _solve(tmp_path, scenario_dict(zones=zones), rows)
    assert result.objective == pytest.approx(100)
    assert allocation["rich"].status == "ineligible"
    assert "tax" in allocation["rich"].reason


def test_both_screens_pass_either_or(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A", "min_investment_intensity": 200, "min_tax_per_mu": 15}]
    rows = [
        project_row("invests", land_mu=10, investment=2500, tax=0, output=100),
        project_row("pays_tax", land_mu=10, investment=500, tax=200, output=50),
        project_row("neither", land_mu=10, investment=1000, tax=100, output=400),
    ]
    result, allocation = _solve(tmp_path, scenario_dict(zones=zones), rows)
    assert result.objective == pytest.approx(150)
    assert _approved(allocation) == {"invests": ("a", 2026), "pays_tax": ("a", 2026)}
    assert allocation["neither"].status == "ineligible"
    assert allocation["neither"].reason


def test_screens_apply_per_zone(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A", "min_investment_intensity": 200}, {"id": "b", "name": "B"}]
    rows = [project_row("p", zone="a|b", land_mu=10, investment=1000, output=100)]
    result, allocation = _solve(tmp_path, scenario_dict(zones=zones), rows)
    assert result.objective == pytest.approx(100)
    assert _approved(allocation) == {"p": ("b", 2026)}


# --- placement rules ---------------------------------------------------------------------------------


def test_earliest_year(tmp_path: Path) -> None:
    scenario = scenario_dict(years=3, objective={"discount_rate": 0.25})
    rows = [
        project_row("late", output=100, earliest_year=2027),
        project_row("queued_long_ago", output=100, earliest_year=2020),
        project_row("after_horizon", output=100, earliest_year=2030),
    ]
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(0.8 * 100 + 100)
    assert _approved(allocation) == {"late": ("a", 2027), "queued_long_ago": ("a", 2026)}
    assert allocation["after_horizon"].status == "not_selected"


def test_lock_in_forces_an_unattractive_project(tmp_path: Path) -> None:
    rows = [
        project_row("good", land_mu=10, output=100),
        project_row("forced", land_mu=10, output=10, lock="in"),
    ]
    result, allocation = _solve(tmp_path, scenario_dict(quotas=_land(10)), rows)
    assert result.objective == pytest.approx(10)
    assert _approved(allocation) == {"forced": ("a", 2026)}
    assert allocation["good"].status == "not_selected"
    assert allocation["good"].reason == "land"


def test_lock_out_is_never_approved(tmp_path: Path) -> None:
    rows = [project_row("barred", output=500, lock="out"), project_row("other", output=20)]
    result, allocation = _solve(tmp_path, scenario_dict(), rows)
    assert result.objective == pytest.approx(20)
    assert allocation["barred"].status == "locked_out"
    assert allocation["barred"].value == 0


def test_locks_that_cannot_all_be_met_are_infeasible(tmp_path: Path) -> None:
    rows = [project_row("one", land_mu=60, lock="in"), project_row("two", land_mu=60, lock="in")]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas=_land(100)), rows)
    assert solve_scenario(scenario, projects, solver=_SOLVER["name"]).status == "infeasible"


def test_each_project_at_most_once(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    rows = [project_row("p", zone="a|b", output=100)]
    objective = {"discount_rate": 0.25, "relocation_penalty": 0.1}
    scenario = scenario_dict(years=3, zones=zones, quotas=_land(1000), objective=objective)
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(100)  # not 100 + 80 + 64 + 90 + 72 + 57.6
    assert _approved(allocation) == {"p": ("a", 2026)}


# --- supply rules ------------------------------------------------------------------------------------


def test_zone_sources_serve_only_their_zone(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quotas = _land(10, stock={"scope": "zone", "amounts": {"a": 20}})
    rows = [
        project_row("big_b", zone="b", land_mu=20, output=100),
        project_row("small_b", zone="b", land_mu=10, output=50),
        project_row("in_a", zone="a", land_mu=20, output=30),
    ]
    result, allocation = _solve(tmp_path, scenario_dict(zones=zones, quotas=quotas), rows)
    assert result.objective == pytest.approx(80)  # 150 if a's stock could serve b
    assert _approved(allocation) == {"small_b": ("b", 2026), "in_a": ("a", 2026)}
    use = {(row.source, row.zone): row.used for row in result.quota_use}
    assert use == pytest.approx({("plan", ""): 10, ("stock", "a"): 20, ("stock", "b"): 0})


@pytest.mark.parametrize(("carry_over", "objective"), [(True, 100), (False, 0)])
def test_carry_over(tmp_path: Path, carry_over: bool, objective: float) -> None:
    rows = [project_row("late", land_mu=10, output=100, earliest_year=2027)]
    result, allocation = _solve(tmp_path, scenario_dict(years=2, quotas=_land([5, 5], carry_over)), rows)
    assert result.objective == pytest.approx(objective)
    assert allocation["late"].status == ("approved" if carry_over else "not_selected")


def test_carry_over_never_borrows_from_later_years(tmp_path: Path) -> None:
    scenario = scenario_dict(years=2, quotas=_land([0, 10]), objective={"discount_rate": 0.25})
    result, allocation = _solve(tmp_path, scenario, [project_row("p", land_mu=10, output=100)])
    assert result.objective == pytest.approx(80)
    assert _approved(allocation) == {"p": ("a", 2027)}


def test_replacement_ratio(tmp_path: Path) -> None:
    quotas = {
        "nox": {
            "unit": "t",
            "demand": "nox_t",
            "ratio": 2.0,
            "sources": [{"id": "r", "scope": "city", "amounts": 10}],
        }
    }
    rows = [project_row("first", output=100, nox_t=4), project_row("second", output=90, nox_t=4)]
    result, allocation = _solve(tmp_path, scenario_dict(quotas=quotas), rows)
    assert result.objective == pytest.approx(100)  # both fit (8 t) at ratio 1
    assert allocation["first"].charged == pytest.approx({"nox": 8})
    assert allocation["second"].charged == pytest.approx({"nox": 0})


def _priced_land() -> dict[str, dict[str, Any]]:
    return _land(10, linkage={"scope": "city", "amounts": 10, "price": 5})


PRICE_ROWS = [
    project_row("free_rider", land_mu=10, output=100),
    project_row("not_worth", land_mu=10, output=40),  # 10 mu bought cost 50 > 40
    project_row("worth", land_mu=10, output=70),
]


def test_a_priced_source_is_used_only_when_worth_it(tmp_path: Path) -> None:
    result, allocation = _solve(tmp_path, scenario_dict(quotas=_priced_land()), PRICE_ROWS)
    assert result.objective == pytest.approx(100 + 70 - 50)
    assert set(_approved(allocation)) == {"free_rider", "worth"}
    assert sum(row.cost for row in result.quota_use) == pytest.approx(50)


def test_purchase_budget(tmp_path: Path) -> None:
    scenario = scenario_dict(quotas=_priced_land(), objective={"purchase_budget": 40})
    result, allocation = _solve(tmp_path, scenario, PRICE_ROWS)
    assert result.objective == pytest.approx(100)
    assert set(_approved(allocation)) == {"free_rider"}


# --- value rules -------------------------------------------------------------------------------------


def test_relocation_penalty(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [{"id": "stock", "scope": "zone", "amounts": {"a": 10, "b": 10}}],
        }
    }
    rows = [
        project_row("moved", zone="a|b", output=100),
        project_row("home", zone="a", output=90),
    ]
    scenario = scenario_dict(zones=zones, quotas=quotas, objective={"relocation_penalty": 0.3})
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(70 + 90)
    assert _approved(allocation) == {"moved": ("b", 2026), "home": ("a", 2026)}
    assert allocation["moved"].value == pytest.approx(70)


def test_relocation_penalty_can_decide_who_moves(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [{"id": "stock", "scope": "zone", "amounts": {"a": 10, "b": 10}}],
        }
    }
    rows = [project_row("big", zone="a|b", output=100), project_row("small", zone="a|b", output=60)]
    scenario = scenario_dict(zones=zones, quotas=quotas, objective={"relocation_penalty": 0.5})
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(100 + 30)  # the small project moves, not the big one
    assert _approved(allocation) == {"big": ("a", 2026), "small": ("b", 2026)}


def test_ramp(tmp_path: Path) -> None:
    # Three appraisal years, no discounting: ramp 2 gives 1/3 + 2/3 + 1 = 2 years of full output.
    scenario = scenario_dict(quotas=_land(10), objective={"appraisal_years": 3})
    rows = [project_row("slow", output=120, ramp_years=2), project_row("quick", output=90)]
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(270)  # slow would be worth 360 without its ramp
    assert _approved(allocation) == {"quick": ("a", 2026)}


def test_ramp_value(tmp_path: Path) -> None:
    scenario = scenario_dict(objective={"appraisal_years": 3})
    _result, allocation = _solve(tmp_path, scenario, [project_row("slow", output=120, ramp_years=2)])
    assert allocation["slow"].value == pytest.approx(240)


def test_discounting_by_start_year(tmp_path: Path) -> None:
    # delta = 0.8; one 10 mu slot a year: the better project goes first.
    scenario = scenario_dict(years=2, quotas=_land(10, carry_over=False), objective={"discount_rate": 0.25})
    rows = [project_row("second", output=50), project_row("first", output=100)]
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(100 + 0.8 * 50)
    assert _approved(allocation) == {"first": ("a", 2026), "second": ("a", 2027)}
    assert allocation["second"].value == pytest.approx(40)


def test_appraisal_years(tmp_path: Path) -> None:
    scenario = scenario_dict(objective={"appraisal_years": 3, "discount_rate": 0.25})
    result, _ = _solve(tmp_path, scenario, [project_row("p", output=100)])
    assert result.objective == pytest.approx(100 * (1 + 0.8 + 0.64))


def test_strategic_bonus(tmp_path: Path) -> None:
    scenario = scenario_dict(quotas=_land(10), objective={"strategic_bonus": 0.5})
    rows = [project_row("plain", output=100), project_row("strategic", output=80, strategic="是")]
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(120)
    assert _approved(allocation) == {"strategic": ("a", 2026)}


def test_objective_weights(tmp_path: Path) -> None:
    # Two appraisal years, no discounting: value = 0.01 * investment + 2 * (2 * tax + 0.5 * jobs).
    weights = {"output": 0.0, "tax": 2.0, "investment": 0.01, "jobs": 0.5}
    scenario = scenario_dict(quotas=_land(10), objective={"weights": weights, "appraisal_years": 2})
    rows = [
        project_row("taxpayer", investment=1000, output=0, tax=30, jobs=10),  # 10 + 2 * 65 = 140
        project_row("big_output", investment=500, output=1000, tax=10, jobs=20),  # 5 + 2 * 30 = 65
    ]
    result, allocation = _solve(tmp_path, scenario, rows)
    assert result.objective == pytest.approx(140)
    assert _approved(allocation) == {"taxpayer": ("a", 2026)}


# --- model size --------------------------------------------------------------------------------------


def test_only_variables_that_can_be_non_zero(tmp_path: Path) -> None:
    zones = [{"id": "a", "name": "A", "min_tax_per_mu": 10}, {"id": "b", "name": "B"}]
    quotas = _land([20, 20], stock={"scope": "zone", "amounts": {"a": 5}})
    rows = [
        project_row("anywhere", zone="a|b", land_mu=10, tax=100),
        project_row("ineligible", zone="a", land_mu=10, tax=50),
        project_row("barred", zone="b", lock="out"),
        project_row("late", zone="a", land_mu=10, tax=100, earliest_year=2027),
        project_row("too_big", zone="b", land_mu=100),
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(years=2, zones=zones, quotas=quotas), rows)
    model = build_model(scenario, projects)
    assert set(model.x) == {
        (0, "a", None, 0),
        (0, "a", None, 1),
        (0, "b", None, 0),
        (0, "b", None, 1),
        (3, "a", None, 1),
    }
    # Use of zone b's stock (no supply) is never created; every use serves a zone-year with a project.
    placed = {(z, t) for _p, z, _k, t in model.x}
    assert all((z, t) in placed and not (s == "stock" and z == "b") for _q, s, z, t in model.use)
    assert model.n_variables == len(model.x) + len(model.use)
