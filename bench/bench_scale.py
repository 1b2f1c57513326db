"""Scale figures for one large generated scenario per queue size.

For each size (default 1,000 / 5,000 / 20,000 projects; 5 years, 6 parks, every quota the
generator makes) this prints: seconds to load the queue and to build the MILP, its size, the LP
relaxation bound, seconds to the first feasible allocation (first incumbent) and to one within
1 % of the LP bound, the objective and its gap to the LP bound (and to HiGHS' own bound)
after each checkpoint (default 10 s and 60 s of branch and bound), and the peak memory
(resident set) of the process. Each size runs in a fresh process, so its peak memory is its own.

    .venv/bin/python bench/bench_scale.py [--sizes 1000,5000,20000] [--checkpoints 10,60]

The MILP is solved once with the time limit set to the last checkpoint; HiGHS callbacks
record the incumbents and bounds on the way, with the solver options of ``quota_sim.solve``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from quota_sim.generate import write_generated
from quota_sim.model import build_model
from quota_sim.projects import projects_for
from quota_sim.scenario import load_scenario
from quota_sim.solve import relative_gap, solve_model


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    return relative_gap(objective, bound)


def measure(
    n_projects: int, zones: int, years: int, seed: int, checkpoints: list[float], gap: float
) -> dict[str, Any]:
    """Generate, build and solve one scenario; return the figures (seconds, 万元, bytes)."""
    figures: dict[str, Any] = {"projects": n_projects, "zones": zones, "years": years, "gap": gap}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temporary:
        scenario = load_scenario(
            write_generated(temporary, f"scale{n_projects}", n_projects, zones, years, seed)
        )
        started = time.perf_counter()
        projects = projects_for(scenario)
        figures["load_s"] = time.perf_counter() - started
    figures["quotas"] = len(scenario.quotas)

    started = time.perf_counter()
    model = build_model(scenario, projects)
    figures["build_s"] = time.perf_counter() - started
    figures["binaries"] = model.n_x
    figures["columns"] = model.n_variables
    figures["rows"] = model.n_rows

    settings = replace(scenario.solver, time_limit=max(checkpoints), gap=gap)
    started = time.perf_counter()
    relaxation = solve_model(model, settings, relax=True)
    figures["lp_s"] = time.perf_counter() - started
    lp_bound = relaxation.objective
    figures["lp_bound"] = lp_bound

    solution = solve_model(model, settings, trace=True)
    figures["mip_s"] = solution.seconds
    figures["mip_status"] = solution.status
    incumbents = [(t, value) for t, value, _ in solution.trace if value is not None]
    bounds = [(t, bound) for t, _, bound in solution.trace if bound is not None]

    figures["first_incumbent_s"] = incumbents[0][0] if incumbents else None
    figures["first_incumbent"] = incumbents[0][1] if incumbents else None
    gaps = [(t, _gap(value, lp_bound)) for t, value in incumbents]
    within = [t for t, gap_lp in gaps if gap_lp is not None and gap_lp <= 0.01]
    figures["within_1pct_of_lp_s"] = within[0] if within else None
    for checkpoint in checkpoints:
        best = max((v for t, v in incumbents if t <= checkpoint), default=None)
        bound = min((b for t, b in bounds if t <= checkpoint), default=None)
        figures[f"objective_{checkpoint:g}s"] = best
        figures[f"gap_lp_{checkpoint:g}s"] = _gap(best, lp_bound)
        figures[f"gap_mip_{checkpoint:g}s"] = _gap(best, bound)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _show(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def report(figures: dict[str, Any], checkpoints: list[float]) -> None:
    """Print one size's figures."""
    print(
        f"\n{figures['projects']:,} projects, {figures['zones']} parks, {figures['years']} years, "
        f"{figures['quotas']} quotas: {figures['binaries']:,} binaries, {figures['columns']:,} columns, "
        f"{figures['rows']:,} rows"
    )
    print(
        f"  load {_show(figures['load_s'])} s, build {_show(figures['build_s'])} s, "
        f"LP relaxation {_show(figures['lp_s'])} s (bound {_show(figures['lp_bound'], 0)} 万元)"
    )
    print(
        f"  first feasible allocation after {_show(figures['first_incumbent_s'])} s "
        f"(objective {_show(figures['first_incumbent'], 0)}); within 1% of the LP bound after "
        f"{_show(figures['within_1pct_of_lp_s'])} s"
    )
    for checkpoint in checkpoints:
        gap_lp, gap_mip = figures[f"gap_lp_{checkpoint:g}s"], figures[f"gap_mip_{checkpoint:g}s"]
        print(
            f"  after {checkpoint:g} s: objective {_show(figures[f'objective_{checkpoint:g}s'], 0)} 万元, "
            f"gap to LP bound {_show(gap_lp * 100 if gap_lp is not None else None, 3)} %, "
            f"to HiGHS bound {_show(gap_mip * 100 if gap_mip is not None else None, 3)} %"
        )
    print(
        f"  branch and bound {_show(figures['mip_s'])} s "
        f"({figures['mip_status']} at gap {figures['gap']:g}); "
        f"peak memory {_show(figures['peak_rss_mb'], 0)} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="queue sizes, comma-separated")
    parser.add_argument("--zones", type=int, default=6, help="parks (default 6)")
    parser.add_argument("--years", type=int, default=5, help="horizon years (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--checkpoints", default="10,60", help="seconds of branch and bound to report at")
    parser.add_argument(
        "--gap",
        type=float,
        default=1e-4,
        help="relative MIP gap at which HiGHS stops (default 1e-4, so it runs to the last checkpoint)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # measure one size, print JSON
    args = parser.parse_args(argv)
    checkpoints = sorted(float(c) for c in args.checkpoints.split(","))
    if args.one is not None:
        print(json.dumps(measure(args.one, args.zones, args.years, args.seed, checkpoints, args.gap)))
        return 0
    for size in (int(s) for s in args.sizes.split(",")):
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--one",
            str(size),
            "--zones",
            str(args.zones),
            "--years",
            str(args.years),
            "--seed",
            str(args.seed),
            "--checkpoints",
            args.checkpoints,
            "--gap",
            str(args.gap),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"\n{size:,} projects: failed\n{done.stderr}", file=sys.stderr)
            continue
        report(json.loads(done.stdout.strip().splitlines()[-1]), checkpoints)
    return 0


if __name__ == "__main__":
    sys.exit(main())
