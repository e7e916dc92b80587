"""Load test (not a test suite): N headless Chromium sessions against one ``streamlit run app/main.py``.

Each session does what a student does on the toy-game page: open the page, then in a loop move a
slider (a rerun), press the chart's Play button, and think for a few seconds; now and then it
reloads the page. The script prints the server's memory (RSS) before, during and after, the
server's own rerun time (from the timing log the app writes when ``SADDLE_TIMING_LOG`` is set,
see app/guard.py) and the end-to-end latency each browser saw, as percentiles, plus every error
a session saw (exception boxes, timeouts).

    python bench/load.py --sessions 20 --duration 300

The browsers run on the same machine as the server, so end-to-end times include the CPU they take
from it; the server-side times are the ones to compare with a real classroom (browsers on the
students' laptops). ``--server-cpus 0 --browser-cpus 1`` pins the server to one core and the
browsers to the other, so the server's rerun times are its own. ``--browser-nice 19`` runs every
Chromium process at that nice level (measured: it did not bring the server's rerun wall time near
its CPU time; we did not find out why). Needs ``playwright`` (Python) and a Chromium
(``/usr/bin/chromium`` on Debian).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"] .main-svg'
#: counts finished script runs in the page (state goes running -> notRunning), so a rerun can be awaited
WATCH = """
() => {
  if (window.__saddleRuns !== undefined) return;
  window.__saddleRuns = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  // read every recorded change, not the attribute at callback time: a fast rerun's running ->
  // notRunning pair can arrive in one batch, and reading the attribute then would miss it
  new MutationObserver((records) => {
    records.forEach((m, i) => {
      const after = i + 1 < records.length ? records[i + 1].oldValue : app.getAttribute('data-test-script-state');
      if (after === 'notRunning' && m.oldValue !== 'notRunning') window.__saddleRuns += 1;
    });
  }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}
"""


@dataclass
class Stats:
    first_ready: list[float] = field(default_factory=list)  # script finished in the page (server + socket)
    first_load: list[float] = field(default_factory=list)  # ... and the chart drawn (browser)
    rerun: list[float] = field(default_factory=list)
    play: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    actions: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), seconds (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<28} (none)"
    return (f"{name:<28} n={len(values):<5} median {statistics.median(values):7.2f} s   p90 {pct(values, 90):7.2f} s   "
            f"p95 {pct(values, 95):7.2f} s   max {max(values):7.2f} s")


async def session(i: int, browser, url: str, end: float, stats: Stats, think: tuple[float, float],
                  timeout_ms: int) -> None:
    rng = random.Random(i)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout_ms)
        await page.wait_for_selector('[data-testid="stSidebar"]', timeout=timeout_ms)
        await page.wait_for_selector(DONE, timeout=timeout_ms)
        stats.first_ready.append(time.perf_counter() - t0)
        await page.wait_for_selector(CHART, timeout=timeout_ms)
        stats.first_load.append(time.perf_counter() - t0)
        await page.evaluate(WATCH)
        moved: dict[int, int] = {}  # key presses per slider
        while time.perf_counter() < end:
            # move one of the first three sliders one notch, each slider alternately right and left, so
            # it moves between its starting value and a neighbour and never sits at an end (a key press
            # at the end of a slider changes nothing, and no rerun would come)
            runs = await page.evaluate("window.__saddleRuns")
            href = page.url
            k = rng.randrange(3)
            slider = page.get_by_role("slider").nth(k)
            await slider.focus()
            direction = "ArrowRight" if moved.get(k, 0) % 2 == 0 else "ArrowLeft"
            moved[k] = moved.get(k, 0) + 1
            t = time.perf_counter()
            await page.keyboard.press(direction)
            try:
                # a rerun shows as a finished run, or as the query string the script rewrites with the new
                # value: a fast (cached) rerun can finish without the page ever showing "running"
                await page.wait_for_function("([runs, href]) => window.__saddleRuns > runs || location.href !== href",
                                             arg=[runs, href], timeout=timeout_ms)
                await page.wait_for_selector(DONE, timeout=timeout_ms)
                await page.wait_for_selector(CHART, timeout=timeout_ms)
            except Exception as err:  # noqa: BLE001 - a slow rerun is counted, and the student goes on
                stats.errors.append(f"session {i}: rerun not drawn within the timeout "
                                    f"({type(err).__name__})")
                continue
            stats.rerun.append(time.perf_counter() - t)
            stats.actions += 1
            if await page.locator('[data-testid="stException"]').count():
                stats.errors.append(f"session {i}: exception box")
            # press Play on the trajectory chart
            play = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first
            if await play.count():
                t = time.perf_counter()
                await play.click(timeout=timeout_ms)
                stats.play.append(time.perf_counter() - t)
            await asyncio.sleep(rng.uniform(*think))
            if rng.random() < 0.1:  # someone reloads the page
                t = time.perf_counter()
                await page.reload(timeout=timeout_ms)
                await page.wait_for_selector(DONE, timeout=timeout_ms)
                await page.wait_for_selector(CHART, timeout=timeout_ms)
                stats.first_load.append(time.perf_counter() - t)
                await page.evaluate(WATCH)
    except Exception as err:  # noqa: BLE001 - a load test reports what each session hit and goes on
        stats.errors.append(f"session {i}: {type(err).__name__}: {str(err).splitlines()[0][:160]}")
    finally:
        await ctx.close()


def launcher(chromium: str, level: int, cpus: Optional[set[int]], folder: Path) -> str:
    """A launcher that runs ``chromium`` at nice ``level`` on ``cpus`` (its processes inherit both)."""
    if level == 0 and cpus is None:
        return chromium
    pin = f"taskset -c {','.join(map(str, sorted(cpus)))} " if cpus is not None else ""
    wrapper = folder / "chromium-launcher"
    wrapper.write_text(f'#!/bin/sh\nexec {pin}nice -n {level} "{chromium}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def cpu_set(text: str) -> set[int]:
    """'0' or '0,1' -> {0} / {0, 1}, each an existing CPU."""
    try:
        cpus = {int(c) for c in text.split(",")}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CPU numbers like 0 or 0,1, got {text!r}") from None
    if not cpus or not cpus <= os.sched_getaffinity(0):
        here = sorted(os.sched_getaffinity(0))
        raise argparse.ArgumentTypeError(f"CPUs {text!r} are not all available here ({here})")
    return cpus


async def drive(url: str, n: int, duration: float, stagger: float, think: tuple[float, float], chromium: str,
                timeout_ms: int) -> Stats:
    from playwright.async_api import async_playwright

    stats = Stats()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        end = time.perf_counter() + duration
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(session(i, browser, url, end, stats, think, timeout_ms)))
            await asyncio.sleep(stagger)
        await asyncio.gather(*tasks)
        await browser.close()
    return stats


def read_timing(path: Path, since: float, until: float) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    if not path.exists():
        return wall, cpu
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and since <= float(parts[0]) <= until:
            wall.append(float(parts[2]))
            cpu.append(float(parts[3]))
    return wall, cpu


def positive(kind: type):
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if not v > 0 or v != v or v == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return v
    return parse


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python bench/load.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=positive(int), default=20)
    ap.add_argument("--duration", type=positive(float), default=300.0, help="seconds of driving")
    ap.add_argument("--stagger", type=float, default=0.5, help="seconds between session starts")
    ap.add_argument("--think", type=positive(float), nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"))
    ap.add_argument("--timeout", type=positive(float), default=180.0, help="seconds before an action counts as failed")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--path", default="/", help="page and query string to open, e.g. '/?steps=300'")
    ap.add_argument("--browser-nice", type=int, default=0, choices=range(0, 20), metavar="0-19",
                    help="nice level of the Chromium processes (19: the server gets the cores first)")
    ap.add_argument("--server-cpus", type=cpu_set, default=None, metavar="LIST",
                    help="pin the server to these CPUs, e.g. 0 (default: all)")
    ap.add_argument("--browser-cpus", type=cpu_set, default=None, metavar="LIST",
                    help="pin the browsers to these CPUs, e.g. 1 (default: all)")
    args = ap.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"python bench/load.py: error: no Chromium at {args.chromium} (--chromium)", file=sys.stderr)
        return 2

    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="saddle-load-")) / "timing.log"
    env = {**os.environ, "SADDLE_TIMING_LOG": str(log), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "1")}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=None if args.server_cpus is None else lambda: os.sched_setaffinity(0, args.server_cpus))
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            print("python bench/load.py: error: the server did not become healthy in 60 s", file=sys.stderr)
            return 1
        rss_before = rss_mb(server.pid)
        cpu_before = cpu_seconds(server.pid)
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                samples.append(rss_mb(server.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t_start = time.time()
        chromium = launcher(args.chromium, args.browser_nice, args.browser_cpus, log.parent)
        stats = asyncio.run(drive(f"http://127.0.0.1:{port}{args.path}", args.sessions, args.duration, args.stagger,
                                  tuple(args.think), chromium, int(args.timeout * 1000)))
        t_end = time.time()
        server_cpu = cpu_seconds(server.pid) - cpu_before
        time.sleep(15)  # sessions closed: let the server drop them
        stop.set()
        sampler.join()
        rss_after = rss_mb(server.pid)
        wall, cpu = read_timing(log, t_start, t_end)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    n_cpu = os.cpu_count()
    print(f"load: {args.sessions} Chromium sessions for {args.duration:g} s against one server "
          f"({n_cpu} CPUs, browsers on the same machine at nice {args.browser_nice}; server on CPUs "
          f"{sorted(args.server_cpus or os.sched_getaffinity(0))}, browsers on CPUs "
          f"{sorted(args.browser_cpus or os.sched_getaffinity(0))}), think time "
          f"{args.think[0]:g}-{args.think[1]:g} s")
    print(f"server RSS: before {rss_before:.0f} MB, during median {statistics.median(samples or [0]):.0f} MB / "
          f"max {max(samples or [0]):.0f} MB, after (15 s idle) {rss_after:.0f} MB")
    print(f"server process CPU while driven: {server_cpu:.1f} s in {t_end - t_start:.0f} s "
          f"({100 * server_cpu / max(t_end - t_start, 1e-9):.0f} % of one core; the GIL keeps a Streamlit "
          "server's Python to about one core)")
    print(summary("server rerun wall (log)", wall))
    print(summary("server rerun CPU (log)", cpu))
    print(summary("first load: script done", stats.first_ready))
    print(summary("first load: chart drawn", stats.first_load))
    print(summary("slider rerun (end to end)", stats.rerun))
    print(summary("Play click (end to end)", stats.play))
    print(f"actions: {stats.actions} slider moves; sessions with errors: "
          f"{len({e.split(':')[0] for e in stats.errors})} of {args.sessions}")
    for e in stats.errors[:20]:
        print("  " + e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
