"""The app served on localhost and driven in headless Chromium (Debian's package) with Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from quota_sim import app_state
from quota_sim.app import streamlit_command
from quota_sim.app.library import DATA_ENV
from quota_sim.i18n import t
from quota_sim.projects import projects_for
from quota_sim.scenario import baseline_path, load_scenario
from quota_sim.shortfall import land_balance
from quota_sim.vocabulary import status_label
from tests.instances import hidden_row_workbook

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


@dataclass(frozen=True)
class Served:
    address: str
    pid: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app served as ``quota-sim app --headless`` serves it, on a free port, with its own data
    folder; yields its address and process id. One server serves the module's tests, each in a page
    (a session) of its own, as planners share one server; its clean stop is checked at the end."""
    _require_chromium()
    tmp_path = tmp_path_factory.mktemp("server")
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(  # the command `quota-sim app --headless` runs
        [*streamlit_command(port, "127.0.0.1", headless=True), "--server.fileWatcherType", "none"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, DATA_ENV: str(tmp_path / "data")},
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
                output = (tmp_path / "server.log").read_text(errors="replace")
                raise RuntimeError(f"the app did not start: {output}")
            time.sleep(0.3)
        yield Served(address, process.pid)
    finally:
        try:
            children = psutil.Process(process.pid).children(recursive=True)  # solvers, fork server
        except psutil.NoSuchProcess:
            children = []
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    # SIGTERM stops the server cleanly, also while a solve (the warm-up, a solve ahead) is running
    assert process.returncode == 0, (tmp_path / "server.log").read_text(errors="replace")
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"processes left after the server stopped: {alive}"


@pytest.fixture(scope="module")
def chromium(server: Served) -> Iterator[Any]:
    """Headless Chromium, launched once for the module, in one browser context (its HTTP cache shared, so
    the page's scripts are fetched once); each test opens a page of its own in it, a session of its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1600}, accept_downloads=True)
            yield context
        finally:
            browser.close()


def test_slider_language_round_trip_and_download_in_a_browser(
    server: Served, chromium: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = load_scenario(baseline_path())
    projects = projects_for(base)
    queued = len(projects)
    plan_source = next(s for q in base.quotas if q.id == "land" for s in q.sources if s.id == "plan")
    planned = plan_source.amount(None, 0)  # mu/yr
    assert app_state.lever_step(planned, 10) == 10
    shortfall = land_balance(base, projects).shortfall  # mu/yr on average

    page = chromium.new_page()
    try:
        page.goto(server.address)
        approved = (
            page.get_by_test_id("stMetric")
            .filter(has_text=t("metric_approved", "zh"))
            .get_by_test_id("stMetricValue")
        )
        approved.wait_for(timeout=RESULT_TIMEOUT)
        before = approved.inner_text()

        # a status filter survives 中文 -> English -> 中文, its chip in the language shown
        status = page.get_by_test_id("stMultiSelect").filter(has_text=t("filter_status", "zh")).first
        status.click()
        page.get_by_role("option", name=status_label("approved", "zh")).click()
        page.keyboard.press("Escape")
        shown = t("rows_shown", "zh", shown=int(before), total=queued)
        expect(page.get_by_text(shown)).to_be_visible(timeout=RESULT_TIMEOUT)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("English", exact=True).click()
        expect(page.get_by_text(t("rows_shown", "en", shown=int(before), total=queued))).to_be_visible()
        chips = page.get_by_test_id("stMultiSelect").first
        expect(chips).to_contain_text(status_label("approved", "en"))
        sidebar.get_by_text("中文", exact=True).click()
        expect(page.get_by_text(shown)).to_be_visible()

        # a moved slider dims the result until Solve; the shortfall line follows at once
        plan = page.get_by_test_id("stSlider").filter(has_text=t("plan_land", "zh")).get_by_role("slider")
        moved = float(plan.get_attribute("max")) - 50  # mu/yr: the slider's end, then 5 steps of 10 mu back
        assert moved > planned
        plan.focus()
        page.keyboard.press("End")
        for _ in range(5):
            page.keyboard.press("ArrowLeft")
        expect(plan).to_have_value(f"{moved:.0f}")
        live = page.get_by_text(f"缺口 {shortfall - (moved - planned):,.0f} 亩/年")
        expect(live).to_be_visible(timeout=RESULT_TIMEOUT)
        expect(page.locator(".st-key-result")).to_have_css("opacity", "0.4")
        expect(approved).to_have_text(before)
        page.get_by_role("button", name=t("solve_button", "zh"), exact=True).click()
        expect(approved).not_to_have_text(before, timeout=RESULT_TIMEOUT)
        expect(page.locator(".st-key-result")).to_have_css("opacity", "1")
        after = approved.inner_text()

        # a refresh restores the setting from the URL: the slider's value and the same result
        setting = page.url
        assert "setting=" in setting
        page.reload()
        expect(approved).to_have_text(after, timeout=RESULT_TIMEOUT)
        plan = page.get_by_test_id("stSlider").filter(has_text=t("plan_land", "zh")).get_by_role("slider")
        expect(plan).to_have_value(f"{moved:.0f}")
        expect(page.locator(".st-key-result")).to_have_css("opacity", "1")

        # the download is named after the setting
        with page.expect_download() as download:
            page.get_by_role("button", name=t("download_csv", "zh")).click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        with page.expect_download(timeout=RESULT_TIMEOUT) as report:
            page.get_by_role("button", name=t("download_docx", "zh")).click()
        document = tmp_path / report.value.suggested_filename
        report.value.save_as(document)
        shot = tmp_path / "app.png"
        page.screenshot(path=str(shot), full_page=True)

        # a workbook's hidden row read as a project is named, in Chinese and in English
        workbook = tmp_path / "隐藏行.xlsx"
        workbook.write_bytes(hidden_row_workbook(30))
        sidebar.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(workbook))
        expect(sidebar.get_by_text(t("upload_ok", "zh", n=30))).to_be_visible(timeout=RESULT_TIMEOUT)
        warning = sidebar.get_by_test_id("stAlertContentWarning")
        expect(warning).to_have_text("请核对：隐藏行.xlsx：1 个隐藏行仍作为项目读入（第 3 行）")
        sidebar.get_by_text("English", exact=True).click()
        english = "Please check: 隐藏行.xlsx: 1 hidden row(s) are read as projects (rows 3)"
        expect(warning).to_have_text(english)
    finally:
        page.close()
    assert int(after.replace(",", "")) > int(before.replace(",", ""))
    assert saved.name == f"baseline_plan_land-{moved:.0f}_allocation.csv"
    assert document.name == f"baseline_plan_land-{moved:.0f}_report.docx"
    assert document.read_bytes().startswith(b"PK")  # a Word document is a zip archive
    assert saved.read_bytes().startswith("\ufeff".encode())
    assert "项目编号" in saved.read_text(encoding="utf-8-sig")
    assert shot.exists() and shot.stat().st_size > 10_000


def forked(server_pid: int) -> set[psutil.Process]:
    """The server's processes its fork server started that are still running: its solvers (started with
    the server's first solve) and the analysis jobs."""
    found = set()
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            parent = child.parent()
            if parent is not None and "forkserver" in " ".join(parent.cmdline()) and child.is_running():
                if child.status() != psutil.STATUS_ZOMBIE:
                    found.add(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_the_analysis_shows_progress_and_cancel_stops_its_worker(server: Served, chromium: Any) -> None:
    from playwright.sync_api import expect

    page = chromium.new_page()
    try:
        page.goto(server.address)
        page.get_by_test_id("stMetric").first.wait_for(timeout=RESULT_TIMEOUT)
        solvers = forked(server.pid)  # a result is shown: the solvers run

        def analysis_workers() -> set[psutil.Process]:
            return forked(server.pid) - solvers

        page.get_by_role("tab", name=t("analysis_header", "zh")).click()
        page.get_by_text(t("analysis_toggle", "zh")).click()
        progress = page.get_by_test_id("stProgress")
        expect(progress).to_contain_text("正在分析", timeout=RESULT_TIMEOUT)
        deadline = time.monotonic() + 30
        while not analysis_workers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert analysis_workers(), "no analysis worker while the progress bar runs"
        page.get_by_role("button", name=t("analysis_cancel", "zh")).click()
        expect(page.get_by_text(t("analysis_cancelled", "zh"))).to_be_visible(timeout=RESULT_TIMEOUT)
        deadline = time.monotonic() + 10
        while analysis_workers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not analysis_workers(), "the analysis worker outlived Cancel"
    finally:
        page.close()
