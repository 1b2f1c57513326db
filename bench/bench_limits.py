"""Does ``quota-sim run --time-limit S`` end within S? Wall time to the end of the run against the limit.

    python bench/bench_limits.py [--limits 5 10 20] [--cases baseline none named any] [--seed 4] [--repeat 1]

Cases: the embedded baseline, and 5,000 generated projects x 300 sites x 5 years as
``bench/bench_sites.py --case scale`` builds them: without sites (``none``), naming 1-3 candidate sites
each (``named``) and naming none (``any``: any site of their parks, the largest model). Each run is a
real process, ``python -m quota_sim run SCENARIO --time-limit S`` with the default analyses, and
prints per case and limit:

- ``wall``: the process's wall time, start-up and writing the output files included;
- ``run``: the run's own ``seconds.total`` (from reading the scenario to the end of the analyses, what
  the limit bounds) and its parts (load, build, solve, analysis, and ``tables``: the rest, mostly the
  plan's tables and a waiting project's reasons between the solve and the analyses);
- ``over``: ``run`` less the limit (positive: the limit was overrun), and the exit code, status and gap
  (exit 3: no plan within the limit);
- the load average when the run ended (every figure grows with it on a shared machine).

With ``--repeat N`` each case and limit runs N times, one line each, then the most any run went over.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_sites import without_sites, write_sites  # noqa: E402

from quota_sim.generate import write_generated  # noqa: E402
from quota_sim.scenario import baseline_path  # noqa: E402

CASES = ("baseline", "none", "named", "any")


def scenarios(out: Path, cases: list[str], seed: int) -> dict[str, Path]:
    """The scenario file of each case (the scale cases written into ``out``)."""
    paths = {"baseline": baseline_path()} if "baseline" in cases else {}
    if set(cases) - {"baseline"}:
        plain = without_sites(write_generated(out, "large", 5000, 6, 5, seed), out)
        paths["none"] = plain
        if "named" in cases:
            paths["named"] = write_sites(plain, 300, seed, named=3)
        if "any" in cases:
            paths["any"] = write_sites(plain, 300, seed)
    return {case: paths[case] for case in cases}


def run(scenario: Path, limit: float, out: Path) -> dict:
    """One ``quota-sim run`` with ``limit``: its wall time, exit code and summary."""
    command = [sys.executable, "-m", "quota_sim", "run", str(scenario), "--out", str(out),
               "--time-limit", f"{limit:g}"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - started
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    return {"wall": wall, "code": done.returncode, "summary": summary, "load": os.getloadavg()[0],
            "error": done.stderr.strip().splitlines()[-1] if done.returncode and done.stderr.strip() else ""}


def line(case: str, limit: float, found: dict) -> str:
    summary = found["summary"]
    seconds = summary.get("seconds", {})
    total = seconds.get("total")
    keys = [key for key in ("load", "build", "solve", "analysis") if key in seconds]
    parts = " ".join(f"{key} {seconds[key]:5.2f}" for key in keys)
    if total is not None:
        parts += f" tables {total - sum(seconds[key] for key in keys):5.2f}"
    gap = summary.get("gap")
    result = f"{summary.get('status', '-'):<11} gap {'-' if gap is None else f'{100 * gap:.2f} %':>8}"
    if total is None:
        return (f"  {case:<9} limit {limit:4g} s | wall {found['wall']:6.2f} s | exit {found['code']} "
                f"{found['error'][:80]} | load average {found['load']:.1f}")
    return (f"  {case:<9} limit {limit:4g} s | wall {found['wall']:6.2f} s | run {total:6.2f} s "
            f"over {total - limit:+5.2f} s ({parts}) | exit {found['code']} {result} "
            f"| load average {found['load']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", type=float, nargs="+", default=[5.0, 10.0, 20.0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case and limit (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as temporary:
        out = Path(temporary)
        paths = scenarios(out, args.cases, args.seed)
        print("quota-sim run --time-limit S, analyses on: wall and the run's own total against the limit")
        for case, path in paths.items():
            for limit in args.limits:
                overs = []
                for _ in range(args.repeat):
                    found = run(path, limit, out / f"out-{case}-{limit:g}")
                    print(line(case, limit, found), flush=True)
                    total = found["summary"].get("seconds", {}).get("total")
                    overs.append(float("nan") if total is None else total - limit)
                if args.repeat > 1:
                    print(f"  {case:<9} limit {limit:4g} s | most over the limit in {args.repeat} runs: "
                          f"{max(overs):+.3f} s", flush=True)


if __name__ == "__main__":
    main()
