"""Solving ahead: the levers' setting solved in the background, each session's latest only, one at a time."""

from __future__ import annotations

import threading

from quota_sim.app.solve_ahead import SolveAhead
from quota_sim.errors import InputError

WAIT = 30  # s, a bound for the background thread in these tests


def test_only_each_sessions_latest_setting_is_solved_one_at_a_time() -> None:
    started, release = threading.Event(), threading.Event()
    solved: list[str] = []
    busy: list[str] = []  # solves under way
    overlaps: list[tuple[str, ...]] = []

    def solve(toml: str) -> str:
        if busy:
            overlaps.append((*busy, toml))
        busy.append(toml)
        solved.append(toml)
        if toml == "a1":
            started.set()
            assert release.wait(WAIT)
        busy.remove(toml)
        return toml

    ahead = SolveAhead(solve)
    first = ahead.want("a", "a1")
    assert started.wait(WAIT)
    skipped = ahead.want("a", "a2")  # moved past before its turn
    latest = ahead.want("a", "a3")
    other = ahead.want("b", "b1")
    release.set()
    assert first.result(WAIT) and not skipped.result(WAIT) and latest.result(WAIT) and other.result(WAIT)
    assert solved == ["a1", "a3", "b1"] and overlaps == []


def test_a_setting_that_cannot_be_solved_is_left_to_the_page() -> None:
    def solve(toml: str) -> None:
        raise InputError("bad value", file=toml)

    ahead = SolveAhead(solve)
    assert ahead.want("a", "bad").result(WAIT)  # no error escapes; the page shows it on Solve
    assert ahead.want("a", "bad").result(WAIT)  # and a later request is solved again
