"""Reliability figures: memory and wall time of `check` and `run --time-limit 60` on large generated
queues, and the time from SIGINT to exit.

For each size (default 100,000 projects; 6 parks, 5 years, every quota the generator makes) a queue is
generated, then each command runs as the real program in a fresh process; printed are its wall time
(s), peak resident memory (MB), exit code and the last line it wrote to stderr. Then a run is stopped
with SIGINT twice: while it reads and builds the largest queue (Python) and while HiGHS searches a
hard knapsack (gap 0); printed is the time from the signal to the process's exit.

    .venv/bin/python bench/bench_reliability.py [--sizes 100000,1000000] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str]) -> dict[str, object]:
    """Wall seconds, peak RSS (MB), exit code and last stderr line of ``quota-sim COMMAND``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "quota_sim", *command], env=ENV, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = [line for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
    return {
        "wall_s": wall,
        "peak_mb": max(peak, before) / 1024,  # the largest child so far: sizes run in increasing order
        "exit": done.returncode,
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
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-reliability-") as temporary:
        folder = Path(temporary)
        largest = None
        for size in sizes:
            scenario = write_generated(folder / f"q{size}", f"q{size}", size, 6, 5, 0)
            largest = scenario
            table = scenario.with_name(f"q{size}_projects.csv")
            print(f"{size:,} projects ({table.stat().st_size / 1e6:.1f} MB CSV)", flush=True)
            limit = f"{args.time_limit:g}"
            run = ["run", str(scenario), "--time-limit", limit, "--out", str(folder / f"out{size}")]
            for name, command in (("check", ["check", str(scenario)]), (f"run --time-limit {limit}", run)):
                figures = measure(command)
                print(f"  {name:<22} {figures['wall_s']:8.1f} s  {figures['peak_mb']:8.0f} MB peak  "
                      f"exit {figures['exit']}  | {figures['says']}", flush=True)
        build = ["run", str(largest), "--time-limit", "600", "--out", str(folder / "stopped")]
        seconds, code = stop_time(build, cpu_seconds=20.0)
        print(f"SIGINT while reading and building {sizes[-1]:,} projects: exit {code} after {seconds:.2f} s")
        knapsack, _ = hard_knapsack(folder / "knapsack", n=400, m=10)
        solve = ["run", str(knapsack.path), "--time-limit", "600", "--out", str(folder / "kn")]
        seconds, code = stop_time(solve, cpu_seconds=6.0)
        print(f"SIGINT while HiGHS searches (hard knapsack, gap 0): exit {code} after {seconds:.2f} s")


if __name__ == "__main__":
    main()
