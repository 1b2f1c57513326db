"""The page's analyses run in a child process, so they show progress, can be stopped at once
(cancel, session end, time budget) and never keep a worker busy after the planner has left.

:class:`AnalysisJob` starts one process that solves the setting again and runs the steps of
:data:`STEPS` one after another (each a call of :func:`quota_sim.analysis.enrich`), sending each
step's part of ``result.extras`` back as soon as it is done. :meth:`AnalysisJob.stop` kills it.
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any

#: The analysis steps, in the order they run, and the ``enrich`` options of each.
STEPS: dict[str, dict[str, Any]] = {
    "baselines": {"marginal": False, "baselines": True, "importance_top": 0},
    "marginal": {"marginal": True, "baselines": False, "importance_top": 0},
    "importance": {"marginal": False, "baselines": False, "importance_top": 10},
}

#: The extras each step adds.
STEP_KEYS = {"baselines": ("baselines",), "marginal": ("marginal_values",), "importance": ("importance",)}

# A fork server, never a fork of the server process (which runs HiGHS and Streamlit's threads).
_CONTEXT = multiprocessing.get_context("forkserver")


def _work(toml_text: str, steps: list[str], out: Any) -> None:
    from quota_sim.analysis import enrich
    from quota_sim.app_state import scenario_from_toml
    from quota_sim.pipeline import solve_scenario

    result = solve_scenario(scenario_from_toml(toml_text))
    for step in steps:
        enrich(result, jobs=1, **STEPS[step])
        out.put((step, {key: result.extras.get(key) for key in STEP_KEYS[step]}))
    out.put(("done", None))


class AnalysisJob:
    """One child process running ``steps`` for the scenario given as TOML text."""

    def __init__(self, toml_text: str, steps: list[str]) -> None:
        self.steps = list(steps)
        self._out = _CONTEXT.Queue()
        self._process = _CONTEXT.Process(target=_work, args=(toml_text, self.steps, self._out), daemon=True)
        self._process.start()
        self.finished = False

    def poll(self) -> dict[str, dict[str, Any]]:
        """The steps finished since the last call, as ``{step: extras}``."""
        parts: dict[str, dict[str, Any]] = {}
        while True:
            try:
                step, extras = self._out.get_nowait()
            except queue.Empty:
                break
            if step == "done":
                self.finished = True
            else:
                parts[step] = extras
        return parts

    @property
    def alive(self) -> bool:
        """True while the child still works (or has results not yet read)."""
        return not self.finished and (self._process.is_alive() or not self._out.empty())

    def stop(self) -> None:
        """Kill the child (if still running) and release its resources."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
        self._out.close()
        self._out.cancel_join_thread()
