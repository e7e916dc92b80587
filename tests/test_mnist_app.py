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
    fig = mp.occupancy_figure([0, 10], np.eye(2), (0, 1))
    assert np.asarray(fig.data[0].z).shape == (2, 2)


@pytest.mark.skipif(not list_shipped(), reason="no shipped MNIST checkpoints in checkpoints/mnist")
def test_mnist_tab_apptest():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "MNIST"
    assert [t.label for t in at.tabs] == ["Samples", "Over training", "Interpolation", "Metrics", "Export"]
    n_img = len(at.get("image"))
    assert n_img > 0
    charts = at.get("plotly_chart")
    assert charts, "loss curves and histograms are drawn"
    # change the noise seed: the page reruns without error and still shows images
    at.number_input(key="mnist_seed").set_value(7).run()
    assert not at.exception
    # pick every checkpoint: one sample grid per checkpoint side by side
    names = list_shipped()
    at.multiselect(key="mnist_runs").set_value(names).run()
    assert not at.exception
    assert len(at.get("image")) == 3 * len(names)  # samples, snapshot and interpolation per checkpoint
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    loss = next(s for s in specs if s["layout"].get("yaxis", {}).get("title", {}).get("text", "").startswith("loss"))
    assert len(loss["data"]) == 2 * len(names)
    assert at.dataframe[0].value.shape[0] == len(names)
