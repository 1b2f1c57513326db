"""Attribution (SPEC §6): per project and quota the amounts sum to its charge, per source, zone and year
they sum to ``used``; free supply is drawn before priced supply; the split is deterministic."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from quota_sim.attribution import attribute
from quota_sim.export import write_outputs
from quota_sim.pipeline import solve_scenario
from quota_sim.scenario import baseline_path, load_scenario
from tests.instances import load_instance, project_row, random_instance, random_sites_instance, scenario_dict

TOL = 1e-6


def assert_identities(result):
    """Both sums of SPEC §6 hold, and every cost is price × amount."""
    rows = attribute(result)
    prices = {(q.id, s.id): s.price for q in result.scenario.quotas for s in q.sources}
    per_charge: dict[tuple[str, str], float] = defaultdict(float)
    per_use: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for row in rows:
        assert row.amount > 0
        assert row.cost == pytest.approx(prices[row.quota, row.source] * row.amount, abs=TOL)
        per_charge[row.id, row.quota] += row.amount
        per_use[row.quota, row.source, row.zone, row.year] += row.amount
    for alloc in result.allocation:
        for quota, charge in alloc.charged.items():
            assert per_charge.get((alloc.id, quota), 0.0) == pytest.approx(charge, abs=TOL, rel=TOL)
            if alloc.status == "approved" and charge > 0:
                years = {r.year for r in rows if r.id == alloc.id and r.quota == quota}
                assert years == {alloc.start_year}  # drawn in the year it starts
    use_keys = {(u.quota, u.source, u.zone, u.year) for u in result.quota_use}
    assert set(per_use) <= use_keys
    for use in result.quota_use:
        drawn = per_use.get((use.quota, use.source, use.zone, use.year), 0.0)
        assert drawn == pytest.approx(use.used, abs=TOL, rel=TOL)
    assert sum(r.cost for r in rows) == pytest.approx(result.kpi["purchase_cost"], abs=TOL, rel=TOL)
    assert attribute(result) == rows  # deterministic
    return rows


@pytest.mark.parametrize("seed", range(40))
def test_identities_on_random_scenarios(tmp_path, seed):
    scenario_raw, rows = random_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows)
    result = solve_scenario(scenario, projects)
    if not result.solved:
        assert attribute(result) == []
        return
    assert_identities(result)


def test_identities_on_the_baseline():
    result = solve_scenario(load_scenario(baseline_path()))
    rows = assert_identities(result)
    assert {r.quota for r in rows} >= {"land", "energy", "nox"}
    assert any(r.zone for r in rows) and any(not r.zone for r in rows)  # zone and city sources both drawn


def test_free_supply_is_drawn_before_priced_supply(tmp_path):
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [
                {"id": "linkage", "scope": "city", "amounts": 50, "price": 3},
                {"id": "plan", "scope": "city", "amounts": 100},
            ],
        }
    }
    rows = [project_row("P1", land_mu=60, output=100), project_row("P2", land_mu=70, output=100)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas=quotas), rows)
    result = solve_scenario(scenario, projects)
    drawn = [(r.id, r.source, r.amount, r.cost) for r in assert_identities(result)]
    assert drawn == [("P1", "plan", 60.0, 0.0), ("P2", "linkage", 30.0, 90.0), ("P2", "plan", 40.0, 0.0)]


def test_carry_over_is_attributed_per_year_of_use(tmp_path):
    """Supply left in 2026 is used in 2027: the 2027 starter draws 150 mu of plan land in 2027."""
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "carry_over": True,
            "sources": [
                {"id": "plan", "scope": "city", "amounts": [100, 50]},
                {"id": "stock", "scope": "zone", "amounts": {"a": [0, 20]}},
            ],
        }
    }
    rows = [project_row("P1", land_mu=170, output=100, earliest_year=2027)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(years=2, quotas=quotas), rows)
    result = solve_scenario(scenario, projects)
    drawn = [(r.source, r.zone, r.year, r.amount) for r in assert_identities(result)]
    assert drawn == [("plan", "", 2027, 150.0), ("stock", "a", 2027, 20.0)]


def test_zone_sources_serve_only_their_zone_and_city_supply_the_rest(tmp_path):
    zones = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [
                {"id": "plan", "scope": "city", "amounts": 50},
                {"id": "stock", "scope": "zone", "amounts": {"a": 40, "b": 10}},
            ],
        }
    }
    rows = [
        project_row("P1", zone="a", land_mu=40, output=100),
        project_row("P2", zone="b", land_mu=60, output=100),
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=zones, quotas=quotas), rows)
    result = solve_scenario(scenario, projects)
    drawn = [(r.id, r.source, r.zone, r.amount) for r in assert_identities(result)]
    assert drawn == [("P1", "stock", "a", 40.0), ("P2", "plan", "", 50.0), ("P2", "stock", "b", 10.0)]


def test_budget_limited_purchases_are_attributed(tmp_path):
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [
                {"id": "plan", "scope": "city", "amounts": 50},
                {"id": "linkage", "scope": "city", "amounts": 100, "price": 1},
            ],
        }
    }
    rows = [project_row(f"P{i}", land_mu=30, output=100) for i in range(1, 6)]
    raw = scenario_dict(quotas=quotas, objective={"purchase_budget": 40})
    scenario, projects, _ = load_instance(tmp_path, raw, rows)
    result = solve_scenario(scenario, projects)
    rows = assert_identities(result)
    assert sum(r.cost for r in rows) <= 40 + TOL
    assert result.kpi["approved"] == 3


def test_run_writes_attribution_csv(tmp_path):
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_dict(), [project_row("P1", land_mu=60)])
    result = solve_scenario(scenario, projects)
    write_outputs(result, tmp_path / "out")
    with open(tmp_path / "out" / "attribution.csv", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert table == [
        ["id", "quota", "source", "zone", "year", "amount", "cost"],
        ["P1", "land", "plan", "", "2026", "60.0", "0.0"],
    ]


@pytest.mark.parametrize("seed", range(25))
def test_identities_on_random_site_scenarios(tmp_path, seed):
    """With sites a project charges its quotas by the land classes of its site: the sums still hold."""
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path, scenario_raw, rows, sites)
    result = solve_scenario(scenario, projects)
    if result.solved:
        assert_identities(result)
    else:
        assert attribute(result) == []
