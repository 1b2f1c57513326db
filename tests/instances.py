"""Small scenarios and project queues written to a directory as TOML + CSV, and loaded back.

Tests describe a scenario as the plain dictionary of its TOML file and the queue as a list of rows;
:func:`write_instance` puts both on disk (so the CLI and the loaders see exactly what a planner's files
would hold) and :func:`load_instance` reads them with the library's own loaders.
:func:`random_instance` draws tiny seeded instances for exhaustive checking, and
:func:`knapsack_instance` maps a published multidimensional knapsack problem onto a scenario.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from quota_sim.projects import Projects, projects_for
from quota_sim.scenario import Scenario, load_scenario

START_YEAR = 2026
PROJECT_COLUMNS = (
    "id",
    "name",
    "zone",
    "land_mu",
    "investment",
    "output",
    "tax",
    "jobs",
    "strategic",
    "earliest_year",
    "ramp_years",
    "lock",
)


def scenario_dict(
    *,
    years: int = 1,
    zones: list[dict[str, Any]] | None = None,
    quotas: dict[str, dict[str, Any]] | None = None,
    objective: dict[str, Any] | None = None,
    name: str = "case",
) -> dict[str, Any]:
    """A scenario TOML dictionary with test defaults.

    Defaults: one zone ``a`` without screens; a ``land`` quota (demand ``land_mu``) with one city
    source of 100 mu a year; weights ``{output = 1}``, no discounting, one appraisal year; solver
    HiGHS with gap 0 so that ``optimal`` means exact.
    """
    base_objective: dict[str, Any] = {"weights": {"output": 1.0}, "discount_rate": 0.0, "appraisal_years": 1}
    base_objective.update(objective or {})
    return {
        "name": name,
        "projects": "projects.csv",
        "start_year": START_YEAR,
        "years": years,
        "zones": zones if zones is not None else [{"id": "a", "name": "Zone A"}],
        "quotas": quotas
        if quotas is not None
        else {
            "land": {
                "unit": "mu",
                "demand": "land_mu",
                "sources": [{"id": "plan", "scope": "city", "amounts": 100}],
            }
        },
        "objective": base_objective,
        "solver": {"name": "highs", "time_limit": 60, "gap": 0.0, "seed": 0},
    }


def project_row(pid: str, **fields: Any) -> dict[str, Any]:
    """A projects-table row: zone ``a``, 10 mu, 1000 万元 investment, output 100 万元/yr unless given."""
    row: dict[str, Any] = {
        "id": pid,
        "name": pid,
        "zone": "a",
        "land_mu": 10,
        "investment": 1000,
        "output": 100,
    }
    row.update(fields)
    return row


SITE_COLUMNS = ("id", "name", "zone", "area_mu", "ready_year")


def write_table(path: Path, rows: list[dict[str, Any]], first: tuple[str, ...] = ()) -> None:
    """Write ``rows`` as a UTF-8 CSV: the ``first`` columns any row has, then the others sorted."""
    extra = sorted({key for row in rows for key in row} - set(first))
    columns = [c for c in first if any(c in row for row in rows)] + extra
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_instance(
    directory: Path,
    scenario: dict[str, Any],
    rows: list[dict[str, Any]],
    sites: list[dict[str, Any]] | None = None,
) -> Path:
    """Write ``projects.csv``, ``sites.csv`` (when ``sites`` is given: the scenario's ``sites`` key is
    set to it) and ``<name>.toml`` into ``directory``; return the TOML path."""
    directory.mkdir(parents=True, exist_ok=True)
    if sites is not None:
        scenario = {**scenario, "sites": scenario.get("sites", "sites.csv")}
        write_table(directory / scenario["sites"], sites, SITE_COLUMNS)
    write_table(directory / scenario["projects"], rows, PROJECT_COLUMNS)
    path = directory / f"{scenario['name']}.toml"
    path.write_text(tomli_w.dumps(scenario), encoding="utf-8")
    return path


def load_instance(
    directory: Path,
    scenario: dict[str, Any],
    rows: list[dict[str, Any]],
    sites: list[dict[str, Any]] | None = None,
) -> tuple[Scenario, Projects, Path]:
    """Write the instance and load it with the library's loaders: (scenario, projects, TOML path)."""
    path = write_instance(directory, scenario, rows, sites)
    loaded = load_scenario(path)
    return loaded, projects_for(loaded), path


