"""Solving ahead: the setting a planner's levers show is solved in the background before Solve is
pressed, so Solve often finds it ready.

One background thread for the whole server, so solving ahead takes at most one core whatever the
number of planners; each session's latest setting only (a setting the planner has already moved
past is skipped when its turn comes). The solve is the page's own cached one
(:func:`quota_sim.app.page.solve_toml`): when Solve is pressed the page asks the same cache, gets
the result if it is ready, or waits for the solve under way — the result is the same either way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from quota_sim.errors import InputError


class SolveAhead:
    """Background solves of each session's latest setting, one at a time."""

    def __init__(self, solve: Callable[[str], Any]) -> None:
        self._solve = solve
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve-ahead")
        self._latest: dict[str, str] = {}  # session -> the TOML of its latest setting
        self._lock = threading.Lock()

    def want(self, session: str, toml: str) -> Future:
        """Solve ``toml`` (a setting as TOML text) in the background unless ``session`` moves on first."""
        with self._lock:
            self._latest[session] = toml
        return self._pool.submit(self._run, session, toml)

    def _run(self, session: str, toml: str) -> bool:
        """Solve ``toml`` if it is still the session's latest setting; whether it was solved."""
        with self._lock:
            if self._latest.get(session) != toml:
                return False
        try:
            self._solve(toml)
        except InputError:
            pass  # a setting that cannot be solved: the page says why when Solve is pressed
        finally:
            with self._lock:
                if self._latest.get(session) == toml:
                    del self._latest[session]
        return True
