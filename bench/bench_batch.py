"""Parallel speed-up of a batch: the same 16 scenarios with 1 and with 2 worker processes.

The scenarios are a 4 x 4 grid (city land plan x NOx replacement ratio) over one generated
queue, as a planner would build with ``quota-sim grid``. Each batch solves every member from
scratch (``force``) with the full ``quota-sim run`` outputs. Prints both wall-clock times,
the speed-up and whether both batches found the same objectives.

    .venv/bin/python bench/bench_batch.py [--projects 20] [--jobs 1,2] [--time-limit 30]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from quota_sim.batch import RunOptions, run_batch
from quota_sim.generate import write_generated
from quota_sim.grid import GridAxis, write_grid
from quota_sim.scenario import load_scenario


def make_scenarios(folder: Path, n_projects: int, zones: int, years: int, seed: int) -> Path:
    """Write a 4 x 4 grid (16 scenarios) over one generated queue; return the grid directory."""
    base = load_scenario(write_generated(folder / "base", "bench", n_projects, zones, years, seed))
    land = next(q for q in base.quotas if q.demand == "land_mu")
    plan = next(s for s in land.sources if s.scope == "city")
    first_year = plan.amounts[None][0]
    axes = [
        GridAxis(
            f"quotas.{land.id}.sources.{plan.id}.amounts",
            tuple(round(first_year * f) for f in (0.6, 0.8, 1.0, 1.2)),
        ),
        GridAxis("quotas.nox.ratio", (1.0, 1.5, 2.0, 2.5)),
    ]
    grid = folder / "grid"
    write_grid(base, axes, grid)
    return grid


def objectives(comparison: Path) -> dict[str, str]:
    with open(comparison, encoding="utf-8", newline="") as handle:
        return {row["name"]: row["objective"] for row in csv.DictReader(handle)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--projects", type=int, default=20, help="projects in the generated queue (default 20)"
    )
    parser.add_argument("--zones", type=int, default=6, help="parks (default 6)")
    parser.add_argument("--years", type=int, default=5, help="horizon years (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--jobs", default="1,2", help="worker counts to compare, comma-separated (default 1,2)"
    )
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="solver time limit per solve, s (default 30)"
    )
    args = parser.parse_args(argv)
    job_counts = [int(j) for j in args.jobs.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temporary:
        folder = Path(temporary)
        grid = make_scenarios(folder, args.projects, args.zones, args.years, args.seed)
        count = len(list(grid.glob("*.toml")))
        print(
            f"{count} scenarios: {args.projects} projects, {args.zones} zones, {args.years} years; "
            f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
        )
        seconds: dict[int, float] = {}
        results: dict[int, dict[str, str]] = {}
        for jobs in job_counts:
            started = time.perf_counter()
            report = run_batch(
                [grid],
                folder / f"out-{jobs}",
                jobs=jobs,
                force=True,
                options=RunOptions(time_limit=args.time_limit),
            )
            seconds[jobs] = time.perf_counter() - started
            results[jobs] = objectives(report.comparison_csv)
            print(f"--jobs {jobs}: {seconds[jobs]:7.1f} s  {report.counts()}")
        first = job_counts[0]
        for jobs in job_counts[1:]:
            same = "same objectives" if results[jobs] == results[first] else "OBJECTIVES DIFFER"
            print(f"speed-up --jobs {jobs} vs --jobs {first}: {seconds[first] / seconds[jobs]:.2f}x ({same})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
