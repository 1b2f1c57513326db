"""The planners' Streamlit app, shipped inside the package so ``quota-sim app`` works from any install.

- :mod:`quota_sim.app.page` draws the page (every figure comes from the library);
- :mod:`quota_sim.app.streamlit_app` is the script Streamlit runs: it draws the page only when run
  as the main script, never when a worker process imports it (``__mp_main__``);
- :mod:`quota_sim.app.serve` is the server process (modules loaded and the baseline solved
  before the first planner arrives);
- :func:`streamlit_command` is the command line that serves it.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The script ``streamlit run`` executes.
ENTRY = Path(__file__).resolve().with_name("streamlit_app.py")

#: Server settings passed on the command line, so they hold wherever the app is started from.
SERVER_OPTIONS = {
    "server.maxUploadSize": "20",  # MB, as quota_sim.app_state checks
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
}


def streamlit_command(port: int = 8501, address: str | None = None, headless: bool = False) -> list[str]:
    """``python -m quota_sim.app.serve`` (``streamlit run <entry>``) with the app's server settings."""
    command = [sys.executable, "-m", "quota_sim.app.serve", "--server.port", str(port)]
    if address:
        command += ["--server.address", address]
    if headless:
        command += ["--server.headless", "true"]
    for option, value in SERVER_OPTIONS.items():
        command += [f"--{option}", value]
    return command
