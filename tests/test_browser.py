"""One real-browser run: serve the app, load it in headless Chromium, wait for the chart, press
Play, change a step size, check the chart and the URL changed, and save screenshots.

Skipped where Debian's ``chromium`` (or the ``playwright`` package) is missing; CI installs both.
Screenshots go to ``$SADDLE_SHOTS`` (default: pytest's tmp dir).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed")]
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'
LEGEND_HAS = "t => [...document.querySelectorAll('.legendtext')].some(e => e.textContent.includes(t))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's code, installed or not
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _path_d(page) -> str:
    # the SVG path of the first trajectory trace (after field, flow and equilibrium traces)
    return page.locator(f"{CHART} .scatterlayer .trace .js-line").evaluate_all(
        "els => els.map(e => e.getAttribute('d') || '').join('|')")


def test_load_play_change_step_size_share(server, browser, tmp_path):
    shots = Path(os.environ.get("SADDLE_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server + "/", timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_selector(f"{CHART} .main-svg", timeout=60_000)
    page.wait_for_selector(f"{CHART} .scatterlayer .js-line", state="attached", timeout=60_000)
    assert page.get_by_text("GDA vs extragradient on xy.").count() >= 1
    before = _path_d(page)
    assert before
    page.screenshot(path=str(shots / "toy_default.png"))

    # Play runs the animation in the browser: the drawn path changes while frames advance
    page.locator(f"{CHART} .updatemenu-button").first.click()
    page.wait_for_timeout(600)
    playing = _path_d(page)
    assert playing != before
    page.locator(f"{CHART} .updatemenu-button").nth(3).click()  # Pause

    # a step-size change reruns the script and redraws the chart; the URL records it
    slider = page.get_by_role("slider", name="lr — step size η for both players").first
    assert slider.get_attribute("aria-valuetext") == "0.1"
    slider.focus()
    page.keyboard.press("ArrowRight")  # next value on the log grid: 0.15
    page.wait_for_function("() => window.location.search.includes('gda.lr=0.15')", timeout=30_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function(LEGEND_HAS, arg="gda (η=0.15)", timeout=60_000)
    after = _path_d(page)
    assert after != before
    page.locator(CHART).first.screenshot(path=str(shots / "toy_after_lr.png"))

    # the shared link reproduces the view in a fresh page
    link = page.url
    assert "gda.lr=0.15" in link
    other = browser.new_page(viewport={"width": 1500, "height": 1100})
    other.goto(link, timeout=60_000)
    other.wait_for_selector(READY, timeout=60_000)
    other.wait_for_function(LEGEND_HAS, arg="gda (η=0.15)", timeout=60_000)
    other.screenshot(path=str(shots / "toy_shared_link.png"))
    other.close()
    page.close()


def test_clicking_the_plot_moves_the_start(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server + "/", timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_selector(f"{CHART} .scatterlayer .js-line", state="attached", timeout=60_000)
    x0 = page.get_by_role("spinbutton", name="x₀")
    assert float(x0.input_value()) == 1.0
    box = page.locator(f"{CHART} .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])  # upper left quadrant
    page.wait_for_function("() => window.location.search.includes('x0=')", timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    assert float(x0.input_value()) < 0 < float(page.get_by_role("spinbutton", name="y₀").input_value())
    page.close()
