"""Filling the supply a restricted plan leaves over: a plan proving the gap ends the solve, honestly."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from quota_sim import solve
from quota_sim.export import write_outputs
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.verify import verify_outputs
from tests.instances import alike_zones, load_instance, project_row, scenario_dict
from tests.test_bruteforce import assert_matches_exhaustive_search

# 100 mu of land. The relaxation takes A and 4/5 of B (100 + 0.8 * 82 = 165.6): the MIP restricted to
# its support {A, B} can only take A (100, 39.6 % short of the bound). A and C fit together (165.4, 0.12 %
# short), but C is not in the support: only filling the land A leaves finds that plan.
ROWS = [
    project_row("A", land_mu=60, output=100.0),
    project_row("B", land_mu=50, output=82.0),
    project_row("C", land_mu=40, output=65.4),
]
BOUND = 165.6


def _recording(monkeypatch) -> tuple[list, list]:
    """The HiGHS runs of a solve and what each fill returned, as they happen."""
    runs, fills = [], []
    real_run, real_fill = solve.run_highs, solve._filled_mip

    def fill(*args, **kwargs):
        fills.append(real_fill(*args, **kwargs))
        return fills[-1]

    monkeypatch.setattr(solve, "run_highs", lambda highs: (runs.append(highs), real_run(highs)))
    monkeypatch.setattr(solve, "_filled_mip", fill)
    return runs, fills


def _instance(tmp_path):
    return load_instance(tmp_path, scenario_dict(), ROWS)


def _two_zones(tmp_path, rows, **scenario):
    """The instance with every project free to go to zone a or b (alike; the land is city-wide): the same
    optimum, two placements per project, so the solve takes the start plan's route (with one placement
    each, HiGHS runs alone)."""
    rows = [{**row, "zone": "a|b"} for row in rows]
    return load_instance(tmp_path, scenario_dict(zones=alike_zones(2), **scenario), rows)


def test_a_plan_filled_in_the_land_left_proves_the_gap_without_the_full_mip(tmp_path, monkeypatch) -> None:
    scenario, projects, _ = _two_zones(tmp_path, ROWS)
    runs, fills = _recording(monkeypatch)
    result = solve_scenario(scenario, projects, gap=0.01)
    assert len(runs) == 3  # the relaxation, the MIP on its support, the fill: no full MIP
    assert fills[0][1] is True
    assert result.status == "optimal"
    assert result.objective == pytest.approx(165.4)
    assert result.best_bound == pytest.approx(BOUND)  # the relaxation's objective: a bound on every plan
    assert result.gap == pytest.approx((BOUND - 165.4) / 165.4) and result.gap <= 0.01
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


def test_without_a_plan_proving_the_gap_the_full_mip_still_runs(tmp_path) -> None:
    # At gap 0 no plan meets the relaxation's bound: the fill ends without a proof and the full MIP
    # proves the optimum, which exhaustive search confirms.
    scenario, projects, _ = _instance(tmp_path)
    result = solve_scenario(scenario, projects)
    assert result.status == "optimal" and result.gap == 0.0
    assert result.objective == pytest.approx(165.4)
    assert_matches_exhaustive_search(scenario, projects, tmp_path / "out")


def _fill_from_a(tmp_path, bound: float) -> tuple[np.ndarray | None, bool, float]:
    """The fill around the plan {A} of the instance, at gap 1 % against ``bound``: its plan's column
    values, whether it proved the gap, and the plan's objective (万元)."""
    scenario, projects, _ = _instance(tmp_path)
    model = build_model(scenario, projects)
    lp = model.highs_lp()
    n = model.n_x
    project = model.placements.project
    fixed = project == projects.ids.index("A")
    start = np.zeros(lp.num_col_)
    start[:n] = fixed
    settings = replace(scenario.solver, gap=0.01)
    found, proven = solve._filled_mip(lp, n, project, fixed, start, settings, bound, time.perf_counter() + 30)
    value = float(np.asarray(lp.col_cost_) @ found) if found is not None else float("nan")
    return found, proven, value


def test_the_fill_finds_the_plan_that_proves_the_gap(tmp_path) -> None:
    _, proven, value = _fill_from_a(tmp_path, BOUND)
    assert proven and value == pytest.approx(165.4)


def test_a_fill_that_cannot_prove_the_gap_claims_nothing(tmp_path) -> None:
    # Against a bound of 200 a plan must be worth 198 to prove 1 %: none is. HiGHS prunes every branch
    # that cannot reach that (A and C, 165.4, is not even looked for), so no proof is claimed and no
    # plan but the start {A} comes back.
    found, proven, value = _fill_from_a(tmp_path, 200.0)
    assert not proven
    assert found is None or value == pytest.approx(100.0)


def test_a_plan_a_swap_short_of_the_gap_lets_its_doubtful_projects_move(tmp_path, monkeypatch) -> None:
    # 200 mu. The relaxation takes F, A and 4/9 of B (250 + 100 + 64.9 = 414.9). On its support the best
    # plan is F and B (396): nothing fits in the 10 mu left. Keeping only F (which the relaxation takes
    # whole) and letting B go, A and C join F: 414.8, within 1 % of the bound.
    rows = [
        project_row("F", land_mu=100, output=250.0),
        project_row("A", land_mu=60, output=100.0),
        project_row("B", land_mu=90, output=146.0),
        project_row("C", land_mu=40, output=64.8),
    ]
    land = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 200}]}
    scenario, projects, _ = _two_zones(tmp_path, rows, quotas={"land": land})
    runs, fills = _recording(monkeypatch)
    result = solve_scenario(scenario, projects, gap=0.01)
    assert [proven for _, proven in fills] == [False, True]  # the fill around F and B, then around F
    assert len(runs) == 4  # the relaxation, its support's MIP, the two fills: no full MIP
    assert result.status == "optimal" and result.objective == pytest.approx(414.8)
    bound = 250 + 100 + 146 * 40 / 90
    assert result.best_bound == pytest.approx(bound) and result.gap == pytest.approx((bound - 414.8) / 414.8)
