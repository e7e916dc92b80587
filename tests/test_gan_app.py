"""AppTest of the 2D GAN page with a tiny run, and the page's view helpers."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from gan_demo import views
from gan_demo.gmm import GMMConfig, build
from gan_demo.models import ModelConfig

PAGE = str(Path(__file__).parents[1] / "app/app_pages/gan_2d.py")


def traces(at: AppTest, i: int = 0) -> dict:
    spec = json.loads(at.get("plotly_chart")[i].proto.spec)
    return {tr.get("name"): tr for tr in spec["data"]}


def status_line(at: AppTest) -> str:
    return next((m.value for m in at.markdown if " / " in m.value and "step" in m.value), "")


def step_of(at: AppTest) -> int:
    m = re.search(r"step (\d+) / (\d+)", status_line(at))
    return int(m.group(1)) if m else -1


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def tiny_page(steps: int, slow: bool) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"gan_model": "small", "gan_steps": str(steps), "gan_batch": "16", "gan_every": "10",
                            "gan_slow": "true" if slow else "false"})
    return at.run()


def test_page_draws_the_real_data_before_training() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    names = traces(at)
    assert "real" in names and "generated" not in names
    assert len(base64.b64decode(names["real"]["x"]["bdata"])) == 8 * 1000  # 1000 float64 points
    assert at.sidebar.multiselect(key="gan_algos").value == ["adam", "greedy_minmax"]
    # the GAN starting values of the one widget generator, not the toy-game defaults
    assert at.sidebar.select_slider(key="gan-adam.lr_y").value == pytest.approx(1e-4)


def test_live_page_updates_panels_while_training_then_pause_step_stop_scrub() -> None:
    at = tiny_page(150, slow=True)  # slow motion: the first 100 steps take >= 5 s, so the run is watched
    assert not at.exception and at.sidebar.number_input(key="gan_steps").value == 150
    at.button(key="gan_train").click().run()
    assert not at.exception
    seen: dict[int, list] = {}
    t0 = time.monotonic()
    while len(seen) < 3 and time.monotonic() - t0 < 60:
        time.sleep(0.2)
        at.run()  # what st.fragment(run_every=...) does in the browser
        s = step_of(at)
        if 0 < s < 150 and "training" in status_line(at):
            seen[s] = traces(at)["generated"]["x"]
    assert len(seen) >= 3, "the panels never showed a run in progress"
    first, last = min(seen), max(seen)
    assert seen[first] != seen[last]  # the generated samples moved on screen before the run ended
    at.button(key="gan_pause").click().run()
    assert "paused" in status_line(at)
    halted = step_of(at)
    at.button(key="gan_step").click().run()
    assert step_of(at) == halted + 1
    at.button(key="gan_stop").click().run()
    assert "stopped early" in status_line(at) and step_of(at) == halted + 1
    opts = at.select_slider(key="gan_t").options
    assert opts[0] == "0" and opts[-1] == str(halted + 1)  # every snapshot so far is kept and scrubbable
    at.select_slider(key="gan_t").set_value(0).run()
    assert not at.exception
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")[:1]]
    assert titles == ["adam: iteration 0"]
    at.segmented_control(key="gan_more").set_value("Export").run()
    assert at.get("download_button")
    at.button(key="gan_resume").click().run()
    assert not at.exception
    run = at.session_state["gan_live"]
    t0 = time.monotonic()
    while run.status != "done" and time.monotonic() - t0 < 60:
        time.sleep(0.1)
    assert run.status == "done" and run.step == 150


def test_cached_run_shows_without_training() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.sidebar.radio(key="gan_source").set_value("Load a cached run").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="gan_cached").value == "default"
    assert "gan_live" not in at.session_state
    opts = at.select_slider(key="gan_t").options
    assert opts[0] == "0" and opts[-1] == "1500"
    names = traces(at)
    assert {"real", "generated", "σ(D)"} <= set(names)
    assert any("cached: no training" in m.value for m in at.markdown)
    at.select_slider(key="gan_t").set_value(500).run()
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"] == "adam: iteration 500"


def test_view_helpers_on_a_small_game() -> None:
    cfg = GMMConfig(model=ModelConfig(latent_dim=2, g_depth=1, g_width=6, d_depth=1, d_width=6, activation="tanh"),
                    seeds=(0,))
    game, mix = build(cfg)
    z = game.init_params(dtype=torch.float64)
    xs, ys, p = views.d_heatmap(game, z, mix.box(), n=12)
    assert p.shape == (12, 12) and ((p > 0) & (p < 1)).all()
    assert views.manifold(game, z, n_lines=3, n_points=5).shape == (6, 5, 2)
    pts, d = views.sample_arrows(game, z, torch.randn(7, 2, dtype=torch.float64))
    assert pts.shape == d.shape == (7, 2) and np.isfinite(d).all()
    vals, note = views.eigenvalues(game, z)
    assert vals.shape == (game.dim,) and "dense" in note
    # the Arnoldi path approximates the outermost eigenvalue of the same matrix
    old = views.MAX_DENSE_DIM
    views.MAX_DENSE_DIM = 0
    try:
        ritz, note = views.eigenvalues(game, z, k=game.dim)
    finally:
        views.MAX_DENSE_DIM = old
    assert "Ritz" in note
    assert np.abs(ritz).max() == pytest.approx(np.abs(vals).max(), rel=1e-6)


def test_cli_runs_show_as_cached_runs_seeds_side_by_side(tmp_path, monkeypatch) -> None:
    from gan_demo.gmm import main

    tiny = ["--steps", "4", "--every", "2", "--seeds", "2", "--latent-dim", "3", "--g-width", "8", "--d-width", "8",
            "--g-depth", "1", "--d-depth", "1", "--batch-size", "16", "--no-gif"]
    assert main(["--algorithm", "gda", "--lr", "0.01", "--out", str(tmp_path / "a_gda"), *tiny]) == 0
    monkeypatch.setenv("SADDLE_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"gan_source": "Load a cached run", "gan_cached": "runs/a_gda"})
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="gan_cached").value == "runs/a_gda"
    assert at.select_slider(key="gan_t").options == ["0", "2", "4"]
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert "gda seed 0: iteration 4" in titles and "gda seed 1: iteration 4" in titles
    names = traces(at)
    assert "generated" in names and "σ(D)" not in names  # CLI folders keep samples and metrics only
    at.segmented_control(key="gan_more").set_value("Export").run()
    assert not at.exception and at.get("download_button")
