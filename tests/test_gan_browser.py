"""The 2D GAN page in headless Chromium: watch the samples move while both algorithms train, stop,
scrub back, export the GIF. Skipped where Debian's ``chromium`` or ``playwright`` is missing.
Screenshots and the GIF go to ``$SADDLE_SHOTS`` (default: pytest's tmp dir).
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest
from browser_helpers import streamlit_server
from PIL import Image

CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed")]
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
CHART = '[data-testid="stPlotlyChart"]'
#: the generated points of the first panel (the scatter trace drawn last in that chart)
FIRST_PANEL_POINTS = """() => {
  const c = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const t = c && c.data ? c.data.find(d => d.name === 'generated') : null;
  if (!t) return '';
  const x = t.x;  // base64 typed array from Streamlit, or a plain array
  return x && x.bdata ? x.bdata.slice(0, 400) : JSON.stringify(Array.from(x || []).slice(0, 30));
}"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def test_watch_train_stop_scrub_export(server, tmp_path):
    shots = Path(os.environ.get("SADDLE_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1300}, accept_downloads=True)
        # a long run, so that it is still training while we watch
        page.goto(server + "/gan_2d?gan_steps=5000", timeout=120_000)
        page.wait_for_selector(f"{CHART} .main-svg", timeout=120_000)
        assert page.evaluate(FIRST_PANEL_POINTS) == ""  # real data only before Train
        page.get_by_role("button", name="Train").dispatch_event("click")
        seen = []
        t0 = time.monotonic()
        while len(set(seen)) < 3 and time.monotonic() - t0 < 120:
            time.sleep(0.5)
            pts = page.evaluate(FIRST_PANEL_POINTS)
            if pts:
                seen.append(pts)
        assert len(set(seen)) >= 3, "the generated samples did not move during training"
        page.screenshot(path=str(shots / "gan_training.png"))
        page.get_by_role("button", name="Stop").dispatch_event("click")
        page.get_by_text("stopped early").first.wait_for(timeout=60_000)
        slider = page.locator('[data-testid="stMain"]').get_by_role("slider").first
        slider.wait_for(timeout=60_000)
        stopped_at = slider.get_attribute("aria-valuetext")
        slider.focus()
        page.keyboard.press("Home")  # scrub back to iteration 0
        page.get_by_text("adam: iteration 0").first.wait_for(timeout=60_000)
        page.screenshot(path=str(shots / "gan_scrubbed.png"))
        seg = page.locator('[data-testid="stMain"]').get_by_text("Export", exact=True).first
        seg.scroll_into_view_if_needed()
        seg.dispatch_event("click")
        button = page.get_by_text("Download training GIF").first
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=120_000) as dl:
            button.click()
        path = shots / "gan_export.gif"
        dl.value.save_as(str(path))
        browser.close()
    gif = path.read_bytes()
    im = Image.open(io.BytesIO(gif))
    assert gif[:6] == b"GIF89a" and im.n_frames >= 2 and im.size[0] > 600
    assert stopped_at not in (None, "", "0")  # the scrubber opened on the last snapshot, not the first
