"""The page's analyses run in a child process, so they show progress, can be stopped at once
(cancel, session end, time budget) and never keep a worker busy after the planner has left.

:class:`AnalysisJob` starts one process that takes the solved result (no solve again) and runs the
steps of :data:`STEPS` one after another (each a call of :func:`quota_sim.analysis.enrich`, within
its default time budget, its re-solves on one thread per core), sending each step's part of
``result.extras`` back as soon as it is done. :meth:`AnalysisJob.stop` kills it.
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any

from quota_sim.workers import PRELOAD

#: Approved projects whose replacement cost the app computes (one re-solve each).
IMPORTANCE_TOP = 5

#: The analysis steps, in the order they run, and the ``enrich`` options of each.
STEPS: dict[str, dict[str, Any]] = {
    "baselines": {"marginal": False, "baselines": True, "importance_top": 0},
    "marginal": {"marginal": True, "baselines": False, "importance_top": 0},
    "importance": {"marginal": False, "baselines": False, "importance_top": IMPORTANCE_TOP},
}

#: The extras each step adds.
STEP_KEYS = {
    "baselines": ("baselines",),
    "marginal": ("marginal_values", "analysis"),
    "importance": ("importance",),
}

# A fork server, never a fork of the server process (which runs HiGHS and Streamlit's threads); it
# loads the analyses once, so each job starts at once (one fork server per process, shared with
# quota_sim.workers: the same modules loaded).
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)


#: Seconds of re-solves each step may take at least: a planner who asks for the analyses waits a
#: little longer than a run's default share, so the land quota's re-solve is not left out.
MIN_STEP_BUDGET = 5.0


def _work(result: Any, steps: list[str], out: Any) -> None:
    from quota_sim.analysis import analysis_budget, enrich

    for step in steps:
        options = STEPS[step]
        budget = max(MIN_STEP_BUDGET, analysis_budget(result, options["importance_top"]))
        enrich(result, budget=budget, **options)
        out.put((step, {key: result.extras.get(key) for key in STEP_KEYS[step]}))
    out.put(("done", None))


class AnalysisJob:
    """One child process running ``steps`` on a solved result (a :class:`quota_sim.results.Result`)."""

    def __init__(self, result: Any, steps: list[str]) -> None:
        self.steps = list(steps)
        self._out = _CONTEXT.Queue()
        self._process = _CONTEXT.Process(target=_work, args=(result, self.steps, self._out), daemon=True)
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
