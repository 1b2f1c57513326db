"""Solve published multidimensional knapsack problems (OR-Library) as quota scenarios and time them.

Each problem becomes a scenario with one zone, one year and one quota per constraint (see
tests/data/mkp/README.md); the figures are printed, not asserted.

    python bench/bench_mkp.py                                  # the copies in tests/data/mkp
    python bench/bench_mkp.py mknapcb1 mknapcb4 --count 5 --data DIR
    python bench/bench_mkp.py path/to/mknapcb2.txt --gap 2e-5 --time-limit 120
    python bench/bench_mkp.py mknapcb1_first5 --versus-raw --permutations 3
    python bench/bench_mkp.py mknapcb1_first5 --start-nodes --seeds 0 1 2

With ``--start-nodes``, HiGHS's node count on each problem and ``--seeds`` value with and without the
start plan quota-sim makes for models of several placements per project (see :func:`start_plan_nodes`).

With ``--versus-raw``, each problem is also solved by raw HiGHS on the model quota-sim builds, as
``quota-sim export-model`` writes it (one thread, the same seed and gap; reading the file is not
timed), and on ``--permutations`` copies of it with rows and columns in a random order (the same
model: a MIP solver's time varies with the order alone). Printed per problem: our solve's seconds
(in this process, build and solve; wall and CPU), raw HiGHS's on the file and on each copy, our CPU
seconds over raw's on the file and over the median of the file and its copies (CPU seconds: a loaded
shared machine stretches wall seconds several times over); then the median of each ratio.

A SET is a file name without ``.txt`` in ``--data`` or a path to a file in the OR-Library ``mknap1`` /
``mknapcb`` format. Best-known values come from ``best_known.csv`` next to the file (columns ``set,
instance_index, best_known``; the set is the file name up to its first ``_``), else from the problem
header. With integer profits, ``--gap`` below 1 / optimum still proves the exact optimum.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import highspy
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quota_sim import solve  # noqa: E402
from quota_sim.model import build_model  # noqa: E402
from quota_sim.pipeline import solve_scenario  # noqa: E402
from quota_sim.projects import projects_for  # noqa: E402
from quota_sim.scenario import load_scenario  # noqa: E402
from quota_sim.solve import solve_model, write_model  # noqa: E402
from tests.instances import knapsack_instance, read_knapsack_file, write_instance  # noqa: E402

DEFAULT_DATA = REPO / "tests" / "data" / "mkp"


def problem_files(sets: list[str], data: Path) -> list[Path]:
    """Resolve each SET to a file: an existing path, else ``<data>/<SET>.txt``."""
    files = []
    for name in sets:
        path = Path(name)
        files.append(path if path.is_file() else data / f"{name}.txt")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"bench_mkp: no such problem file: {', '.join(missing)}")
    return files


def best_known(directory: Path) -> dict[str, float]:
    """Published values by ``<set>_<index>`` from ``best_known.csv`` in ``directory`` (empty if absent)."""
    path = directory / "best_known.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            f"{row['set']}_{row['instance_index']}": float(row["best_known"])
            for row in csv.DictReader(handle)
        }


def _raw_highs(lp: highspy.HighsLp, gap: float, seed: int, time_limit: float) -> tuple[float, float, float]:
    """Raw HiGHS on ``lp`` with one thread: (wall seconds of its run, CPU seconds, objective)."""
    highs = highspy.Highs()
    for option, value in (("output_flag", False), ("threads", 1), ("mip_rel_gap", gap), ("random_seed", seed),
                          ("time_limit", time_limit)):
        highs.setOptionValue(option, value)
    highs.passModel(lp)
    wall, cpu = time.perf_counter(), time.process_time()
    highs.run()
    return time.perf_counter() - wall, time.process_time() - cpu, highs.getInfo().objective_function_value


def permuted(lp: highspy.HighsLp, rng: np.random.Generator) -> highspy.HighsLp:
    """The same model with its columns and rows in a random order (``lp`` column-wise, as read)."""
    cols, rows = rng.permutation(lp.num_col_), rng.permutation(lp.num_row_)
    new_row = np.empty(lp.num_row_, dtype=np.int32)
    new_row[rows] = np.arange(lp.num_row_, dtype=np.int32)  # old row r becomes new_row[r]
    matrix = lp.a_matrix_
    starts, index, value = np.asarray(matrix.start_), np.asarray(matrix.index_), np.asarray(matrix.value_)
    spans = [np.arange(starts[j], starts[j + 1]) for j in cols]
    out = highspy.HighsLp()
    out.num_col_, out.num_row_, out.sense_, out.offset_ = lp.num_col_, lp.num_row_, lp.sense_, lp.offset_
    out.col_cost_ = np.asarray(lp.col_cost_)[cols]
    out.col_lower_, out.col_upper_ = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
    out.row_lower_, out.row_upper_ = np.asarray(lp.row_lower_)[rows], np.asarray(lp.row_upper_)[rows]
    if len(lp.integrality_):
        out.integrality_ = [lp.integrality_[j] for j in cols]
    out.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    out.a_matrix_.num_col_, out.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    out.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(span) for span in spans])]).astype(np.int32)
    out.a_matrix_.index_ = np.concatenate([new_row[index[span]] for span in spans]).astype(np.int32)
    out.a_matrix_.value_ = np.concatenate([value[span] for span in spans])
    return out


def versus_raw(problems: list, gap: float, time_limit: float, permutations: int) -> None:
    """Our solve against raw HiGHS on the exported model and on permuted copies (see the docstring).
    Ratios are of CPU seconds (this process's, HiGHS's threads included), which a loaded machine
    stretches less than wall seconds."""
    print("instance\tours wall / CPU s\traw wall / CPU s\tpermuted raw CPU s\tours / raw\tours / median raw")
    direct, typical = [], []
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for problem in problems:
            scenario = load_scenario(write_instance(Path(tmp) / problem.name, *knapsack_instance(problem)))
            projects = projects_for(scenario)
            settings = replace(scenario.solver, time_limit=time_limit, gap=gap)
            wall, cpu = time.perf_counter(), time.process_time()
            model = build_model(scenario, projects)
            solution = solve_model(model, settings)
            ours, ours_cpu = time.perf_counter() - wall, time.process_time() - cpu
            path = Path(tmp) / f"{problem.name}.mps"
            write_model(model, path)
            reader = highspy.Highs()
            reader.setOptionValue("output_flag", False)
            reader.readModel(str(path))
            lp = reader.getLp()
            raw, raw_cpu, objective = _raw_highs(lp, gap, settings.seed, time_limit)
            copies = [_raw_highs(permuted(lp, rng), gap, settings.seed, time_limit)[1]
                      for _ in range(permutations)]
            if abs(objective - (solution.objective or 0.0)) > 1e-6 * max(1.0, abs(objective)):
                print(f"# {problem.name}: raw HiGHS {objective:g}, ours {solution.objective} "
                      f"({solution.status})")
            direct.append(ours_cpu / raw_cpu)
            typical.append(ours_cpu / statistics.median([raw_cpu, *copies]))
            spread = " ".join(f"{c:.2f}" for c in copies) or "-"
            print(f"{problem.name}\t{ours:.2f} / {ours_cpu:.2f}\t{raw:.2f} / {raw_cpu:.2f}\t{spread}\t"
                  f"{direct[-1]:.2f}\t{typical[-1]:.2f}", flush=True)
    print(f"# ours / raw (CPU): median {statistics.median(direct):.2f}, max {max(direct):.2f}; "
          f"ours / median of raw and its permuted copies: median {statistics.median(typical):.2f}, "
          f"max {max(typical):.2f} (load average {os.getloadavg()[0]:.1f})")


def start_plan_nodes(problems: list, seeds: list[int]) -> None:
    """HiGHS's node count on each problem (one thread, gap 0, each seed) with the start plan quota-sim
    would make for a model of several placements per project (``_start_plan`` with that rule switched
    off: relaxation, restricted MIP, fills) and without it, and the plan's CPU seconds. Node counts do
    not depend on the machine's load; they show what a start does to HiGHS's search on a knapsack."""
    print("instance\tseed\tnodes with the start plan\tnodes without\tratio\tplan CPU s\tplan / optimum")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for problem in problems:
            scenario = load_scenario(write_instance(Path(tmp) / problem.name, *knapsack_instance(problem)))
            model = build_model(scenario, projects_for(scenario))
            cost = np.asarray(model.cost, dtype=float)
            for seed in seeds:
                settings = replace(scenario.solver, seed=seed, gap=0.0)
                real, solve._one_place_each = solve._one_place_each, lambda _model: False
                try:
                    cpu = time.process_time()
                    found = solve._start_plan(model, model.highs_lp(), settings, time.perf_counter() + 600)
                    planning = time.process_time() - cpu
                finally:
                    solve._one_place_each = real
                counts = []
                for start in (found.values, None):
                    highs = solve._configured_highs(settings)
                    highs.passModel(model.highs_lp())
                    if start is not None:
                        highs.setSolution(model.n_x, np.arange(model.n_x, dtype=np.int32),
                                          np.where(start[: model.n_x] > 0.5, 1.0, 0.0))
                    highs.run()
                    counts.append(highs.getInfo().mip_node_count)
                    optimum = highs.getInfo().objective_function_value
                ratios.append(counts[0] / counts[1])
                plan = cost @ found.values if found.values is not None else float("nan")
                print(f"{problem.name}\t{seed}\t{counts[0]}\t{counts[1]}\t{ratios[-1]:.2f}\t{planning:.2f}\t"
                      f"{plan / optimum:.4f}", flush=True)
    print(f"# nodes with / without the start plan: median {statistics.median(ratios):.2f}, "
          f"{min(ratios):.2f} to {max(ratios):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", default=["mknap1", "mknapcb1_first5"], help="set names or files")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory holding <set>.txt files")
    parser.add_argument("--count", type=int, default=None, help="solve only the first N problems of each set")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per problem (default 60)")
    parser.add_argument("--gap", type=float, default=0.0, help="relative MIP gap (default 0: exact)")
    parser.add_argument("--versus-raw", action="store_true", help="also raw HiGHS on the exported model")
    parser.add_argument("--permutations", type=int, default=3, help="permuted copies for raw HiGHS")
    parser.add_argument("--start-nodes", action="store_true",
                        help="HiGHS's nodes with and without the start plan, per seed (one thread, gap 0)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds for --start-nodes")
    args = parser.parse_args(argv)

    files = problem_files(args.sets, args.data)
    if args.start_nodes:
        problems = [problem for path in files
                    for problem in read_knapsack_file(path, path.stem.split("_")[0])[: args.count]]
        start_plan_nodes(problems, args.seeds)
        return 0
    if args.versus_raw:
        problems = [problem for path in files
                    for problem in read_knapsack_file(path, path.stem.split("_")[0])[: args.count]]
        versus_raw(problems, args.gap, args.time_limit, args.permutations)
        return 0
    header = ("instance", "n", "m", "seconds", "status", "objective", "best_known", "gap", "match")
    print("\t".join(header))
    matched = total = 0
    for path in files:
        set_name = path.stem.split("_")[0]
        known = best_known(path.parent)
        for problem in read_knapsack_file(path, set_name)[: args.count]:
            reference = known.get(problem.name, problem.optimum or None)
            with tempfile.TemporaryDirectory() as tmp:
                scenario = load_scenario(write_instance(Path(tmp), *knapsack_instance(problem)))
                result = solve_scenario(
                    scenario, projects_for(scenario), time_limit=args.time_limit, gap=args.gap
                )
            objective = result.objective
            match = (
                reference is not None
                and objective is not None
                and result.status == "optimal"
                and abs(objective - reference) <= 1e-6 * max(1.0, abs(reference))
            )
            matched += match
            total += 1
            print(
                "\t".join(
                    [
                        problem.name,
                        str(len(problem.profits)),
                        str(len(problem.capacities)),
                        f"{result.seconds['total']:.2f}",
                        result.status,
                        "-" if objective is None else f"{objective:g}",
                        "-" if reference is None else f"{reference:g}",
                        "-" if result.gap is None else f"{result.gap:.2e}",
                        "yes" if match else "no",
                    ]
                ),
                flush=True,
            )
    print(f"# {matched} of {total} problems solved to their best-known value")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
