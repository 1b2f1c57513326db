"""Figures of the command line: start-up, what the analyses cost, the CLI against raw HiGHS, the solvers.

    python bench/bench_cli.py                   # --help, baseline full vs --no-analysis, the app's analyses,
                                                # CLI vs raw HiGHS
    python bench/bench_cli.py --solvers         # and HiGHS vs CBC vs SCIP at 10 s and 60 s (several minutes)
    python bench/bench_cli.py --suite           # and the test suite's wall time

Every figure is a wall time in seconds of real processes (``python -m quota_sim ...``; the knapsacks'
also the CPU seconds of each whole process, which a loaded machine stretches far less), the median of
``--repeat`` runs taken in one session, so ratios compare like with like on a shared machine:

- ``--help``: the parser only (no solver library is imported);
- the embedded baseline, ``run`` with the default analyses against ``run --no-analysis``, with what each
  full run's summary.json says of its analyses (seconds, budget, how exact the re-solves were) and the
  load average, which inflates every figure on a shared machine;
- OR-Library mknapcb1 #1-5 (tests/data/mkp; ``--knapsack-sets`` for others): ``quota-sim run`` (analyses
  on, and ``--no-analysis``) against raw HiGHS on the same model, exported with ``quota-sim export-model``
  and solved by highspy with the settings quota-sim gives HiGHS (one thread, the scenario's gap, 0:
  proven optimal, and its seed), timed from ``readModel`` to the end of ``run`` in one process, with its
  node count, and the first full run's analyses. A MIP search's length varies with the seed alone (on
  mknapcb1 #4, 61k nodes with seed 0 and 123k with seed 1), so each ``--seeds`` value is run on both
  sides and the ratio of an instance is the median over its seeds of full / raw;
- ``--solvers``: objective and proven gap of each installed solver (solve only, gap 0) at 10 s and 60 s
  on the baseline, mknapcb1 #1 and mknapcb4 #1, and the time each takes to reach the scenario's own gap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.instances import knapsack_instance, read_knapsack_file, write_instance  # noqa: E402

DATA = REPO / "tests" / "data" / "mkp"
# HiGHS with the settings quota-sim gives its runs (quota_sim.solve._configured_highs): one thread, gap, seed.
RAW_HIGHS = """
import sys, time, highspy
highs = highspy.Highs()
highs.setOptionValue("output_flag", False)
highs.setOptionValue("threads", 1)
highs.setOptionValue("mip_rel_gap", float(sys.argv[2]))
highs.setOptionValue("random_seed", int(sys.argv[3]))
started = time.perf_counter()
highs.readModel(sys.argv[1])
highs.run()
print(time.perf_counter() - started, highs.getInfo().mip_node_count,
      highs.modelStatusToString(highs.getModelStatus()), highs.getInfo().objective_function_value)
"""


def _wall(command: list[str]) -> float:
    return _timed(command)[0]


def _children_cpu() -> float:
    """CPU seconds (user and system) of this process's ended children so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``command`` as a process (CPU: all its threads; a loaded shared machine
    stretches wall seconds, hardly CPU seconds), and its output."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench_cli: {' '.join(command)} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed, _children_cpu() - cpu, done.stdout


def _quota_sim(*args: str) -> list[str]:
    return [sys.executable, "-m", "quota_sim", *args]


def _median(values: list[float]) -> float:
    return statistics.median(values)


def bench_help(repeat: int) -> None:
    times = [_wall(_quota_sim("--help")) for _ in range(max(repeat, 5))]
    print(f"--help\t{_median(times):.3f} s (median of {len(times)}; target <= 0.3 s)")


def _analysis(out: Path) -> str:
    """What summary.json says of a run's analyses: their seconds, budget and re-solves."""
    info = json.loads((out / "summary.json").read_text(encoding="utf-8")).get("analysis") or {}
    resolves = ", ".join(f"{n} {status}" for status, n in info.get("resolves", {}).items())
    return f"{info.get('seconds', 0):.2f} s of {info.get('budget_seconds', 0):.2f} s ({resolves})"


