"""Re-solves of variants of a solved scenario: from the solved plan, within one time budget, in threads.

Marginal values and project importance each solve a few variants of the scenario (more supply of one
quota; one project locked out). Every re-solve starts from the solved plan (still feasible in the
variant, or nearly so), so its first incumbent is at least as good as that plan. They share one
deadline: each re-solve, when it starts, gets its share of the time left (``jobs`` lanes over the
variants not yet started), and one offered less than :data:`MIN_SOLVE_SECONDS` is not started
(``no_time``). HiGHS releases the GIL while it solves, so the lanes are threads of this process: no
process start-up, no pickling, one core per solve.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from quota_sim.model import QuotaModel, build_model
from quota_sim.projects import Projects
from quota_sim.scenario import Scenario, SolverSettings
from quota_sim.solve import Start, solve_model

#: A re-solve offered less than this many seconds is not started.
MIN_SOLVE_SECONDS = 0.02


@dataclass(frozen=True)
class Resolved:
    """One variant's re-solve. ``status``: optimal (proven within the solver gap), feasible
    (time-limited: ``objective`` is a lower and ``bound`` an upper bound of the variant's optimum),
    lp_bound (settled by its LP bound, no MIP solved), infeasible, no_solution, or no_time (not
    started: the budget was spent). Money in 万元."""

    status: str
    objective: float | None
    bound: float | None
    seconds: float
    approved: int | None = None

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible") and self.objective is not None


def lanes(jobs: int | None, count: int) -> int:
    """Threads for ``count`` re-solves: ``jobs`` (default one per core of this process), at most ``count``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(jobs or cores, count))


def resolve_variants(
    variants: Sequence[tuple[Scenario, Projects]],
    settings: SolverSettings,
    *,
    start: Start | None = None,
    deadline: float | None = None,
    jobs: int | None = None,
    cancel: threading.Event | None = None,
    settle_below: float | None = None,
    split: bool = True,
) -> list[Resolved]:
    """Build and solve each (scenario, projects) variant with ``settings``, starting from ``start``.

    ``deadline``: ``time.perf_counter()`` value by which every re-solve ends (None: each gets the
    settings' own time limit). ``cancel``: once set, re-solves not yet started are ``no_time``.
    ``settle_below`` (万元): first solve every variant's LP relaxation; a variant whose LP bound is at
    most this is settled without a MIP (status ``lp_bound``, ``bound`` the LP bound), and the budget
    goes to the others. A MIP re-solve's ``bound`` is the smaller of its own and its LP bound.
    ``split``: each re-solve gets its share of the time left (else all of it: for small re-solves, most
    of which end well within it, so that a harder one is not cut short while the others wait).
    Returns the outcomes in the order of ``variants``.
    """
    count = len(variants)
    width = lanes(jobs, count)
    models: list[QuotaModel | None] = [None] * count
    lp_bounds: list[float | None] = [None] * count
    outcomes: list[Resolved | None] = [None] * count

    def left() -> float:
        return settings.time_limit if deadline is None else deadline - time.perf_counter()

    def stopped() -> bool:
        return (cancel is not None and cancel.is_set()) or left() < MIN_SOLVE_SECONDS

    def screen(index: int) -> None:
        if stopped():
            return
        clock = time.perf_counter()
        models[index] = model = build_model(*variants[index])
        relaxed = solve_model(model, replace(settings, time_limit=max(left(), 0.0)), relax=True).relaxation
        if relaxed is None:
            return
        lp_bounds[index] = relaxed.objective
        if settle_below is not None and relaxed.objective <= settle_below:
            outcomes[index] = Resolved("lp_bound", None, relaxed.objective, time.perf_counter() - clock)

    _run(screen, range(count) if settle_below is not None else [], width)
    todo = [i for i in range(count) if outcomes[i] is None]
    lock = threading.Lock()
    waiting = [len(todo)]

    def share() -> float:
        """This re-solve's seconds: the time left (with ``split``, over the lanes, for the re-solves not yet
        started)."""
        with lock:
            offered = left()
            if deadline is not None and split:
                offered *= min(width, waiting[0]) / waiting[0]
            waiting[0] -= 1
        return offered

    def solve(index: int) -> None:
        offered = share()
        if offered < MIN_SOLVE_SECONDS or (cancel is not None and cancel.is_set()):
            outcomes[index] = Resolved("no_time", None, lp_bounds[index], 0.0)
            return
        clock = time.perf_counter()
        model = models[index] or build_model(*variants[index])
        limit = offered - (time.perf_counter() - clock)
        solution = solve_model(model, replace(settings, time_limit=max(limit, 0.0)), start=start)
        bounds = [b for b in (solution.best_bound, lp_bounds[index]) if b is not None]
        approved = len(solution.chosen) if solution.status in ("optimal", "feasible") else None
        outcomes[index] = Resolved(
            solution.status, solution.objective, min(bounds) if bounds else None,
            time.perf_counter() - clock, approved,
        )

    _run(solve, todo, width)
    return [outcome or Resolved("no_time", None, lp_bounds[i], 0.0) for i, outcome in enumerate(outcomes)]


def _run(task: Callable[[int], None], indices: Sequence[int] | range, width: int) -> None:
    """``task(i)`` for every index, in ``width`` threads (in this thread when 1)."""
    if width == 1 or len(indices) <= 1:
        for index in indices:
            task(index)
        return
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="quota-sim-resolve") as pool:
        for future in [pool.submit(task, index) for index in indices]:
            future.result()
