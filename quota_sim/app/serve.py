"""The server process of ``quota-sim app``: Streamlit serving the page, ready before the first planner.

Before serving, it imports the page's modules (pandas, Altair, the solver: seconds on a cold start)
and solves the baseline in the background, so the first planner to open the page does not wait
for either. Run as ``python -m quota_sim.app.serve [streamlit run options]``.
"""

from __future__ import annotations

import sys
import threading


def main(options: list[str]) -> None:
    from streamlit.web import cli

    from quota_sim.app import ENTRY, page

    threading.Thread(target=page.warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(ENTRY), *options]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
