"""The embedded baseline: it is exactly what the generator writes, it has the work report's land
shortfall, its variants load, and it solves to a proven optimum."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from quota_sim.generate import generate_command, write_generated
from quota_sim.pipeline import solve_scenario
from quota_sim.projects import projects_for
from quota_sim.scenario import Scenario, baseline_path, load_scenario
from quota_sim.shortfall import land_balance

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
# The command documented in docs/baseline.md.
BASELINE_ARGS = {"n_projects": 220, "n_zones": 4, "years": 5, "seed": 4, "start_year": 2026}
VARIANTS = ("land_expanded", "linkage_market", "strict_emissions", "tax_priority")


def _toml(name: str) -> dict:
    return tomllib.loads((SCENARIOS / f"{name}.toml").read_text(encoding="utf-8"))


def _land_balance(scenario: Scenario) -> tuple[float, float]:
    """(demand, supply) in mu per year, as :func:`quota_sim.shortfall.land_balance` defines them."""
    balance = land_balance(scenario, projects_for(scenario))
    return balance.demand, balance.supply


def test_committed_baseline_equals_a_regeneration(tmp_path: Path) -> None:
    toml_path = write_generated(tmp_path, "baseline", **BASELINE_ARGS)
    assert (tmp_path / "baseline_projects.csv").read_bytes() == (
        SCENARIOS / "baseline_projects.csv"
    ).read_bytes()
    assert toml_path.read_bytes() == (SCENARIOS / "baseline.toml").read_bytes()
    header = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8").splitlines()[1]
    assert header.endswith(generate_command("baseline", **BASELINE_ARGS))


def test_baseline_is_the_embedded_scenario() -> None:
    assert baseline_path().resolve() == (SCENARIOS / "baseline.toml").resolve()


def test_baseline_shape() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    projects = projects_for(scenario)
    assert 150 <= len(projects) <= 250
    assert scenario.horizon == [2026, 2027, 2028, 2029, 2030]
    assert len(scenario.zones) == 4
    assert next(z.name for z in scenario.zones if z.id == "tianying") == "田营科技园"
    assert {q.id for q in scenario.quotas} == {
        "land",
        "energy",
        "nox",
        "vocs",
        "cod",
        "lead",
        "forest",
        "farmland",
    }


def test_baseline_land_shortfall_is_about_2000_mu_a_year() -> None:
    scenario = _toml("baseline")
    demand, supply = _land_balance(load_scenario(SCENARIOS / "baseline.toml"))
    assert 1700 <= demand - supply <= 2300
    description = scenario["description"]
    assert description.index("合成数据") < description.index("Synthetic data")
    assert f"demand of {demand:,.0f} mu/yr against a supply of {supply:,.0f} mu/yr" in description
    assert f"需求{demand:,.0f}亩/年" in description and f"供给{supply:,.0f}亩/年" in description


@pytest.mark.parametrize("name", VARIANTS)
def test_variants_load(name: str) -> None:
    variant = load_scenario(SCENARIOS / f"{name}.toml")
    assert variant.name == name
    assert "变体" in variant.description and "Variant of the baseline" in variant.description
    assert variant.projects_path == load_scenario(SCENARIOS / "baseline.toml").projects_path


def test_variants_change_what_they_say() -> None:
    base = load_scenario(SCENARIOS / "baseline.toml")

    def source(scenario, quota: str, source_id: str):
        return next(s for q in scenario.quotas if q.id == quota for s in q.sources if s.id == source_id)

    expanded = load_scenario(SCENARIOS / "land_expanded.toml")
    demand, supply = _land_balance(expanded)
    assert supply >= demand - 5
    market = load_scenario(SCENARIOS / "linkage_market.toml")
    assert source(market, "land", "linkage").amount(None, 0) > source(base, "land", "linkage").amount(None, 0)
    assert source(market, "land", "linkage").price == 20 and market.objective.purchase_budget == 50000
    strict = load_scenario(SCENARIOS / "strict_emissions.toml")
    for quota in ("nox", "vocs"):
        assert source(strict, quota, "allocation").amount(None, 0) == pytest.approx(
            0.6 * source(base, quota, "allocation").amount(None, 0), rel=0.01
        )
    tax = load_scenario(SCENARIOS / "tax_priority.toml")
    assert tax.objective.weights["tax"] > base.objective.weights["tax"]
    assert tax.objective.strategic_bonus > 0


def test_baseline_solves_to_optimal_with_land_binding() -> None:
    result = solve_scenario(load_scenario(baseline_path()))
    assert result.status == "optimal"
    assert result.gap <= result.scenario.solver.gap
    assert result.seconds["solve"] < 30
    used = {(row.quota, row.source): 0.0 for row in result.quota_use}
    available = dict(used)
    for row in result.quota_use:
        used[row.quota, row.source] += row.used
        available[row.quota, row.source] += row.available
    for key in (("land", "plan"), ("energy", "plan"), ("nox", "allocation")):
        assert used[key] == pytest.approx(available[key], rel=1e-6)
    statuses = [row.status for row in result.allocation]
    assert statuses.count("approved") < statuses.count("not_selected")
