"""How the app starts: the page ships inside the package and worker processes never draw it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quota_sim.app import ENTRY, streamlit_command

CHECKOUT_APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.mark.parametrize("script", [ENTRY, CHECKOUT_APP], ids=["package", "checkout"])
def test_a_worker_importing_the_script_does_not_draw_the_page(script: Path) -> None:
    # multiprocessing's forkserver/spawn workers run the main script as __mp_main__.
    probe = (
        "import runpy, sys\n"
        f"runpy.run_path({str(script)!r}, run_name='__mp_main__')\n"
        "print('quota_sim.app.page' in sys.modules, 'streamlit' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_entry_is_inside_the_package() -> None:
    package = Path(__import__("quota_sim").__file__).resolve().parent
    assert ENTRY.is_file() and ENTRY.is_relative_to(package)


def test_the_command_serves_the_entry_with_the_app_settings() -> None:
    """(test_browser.py and bench/bench_app.py serve the app with this very command.)"""
    command = streamlit_command(8611, "127.0.0.1", headless=True)
    assert command[:3] == [sys.executable, "-m", "quota_sim.app.serve"]
    pairs = dict(zip(command[3::2], command[4::2], strict=True))
    assert pairs["--server.port"] == "8611"
    assert pairs["--server.address"] == "127.0.0.1"
    assert pairs["--server.headless"] == "true"
    assert pairs["--server.maxUploadSize"] == "20"
    assert "--server.headless" not in streamlit_command(8611)


def test_quota_sim_app_serves_with_the_data_folder_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    from quota_sim import cli
    from quota_sim.app.library import DATA_ENV

    served: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, command: served.append(command))
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert cli.main(["app", "--headless", "--port", "8611", "--data-dir", str(tmp_path / "shared")]) == 0
    assert served and served[0][:3] == [sys.executable, "-m", "quota_sim.app.serve"]
    assert os.environ[DATA_ENV] == str((tmp_path / "shared").resolve())
