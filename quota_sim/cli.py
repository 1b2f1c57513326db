"""The `quota-sim` command (SPEC §3): every sub-command, its options and its one exit path.

Exit codes (:mod:`quota_sim.codes`): 0 solved (optimal or feasible); 1 infeasible (diagnosis written);
2 bad input (one message on stderr, nothing written); 3 no solution within the limits, or a solver
failure; 130 interrupted.

Building the parser imports nothing heavy: each handler imports the library it needs when it runs,
so ``quota-sim --help`` stays fast. To add a sub-command, write ``_add_<name>(sub)`` (options, with the
validators below) and ``cmd_<name>(args)`` (returns the exit code, raises InputError on bad input), and
register it in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from quota_sim import __version__
from quota_sim.codes import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_INTERRUPTED,
    EXIT_NO_SOLUTION,
    SOLVER_NAMES,
    exit_code_of,
)
from quota_sim.errors import InputError, ModelTooLarge
from quota_sim.interrupts import TimeUp, highs_was_stopped, keep_until_exit, release_kept, stop_on_terminate

if TYPE_CHECKING:
    from quota_sim.results import Result
    from quota_sim.scenario import Scenario

DEFAULT_BATCH_OUT = "results/batch"


# ---------------------------------------------------------------------------- validators


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def positive_float(text: str) -> float:
    """A finite number > 0 (seconds, amounts)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0 (a relative MIP gap)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1 (processes)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (a count that may be none)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def port(text: str) -> int:
    """A TCP port, 1-65535."""
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, got {text}")
    return value


def _add_scenario(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO",
                        help="scenario TOML (default: the embedded baseline)")


def _add_solver_options(parser: argparse.ArgumentParser, per: str = "") -> None:
    """``--time-limit``, ``--gap`` and ``--solver``: each overrides the scenario's ``[solver]`` value."""
    parser.add_argument("--time-limit", type=positive_float, metavar="S", help=f"time limit, seconds{per}")
    parser.add_argument(
        "--gap", type=non_negative_float, metavar="G", help="relative MIP gap accepted as optimal"
    )
    parser.add_argument(
        "--solver", choices=SOLVER_NAMES, help="MILP solver (default: the scenario's, else highs)"
    )


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-analysis", action="store_true",
                        help="skip marginal values, hand-ranking baselines and grades (solve only)")
    parser.add_argument(
        "--importance",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="replacement cost of the N most valuable approvals (one re-solve each; default 0)",
    )


# ---------------------------------------------------------------------------- run, check, app


