"""The server process of ``quota-sim app``: Streamlit serving the page, ready before the first planner.

Before serving, it imports the page's modules (pandas, Altair, the solver: seconds on a cold start)
and solves the baseline in the background, so the first planner to open the page does not wait
for either. Run as ``python -m quota_sim.app.serve [streamlit run options]``.

When Streamlit has stopped (Ctrl-C, SIGTERM), the process runs its exit handlers (the upload store
removes its folder) and ends without interpreter shutdown: a solve still running in a page thread
or in the warm-up would make that shutdown abort inside HiGHS.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def main(options: list[str]) -> None:
    from streamlit.web import cli

    from quota_sim.app import ENTRY, page

    threading.Thread(target=page.warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(ENTRY), *options]
    try:
        cli.main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
