"""What a waiting project would need: granting it lets the project start where and when stated."""

from __future__ import annotations

import copy

import pytest

from quota_sim.needs import waiting_needs
from quota_sim.pipeline import solve_scenario
from tests.instances import START_YEAR, load_instance, project_row, random_instance, scenario_dict


def _land(amounts, *extra):
    return {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [{"id": "plan", "scope": "city", "amounts": amounts}, *extra],
        }
    }


def test_the_missing_land_and_the_year(tmp_path):
    rows = [
        project_row("P1", land_mu=80, output=100),
        project_row("P2", land_mu=50, output=10, earliest_year=2027),
    ]
    raw = scenario_dict(years=3, quotas=_land([80, 0, 10]), objective={"discount_rate": 0.1})
    scenario, projects, _ = load_instance(tmp_path, raw, rows)
    result = solve_scenario(scenario, projects)
    need = waiting_needs(result)["P2"]
    # 2027 is its first year; nothing is left in 2027 (the 10 mu of 2028 cannot be used earlier).
    assert (need.zone, need.year, need.short, need.budget) == ("a", 2027, {"land": 50.0}, 0.0)


def test_two_quotas_short_and_the_budget(tmp_path):
    quotas = _land(70, {"id": "linkage", "scope": "city", "amounts": 20, "price": 2})
    quotas["energy"] = {
        "unit": "tce",
        "demand": "energy_tce",
        "sources": [{"id": "plan", "scope": "city", "amounts": 100}],
    }
    rows = [
        project_row("P1", land_mu=60, output=100, energy_tce=90),
        project_row("P2", land_mu=30, output=10, energy_tce=30),
    ]
    raw = scenario_dict(quotas=quotas, objective={"purchase_budget": 5})
    result = solve_scenario(*load_instance(tmp_path, raw, rows)[:2])
    need = waiting_needs(result)["P2"]
    # Free land left 10 mu, priced 20 mu at 2 万元 (40 万元 > 5 left): land fits but not the budget.
    assert need.short == pytest.approx({"energy": 20.0})
    assert need.budget == pytest.approx(40.0 - 5.0)


def test_a_project_that_fits_but_does_not_pay(tmp_path):
    quotas = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "sources": [{"id": "linkage", "scope": "city", "amounts": 100, "price": 10}],
        }
    }
    rows = [project_row("P1", land_mu=10, output=50)]
    result = solve_scenario(*load_instance(tmp_path, scenario_dict(quotas=quotas), rows)[:2])
    assert result.allocation[0].reason == "value"
    need = waiting_needs(result)["P1"]
    assert need.fits and need.year == START_YEAR


@pytest.mark.parametrize("seed", range(30))
def test_granting_the_need_lets_the_project_start_then(tmp_path, seed):
    raw, rows = random_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "base", raw, rows)
    result = solve_scenario(scenario, projects)
    if not result.solved:
        return
    needs = waiting_needs(result)
    waiting = [row for row in result.allocation if row.status == "not_selected"]
    assert set(needs) <= {row.id for row in waiting}
    for row in waiting:
        if row.reason in ("value", "budget") or "|" in row.reason or row.reason in raw["quotas"]:
            need = needs[row.id]
            assert (row.reason == "value") == need.fits
            if row.reason == "budget":
                assert not need.short and need.budget > 0
            elif row.reason != "value":
                assert (need.short or need.budget > 0) and set(need.short) <= set(row.reason.split("|"))
    for index, (pid, need) in enumerate(sorted(needs.items())[:2]):
        granted = copy.deepcopy(raw)
        offset = need.year - START_YEAR
        for quota, amount in need.short.items():
            grant = [0.0] * scenario.years
            grant[offset] = amount * (1 + 1e-6) + 1e-6
            granted["quotas"][quota]["sources"].append({"id": "grant", "scope": "city", "amounts": grant})
        granted["objective"]["purchase_budget"] = granted["objective"]["purchase_budget"] + need.budget + 1e-6
        pinned = [dict(r) for r in rows]
        for r in pinned:
            if r["id"] == pid:
                r.update(lock="in", zone=need.zone, earliest_year=need.year)
            elif r["id"] in {a.id for a in result.allocation if a.status == "approved"}:
                approved = next(a for a in result.allocation if a.id == r["id"])
                r.update(lock="in", zone=approved.zone, earliest_year=approved.start_year)
        again = solve_scenario(*load_instance(tmp_path / f"grant{index}", granted, pinned)[:2])
        assert again.solved, (pid, need)
