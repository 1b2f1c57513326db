"""The `quota-sim` command (SPEC §3).

Exit codes: 0 solved (optimal or feasible); 1 infeasible (diagnosis written); 2 bad input (one message
on stderr, nothing written); 3 no solution within the limits, or a solver failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from quota_sim import __version__
from quota_sim.errors import InputError
from quota_sim.results import Result
from quota_sim.scenario import Scenario, baseline_path, load_scenario

EXIT_BAD_INPUT = 2
EXIT_SOLVER_FAILURE = 3


def _load(path: str | None) -> Scenario:
    return load_scenario(Path(path) if path else baseline_path())


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_summary(result: Result, out_dir: Path | None) -> None:
    """A short report of a run for the terminal."""
    kpi = result.kpi
    gap = "" if result.gap is None else f", gap {result.gap:.4%}"
    print(f"scenario {result.scenario.name}: {result.status}{gap} — {result.solver}, "
          f"{result.seconds['total']:.2f} s total ({result.seconds['solve']:.2f} s solving)")
    if result.status == "feasible":
        print("  (time-limited: a feasible plan, not proven optimal)")
    if result.message:
        print(f"  {result.message}")
    print(f"approved {kpi['approved']} of {kpi['queued']} projects "
          f"({kpi['not_selected']} not selected, {kpi['ineligible']} ineligible, {kpi['locked_out']} locked out)")
    if result.solved:
        width = max([len(q.id) for q in result.scenario.quotas] + [5])
        for q in result.scenario.quotas:
            used, available = kpi[f"{q.id}_used"], kpi[f"{q.id}_available"]
            print(f"  {q.id:<{width}}  used {_fmt(used, 1):>12} of {_fmt(available, 1):>12} {q.unit}")
        print(f"output {_fmt(kpi['output'])} 万元/yr, tax {_fmt(kpi['tax'])} 万元/yr, "
              f"investment {_fmt(kpi['investment'])} 万元, purchase cost {_fmt(kpi['purchase_cost'], 1)} 万元")
        print(f"objective {_fmt(result.objective, 1)} 万元 (best bound {_fmt(result.best_bound, 1)})")
        baselines = result.extras.get("baselines", {})
        if baselines:
            names = {"fcfs": "first come first served", "per_mu": "亩均 ranking"}
            parts = [f"{names.get(method, method)} {_fmt(b['objective'])} 万元 (plan {b['uplift_pct']:+.1f} %)"
                     for method, b in baselines.items() if b.get("uplift_pct") is not None]
            print("allocated by hand: " + ", ".join(parts))
        units = {q.id: q.unit for q in result.scenario.quotas}
        worth = [m for m in result.extras.get("marginal_values", []) if m["method"] == "resolve" and m["value_per_unit"]]
        if worth:
            print("one more unit is worth: " + ", ".join(
                f"{m['quota']} {m['value_per_unit']:,.4g} 万元/{units[m['quota']]}" for m in worth))
    if out_dir is not None:
        print(f"tables written to {out_dir}/")


def cmd_run(args: argparse.Namespace) -> int:
    from quota_sim.pipeline import exit_code, run_and_write

    started = time.perf_counter()
    scenario = _load(args.scenario)
    load_seconds = time.perf_counter() - started
    out_dir = Path(args.out) if args.out else Path("results") / scenario.name
    try:
        result = run_and_write(
            scenario, out_dir, time_limit=args.time_limit, gap=args.gap, solver=args.solver,
            analyses=not args.no_analysis, importance_top=args.importance, jobs=args.jobs,
            load_seconds=load_seconds,
        )
    except InputError:
        raise
    except OSError as error:  # e.g. the disk filled up while writing: the previous outputs stand
        print(f"quota-sim: cannot write the outputs ({error.strerror or error}); {out_dir} is unchanged",
              file=sys.stderr)
        return EXIT_SOLVER_FAILURE
    except Exception as error:  # a solver crash must not look like bad input
        print(f"quota-sim: solver failure: {error}", file=sys.stderr)
        return EXIT_SOLVER_FAILURE
    try:
        print_summary(result, out_dir)
    except BrokenPipeError:  # e.g. `quota-sim run | head`: the reader left; the run itself stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if result.status == "infeasible":
        diagnosis = result.extras.get("diagnosis", {})
        print(diagnosis.get("message", "infeasible: the locked-in projects cannot all be met"), file=sys.stderr)
    return exit_code(result)


def cmd_check(args: argparse.Namespace) -> int:
    from quota_sim.analysis import check_scenario
    from quota_sim.projects import projects_for

    scenario = _load(args.scenario)
    projects = projects_for(scenario)
    findings = check_scenario(scenario, projects)
    print(f"scenario {scenario.name}: {len(projects)} projects, {len(scenario.zones)} zones, "
          f"{len(scenario.quotas)} quotas, {scenario.years} years from {scenario.start_year}")
    for finding in findings:
        print(f"  {finding}")
    errors = sum(f.severity == "error" for f in findings)
    print(f"{errors} errors, {len(findings) - errors} warnings" if findings else "no problems found")
    return 1 if errors else 0


def cmd_app(args: argparse.Namespace) -> int:
    import importlib.util

    from quota_sim.app import streamlit_command

    if importlib.util.find_spec("streamlit") is None:
        print("quota-sim: the app needs Streamlit: pip install 'quota-sim[app]'", file=sys.stderr)
        return EXIT_BAD_INPUT
    command = streamlit_command(args.port, args.address, args.headless)
    os.execv(command[0], command)  # the server takes this process over: signals reach it directly
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    from quota_sim import batch, generate
    from quota_sim.analysis import sweep

    parser = argparse.ArgumentParser(
        prog="quota-sim",
        description="Allocate construction land, energy-use and emission quotas across queued projects.",
    )
    parser.add_argument("--version", action="version", version=f"quota-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="solve one scenario (default: the embedded baseline)")
    run.add_argument("scenario", nargs="?", help="scenario TOML (default: the embedded baseline)")
    run.add_argument("--out", help="output directory (default: results/<scenario name>)")
    run.add_argument("--time-limit", type=_positive, help="solver time limit, seconds")
    run.add_argument("--gap", type=_non_negative, help="relative MIP gap accepted as optimal")
    run.add_argument("--solver", choices=["highs", "cbc"], help="MILP solver (default: highs)")
    run.add_argument("--no-analysis", action="store_true",
                     help="skip marginal values, hand-ranking baselines and grades (solve only)")
    run.add_argument("--importance", type=int, default=0, metavar="N",
                     help="replacement cost of the N most valuable approvals (one re-solve each; default 0)")
    run.add_argument("--jobs", type=int, default=1, metavar="N",
                     help="processes for the analyses' re-solves (default 1)")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="validate a scenario and report pre-solve problems; solves nothing")
    check.add_argument("scenario", nargs="?", help="scenario TOML (default: the embedded baseline)")
    check.set_defaults(func=cmd_check)

    app = sub.add_parser("app", help="serve the planners' app in the browser")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", help="address to listen on (default: all)")
    app.add_argument("--headless", action="store_true", help="do not open a browser")
    app.set_defaults(func=cmd_app)

    generate.register_cli(sub)
    batch.register_cli(sub)
    sweep.register_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        code = args.func(args)
    except InputError as error:
        print(f"quota-sim: bad input: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"quota-sim: interrupted after {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return 130
    return code
