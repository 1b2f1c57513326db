"""The embedded baseline: it is exactly what the generator writes, it has the work report's land
shortfall every year, its parcels, admission lists and signed projects look like the zone's, its
variants load, and it solves to a proven optimum with land, lead and forest binding, COD used and
forest and farmland charged from the parcels."""

from __future__ import annotations

import csv
import shutil
import tomllib
from pathlib import Path

import pytest

from quota_sim.analysis.marginal import lp_dual_values, relaxation_of
from quota_sim.generate import generate_command, generated_kind, write_generated
from quota_sim.output_set import read_trusted
from quota_sim.pipeline import solve
from quota_sim.projects import projects_for
from quota_sim.scenario import baseline_path, load_scenario
from quota_sim.shortfall import land_balance

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
# The command documented in docs/baseline.md.
BASELINE_ARGS = {"n_projects": 220, "n_zones": 4, "years": 5, "seed": 4, "start_year": 2026}
VARIANTS = ("land_expanded", "linkage_market", "strict_emissions", "tax_priority", "plan_adjustment")


def _toml(name: str) -> dict:
    return tomllib.loads((SCENARIOS / f"{name}.toml").read_text(encoding="utf-8"))


def _balance(name: str):
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    return land_balance(scenario, projects_for(scenario))


def test_committed_baseline_equals_a_regeneration(tmp_path: Path) -> None:
    toml_path = write_generated(tmp_path, "baseline", **BASELINE_ARGS)
    for name in ("baseline_projects.csv", "baseline_sites.csv", "baseline.toml"):
        assert (tmp_path / name).read_bytes() == (SCENARIOS / name).read_bytes(), name
    assert toml_path == tmp_path / "baseline.toml"
    header = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8").splitlines()[1]
    assert header.endswith(generate_command("baseline", **BASELINE_ARGS))


def test_committed_baseline_is_listed_in_its_generator_manifest(tmp_path: Path) -> None:
    """The documented command regenerates ``scenarios/`` in place: the shipped manifest lists the three
    files with their contents, and regenerating keeps the variants beside them."""
    names = ("baseline_projects.csv", "baseline_sites.csv", "baseline.toml")
    for name in names:
        listed = read_trusted(SCENARIOS, generated_kind("baseline"), name)
        assert listed == (SCENARIOS / name).read_bytes(), name
    copy = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, copy)
    write_generated(copy, "baseline", **BASELINE_ARGS)
    for path in SCENARIOS.iterdir():
        assert (copy / path.name).read_bytes() == path.read_bytes(), path.name


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
        "land", "cropland", "energy", "nox", "vocs", "cod", "lead", "labour",
        "forest", "public_forest", "farmland",
    }


def test_baseline_parcels_and_admission() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    sites, projects = scenario.sites, projects_for(scenario)
    assert sites is not None and 40 <= len(sites) <= 120
    # Parcels of about the size Anhui supplies (≈ 71 mu), with a spread.
    assert 60 <= float(sites.area_mu.mean()) <= 130 and sites.area_mu.min() < 40 and sites.area_mu.max() > 200
    for name in ("construction", "cropland", "basic_farmland", "commercial_forest", "public_forest"):
        assert (sites.classes[name] > 0).sum() >= 3, name
    assert (sites.ready_year > scenario.start_year).sum() >= 10  # some parcels are only ready later
    land = next(q for q in scenario.quotas if q.id == "land")
    assert "construction" not in land.site_classes and len(land.site_classes) == len(sites.classes) - 1
    # Recycled lead only where the planning EIA allows it.
    admitting = [z.id for z in scenario.zones if "再生铅" in z.industries]
    assert admitting == ["tianying"]
    signed = [i for i, lock in enumerate(projects.lock) if lock == "in"]
    assert signed and all(projects.sites[i] and projects.latest_year[i] for i in signed)


def test_baseline_land_shortfall_recurs_at_about_2000_mu_every_year() -> None:
    balance = _balance("baseline")
    assert balance.years == (2026, 2027, 2028, 2029, 2030)
    for year, short in zip(balance.years, balance.shortfall_by_year, strict=True):
        assert 1700 <= short <= 2300, year
    # Not a backlog spread over the horizon: every year a cohort of about the same land becomes ready.
    assert max(balance.demand_by_year) <= 1.1 * min(balance.demand_by_year)
    description = _toml("baseline")["description"]
    assert description.index("合成数据") < description.index("Synthetic data")
    yearly = zip(balance.years, balance.demand_by_year, balance.supply_by_year, strict=True)
    for year, demand, supply in yearly:
        short = demand - supply
        assert f"{year}: demand {demand:,.0f}, supply {supply:,.0f}, shortfall {short:,.0f} mu" in description
        assert f"{year}年需求{demand:,.0f}亩、供给{supply:,.0f}亩、缺口{short:,.0f}亩" in description
    average = f"demand of {balance.demand:,.0f} mu/yr against a supply of {balance.supply:,.0f} mu/yr"
    assert average in description


