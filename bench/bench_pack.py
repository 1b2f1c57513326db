"""Time to write the meeting pack (SPEC §6) for the baseline and for a generated 5,000-project queue.

For each case the scenario is solved once (the baseline with its analyses, so the workbook has every
sheet; the large queue with ``--time-limit`` and without analyses), then this prints the seconds to make
the data files (CSV tables with attribution, summary.json with the planner block and the waiting
projects' needs), the workbook ``allocation.xlsx`` and the report ``report.docx`` (charts included),
each the median of ``--repeat`` runs (wall and CPU time of this process), and their sizes.

    .venv/bin/python bench/bench_pack.py [--projects 5000] [--time-limit 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from quota_sim.analysis import enrich
from quota_sim.export import data_files
from quota_sim.generate import write_generated
from quota_sim.meeting.charts import cjk_font
from quota_sim.meeting.data import MeetingData
from quota_sim.meeting.report import report_bytes
from quota_sim.meeting.workbook import workbook_bytes
from quota_sim.pipeline import solve_scenario
from quota_sim.scenario import baseline_path, load_scenario


def _median_seconds(step: Callable[[], Any], repeat: int) -> tuple[str, Any]:
    """Median wall and CPU seconds of ``step`` (CPU time is steadier on a shared machine), its value."""
    wall, cpu, value = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        value = step()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return f"{statistics.median(wall):6.2f} s wall {statistics.median(cpu):6.2f} s CPU", value


def measure(label: str, result, repeat: int) -> None:
    if not result.solved:  # nothing to write a workbook for
        print(f"{label}: {len(result.allocation):,} projects, status {result.status}: no plan to write")
        return
    files_s, files = _median_seconds(lambda: data_files(result), repeat)
    data = MeetingData.from_files(files)
    xlsx_s, xlsx = _median_seconds(lambda: workbook_bytes(data, "zh"), repeat)
    docx_s, docx = _median_seconds(lambda: report_bytes(data, "zh"), repeat)
    approved = result.kpi["approved"]
    print(
        f"{label}: {len(result.allocation):,} projects ({approved:,} approved, "
        f"{len(data.facts['waiting']):,} waiting), status {result.status}"
    )
    print(
        f"  data files (CSV + attribution + summary.json)  {files_s}  "
        f"{sum(len(b) for b in files.values()) / 1e3:8.0f} kB"
    )
    print(f"  allocation.xlsx                                {xlsx_s}  {len(xlsx) / 1e3:8.0f} kB")
    print(f"  report.docx (4 charts)                         {docx_s}  {len(docx) / 1e3:8.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"chart font: {cjk_font() or 'none (English labels)'}")

    baseline = solve_scenario(load_scenario(baseline_path()))
    enrich(baseline, importance_top=0, jobs=1)
    measure("baseline", baseline, args.repeat)

    with tempfile.TemporaryDirectory(prefix="bench-pack-") as folder:
        path = write_generated(folder, f"pack{args.projects}", args.projects, 6, 5, seed=1)
        large = solve_scenario(load_scenario(path), time_limit=args.time_limit)
        measure(f"generated queue (time limit {args.time_limit:g} s)", large, args.repeat)


if __name__ == "__main__":
    main()
