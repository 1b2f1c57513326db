"""Batch faults with real processes: a killed or crashed worker, a hanging member, a bad member file,
Ctrl-C and SIGTERM to the batch, resume after the batch itself was killed."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quota_sim.batch import RunOptions, run_batch
from quota_sim.workers import run_isolated
from tests import fault_task
from tests.instances import hard_knapsack
from tests.test_batch import write_scenario

ROOT = Path(__file__).resolve().parent.parent
AT_WORK = 0.2  # s of CPU: a hard member past its start, where no easy member runs beside it
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes")


def test_each_failure_stays_with_its_own_task():
    tasks = ["a", "kill", "b", "abort", "raise", "hang", "c"]
    results = run_isolated(
        tasks, fault_task.run, lambda task, why: f"{task} failed: {why}", workers=3, timeout=2
    )
    by_task = {result.split(" ")[0]: result for result in results}
    assert set(by_task) == set(tasks)
    assert by_task["a"] == "a done" and by_task["b"] == "b done" and by_task["c"] == "c done"
    assert "killed by SIGKILL (out of memory?)" in by_task["kill"]
    assert "killed by SIGABRT" in by_task["abort"]
    assert "ValueError: bad task" in by_task["raise"]
    assert "member time limit of 2 s" in by_task["hang"]


def _served(caller: int) -> set[int]:
    """The caller's processes that its fork server forked."""
    found = set()
    for pid in _descendants(caller):
        fields = _stat(pid)
        if fields is not None and _forked_by_a_server(pid) and _forked_by_a_server(int(fields[1])):
            found.add(pid)
    return found


# A process with a thread (or that has run HiGHS) may not fork: its tasks come from a fork server.
_THREADED_CALLER = """
import threading
from quota_sim.workers import _context, run_isolated
from tests import fault_task
threading.Thread(target=threading.Event().wait, daemon=True).start()
print(_context().get_start_method(), flush=True)
for _ in run_isolated(["hang", "hang"], fault_task.run, lambda task, why: why, workers=2):
    pass
"""


def test_tasks_from_a_fork_server_end_with_the_process_that_started_them():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _THREADED_CALLER]
    caller = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert caller.stdout.readline().strip() == "forkserver"
        _poll(lambda: len(_served(caller.pid)) == 2)  # both tasks are running
        started = _descendants(caller.pid)  # the tasks, the fork server, the resource tracker
    finally:
        caller.kill()  # SIGKILL: no chance to stop them
        caller.wait()
        caller.stdout.close()  # the fork server and its children share it: not read to its end
    _poll(lambda: not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in started), limit=15)


# ---------------------------------------------------------------------------- real batches


def _hard(folder: Path, name: str) -> Path:
    """A member that solves for minutes (gap 0 on a hard knapsack)."""
    scenario, _ = hard_knapsack(folder / name, n=400, m=10)
    text = scenario.path.read_text(encoding="utf-8").replace('name = "case"', f'name = "{name}"')
    path = scenario.path.with_name(f"{name}.toml")
    path.write_text(text, encoding="utf-8")
    scenario.path.unlink()
    return path


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None and fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _forked_by_a_server(pid: int) -> bool:
    """Whether the process runs multiprocessing's fork server code (the server and what it forks)."""
    try:
        return b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _busy_members(batch: int, cpu: float = 1.0) -> set[int]:
    """Member processes: descendants of the batch with no child that have used ``cpu`` seconds of CPU,
    not a fork server (which outlives its members). A second tells a hard member from an easy one (and
    from a Dask worker starting up); where every member is hard, a fifth says it is at work."""
    tick = os.sysconf("SC_CLK_TCK")
    descendants = _descendants(batch)
    parents = {int(fields[1]) for pid in descendants if (fields := _stat(pid)) is not None}
    busy = set()
    for pid in descendants - parents:
        fields = _stat(pid)
        if fields is None or (int(fields[11]) + int(fields[12])) / tick <= cpu:
            continue
        if _forked_by_a_server(pid) and not _forked_by_a_server(int(fields[1])):
            continue  # the fork server itself, between members
        busy.add(pid)
    return busy


def _poll(condition, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _batch(arguments: list[str], **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "quota_sim", "batch", *arguments, "--no-progress", "--no-analysis"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )


def _comparison(out: Path) -> dict[str, dict[str, str]]:
    with (out / "comparison.csv").open(encoding="utf-8", newline="") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}