def _load(path: str | None) -> Scenario:
    from quota_sim.scenario import baseline_path, load_scenario

    return load_scenario(Path(path) if path else baseline_path())


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_summary(result: Result, out_dir: Path | None) -> None:
    """A short report of a run for the terminal."""
    from quota_sim.results import quota_used_key

    kpi = result.kpi
    gap = "" if result.gap is None else f", gap {result.gap:.4%}"
    print(f"scenario {result.scenario.name}: {result.status}{gap} — {result.solver}, "
          f"{result.seconds['total']:.2f} s total ({result.seconds['solve']:.2f} s solving)")
    if result.status == "feasible":
        print("  (time-limited: a feasible plan, not proven optimal)")
    if result.message:
        print(f"  {result.message}")
    print(
        f"approved {kpi['approved']} of {kpi['queued']} projects "
        f"({kpi['not_selected']} not selected, {kpi['ineligible']} ineligible, "
        f"{kpi['locked_out']} locked out)"
    )
    if result.solved:
        width = max([len(q.id) for q in result.scenario.quotas] + [5])
        for q in result.scenario.quotas:
            used, available = kpi[quota_used_key(q.id)], kpi[f"{q.id}_available"]
            print(f"  {q.id:<{width}}  used {_fmt(used, 1):>12} of {_fmt(available, 1):>12} {q.unit}")
        print(
            f"output {_fmt(kpi['output'])} 万元/yr, tax {_fmt(kpi['tax'])} 万元/yr, "
            f"investment {_fmt(kpi['investment'])} 万元, purchase cost {_fmt(kpi['purchase_cost'], 1)} 万元"
        )
        print(f"objective {_fmt(result.objective, 1)} 万元 (best bound {_fmt(result.best_bound, 1)})")
        baselines = result.extras.get("baselines", {})
        if baselines:
            names = {"fcfs": "first come first served", "per_mu": "亩均 ranking"}
            parts = [
                f"{names.get(method, method)} {_fmt(b['objective'])} 万元 (plan {b['uplift_pct']:+.1f} %)"
                for method, b in baselines.items()
                if b.get("uplift_pct") is not None
            ]
            late = [names.get(method, method) for method, b in baselines.items() if b["status"] == "no_time"]
            parts += [f"{name} not done within the analyses' budget" for name in late]
            if parts:
                print("allocated by hand: " + ", ".join(parts))
        units = {q.id: q.unit for q in result.scenario.quotas}
        worth = [
            m
            for m in result.extras.get("marginal_values", [])
            if m["method"] == "resolve" and m["value_per_unit"]
        ]
        if worth:  # a time-limited re-solve, or one that keeps the approvals, gives a lower bound
            at_least = ("time_limited", "neighbourhood")
            print("one more unit is worth: " + ", ".join(
                f"{m['quota']} {'≥ ' if m['status'] in at_least else ''}{m['value_per_unit']:,.4g} "
                f"万元/{units[m['quota']]}" for m in worth))
        analysis = result.extras.get("analysis")
        if analysis:
            counts = ", ".join(f"{n} {status}" for status, n in analysis["resolves"].items())
            print(f"analyses {analysis['seconds']:.2f} s of a {analysis['budget_seconds']:.2f} s budget"
                  + (f" (re-solves: {counts})" if counts else ""))
            if analysis["resolves"].get("no_time"):
                print("  re-solves left out for lack of time: --analysis-seconds S gives them more")
    if out_dir is not None:
        print(f"tables written to {out_dir}/")


def _add_run(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="solve one scenario (default: the embedded baseline)")
    _add_scenario(run)
    run.add_argument("--out", metavar="DIR", help="output directory (default: results/<scenario name>)")
    _add_solver_options(run)
    _add_analysis_options(run)
    run.add_argument(
        "--analysis-seconds",
        type=positive_float,
        metavar="S",
        help="seconds the analyses' re-solves may take (default: a quarter of the solve time, at least 1)",
    )
    run.add_argument("--jobs", type=positive_int, metavar="N",
                     help="parallel re-solves of the analyses, as threads (default: one per core)")
    _add_language(run, "allocation.xlsx and report.docx")
    run.add_argument("--report", action="store_true", help="also write the meeting report report.docx")
    run.set_defaults(func=cmd_run)


def _add_language(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--lang", choices=["zh", "en"], default="zh", help=f"language of {what} (default: zh)"
    )


def cmd_run(args: argparse.Namespace) -> int:
    from quota_sim.pipeline import run_and_write

    started = time.perf_counter()
    scenario = _load(args.scenario)
    load_seconds = time.perf_counter() - started
    out_dir = Path(args.out) if args.out else Path("results") / scenario.name
    try:
        result = run_and_write(
            scenario, out_dir, time_limit=args.time_limit, gap=args.gap, solver=args.solver,
            analyses=not args.no_analysis, importance_top=args.importance, jobs=args.jobs,
            analysis_seconds=args.analysis_seconds, load_seconds=load_seconds, lang=args.lang,
            report=args.report,
        )
    except OSError as error:  # e.g. the disk filled up while writing: the previous outputs stand
        print(f"quota-sim: cannot write the outputs ({error.strerror or error}); {out_dir} is unchanged",
              file=sys.stderr)
        return EXIT_NO_SOLUTION
    for warning in result.projects.warnings:
        print(f"quota-sim: warning: {warning}", file=sys.stderr)
    try:
        print_summary(result, out_dir)
    except BrokenPipeError:  # e.g. `quota-sim run | head`: the reader left; the run itself stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if result.status == "infeasible":
        diagnosis = result.extras.get("diagnosis", {})
        print(
            diagnosis.get("message", "infeasible: the locked-in projects cannot all be met"), file=sys.stderr
        )
    return exit_code_of(result.status)


