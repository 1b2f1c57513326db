"""Tasks in child processes, one process per task: a task that crashes, is killed (e.g. out of memory)
or runs past its time fails alone, and stopping the parent stops every child.

Children are forked from a process that has imported the solver once, so a task starts in a fraction
of a second: from this process (``fork``) where it has no other thread and has not run HiGHS, whose
thread pool a fork would inherit unusable; else from a fork server, a child of this process that
imports the solver once and forks every task from then on (``spawn``, a new interpreter per task,
where there is no fork server). A child ignores Ctrl-C (the terminal sends it to the whole process
group; the parent decides), dies quietly on SIGTERM, and ends itself when its parent is gone (even
after SIGKILL: a fork server ends with the process that started it), so no member is left solving.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from quota_sim.interrupts import highs_has_run

Task = TypeVar("Task")
Result = TypeVar("Result")

Running = dict[Any, tuple[Any, Connection, Any, float]]  # connection -> process, connection, task, start
_PR_SET_PDEATHSIG = 1
STOP_GRACE = 1.0  # seconds a child gets to end after SIGTERM before SIGKILL
ABANDON_POLL = 0.5  # seconds between asking whether the caller still wants the results
#: What a task needs loaded: the run with its analyses and exports. The app's analysis jobs share the
#: fork server (there is one per process), so they load the same.
PRELOAD = ["quota_sim.pipeline", "quota_sim.analysis", "quota_sim.meeting.workbook"]


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1 and not highs_has_run():
        for module in PRELOAD:
            importlib.import_module(module)
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _end_with_parent(parent: int | None) -> None:
    """End this process (quietly) once the process that started it (``parent``; None: this process's
    parent now, the fork server) is gone."""
    if sys.platform == "linux":  # the kernel kills us with the parent (a thread may wait for the GIL)
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is None:
        parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _release_the_fork_server() -> None:
    """A child of a fork server holds a pipe end that keeps the server alive for as long as the child
    lives; closing it lets the server end with the process that started it, and this child with the
    server (:func:`_end_with_parent`)."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)  # CPython's own fork server (3.11-3.13)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:
        os.close(alive)
        server._forkserver_alive_fd = None


def end_with_the_fork_server() -> None:
    """In a child of a fork server: end (quietly) once the process that started the fork server is
    gone, as the fork server then does."""
    _release_the_fork_server()
    _end_with_parent(None)


def _child(function: Callable[[Any], Any], task: Any, connection: Connection, parent: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent is None:
        end_with_the_fork_server()
    else:
        _end_with_parent(parent)
    try:
        result = function(task)
    except BaseException as error:  # reported to the parent as this task's failure
        connection.send(("failed", f"{type(error).__name__}: {error}"))
    else:
        connection.send(("done", result))
    connection.close()


def describe_exit(code: int | None) -> str:
    """Why a child ended without a result, from its exit code."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the worker process was killed by {name}{hint}"
    return f"the worker process ended with exit code {code} and no result"


def run_isolated(
    tasks: Sequence[Task],
    function: Callable[[Task], Result],
    failure: Callable[[Task, str], Result],
    *,
    workers: int,
    timeout: float | None = None,
    abandoned: Callable[[], bool] | None = None,
) -> Iterator[Result]:
    """``function(task)`` for every task, at most ``workers`` at a time, each in its own process;
    results are yielded as they come. A task whose process fails, dies or runs longer than
    ``timeout`` seconds yields ``failure(task, reason)``. Leaving the iteration early (an exception,
    Ctrl-C, SIGTERM) stops every child still running, as does ``abandoned()`` turning true (asked
    every ``ABANDON_POLL`` seconds): the iteration then ends."""
    context = _context()
    parent = None if context.get_start_method() == "forkserver" else os.getpid()
    waiting = deque(tasks)
    running: Running = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, workers):
                task = waiting.popleft()
                receive, send = context.Pipe(duplex=False)
                arguments = (function, task, send, parent)
                process = context.Process(target=_child, args=arguments, daemon=True)
                with _children_allowed():
                    process.start()
                send.close()
                running[receive] = (process, receive, task, time.monotonic())
            handles = [*running, *(process.sentinel for process, *_ in running.values())]
            wait_for = _next_timeout(running, timeout)
            if abandoned is not None:
                wait_for = ABANDON_POLL if wait_for is None else min(wait_for, ABANDON_POLL)
            ready = wait(handles, timeout=wait_for)
            if abandoned is not None and abandoned():
                return
            for connection in list(running):
                process, _, task, started = running[connection]
                outcome = _collect(process, connection, task, started, failure, timeout, ready)
                if outcome is not None:
                    del running[connection]
                    connection.close()
                    yield outcome
    finally:
        _stop(running)


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a daemonic process (a Dask worker) start a child: multiprocessing refuses that because a
    daemon's children could outlive it, but ours end with their parent (:func:`_end_with_parent`)."""
    current = multiprocessing.current_process()
    daemonic = current.daemon
    if daemonic:
        current._config["daemon"] = False
    try:
        yield
    finally:
        if daemonic:
            current._config["daemon"] = True


def _next_timeout(running: Running, timeout: float | None) -> float | None:
    """Seconds until the first running task's time is up (None: no limit)."""
    if timeout is None or not running:
        return None
    first = min(started for *_, started in running.values())
    return max(0.0, first + timeout - time.monotonic())


def _collect(
    process: Any,
    connection: Connection,
    task: Any,
    started: float,
    failure: Callable[[Any, str], Any],
    timeout: float | None,
    ready: list[Any],
) -> Any:
    """The task's result or failure if it is over, else None."""
    if connection in ready or process.sentinel in ready:
        try:
            if connection.poll():
                kind, value = connection.recv()
                process.join()
                return value if kind == "done" else failure(task, value)
        except (EOFError, OSError):
            pass
        process.join(STOP_GRACE)
        if not process.is_alive():
            return failure(task, describe_exit(process.exitcode))
    if timeout is not None and time.monotonic() - started > timeout:
        _stop({connection: (process, connection, task, started)})
        return failure(task, f"stopped after the member time limit of {timeout:g} s")
    return None


def _stop(running: Running) -> None:
    """SIGTERM every child, then SIGKILL those still there after STOP_GRACE seconds."""
    processes = [process for process, *_ in running.values()]
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
