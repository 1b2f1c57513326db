"""Project importance: the replacement cost equals a manual re-solve without the project."""

from __future__ import annotations

import pytest

from quota_sim.analysis.importance import locked_out, project_importance, top_approved
from quota_sim.pipeline import solve_scenario
from tests.instances import load_instance, project_row, scenario_dict


def _rows(lock_p1: str = "") -> list[dict]:
    # 100 mu: the optimum takes p1 (60 mu, 500) and p3 (40 mu, 300); without p1, p2 + p3 + p4 fill it.
    return [
        project_row("p1", land_mu=60, output=500, lock=lock_p1),
        project_row("p2", land_mu=30, output=200),
        project_row("p3", land_mu=40, output=300),
        project_row("p4", land_mu=30, output=150),
    ]


def test_replacement_cost_equals_a_manual_resolve(tmp_path) -> None:
    scenario, projects, _ = load_instance(tmp_path / "base", scenario_dict(), _rows())
    result = solve_scenario(scenario, projects)
    assert result.objective == pytest.approx(800.0)
    rows = project_importance(scenario, projects, result.allocation, result.objective, top=2, jobs=2)
    assert [r["id"] for r in rows] == ["p1", "p3"]
    # The same question asked by hand: the table with p1 locked out, solved again.
    manual_scenario, manual_projects, _ = load_instance(
        tmp_path / "manual", scenario_dict(), _rows(lock_p1="out")
    )
    manual = solve_scenario(manual_scenario, manual_projects)
    assert rows[0]["objective_without"] == pytest.approx(manual.objective)
    assert rows[0]["replacement_cost"] == pytest.approx(800.0 - 650.0)
    assert rows[1]["replacement_cost"] == pytest.approx(800.0 - 700.0)  # p3 out: p1 + p2 = 700
    assert all(r["status"] == "optimal" for r in rows)


def test_top_approved_and_lock_out(tmp_path) -> None:
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), _rows())
    result = solve_scenario(scenario, projects)
    assert top_approved(result.allocation, 1) == [0]
    assert top_approved(result.allocation, 10) == [0, 2]
    assert locked_out(projects, 2).lock == ["", "", "out", ""] and projects.lock[2] == ""
