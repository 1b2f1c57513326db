"""The independent validator: a hand-checked solution passes, and each broken rule is reported."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from quota_sim.export import write_outputs
from quota_sim.pipeline import solve_scenario
from quota_sim.projects import projects_for
from quota_sim.scenario import baseline_path, load_scenario
from quota_sim.verify import project_value, verify_outputs, verify_tables
from tests.instances import load_instance, project_row, scenario_dict

# Two years, discount 10 %, two appraisal years, no ramp: A = 1 + 1/1.1 years of full output.
ANNUITY = 1 + 1 / 1.1
DELTA = 1 / 1.1


def _scenario() -> dict:
    return scenario_dict(
        years=2,
        zones=[
            {"id": "a", "name": "Zone A", "min_investment_intensity": 200, "min_tax_per_mu": 15},
            {"id": "b", "name": "Zone B"},
        ],
        quotas={
            "land": {
                "unit": "mu",
                "demand": "land_mu",
                "carry_over": True,
                "sources": [
                    {"id": "plan", "scope": "city", "amounts": [30, 30]},
                    {"id": "stock", "scope": "zone", "amounts": {"a": [10, 0]}},
                ],
            },
            "energy": {
                "unit": "tce",
                "demand": "energy_tce",
                "ratio": 2.0,
                "carry_over": False,
                "sources": [
                    {"id": "grid", "scope": "city", "amounts": [100, 100]},
                    {"id": "rights", "scope": "city", "amounts": 200, "price": 0.5},
                ],
            },
        },
        objective={
            "discount_rate": 0.1,
            "appraisal_years": 2,
            "relocation_penalty": 0.2,
            "purchase_budget": 60,
        },
    )


ROWS = [
    # passes zone a by investment intensity (250 万元/mu)
    project_row("p1", zone="a|b", land_mu=20, investment=5000, output=100, tax=0, energy_tce=60),
    # passes zone a by tax per mu (20 万元/mu), may start in 2027 only
    project_row(
        "p2", zone="b|a", land_mu=15, investment=1500, output=80, tax=300, energy_tce=40, earliest_year=2027
    ),
    # 100 万元/mu and 5 万元/mu/yr: fails zone a, its only candidate
    project_row("p3", zone="a", land_mu=10, investment=1000, output=300, tax=50, energy_tce=0),
    project_row("p4", zone="b", land_mu=10, output=500, lock="out", energy_tce=0),
    project_row("p5", zone="b", land_mu=5, output=10, lock="in", energy_tce=0),
]

# p1 in a 2026, p2 in b (preferred) 2027, p5 in b 2026.
VALUES = {"p1": 100 * ANNUITY, "p2": DELTA * 80 * ANNUITY, "p5": 10 * ANNUITY}
COST = 10.0  # 20 tce of priced rights at 0.5 万元 in 2026, within the 60 万元 budget


def _allocation() -> list[dict[str, str]]:
    def row(
        pid: str, status: str, zone: str = "", year: str = "", land: float = 0, energy: float = 0
    ) -> dict:
        return {
            "id": pid,
            "name": pid,
            "status": status,
            "zone": zone,
            "start_year": year,
            "value": str(VALUES.get(pid, 0)),
            "reason": "a: investment 100.0<200 万元/mu and tax 5.0<15 万元/mu/yr"
            if status == "ineligible"
            else ("land" if status == "not_selected" else ""),
            "land_charged": str(land),
            "energy_charged": str(energy),
        }

    return [
        row("p1", "approved", "a", "2026", 20, 120),
        row("p2", "approved", "b", "2027", 15, 80),
        row("p3", "ineligible"),
        row("p4", "locked_out"),
        row("p5", "approved", "b", "2026", 5, 0),
    ]


def _quota_use() -> list[dict[str, str]]:
    rows = []

    def add(
        quota: str, source: str, zone: str, year: int, available: float, used: float, price: float = 0
    ) -> None:
        rows.append(
            {
                "quota": quota,
                "source": source,
                "zone": zone,
                "year": str(year),
                "available": str(available),
                "used": str(used),
                "cost": str(price * used),
            }
        )

    add("land", "plan", "", 2026, 30, 15)
    add("land", "plan", "", 2027, 30, 15)
    add("land", "stock", "a", 2026, 10, 10)
    add("land", "stock", "a", 2027, 0, 0)
    add("land", "stock", "b", 2026, 0, 0)
    add("land", "stock", "b", 2027, 0, 0)
    add("energy", "grid", "", 2026, 100, 100)
    add("energy", "grid", "", 2027, 100, 80)
    add("energy", "rights", "", 2026, 200, 20, 0.5)
    add("energy", "rights", "", 2027, 200, 0, 0.5)
    return rows


def _summary() -> dict:
    total = sum(VALUES.values())
    return {
        "scenario": "case",
        "status": "optimal",
        "objective": total - COST,
        "best_bound": total - COST,
        "gap": 0.0,
        "kpi": {"approved": 3, "land_used": 40, "investment": 5000 + 1500 + 1000, "output": 190, "tax": 300},
    }


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):
    scenario, projects, _ = load_instance(tmp_path_factory.mktemp("verify"), _scenario(), ROWS)
    return scenario, projects


def test_project_value_follows_the_spec_formula(case) -> None:
    scenario, projects = case
    assert project_value(scenario, projects, 0, "a", 0) == pytest.approx(100 * ANNUITY)
    assert project_value(scenario, projects, 0, "b", 1) == pytest.approx(0.8 * DELTA * 100 * ANNUITY)


def test_a_correct_solution_passes(case) -> None:
    scenario, projects = case
    assert verify_tables(scenario, projects, _allocation(), _quota_use(), _summary()) == []


def _set(rows: list[dict], match: dict, **changes: str) -> None:
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1, match
    hits[0].update(changes)


def _approve_p4(a: list[dict], q: list[dict], s: dict) -> None:
    _set(
        a,
        {"id": "p4"},
        status="approved",
        zone="b",
        start_year="2027",
        value=str(DELTA * 500 * ANNUITY),
        land_charged="10",
    )
    _set(q, {"quota": "land", "source": "plan", "year": "2027"}, used="25")


def _p2_in_zone_a(a: list[dict], q: list[dict], s: dict) -> None:
    """Move p2 to zone a (2027); zone a's stock land then pays 5 of its 15 mu."""
    _set(a, {"id": "p2"}, zone="a", value=str(0.8 * DELTA * 80 * ANNUITY))
    _set(q, {"quota": "land", "source": "stock", "zone": "a", "year": "2027"}, used="5")
    _set(q, {"quota": "land", "source": "plan", "year": "2027"}, used="10")
    s["objective"] += (0.8 - 1) * DELTA * 80 * ANNUITY