def _add_check(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="validate a scenario and report pre-solve problems; solves nothing")
    _add_scenario(check)
    check.set_defaults(func=cmd_check)


def _add_report(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report", help="write the meeting report report.docx into a results folder of `run`"
    )
    report.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder written by `quota-sim run`")
    _add_language(report, "the report")
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write report.docx (SPEC §6) into a results folder written by `run`, from that folder alone."""
    from quota_sim.export import OUTPUT_FILES
    from quota_sim.meeting.data import MeetingData, folder_files
    from quota_sim.meeting.report import report_bytes
    from quota_sim.output_set import OutputSet

    folder = Path(args.results_dir)
    files = folder_files(folder)
    report = report_bytes(MeetingData.from_files(files, str(folder)), args.lang)
    with OutputSet.open(folder, "run", names=OUTPUT_FILES) as outputs:  # the report joins the run's set
        outputs.commit({**files, "report.docx": report})
    print(f"report written to {folder / 'report.docx'}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from quota_sim.analysis import check_scenario
    from quota_sim.projects import projects_for

    scenario = _load(args.scenario)
    projects = projects_for(scenario)
    findings = check_scenario(scenario, projects)
    print(f"scenario {scenario.name}: {len(projects)} projects, {len(scenario.zones)} zones, "
          f"{len(scenario.quotas)} quotas, {scenario.years} years from {scenario.start_year}")
    for warning in projects.warnings:
        print(f"  warning: {warning}")
    for finding in findings:
        print(f"  {finding}")
    errors = sum(f.severity == "error" for f in findings)
    print(f"{errors} errors, {len(findings) - errors} warnings" if findings else "no problems found")
    return 1 if errors else 0


def _add_app(sub: argparse._SubParsersAction) -> None:
    app = sub.add_parser("app", help="serve the planners' app in the browser")
    app.add_argument("--port", type=port, default=8501, help="TCP port (default 8501)")
    app.add_argument("--address", help="address to listen on (default: all)")
    app.add_argument("--headless", action="store_true", help="do not open a browser")
    app.add_argument(
        "--data-dir",
        help="folder for the shared scenario library and pinned queues "
        "(default: $QUOTA_SIM_DATA, else the user's data directory)",
    )
    app.set_defaults(func=cmd_app)


def cmd_app(args: argparse.Namespace) -> int:
    import importlib.util

    from quota_sim.app import streamlit_command

    if importlib.util.find_spec("streamlit") is None:
        print("quota-sim: the app needs Streamlit: pip install 'quota-sim[app]'", file=sys.stderr)
        return EXIT_BAD_INPUT
    from quota_sim.app.library import DATA_ENV

    if args.data_dir:
        os.environ[DATA_ENV] = str(Path(args.data_dir).expanduser().resolve())
    command = streamlit_command(args.port, args.address, args.headless)
    os.execv(command[0], command)  # the server takes this process over: signals reach it directly
    return 0  # not reached


# ---------------------------------------------------------------------------- generate, batch, grid


def _add_generate(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "generate",
        help="write a synthetic scenario and project queue",
        description="Write <out>/<name>.toml and <out>/<name>_projects.csv: a seeded synthetic queue "
        "(same arguments, same files). Files of these names are replaced only where quota-sim wrote them "
        "(its manifest .quota-sim-generate-<name>.json lists them); any other is refused with exit 2.",
    )
    parser.add_argument("--projects", type=_integer, default=200, help="number of projects (default 200)")
    parser.add_argument("--zones", type=_integer, default=4, help="number of parks, 1-8 (default 4)")
    parser.add_argument("--years", type=_integer, default=5, help="horizon length in years (default 5)")
    parser.add_argument("--seed", type=_integer, default=0, help="random seed (default 0)")
    parser.add_argument("--start-year", type=_integer, default=2026, help="first horizon year (default 2026)")
    parser.add_argument("--name", default="generated", help="scenario name and file stem (default generated)")
    parser.add_argument("--out", default=".", metavar="DIR", help="output directory (default .)")
    parser.set_defaults(func=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    from quota_sim.generate import write_generated

    toml_path = write_generated(
        args.out, args.name, args.projects, args.zones, args.years, args.seed, args.start_year
    )
    tables = [toml_path.with_name(f"{args.name}_{table}.csv") for table in ("projects", "sites")]
    print(f"wrote {toml_path}, {tables[0]} and {tables[1]}")
    return 0


def _add_batch(sub: argparse._SubParsersAction) -> None:
    batch = sub.add_parser(
        "batch",
        help="solve many scenarios in parallel (local processes or a Dask cluster)",
        description="Solve many scenarios; each one's outputs go to DIR/<name>/, the comparison to "
        "DIR/comparison.csv and .xlsx. Complete members with unchanged inputs are not solved again. "
        "Exit code: 0 all solved, else the worst member's (2 bad input, 3 no solution, 1 infeasible).",
    )
    batch.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="TOML file, glob pattern or directory"
    )
    batch.add_argument("--out", default=DEFAULT_BATCH_OUT, metavar="DIR",
                       help=f"output directory (default {DEFAULT_BATCH_OUT})")
    batch.add_argument(
        "--jobs", type=positive_int, metavar="N", help="local worker processes (default: all cores)"
    )
    batch.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--force", action="store_true", help="solve every scenario again")
    _add_solver_options(batch, per=" per scenario")
    _add_analysis_options(batch)
    batch.add_argument("--member-timeout", type=positive_float, metavar="S",
                       help="wall-clock seconds a member may take; past them it fails alone")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    from quota_sim.batch import RunOptions, run_batch

    options = RunOptions(
        time_limit=args.time_limit, gap=args.gap, solver=args.solver,
        analyses=not args.no_analysis, importance=args.importance,
    )
    try:
        report = run_batch(
            args.scenarios, args.out, jobs=args.jobs, scheduler=args.scheduler, force=args.force,
            options=options, progress=not args.no_progress and sys.stderr.isatty(),
            member_timeout=args.member_timeout,
        )
    except OSError as error:
        print(f"quota-sim: cannot reach the Dask scheduler or write outputs: {error}", file=sys.stderr)
        return EXIT_NO_SOLUTION
    counts = ", ".join(f"{count} {status}" for status, count in sorted(report.counts().items()))
    reused = sum(1 for outcome in report.outcomes if not outcome.computed and outcome.summary is not None)
    print(f"{len(report.outcomes)} scenarios ({counts}; {reused} unchanged, not solved again) "
          f"in {report.seconds:.1f} s")
    print(f"comparison: {report.comparison_csv}")
    for outcome in report.outcomes:
        if outcome.error:
            print(f"{outcome.name}: {outcome.status}: {outcome.error}", file=sys.stderr)
    return report.exit_code


def _add_grid(sub: argparse._SubParsersAction) -> None:
    grid = sub.add_parser(
        "grid",
        help="write one scenario file per combination of parameter values",
        description="Expand SCENARIO over the product of the --set values and write one standalone TOML per "
        "combination, named <name>__<label>-<value>__...; run them with `quota-sim batch DIR`.",
    )
    grid.add_argument("scenario", metavar="SCENARIO", help="the scenario to expand")
    grid.add_argument(
        "--set",
        dest="axes",
        action="append",
        required=True,
        metavar="KEY=V1,V2,...",
        help="a dotted scenario key and its values, e.g. quotas.land.sources.plan.amounts=600,1200",
    )
    grid.add_argument("--out", metavar="DIR", help="directory for the files (default results/grid/<name>)")
    grid.set_defaults(func=cmd_grid)


def cmd_grid(args: argparse.Namespace) -> int:
    from quota_sim.grid import parse_axis, write_grid

    scenario = _load(args.scenario)
    axes = [parse_axis(text) for text in args.axes]
    out = Path(args.out) if args.out else Path("results") / "grid" / scenario.name
    paths = write_grid(scenario, axes, out)
    for path in paths:
        print(path)
    print(f"{len(paths)} scenarios written; solve them with: quota-sim batch {out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- sweep


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep",
        help="solve a scenario over a range of one lever; table and chart",
        description="Vary one scenario key over several values, solve each variant (in parallel) and write "
        "sweep.csv and sweep.png. Example: quota-sim sweep --lever quotas.land.sources.plan.amounts "
        "--range 300:3600:300",
    )
    _add_scenario(parser)
    parser.add_argument(
        "--lever", required=True, metavar="KEY", help="dotted scenario key, e.g. quotas.nox.ratio"
    )
    values = parser.add_mutually_exclusive_group(required=True)
    values.add_argument("--values", metavar="A,B,C", help="comma-separated values")
    values.add_argument("--range", metavar="START:STOP:STEP", help="values from START to STOP (inclusive)")
    parser.add_argument(
        "--out", metavar="DIR", help="output directory (default: results/<scenario name>/sweep)"
    )
    parser.add_argument(
        "--jobs", type=positive_int, default=2, metavar="N", help="worker processes (default 2)"
    )
    _add_solver_options(parser, per=" per point")
    parser.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """0 when every point solved (or was proven infeasible), 3 when some found no solution."""
    from quota_sim.analysis.sweep import (
        open_sweep_outputs,
        parse_range,
        parse_values,
        run_sweep,
        sweep_markers,
        write_sweep,
    )
    from quota_sim.projects import projects_for

    scenario = _load(args.scenario)
    values = parse_range(args.range) if args.range else parse_values(args.values)
    projects = projects_for(scenario)
    outputs = open_sweep_outputs(args.out or Path("results") / scenario.name / "sweep", scenario)
    options = {"time_limit": args.time_limit, "gap": args.gap, "solver": args.solver}
    started = time.perf_counter()
    with outputs:
        rows = run_sweep(
            scenario, args.lever, values, projects=projects, jobs=args.jobs, solve_options=options
        )
        markers = sweep_markers(scenario, projects, args.lever)
        table, chart = write_sweep(rows, args.lever, markers, outputs)
    for row in rows:
        objective = "—" if row["objective"] is None else f"{row['objective']:,.1f}"
        print(f"  {args.lever} = {row['value']:<10g} {row['status']:<11} objective {objective:>16}  "
              f"approved {row['approved'] if row['approved'] is not None else '—'}")
    if markers.shortfall_per_year is not None:
        print(f"land demand of the queue exceeds supply by {markers.shortfall_per_year:,.0f} mu a year; "
              f"closed at {args.lever} = {markers.shortfall_closed:,.0f}")
    print(f"{len(rows)} points in {time.perf_counter() - started:.1f} s; wrote {table} and {chart}")
    unsolved = [row for row in rows if row["status"] not in ("optimal", "feasible", "infeasible")]
    return EXIT_NO_SOLUTION if unsolved else 0


# ---------------------------------------------------------------------------- verify, export-model


def _add_verify(sub: argparse._SubParsersAction) -> None:
    verify = sub.add_parser(
        "verify",
        help="re-check a run's output tables against the rules, independently of the model",
        description="Read allocation.csv, quota_use.csv and summary.json from RESULTS_DIR and recompute "
        "screens, charges, supply, costs, values and KPIs from the scenario and its projects table alone "
        "(no code shared with the model). Exit code: 0 valid, 1 violations found (listed), 2 bad input "
        "(no results there, or they belong to another scenario).",
    )
    verify.add_argument("results", metavar="RESULTS_DIR", help="the output folder of a run")
    verify.add_argument("scenario", nargs="?", metavar="SCENARIO",
                        help="the scenario the run solved (default: the embedded baseline)")
    verify.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    import json

    from quota_sim.projects import projects_for
    from quota_sim.verify import verify_outputs

    folder = Path(args.results)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise InputError("no summary.json here: not the output folder of a run", file=folder)
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read summary.json ({error})", file=summary_path) from None
    scenario = _load(args.scenario)
    if not isinstance(summary, dict) or summary.get("scenario") != scenario.name:
        found = summary.get("scenario") if isinstance(summary, dict) else None
        raise InputError(f"the results are of scenario {found!r}, not {scenario.name!r}: name its file",
                         file=summary_path)
    problems = verify_outputs(scenario, projects_for(scenario), folder)
    for problem in problems:
        print(problem)
    status = summary.get("status")
    print(f"{folder}: {status}, {len(problems)} violations" if problems else f"{folder}: {status}, valid")
    return EXIT_INFEASIBLE if problems else 0


def _add_export_model(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export-model",
        help="write the built MILP as MPS (or LP) for another solver",
        description="Build the scenario's MILP and write it as HiGHS receives it: MPS, or CPLEX LP format "
        "when FILE ends in .lp. Variable and row names are listed in docs/model.md. FILE must not exist.",
    )
    export.add_argument("scenario", nargs="?", metavar="SCENARIO",
                        help="scenario TOML (default: the embedded baseline)")
    export.add_argument("file", metavar="FILE", help="the file to write (.mps or .lp)")
    export.set_defaults(func=cmd_export_model)


def cmd_export_model(args: argparse.Namespace) -> int:
    from quota_sim.model import build_model
    from quota_sim.projects import projects_for
    from quota_sim.solve import write_model

    target = Path(args.file)
    suffix = target.suffix.lower()
    if suffix not in (".mps", ".lp"):
        raise InputError("the model file must end in .mps or .lp", file=target)
    if target.exists() or target.is_symlink():
        raise InputError("the file exists; quota-sim writes only new files", file=target)
    if not target.parent.is_dir():
        raise InputError("no such folder", file=target.parent)
    scenario = _load(args.scenario)
    model = build_model(scenario, projects_for(scenario))
    temporary = target.with_name(f".{target.name}.{os.getpid()}{suffix}")
    try:
        write_model(model, temporary)
        os.link(temporary, target)  # never replaces a file that appeared meanwhile
    finally:
        temporary.unlink(missing_ok=True)
    print(f"wrote {target}: {model.n_variables} variables ({model.n_x} binary), {model.n_rows} rows")
    return 0


# ---------------------------------------------------------------------------- the command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quota-sim",
        description="Allocate construction land, energy-use and emission quotas across queued projects.",
    )
    parser.add_argument("--version", action="version", version=f"quota-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = (
        _add_run, _add_report, _add_check, _add_verify, _add_export_model, _add_app, _add_generate,
        _add_batch, _add_grid, _add_sweep,
    )
    for add in commands:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the sub-command; every outcome leaves through here as an exit code.

    Run as the program (``argv`` None) after a stopped HiGHS run, the process ends here with the code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version (0) or an option argparse refused (2, message printed)
        return int(done.code or 0)
    started = time.perf_counter()
    stop_on_terminate()
    code = _run(args, started)
    if argv is None and (highs_was_stopped() or code == EXIT_INTERRUPTED):
        # The program itself, stopped: end here without interpreter shutdown, which would abort inside
        # a stopped HiGHS, and would take seconds to free the model of a large queue.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    release_kept()
    return code


def _run(args: argparse.Namespace, started: float) -> int:
    try:
        return args.func(args)
    except InputError as error:
        print(f"quota-sim: bad input: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as signal_name:
        seconds = time.perf_counter() - started
        print(f"quota-sim: stopped by {str(signal_name) or 'SIGINT'} after {seconds:.1f} s", file=sys.stderr)
        keep_until_exit(signal_name)  # main ends the process at once, without freeing the run's data
        return EXIT_INTERRUPTED
    except (TimeUp, ModelTooLarge) as error:  # no plan within the time or memory limits
        print(f"quota-sim: no solution: {error}", file=sys.stderr)
        return EXIT_NO_SOLUTION
    except Exception as error:  # a solver or system failure: no traceback, and not bad input
        print(f"quota-sim: {args.command} failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_NO_SOLUTION
