"""The model's optimum equals exhaustive enumeration on many tiny random instances.

Each seeded instance is solved by ``solve_scenario`` (solver gap 0, so ``optimal`` means exact) and by
``tests.bruteforce``; the objectives must agree (or both be infeasible), and the written outputs must
pass the independent validator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quota_sim.export import write_outputs
from quota_sim.pipeline import solve_scenario
from quota_sim.verify import verify_outputs
from tests.bruteforce import BruteForceOptimum, brute_force
from tests.instances import START_YEAR, load_instance, random_instance, random_sites_instance
from tests.solvers import INSTALLED_SOLVERS

SEEDS = range(48)


def _features(scenario: dict[str, Any], rows: list[dict[str, Any]]) -> set[str]:
    """What an instance exercises, to check that the seeded set covers every rule."""
    found = set()
    for zone in scenario["zones"]:
        screens = {"min_investment_intensity", "min_tax_per_mu"} & set(zone)
        found.add({0: "no screen", 1: "one screen", 2: "either/or screen"}[len(screens)])
    quotas = scenario["quotas"]
    found.add(f"{len(quotas)} quotas")
    for quota in quotas.values():
        found.add("carry-over" if quota.get("carry_over", True) else "no carry-over")
        if quota.get("ratio", 1.0) != 1.0:
            found.add("ratio")
        for source in quota["sources"]:
            found.add(f"{source['scope']} source")
            if source.get("price", 0):
                found.add("price")
    objective = scenario["objective"]
    if objective["purchase_budget"] < 1e29:
        found.add("budget")
    for key, label in (
        ("relocation_penalty", "relocation"),
        ("discount_rate", "discounting"),
        ("strategic_bonus", "strategic"),
    ):
        if objective[key]:
            found.add(label)
    for row in rows:
        if "|" in row["zone"]:
            found.add("multi-zone")
        if row["earliest_year"] and int(row["earliest_year"]) > START_YEAR:
            found.add("earliest year")
        if row["lock"]:
            found.add(f"lock {row['lock']}")
        if row["ramp_years"]:
            found.add("ramp")
    return found


def test_the_seeds_cover_every_rule() -> None:
    covered: set[str] = set()
    for seed in SEEDS:
        covered |= _features(*random_instance(seed))
    assert covered >= {
        "no screen",
        "one screen",
        "either/or screen",
        "1 quotas",
        "2 quotas",
        "3 quotas",
        "carry-over",
        "no carry-over",
        "ratio",
        "city source",
        "zone source",
        "price",
        "budget",
        "relocation",
        "discounting",
        "strategic",
        "multi-zone",
        "earliest year",
        "lock in",
        "lock out",
        "ramp",
    }


OTHER_SEEDS = range(16)  # CBC and SCIP are slower to start; a third of the seeds check each of them
_optima: dict[int, BruteForceOptimum | None] = {}


@pytest.mark.parametrize(
    ("seed", "solver"),
    [(seed, s) for s in INSTALLED_SOLVERS for seed in (SEEDS if s == "highs" else OTHER_SEEDS)],
)
def test_model_matches_exhaustive_search(seed: int, solver: str, tmp_path: Path) -> None:
    scenario_raw, rows = random_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "input", scenario_raw, rows)
    if seed not in _optima:
        _optima[seed] = brute_force(scenario, projects)
    best = _optima[seed]
    result = solve_scenario(scenario, projects, solver=solver)
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-6)
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


SITE_SEEDS = range(40)


def _site_features(
    scenario: dict[str, Any], rows: list[dict[str, Any]], sites: list[dict[str, Any]]
) -> set[str]:
    found = set()
    if any("industries" in zone for zone in scenario["zones"]):
        found.add("admission list")
    if "site_classes" in scenario["quotas"]["land"]:
        found.add("land on site classes")
    if any(site["ready_year"] for site in sites):
        found.add("ready year")
    if any(site["forest_mu"] for site in sites):
        found.add("forest on a site")
    if any(row["site"] for row in rows):
        found.add("named site")
    if any(row["latest_year"] for row in rows):
        found.add("latest year")
    if scenario["objective"]["relocation_penalty"]:
        found.add("relocation")
    if sum(row["land_mu"] for row in rows) > min(site["area_mu"] for site in sites):
        found.add("sites can fill")
    return found


def test_the_site_seeds_cover_every_site_rule() -> None:
    covered: set[str] = set()
    for seed in SITE_SEEDS:
        covered |= _site_features(*random_sites_instance(seed))
    assert covered >= {
        "admission list",
        "land on site classes",
        "ready year",
        "forest on a site",
        "named site",
        "latest year",
        "relocation",
        "sites can fill",
    }


@pytest.mark.parametrize("seed", SITE_SEEDS)
def test_model_with_sites_matches_exhaustive_search(seed: int, tmp_path: Path) -> None:
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "input", scenario_raw, rows, sites)
    assert_matches_exhaustive_search(scenario, projects, tmp_path / "out")


def assert_matches_exhaustive_search(scenario, projects, out: Path) -> None:
    """The model's plan is optimal (its objective that of exhaustive search, or infeasible when no plan
    fits) and its outputs, written to ``out``, pass the independent validator."""
    best = brute_force(scenario, projects)
    result = solve_scenario(scenario, projects)
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-6)
    write_outputs(result, out)
    assert verify_outputs(scenario, projects, out) == []
