"""A real SIGINT or SIGTERM to a running `quota-sim run`: it stops at once, exit 130, old outputs intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quota_sim.cli import main
from tests.instances import hard_knapsack

ROOT = Path(__file__).resolve().parent.parent
STOP_BOUND = 10.0  # seconds; the bench measures the real figure (well under 2 s)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for(condition, process: subprocess.Popen, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the point to interrupt"
        time.sleep(0.02)


def _stop(process: subprocess.Popen, sig: signal.Signals, once) -> tuple[str, float]:
    """Send ``sig`` to the run once ``once()`` returns and wait for it to end: its stderr and the
    seconds from the signal to its end (the run is killed if anything goes wrong on the way)."""
    try:
        once()
        sent = time.monotonic()
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
        return err, time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> tuple[Path, Path]:
    """A hard instance (gap 0: minutes of branch and bound) and the outputs of an earlier, short run."""
    folder = tmp_path_factory.mktemp("signals")
    scenario, _ = hard_knapsack(folder / "in", n=400, m=10)
    out = folder / "out"
    arguments = ["run", str(scenario.path), "--out", str(out), "--time-limit", "1", "--no-analysis"]
    assert main(arguments) in (0, 3)
    return scenario.path, out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the run's progress")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_highs_solves_stops_the_run_and_keeps_the_old_outputs(tmp_path, earlier_run, sig):
    scenario_path, earlier = earlier_run
    out = tmp_path / "out"
    shutil.copytree(earlier, out)
    before = _snapshot(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "quota_sim", "run", str(scenario_path), "--out", str(out),
               "--time-limit", "300", "--no-analysis"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def searching() -> None:
        _wait_for(lambda: any(p.name.startswith(".out.quota-sim-") for p in tmp_path.iterdir()), process)
        cpu_at_staging = _cpu_seconds(process.pid)
        _wait_for(lambda: _cpu_seconds(process.pid) > cpu_at_staging + 1.0, process)  # HiGHS is searching

    err, stopped_after = _stop(process, sig, once=searching)
    assert process.returncode == 130, err
    assert "Traceback" not in err and f"stopped by {sig.name}" in err
    assert stopped_after < STOP_BOUND
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if ".quota-sim-" in p.name]


def test_the_time_limit_bounds_loading_and_building(tmp_path, capsys):
    from quota_sim.generate import write_generated

    scenario = write_generated(tmp_path / "in", "queue", 1_000, 6, 5, 1)
    # 100,000 projects: each generated row a hundred times under its own id (generating them would take
    # long). Reading them alone takes longer than the limit and its grace, however fast the model builds.
    table = scenario.with_name("queue_projects.csv")
    header, *rows = table.read_text(encoding="utf-8").splitlines()
    copies = [f"{row.split(',', 1)[0]}-{k},{row.split(',', 1)[1]}" for k in range(100) for row in rows]
    table.write_text("\n".join([header, *copies]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    assert main(["run", str(scenario), "--out", str(out), "--time-limit", "0.5", "--no-analysis"]) == 3
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert "time limit of 0.5 s was reached while" in err and "Traceback" not in err
    assert took < 0.5 + STOP_BOUND  # not the minutes a queue of 100,000 projects takes to read and solve
    assert not out.exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the run's progress")
def test_a_signal_while_the_queue_is_read_stops_the_run(tmp_path):
    """SIGINT while a large CSV queue is being read and checked: exit 130 at once, nothing written."""
    from tests.instances import scenario_dict, write_instance

    scenario = write_instance(tmp_path / "in", scenario_dict(), [])
    header = "id,name,zone,land_mu,investment,output\n"
    rows = "".join(f"P{i},项目{i},a,{1 + i % 50},{100 + i % 7},{50 + i % 11}\n" for i in range(400_000))
    (tmp_path / "in" / "projects.csv").write_text(header + rows, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "quota_sim", "run", str(scenario), "--out", str(out), "--no-analysis"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def reading() -> None:
        _wait_for(lambda: _cpu_seconds(process.pid) > 1.5, process)  # imports done, rows being read

    err, stopped_after = _stop(process, signal.SIGINT, once=reading)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "stopped by SIGINT" in err
    assert stopped_after < STOP_BOUND
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["in"]


def test_a_time_limit_swallowed_by_a_callback_still_stops_the_block():
    """The alarm may come while Python runs a weakref callback or a destructor, which swallows the
    exception: the limit is raised again at once instead of being lost."""
    import weakref

    from quota_sim.interrupts import TimeUp, time_limit

    class Thing:
        pass

    def callback(_ref):
        time.sleep(0.3)  # the alarm comes in here

    started = time.monotonic()
    with pytest.raises(TimeUp):
        with time_limit(0.1):
            thing = Thing()
            reference = weakref.ref(thing, callback)
            del thing
            while time.monotonic() - started < 10:
                pass
    assert time.monotonic() - started < 2 and reference() is None
