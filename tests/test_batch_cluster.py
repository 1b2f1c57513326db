"""Batches on a real local Dask cluster (a scheduler and a two-process worker, started once for the
module): members travel as data, a hanging member is stopped at its time limit, Ctrl-C and SIGTERM to
the batch stop its members on the workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quota_sim.batch import run_batch
from quota_sim.cli import main
from tests.test_batch import PROJECTS_LOCKED, _strip_timing, read_comparison, write_scenario
from tests.test_batch_faults import AT_WORK, _batch, _busy_members, _comparison, _hard, _poll, _stat

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes"),
]


CLUSTER_PROCESSES: dict[str, list[int]] = {}  # scheduler address -> pids of the scheduler and the worker


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and a two-process worker on 127.0.0.1, each started as its own process (their pids
    in ``CLUSTER_PROCESSES``). One cluster serves every test of this module: each test leaves its
    workers idle (its batch has ended and its members are gone), as a shared cluster would be."""
    tmp_path = tmp_path_factory.mktemp("dask")
    scheduler_file = tmp_path / "scheduler.json"
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text():
            assert time.monotonic() < deadline, "the Dask scheduler did not start"
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / "dask-worker"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        CLUSTER_PROCESSES[address] = [process.pid for process in started]
        yield address
    finally:
        # Each started in its own session: the whole group (the worker's nanny and its processes) is
        # killed at once, instead of waiting seconds for a graceful shutdown nobody needs here.
        for process in reversed(started):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_batch_on_a_dask_cluster(dask_cluster: str, tmp_path: Path) -> None:
    # The scenarios live where the workers never look: members travel as data.
    folder = tmp_path / "private"
    write_scenario(folder, "d1", land=40)
    write_scenario(folder, "d2", land=80, energy_id="nox")
    (folder / "locked.csv").write_text(PROJECTS_LOCKED, encoding="utf-8")
    write_scenario(folder, "d3", projects="locked.csv")
    out, local = tmp_path / "out", tmp_path / "local"
    assert main(["batch", str(folder), "--out", str(out), "--scheduler", dask_cluster, "--no-progress"]) == 1
    rows = read_comparison(out)
    assert [row["status"] for row in rows][2] == "infeasible"
    assert (out / "d3" / "diagnosis.json").is_file()
    run_batch([folder], local, jobs=2)
    assert _strip_timing(rows) == _strip_timing(read_comparison(local))
    for name in ("d1", "d2"):
        assert (out / name / "allocation.csv").read_bytes() == (local / name / "allocation.csv").read_bytes()
    # A re-run through the cluster finds every member complete.
    report = run_batch([folder], out, scheduler=dask_cluster)
    assert [o.computed for o in report.outcomes] == [False, False, False]


def test_a_hanging_member_on_a_dask_cluster_fails_alone(dask_cluster, tmp_path):
    """--member-timeout on a Dask cluster: the member runs in a process of its own on a worker, which is
    stopped at the limit; the row says why, the other member solves, the batch ends without a traceback."""
    hard = _hard(tmp_path / "in", "hard")
    easy = write_scenario(tmp_path / "in" / "easy", "easy")
    out = tmp_path / "out"
    arguments = [str(hard), str(easy), "--out", str(out), "--scheduler", dask_cluster]
    arguments += ["--member-timeout", "8"]  # the easy member beside it needs seconds on a loaded machine
    started = time.monotonic()
    batch = _batch(arguments)
    try:
        _, err = batch.communicate(timeout=240)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    rows = _comparison(out)
    assert rows["easy"]["status"] == "optimal" and (out / "easy" / "allocation.csv").is_file()
    assert rows["hard"]["status"] == "error"
    assert "stopped after the member time limit of 8 s" in rows["hard"]["error"]
    assert batch.returncode == 3 and "Traceback" not in err
    assert time.monotonic() - started < 120  # the hard member alone would solve for many minutes


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stopping_a_dask_batch_stops_its_members_on_the_workers(dask_cluster, tmp_path, stop):
    worker = CLUSTER_PROCESSES[dask_cluster][-1]
    idle = _busy_members(worker, AT_WORK)  # the worker processes themselves
    hard = _hard(tmp_path / "in", "hard")
    batch = _batch([str(hard), "--out", str(tmp_path / "out"), "--scheduler", dask_cluster])
    try:
        _poll(lambda: _busy_members(worker, AT_WORK) - idle)  # the member, a child of a worker process
        members = _busy_members(worker, AT_WORK) - idle
        batch.send_signal(stop)
        _, err = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    assert batch.returncode == 130 and "Traceback" not in err
    _poll(lambda: all(_stat(pid) is None or _stat(pid)[0] == "Z" for pid in members), limit=30)
    assert not (tmp_path / "out" / "hard").exists()
