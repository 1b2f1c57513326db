"""Stopping on Ctrl-C (SIGINT) and SIGTERM: promptly, without a traceback, leaving outputs whole.

- :func:`stop_on_terminate` makes SIGTERM stop the program as Ctrl-C does (a
  :class:`KeyboardInterrupt` in the main thread), so the command line exits 130 after cleaning up.
- :func:`run_highs` runs HiGHS in its solver thread while the main thread waits, so a signal is
  handled at once: HiGHS is asked to stop at its next callback and the interrupt goes on (after at most
  ``HIGHS_STOP_WAIT`` seconds; :func:`highs_was_stopped` then tells the caller to end the process
  without interpreter shutdown).
- :func:`time_limit` raises :class:`TimeUp` in the main thread when a run's time is up, wherever it
  is (reading the queue, building the model, a start heuristic), so the limit bounds the whole run.
- :func:`deferred` holds signals back while a short critical step runs (putting an output set in
  place), then delivers them.

Signal handlers belong to the main thread; elsewhere (e.g. the app's script threads) these helpers
change nothing about signals.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
HIGHS_STOP_WAIT = 1.5  # seconds to let HiGHS reach a callback after a stop request

_ran: list[bool] = []  # HiGHS has run in this process (a fork of it would hang in HiGHS)
_stopped: list[tuple[Any, threading.Thread]] = []  # HiGHS runs stopped by a signal or the time limit
_kept: list[BaseException] = []  # a stop's exception, whose frames hold the stopped run's data


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT or SIGTERM)."""


class TimeUp(Exception):
    """The time limit of a run was reached (see :func:`time_limit`)."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


def stop_on_terminate() -> None:
    """Make SIGTERM raise :class:`Interrupted` in the main thread, as SIGINT raises KeyboardInterrupt."""
    if _in_main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupted)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeUp` in the block once ``seconds`` have passed (SIGALRM, main thread only;
    an enclosing limit that ends sooner still applies)."""
    if not _in_main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise TimeUp(f"{seconds:g} s")

    def rearm(unraisable: Any) -> None:
        # The signal came while Python ran a callback or destructor, which swallowed the TimeUp (it only
        # prints "Exception ignored"): raise it again in a moment, where it can end the block.
        if isinstance(unraisable.exc_value, TimeUp):
            signal.setitimer(signal.ITIMER_REAL, 0.01)
        else:
            previous_hook(unraisable)

    previous_hook = sys.unraisablehook
    sys.unraisablehook = rearm
    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    if 0 < outer < seconds:  # the enclosing limit ends first: keep it
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, outer)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = previous_hook
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then stop as they ask (main thread only)."""
    if not _in_main_thread():
        yield
        return
    received: list[int] = []
    def hold(signum: int, _frame: Any) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Interrupted(signal.Signals(received[0]).name)


def set_deadline(highs: Any, deadline: float) -> None:
    """Make the next run of ``highs`` stop at ``deadline`` (a ``time.perf_counter()`` value). HiGHS
    counts its ``time_limit`` over every run of one instance, so the option is the instance's run time
    so far plus the seconds left (the seconds left alone would stop a reused instance too soon). Call it
    just before the run."""
    left = max(deadline - time.perf_counter(), 0.0)
    highs.setOptionValue("time_limit", highs.getRunTime() + left)


def run_highs(highs: Any) -> None:
    """``highs.run()``, stoppable: in the main thread HiGHS solves in a thread of its own and checks
    for a stop request at its simplex, interior-point and branch-and-bound callbacks; a
    KeyboardInterrupt (Ctrl-C, or SIGTERM after :func:`stop_on_terminate`) or :class:`TimeUp` in the
    waiting main thread asks it to stop and is raised again. Elsewhere it is ``highs.run()``."""
    _ran.append(True)
    if not _in_main_thread():
        highs.run()
        return
    stop = threading.Event()

    def check(event: Any) -> None:
        if stop.is_set():
            event.interrupt()

    for callback in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt):
        callback.subscribe(check)
    failure: list[BaseException] = []

    def solve() -> None:
        try:
            highs.run()
        except BaseException as error:  # handed to the waiting thread
            failure.append(error)
        finally:  # HiGHS' worker threads belong to this thread: end them with it (else exit aborts)
            type(highs).resetThreadScheduler(False)

    thread = threading.Thread(target=solve, name="highs", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.05)
    except BaseException:
        stop.set()
        deadline = time.monotonic() + HIGHS_STOP_WAIT
        while time.monotonic() < deadline and thread.is_alive():
            with contextlib.suppress(KeyboardInterrupt, TimeUp):
                thread.join(0.05)
        _stopped.append((highs, thread))  # kept alive: destroying a stopped HiGHS at exit aborts
        raise
    if failure:
        raise failure[0]


def keep_until_exit(stop: BaseException) -> None:
    """Keep the exception that stopped the program (and the frames, with their data, it holds) until
    the process ends with ``os._exit``: freeing the objects of a large queue one by one would take
    seconds between the signal and the exit. :func:`release_kept` lets them go where the process
    goes on (a library call)."""
    _kept.append(stop)


def release_kept() -> None:
    """Drop what :func:`keep_until_exit` kept."""
    _kept.clear()


def highs_has_run() -> bool:
    """Whether HiGHS has run in this process: a forked child would then hang in its first solve."""
    return bool(_ran)


def highs_was_stopped() -> bool:
    """Whether a HiGHS run was stopped in this process: the process must then end with ``os._exit``
    (interpreter shutdown would abort in HiGHS' thread scheduler, or under a solver thread that has
    not reached a callback yet)."""
    return bool(_stopped)