def _all_energy_bought(a: list[dict], q: list[dict], s: dict) -> None:
    for year, used in (("2026", 120), ("2027", 80)):
        _set(q, {"quota": "energy", "source": "grid", "year": year}, used="0")
        _set(q, {"quota": "energy", "source": "rights", "year": year}, used=str(used), cost=str(0.5 * used))
    s["objective"] = sum(VALUES.values()) - 100


CORRUPTIONS: dict[str, tuple[Callable[[list[dict], list[dict], dict], None], str]] = {
    "row order": (lambda a, q, s: a.reverse(), "input order"),
    "missing row": (lambda a, q, s: a.pop(), "5 projects"),
    "unknown status": (lambda a, q, s: _set(a, {"id": "p3"}, status="rejected"), "status 'rejected'"),
    "zone not a candidate": (lambda a, q, s: _set(a, {"id": "p5"}, zone="a"), "not among passing candidates"),
    "before earliest year": (
        lambda a, q, s: _set(a, {"id": "p2"}, start_year="2026", value=str(80 * ANNUITY)),
        "before its earliest year",
    ),
    "outside horizon": (lambda a, q, s: _set(a, {"id": "p5"}, start_year="2028"), "outside the horizon"),
    "eligible marked ineligible": (
        lambda a, q, s: _set(
            a,
            {"id": "p1"},
            status="ineligible",
            zone="",
            start_year="",
            value="0",
            land_charged="0",
            energy_charged="0",
        ),
        "ineligible but passes",
    ),
    "ineligible marked not selected": (
        lambda a, q, s: _set(a, {"id": "p3"}, status="not_selected"),
        "passes no zone's screens",
    ),
    "ineligible without reason": (lambda a, q, s: _set(a, {"id": "p3"}, reason=""), "without a reason"),
    "lock out approved": (_approve_p4, "locked out but status 'approved'"),
    "lock in dropped": (
        lambda a, q, s: _set(
            a,
            {"id": "p5"},
            status="not_selected",
            zone="",
            start_year="",
            value="0",
            land_charged="0",
            reason="value",
        ),
        "locked in but status 'not_selected'",
    ),
    "charge without ratio": (
        lambda a, q, s: _set(a, {"id": "p1"}, energy_charged="60"),
        "energy_charged 60.0",
    ),
    "wrong value": (lambda a, q, s: _set(a, {"id": "p1"}, value="100"), "value 100.0"),
    "no relocation penalty": (
        lambda a, q, s: _set(a, {"id": "p1"}, zone="b", value=str(100 * ANNUITY)),
        f"expected {0.8 * 100 * ANNUITY:.10g}",
    ),
    "available is not the amount": (
        lambda a, q, s: _set(q, {"quota": "land", "source": "plan", "year": "2027"}, available="45"),
        "scenario amount 30",
    ),
    "cost is not price times use": (
        lambda a, q, s: _set(q, {"quota": "energy", "source": "rights", "year": "2026"}, cost="0"),
        "expected price * used",
    ),
    "negative use": (
        lambda a, q, s: _set(q, {"quota": "land", "source": "stock", "zone": "b", "year": "2027"}, used="-5"),
        "negative",
    ),
    "missing supply row": (lambda a, q, s: q.pop(5), "no quota_use row for 2027"),
    "duplicate supply row": (lambda a, q, s: q.append(dict(q[0])), "duplicate row"),
    "city source with a zone": (
        lambda a, q, s: _set(q, {"quota": "land", "source": "plan", "year": "2026"}, zone="a"),
        "invalid for a city source",
    ),
    "use does not match charges": (
        lambda a, q, s: _set(q, {"quota": "land", "source": "plan", "year": "2026"}, used="10"),
        "charge 25 but sources supply 20",
    ),
    "zone stock serves another zone": (
        lambda a, q, s: _set(a, {"id": "p1"}, zone="b", value=str(0.8 * 100 * ANNUITY)),
        "zone sources supply 10 but the zone's projects charge only 0",
    ),
    "cumulative supply exceeded": (
        lambda a, q, s: (
            _p2_in_zone_a(a, q, s),
            _set(q, {"quota": "land", "source": "stock", "zone": "a", "year": "2027"}, used="6"),
            _set(q, {"quota": "land", "source": "plan", "year": "2027"}, used="9"),
        ),
        "used 16 up to 2027, more than the 10 supplied (carry-over)",
    ),
    "yearly supply exceeded without carry-over": (
        lambda a, q, s: (
            _set(q, {"quota": "energy", "source": "grid", "year": "2026"}, used="110"),
            _set(q, {"quota": "energy", "source": "rights", "year": "2026"}, used="10", cost="5"),
        ),
        "used 110 in 2026, more than 100",
    ),
    "budget exceeded": (_all_energy_bought, "purchase cost 100 exceeds the budget 60"),
    "objective is not values minus cost": (
        lambda a, q, s: s.update(objective=sum(VALUES.values())),
        "objective",
    ),
    "objective above bound": (lambda a, q, s: s.update(best_bound=1.0), "above the best bound"),
    "kpi approved": (lambda a, q, s: s["kpi"].update(approved=4), "kpi approved"),
    "kpi land": (lambda a, q, s: s["kpi"].update(land_used=45), "kpi land_used"),
    "kpi output": (lambda a, q, s: s["kpi"].update(output=0), "kpi output"),
    "optimal with a large gap": (lambda a, q, s: s.update(gap=0.05), "status optimal with gap"),
    "wrong scenario name": (lambda a, q, s: s.update(scenario="other"), "scenario 'other'"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_broken_rule_is_reported(case, name: str) -> None:
    scenario, projects = case
    allocation, quota_use, summary = _allocation(), _quota_use(), _summary()
    corrupt, expected = CORRUPTIONS[name]
    corrupt(allocation, quota_use, summary)
    problems = verify_tables(scenario, projects, allocation, quota_use, summary)
    assert any(expected in p for p in problems), problems


VALID_VARIANTS: dict[str, Callable[[list[dict], list[dict], dict], None]] = {
    # stock land of 2026 used in 2027: allowed with carry-over
    "carry-over": lambda a, q, s: (
        _p2_in_zone_a(a, q, s),
        _set(q, {"quota": "land", "source": "stock", "zone": "a", "year": "2026"}, used="5"),
        _set(q, {"quota": "land", "source": "plan", "year": "2026"}, used="20"),
    ),
    "values as numbers": lambda a, q, s: [
        row.update(value=float(row["value"]), start_year=int(row["start_year"]) if row["start_year"] else "")
        for row in a
    ],
    "more bought within budget": lambda a, q, s: (
        _set(q, {"quota": "energy", "source": "grid", "year": "2027"}, used="0"),
        _set(q, {"quota": "energy", "source": "rights", "year": "2027"}, used="80", cost="40"),
        s.update(objective=sum(VALUES.values()) - 50),
    ),
}


@pytest.mark.parametrize("name", list(VALID_VARIANTS))
def test_valid_variants_pass(case, name: str) -> None:
    scenario, projects = case
    allocation, quota_use, summary = _allocation(), _quota_use(), _summary()
    VALID_VARIANTS[name](allocation, quota_use, summary)
    assert verify_tables(scenario, projects, allocation, quota_use, summary) == []


def test_verify_outputs_reads_the_files(case, tmp_path: Path) -> None:
    scenario, projects = case
    for name, rows in (("allocation.csv", _allocation()), ("quota_use.csv", _quota_use())):
        with (tmp_path / name).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    summary = _summary()
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert verify_outputs(scenario, projects, tmp_path) == []

    summary["kpi"]["tax"] = 0
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert any("kpi tax" in p for p in verify_outputs(scenario, projects, tmp_path))

    (tmp_path / "quota_use.csv").unlink()
    assert verify_outputs(scenario, projects, tmp_path) == [f"{tmp_path / 'quota_use.csv'}: missing"]


def test_no_solution_has_nothing_to_check(case, tmp_path: Path) -> None:
    scenario, projects = case
    (tmp_path / "summary.json").write_text(
        json.dumps({"scenario": "case", "status": "infeasible", "objective": None}), encoding="utf-8"
    )
    assert verify_outputs(scenario, projects, tmp_path) == []


def test_the_embedded_baseline_solution_passes(tmp_path: Path) -> None:
    scenario = load_scenario(baseline_path())
    projects = projects_for(scenario)
    result = solve_scenario(scenario, projects)
    assert result.solved
    write_outputs(result, tmp_path)
    assert verify_outputs(scenario, projects, tmp_path) == []


def test_the_validator_shares_no_code_with_the_model() -> None:
    code = "import sys, quota_sim.verify; print(sorted(m for m in sys.modules if m.startswith('quota_sim.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for module in (
        "quota_sim.model",
        "quota_sim.solve",
        "quota_sim.pipeline",
        "quota_sim.results",
        "quota_sim.screens",
        "quota_sim.valuation",
    ):
        assert module not in loaded
