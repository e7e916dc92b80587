"""The MNIST tab (AppTest) and its pure plotting helpers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app import mnist_plots as mp
from gan_demo.mnist.shipped import list_shipped

PAGE = str(Path(__file__).parents[1] / "app/app_pages/mnist.py")


def test_image_grid_and_interpolation():
    imgs = np.arange(5 * 28 * 28, dtype=np.uint8).reshape(5, 28, 28)
    g = mp.image_grid(imgs, ncols=3, pad=2)
    assert g.shape == (2 * 30 + 2, 3 * 30 + 2)
    assert np.array_equal(g[2:30, 32:60], imgs[1]) and (g[32:60, 62:90] == 255).all()  # 6th cell empty
    a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    path = mp.slerp(a, b, 5)
    assert np.allclose(path[0], a) and np.allclose(path[-1], b)
    assert np.allclose(np.linalg.norm(path, axis=1), np.linspace(1, 2, 5))
    assert np.allclose(mp.lerp(a, b, 3)[1], [0.5, 1.0])


def test_snapshot_gif_frames():
    snaps = np.zeros((3, 8, 28, 28), dtype=np.uint8)
    snaps[1] = 128
    frames = mp.snapshot_frames([("a", [0, 50, 100], snaps), ("b", [0, 100], snaps[[0, 2]])], n_show=4)
    assert frames.shape[0] == 3 and frames.shape[-1] == 3 and frames.dtype == np.uint8
    gif = mp.gif_bytes(frames, fps=4)
    import imageio.v3 as iio

    back = iio.imread(gif, index=None)
    assert back.shape[0] == 3 and back.shape[1:3] == frames.shape[1:3]
    from app.export import encode_gif  # the app's shared writer, which the tab uses

    back = iio.imread(encode_gif(frames, fps=4), index=None)
    assert back.shape[0] == 3 and back.shape[1:3] == frames.shape[1:3]


def test_figures():
    fig = mp.fraction_figure([("gda", [0, 10, 20], [0.0, 1.0, 0.5])], reference=0.53, marker_step=10)
    assert list(fig.data[0].y) == [0.0, 1.0, 0.5]
    fig = mp.histogram_figure([("x", [0.5, 0.5])], (0, 1), reference=[0.47, 0.53])
    assert len(fig.data) == 2
    # a discrete digit axis: categories 0 and 1, never a continuous axis with ticks at -0.5, 0.5
    assert fig.layout.xaxis.type == "category" and list(fig.layout.xaxis.tickvals) == ["0", "1"]
    fig = mp.occupancy_figure([0, 10], np.eye(2), (0, 1))
    assert np.asarray(fig.data[0].z).shape == (2, 2)


def _rows():
    return [{"arm": arm, "seed": s, "eval_every": 10, "frac_ones": [0.0, 0.5, float(s % 2)]}
            for arm in ("gda", "greedy_minmax") for s in range(3)]


def test_runs_fraction_figure_draws_every_run_and_highlights_the_shown_ones():
    fig = mp.runs_fraction_figure(_rows(), highlight={"gda": 1, "greedy_minmax": 2}, at=20)
    assert len(fig.data) == 6
    bold = [t for t in fig.data if t.opacity == 1.0]
    assert sorted(t.name for t in bold) == ["GDA, run 1 (shown)", "greedy min-max, run 2 (shown)"]
    assert list(fig.data[0].x) == [0, 10, 20]


def _anim_runs():
    snaps = np.zeros((3, 16, 28, 28), dtype=np.uint8)
    snaps[1] = 200
    return [("GDA (run 0)", "#1f77b4", [0, 50, 100], snaps, [0, 50, 100], [0.0, 0.5, 1.0]),
            ("greedy (run 1)", "#d62728", [0, 50, 100], snaps, [0, 50, 100], [1.0, 0.5, 0.0])]


def test_training_animation_plays_grids_and_fractions_together():
    fig = mp.training_animation(_anim_runs())
    assert [f.name for f in fig.frames] == ["0", "50", "100"]
    frame = fig.frames[1]
    assert frame.data[0].source.startswith("data:image/png;base64,")
    markers = [d for d in frame.data if getattr(d, "x", None) is not None]
    assert [list(m.x) for m in markers] == [[50], [50]] and [list(m.y) for m in markers] == [[0.5], [0.5]]
    assert fig.layout.updatemenus and fig.layout.sliders


def test_blog_gif_frames_are_titled_and_sized():
    frames = mp.blog_gif_frames("Greedy min-max vs GDA", _anim_runs(), n_show=16)
    assert frames.shape == (3, 640, 960, 3) and frames.dtype == np.uint8
    assert not np.array_equal(frames[0], frames[1])  # the samples and the iteration counter change
    # the title band at the top is not blank
    assert (frames[0, :40] < 128).any()


def test_hyperparameter_rows_are_readable():
    meta = {"algorithm": {"name": "greedy_minmax", "lr": 2e-4, "beta1": 0.5, "rate": 5, "k": 1, "seed": 0,
                          "lr_x": None},
            "config": {"batch_size": 128, "acceptance": "fresh", "loss_type": "non_saturating"},
            "digits": [0, 1], "step": 1000, "arch": "mangoubi", "seeds": [7], "data": {"n_train_digits": 1694}}
    rows = {r["setting"]: r["value"] for r in mp.hyperparameter_rows(meta)}
    assert rows["algorithm"] == "greedy min-max" and rows["learning rate"] == "0.0002"
    assert rows["batch size"] == "128" and "fresh minibatches" in rows["acceptance test"]
    assert "1694 training images" in rows["data"] and rows["training seed"] == "7"
    assert not any("=" in v for v in rows.values())


@pytest.mark.skipif(not list_shipped(), reason="no shipped MNIST checkpoints in checkpoints/mnist")
def test_mnist_tab_apptest():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "MNIST"
    assert not [w.value for w in at.warning if "broken" in w.value]  # every shipped file loads
    assert [t.label for t in at.tabs] == ["Over training", "Samples", "Interpolation", "Metrics", "Export"]
    # the default view is experiment 2: the representative runs, and the statistic beside them if shipped
    assert at.radio(key="mnist_exp").value.startswith("Experiment 2")
    text = " ".join(m.value for m in at.markdown)
    assert "86%" in text and "23%" in text
    assert len(at.get("image")) >= 4
    if (Path(PAGE).parents[2] / "checkpoints/mnist/exp2_runs.json").is_file():
        stat = next(d.value for d in at.dataframe if "published" in d.value.columns)
        assert list(stat["published"]) == ["86%", "23%"]
        assert any("this is run" in c.value.lower() for c in at.caption)
    at.number_input(key="mnist_seed").set_value(7).run()
    assert not at.exception
    at.radio(key="mnist_exp").set_value("Experiment 1: Smoothed / Double SGDA (MNIST)").run()
    assert not at.exception
    exp1_file = Path(PAGE).parents[2] / "checkpoints/mnist/exp1_runs.json"
    if exp1_file.is_file():  # the across-seeds table, every run over training, the shown runs' typicality
        results = json.loads(exp1_file.read_text())
        stat = next(d.value for d in at.dataframe if "collapsed at the end" in d.value.columns)
        assert stat.shape[0] == len(results["summary"])
        assert sum("This is run" in c.value for c in at.caption) == len(results["summary"])
        spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                    if "digits well covered" in c.proto.spec)
        assert len(spec["data"]) == 3 * len(results["rows"])
    # pick every checkpoint: one sample grid per checkpoint side by side
    at.radio(key="mnist_exp").set_value("Any checkpoints").run()
    names = list_shipped()
    at.multiselect(key="mnist_runs").set_value(names).run()
    assert not at.exception
    assert len(at.get("image")) == 2 * len(names)  # samples and interpolation per checkpoint
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    loss = next(s for s in specs if s["layout"].get("yaxis", {}).get("title", {}).get("text", "").startswith("loss"))
    assert len(loss["data"]) == 2 * len(names)
    table = next(d.value for d in at.dataframe if "checkpoint" in d.value.columns)
    assert table.shape[0] == len(names)
