"""Benchmark of the planners' app in real Chromium (Debian's /usr/bin/chromium) on the embedded baseline.

Serves the app as ``quota-sim app --headless`` does (own port, own empty data folder) and drives it
with Playwright:

- first load: from opening the page to the first result on screen, right after the server
  answers (its warm-up solve may still run) and for a planner arriving later (a new browser
  context on the warm server);
- lever change: the yearly plan land quota moved one step (a new value each time, so every
  Solve solves), then Solve; timed from the Solve click to the new result on screen (the page's
  URL names the new setting and the result is no longer dimmed) and to the page being idle
  (Streamlit's running indicator gone); median and max over ``--runs``. The time to the result
  is split into the solve (as the page reports it: load, build, solve and assign), the rest of
  the server's script run (the click to Streamlit's "script finished" message on the page's
  websocket, less the solve) and the browser (that message to the result on screen); the changes
  whose solve took at most ``QUICK_SOLVE`` seconds are also reported on their own (the time the page
  and the browser add to a quick solve);
- the same with ``--sessions`` planners at once (each its own browser context, moving its own
  lever; each must see its own result);
- the server's memory: peak resident set of the server and its child processes (the solver
  processes), sampled every 0.1 s;
- where the CPU went while the planners were at it: the server process, its child processes (the
  solves) and the browser (Chromium's processes), in CPU seconds, and the machine's load average at
  the start and end of each part (the machine may be shared: the figures are only comparable at a
  like load).

Usage: ``.venv/bin/python bench/bench_app.py [--runs 10] [--sessions 5] [--pause 0] [--port 8611]``

With ``--pause S`` the planner waits S seconds between moving the lever and pressing Solve (the page
solves the levers' setting ahead in the meantime); by default Solve is pressed as soon as the page
is idle.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.async_api import Page, WebSocket, async_playwright, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from quota_sim.app import streamlit_command
from quota_sim.app.library import DATA_ENV
from quota_sim.i18n import t

CHROMIUM = "/usr/bin/chromium"
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
TIMEOUT_MS = 120_000
QUICK_SOLVE = 0.6  # s: the changes whose solve took at most this long are also reported on their own
#: The new result is on screen: the URL names another setting and the result is not dimmed (checked
#: at every frame the browser draws, so the time is not rounded up to a polling interval).
RESULT_SHOWN = """(url) => {
  const result = document.querySelector('.st-key-result');
  return location.href !== url && result !== null && getComputedStyle(result).opacity === '1';
}"""


class Memory:
    """Peak resident memory (MB) of a process and its children, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def now(self) -> float:
        processes = [self.process, *self.process.children(recursive=True)]
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 1024 / 1024

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.now())
            except psutil.NoSuchProcess:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds of ``process`` (0 once it has ended)."""
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


class Cpu:
    """CPU seconds used since the last :meth:`take` by the server, its children and the browser."""

    def __init__(self, server: int) -> None:
        self.server = psutil.Process(server)
        self.seen: dict[int, psutil.Process] = {}
        self.last = self.totals()

    def _groups(self) -> dict[str, list[psutil.Process]]:
        children = self.server.children(recursive=True)
        server_tree = {self.server.pid, *(p.pid for p in children)}
        ours = psutil.Process(os.getpid()).children(recursive=True)  # Playwright's driver and Chromium
        browser = [p for p in ours if p.pid not in server_tree]
        for process in [*children, *browser]:
            self.seen.setdefault(process.pid, process)
        child_pids = {p.pid for p in children}
        browser_pids = {p.pid for p in browser}
        return {
            "server": [self.server],
            "solver processes": [p for p in self.seen.values() if p.pid in child_pids],
            "browser": [p for p in self.seen.values() if p.pid in browser_pids],
        }

    def totals(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in group) for name, group in self._groups().items()}

    def take(self) -> str:
        now = self.totals()
        used = {name: now[name] - self.last.get(name, 0.0) for name in now}
        self.last = now
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in used.items())


def load_average() -> str:
    return "load average {:.1f} / {:.1f} / {:.1f} (1, 5, 15 min)".format(*os.getloadavg())


def serve(port: int, data: Path) -> subprocess.Popen:
    command = [*streamlit_command(port, "127.0.0.1", headless=True), "--server.fileWatcherType", "none"]
    env = {**os.environ, DATA_ENV: str(data)}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the app did not start")


class ScriptRuns:
    """When the server's script runs on a page finished (Streamlit's ``script_finished`` messages)."""

    def __init__(self, page: Page) -> None:
        self.finished: list[float] = []
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(payload)
        except Exception:  # not a ForwardMsg: not ours to time
            return
        if (
            message.WhichOneof("type") == "script_finished"
            and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
        ):
            self.finished.append(time.perf_counter())

    def first_after(self, moment: float) -> float | None:
        return next((t for t in self.finished if t > moment), None)


def approved_metric(page: Page):
    metric = page.get_by_test_id("stMetric").filter(has_text=t("metric_approved", "zh"))
    return metric.get_by_test_id("stMetricValue")


async def idle(page: Page) -> None:
    """Wait until the script run is over (Streamlit's running indicator gone)."""
    await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)