def bench_baseline(repeat: int, tmp: Path) -> None:
    full, solve_only, analyses = [], [], []
    load = os.getloadavg()[0]
    for i in range(repeat):  # interleaved, so both see the same machine load
        full.append(_wall(_quota_sim("run", "--out", str(tmp / f"full{i}"))))
        analyses.append(_analysis(tmp / f"full{i}"))
        solve_only.append(_wall(_quota_sim("run", "--no-analysis", "--out", str(tmp / f"solve{i}"))))
    ratio = _median(full) / _median(solve_only)
    print(f"baseline run\t{_median(full):.2f} s full, {_median(solve_only):.2f} s --no-analysis: "
          f"{ratio:.2f}x (median of {repeat}; target <= 1.5x; load average {load:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after)")
    for i, text in enumerate(analyses):
        print(f"  run {i + 1}: analyses {text}")


def bench_app_analysis(repeat: int) -> None:
    """The analyses as the app runs them: ``enrich(result)`` with its defaults (importance of the top 10)."""
    from quota_sim.analysis import enrich
    from quota_sim.pipeline import solve_scenario
    from quota_sim.scenario import baseline_path, load_scenario

    scenario = load_scenario(baseline_path())
    times = []
    for _ in range(repeat):
        result = solve_scenario(scenario)
        started = time.perf_counter()
        enrich(result)
        times.append(time.perf_counter() - started)
    resolves = result.extras["analysis"]["resolves"]
    print(f"baseline enrich(result) (app)\t{_median(times):.2f} s (median of {repeat}; target <= 5 s); "
          f"re-solves {resolves}")


def bench_knapsack(repeat: int, tmp: Path, seeds: list[int], sets: list[str]) -> None:
    print("# raw HiGHS: one thread, the scenario's gap (0) and seed, as quota-sim runs it. Wall s: the "
          "CLI's whole process, raw HiGHS's readModel and run; CPU s: each whole process (start-up included)")
    print("instance\tseed\tCLI full wall / CPU s\t--no-analysis wall / CPU s\traw HiGHS wall / CPU s\t"
          "raw nodes\tfull / raw wall\tfull / raw CPU\tno-analysis / raw CPU\tanalyses")
    walls, cpus, plain_cpus = [], [], []
    for file in sets:
        for problem in read_knapsack_file(DATA / f"{file}.txt", file.split("_")[0]):
            per_seed: list[tuple[float, float, float]] = []
            for seed in seeds:
                scenario_dict, rows = knapsack_instance(problem)
                scenario_dict["solver"]["seed"] = seed
                folder = tmp / problem.name / f"seed{seed}"
                scenario = write_instance(folder / "input", scenario_dict, rows)
                model = folder / "model.mps"
                _wall(_quota_sim("export-model", str(scenario), str(model)))
                gap = str(scenario_dict["solver"]["gap"])
                full, solve_only, raw, nodes = [], [], [], []
                for i in range(repeat):  # interleaved, so all three see the same machine load
                    full.append(_timed(_quota_sim("run", str(scenario), "--out", str(folder / f"f{i}")))[:2])
                    solve_only.append(_timed(_quota_sim("run", str(scenario), "--no-analysis", "--out",
                                                        str(folder / f"s{i}")))[:2])
                    _, cpu, out = _timed([sys.executable, "-c", RAW_HIGHS, str(model), gap, str(seed)])
                    figures = out.strip().splitlines()[-1].split()  # after the banner
                    raw.append((float(figures[0]), cpu))
                    nodes.append(int(figures[1]))
                (full_wall, full_cpu), (plain_wall, plain_cpu), (raw_wall, raw_cpu) = (
                    (_median([w for w, _ in runs]), _median([c for _, c in runs]))
                    for runs in (full, solve_only, raw)
                )
                per_seed.append((full_wall / raw_wall, full_cpu / raw_cpu, plain_cpu / raw_cpu))
                ratios = "\t".join(f"{ratio:.2f}" for ratio in per_seed[-1])
                print(f"{problem.name}\t{seed}\t{full_wall:.2f} / {full_cpu:.2f}\t{plain_wall:.2f} / "
                      f"{plain_cpu:.2f}\t{raw_wall:.2f} / {raw_cpu:.2f}\t{nodes[0]}\t{ratios}\t"
                      f"{_analysis(folder / 'f0')}\t(load {os.getloadavg()[0]:.1f})", flush=True)
            walls.append(_median([ratio for ratio, _, _ in per_seed]))
            cpus.append(_median([ratio for _, ratio, _ in per_seed]))
            plain_cpus.append(_median([ratio for _, _, ratio in per_seed]))
            if len(seeds) > 1:
                print(f"{problem.name}\tmedian over seeds: full / raw wall {walls[-1]:.2f}, CPU "
                      f"{cpus[-1]:.2f}; no-analysis / raw CPU {plain_cpus[-1]:.2f}", flush=True)
    print(f"# CLI full run / raw HiGHS: wall median {_median(walls):.2f}x, max {max(walls):.2f}x; CPU "
          f"median {_median(cpus):.2f}x, max {max(cpus):.2f}x; --no-analysis CPU median "
          f"{_median(plain_cpus):.2f}x, max {max(plain_cpus):.2f}x (median of {repeat} each, seeds "
          f"{' '.join(map(str, seeds))}; target <= 2x; load average {os.getloadavg()[0]:.1f} at the end)")


