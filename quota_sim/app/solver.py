"""The server's solves: every session's settings solved in child processes, a pressed Solve first.

- Solves run in child processes (:class:`Child`, one per core), side by side and never in the
  server's own interpreter: there a solve slows down about threefold while another thread runs
  Python, as when pages are drawn for other planners (HiGHS calls back into Python;
  ``bench/bench_app_solves.py``).
- A setting is solved once for every session (:class:`Solves`): asked for again while it is being
  solved, the asker waits for that solve; solved, it is kept (the last ``keep`` results).
- A pressed Solve (:meth:`Solves.result`) goes before solving ahead (:meth:`Solves.want`), and
  solving ahead never takes every solver: with two or more, one is always left for a pressed Solve;
  each session is solved ahead for its latest setting only: a setting it has moved past is dropped
  before it starts, unless someone else wants it.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import multiprocessing
import os
import signal
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quota_sim.errors import InputError
from quota_sim.workers import PRELOAD, end_with_the_fork_server

#: How often (s) a waiting page checks whether its run should stop or rerun.
POLL_SECONDS = 0.05
#: How long (s) closing waits for results being stored.
STORE_WAIT = 5.0

_log = logging.getLogger(__name__)

# Forked from a fork server, never from the server (which runs HiGHS and Streamlit's threads): the fork
# server imports the solver once, and each child starts from it in a fraction of a second (one fork
# server per process, shared with the analysis jobs and quota_sim.workers: the same modules loaded).
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)


def solve_processes() -> int:
    """Solves that run at once: one per core this process may use, 1 to 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this platform
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def solve_setting(toml_text: str) -> Any:
    """Solve a setting given as TOML text as the page shows it: grades always, the diagnosis when
    infeasible (run in a child)."""
    from quota_sim.analysis import enrich
    from quota_sim.app_state import scenario_from_toml
    from quota_sim.pipeline import solve_scenario

    result = solve_scenario(scenario_from_toml(toml_text))
    enrich(result, marginal=False, baselines=False, importance_top=0)
    return result


class SolveFailed(Exception):
    """A solve ended without a result (its child died, or the solve raised something else than bad
    input); the message says what happened."""


