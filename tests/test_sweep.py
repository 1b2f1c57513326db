"""Sweeps: the table and chart are written, markers are right, bad levers are bad input, Ctrl-C and
SIGTERM stop every worker."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from quota_sim.analysis.sweep import parse_range, parse_values, sweep_markers
from quota_sim.cli import main
from quota_sim.errors import InputError
from tests.instances import hard_knapsack, load_instance, project_row, scenario_dict
from tests.test_batch_faults import AT_WORK, ROOT, _busy_members, _descendants, _poll, _stat

LEVER = "quotas.land.sources.plan.amounts"


def _rows() -> list[dict]:
    return [project_row(f"p{i}", land_mu=40, output=100 - 10 * i) for i in range(4)]


def test_sweep_writes_table_and_chart(tmp_path, capsys) -> None:
    _, _, path = load_instance(tmp_path / "in", scenario_dict(years=2), _rows())
    out = tmp_path / "sweep"
    assert (
        main(["sweep", str(path), "--lever", LEVER, "--range", "0:80:40", "--out", str(out), "--jobs", "2"])
        == 0
    )
    with (out / "sweep.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["value"], r["status"], r["approved"]) for r in rows] == [
        ("0", "optimal", "0"), ("40", "optimal", "2"), ("80", "optimal", "4"),
    ]
    assert [float(r["objective"]) for r in rows] == pytest.approx([0.0, 190.0, 340.0])
    assert float(rows[1]["land_used"]) == 80.0 and rows[0]["lever"] == LEVER
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Queue: 160 mu over 2 years against 2 x 100: no shortfall, so the marker sits on the scenario value.
    assert "3 points" in capsys.readouterr().out


def test_markers_for_the_plan_land_lever(tmp_path) -> None:
    scenario, projects, _ = load_instance(
        tmp_path, scenario_dict(years=2), [*_rows(), project_row("big", land_mu=200)]
    )
    markers = sweep_markers(scenario, projects, LEVER)
    # 360 mu wanted over 2 years against 200 supplied: 80 mu a year short, closed at 100 + 80.
    assert (markers.baseline, markers.shortfall_per_year, markers.shortfall_closed) == (100.0, 80.0, 180.0)
    ratio = sweep_markers(scenario, projects, "quotas.land.ratio")
    assert (ratio.baseline, ratio.shortfall_closed) == (
        None,
        None,
    )  # ratio not set in the file: default applies


def test_bad_lever_is_bad_input_and_writes_nothing(tmp_path, capsys) -> None:
    _, _, path = load_instance(tmp_path / "in", scenario_dict(), _rows())
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            str(path),
            "--lever",
            "quotas.land.sources.plann.amounts",
            "--values",
            "1,2",
            "--out",
            str(out),
        ]
    )
    assert code == 2
    assert "plann" in capsys.readouterr().err
    assert not out.exists()


def test_value_parsing() -> None:
    assert parse_range("300:900:300") == [300, 600, 900]
    assert parse_range("0.5:1:0.25") == [0.5, 0.75, 1]
    assert parse_values("1, 2.5,4") == [1, 2.5, 4]
    for bad in ("1:2", "3:1:1", "0:1:0", "a:b:c"):
        with pytest.raises(InputError):
            parse_range(bad)
    with pytest.raises(InputError):
        parse_values("1,cbc")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes")
@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_stopping_a_sweep_stops_every_worker_without_a_traceback(tmp_path, stop) -> None:
    scenario, _ = hard_knapsack(tmp_path / "in", n=400, m=10)  # each point solves for minutes at gap 0
    out = tmp_path / "out"
    arguments = ["--lever", "quotas.c0.sources.cap.amounts", "--range", "50000:100000:2500", "--gap", "0"]
    command = [sys.executable, "-m", "quota_sim", "sweep", str(scenario.path), *arguments]
    sweep = subprocess.Popen(
        [*command, "--out", str(out), "--jobs", "2"], env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        _poll(lambda: len(_busy_members(sweep.pid, AT_WORK)) >= 2)  # two points are solving
        workers = _descendants(sweep.pid)
        if stop == "ctrl-c":
            os.killpg(sweep.pid, signal.SIGINT)  # the terminal signals the whole process group
        else:
            sweep.send_signal(signal.SIGTERM)
        _, err = sweep.communicate(timeout=60)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.communicate()
    assert sweep.returncode == 130 and "stopped by" in err and "Traceback" not in err
    _poll(lambda: not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in workers), limit=10)
    assert not out.exists() or not any(out.iterdir())  # nothing half-written
