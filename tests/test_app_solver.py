"""The server's solves: pressed first, each setting once for every session, each session's latest setting
solved ahead, in child processes that a crash or a stop does not take down with the server."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from quota_sim.app.solver import Child, Planner, SolveFailed, Solver, Solves, solve_setting
from quota_sim.errors import InputError
from quota_sim.scenario import baseline_path, load_scenario, scenario_to_toml

WAIT = 60  # s, a bound for the threads and children in these tests


class Gate:
    """A runner that records what it solves and holds the setting ``hold`` until released."""

    def __init__(self, hold: str) -> None:
        self.hold, self.solved = hold, []
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, toml: str) -> str:
        self.solved.append(toml)
        if toml == self.hold:
            self.started.set()
            assert self.release.wait(WAIT)
        return f"result of {toml}"


def in_thread(call) -> tuple[threading.Thread, list]:
    out: list = []

    def target() -> None:
        try:
            out.append(call())
        except Exception as error:
            out.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def wait_until(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def dead(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie its parent has not reaped yet counts)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_pressed_solve_goes_first_and_a_setting_moved_past_is_dropped() -> None:
    gate = Gate("busy")
    solves = Solves([gate])
    first, _ = in_thread(lambda: solves.result("busy"))
    assert gate.started.wait(WAIT)
    solves.want("a", "a1")
    solves.want("b", "b1")
    solves.want("a", "a2")  # planner a moved on before a1's turn: a1 is dropped
    pressed, out = in_thread(lambda: solves.result("p"))
    wait_until(lambda: ("p", True) in solves.waiting())
    assert solves.waiting() == [("p", True), ("b1", False), ("a2", False)]
    gate.release.set()
    pressed.join(WAIT)
    first.join(WAIT)
    assert out == ["result of p"]
    wait_until(lambda: not solves.waiting() and len(gate.solved) == 4)
    assert gate.solved == ["busy", "p", "b1", "a2"]
    assert solves.result("a2") == "result of a2"  # kept: not solved again
    assert gate.solved == ["busy", "p", "b1", "a2"]


def test_a_setting_is_solved_once_for_everyone_who_asks() -> None:
    gate = Gate("s")
    solves = Solves([gate, gate])
    solves.want("a", "s")  # solved ahead for one planner...
    assert gate.started.wait(WAIT)
    asks = [in_thread(lambda: solves.result("s")) for _ in range(3)]  # ...while three press Solve
    solves.want("b", "s")
    gate.release.set()
    for thread, out in asks:
        thread.join(WAIT)
        assert out == ["result of s"]
    assert gate.solved == ["s"]


def test_two_settings_are_solved_side_by_side() -> None:
    both = threading.Barrier(2, timeout=WAIT)

    def run(toml: str) -> str:
        both.wait()  # breaks (an error) unless the other solve runs at the same time
        return toml

    solves = Solves([run, run])
    asks = [in_thread(lambda t=t: solves.result(t)) for t in ("x", "y")]
    for thread, _ in asks:
        thread.join(WAIT)
    assert [out for _, out in asks] == [["x"], ["y"]]


def test_solving_ahead_leaves_a_solver_free_for_a_pressed_solve() -> None:
    gate = Gate("a1")
    solves = Solves([gate, gate])
    solves.want("a", "a1")
    assert gate.started.wait(WAIT)
    solves.want("b", "b1")  # a runner is free, but it is kept for a pressed Solve
    time.sleep(0.2)
    assert gate.solved == ["a1"] and solves.waiting() == [("b1", False)]
    assert solves.result("p") == "result of p"  # at once, on the runner left free
    assert gate.solved == ["a1", "p"]
    pressed, out = in_thread(lambda: solves.result("a1"))  # pressed while solved ahead: b1 may start
    wait_until(lambda: gate.solved == ["a1", "p", "b1"])
    gate.release.set()
    pressed.join(WAIT)
    assert out == ["result of a1"] and solves.result("b1") == "result of b1"


def test_a_setting_wanted_ahead_by_a_session_that_ended_is_dropped_before_it_starts() -> None:
    gate = Gate("busy")
    solves = Solves([gate])
    solves.want("other", "busy")
    assert gate.started.wait(WAIT)
    planner, staying = Planner(solves), Planner(solves)
    solves.want(planner.id, "left")
    solves.want(staying.id, "kept")
    assert solves.waiting() == [("left", False), ("kept", False)]
    del planner  # the page session ended
    gc.collect()
    assert solves.waiting() == [("kept", False)]
    gate.release.set()
    wait_until(lambda: gate.solved == ["busy", "kept"])


def test_a_pressed_solve_whose_page_left_before_its_turn_is_dropped() -> None:
    gate = Gate("busy")
    solves = Solves([gate])
    solves.want("a", "busy")
    assert gate.started.wait(WAIT)

    class Rerun(Exception):
        pass

    def rerun() -> None:
        raise Rerun

    with pytest.raises(Rerun):
        solves.result("left", check=rerun)
    assert solves.waiting() == []
    gate.release.set()
    wait_until(lambda: gate.solved == ["busy"] and solves.result("busy"))
    assert gate.solved == ["busy"]


def test_each_result_is_told_once_after_the_page_has_it() -> None:
    told: list[tuple[str, str]] = []
    page_has_it = threading.Event()

    def store(toml: str, result: str) -> None:
        assert page_has_it.wait(WAIT)  # storing (JSON, SQLite) never delays the page
        told.append((toml, result))

    solves = Solves([lambda toml: f"result of {toml}"], solved=store)
    assert solves.result("s") == "result of s"
    page_has_it.set()
    assert solves.result("s") == "result of s"  # kept: not solved, not told again
    wait_until(lambda: told == [("s", "result of s")])


def test_a_result_that_cannot_be_stored_leaves_the_solver_working_and_closing_waits_for_storing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    told: list[str] = []

    def store(toml: str, _result: str) -> None:
        if toml == "bad":
            raise OSError("disk full")
        time.sleep(0.3)
        told.append(toml)

    solves = Solves([lambda toml: toml], solved=store)
    assert solves.result("bad") == "bad" and solves.result("good") == "good"
    solves.close()  # waits for "good" to be stored
    assert told == ["good"]
    assert "could not be stored" in caplog.text


def test_an_error_reaches_the_page_and_is_not_kept() -> None:
    calls = []

    def run(toml: str) -> str:
        calls.append(toml)
        raise InputError("bad value", file="q.csv", row=3, column="land_mu")

    solves = Solves([run])
    for _ in range(2):
        with pytest.raises(InputError, match="bad value"):
            solves.result("bad")
    assert calls == ["bad", "bad"]
    solves.want("a", "other")  # an error solving ahead stays there: nobody waits for it
    wait_until(lambda: calls == ["bad", "bad", "other"])


def test_closing_fails_what_waits() -> None:
    gate = Gate("busy")
    solves = Solves([gate])
    solves.want("a", "busy")
    assert gate.started.wait(WAIT)
    waiting, out = in_thread(lambda: solves.result("next"))
    wait_until(lambda: solves.waiting() == [("next", True)])
    solves.close()
    waiting.join(WAIT)
    assert isinstance(out[0], SolveFailed)
    gate.release.set()


# ---------------------------------------- child processes


def slow_or_bad(toml: str) -> str:
    """A stand-in for a solve, run in a child: sleeps (``sleep:FILE`` first creates FILE), fails on bad
    input or returns its pid."""
    if toml.startswith("sleep:"):
        Path(toml.removeprefix("sleep:")).touch()
        time.sleep(WAIT)
    if toml == "bad":
        raise InputError("'x' is not a number", file="q.csv", row=5, column="land_mu")
    if toml == "boom":
        raise RuntimeError("inside the solve")
    return str(os.getpid())


def test_a_child_solves_the_baseline_as_the_server_would() -> None:
    toml = scenario_to_toml(load_scenario(baseline_path()))
    kept: dict[str, object] = {}
    solver = Solver(kept.get, kept.__setitem__, processes=1)
    try:
        result = solver.solves.result(toml)
    finally:
        solver.close()
    here = solve_setting(toml)
    assert result.status == here.status and result.objective == pytest.approx(here.objective, rel=1e-9)
    plans = [[(r.status, r.start_year) for r in res.allocation] for res in (result, here)]
    assert plans[0] == plans[1]
    assert set(result.extras) == set(here.extras) and result.extras
    wait_until(lambda: kept == {toml: result})  # told to the page's library once the page has it


def test_bad_input_crosses_from_the_child_with_its_row_and_column() -> None:
    child = Child(slow_or_bad)
    try:
        with pytest.raises(InputError) as raised:
            child.run("bad")
        assert (raised.value.file, raised.value.row, raised.value.column) == ("q.csv", 5, "land_mu")
        with pytest.raises(SolveFailed, match="RuntimeError: inside the solve"):
            child.run("boom")
        assert child.run("ok") == str(child.pid)
    finally:
        child.stop()


def test_a_child_that_dies_mid_solve_fails_that_solve_only(tmp_path: Path) -> None:
    child = Child(slow_or_bad)
    first = child.pid
    busy = tmp_path / "busy"
    try:
        thread, out = in_thread(lambda: child.run(f"sleep:{busy}"))
        wait_until(busy.exists)  # the child has the setting
        os.kill(first, signal.SIGKILL)
        thread.join(WAIT)
        assert isinstance(out[0], SolveFailed) and "ended" in str(out[0])
        assert child.run("ok") == str(child.pid) != str(first)  # a new child took its place
    finally:
        child.stop()
    assert dead(first)


def test_a_child_killed_while_idle_is_replaced_before_the_next_solve() -> None:
    child = Child(slow_or_bad)
    first = child.pid
    try:
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not child._process.is_alive())  # dead, as the server sees it before a solve
        assert child.run("ok") == str(child.pid) != str(first)
    finally:
        child.stop()


def test_a_child_ends_when_its_server_is_gone() -> None:
    child = Child(slow_or_bad)
    pid = child.pid
    child._connection.close()  # as when the server dies: the child sees the end of its pipe
    try:
        psutil.Process(pid).wait(timeout=WAIT)
    finally:
        child.stop()
