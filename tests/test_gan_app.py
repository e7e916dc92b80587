"""AppTest of the 2D GAN page with a tiny run, and the page's view helpers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from gan_demo import views
from gan_demo.gmm import GMMConfig, build
from gan_demo.models import ModelConfig

PAGE = str(Path(__file__).parents[1] / "app/app_pages/gan_2d.py")


def test_gan_page_trains_and_shows_a_tiny_run() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    at.sidebar.number_input(key="gan_steps").set_value(4)
    at.sidebar.number_input(key="gan_every").set_value(2)
    at.sidebar.number_input(key="gan_batch").set_value(16)
    at.sidebar.multiselect(key="gan_algos").set_value(["gda", "alt_gda"])
    at.run()
    at.button(key="gan_train").click().run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert text.count("modes well covered") == 2
    charts = at.get("plotly_chart")
    spec = json.loads(charts[0].proto.spec)
    names = [tr.get("name") for tr in spec["data"]]
    assert "generated" in names and "σ(D)" in names  # the discriminator layer is on by default
    at.select_slider(key="gan_t").set_value(0).run()  # an iteration, not a checkpoint index
    assert not at.exception
    assert at.session_state["gan_result"]["runs"]["gda"].steps.tolist() == [0, 2, 4]
    assert at.get("download_button")


def test_gan_page_shows_cached_runs_side_by_side(tmp_path, monkeypatch) -> None:
    from gan_demo.gmm import main

    tiny = ["--steps", "4", "--every", "2", "--seeds", "2", "--latent-dim", "3", "--g-width", "8", "--d-width", "8",
            "--g-depth", "1", "--d-depth", "1", "--batch-size", "16", "--no-gif"]
    assert main(["--algorithm", "gda", "--lr", "0.01", "--out", str(tmp_path / "a_gda"), *tiny]) == 0
    assert main(["--algorithm", "adam", "--lr", "0.01", "--out", str(tmp_path / "b_adam"), *tiny]) == 0
    monkeypatch.setenv("SADDLE_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.sidebar.radio(key="gan_source").set_value("Load a cached run").run()
    assert not at.exception
    assert [p.name for p in at.sidebar.multiselect(key="gan_cached").value] == ["a_gda", "b_adam"]
    text = " ".join(m.value for m in at.markdown)
    assert text.count("modes well covered") == 2
    at.select_slider(key="gan_cached_t").set_value(2).run()
    at.slider(key="gan_cached_seed").set_value(1).run()
    assert not at.exception
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert "a_gda: step 2" in titles and "b_adam: step 2" in titles


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