def _amounts(rng: random.Random, years: int, level: float) -> list[float] | float:
    if rng.random() < 0.3:
        return round(level)
    return [round(level * rng.uniform(0.3, 1.6)) for _ in range(years)]


def random_instance(seed: int, max_assignments: int = 1500) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A tiny random instance (<= 6 projects, <= 2 zones, <= 3 years): scenario dictionary and rows.

    Covers screens (none, one, both), multi-zone candidates, earliest years, locks, city and zone
    sources, carry-over on and off, ratios other than 1, priced sources with a budget, relocation
    penalty, ramps, discounting, strategic bonus and up to three quotas. The number of assignments
    (product over projects of the placements allowed) stays within ``max_assignments``.
    """
    rng = random.Random(seed)
    years = rng.randint(1, 3)
    zone_ids = ["a", "b"][: rng.randint(1, 2)]
    zones = []
    for zid in zone_ids:
        zone: dict[str, Any] = {"id": zid, "name": f"Zone {zid}"}
        screen = rng.choice(["none", "investment", "tax", "both"])
        if screen in ("investment", "both"):
            zone["min_investment_intensity"] = rng.choice([150, 200, 300])
        if screen in ("tax", "both"):
            zone["min_tax_per_mu"] = rng.choice([10, 15, 20])
        zones.append(zone)

    rows: list[dict[str, Any]] = []
    assignments = 1
    for i in range(rng.randint(3, 6)):
        land = rng.randint(5, 40)
        candidates = rng.sample(zone_ids, len(zone_ids) if rng.random() < 0.7 else 1)
        earliest = rng.choice(["", "", START_YEAR - 1] + [START_YEAR + t for t in range(years)])
        first = max(0, int(earliest or START_YEAR) - START_YEAR)
        options = 1 + len(candidates) * (years - first)
        if assignments * options > max_assignments:
            break
        assignments *= options
        row: dict[str, Any] = {
            "id": f"p{i + 1}",
            "name": f"Project {i + 1}",
            "zone": "|".join(candidates),
            "land_mu": land,
            "investment": round(land * rng.uniform(80, 400)),
            "output": round(rng.uniform(20, 400), 1),
            "tax": round(land * rng.uniform(2, 30), 1),
            "jobs": rng.randint(0, 200),
            "strategic": rng.choice(["1", "0", "", "yes"]),
            "earliest_year": earliest,
            "ramp_years": rng.choice([0, 0, 1, 2]),
            "lock": "",
            "energy_tce": round(rng.uniform(0, 300)),
            "nox_t": rng.choice(["", round(rng.uniform(0, 8), 2)]),
        }
        lock_draw = rng.random()
        if lock_draw < 0.08:
            row["lock"] = "out"
        elif lock_draw < 0.14:
            # Locked-in projects pass every screen and may start in the first year.
            row.update(lock="in", earliest_year="", investment=land * 500, tax=land * 40)
        rows.append(row)

    total_land = sum(r["land_mu"] for r in rows)
    total_energy = sum(r["energy_tce"] for r in rows)
    quotas: dict[str, dict[str, Any]] = {}
    land_sources: list[dict[str, Any]] = [
        {"id": "plan", "scope": "city", "amounts": _amounts(rng, years, total_land * rng.uniform(0.2, 0.45))}
    ]
    if rng.random() < 0.7:
        # Uneven stock land: one zone's stock may be plentiful while the other has none.
        land_sources.append(
            {
                "id": "stock",
                "scope": "zone",
                "amounts": {
                    z: _amounts(rng, years, total_land * rng.choice([0.0, 0.2, 0.5])) for z in zone_ids
                },
            }
        )
    if rng.random() < 0.6:
        land_sources.append(
            {
                "id": "linkage",
                "scope": "city",
                "amounts": round(total_land * 0.3),
                "price": rng.choice([2, 8, 20]),
            }
        )
    quotas["land"] = {
        "unit": "mu",
        "demand": "land_mu",
        "carry_over": rng.random() < 0.6,
        "sources": land_sources,
    }
    if rng.random() < 0.6:
        quotas["energy"] = {
            "unit": "tce",
            "demand": "energy_tce",
            "ratio": rng.choice([1.0, 1.5]),
            "carry_over": rng.random() < 0.5,
            "sources": [
                {"id": "provincial", "scope": "city", "amounts": _amounts(rng, years, total_energy * 0.4)},
                {"id": "rights", "scope": "city", "amounts": round(total_energy * 0.2) + 1, "price": 0.3},
            ],
        }
    if rng.random() < 0.4:
        quotas["nox"] = {
            "unit": "t",
            "demand": "nox_t",
            "ratio": 2.0,
            "carry_over": rng.random() < 0.5,
            "sources": [
                {"id": "reduction", "scope": "zone", "amounts": {zone_ids[0]: _amounts(rng, years, 6)}}
            ],
        }
    objective = {
        "weights": {
            "output": rng.choice([1.0, 1.0, 0.5]),
            "tax": rng.choice([0.0, 1.0]),
            "investment": rng.choice([0.0, 0.0, 0.05]),
            "jobs": rng.choice([0.0, 0.1]),
        },
        "strategic_bonus": rng.choice([0.0, 0.2]),
        "discount_rate": rng.choice([0.0, 0.06, 0.1]),
        "appraisal_years": rng.randint(1, 5),
        "relocation_penalty": rng.choice([0.0, 0.1, 0.3, 0.6]),
        "purchase_budget": rng.choice([1e30, round(rng.uniform(5, 80))]),
    }
    scenario = scenario_dict(
        years=years, zones=zones, quotas=quotas, objective=objective, name=f"random{seed}"
    )
    return scenario, rows


@dataclass(frozen=True)
class KnapsackProblem:
    """One multidimensional 0-1 knapsack problem in OR-Library form: maximise profit under m capacities."""

    name: str
    profits: list[float]
    weights: list[list[float]]  # m rows of n weights
    capacities: list[float]
    optimum: float  # the value in the problem header (0 when not given)


def read_knapsack_file(path: Path, set_name: str | None = None) -> list[KnapsackProblem]:
    """Read an OR-Library ``mknap1`` / ``mknapcb*`` file: K, then per problem n m value, profits,
    m rows of weights, m capacities (whitespace separated). Problems are named ``<set>_<index>``."""
    tokens = path.read_text(encoding="ascii").split()
    label = set_name or path.stem
    count, position = int(tokens[0]), 1
    problems = []
    for index in range(1, count + 1):
        n, m, optimum = int(tokens[position]), int(tokens[position + 1]), float(tokens[position + 2])
        position += 3
        numbers = [float(t) for t in tokens[position : position + n + m * n + m]]
        position += n + m * n + m
        profits = numbers[:n]
        weights = [numbers[n + i * n : n + (i + 1) * n] for i in range(m)]
        problems.append(KnapsackProblem(f"{label}_{index}", profits, weights, numbers[n + m * n :], optimum))
    return problems


def knapsack_instance(problem: KnapsackProblem) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The knapsack problem as a scenario: one zone, one year, one quota per constraint (demand column
    ``c<i>``, one city source holding the capacity), land 1 mu per item with no land quota, profits as
    output, weights ``{output = 1}``, one appraisal year, no discounting. Its optimum is the knapsack's."""
    quotas = {
        f"k{i + 1}": {
            "unit": "unit",
            "demand": f"c{i + 1}",
            "sources": [{"id": "capacity", "scope": "city", "amounts": capacity}],
        }
        for i, capacity in enumerate(problem.capacities)
    }
    rows = []
    for j, profit in enumerate(problem.profits):
        row: dict[str, Any] = {
            "id": f"item{j + 1}",
            "zone": "z",
            "land_mu": 1,
            "investment": 0,
            "output": profit,
        }
        row.update({f"c{i + 1}": weights[j] for i, weights in enumerate(problem.weights)})
        rows.append(row)
    scenario = scenario_dict(zones=[{"id": "z", "name": "Knapsack"}], quotas=quotas, name=problem.name)
    return scenario, rows


