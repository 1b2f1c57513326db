"""Solve time of the baseline and its variants: quota-sim's HiGHS route against raw HiGHS on the same model.

    python bench/bench_solve.py                         # every scenarios/*.toml, seeds 0 1 2
    python bench/bench_solve.py --scenarios baseline strict_emissions --seeds 0 1 2 3 4
    python bench/bench_solve.py --generated 220 --count 5 --seeds 0   # generated queues with parcels

For each scenario the model is built once; then, per seed, in turn:

- ``ours``: :func:`quota_sim.solve.solve_model` (relaxation with site patterns, restricted MIP, the
  full MIP only when the restricted plan does not yet prove the gap), wall seconds;
- ``raw``: the model as ``quota-sim export-model`` writes it, read by highspy and solved with one
  thread, the scenario's gap and the same seed (reading the file is not timed).

With ``--generated N``, ``--count`` scenarios of N projects on 4 parks and 5 years are generated
(``quota-sim generate``, seeds 1, 2, ..., with parcels) instead of the shipped ones.

Printed: median seconds of each, their ratio (ours / raw, per seed, then the median), and each
route's status, objective and gap, so a faster answer is never a worse-kept promise. Seconds depend
on the machine and its load; the ratio is taken within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import highspy  # noqa: E402

from quota_sim.generate import write_generated  # noqa: E402
from quota_sim.model import build_model  # noqa: E402
from quota_sim.projects import projects_for  # noqa: E402
from quota_sim.scenario import load_scenario  # noqa: E402
from quota_sim.solve import relative_gap, solve_model, write_model  # noqa: E402

SCENARIOS = REPO / "scenarios"


def _raw(path: Path, gap: float, seed: int, time_limit: float) -> tuple[float, str, float, float]:
    """Raw HiGHS on the exported model: (seconds, status, objective, gap)."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", gap)
    highs.setOptionValue("random_seed", seed)
    highs.setOptionValue("time_limit", time_limit)
    highs.readModel(str(path))
    started = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - started
    info = highs.getInfo()
    objective = info.objective_function_value
    return seconds, highs.modelStatusToString(highs.getModelStatus()), objective, relative_gap(
        objective, info.mip_dual_bound
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", nargs="*", help="names in scenarios/ (default: all)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--generated", type=int, default=0, help="projects per generated scenario")
    parser.add_argument("--count", type=int, default=5, help="generated scenarios (with --generated)")
    args = parser.parse_args()
    print(f"{'scenario':18} {'ours s':>7} {'raw s':>7} {'ratio':>6}  ours (status objective gap) | raw")
    ratios = []
    with tempfile.TemporaryDirectory(prefix="bench-solve-") as tmp:
        if args.generated:
            paths = [
                write_generated(Path(tmp) / f"g{seed}", f"generated{seed}", args.generated, 4, 5, seed)
                for seed in range(1, args.count + 1)
            ]
        else:
            names = args.scenarios or sorted(path.stem for path in SCENARIOS.glob("*.toml"))
            paths = [SCENARIOS / f"{name}.toml" for name in names]
        for scenario_path in paths:
            name = scenario_path.stem
            scenario = load_scenario(scenario_path)
            model = build_model(scenario, projects_for(scenario))
            path = Path(tmp) / f"{name}.mps"
            write_model(model, path)
            ours, raw, seed_ratios, last = [], [], [], None
            for seed in args.seeds:
                settings = replace(scenario.solver, seed=seed, time_limit=args.time_limit)
                started = time.perf_counter()
                solution = solve_model(model, settings)
                ours.append(time.perf_counter() - started)
                raw_run = _raw(path, settings.gap, seed, args.time_limit)
                raw.append(raw_run[0])
                seed_ratios.append(ours[-1] / raw[-1])
                last = (solution, raw_run)
            solution, raw_run = last
            ratio = statistics.median(seed_ratios)
            ratios.append(ratio)
            print(
                f"{name:18} {statistics.median(ours):7.2f} {statistics.median(raw):7.2f} {ratio:6.2f}  "
                f"{solution.status} {solution.objective:,.0f} {solution.gap:.2%} | "
                f"{raw_run[1]} {raw_run[2]:,.0f} {raw_run[3]:.2%}",
                flush=True,
            )
    print(f"median ratio over scenarios: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
