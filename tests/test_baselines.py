"""Hand-ranking baselines: orders as a planner would use them, never a quota broken, never above the
optimum."""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest

from quota_sim.analysis.baselines import allocate_by_hand, baseline_summary, plan_tables, queue_order
from quota_sim.analysis.supply import SupplyLedger, can_serve, cheapest_draw, greedy_draw
from quota_sim.cli import main
from quota_sim.pipeline import solve_scenario
from quota_sim.supply import source_total
from quota_sim.verify import verify_tables
from quota_sim.vocabulary import status_label
from tests.bruteforce import _cheapest_supply
from tests.instances import load_instance, project_row, random_instance, scenario_dict


def _queue_rows() -> list[dict]:
    """100 mu for four projects; q4 is locked in. Dates: q2 first, then q1, q4, q3 undated."""
    return [
        project_row("q1", land_mu=60, output=600, tax=60, queued_since="2024-01-01"),
        project_row("q2", land_mu=50, output=1000, tax=250, queued_since="2023-06-01"),
        project_row("q3", land_mu=40, output=1200, tax=400, queued_since=""),
        project_row("q4", land_mu=40, output=100, tax=20, queued_since="2025-01-01", lock="in"),
    ]


def test_queue_orders_put_locks_first(tmp_path) -> None:
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), _queue_rows())
    assert [projects.ids[p] for p in queue_order(scenario, projects, "fcfs")] == ["q4", "q2", "q1", "q3"]
    assert [projects.ids[p] for p in queue_order(scenario, projects, "per_mu")] == ["q4", "q3", "q2", "q1"]


def test_hand_plans_and_uplift(tmp_path) -> None:
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), _queue_rows())
    fcfs = allocate_by_hand(scenario, projects, "fcfs")
    per_mu = allocate_by_hand(scenario, projects, "per_mu")
    assert sorted(projects.ids[p] for p in fcfs.placements) == ["q2", "q4"]
    assert sorted(projects.ids[p] for p in per_mu.placements) == ["q3", "q4"]
    assert (fcfs.objective, per_mu.objective) == (pytest.approx(1100.0), pytest.approx(1300.0))
    optimum = solve_scenario(scenario, projects).objective
    summary = baseline_summary(scenario, projects, optimum)
    assert summary["fcfs"]["uplift_pct"] == pytest.approx(100 * 200 / 1100, abs=1e-3)
    assert summary["per_mu"]["uplift_pct"] == 0.0
    assert summary["fcfs"]["approved"] == 2 and summary["fcfs"]["output"] == pytest.approx(1100.0)
    assert summary["per_mu"]["tax"] == pytest.approx(420.0) and summary["per_mu"][
        "land_used"
    ] == pytest.approx(80.0)


def test_a_hand_plan_not_done_by_the_deadline_says_so(tmp_path) -> None:
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), _queue_rows())
    summary = baseline_summary(scenario, projects, 1300.0, deadline=time.perf_counter() - 1.0)
    assert summary == {"fcfs": {"status": "no_time"}, "per_mu": {"status": "no_time"}}
    later = baseline_summary(scenario, projects, 1300.0, deadline=time.perf_counter() + 60.0)
    assert later["fcfs"]["objective"] == pytest.approx(1100.0)
    # the app shows the status in words, not as its code
    assert status_label("no_time", "zh") == "时间预算已用完，未完成"
    assert status_label("no_time", "en") == "Not done: the time budget ran out"


def test_earliest_year_then_preferred_zone(tmp_path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "sources": [
        {"id": "plan", "scope": "city", "amounts": [30, 30]},
        {"id": "stock", "scope": "zone", "amounts": {"a": [40, 0]}},
    ]}}
    rows = [
        project_row("r1", land_mu=50, zone="b|a", queued_since="2024-01-01"),
        project_row("r2", land_mu=30, zone="b", queued_since="2024-02-01"),
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(years=2, zones=zones, quotas=quotas), rows)
    plan = allocate_by_hand(scenario, projects, "fcfs")
    # r1 does not fit b in 2026 (30 mu of plan), so it goes to a (40 stock + 10 plan); r2 waits for 2027.
    assert plan.placements == {0: ("a", 0), 1: ("b", 1)}
    assert plan.used == {
        ("land", "stock", "a", 0): pytest.approx(40.0),
        ("land", "plan", None, 0): pytest.approx(10.0),
        ("land", "plan", None, 1): pytest.approx(30.0),
    }
    allocation, quota_use = plan_tables(scenario, projects, plan)
    assert verify_tables(scenario, projects, allocation, quota_use) == []


def test_purchase_budget_is_respected(tmp_path) -> None:
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "sources": [
        {"id": "plan", "scope": "city", "amounts": 20},
        {"id": "linkage", "scope": "city", "amounts": 100, "price": 2},
    ]}}
    rows = [project_row("p1", land_mu=40, output=1000), project_row("p2", land_mu=30, output=500)]
    scenario, projects, _ = load_instance(
        tmp_path, scenario_dict(quotas=quotas, objective={"purchase_budget": 60}), rows
    )
    plan = allocate_by_hand(scenario, projects, "fcfs")
    # p1 uses the 20 free mu and buys 20 (40 万元); p2 would need 30 more bought: 100 万元 > 60.
    assert list(plan.placements) == [0]
    assert plan.purchase_cost == pytest.approx(40.0) and plan.objective == pytest.approx(960.0)
    allocation, quota_use = plan_tables(scenario, projects, plan)
    assert verify_tables(scenario, projects, allocation, quota_use) == []


