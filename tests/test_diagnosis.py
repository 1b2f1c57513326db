"""Diagnosis: pre-solve findings, and the smallest overruns of an infeasible instance known by hand."""

from __future__ import annotations

import json

import pytest

from quota_sim.analysis import check_scenario, diagnose
from quota_sim.cli import main
from tests.instances import load_instance, project_row, scenario_dict

ZONES = [{"id": "a", "name": "田营科技园"}, {"id": "b", "name": "Zone B", "min_tax_per_mu": 50}]


def _quotas(land: float = 100, nox_in_a: float = 5) -> dict:
    return {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [{"id": "plan", "scope": "city", "amounts": land}],
        },
        "nox": {
            "unit": "t",
            "demand": "nox_t",
            "ratio": 2.0,
            "sources": [{"id": "cut", "scope": "zone", "amounts": {"a": nox_in_a}}],
        },
        "energy": {
            "unit": "tce",
            "demand": "energy_tce",
            "sources": [{"id": "prov", "scope": "city", "amounts": 1000}],
        },
    }


def _locked_rows() -> list[dict]:
    # Locked in: 130 mu of land against 100; 2 * (2 + 1.75) = 7.5 t of NOx against 5 in zone a.
    return [
        project_row("p1", land_mu=80, nox_t=2, energy_tce=100, lock="in"),
        project_row("p2", land_mu=50, nox_t=1.75, energy_tce=100, lock="in"),
        project_row("p3", land_mu=10, nox_t=0, energy_tce=10),
    ]


def test_smallest_overruns_of_a_hand_built_infeasible_instance(tmp_path) -> None:
    scenario, projects, _ = load_instance(
        tmp_path, scenario_dict(zones=ZONES, quotas=_quotas()), _locked_rows()
    )
    report = diagnose(scenario, projects)
    assert report["status"] == "optimal"
    assert [(e["quota"], e["zone"], e["year"]) for e in report["overruns"]] == [
        ("land", "", 2026),
        ("nox", "a", 2026),
    ]
    assert report["overruns"][0]["overrun"] == pytest.approx(30.0)
    assert report["overruns"][1]["overrun"] == pytest.approx(2.5)
    assert report["overruns"][1]["sources"] == {"cut": pytest.approx(2.5)}
    assert report["budget_overrun"] == 0.0 and report["unplaceable_locks"] == []
    assert (
        "30 mu" in report["message_en"]
        and "2.5 t" in report["message_en"]
        and "p1, p2" in report["message_en"]
    )
    assert "全市" in report["message_zh"] and "田营科技园" in report["message_zh"]


def test_overruns_spread_over_years_without_carry_over(tmp_path) -> None:
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "carry_over": False,
                       "sources": [{"id": "plan", "scope": "city", "amounts": [50, 20]}]}}
    rows = [
        project_row("p1", land_mu=60, lock="in", earliest_year=2026),
        project_row("p2", land_mu=45, lock="in", earliest_year=2027),
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(years=2, quotas=quotas), rows)
    report = diagnose(scenario, projects)
    # p2 can only start in 2027 (20 mu: short 25); p1 fits best in 2026 (50 mu: short 10).
    got = {(e["year"], e["zone"]): e["overrun"] for e in report["overruns"]}
    assert got == {(2026, ""): pytest.approx(10.0), (2027, ""): pytest.approx(25.0)}


def test_unplaceable_lock_is_named(tmp_path) -> None:
    rows = [project_row("p1", land_mu=10, zone="b", lock="in", tax=0, nox_t=0, energy_tce=0)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=ZONES, quotas=_quotas()), rows)
    report = diagnose(scenario, projects)
    assert report["overruns"] == []
    assert report["unplaceable_locks"] == [{"id": "p1", "row": 2, "reason": "b: tax 0.0<50 万元/mu/yr"}]
    assert "p1" in report["message_en"] and "p1" in report["message_zh"]


def test_infeasible_run_exits_1_and_writes_diagnosis(tmp_path, capsys) -> None:
    _, _, path = load_instance(tmp_path / "in", scenario_dict(zones=ZONES, quotas=_quotas()), _locked_rows())
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 1
    diagnosis = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert [e["overrun"] for e in diagnosis["overruns"]] == [pytest.approx(30.0), pytest.approx(2.5)]
    assert "30 mu" in capsys.readouterr().err


def test_check_reports_what_a_planner_can_fix(tmp_path) -> None:
    rows = [
        *_locked_rows(),
        project_row("p4", land_mu=10, zone="b", tax=0),  # fails zone b's tax screen
        project_row(
            "p5", land_mu=10, nox_t=1, zone="a", tax=0
        ),  # needs NOx, but zone a is the only one with it
        project_row("p6", land_mu=10, nox_t=1, zone="b", tax=600),  # passes b, where no NOx is supplied
        project_row("p7", land_mu=100000, output=100, investment=1000000),  # 100,000 mu
        project_row("p8", land_mu=1000, output=2_000_000, investment=2000),  # output 1000 x investment
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=ZONES, quotas=_quotas()), rows)
    findings = check_scenario(scenario, projects)
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.column, f.row) for f in errors] == [
        ("quotas.land.sources", None),
        ("quotas.nox.sources", None),
    ]
    assert "130 mu" in errors[0].message and "short by 30" in errors[0].message
    warnings = {(f.row, f.column): f.message for f in findings if f.severity == "warning"}
    assert "passes no zone's entry screens" in warnings[5, "zone"]
    assert (6, "nox_t") not in warnings  # zone a supplies NOx
    assert "no nox supply reaches its zones (b)" in warnings[7, "nox_t"]
    assert "100,000 mu" in warnings[8, "land_mu"]
    assert "1,000 times its investment" in warnings[9, "output"]
    assert findings.index(errors[-1]) < findings.index(next(f for f in findings if f.severity == "warning"))


def test_lock_needing_one_zone_above_its_supply_is_an_error(tmp_path) -> None:
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "sources": [
        {"id": "plan", "scope": "city", "amounts": 10},
        {"id": "stock", "scope": "zone", "amounts": {"a": 20, "b": 500}},
    ]}}
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    rows = [project_row("p1", land_mu=25, lock="in"), project_row("p2", land_mu=25, lock="in")]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=zones, quotas=quotas), rows)
    findings = check_scenario(scenario, projects)
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "in zone a" in findings[0].message and "short by 20" in findings[0].message


def test_check_command_exit_codes(tmp_path, capsys) -> None:
    rows = [project_row("p1", land_mu=40), project_row("p2", land_mu=40)]
    _, _, clean = load_instance(tmp_path / "clean", scenario_dict(), rows)
    assert main(["check", str(clean)]) == 0
    assert "no problems found" in capsys.readouterr().out
    _, _, bad = load_instance(tmp_path / "bad", scenario_dict(zones=ZONES, quotas=_quotas()), _locked_rows())
    assert main(["check", str(bad)]) == 1
    assert "short by 30" in capsys.readouterr().out