async def first_load(page: Page, address: str) -> float:
    started = time.perf_counter()
    await page.goto(address)
    await approved_metric(page).wait_for(timeout=TIMEOUT_MS)
    elapsed = time.perf_counter() - started
    await idle(page)
    return elapsed


async def lever_change(page: Page, runs: ScriptRuns, pause: float) -> tuple[float, float, float, float, str]:
    """Move the plan land quota one step up, wait ``pause`` seconds, press Solve; seconds to the new
    result and to idle, the solve's own seconds (as the page reports them), seconds to the end of the
    server's script run and the slider's value."""
    plan = page.get_by_test_id("stSlider").filter(has_text=t("plan_land", "zh")).get_by_role("slider")
    await plan.focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_text(t("solve_pending", "zh").split("：")[0], exact=False)).to_be_visible(
        timeout=TIMEOUT_MS
    )
    await idle(page)
    await asyncio.sleep(pause)
    url = page.url
    started = time.perf_counter()
    await page.get_by_role("button", name=t("solve_button", "zh"), exact=True).click()
    await page.wait_for_function(RESULT_SHOWN, arg=url, polling="raf", timeout=TIMEOUT_MS)
    shown = time.perf_counter() - started
    await idle(page)
    settled = time.perf_counter() - started
    finished = runs.first_after(started)
    server = (finished - started) if finished is not None else float("nan")
    status = page.get_by_test_id("stMetric").filter(has_text=t("metric_status", "zh"))
    solve = float(re.findall(r"[0-9.]+", await status.get_by_test_id("stMetricDelta").inner_text())[0])
    return shown, settled, solve, server, await plan.get_attribute("aria-valuenow") or ""


async def session(browser, address: str, changes: int, offset: int, pause: float) -> dict:
    """One planner: load, move the stock land ``offset`` steps (so each planner's settings are its
    own and are solved, not taken from another's cache), then ``runs`` lever changes."""
    context = await browser.new_context(viewport={"width": 1500, "height": 1300})
    page = await context.new_page()
    runs = ScriptRuns(page)
    load = await first_load(page, address)
    stock = page.get_by_test_id("stSlider").filter(has_text=t("stock_land", "zh")).get_by_role("slider")
    await stock.focus()
    for _ in range(offset):
        await page.keyboard.press("ArrowRight")
    await idle(page)
    shown, settled, solves, server, values = [], [], [], [], []
    for _ in range(changes):
        result, done, solve, script, value = await lever_change(page, runs, pause)
        shown.append(result)
        settled.append(done)
        solves.append(solve)
        server.append(script)
        values.append(value)
    url = page.url
    await context.close()
    return {
        "load": load, "shown": shown, "idle": settled, "solve": solves, "server": server, "values": values,
        "url": url,
    }


