"""A task for a worker process that returns, raises, is killed, aborts or hangs. It imports nothing
of its own, so a worker process started for it is ready in a fraction of a second, well within the
short time limit the failure tests give each task."""

from __future__ import annotations

import os
import signal
import time


def run(kind: str) -> str:
    """``kind`` done, or the failure that ``kind`` names."""
    if kind == "raise":
        raise ValueError("bad task")
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "abort":
        os.abort()
    if kind == "hang":
        while True:
            time.sleep(1)
    return f"{kind} done"
