"""Cached 2D runs (gan_demo/scenes.py) round-trip, the shipped ones are small and safe, and the blog GIF."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

import dynamics
from app.gan_plots import view_gif
from gan_demo import scenes
from gan_demo.gif import scatter_gif
from gan_demo.gmm import GMMConfig
from gan_demo.live import LiveOptions, LiveRun
from gan_demo.models import ModelConfig

TINY = GMMConfig(model=ModelConfig(latent_dim=3, g_depth=1, g_width=8, d_depth=1, d_width=8), batch_size=16,
                 seeds=(1,), eval_n=100)


@pytest.fixture(scope="module")
def tiny_run() -> LiveRun:
    algos = [dynamics.make_algorithm("gda", lr=0.05), dynamics.make_algorithm("adam", lr=1e-2)]
    return LiveRun(TINY, algos, 12, options=LiveOptions(every=4, heat_n=10, shown=40, arrows=8)).run_to_end()


def test_cached_run_round_trip(tmp_path, tiny_run) -> None:
    sizes = scenes.save_run(tiny_run, tmp_path / "r", title="tiny", command="made in a test")
    assert set(sizes) == {"run.json", "snapshots.npz"}
    back = scenes.load_run(tmp_path / "r")
    assert back.title == "tiny" and back.meta["command"] == "made in a test"
    assert back.view.snapshot_steps() == [0, 4, 8, 12]
    for arm in tiny_run.arms:
        for a, b in zip(arm.snapshots, back.view.arms[arm.name]):
            assert a.step == b.step and a.near == b.near
            np.testing.assert_allclose(b.samples, a.samples, atol=2e-3, rtol=1e-3)  # float16 on disk
            np.testing.assert_allclose(b.heat, a.heat, atol=1e-3)
            assert b.metrics["modes_well_covered"] == a.metrics["modes_well_covered"]
    np.testing.assert_allclose(back.mixture.centres, tiny_run.mixture.centres)
    # the npz holds plain arrays only: it loads with pickle refused
    with np.load(tmp_path / "r" / "snapshots.npz", allow_pickle=False) as z:
        assert all(z[k].dtype == np.float16 for k in z.files)


def test_load_refuses_other_files(tmp_path, tiny_run) -> None:
    with pytest.raises(ValueError, match="run.json"):
        scenes.load_run(tmp_path)
    scenes.save_run(tiny_run, tmp_path / "r", title="t", command="c")
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    meta["format"] = "something else"
    (tmp_path / "r" / "run.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="format"):
        scenes.load_run(tmp_path / "r")


def test_shipped_cached_runs_are_small_and_load() -> None:
    shipped = scenes.shipped()
    assert "default" in shipped
    total = sum(p.stat().st_size for d in shipped.values() for p in d.iterdir())
    assert total <= 3_000_000
    for name, folder in shipped.items():
        run = scenes.load_run(folder)
        assert name in run.meta["command"] and "python -m gan_demo.scenes" in run.meta["command"]
        sc = scenes.SCENES[name]
        assert run.view.snapshot_steps()[-1] == sc.steps
        assert list(run.view.arms) == list(sc.algorithms)
        assert run.meta["config"] == sc.config().to_dict()


def test_blog_gif_has_one_frame_per_snapshot_and_a_legend(tiny_run) -> None:
    view = tiny_run.view()
    gif = view_gif(view.arms, tiny_run.mixture.sample_numpy(200), tiny_run.box, tiny_run.mixture.centres,
                   title="gda vs adam")
    im = Image.open(io.BytesIO(gif))
    assert gif[:6] == b"GIF89a" and im.n_frames == 4
    assert im.size[0] > 2 * 300 and im.size[1] > 300  # two panels side by side
    frames = []
    for t in range(im.n_frames):
        im.seek(t)
        frames.append(np.asarray(im.convert("RGB")).copy())
    assert any((a != b).any() for a, b in zip(frames, frames[1:]))  # the counter and the samples move


def test_gif_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="frames"):
        scatter_gif(np.zeros((3, 2)), np.zeros((2, 5, 2)), titles=["a", "b"], panel_titles=["p"],
                    box=((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="heats"):
        scatter_gif(np.zeros((3, 2)), np.zeros((2, 1, 5, 2)), titles=["a", "b"], panel_titles=["p"],
                    box=((0, 1), (0, 1)), heats=np.zeros((3, 1, 4, 4)))


def test_cli_run_folder_loads_and_exports(tmp_path) -> None:
    from gan_demo.gmm import main

    assert main(["--algorithm", "gda", "--lr", "0.01", "--out", str(tmp_path / "r"), "--steps", "4", "--every", "2",
                 "--seeds", "3", "--latent-dim", "3", "--g-width", "8", "--d-width", "8", "--g-depth", "1",
                 "--d-depth", "1", "--batch-size", "16", "--no-gif"]) == 0
    run = scenes.load_cli_run(tmp_path / "r", max_seeds=2)
    assert list(run.view.arms) == ["gda seed 0", "gda seed 1"]
    assert run.view.snapshot_steps() == [0, 2, 4]
    gif = view_gif(run.view.arms, run.mixture.sample_numpy(100), run.box, run.mixture.centres)  # no D grid: no shading
    assert gif[:6] == b"GIF89a" and Image.open(io.BytesIO(gif)).n_frames == 3
    with pytest.raises(ValueError, match="metrics.json"):
        scenes.load_cli_run(tmp_path)
