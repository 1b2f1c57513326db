"""The app served on localhost and driven in headless Chromium (Debian's package) with Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from quota_sim.app import streamlit_command
from quota_sim.i18n import t

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60.0  # s for the server to answer
RESULT_TIMEOUT = 90_000  # ms for a solve to show

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium package (make browser)"
    if os.environ.get("CI"):
        pytest.fail(reason)  # CI installs Chromium (.ci/run -> make browser): missing there is a failure
    pytest.skip(reason)  # a developer machine without Debian's Chromium: every other test still runs


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def server() -> Iterator[str]:
    """The app served as ``quota-sim app --headless`` serves it, on a free port; yields its address."""
    _require_chromium()
    port = _free_port()
    process = subprocess.Popen(  # the command `quota-sim app --headless` runs
        [*streamlit_command(port, "127.0.0.1", headless=True), "--server.fileWatcherType", "none"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start: {process.stderr.read().decode(errors='replace')}")
            time.sleep(0.3)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def test_slider_move_updates_the_result_in_a_browser(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1600})
            page.goto(server)
            approved = (
                page.get_by_test_id("stMetric")
                .filter(has_text=t("metric_approved", "zh"))
                .get_by_test_id("stMetricValue")
            )
            approved.wait_for(timeout=RESULT_TIMEOUT)
            before = approved.inner_text()
            plan = page.get_by_test_id("stSlider").filter(has_text=t("plan_land", "zh")).get_by_role("slider")
            plan.focus()
            for _ in range(40):  # 40 steps of 10 mu: 710 -> 1,110 mu/yr
                page.keyboard.press("ArrowRight")
            expect(plan).to_have_value("1110")
            page.wait_for_timeout(1000)  # the slider hands its value to the form after a short debounce
            page.get_by_test_id("stBaseButton-primaryFormSubmit").click()
            expect(approved).not_to_have_text(before, timeout=RESULT_TIMEOUT)
            after = approved.inner_text()
            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert int(after.replace(",", "")) > int(before.replace(",", ""))
    assert shot.exists() and shot.stat().st_size > 10_000