def bench_solvers(tmp: Path) -> None:
    from quota_sim.pipeline import solve_scenario
    from quota_sim.scenario import baseline_path, load_scenario
    from tests.solvers import INSTALLED_SOLVERS

    cases = [("baseline", load_scenario(baseline_path()))]
    for file, set_name in (("mknapcb1_first5.txt", "mknapcb1"), ("mknapcb4_first2.txt", "mknapcb4")):
        problem = read_knapsack_file(DATA / file, set_name)[0]
        path = write_instance(tmp / problem.name, *knapsack_instance(problem))
        cases.append((problem.name, load_scenario(path)))
    print("instance\tsolver\tlimit s\tasked gap\tstatus\tobjective\tbest bound\tgap\tseconds")
    for name, scenario in cases:
        for solver in INSTALLED_SOLVERS:
            # Gap 0 at 10 s and 60 s (how far each gets), then the scenario's own gap (how soon).
            runs = [(10.0, 0.0), (60.0, 0.0)] + ([(60.0, scenario.solver.gap)] if scenario.solver.gap else [])
            for limit, asked in runs:
                result = solve_scenario(scenario, time_limit=limit, gap=asked, solver=solver)
                gap = "-" if result.gap is None else f"{result.gap:.2e}"
                objective = "-" if result.objective is None else f"{result.objective:,.1f}"
                bound = "-" if result.best_bound is None else f"{result.best_bound:,.1f}"
                print(f"{name}\t{solver}\t{limit:g}\t{asked:g}\t{result.status}\t{objective}\t{bound}\t{gap}\t"
                      f"{result.seconds['solve']:.1f}", flush=True)


#: The pytest arguments of ``make test``: one process per core, each test module in one process.
SUITE_ARGS = ["-q", "-n", "auto", "--dist", "loadscope"]


def bench_suite() -> None:
    """The test suite as ``make test`` runs it, with the load average before and after (a shared machine's
    load inflates the figure: quote it with the time)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *SUITE_ARGS, "-p", "no:cacheprovider"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    print(f"test suite\t{time.perf_counter() - started:.0f} s wall ({done.stdout.strip().splitlines()[-1]}; "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after; target <= 120 s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, median printed (default 3)")
    parser.add_argument("--solvers", action="store_true", help="also HiGHS vs CBC vs SCIP at 10 s and 60 s")
    parser.add_argument("--suite", action="store_true", help="also the test suite's wall time")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="HiGHS seeds of the knapsack runs, each on both sides (default 0)")
    parser.add_argument("--knapsack-sets", nargs="+", default=["mknapcb1_first5"],
                        help="files in tests/data/mkp without .txt (default mknapcb1_first5)")
    parser.add_argument(
        "--only", choices=("help", "baseline", "app", "knapsack", "solvers", "suite"), help="one section only"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="quota-sim-bench-") as folder:
        tmp = Path(folder)
        if args.only in (None, "help"):
            bench_help(args.repeat)
        if args.only in (None, "baseline"):
            bench_baseline(args.repeat, tmp)
        if args.only in (None, "app"):
            bench_app_analysis(args.repeat)
        if args.only in (None, "knapsack"):
            bench_knapsack(args.repeat, tmp, args.seeds, args.knapsack_sets)
        if args.solvers or args.only == "solvers":
            bench_solvers(tmp)
        if args.suite or args.only == "suite":
            bench_suite()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
