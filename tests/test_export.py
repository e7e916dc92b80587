"""GIF / MP4 / PNG export and its command line: files read back with imageio have the frames and
size asked for, and the pluggable renderer works for any frame-drawing function."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from app import export, scenes
from app.labels import distinct_labels

ROOT = Path(__file__).resolve().parents[1]

SPEC = export.ToyAnimation(game_cfg=("bilinear", ()),
                           algo_cfgs=(("gda", (("lr", 0.2),)), ("extragradient", (("lr", 0.2),))),
                           x0=1.0, y0=0.5, steps=60)


def test_pluggable_renderer_draws_each_frame():
    # the API the GAN pages use: setup(fig) draws the static part and returns draw(i) -> artists
    def setup(fig):
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 1)
        (dot,) = ax.plot([], [], "o", ms=20, color="red")

        def draw(i):
            dot.set_data([i], [0.5])
            return [dot]

        return draw

    frames = export.render_frames(setup, 10, width=160, height=96)
    assert frames.shape == (10, 96, 160, 3) and frames.dtype == np.uint8
    red = (frames[..., 0] > 200) & (frames[..., 1] < 80)  # (N, H, W)
    cols = [np.flatnonzero(r.any(axis=0)).mean() for r in red]
    assert np.all(np.diff(cols) > 0)  # the dot moves right, frame by frame


def test_gif_has_the_frames_size_and_speed_asked_for():
    data = export.animation_bytes(SPEC.setup(24), "gif", n_frames=24, size=240, fps=20)
    assert data[:6] == b"GIF89a"
    frames = iio.imread(data, index=None, extension=".gif")
    assert frames.shape[:3] == (24, 240, 240)
    meta = iio.immeta(data, extension=".gif")
    assert meta["duration"] == 50 and meta["loop"] == 0
    assert not np.array_equal(frames[0], frames[-1])  # it animates


def test_gif_of_a_typical_scene_is_small():
    data = export.animation_bytes(SPEC.setup(200), "gif", n_frames=200, size=480, fps=25)
    assert len(data) < 1_000_000  # shared palette: only changed rectangles are stored


@pytest.mark.skipif(not export.mp4_available(), reason="imageio-ffmpeg not installed")
def test_mp4_reads_back_with_the_right_frames_and_size():
    data = export.animation_bytes(SPEC.setup(30), "mp4", n_frames=30, size=320, fps=25)
    frames = iio.imread(data, index=None, extension=".mp4", plugin="FFMPEG")
    assert frames.shape == (30, 320, 320, 3)


def test_png_is_one_frame_of_the_animation():
    png = export.animation_bytes(SPEC.setup(10), "png", n_frames=10, size=320, frame=0)
    last = export.animation_bytes(SPEC.setup(10), "png", n_frames=10, size=320)
    a, b = np.asarray(Image.open(io.BytesIO(png))), np.asarray(Image.open(io.BytesIO(last)))
    assert a.shape[:2] == (320, 320) and not np.array_equal(a, b)
    frames = export.toy_frames(SPEC, n_frames=10, size=320)
    assert np.array_equal(b[..., :3], frames[-1])  # the PNG is exactly the GIF's last frame


def test_bad_sizes_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="width"):
        export.render_frames(lambda fig: (lambda i: []), 2, width=10, height=100)
    with pytest.raises(ValueError, match="frames"):
        export.render_frames(lambda fig: (lambda i: []), 0)
    with pytest.raises(ValueError, match="format"):
        export.animation_bytes(SPEC.setup(2), "webm", n_frames=2, size=96)


def test_cli_writes_a_gif(tmp_path, capsys):
    out = tmp_path / "xy.gif"
    rc = export.main(["--game", "bilinear", "--algorithms", "gda,extragradient", "--steps", "80", "--frames", "16",
                      "--size", "160", "--gda.lr", "0.3", "--out", str(out)])
    assert rc == 0
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (16, 160, 160)
    printed = capsys.readouterr().out
    assert "gda (η=0.3)" in printed and "extragradient (η=0.1)" in printed


def test_cli_help_lists_flags_from_the_hparam_metadata(capsys):
    with pytest.raises(SystemExit) as exc:
        export.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--game", "--algorithms", "--out", "--gda.lr", "--game.a", "--extragradient.lr", "--alt_gda.order"):
        assert flag in text


def test_cli_rejects_bad_input(tmp_path, capsys):
    assert export.main(["--algorithms", "nope", "--out", str(tmp_path / "a.gif")]) == 2
    assert "unknown algorithm" in capsys.readouterr().err
    # matrices are JSON, never evaluated; every bad argument is one line and exit code 2
    assert export.main(["--game.A", "__import__('os')", "--out", str(tmp_path / "a.gif")]) == 2
    assert export.main(["--out", str(tmp_path / "a.webm")]) == 2
    assert not (tmp_path / "a.gif").exists()


# ---- scenes, copies of one algorithm, bad arguments -----------------------------------------
SCENE_KEYS = [s.key for s in scenes.SCENES]


@pytest.mark.parametrize("key", SCENE_KEYS)
def test_cli_exports_every_scene(key, tmp_path, capsys):
    scene = scenes.BY_KEY[key]
    out = tmp_path / f"{key}.gif"
    rc = export.main(["--scene", key, "--frames", "3", "--size", "96", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (3, 96, 96)
    printed = capsys.readouterr().out
    labels = distinct_labels(scene.algo_configs())
    for label in labels:  # the app's labels, twins included
        assert f"{label}:" in printed


def test_scene_export_matches_the_scene_and_flags_change_it(tmp_path, capsys):
    assert export.main(["--scene", "negative_momentum", "--frames", "2", "--size", "96",
                        "--out", str(tmp_path / "a.gif")]) == 0
    printed = capsys.readouterr().out
    assert "momentum alternating (η=0.3)" in printed and "momentum simultaneous (η=0.3)" in printed
    assert export.main(["--scene", "negative_momentum", "--momentum@2.beta", "0.5", "--frames", "2", "--size", "96",
                        "--out", str(tmp_path / "b.gif")]) == 0
    printed = capsys.readouterr().out
    assert "momentum β=−0.5, alternating (η=0.3)" in printed and "momentum β=0.5, simultaneous (η=0.3)" in printed


def test_cli_exports_two_copies_of_one_algorithm(tmp_path, capsys):
    out = tmp_path / "twins.png"
    rc = export.main(["--algorithms", "momentum,momentum", "--lr", "0.3", "--momentum.order", "x_first",
                      "--momentum@2.order", "sim", "--momentum@2.beta", "0.5", "--steps", "60", "--frames", "4",
                      "--size", "160", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "momentum β=−0.5, alternating (η=0.3):" in printed and "momentum β=0.5, simultaneous (η=0.3):" in printed


def test_gif_has_a_title_a_colour_bar_and_the_legend_off_the_data():
    spec = export.ToyAnimation(game_cfg=("bilinear", ()), algo_cfgs=(("gda", (("lr", 0.2),)),), steps=40,
                               title="A title")
    fig = Figure(figsize=(5, 5), dpi=96)
    FigureCanvasAgg(fig)
    spec.setup(10)(fig)
    texts = [t.get_text() for t in fig.texts]
    assert "A title" in texts
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "f(x, y)"  # the colour bar of f
    ax = fig.axes[0]
    assert not ax.get_legend() and fig.legends  # the legend belongs to the figure, below the plot
    r = fig.canvas.get_renderer()
    assert fig.legends[0].get_window_extent(r).y1 <= ax.get_window_extent(r).y0
    assert min(t.get_fontsize() for t in fig.legends[0].get_texts()) >= 9  # readable at 480 px


BAD = [
    (["--preset", "nope"], "--preset"),
    (["--scene", "nope"], "--scene"),
    (["--algorithms", "nope"], "unknown algorithm"),
    (["--steps", "-3"], "--steps"),
    (["--size", "5"], "--size"),
    (["--gda.lr", "fast"], "--gda.lr"),
    (["--momentum@2.beta", "0.5"], "momentum@2.beta"),
    (["--game.A", "__import__('os')"], "--game.A"),
]


@pytest.mark.parametrize("argv,what", BAD, ids=[b[1] for b in BAD])
def test_cli_bad_arguments_exit_2_with_one_line(argv, what, tmp_path, capsys):
    out = tmp_path / "x.gif"
    assert export.main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert what in err and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert not out.exists()


def test_cli_process_prints_no_traceback(tmp_path):
    # the real entry point, as a user runs it (the example ended in a KeyError traceback)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "app.export", "--preset", "nope", "--out", str(tmp_path / "x.gif")],
                       cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