def hard_knapsack(
    directory: Path, n: int = 120, m: int = 5, seed: int = 3, zones: int = 1
) -> tuple[Scenario, Projects]:
    """A correlated multidimensional knapsack: hard enough that 0.2 s cannot prove optimality. With
    ``zones`` > 1, every project may go to any of that many alike zones (the quotas are city-wide): the
    same optimum, several placements per project (the start plan's route, not HiGHS alone)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 1000, size=(m, n))
    profits = weights.sum(axis=0) / m + rng.integers(0, 500, size=n)
    quotas = {
        f"c{i}": {
            "demand": f"c{i}",
            "sources": [{"id": "cap", "scope": "city", "amounts": float(weights[i].sum() / 2)}],
        }
        for i in range(m)
    }
    rows = [
        project_row(
            f"P{j:03d}",
            zone="|".join(ZONE_IDS[:zones]),
            land_mu=1,
            output=float(profits[j]),
            **{f"c{i}": int(weights[i, j]) for i in range(m)},
        )
        for j in range(n)
    ]
    scenario = scenario_dict(quotas=quotas, zones=alike_zones(zones))
    scenario, projects, _ = load_instance(directory, scenario, rows)
    return scenario, projects


ZONE_IDS = "abcdefgh"


def alike_zones(count: int) -> list[dict[str, Any]]:
    """``count`` zones ``a``, ``b``, ... without screens (``count`` 1: the default zone ``a``)."""
    return [{"id": z, "name": f"Zone {z.upper()}"} for z in ZONE_IDS[:count]]


def random_sites_instance(
    seed: int, max_assignments: int = 3000
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """A tiny random instance with sites (SPEC §5): scenario dictionary, project rows and site rows.

    Up to 2 zones (one may have an admission list), 2-4 sites with ready years and land classes
    (construction, cropland, forest), a land quota charging the non-construction classes or the
    whole site, a forest quota charging the forest on the site, projects naming candidate sites or
    none, latest years, locks and the relocation penalty. The number of assignments stays within
    ``max_assignments``.
    """
    rng = random.Random(10_000 + seed)
    years = rng.randint(1, 3)
    zone_ids = ["a", "b"][: rng.randint(1, 2)]
    industries = ["lead", "plastics", ""]
    zones: list[dict[str, Any]] = [{"id": z, "name": f"Zone {z}"} for z in zone_ids]
    if rng.random() < 0.4:
        zones[-1]["industries"] = ["lead"]
    if rng.random() < 0.3:
        zones[0]["min_tax_per_mu"] = rng.choice([5, 15])
    sites = []
    for k in range(rng.randint(2, 4)):
        area = rng.choice([15, 20, 30, 45])
        forest = rng.choice([0, 0, round(area * rng.uniform(0.1, 0.5))])
        cropland = rng.choice([0, round((area - forest) * rng.uniform(0.2, 0.8))])
        site = {
            "id": f"s{k + 1}",
            "zone": zone_ids[k % len(zone_ids)],
            "area_mu": area,
            "ready_year": rng.choice(["", "", START_YEAR + rng.randrange(years + 1)]),
            "construction_mu": area - forest - cropland if rng.random() < 0.7 else "",
            "cropland_mu": cropland,
            "forest_mu": forest,
        }
        sites.append(site)
    rows: list[dict[str, Any]] = []
    assignments = 1
    for i in range(rng.randint(3, 5)):
        land = rng.choice([5, 10, 15, 20, 25])
        candidates = rng.sample(zone_ids, len(zone_ids) if rng.random() < 0.7 else 1)
        in_zones = [s["id"] for s in sites if s["zone"] in candidates]
        named = rng.sample(in_zones, min(len(in_zones), rng.randint(1, 2))) if rng.random() < 0.4 else []
        options = 1 + (len(named) or len(in_zones)) * years
        if assignments * options > max_assignments:
            break
        assignments *= options
        earliest = rng.choice(["", "", START_YEAR + rng.randrange(years)])
        latest = rng.choice(["", "", int(earliest or START_YEAR) + rng.randrange(2)])
        row: dict[str, Any] = {
            "id": f"p{i + 1}",
            "zone": "|".join(candidates),
            "industry": rng.choice(industries),
            "land_mu": land,
            "investment": land * 300,
            "output": round(rng.uniform(20, 400), 1),
            "tax": round(land * rng.uniform(2, 30), 1),
            "earliest_year": earliest,
            "latest_year": latest,
            "site": "|".join(named),
            "energy_tce": rng.choice([0, round(rng.uniform(0, 100))]),
        }
        if rng.random() < 0.1:
            row["lock"] = "out"
        rows.append(row)
    total_land = sum(r["land_mu"] for r in rows)
    land_classes = rng.choice([["cropland", "forest"], []])
    quotas: dict[str, dict[str, Any]] = {
        "land": {
            "unit": "mu",
            "demand": "land_mu",
            "carry_over": rng.random() < 0.7,
            "sources": [
                {
                    "id": "plan",
                    "scope": "city",
                    "amounts": _amounts(rng, years, total_land * rng.uniform(0.1, 0.4)),
                },
                {"id": "stock", "scope": "zone", "amounts": {zone_ids[0]: round(total_land * 0.1)}},
            ],
        },
        "forest": {
            "unit": "mu",
            "demand": "land_mu",
            "site_classes": ["forest"],
            "sources": [
                {
                    "id": "adjust",
                    "scope": "city",
                    "amounts": rng.choice([0, 3, 8]),
                    "price": rng.choice([0, 2]),
                }
            ],
        },
    }
    if land_classes:
        quotas["land"]["site_classes"] = land_classes
    if rng.random() < 0.5:
        quotas["energy"] = {
            "unit": "tce",
            "demand": "energy_tce",
            "sources": [{"id": "provincial", "scope": "city", "amounts": 80}],
        }
    objective = {
        "weights": {"output": 1.0, "tax": rng.choice([0.0, 1.0])},
        "discount_rate": rng.choice([0.0, 0.08]),
        "appraisal_years": rng.randint(1, 3),
        "relocation_penalty": rng.choice([0.0, 0.2, 0.5]),
        "purchase_budget": rng.choice([1e30, 5.0]),
    }
    scenario = scenario_dict(
        years=years, zones=zones, quotas=quotas, objective=objective, name=f"sites{seed}"
    )
    return scenario, rows, sites


def hidden_row_workbook(rows: int) -> bytes:
    """The baseline's first ``rows`` projects as an XLSX workbook whose third row (a project) is hidden."""
    import io

    from openpyxl import Workbook

    from quota_sim.scenario import baseline_path

    text = (Path(baseline_path()).parent / "baseline_projects.csv").read_text(encoding="utf-8")
    book = Workbook()
    for number, cells in enumerate(csv.reader(io.StringIO(text))):
        if number > rows:
            break
        book.active.append([_number_or_text(cell) for cell in cells] if number else cells)
    book.active.row_dimensions[3].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text
