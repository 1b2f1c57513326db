"""Solve published multidimensional knapsack problems (OR-Library) as quota scenarios and time them.

Each problem becomes a scenario with one zone, one year and one quota per constraint (see
tests/data/mkp/README.md); the figures are printed, not asserted.

    python bench/bench_mkp.py                                  # the copies in tests/data/mkp
    python bench/bench_mkp.py mknapcb1 mknapcb4 --count 5 --data DIR
    python bench/bench_mkp.py path/to/mknapcb2.txt --gap 2e-5 --time-limit 120

A SET is a file name without ``.txt`` in ``--data`` or a path to a file in the OR-Library ``mknap1`` /
``mknapcb`` format. Best-known values come from ``best_known.csv`` next to the file (columns ``set,
instance_index, best_known``; the set is the file name up to its first ``_``), else from the problem
header. With integer profits, ``--gap`` below 1 / optimum still proves the exact optimum.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quota_sim.pipeline import solve_scenario  # noqa: E402
from quota_sim.projects import projects_for  # noqa: E402
from quota_sim.scenario import load_scenario  # noqa: E402
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", default=["mknap1", "mknapcb1_first5"], help="set names or files")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory holding <set>.txt files")
    parser.add_argument("--count", type=int, default=None, help="solve only the first N problems of each set")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per problem (default 60)")
    parser.add_argument("--gap", type=float, default=0.0, help="relative MIP gap (default 0: exact)")
    args = parser.parse_args(argv)

    files = problem_files(args.sets, args.data)
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
