"""Benchmark of the app's solves: several lever settings of the baseline solved as the server could
solve them — one after the other in the server's process, all at once in its threads, one while
another thread runs Python (as when a page is drawn), and through the app's solver processes
(:class:`quota_sim.app.solver.Solver`, all asked for at once).

Each setting moves the yearly plan land quota by 10·k mu/yr (k = 1..``--settings``); every way solves
the same settings, each way in a fresh cache. Prints the wall seconds of each way and the machine's
load average.

Usage: ``.venv/bin/python bench/bench_app_solves.py [--settings 4] [--processes N]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import threading
import time

from quota_sim import app_state
from quota_sim.app.solver import Solver, solve_processes, solve_setting
from quota_sim.scenario import baseline_path, load_scenario, scenario_to_toml


def settings(count: int, offset: int) -> list[str]:
    """``count`` lever settings of the baseline as TOML (plan land quota moved 10·k mu/yr)."""
    base = load_scenario(baseline_path())
    levers = app_state.levers_from_scenario(base)
    return [
        scenario_to_toml(
            app_state.apply_levers(base, dataclasses.replace(levers, plan_land=levers.plan_land + 10 * k))
        )
        for k in range(offset + 1, offset + count + 1)
    ]


def in_threads(tomls: list[str]) -> float:
    started = time.perf_counter()
    threads = [threading.Thread(target=solve_setting, args=(toml,)) for toml in tomls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def one_after_another(tomls: list[str]) -> float:
    started = time.perf_counter()
    for toml in tomls:
        solve_setting(toml)
    return time.perf_counter() - started


def beside_python(tomls: list[str]) -> float:
    """One after the other while another thread keeps running Python."""
    stop = threading.Event()

    def busy() -> None:
        count = 0
        while not stop.is_set():
            count += 1

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        return one_after_another(tomls)
    finally:
        stop.set()
        thread.join()


def in_solver_processes(tomls: list[str], processes: int) -> float:
    solver = Solver(lambda _toml: None, lambda _toml, _result: None, processes=processes)
    try:
        solver.solves.result(settings(1, 1000)[0])  # the children started and warm
        started = time.perf_counter()
        threads = [threading.Thread(target=solver.solves.result, args=(toml,)) for toml in tomls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started
    finally:
        solver.close()


def load_average() -> str:
    return "load average {:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", type=int, default=4, help="settings each way solves (default 4)")
    parser.add_argument(
        "--processes", type=int, default=solve_processes(), help="solver processes (default: one per core)"
    )
    args = parser.parse_args()
    solve_setting(settings(1, 1000)[0])  # modules loaded, HiGHS warm
    print(f"start: {load_average()}")
    ways = {
        "one after another, in the server's process": one_after_another,
        "all at once, in the server's threads": in_threads,
        "one after another, beside a thread running Python": beside_python,
        f"all at once, through {args.processes} solver processes": lambda t: in_solver_processes(
            t, args.processes
        ),
    }
    tomls = settings(args.settings, 0)  # the same settings each way; no way keeps a result for another
    for way, run in ways.items():
        print(f"{args.settings} settings, {way}: {run(tomls):.2f} s; {load_average()}", flush=True)


if __name__ == "__main__":
    main()