def _serve(connection: Any, work: Callable[[str], Any]) -> None:
    """A child's loop: solve each setting sent, answer ``(kind, value)``; end with the server."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which ends its children
    end_with_the_fork_server()
    while True:
        try:
            toml_text = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("ok", work(toml_text))
        except InputError as error:
            answer = ("input", (error.message, error.file, error.row, error.column))
        except Exception as error:  # said to the page, which shows it
            answer = ("failed", f"{type(error).__name__}: {error}")
        try:
            connection.send(answer)
        except Exception as error:  # e.g. a result that cannot be pickled
            connection.send(("failed", f"{type(error).__name__}: {error}"))


class Child:
    """One child process solving settings one at a time with ``work`` (a module-level function)."""

    def __init__(self, work: Callable[[str], Any] = solve_setting) -> None:
        self._work = work
        self._stopped = False
        self._start()

    def _start(self) -> None:
        ours, theirs = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(
            target=_serve, args=(theirs, self._work), name="quota-sim-solver", daemon=True
        )
        self._process.start()
        theirs.close()
        self._connection = ours

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def run(self, toml_text: str) -> Any:
        """The child's answer for ``toml_text``; a child that died is started again.

        Raises
        ------
        InputError
            The setting's bad input, as the solve raised it.
        SolveFailed
            The child died or the solve raised another error.
        """
        if not self._process.is_alive() and not self._stopped:  # died while idle (e.g. killed): replace it
            self.stop()
            self._stopped = False
            self._start()
        try:
            self._connection.send(toml_text)
            kind, value = self._connection.recv()
        except (EOFError, OSError) as error:
            code = self._process.exitcode
            if self._stopped:
                raise SolveFailed("the solver process was stopped") from error
            self.stop()
            self._stopped = False
            self._start()
            raise SolveFailed(f"the solver process ended (exit code {code})") from error
        if kind == "input":
            raise InputError(*value)
        if kind == "failed":
            raise SolveFailed(value)
        return value

    def stop(self) -> None:
        """Kill the child and release its pipe."""
        self._stopped = True
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
        self._connection.close()


@dataclass(eq=False)
class _Job:
    toml: str
    urgent: bool
    order: int
    waiters: int = 0
    started: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class Solves:
    """The settings of every session, solved by ``runners`` (one thread each, one setting at a time),
    pressed ones first, solving ahead on all runners but one; the last ``keep`` results kept.
    ``solved`` is told each result once whoever waits for it has it (e.g. to store it)."""

    def __init__(
        self,
        runners: list[Callable[[str], Any]],
        keep: int = 32,
        solved: Callable[[str, Any], None] | None = None,
    ) -> None:
        self._keep = keep
        self._solved = solved
        self._storing = 0  # results being told to ``solved``
        self._changed = threading.Condition()
        self._jobs: dict[str, _Job] = {}  # TOML -> its solve, waiting or under way
        self._kept: OrderedDict[str, Any] = OrderedDict()  # TOML -> result, oldest first
        self._ahead: dict[str, str] = {}  # session -> the TOML it wants solved ahead
        self._order = itertools.count()
        self._closed = False
        self._ahead_slots = max(1, len(runners) - 1)  # runners that may solve ahead at once
        self._threads = [
            threading.Thread(target=self._serve, args=(run,), name=f"solver-{i}", daemon=True)
            for i, run in enumerate(runners)
        ]
        for thread in self._threads:
            thread.start()

    def result(self, toml_text: str, check: Callable[[], None] | None = None) -> Any:
        """The result of ``toml_text``: kept, or solved before anything solved ahead. ``check`` is called
        while waiting (it may raise to stop waiting: Streamlit's stop or rerun).

        Raises
        ------
        InputError, SolveFailed
            As the solve raised them.
        """
        with self._changed:
            if toml_text in self._kept:
                self._kept.move_to_end(toml_text)
                return self._kept[toml_text]
            job = self._jobs.get(toml_text)
            if job is None:
                job = self._add(toml_text, urgent=True)
            elif not job.urgent:
                job.urgent, job.order = True, next(self._order)
                self._changed.notify_all()  # a solve ahead under way may now count as pressed
            job.waiters += 1
        try:
            while not job.done.wait(POLL_SECONDS):
                if check is not None:
                    check()
        finally:
            with self._changed:
                job.waiters -= 1
                self._drop_if_unwanted(job)
        if job.error is not None:
            raise job.error
        return job.result

    def want(self, session: str, toml_text: str) -> None:
        """Solve ``toml_text`` ahead for ``session``, in place of the setting it wanted before."""
        with self._changed:
            before = self._ahead.get(session)
            self._ahead[session] = toml_text
            if before is not None and before != toml_text and before in self._jobs:
                self._drop_if_unwanted(self._jobs[before])
            if toml_text not in self._kept and toml_text not in self._jobs:
                self._add(toml_text, urgent=False)

    def forget(self, session: str) -> None:
        """``session`` has ended: the setting it wanted ahead is dropped unless someone else wants it."""
        with self._changed:
            wanted = self._ahead.pop(session, None)
            if wanted is not None and wanted in self._jobs:
                self._drop_if_unwanted(self._jobs[wanted])

    def waiting(self) -> list[tuple[str, bool]]:
        """The settings not yet started, in the order they will be: ``(toml, pressed)``."""
        with self._changed:
            return [(job.toml, job.urgent) for job in sorted(self._pending(), key=self._rank)]

    def close(self) -> None:
        """Stop handing out work: settings not yet started fail at once (solves under way finish); wait up
        to ``STORE_WAIT`` seconds for results being stored."""
        with self._changed:
            self._closed = True
            for job in self._pending():
                del self._jobs[job.toml]
                job.error = SolveFailed("the server is stopping")
                job.done.set()
            self._changed.notify_all()
            self._changed.wait_for(lambda: not self._storing, timeout=STORE_WAIT)

    def _add(self, toml_text: str, urgent: bool) -> _Job:
        job = _Job(toml_text, urgent, next(self._order))
        self._jobs[toml_text] = job
        self._changed.notify()
        return job

    def _drop_if_unwanted(self, job: _Job) -> None:
        """Drop a job not yet started that nobody waits for or wants ahead any more."""
        if job.started or job.waiters or job.toml in self._ahead.values():
            return
        if self._jobs.get(job.toml) is job:
            del self._jobs[job.toml]

    def _pending(self) -> list[_Job]:
        return [job for job in self._jobs.values() if not job.started]

    @staticmethod
    def _rank(job: _Job) -> tuple[bool, int]:
        return (not job.urgent, job.order)

    def _next(self) -> _Job | None:
        """The job to start now: the first pressed one, else the first ahead if a runner is left for
        solving ahead."""
        pending = sorted(self._pending(), key=self._rank)
        if not pending:
            return None
        ahead_running = sum(1 for job in self._jobs.values() if job.started and not job.urgent)
        return pending[0] if pending[0].urgent or ahead_running < self._ahead_slots else None

    def _serve(self, run: Callable[[str], Any]) -> None:
        while True:
            with self._changed:
                while not self._closed and (job := self._next()) is None:
                    self._changed.wait()
                if self._closed:
                    return
                job.started = True
            try:
                job.result = run(job.toml)
            except Exception as error:  # handed to whoever waits for it
                job.error = error
            with self._changed:
                del self._jobs[job.toml]
                if job.error is None:
                    self._kept[job.toml] = job.result
                    while len(self._kept) > self._keep:
                        self._kept.popitem(last=False)
                for session in [s for s, wanted in self._ahead.items() if wanted == job.toml]:
                    del self._ahead[session]
                storing = job.error is None and self._solved is not None
                self._storing += storing
                self._changed.notify_all()  # a runner left for solving ahead may be free now
            job.done.set()
            if storing:
                self._store(job)

    def _store(self, job: _Job) -> None:
        """Tell ``solved`` of a result; a failure there is logged, the runner goes on."""
        try:
            self._solved(job.toml, job.result)
        except Exception:
            _log.exception("a solved setting could not be stored")
        finally:
            with self._changed:
                self._storing -= 1
                self._changed.notify_all()


class Planner:
    """A page session's handle for solving ahead (keep it in the session's state): when the session
    ends and the handle is dropped, the setting it wanted ahead is no longer wanted."""

    def __init__(self, solves: Solves) -> None:
        self.id = uuid.uuid4().hex
        weakref.finalize(self, solves.forget, self.id)


class Solver:
    """:class:`Solves` run by :func:`solve_processes` children; ``kept`` is asked before each solve and
    ``keep`` told each result once the pages have it (the page's library of proven results), in the
    server."""

    def __init__(
        self,
        kept: Callable[[str], Any | None],
        keep: Callable[[str, Any], None],
        processes: int | None = None,
        work: Callable[[str], Any] = solve_setting,
    ) -> None:
        self.children = [Child(work) for _ in range(processes or solve_processes())]
        self._kept = kept
        self.solves = Solves([self._runner(child) for child in self.children], solved=keep)
        atexit.register(self.close)

    def _runner(self, child: Child) -> Callable[[str], Any]:
        def run(toml_text: str) -> Any:
            found = self._kept(toml_text)
            if found is not None:
                return found
            return child.run(toml_text)

        return run

    def close(self) -> None:
        """Stop handing out work and end the children."""
        self.solves.close()
        for child in self.children:
            child.stop()
        atexit.unregister(self.close)