def test_greedy_draw_serves_zone_supply_first(tmp_path) -> None:
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "sources": [
        {"id": "plan", "scope": "city", "amounts": [10, 0]},
        {"id": "stock", "scope": "zone", "amounts": {"a": [10, 0]}},
    ]}}
    scenario, _, _ = load_instance(
        tmp_path, scenario_dict(years=2, zones=zones, quotas=quotas), [project_row("p")]
    )
    quota = scenario.quotas[0]
    # 10 mu in a in 2026 and 10 mu in b in 2027: only feasible if a draws its own stock first.
    assert greedy_draw(quota, ["a", "b"], np.array([[10.0, 0.0], [0.0, 10.0]])) is not None
    assert greedy_draw(quota, ["a", "b"], np.array([[10.0, 0.0], [0.0, 10.5]])) is None
    ledger = SupplyLedger(scenario)
    ledger.add({"land": 10.0}, "a", 0)
    assert ledger.fits({"land": 10.0}, "b", 1)
    ledger.add({"land": 10.0}, "b", 1)
    assert not ledger.fits({"land": 0.5}, "a", 1)


@pytest.mark.parametrize("seed", range(20))
def test_the_ledgers_fit_test_is_the_greedy_draws(tmp_path, seed) -> None:
    """The ledger decides "fits" from each scope's supply totals; the greedy draw, source by source,
    agrees on random charges (zones x years) around what each quota supplies."""
    scenario, _, _ = load_instance(tmp_path, *random_instance(seed))
    rng = np.random.default_rng(seed)
    zone_ids = scenario.zone_ids()
    ledger = SupplyLedger(scenario)
    for quota in scenario.quotas:
        total = sum(source_total(s, scenario.years) for s in quota.sources)
        for _ in range(30):
            charges = rng.uniform(0, 1.2 * total / scenario.years, (len(zone_ids), scenario.years))
            charges[rng.random(charges.shape) < 0.4] = 0.0
            served = greedy_draw(quota, zone_ids, charges) is not None
            assert can_serve(quota.carry_over, *ledger._pools[quota.id], charges) == served


@pytest.mark.parametrize("seed", range(20))
def test_cheapest_draw_agrees_with_an_independent_lp(tmp_path, seed) -> None:
    """The cheapest draw's cost is the sum of each quota's cheapest supply (the brute force's own LP),
    and it exists exactly when every quota can be served and that sum fits the budget."""
    scenario, _, _ = load_instance(tmp_path, *random_instance(seed))
    rng = np.random.default_rng(seed)
    zones, years = scenario.zone_ids(), scenario.years
    for _ in range(5):
        charges = {
            q.id: rng.integers(0, 30, size=(len(zones), years)).astype(float) for q in scenario.quotas
        }
        per_quota = [
            _cheapest_supply(scenario, q, tuple(charges[q.id].ravel().tolist())) for q in scenario.quotas
        ]
        drawn = cheapest_draw(scenario, charges)
        budget = scenario.objective.purchase_budget
        if any(cost is None for cost in per_quota) or sum(per_quota) > budget * (1 + 1e-9) + 1e-6:
            assert drawn is None
            continue
        assert drawn is not None
        used, cost = drawn
        assert cost == pytest.approx(sum(per_quota), rel=1e-7, abs=1e-6)
        for q in scenario.quotas:
            served = sum(amount for (quota, _, _, _), amount in used.items() if quota == q.id)
            assert served == pytest.approx(charges[q.id].sum(), rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", range(40))
def test_baselines_never_break_a_quota_nor_beat_the_optimum(tmp_path, seed) -> None:
    scenario_raw, rows = random_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows)
    optimum = solve_scenario(scenario, projects)
    for method in ("fcfs", "per_mu"):
        plan = allocate_by_hand(scenario, projects, method)
        allocation, quota_use = plan_tables(scenario, projects, plan)
        if plan.status == "feasible":
            assert verify_tables(scenario, projects, allocation, quota_use) == []
            assert optimum.status == "optimal"
            assert plan.objective <= optimum.objective + 1e-6 * max(1.0, abs(optimum.objective))
        else:
            assert plan.unmet_locks and all(
                projects.lock[projects.ids.index(i)] == "in" for i in plan.unmet_locks
            )


def test_run_reports_baselines_grades_and_marginal_values(tmp_path) -> None:
    _, _, path = load_instance(tmp_path / "in", scenario_dict(), _queue_rows())
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--importance", "3"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["baselines"]["fcfs"]["objective"] == pytest.approx(1100.0)
    assert summary["importance"][0]["id"] == "q3"
    with (out / "allocation.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [row["grade"] for row in table] == ["B", "B", "A", "C"]
    with (out / "marginal_values.csv").open(encoding="utf-8-sig", newline="") as handle:
        marginal = list(csv.DictReader(handle))
    assert [(row["quota"], row["method"]) for row in marginal] == [("land", "resolve"), ("land", "lp_dual")]
