"""Sites (SPEC §5): what parcels cost the model, measured on generated scenarios.

Two cases, each in a fresh process so that its peak memory is its own:

- ``compare``: the embedded baseline (with its parcels) against the same projects without sites (no
  sites table, no ``site_classes``, the ``site`` column left out); prints load, build and solve
  seconds, the model's size, the objective and its gaps of each;
- ``scale``: 5,000 generated projects x 300 sites (:func:`write_sites`) x 5 years, the projects
  naming 1-3 candidate sites each and naming none (any site of their parks: the largest model);
  prints the build seconds (target <= 3 s), the LP relaxation bound, the tightest bound proven (the
  LP's or the solver's: HiGHS's dual bound or the pattern master's), the objective and its gap to
  that bound after the time limit (target <= 1 % after 60 s), the solve's wall time (target: within
  about 1 s of the limit), the peak resident memory (target <= 2 GB) and the load average.

    .venv/bin/python bench/bench_sites.py [--case compare|scale|all] [--only none|named|any] [--time-limit 60]
        [--gap 0]

``--only`` runs one of the three ``scale`` queues (each takes a minute or more on its own). ``--gap``
sets the relative gap the solves stop at (default: the scenario's, 1 % on the generated queues); with
``--gap 0`` the any-site queue's plan shows how far it gets in the time limit.

The sites layer (:func:`write_sites`) is drawn from a seed: per park a share of the sites, areas
from 10 to 600 mu (log-uniform), construction land on most of each site and, on some, cropland,
basic farmland, public-welfare and commercial forest; a fifth only ready in a later year. The land
quota then charges only the non-construction classes of the chosen site, and a ``public_forest``
quota with no supply blocks public-welfare forest.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from quota_sim.generate import write_generated
from quota_sim.model import build_model
from quota_sim.projects import projects_for
from quota_sim.scenario import baseline_path, load_scenario, read_scenario_dict
from quota_sim.solve import relative_gap, solve_model

CLASSES = ("construction", "cropland", "basic_farmland", "public_forest", "commercial_forest")


def write_sites(toml_path: Path, n_sites: int, seed: int, named: int = 0) -> Path:
    """Add a seeded sites layer to a generated scenario; return the new scenario (``<name>_sites.toml``).

    ``named`` > 0: every project not locked in names up to that many candidate sites in its parks that
    are large enough for it (none where there is no such site), as planners' proposed sites; 0 leaves
    the ``site`` column out (any site).
    """
    raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed)
    zones = [zone["id"] for zone in raw["zones"]]
    start, years = raw["start_year"], raw["years"]
    rows = []
    for k in range(n_sites):
        area = float(np.round(np.exp(rng.uniform(np.log(10), np.log(600))), 1))
        shares = np.zeros(len(CLASSES))
        shares[0] = rng.uniform(0.4, 1.0)
        others = rng.dirichlet(np.ones(len(CLASSES) - 1)) * (1 - shares[0])
        keep = rng.random(len(CLASSES) - 1) < np.array([0.5, 0.2, 0.08, 0.2])
        shares[1:] = others * keep
        ready = int(start + rng.integers(1, years)) if years > 1 and rng.random() < 0.2 else ""
        row = {"id": f"S{k + 1:03d}", "zone": zones[k % len(zones)], "area_mu": area, "ready_year": ready}
        for name, share in zip(CLASSES, shares, strict=True):
            row[f"{name}_mu"] = float(np.round(area * share, 1))
        excess = sum(row[f"{name}_mu"] for name in CLASSES) - area
        row["construction_mu"] = round(row["construction_mu"] - max(0.0, excess), 1)
        rows.append(row)
    suffix = f"_layer{n_sites}" + (f"_named{named}" if named else "")
    sites_path = toml_path.with_name(f"{toml_path.stem}{suffix}.csv")
    with sites_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if named:
        projects_path = toml_path.with_name(raw["projects"])
        with projects_path.open(encoding="utf-8", newline="") as handle:
            projects = list(csv.DictReader(handle))
        for project in projects:
            zones_of = project["zone"].split("|")
            fitting = [
                r["id"] for r in rows if r["zone"] in zones_of and r["area_mu"] >= float(project["land_mu"])
            ]
            count = min(len(fitting), int(rng.integers(1, named + 1))) if project["lock"] != "in" else 0
            project["site"] = "|".join(str(site) for site in rng.choice(fitting, size=count, replace=False))
        projects_path = toml_path.with_name(f"{toml_path.stem}{suffix}_projects.csv")
        with projects_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(projects[0]))
            writer.writeheader()
            writer.writerows(projects)
        raw["projects"] = projects_path.name
    raw["name"] = f"{raw['name']}{suffix}"
    raw["sites"] = sites_path.name
    raw["quotas"]["land"]["site_classes"] = [name for name in CLASSES if name != "construction"]
    raw["quotas"]["public_forest"] = {
        "unit": "mu",
        "demand": "land_mu",
        "site_classes": ["public_forest"],
        "sources": [{"id": "adjustment", "scope": "city", "amounts": 0}],
    }
    path = toml_path.with_name(f"{toml_path.stem}{suffix}.toml")
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def without_sites(toml_path: Path, out_dir: Path) -> Path:
    """A copy of a scenario with sites as the same projects without them: no sites table, the land
    quota charging the whole ``land_mu``, no other quota charged on site classes, no ``site`` column
    (``latest_year`` and admission lists stay)."""
    raw = read_scenario_dict(toml_path)
    raw.pop("sites", None)
    # Quotas of land classes other than the land quota charge only where a site has those classes.
    raw["quotas"] = {
        quota_id: {key: value for key, value in quota.items() if key != "site_classes"}
        for quota_id, quota in raw["quotas"].items()
        if quota_id == "land" or "site_classes" not in quota
    }
    with Path(raw["projects"]).open(encoding="utf-8-sig", newline="") as handle:
        projects = list(csv.DictReader(handle))
    columns = [column for column in projects[0] if column != "site"]
    projects_path = out_dir / f"{toml_path.stem}_no_sites_projects.csv"
    with projects_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(projects)
    raw["projects"] = projects_path.name
    raw["name"] = f"{raw['name']}_no_sites"
    path = out_dir / f"{toml_path.stem}_no_sites.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    return relative_gap(objective, bound)


def measure(path: Path, time_limit: float, gap: float | None = None) -> dict[str, Any]:
    """Load, build, relax and solve one scenario (to the relative ``gap`` when given, else the
    scenario's); the figures in seconds, 万元 and MB."""
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    scenario = load_scenario(path)
    projects = projects_for(scenario)
    figures["load_s"] = time.perf_counter() - started
    figures["projects"] = len(projects)
    figures["sites"] = len(scenario.sites) if scenario.sites is not None else 0
    started = time.perf_counter()
    model = build_model(scenario, projects)
    figures["build_s"] = time.perf_counter() - started
    figures["binaries"] = model.n_x
    figures["rows"] = model.n_rows
    settings = replace(scenario.solver, time_limit=time_limit)
    if gap is not None:
        settings = replace(settings, gap=gap)
    relaxation = solve_model(model, settings, relax=True)
    figures["lp_bound"] = relaxation.objective
    started = time.perf_counter()
    solution = solve_model(model, settings)
    figures["wall_s"] = time.perf_counter() - started
    figures["solve_s"] = solution.seconds
    figures["status"] = solution.status
    figures["objective"] = solution.objective
    # The tightest bound proven: the LP relaxation's, or the solver's own (HiGHS's dual bound or the
    # pattern master's, which prices in every site's knapsack hull).
    bounds = [b for b in (relaxation.objective, solution.best_bound) if b is not None and math.isfinite(b)]
    figures["bound"] = min(bounds) if bounds else None
    figures["gap_lp"] = _gap(solution.objective, figures["bound"])
    figures["gap_mip"] = solution.gap
    figures["load"] = os.getloadavg()[0]
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _child(path: Path, time_limit: float, gap: float | None = None) -> dict[str, Any]:
    """``measure`` in a fresh process (its own peak memory)."""
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, 'bench'); import bench_sites; "
        f"print(json.dumps(bench_sites.measure(Path({str(path)!r}), {time_limit!r}, {gap!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(label: str, f: dict[str, Any]) -> str:
    gap = "-" if f["gap_lp"] is None else f"{100 * f['gap_lp']:.3f} %"
    lp = "-" if f["lp_bound"] is None else f"{f['lp_bound']:,.0f}"
    bound = "-" if f["bound"] is None else f"{f['bound']:,.0f}"
    return (
        f"  {label:<14} {f['projects']:>6,} projects {f['sites']:>4} sites: {f['binaries']:>9,} binaries "
        f"{f['rows']:>7,} rows | load {f['load_s']:6.2f} s build {f['build_s']:6.2f} s "
        f"solve {f['solve_s']:7.2f} s (wall {f['wall_s']:6.2f} s) "
        f"| {f['status']:<8} objective {f['objective'] or 0:>14,.0f} LP {lp} bound {bound} gap {gap:>9} "
        f"| peak {f['peak_rss_mb']:,.0f} MB | load average {f['load']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["compare", "scale", "all"], default="all")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default 60)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--gap", type=float, help="relative gap the solves stop at (default: the scenario's; "
                        "0 shows how far the plan gets in the time limit)")
    parser.add_argument("--only", choices=["none", "named", "any"],
                        help="one scale queue: without sites, 1-3 named sites, or any site")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sites-") as temporary:
        out = Path(temporary)
        if args.case in ("compare", "all"):
            print(
                "the embedded baseline (220 projects, 4 parks, 5 years): without sites vs with its 87 parcels"
            )
            print(_line("without sites", _child(without_sites(baseline_path(), out), args.time_limit)))
            print(_line("with sites", _child(baseline_path(), args.time_limit)))
        if args.case in ("scale", "all"):
            generated = write_generated(out, "large", 5000, 6, 5, args.seed)
            plain = without_sites(generated, out)
            print(
                f"5,000 projects x 300 sites x 5 years (targets: build <= 3 s, gap to LP <= 1 % "
                f"after {args.time_limit:g} s, peak <= 2,048 MB)"
            )
            if args.only in (None, "none"):
                print(_line("without sites", _child(plain, args.time_limit, args.gap)))
            if args.only in (None, "named"):
                named = write_sites(plain, 300, args.seed, named=3)
                print(_line("1-3 named", _child(named, args.time_limit, args.gap)))
            if args.only in (None, "any"):
                anywhere = write_sites(plain, 300, args.seed)
                print(_line("any site", _child(anywhere, args.time_limit, args.gap)))


if __name__ == "__main__":
    main()