def test_a_killed_member_fails_alone_and_a_hanging_one_is_stopped(tmp_path):
    hard = _hard(tmp_path / "in", "hard")
    slow = _hard(tmp_path / "in", "slow")
    easy = write_scenario(tmp_path / "in" / "easy", "easy")
    out = tmp_path / "out"
    arguments = [str(hard), str(slow), str(easy), "--out", str(out), "--jobs", "2", "--member-timeout", "6"]
    batch = _batch(arguments)
    try:
        # The two hard members start first, the easy one when a worker is free. Kill one of them as soon
        # as it runs, long before its time limit (so no race with the limit, however loaded the
        # machine); the other hangs on until its limit.
        _poll(lambda: _busy_members(batch.pid, AT_WORK))
        victim = max(_busy_members(batch.pid, AT_WORK))
        os.kill(victim, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        _, err = batch.communicate(timeout=300)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    rows = _comparison(out)
    assert rows["easy"]["status"] == "optimal"
    failed = [rows[name] for name in ("hard", "slow")]
    assert sorted(row["status"] for row in failed) == ["error", "error"]
    reasons = " ".join(row["error"] for row in failed)
    assert "killed by SIGKILL (out of memory?)" in reasons and "member time limit of 6 s" in reasons
    assert batch.returncode == 3 and "Traceback" not in err


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_stopping_the_batch_stops_every_member_without_a_traceback(tmp_path, stop):
    members = [str(_hard(tmp_path / "in", f"m{i}")) for i in range(2)]
    out = tmp_path / "out"
    batch = _batch([*members, "--out", str(out), "--jobs", "2"], start_new_session=True)
    try:
        _poll(lambda: len(_busy_members(batch.pid, AT_WORK)) >= 2)
        members_pids = _busy_members(batch.pid, AT_WORK)
        sent = time.monotonic()
        if stop == "ctrl-c":
            os.killpg(batch.pid, signal.SIGINT)  # the terminal signals the whole process group
        else:
            batch.send_signal(signal.SIGTERM)
        _, err = batch.communicate(timeout=60)
        stopped_after = time.monotonic() - sent
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    assert batch.returncode == 130 and "Traceback" not in err and "stopped by" in err
    assert stopped_after < 10
    _poll(lambda: not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in members_pids), limit=10)


def test_resume_after_the_batch_itself_was_killed(tmp_path):
    easy = write_scenario(tmp_path / "in" / "easy", "easy")
    hard = _hard(tmp_path / "in", "hard")
    out = tmp_path / "out"
    batch = _batch([str(easy), str(hard), "--out", str(out), "--jobs", "2"])
    try:
        _poll(lambda: (out / "easy" / "inputs.sha256").exists() and bool(_busy_members(batch.pid, AT_WORK)))
        orphans = _busy_members(batch.pid, AT_WORK)  # the easy member is done: the hard one is left
        batch.kill()  # SIGKILL: no chance to clean up
        batch.communicate()
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    _poll(lambda: not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in orphans), limit=15)  # no orphan
    report = run_batch([easy], out, jobs=1, options=RunOptions(analyses=False))  # as --no-analysis
    assert report.outcomes[0].status == "optimal" and not report.outcomes[0].computed


def test_bad_member_files_are_bad_input_rows(tmp_path):
    good = write_scenario(tmp_path / "in" / "good", "good")
    garbage = tmp_path / "in" / "garbage.toml"
    garbage.write_bytes(b"\xff\xfe not toml")
    deep = tmp_path / "in" / "deep.toml"
    deep.write_text('name = "deep"\nprojects = "p.csv"\nx = ' + "[" * 5000 + "]" * 5000, encoding="utf-8")
    device = write_scenario(tmp_path / "in" / "device", "device")
    text = device.read_text(encoding="utf-8").replace('"projects.csv"', '"/dev/zero"')
    device.write_text(text, encoding="utf-8")
    report = run_batch([good, garbage, deep, device], tmp_path / "out", jobs=1)
    statuses = {outcome.scenario_file: outcome for outcome in report.outcomes}
    assert statuses[str(good)].status == "optimal"
    for path, phrase in ((garbage, "not UTF-8"), (deep, "nest too deeply"), (device, "not a regular file")):
        assert statuses[str(path)].status == "bad_input" and phrase in statuses[str(path)].error
    assert report.exit_code == 2