async def later_loads(browser, address: str, count: int = 3) -> list[float]:
    """First loads of planners arriving one after another at the warm server (new browser contexts)."""
    loads = []
    for _ in range(count):
        context = await browser.new_context(viewport={"width": 1500, "height": 1300})
        try:
            loads.append(await first_load(await context.new_page(), address))
        finally:
            await context.close()
    return loads


def split(run: dict) -> str:
    """The medians of Solve -> end of the server's script run, of the solve itself and of the browser."""
    shown, solve, server = (statistics.median(run[k]) for k in ("shown", "solve", "server"))
    browser = statistics.median([a - b for a, b in zip(run["shown"], run["server"], strict=True)])
    return (
        f"medians: Solve -> server's script run finished {server:.2f} s (the solve itself takes "
        f"{solve:.2f} s, part of it may be done ahead, before Solve), script finished -> result on screen "
        f"{browser:.2f} s (browser), Solve -> result on screen {shown:.2f} s"
    )


def report(label: str, seconds: list[float], what: str = "changes") -> str:
    return (
        f"{label}: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s, "
        f"min {min(seconds):.2f} s ({len(seconds)} {what})"
    )


async def bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="quota-sim-bench-") as data:
        print(f"start: {load_average()}")
        server = serve(args.port, Path(data))
        memory = Memory(server.pid)
        cpu = Cpu(server.pid)
        address = f"http://127.0.0.1:{args.port}"
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    alone = await session(browser, address, args.runs, 0, args.pause)
                    print(f"first load to first result, right after start: {alone['load']:.2f} s")
                    later = await later_loads(browser, address)
                    print(report("first load to first result, planners arriving later", later, "loads"))
                    print(report("one planner, Solve -> new result shown", alone["shown"]))
                    print(report("one planner, Solve -> page idle", alone["idle"]))
                    print(report("one planner, of which the solve itself", alone["solve"]))
                    quick = [
                        shown for shown, solve in zip(alone["shown"], alone["solve"], strict=True)
                        if solve <= QUICK_SOLVE
                    ]
                    if quick:
                        label = f"one planner, changes solved within {QUICK_SOLVE} s: Solve -> result shown"
                        print(report(label, quick))
                    print(f"one planner, {split(alone)}")
                    print(
                        f"server memory after one planner: {memory.now():.0f} MB (peak {memory.peak:.0f} MB)"
                    )
                    print(f"one planner, CPU used: {cpu.take()}; {load_average()}")
                    many = await asyncio.gather(
                        *[
                            session(browser, address, args.runs, 1 + i, args.pause)
                            for i in range(args.sessions)
                        ]
                    )
                    busy = cpu.take() if many else ""
                finally:
                    await browser.close()
        finally:
            memory.stop()
            server.terminate()
            server.wait(timeout=10)
    if many:
        loads = [s["load"] for s in many]
        print(
            f"{args.sessions} planners at once, first load: median {statistics.median(loads):.2f} s, "
            f"max {max(loads):.2f} s"
        )
        shown = [x for s in many for x in s["shown"]]
        settled = [x for s in many for x in s["idle"]]
        print(report(f"{args.sessions} planners at once, Solve -> new result shown", shown))
        print(report(f"{args.sessions} planners at once, Solve -> page idle", settled))
        merged = {k: [x for s in many for x in s[k]] for k in ("shown", "solve", "server")}
        print(f"{args.sessions} planners at once, {split(merged)}")
        own = len({s["url"] for s in many}) == len(many) and all(
            s["values"][-1] == alone["values"][-1] for s in many
        )
        print(f"each planner saw its own setting (distinct settings, own slider value): {own}")
        print(f"{args.sessions} planners at once, CPU used: {busy}; {load_average()}")
    print(f"server memory: peak {memory.peak:.0f} MB resident (server and its child processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="lever changes per planner (default 10)")
    parser.add_argument("--sessions", type=int, default=5, help="planners at once (default 5)")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds between moving the lever and pressing Solve, as a planner pauses (default 0)",
    )
    parser.add_argument("--port", type=int, default=8611)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
