"""Solve time of the baseline and its variants: quota-sim's HiGHS route against raw HiGHS on the same model.

    python bench/bench_solve.py                         # every scenarios/*.toml, seeds 0 1 2
    python bench/bench_solve.py --scenarios baseline strict_emissions --seeds 0 1 2 3 4
    python bench/bench_solve.py --generated 220 --count 5 --seeds 0   # generated queues with parcels
    python bench/bench_solve.py --levers --sample 40                   # the baseline under app lever settings

For each scenario the model is built once; then, per seed, in turn:

- ``ours``: :func:`quota_sim.solve.solve_model` (relaxation with site patterns, restricted MIP, the
  full MIP only when the restricted plan does not yet prove the gap), wall seconds;
- ``raw``: the model as ``quota-sim export-model`` writes it, read by highspy and solved with one
  thread, the scenario's gap and the same seed (reading the file is not timed).

With ``--generated N``, ``--count`` scenarios of N projects on 4 parks and 5 years are generated
(``quota-sim generate``, seeds 1, 2, ..., with parcels) instead of the shipped ones.

With ``--levers``, the baseline is solved (ours only, the scenario's gap and time limit) under the lever
settings of the app (:mod:`quota_sim.app_state`): each supply lever alone at 0.5x to 2x its own value;
the plan land quota one slider step (10 mu/yr) up at a time, from five stock land settings, as
``bench/bench_app.py`` moves it; and ``--sample`` random settings moving every lever at once (0.7x to
1.5x, ``--sample-seed``). Printed: each setting's seconds, status, objective and gap, then the median,
90th percentile and max seconds and the settings over ``--slow`` seconds.

Printed otherwise: median seconds of each, their ratio (ours / raw, per seed, then the median), and each
route's status, objective and gap, so a faster answer is never a worse-kept promise. Seconds depend
on the machine and its load; the ratio is taken within one run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import highspy  # noqa: E402

from quota_sim import app_state  # noqa: E402
from quota_sim.generate import write_generated  # noqa: E402
from quota_sim.model import build_model  # noqa: E402
from quota_sim.projects import projects_for  # noqa: E402
from quota_sim.scenario import baseline_path, load_scenario  # noqa: E402
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


FACTORS = (0.5, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0)


def lever_settings(base: app_state.Levers, sample: int, seed: int) -> list[tuple[str, app_state.Levers]]:
    """(name, levers) of the settings ``--levers`` solves (see the module docstring)."""
    settings = []
    scalars = [name for name in ("plan_land", "stock_land", "linkage_amount", "energy_increment")
               if getattr(base, name)]
    for name in scalars:
        settings += [(f"{name} x{f:g}", replace(base, **{name: getattr(base, name) * f})) for f in FACTORS]
    for field in ("pollutants", "land_classes"):
        levers = getattr(base, field)
        for i, lever in enumerate(levers):
            amounts = [lever.amount * f for f in FACTORS] if lever.amount else [10.0, 50.0]
            for amount in amounts:
                moved = (*levers[:i], replace(lever, amount=amount), *levers[i + 1:])
                settings.append((f"{lever.quota} {amount:g}", replace(base, **{field: moved})))
    for offset in range(5):  # as bench_app: stock land moved by offset steps, then plan land up step by step
        stock = base.stock_land + 10.0 * offset
        plans = [base.plan_land + 10.0 * k for k in range(1, 11)]
        settings += [(f"stock {stock:g} plan {plan:g}", replace(base, stock_land=stock, plan_land=plan))
                     for plan in plans]
    draw = random.Random(seed)

    def moved(value: float) -> float:
        return value * draw.uniform(0.7, 1.5) if value and draw.random() < 0.5 else value

    for k in range(sample):
        settings.append((f"random {k}", replace(
            base, **{name: moved(getattr(base, name)) for name in scalars},
            pollutants=tuple(replace(p, amount=moved(p.amount)) for p in base.pollutants),
            land_classes=tuple(replace(c, amount=moved(c.amount)) for c in base.land_classes),
        )))
    return settings


def bench_levers(sample: int, seed: int, slow: float) -> None:
    """The baseline under the app's lever settings: wall and CPU seconds of each solve, their median,
    90th percentile and max (CPU seconds, HiGHS's thread included, compare code on a loaded machine)."""
    scenario = load_scenario(baseline_path())
    projects = projects_for(scenario)
    base = app_state.levers_from_scenario(scenario)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'setting':32} {'wall s':>6} {'CPU s':>6}  status objective gap")
    walls: list[tuple[float, str]] = []
    cpus: list[float] = []
    for name, levers in lever_settings(base, sample, seed):
        variant = app_state.apply_levers(scenario, levers)
        model = build_model(variant, projects)
        started, cpu = time.perf_counter(), time.process_time()
        solution = solve_model(model, variant.solver)
        walls.append((time.perf_counter() - started, name))
        cpus.append(time.process_time() - cpu)
        gap = "-" if solution.gap is None else f"{solution.gap:.2%}"
        objective = "-" if solution.objective is None else f"{solution.objective:,.0f}"
        print(f"{name:32} {walls[-1][0]:6.2f} {cpus[-1]:6.2f}  {solution.status} {objective} {gap}",
              flush=True)
    for label, seconds in (("wall", sorted(t for t, _ in walls)), ("CPU", sorted(cpus))):
        print(f"{len(seconds)} settings, {label}: median {statistics.median(seconds):.2f} s, 90th percentile "
              f"{seconds[int(0.9 * (len(seconds) - 1))]:.2f} s, max {seconds[-1]:.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f}; over {slow:g} s wall: " + (
        ", ".join(f"{name} {t:.2f}" for t, name in sorted(walls, reverse=True) if t > slow) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", nargs="*", help="names in scenarios/ (default: all)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--generated", type=int, default=0, help="projects per generated scenario")
    parser.add_argument("--count", type=int, default=5, help="generated scenarios (with --generated)")
    parser.add_argument("--levers", action="store_true", help="the baseline under the app's lever settings")
    parser.add_argument("--sample", type=int, default=30, help="random lever settings (with --levers)")
    parser.add_argument("--sample-seed", type=int, default=0, help="seed of the random settings")
    parser.add_argument("--slow", type=float, default=1.0, help="settings over this many seconds are listed")
    args = parser.parse_args()
    if args.levers:
        bench_levers(args.sample, args.sample_seed, args.slow)
        return
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
