"""Core engine figures: load / build / solve / total seconds and peak memory per instance.

Each case runs in a fresh process so that its peak resident memory is its own.

    python bench/bench_core.py                       # baseline + generated 200, 1000, 5000 projects
    python bench/bench_core.py --sizes 200 --time-limit 10
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_case(case: str, time_limit: float, zones: int, workdir: Path) -> dict:
    """Solve one case in this process: 'baseline' or a generated queue size."""
    from quota_sim.generate import write_generated
    from quota_sim.model import build_model
    from quota_sim.pipeline import solver_settings
    from quota_sim.projects import projects_for
    from quota_sim.scenario import baseline_path, load_scenario
    from quota_sim.solve import solve_model

    started = time.perf_counter()
    if case == "baseline":
        path = baseline_path()
    else:
        path = write_generated(workdir, f"gen{case}", int(case), zones, 5, 1)
    generated = time.perf_counter()
    scenario = load_scenario(path)
    projects = projects_for(scenario)
    loaded = time.perf_counter()
    model = build_model(scenario, projects)
    built = time.perf_counter()
    solution = solve_model(model, solver_settings(scenario.solver, time_limit=time_limit))
    solved = time.perf_counter()
    return {
        "case": case,
        "projects": len(projects),
        "zones": len(scenario.zones),
        "quotas": len(scenario.quotas),
        "years": scenario.years,
        "variables": model.n_variables,
        "rows": model.n_rows,
        "load_s": loaded - generated,
        "build_s": built - loaded,
        "solve_s": solved - built,
        "total_s": solved - generated,
        "status": solution.status,
        "gap": solution.gap,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "wall_s": solved - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="200,1000,5000", help="generated queue sizes, comma separated")
    parser.add_argument("--zones", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit per case, s")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case, print JSON
    args = parser.parse_args()
    if args.case:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_case(args.case, args.time_limit, args.zones, Path(tmp))))
        return
    cases = ([] if args.no_baseline else ["baseline"]) + [
        s.strip() for s in args.sizes.split(",") if s.strip()
    ]
    header = f"{'case':>9} {'proj':>6} {'vars':>7} {'rows':>6} {'load s':>7} {'build s':>7} {'solve s':>8} " \
             f"{'total s':>8} {'status':>9} {'gap':>8} {'peak MB':>8}"
    print(f"quota-sim core benchmark — time limit {args.time_limit:g} s, {args.zones} zones, 5 years")
    print(header)
    for case in cases:
        command = [sys.executable, __file__, "--case", case, "--time-limit", str(args.time_limit),
                   "--zones", str(args.zones)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        gap = "—" if r["gap"] is None else f"{r['gap']:.3%}"
        print(f"{r['case']:>9} {r['projects']:>6} {r['variables']:>7} {r['rows']:>6} {r['load_s']:>7.2f} "
              f"{r['build_s']:>7.2f} {r['solve_s']:>8.2f} {r['total_s']:>8.2f} {r['status']:>9} {gap:>8} "
              f"{r['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
