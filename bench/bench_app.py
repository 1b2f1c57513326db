"""Benchmark of the planners' app on the embedded baseline.

Measures, with Streamlit's AppTest driving ``app.py`` in this process:

- the first page load (baseline solved once);
- the time from a slider change (the yearly plan land quota, a new value each time, so every run
  solves) to the updated result: set the value, press Solve, run the page; median of ``--runs``;
- the same submit with nothing changed (answered from the cache, no solve);
- the process's peak memory (resident set, MB) and its memory at the end.

Usage: ``.venv/bin/python bench/bench_app.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import psutil
from streamlit.testing.v1 import AppTest

from quota_sim.i18n import t

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 300  # s, per page run


def _timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page failed: {at.exception[0].message}")
    return elapsed


def _plan_slider(at: AppTest):
    return next(s for s in at.slider if s.label == t("plan_land", "zh"))


def _solve_seconds(at: AppTest) -> str:
    return next(m.proto.delta for m in at.metric if m.label == t("metric_status", "zh"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="slider changes to time (default 5)")
    args = parser.parse_args()

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    first = _timed_run(at)
    print(f"first page load (baseline solve): {first:.2f} s ({_solve_seconds(at)})")

    changes = []
    start_value = _plan_slider(at).value
    for i in range(1, args.runs + 1):
        _plan_slider(at).set_value(start_value + 10.0 * i)
        at.button(key="solve").click()
        elapsed = _timed_run(at)
        changes.append(elapsed)
        print(f"  slider -> {start_value + 10.0 * i:.0f} mu/yr: {elapsed:.2f} s ({_solve_seconds(at)})")
    print(
        f"slider change to updated result: median {statistics.median(changes):.2f} s "
        f"(min {min(changes):.2f}, max {max(changes):.2f}, {len(changes)} runs)"
    )

    cached = []
    for _ in range(args.runs):
        at.button(key="solve").click()
        cached.append(_timed_run(at))
    print(f"unchanged submit (cached, no solve): median {statistics.median(cached):.2f} s")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    now_mb = psutil.Process().memory_info().rss / 1024 / 1024
    print(f"memory: peak {peak_mb:.0f} MB resident, {now_mb:.0f} MB at the end")


if __name__ == "__main__":
    main()
