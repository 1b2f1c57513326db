"""亩均 grades: composite per-mu score and the A/B/C/D distribution."""

from __future__ import annotations

import numpy as np
import pytest

from quota_sim.analysis.grades import grade_projects, grades_from_scores, per_mu_scores
from tests.instances import load_instance, project_row, scenario_dict


def test_twenty_distinct_scores_split_20_50_25_5() -> None:
    scores = np.arange(20, 0, -1, dtype=float)  # 20 (best) ... 1 (worst)
    grades = grades_from_scores(scores)
    assert [grades.count(g) for g in "ABCD"] == [4, 10, 5, 1]
    assert grades[:4] == ["A"] * 4 and grades[-1] == "D"


def test_grades_follow_rank_not_input_order() -> None:
    scores = np.array([0.5, 3.0, 1.0, 2.0, 0.1])
    assert grades_from_scores(scores) == ["B", "A", "B", "B", "C"]


def test_ties_share_a_grade() -> None:
    scores = np.array([5.0] * 6 + [1.0] * 14)
    grades = grades_from_scores(scores)
    assert set(grades[:6]) == {"A"} and set(grades[6:]) == {"B"}


def test_hundred_projects_distribution() -> None:
    rng = np.random.default_rng(1)
    grades = grades_from_scores(rng.lognormal(size=100))
    assert [grades.count(g) for g in "ABCD"] == [20, 50, 25, 5]


def test_composite_score_weights_tax_45_and_output_20(tmp_path) -> None:
    rows = [
        project_row("p1", land_mu=10, tax=100, output=1000),  # tax/mu 10, output/mu 100
        project_row("p2", land_mu=20, tax=100, output=4000),  # tax/mu 5, output/mu 200
        project_row("p3", land_mu=10, tax=0, output=1500),  # tax/mu 0, output/mu 150
    ]
    _, projects, _ = load_instance(tmp_path, scenario_dict(), rows)
    scores = per_mu_scores(projects)
    tax_mean, output_mean = 5.0, 150.0
    expected = [(45 * t / tax_mean + 20 * o / output_mean) / 65 for t, o in ((10, 100), (5, 200), (0, 150))]
    assert scores == pytest.approx(expected)
    assert float(scores.mean()) == pytest.approx(1.0)
    columns = grade_projects(projects)
    assert columns["grade"] == ["A", "B", "B"]
    assert columns["per_mu_score"] == [round(v, 4) for v in expected]
