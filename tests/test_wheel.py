"""`quota-sim app` from a wheel install: the wheel is built, installed into a fresh virtualenv (with
no dependencies of its own: it sees this virtualenv's packages), started, fetched and stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from quota_sim.i18n import t

CHECKOUT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90.0  # s for the server to answer

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel built from this checkout."""
    folder = tmp_path_factory.mktemp("wheel")
    return _fresh_venv(folder, _wheel(folder))


def _wheel(tmp_path: Path) -> Path:
    """The wheel built from a copy of the checkout (the build writes beside its sources)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(CHECKOUT / "quota_sim", source / "quota_sim", ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("quota_sim-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new virtualenv holding the wheel alone, seeing this virtualenv's packages (a .pth line)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True,
    )
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    )
    shared = sysconfig.get_paths()["purelib"]
    Path(found.stdout.strip(), "shared.pth").write_text(shared + "\n", encoding="utf-8")
    return venv


def test_quota_sim_app_from_a_wheel_starts_serves_the_page_and_stops(venv: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QUOTA_SIM_DATA")}
    where = tmp_path / "elsewhere"  # not the checkout: nothing may come from it
    where.mkdir()
    # The package, its page and its baseline come from the wheel.
    probe = (
        "import quota_sim, quota_sim.app, quota_sim.scenario as s; "
        "print(quota_sim.__file__); print(quota_sim.app.ENTRY); print(s.baseline_path())"
    )
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=where, env=env, check=True, capture_output=True,
        text=True,
    ).stdout.split()
    assert len(found) == 3 and all(Path(p).is_relative_to(venv) and Path(p).is_file() for p in found), found
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(venv / "bin" / "quota-sim"), "app", "--headless", "--port", str(port),
         "--data-dir", str(tmp_path / "data")],
        cwd=where, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                    assert answer.read() == b"ok"
                break
            except OSError:
                assert time.monotonic() < deadline, "the app did not answer"
                time.sleep(0.3)
        with urllib.request.urlopen(address, timeout=10) as answer:
            page = answer.read().decode("utf-8")
        assert answer.status == 200 and '<div id="root">' in page
        # The served process is the wheel's Python running the wheel's page server.
        command = psutil.Process(server.pid).cmdline()
        assert command[0].startswith(str(venv)) and command[1:3] == ["-m", "quota_sim.app.serve"]
        children = psutil.Process(server.pid).children(recursive=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            log.close()
    text = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, text
    assert "Traceback" not in text, text
    _, alive = psutil.wait_procs(children, timeout=10)  # solvers; the resource tracker ends after them
    assert not alive, alive


def test_the_wheels_page_draws_the_baseline(venv: Path, tmp_path: Path) -> None:
    """The page as the wheel ships it, run by Streamlit's AppTest in the fresh virtualenv."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QUOTA_SIM_DATA"] = str(tmp_path / "data")
    probe = (
        "from streamlit.testing.v1 import AppTest\n"
        "from quota_sim.app import ENTRY\n"
        "page = AppTest.from_file(str(ENTRY), default_timeout=120).run()\n"
        "assert not page.exception, page.exception\n"
        "print(page.title[0].value)\n"
        f"print(next(m.value for m in page.metric if m.label == {t('metric_approved', 'zh')!r}))\n"
    )
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env, check=True, capture_output=True,
        text=True,
    ).stdout.split()
    assert shown[0] == t("page_title", "zh") and 0 < int(shown[1]) < 220, shown
