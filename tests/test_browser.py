"""Real-browser checks: serve the app, drive it in headless Chromium the way a student and a lecturer do.

* A student: load, ▶ Play, ❚❚ Pause, click the plot, scrub the step slider, ▶ Play again. After every
  action the landscape (the f image, the level lines, the flow) is still drawn, and the click moved
  the start, with no script error in the console.
* The step buttons move one frame; a step-size change reruns the script and lands in the URL.
* A lecturer at a projector's 1024×700 in lecture mode: the main plot, its Play button and the
  scene's one-line explanation lie inside the first screen, the sidebar is folded away.

Skipped where Debian's ``chromium`` (or the ``playwright`` package) is missing; CI installs both.
Screenshots go to ``$SADDLE_SHOTS`` (default: pytest's tmp dir).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_helpers import streamlit_server

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
#: what the trajectory chart shows right now: the f image, the drawn level lines and flow, the slider position
STATE_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.layout && g.layout.meta === 'saddle-trajectory');
  if (!gd || !gd.calcdata) return null;
  const drawn = name => {
    const i = gd._fullData.findIndex(t => t.name === name);
    if (i < 0) return 0;
    const n = gd.calcdata[i][0].node3;
    const el = n && n.node && n.node();
    if (!el || !document.contains(el) || el.style.opacity === '0') return 0;
    const lines = [...el.querySelectorAll('.js-line')];  // one path per piece between gaps
    return lines.length ? lines.reduce((a, l) => a + (l.getAttribute('d') || '').length, 0)
                        : el.querySelectorAll('.point').length;
  };
  const images = [...gd.querySelectorAll('.imagelayer image')].filter(
    im => document.contains(im) && (im.getAttribute('href') || '').startsWith('data:image/png'));
  const sl = gd._fullLayout.sliders[0];
  const start = gd._fullData.findIndex(t => t.name === 'start');
  return {image: images.length, contours: drawn('contours of f'), flow: drawn('flow −ξ'),
          colorbar: gd.querySelectorAll('.colorbar').length, step: Number(sl.steps[sl.active].label),
          active: sl.active, n: sl.steps.length, start: start >= 0 ? gd.data[start].x[0] : null};
}"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    out = Path(os.environ.get("SADDLE_SHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_selector(f"{CHART} .scatterlayer .js-line", state="attached", timeout=60_000)
    page.wait_for_function(f"() => ({STATE_JS})() !== null", timeout=60_000)
    return page, errors


def _state(page) -> dict:
    return page.evaluate(STATE_JS)


def _background_intact(page, when: str) -> dict:
    s = _state(page)
    assert s["image"] == 1, f"{when}: the f image is gone ({s})"
    assert s["contours"] > 100 and s["flow"] > 100, f"{when}: level lines or flow are gone ({s})"
    assert s["colorbar"] >= 1, f"{when}: no colour bar ({s})"
    return s


def _button(page, text: str):
    return page.locator(f"{CHART} .updatemenu-button", has_text=text).first


def _script_errors(errors: list[str]) -> list[str]:
    # the sandbox has no network: failed fetches of external fonts/telemetry are not script errors
    return [e for e in errors if "ERR_NAME_NOT_RESOLVED" not in e and "Failed to load resource" not in e
            and e.strip()]


def test_student_play_pause_click_scrub_play_keeps_the_landscape(server, browser, shots):
    page, errors = _open(browser, server + "/", 1600, 1000)
    start = _background_intact(page, "load")
    assert start["active"] == start["n"] - 1  # the static figure shows the whole run
    page.screenshot(path=str(shots / "toy_1600_before_play.png"))

    _button(page, "Play").click()
    page.wait_for_function(f"() => ({STATE_JS})().active < {start['n'] - 1}", timeout=30_000)
    _background_intact(page, "Play")
    page.wait_for_timeout(600)
    page.screenshot(path=str(shots / "toy_1600_playing.png"))

    _button(page, "Pause").click()
    page.wait_for_timeout(300)
    paused = _background_intact(page, "Pause")
    page.wait_for_timeout(400)
    assert _state(page)["active"] == paused["active"]  # it stays paused

    # click the upper-left quadrant of the plot: the start moves there (this failed after Play before)
    x0 = page.get_by_role("spinbutton", name="x₀")
    assert float(x0.input_value()) == 1.0
    box = page.locator(f"{CHART} .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("() => window.location.search.includes('x0=')", timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); return s && s.start < 0; }}", timeout=60_000)
    assert float(x0.input_value()) < 0 < float(page.get_by_role("spinbutton", name="y₀").input_value())
    clicked = _background_intact(page, "click")
    assert clicked["start"] < 0

    # scrub: press on the slider rail at a third of its length
    rail = page.locator(f"{CHART} .slider-rail-touch-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] / 3, rail["y"] + rail["height"] / 2)
    page.wait_for_timeout(400)
    scrubbed = _background_intact(page, "scrub")
    assert 0 < scrubbed["active"] < scrubbed["n"] - 1

    _button(page, "Play").click()
    page.wait_for_function(f"() => ({STATE_JS})().active > {scrubbed['active']}", timeout=30_000)
    _background_intact(page, "Play again")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "toy_1600_after_click_and_play.png"))
    assert not _script_errors(errors), errors
    page.close()


def test_step_buttons_move_one_frame(server, browser):
    page, errors = _open(browser, server + "/", 1600, 1000)
    _button(page, "reset").click()
    page.wait_for_function(f"() => ({STATE_JS})().active === 0", timeout=30_000)
    _button(page, "step ▶").click()
    _button(page, "step ▶").click()
    page.wait_for_function(f"() => ({STATE_JS})().active === 2", timeout=30_000)
    _button(page, "◀ step").click()
    page.wait_for_function(f"() => ({STATE_JS})().active === 1", timeout=30_000)
    s = _background_intact(page, "steps")
    assert 0 < s["step"] < 300
    assert not _script_errors(errors), errors
    page.close()


def test_step_size_change_reruns_and_is_shared_by_the_link(server, browser, shots):
    page, _ = _open(browser, server + "/", 1500, 1100)
    assert page.get_by_text("GDA vs extragradient on xy.").count() >= 1
    slider = page.get_by_role("slider", name="lr — step size η for both players").first
    assert slider.get_attribute("aria-valuetext") == "0.1"
    slider.focus()
    page.keyboard.press("ArrowRight")  # next value on the log grid: 0.15
    page.wait_for_function("() => window.location.search.includes('gda.lr=0.15')", timeout=30_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function(LEGEND_HAS, arg="gda (η=0.15)", timeout=60_000)
    _background_intact(page, "rerun")
    link = page.url
    other = browser.new_page(viewport={"width": 1500, "height": 1100})
    other.goto(link, timeout=60_000)
    other.wait_for_selector(READY, timeout=60_000)
    other.wait_for_function(LEGEND_HAS, arg="gda (η=0.15)", timeout=60_000)
    other.close()
    page.close()


def _inside(box: dict, width: int, height: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def test_lecture_mode_fits_a_projector_first_screen(server, browser, shots):
    w, h = 1024, 700
    page, errors = _open(browser, server + "/?lecture=true", w, h)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "toy_1024x700_lecture_before_play.png"))
    plot = page.locator(f"{CHART} .nsewdrag").first.bounding_box()  # the main plot's data area
    play = _button(page, "Play").bounding_box()
    assert _inside(plot, w, h), plot
    assert _inside(play, w, h), play
    assert plot["width"] >= 300 and plot["height"] >= 300  # readable, not a thumbnail
    # the scene's one-line explanation and the lecturer's controls are on the first screen too
    line = page.get_by_text("GDA's path grows outward").first.bounding_box()
    assert _inside(line, w, h), line
    for label in ("Scene from the literature", "Algorithms", "η · gda"):
        assert _inside(page.get_by_text(label, exact=True).first.bounding_box(), w, h), label
    # sidebar folded away; no "click the plot" text (clicking is off in lecture mode)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or sidebar.get_attribute("data-collapsed") == "true"
    assert page.get_by_text("click anywhere", exact=False).count() == 0
    _button(page, "Play").click()
    page.wait_for_timeout(1200)
    _background_intact(page, "lecture Play")
    page.screenshot(path=str(shots / "toy_1024x700_lecture_playing.png"))
    # lecture mode follows the user to another page and stays in the URL
    page.get_by_role("link", name="Spectrum").click()
    page.wait_for_function("() => window.location.pathname.endsWith('/spectrum')", timeout=30_000)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function("() => window.location.search.includes('lecture=true')", timeout=30_000)
    assert not _script_errors(errors), errors
    page.close()


#: links by another name (the old pages-folder URL, hyphens, the title) -> the page's own path
ALIASES = [("/toy_games?gda.lr=0.2", "/"), ("/toy-games?seed=inf&x0=1e999", "/"), ("/Spectrum", "/spectrum"),
           ("/2D_GAN", "/gan_2d"), ("/gan-2d", "/gan_2d"), ("/MNIST", "/mnist"), ("/Algorithms", "/algorithms")]


def test_old_and_obvious_links_land_on_their_page_without_a_not_found_dialog(server, browser):
    # the toy page is the default, served at "/": /toy_games used to show Streamlit's "Page not found"
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for link, path in ALIASES:
        page.goto(server + link, timeout=60_000)
        page.wait_for_function(f"() => window.location.pathname === {path!r}", timeout=60_000)
        page.wait_for_selector(READY, timeout=60_000)
        if link.startswith("/toy_games"):  # the link's settings survive the redirect
            page.wait_for_function(LEGEND_HAS, arg="gda (η=0.2)", timeout=60_000)
            assert "gda.lr=0.2" in page.url
        if "seed=inf" in link:  # a hostile link goes through the URL front door after the redirect
            page.get_by_text("the app cannot use").first.wait_for(timeout=60_000)
            assert "seed=" not in page.url
        page.wait_for_timeout(300)
        assert page.get_by_text("Page not found").count() == 0, link
    page.goto(server + "/no_such_page", timeout=60_000)  # the check above can see the dialog
    page.get_by_text("Page not found").first.wait_for(timeout=60_000)
    assert not _script_errors(errors), errors
    page.close()
