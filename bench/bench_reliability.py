"""Reliability figures: memory and wall time of `check` and `run --time-limit 60` on large generated
queues, and the time from SIGINT to exit.

For each size (default 100,000 projects; 6 parks, 5 years, every quota the generator makes) a queue is
generated, then each command runs as the real program in a fresh process; printed are its wall time
(s), CPU time (s: on a shared machine the wall time grows with the load), peak resident memory (MB),
exit code and the last line it wrote to stderr. Queues above
``GENERATED_MAX`` projects are the generated queue of that size repeated (ids suffixed ``-2``, ``-3``, …;
the copies' signed projects unlocked), since generating parcels for them takes the generator hours;
``--work DIR`` keeps the queues for the next run. Then a run is stopped
with SIGINT twice: while it reads and builds the largest queue (Python) and while HiGHS searches a
hard knapsack (gap 0); printed is the time from the signal to the process's exit.

    .venv/bin/python bench/bench_reliability.py [--sizes 100000,1000000] [--time-limit 60] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quota_sim.generate import write_generated  # noqa: E402
from tests.instances import hard_knapsack  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
GENERATED_MAX = 100_000  # larger queues repeat the generated one


def queue(folder: Path, size: int) -> Path:
    """The scenario of a generated queue of ``size`` projects in ``folder`` (made once, then kept)."""
    base = min(size, GENERATED_MAX)
    scenario = folder / f"q{base}" / f"q{base}.toml"
    if not scenario.exists():
        write_generated(scenario.parent, f"q{base}", base, 6, 5, 0)
    if size == base:
        return scenario
    tiled = scenario.with_name(f"q{size}.toml")
    table = scenario.with_name(f"q{size}_projects.csv")
    if not tiled.exists():
        with scenario.with_name(f"q{base}_projects.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with table.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for copy in range(size // base + 1):
                for row in rows[: min(base, size - copy * base)]:
                    if copy:
                        row = {**row, "id": f"{row['id']}-{copy + 1}", "lock": row["lock"].replace("in", "")}
                    writer.writerow(row)
        text = scenario.read_text(encoding="utf-8")
        tiled.write_text(text.replace(f'projects = "q{base}_projects.csv"', f'projects = "{table.name}"'),
                         encoding="utf-8")
    return tiled


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str]) -> dict[str, object]:
    """Wall and CPU seconds, peak RSS (MB), exit code and last stderr line of ``quota-sim COMMAND``."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen([sys.executable, "-m", "quota_sim", *command], env=ENV, stdout=output,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        output.seek(0)
        lines = [line for line in output.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,  # this process alone
        "exit": process.returncode,
        "says": (lines[-1] if lines else "")[:150],
    }


def stop_time(command: list[str], cpu_seconds: float) -> tuple[float, int]:
    """Seconds from SIGINT to exit once the run has used ``cpu_seconds`` of CPU, and its exit code."""
    process = subprocess.Popen([sys.executable, "-m", "quota_sim", *command], env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and _cpu(process.pid) < cpu_seconds:
        time.sleep(0.05)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    process.wait()
    return time.perf_counter() - sent, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="queue sizes, comma-separated")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--work", type=Path, help="folder keeping the generated queues (default: temporary)")
    parser.add_argument("--only-sigint", action="store_true", help="only the time from SIGINT to exit")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-reliability-") as temporary:
        folder = Path(temporary)
        work = args.work or folder
        largest = None
        for size in sizes:
            scenario = queue(work, size)
            largest = scenario
            if args.only_sigint:
                continue
            table = scenario.parent / next(
                line.split('"')[1] for line in scenario.read_text(encoding="utf-8").splitlines()
                if line.startswith("projects = ")
            )
            print(f"{size:,} projects ({table.stat().st_size / 1e6:.1f} MB CSV)", flush=True)
            limit = f"{args.time_limit:g}"
            run = ["run", str(scenario), "--time-limit", limit, "--out", str(folder / f"out{size}")]
            for name, command in (("check", ["check", str(scenario)]), (f"run --time-limit {limit}", run)):
                figures = measure(command)
                print(f"  {name:<22} {figures['wall_s']:8.1f} s ({figures['cpu_s']:.1f} s CPU)  "
                      f"{figures['peak_mb']:8.0f} MB peak  "
                      f"exit {figures['exit']}  | {figures['says']}", flush=True)
        build = ["run", str(largest), "--time-limit", "600", "--out", str(folder / "stopped")]
        for cpu in (5.0, 20.0):
            seconds, code = stop_time(build, cpu_seconds=cpu)
            print(f"SIGINT after {cpu:g} s of CPU on {sizes[-1]:,} projects (reading, checking, building): "
                  f"exit {code} after {seconds:.2f} s", flush=True)
        knapsack, _ = hard_knapsack(folder / "knapsack", n=400, m=10)
        solve = ["run", str(knapsack.path), "--time-limit", "600", "--out", str(folder / "kn")]
        seconds, code = stop_time(solve, cpu_seconds=6.0)
        print(f"SIGINT while HiGHS searches (hard knapsack, gap 0): exit {code} after {seconds:.2f} s")


if __name__ == "__main__":
    main()