def test_baseline_lead_is_replaced_by_reduction_and_carried_by_lead_industries() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    lead = next(q for q in scenario.quotas if q.id == "lead")
    assert lead.ratio > 1
    with open(SCENARIOS / "baseline_projects.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["industry"] for row in rows if row["lead_t"]} == {"再生铅", "铅蓄电池"}
    assert {row["industry"] for row in rows if row["cod_t"]} >= {"再生塑料", "铅蓄电池", "生物基可降解材料"}


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

    expanded = _balance("land_expanded")
    assert all(short <= 0 for short in expanded.shortfall_by_year)
    market = load_scenario(SCENARIOS / "linkage_market.toml")
    linkage = source(market, "land", "linkage").amount(None, 0)
    assert linkage > source(base, "land", "linkage").amount(None, 0)
    assert source(market, "land", "linkage").price == 20 and market.objective.purchase_budget == 100000
    strict = load_scenario(SCENARIOS / "strict_emissions.toml")
    for quota in ("nox", "vocs"):
        assert source(strict, quota, "allocation").amount(None, 0) == pytest.approx(
            0.6 * source(base, quota, "allocation").amount(None, 0), rel=0.01
        )
    tax = load_scenario(SCENARIOS / "tax_priority.toml")
    assert tax.objective.weights["tax"] > base.objective.weights["tax"]
    assert tax.objective.strategic_bonus > 0
    adjusted = load_scenario(SCENARIOS / "plan_adjustment.toml")
    release = [source(adjusted, "farmland", "adjustment").amount(None, t) for t in range(adjusted.years)]
    assert release[:2] == [0, 0] and min(release[2:]) > 0  # basic farmland released in later years
    assert sum(release) >= float(base.sites.classes["basic_farmland"].sum())
    assert sum(source(base, "farmland", "adjustment").amount(None, t) for t in range(base.years)) == 0


def _used(result) -> tuple[dict, dict]:
    used = {(row.quota, row.source): 0.0 for row in result.quota_use}
    available = dict(used)
    for row in result.quota_use:
        used[row.quota, row.source] += row.used
        available[row.quota, row.source] += row.available
    return used, available


def test_baseline_solves_to_optimal_with_land_lead_and_forest_binding_and_cod_used() -> None:
    scenario = load_scenario(baseline_path())
    projects = projects_for(scenario)
    solved = solve(scenario, projects)
    result = solved.result
    assert result.status == "optimal"
    assert result.gap <= result.scenario.solver.gap
    assert result.seconds["solve"] < 30
    used, available = _used(result)
    for key in (("land", "plan"), ("lead", "reduction")):
        assert used[key] == pytest.approx(available[key], rel=1e-6), key
    assert used["cod", "allocation"] > 0.5 * available["cod", "allocation"]
    assert used["labour", "pool"] > 0 and used["cropland", "market"] > 0
    # One more unit of land, lead or forest quota is worth something: they bind, not only fill up.
    relaxation = relaxation_of(solved.model, scenario.solver)
    assert relaxation is not None
    duals = lp_dual_values(solved.model, relaxation)
    assert duals["land"] > 0 and duals["lead"] > 0 and duals["forest"] > 0
    statuses = [row.status for row in result.allocation]
    assert statuses.count("approved") < statuses.count("not_selected")
    # Forest and farmland are charged from the parcel a project is placed on, not carried by it.
    sites = scenario.sites
    approved = [row for row in result.allocation if row.status == "approved"]
    assert all(row.site for row in approved)
    land = dict(zip(projects.ids, projects.land_mu, strict=True))
    forest_share = dict(zip(sites.ids, sites.share(("commercial_forest",)), strict=True))
    for row in approved:
        assert row.charged["forest"] == pytest.approx(land[row.id] * forest_share[row.site])
        assert row.charged["farmland"] == 0 and row.charged["public_forest"] == 0
    assert sum(row.charged["forest"] > 0 for row in approved) >= 3
    blocking = sites.share(("basic_farmland", "public_forest"))
    blocked = {site for site, share in zip(sites.ids, blocking, strict=True) if share > 0}
    assert not {row.site for row in approved} & blocked


def test_plan_adjustment_places_projects_on_released_basic_farmland() -> None:
    scenario = load_scenario(SCENARIOS / "plan_adjustment.toml")
    result = solve(scenario).result
    assert result.status == "optimal"
    approved = [row for row in result.allocation if row.status == "approved"]
    on_farmland = [row for row in approved if row.charged["farmland"] > 0]
    assert on_farmland and all(row.start_year >= 2028 for row in on_farmland)
    used, available = _used(result)
    assert 0 < used["farmland", "adjustment"] <= available["farmland", "adjustment"] + 1e-6
