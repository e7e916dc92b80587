"""GIF / MP4 / PNG export of animations, in the app (one click) and from the command line.

The pipeline (measured in docs/stack.md §4): matplotlib Agg with **blitting** draws the static
background once and only the moving artists per frame; frames are quantised with **one shared
palette** built from a montage of the first, middle and last frames, so Pillow's GIF writer stores
only changed rectangles. 200 frames at 480×480 take about a second and a few hundred kB.

The renderer is pluggable: anything that draws an animation supplies a *setup* function

    setup(fig: matplotlib.figure.Figure) -> draw
    draw(i: int) -> list[matplotlib.artist.Artist]    # update the moving artists for frame i

``setup`` draws everything static on ``fig`` (axes, background, legend) and returns ``draw``;
``draw(i)`` updates the moving artists for frame ``i`` and returns them. :func:`render_frames`
marks the returned artists animated, snapshots the background without them and blits. Then
:func:`encode_gif`, :func:`encode_mp4`, :func:`encode_png` turn the uint8 frames into bytes.
:func:`animation_bytes` does all of it in one call. The toy-game animation (:class:`ToyAnimation`)
is one such setup; the GAN pages plug in their own.

Command line (``python -m app.export --help``)::

    python -m app.export --scene negative_momentum --out momentum.gif
    python -m app.export --game bilinear --algorithms gda,extragradient --steps 300 --out xy.gif
    python -m app.export --algorithms momentum,momentum --momentum.order x_first --momentum@2.order sim \
        --lr 0.3 --out twins.gif
    python -m app.export --game quadratic --game.a -6 --game.b 4 --game.c 2 \
        --algorithms ftr,gda --lr 0.05 --x0 2 --y0 2.5 --out ftr.mp4
"""

from __future__ import annotations

import argparse
import functools
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on servers and in CI
import matplotlib.lines  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from dynamics.threads import configure_threads  # noqa: E402

from . import compute, plots  # noqa: E402

Draw = Callable[[int], Sequence[Any]]
Setup = Callable[[Figure], Draw]

MAX_FRAMES = 1000
MAX_SIZE = 1600
MIN_SIZE = 64
MAX_FPS = 60


def _check(n_frames: int, width: int, height: int) -> None:
    if not 1 <= int(n_frames) <= MAX_FRAMES:
        raise ValueError(f"frames must be in [1, {MAX_FRAMES}], got {n_frames}")
    for what, v in (("width", width), ("height", height)):
        if not MIN_SIZE <= int(v) <= MAX_SIZE:
            raise ValueError(f"{what} must be in [{MIN_SIZE}, {MAX_SIZE}] px, got {v}")


def render_frames(setup: Setup, n_frames: int, width: int = 480, height: int = 480, dpi: int = 96) -> np.ndarray:
    """Render an animation with matplotlib blitting: (N, height, width, 3) uint8.

    Args:
        setup: Draws the static part on the figure and returns ``draw(i) -> artists``.
        n_frames: Number of frames N.
        width: Frame width in pixels.
        height: Frame height in pixels.
        dpi: Dots per inch (scales fonts and line widths relative to the pixel size).

    Returns:
        The frames as one uint8 array.

    """
    _check(n_frames, width, height)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)  # a pyplot-free figure: nothing global, safe in server threads
    draw = setup(fig)
    artists = list(draw(0))
    for a in artists:
        a.set_animated(True)
    canvas.draw()  # static background only: animated artists are skipped
    background = canvas.copy_from_bbox(fig.bbox)
    out = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    for i in range(n_frames):
        canvas.restore_region(background)
        arts = artists if i == 0 else list(draw(i))
        for a in arts:
            if not a.get_animated():
                a.set_animated(True)
            fig.draw_artist(a)
        buf = np.asarray(canvas.buffer_rgba())  # (h, w, 4); h, w may be 1 px short of the request
        out[i] = 255
        out[i, : buf.shape[0], : buf.shape[1]] = buf[:height, :width, :3]
    return out


def encode_gif(frames: np.ndarray, fps: float = 25, colors: int = 256) -> bytes:
    """Frames (N, H, W, 3) uint8 -> looping GIF bytes with one shared palette (no dithering)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"fps must be in (0, {MAX_FPS}], got {fps}")
    n = len(frames)
    idx = sorted({0, n // 2, n - 1})  # colours that appear late (diverging paths) are in the palette too
    montage = Image.fromarray(np.concatenate([frames[i] for i in idx], axis=1))
    palette = montage.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return buf.getvalue()


def mp4_available() -> bool:
    """Whether the optional ``imageio-ffmpeg`` (which ships its own ffmpeg binary) is installed."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def encode_mp4(frames: np.ndarray, fps: float = 25) -> bytes:
    """Frames (N, H, W, 3) uint8 -> H.264 MP4 bytes.

    Needs ``imageio-ffmpeg``; sizes are padded to multiples of 16 by ffmpeg's macro blocks, so use sizes like 480).
    """
    if not mp4_available():
        raise RuntimeError("MP4 export needs the optional package imageio-ffmpeg (pip install imageio-ffmpeg)")
    import imageio.v3 as iio

    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"fps must be in (0, {MAX_FPS}], got {fps}")
    return iio.imwrite("<bytes>", frames, extension=".mp4", fps=fps, plugin="FFMPEG", codec="libx264",
                       macro_block_size=16)


def encode_png(frame: np.ndarray) -> bytes:
    """One frame (H, W, 3) uint8 -> PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def animation_bytes(setup: Setup, fmt: str, *, n_frames: int = 200, size: int | tuple[int, int] = 480,
                    fps: float = 25, frame: Optional[int] = None) -> bytes:
    """Render and encode in one call.

    ``fmt`` is "gif", "mp4" or "png" (``frame`` picks which frame the PNG shows; default the last).
    """
    w, h = (size, size) if isinstance(size, int) else size
    if fmt == "png":
        k = n_frames - 1 if frame is None else int(np.clip(frame, 0, n_frames - 1))
        # render only up to frame k: draw(i) must not depend on having drawn i-1, so frame k alone is enough
        return encode_png(render_frames(lambda fig: _only(setup(fig), k), 1, w, h)[0])
    frames = render_frames(setup, n_frames, w, h)
    if fmt == "gif":
        return encode_gif(frames, fps)
    if fmt == "mp4":
        return encode_mp4(frames, fps)
    raise ValueError(f"unknown format {fmt!r}; valid: gif, mp4, png")


def _only(draw: Draw, k: int) -> Draw:
    return lambda i: draw(k)


# ---- the toy-game animation -----------------------------------------------------------------
@dataclass(frozen=True)
class ToyAnimation:
    """Everything that determines a toy-game animation (hashable: it keys the export cache)."""

    game_cfg: compute.GameConfig
    algo_cfgs: tuple[compute.AlgoConfig, ...]
    x0: float = 1.0
    y0: float = 0.5
    steps: int = 300
    seed: int = 0
    box: Optional[tuple[tuple[float, float], tuple[float, float]]] = None
    lecture: bool = False
    title: str = ""  # e.g. the scene's title; default: the game's name

    def runs(self) -> list[compute.Run]:
        """The runs, labelled as in the app (twins of one algorithm say what differs)."""
        from dataclasses import replace

        from .labels import distinct_labels

        runs = [compute.simulate(self.game_cfg, a, self.x0, self.y0, self.steps, self.seed) for a in self.algo_cfgs]
        return [replace(r, label=lab) for r, lab in zip(runs, distinct_labels(list(self.algo_cfgs)))]

    def setup(self, n_frames: int) -> Setup:
        """The pluggable renderer (a ``setup`` function) for this scene.

        It draws the contour of f, the flow, the equilibrium, and each algorithm's path growing frame by frame
        (``diverged at step k`` shown where it happens).
        """
        from .formula_view import game_title, with_star

        runs = self.runs()
        field = compute.field_grid(self.game_cfg, n=120, m=15, box=self.box)
        field, _ = with_star(field, self.game_cfg, self.x0, self.y0)  # typed games: Newton from the start
        # a typed game is named by its formula (a shared GIF says which game it shows)
        title = self.title or f"{game_title(self.game_cfg)}: " + " vs ".join(r.name for r in runs)
        return functools.partial(_toy_setup, field=field, runs=runs, n_frames=n_frames, lecture=self.lecture,
                                 title=title)


def _toy_setup(fig: Figure, *, field: compute.FieldGrid, runs: list[compute.Run], n_frames: int,
               lecture: bool, title: str = "") -> Draw:
    """Blog-ready layout: a title, the plot with a colour bar for f, the legend below the plot (never on the
    data), fonts sized for a 480 px image, paths clipped to the box with an arrowhead where they leave it.
    """
    w_in, h_in = fig.get_size_inches()
    scale = min(w_in, h_in) / 5.0  # fonts and lines were tuned on a 480 px (5 in at 96 dpi) frame
    fs = (13 if lecture else 11) * scale
    lw = (3.2 if lecture else 2.2) * scale
    n_rows = len(runs)  # one legend row per run: the labels can be long ("momentum β=−0.5, alternating …")
    legend_h = min(0.32, (0.045 * n_rows + 0.02) * (13 / 11 if lecture else 1.0) / max(scale, 0.5) * scale)
    bottom = legend_h + 0.09
    ax = fig.add_axes((0.12, bottom, 0.66, 0.86 - bottom))
    cax = fig.add_axes((0.8, bottom + 0.05, 0.03, 0.86 - bottom - 0.1))
    (x_lo, x_hi), (y_lo, y_hi) = box = field.box
    if field.planar:
        top = float(np.nanmax(np.abs(field.f))) or 1.0  # symmetric colours: white is f = 0
        cf = ax.contourf(field.xs, field.ys, field.f, levels=np.linspace(-top, top, 25), cmap="RdBu_r", alpha=0.85)
        ax.contour(field.xs, field.ys, field.f, levels=np.linspace(-top, top, 13)[1:-1], colors="k",
                   linewidths=0.4 * scale, alpha=0.35)
        cb = fig.colorbar(cf, cax=cax)
        cb.set_label("f(x, y)", fontsize=fs)
        cb.ax.tick_params(labelsize=fs - 2)
        cb.locator = matplotlib.ticker.MaxNLocator(5)
        cb.update_ticks()
        # arrows in box-normalised units (lopsided boxes), length ~ sqrt(|xi|)
        sx, sy = x_hi - x_lo, y_hi - y_lo
        un, vn = field.u / sx, field.v / sy
        mag = np.hypot(un, vn)
        with np.errstate(invalid="ignore", divide="ignore"):
            sc = np.where(mag > 0, np.sqrt(mag / np.nanmax(mag)) / mag, 0.0) * 0.8 / (field.u.shape[0] - 1)
        ax.quiver(field.qx, field.qy, un * sc * sx, vn * sc * sy, color=(0.12, 0.12, 0.12, 0.5),
                  angles="xy", scale_units="xy", scale=1.0, pivot="tail", width=0.004 if lecture else 0.003)
    else:
        cax.set_visible(False)
    if field.equilibrium is not None:
        ax.plot(*field.equilibrium, marker="*", ms=(20 if lecture else 16) * scale, color="gold", mec="black",
                mew=1, ls="none", zorder=5)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    if 0.5 <= (y_hi - y_lo) / (x_hi - x_lo) <= 2.0:
        ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x (min player)", fontsize=fs)
    ax.set_ylabel("y (max player)", fontsize=fs)
    ax.tick_params(labelsize=fs - 1)
    _fit_title(fig, title, fs + 2, fs - 1)
    n_rec = max(len(r.xy) for r in runs)
    fidx = plots.frame_indices(n_rec, n_frames)
    # map every output frame to a recorded iterate (repeat the last if fewer records than frames)
    frame_rec = np.array([fidx[min(len(fidx) - 1, int(i * len(fidx) / n_frames))] for i in range(n_frames)])
    lines, heads, marks, exits = [], [], [], []
    handles = []
    for i, run in enumerate(runs):
        c = plots.color(i)
        ax.plot(run.xy[0, 0], run.xy[0, 1], "o", ms=7 * scale, mfc="white", mec=c, mew=2 * scale, zorder=6)
        (ln,) = ax.plot([], [], "-", color=c, lw=lw, solid_capstyle="round", zorder=4)
        (hd,) = ax.plot([], [], "o", color=c, ms=(10 if lecture else 8) * scale, mec="white", mew=1.5, zorder=7)
        (mk,) = ax.plot([], [], "x", color="#d62728", ms=6 * scale, mew=1.5, ls="none", zorder=6)
        _, ex = plots.clip_path(run.xy[: run.last_finite() + 1], box)
        steps_out = _exit_records(run, box)
        arrows = []
        for (ex_x, ex_y, ang), rec in zip(ex, steps_out):
            # matplotlib's rotated triangle: CCW degrees from "up"; the plotly angle is clockwise
            (a,) = ax.plot([ex_x], [ex_y], marker=(3, 0, -ang), ms=13 * scale, color=c, mec="white", mew=1,
                           ls="none", clip_on=False, zorder=8)
            a.set_visible(False)
            arrows.append((rec, a))
        lines.append(ln)
        heads.append(hd)
        marks.append(mk)
        exits.append(arrows)
        handles.append(matplotlib.lines.Line2D([], [], color=c, lw=lw, marker="o", ms=6 * scale, label=run.label))
    leg = fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.02, 0.01), fontsize=fs - 1, frameon=False,
                     ncol=1, handlelength=1.6, borderaxespad=0.2)
    texts = leg.get_texts()
    step_text = fig.text(0.98, 0.975 - (fs + 2) * 1.6 / (72 * h_in), "", ha="right", va="top", fontsize=fs - 1,
                         color="#333")
    steps_of = runs[0].steps

    def clamp(p: np.ndarray) -> np.ndarray:
        return np.array([np.clip(p[0], x_lo, x_hi), np.clip(p[1], y_lo, y_hi)])

    def draw(i: int) -> list[Any]:
        k = int(frame_rec[min(max(i, 0), n_frames - 1)])
        out: list[Any] = [step_text]
        step_text.set_text(f"step {int(steps_of[min(k, len(steps_of) - 1)])}")
        for run, ln, hd, mk, arrows, tx in zip(runs, lines, heads, marks, exits, texts):
            kk = min(k, len(run.xy) - 1)
            pre = run.xy[: kk + 1]
            pre = pre[np.isfinite(pre).all(axis=1)]
            ln.set_data(pre[:, 0], pre[:, 1])
            head = clamp(pre[-1])
            hd.set_data([head[0]], [head[1]])
            out += [ln, hd]
            if run.flags is not None:
                rej = np.flatnonzero(run.flags[: kk + 1] == 2)
                rej = rej[np.isfinite(run.xy[rej]).all(axis=1)]
                mk.set_data(run.xy[rej, 0], run.xy[rej, 1])
                out.append(mk)
            for rec, a in arrows:
                a.set_visible(rec <= kk)
                out.append(a)
            gone = run.diverged and run.steps[kk] >= run.diverged_at
            tx.set_text(f"{run.label} — diverged at step {run.diverged_at}" if gone else run.label)
            out.append(tx)
        return out

    return draw


def _fit_title(fig: Figure, title: str, size: float, smallest: float) -> None:
    """A bold title at the top that fits the frame's width: shrunk down to ``smallest``, then wrapped."""
    import textwrap

    t = fig.text(0.5, 0.985, title, ha="center", va="top", fontsize=size, fontweight="bold")
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width * 0.96
    while t.get_window_extent(renderer).width > width and size > smallest:
        size -= 0.5
        t.set_fontsize(size)
    if t.get_window_extent(renderer).width > width:
        chars = max(10, int(len(title) * width / t.get_window_extent(renderer).width))
        t.set_text("\n".join(textwrap.wrap(title, chars)[:2]))


def _exit_records(run: compute.Run, box: tuple) -> list[int]:
    """The recorded index at which each exit from the box happens (in the order of ``plots.clip_path``)."""
    xy = run.xy[: run.last_finite() + 1]
    (x_lo, x_hi), (y_lo, y_hi) = box
    ins = (xy[:, 0] >= x_lo) & (xy[:, 0] <= x_hi) & (xy[:, 1] >= y_lo) & (xy[:, 1] <= y_hi)
    return [int(j) for j in np.flatnonzero(ins[:-1] & ~ins[1:]) + 1]


def toy_frames(spec: ToyAnimation, n_frames: int = 200, size: int = 480) -> np.ndarray:
    """(N, size, size, 3) frames of a toy-game animation."""
    return render_frames(spec.setup(n_frames), n_frames, size, size)


@functools.lru_cache(maxsize=16)
def cached_bytes(spec: ToyAnimation, fmt: str, size: int = 480, fps: float = 25, n_frames: int = 200,
                 frame: Optional[int] = None) -> bytes:
    """:func:`animation_bytes` for a toy scene, memoised (repeat clicks on a download are free)."""
    return animation_bytes(spec.setup(n_frames), fmt, n_frames=n_frames, size=size, fps=fps, frame=frame)


# ---- command line ---------------------------------------------------------------------------
PROG = "python -m app.export"


def _slots(names: Sequence[str]) -> list[str]:
    """Slot names for a list of algorithm names: the second copy of ``momentum`` is ``momentum@2`` (as in the app)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}@{seen[n]}")
    return out


def _split_slot(slot: str) -> str:
    return slot.split("@", 1)[0]


def build_parser(copies: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command-line parser.

    One ``--game.<param>`` and ``--<algorithm>.<param>`` flag per hyperparameter, built by
    :func:`dynamics.cli.add_hparam_flags` from the same ``dynamics.hparams`` metadata as the app's
    widgets; every value is parsed strictly (finite, in range, bounded JSON for arrays).
    """
    import dynamics
    from dynamics import cli

    p = cli.ArgumentParser(
        prog=PROG,
        description="Export a toy-game animation (GIF, MP4 or PNG) of min-max algorithms.",
        epilog="Example: python -m app.export --game bilinear --algorithms gda,extragradient --steps 300 --out xy.gif",
    )
    num = cli.value_type
    from .scenes import SCENES

    p.add_argument("--scene", default=None, type=num("choice", choices=[sc.key for sc in SCENES]),
                   help="export a scene from the app as it loads (game, algorithms, start, steps, zoom, title); "
                   "other flags change it. Scenes: " + ", ".join(sc.key for sc in SCENES))
    p.add_argument("--game", default="bilinear", type=num("choice", choices=sorted(dynamics.GAMES)),
                   help="game: " + ", ".join(sorted(dynamics.GAMES)) + " (default: bilinear)")
    p.add_argument("--preset", default=None, help="a named parameter set of the game (e.g. ftr_f1 for quadratic)")
    p.add_argument("--algorithms", default="gda,extragradient",
                   help="comma-separated algorithm names; repeat a name for another copy with other settings, "
                   "whose flags are --NAME@2.PARAM (e.g. --algorithms momentum,momentum --momentum@2.beta 0.5); "
                   "choices: " + ", ".join(sorted(dynamics.ALGORITHMS)))
    p.add_argument("--lr", type=num("float", low=0.0, high=1e6), default=None,
                   help="step size η for every algorithm (per-algorithm flags win)")
    coord = num("float", low=-1e6, high=1e6)
    p.add_argument("--x0", type=coord, default=1.0, help="start of the min player (default 1.0)")
    p.add_argument("--y0", type=coord, default=0.5, help="start of the max player (default 0.5)")
    p.add_argument("--steps", type=num("int", low=1, high=compute.MAX_STEPS), default=300,
                   help=f"iterations (≤ {compute.MAX_STEPS}, default 300)")
    p.add_argument("--seed", type=num("int", low=0, high=2**31 - 1), default=0,
                   help="seed for stochastic games/algorithms")
    p.add_argument("--zoom", type=num("float", low=0.05, high=100), default=1.0,
                   help="scale of the plotted box (default 1)")
    p.add_argument("--frames", type=num("int", low=1, high=MAX_FRAMES), default=200,
                   help=f"number of frames (≤ {MAX_FRAMES}, default 200)")
    p.add_argument("--fps", type=num("float", low=0.5, high=MAX_FPS), default=25, help="frames per second (default 25)")
    p.add_argument("--size", type=num("int", low=MIN_SIZE, high=MAX_SIZE), default=480,
                   help="width = height in pixels (default 480)")
    p.add_argument("--frame", type=num("int", low=0, high=MAX_FRAMES - 1), default=None,
                   help="PNG only: which frame (default: the last)")
    p.add_argument("--lecture", action="store_true", help="large fonts and thick lines")
    p.add_argument("--out", required=True, help="output file; the suffix picks the format: .gif, .mp4 or .png")
    g = p.add_argument_group("game parameters (for the chosen --game; parsed by its declarations)")
    owners: dict[str, list[str]] = {}
    for gname, cls in sorted(dynamics.GAMES.items()):
        for hp in dynamics.hparams(cls):
            owners.setdefault(hp.name, []).append(gname)
    for pname, games in owners.items():  # one flag per name; the kind (b: float or vector) depends on --game
        g.add_argument(f"--game.{pname}", dest=f"game.{pname}", default=None, metavar="VALUE",
                       help=f"[{', '.join(games)}]")
    for name, cls in sorted(dynamics.ALGORITHMS.items()):
        a = p.add_argument_group(f"{name} hyperparameters")
        cli.add_hparam_flags(a, cls, prefix=f"{name}.", dest_prefix=f"{name}.", skip={"base", "base_kwargs"})
        if getattr(cls, "wrapper", False):
            a.add_argument(f"--{name}.base", dest=f"{name}.base", default="gda",
                           type=num("choice", choices=sorted(dynamics.ALGORITHMS)), help="base algorithm (default gda)")
    for slot in copies:  # flags of the 2nd, 3rd, ... copy of an algorithm, e.g. --momentum@2.beta
        cls = dynamics.ALGORITHMS.get(_split_slot(slot))
        if cls is None:
            continue
        a = p.add_argument_group(f"{slot} hyperparameters (copy of {_split_slot(slot)})")
        cli.add_hparam_flags(a, cls, prefix=f"{slot}.", dest_prefix=f"{slot}.", skip={"base", "base_kwargs"})
    return p


def configs_from_args(args: argparse.Namespace) -> tuple[compute.GameConfig, list[compute.AlgoConfig]]:
    """Turn parsed flags into the same plain configs the app uses.

    With ``--scene`` the scene's game parameters and hyperparameters are the starting point and
    flags change them; a repeated algorithm name is another copy (``name@2``) with its own flags.

    Raises:
        ValueError: for an unknown preset or algorithm name.

    """
    from .scenes import BY_KEY

    scene = BY_KEY.get(args.scene) if getattr(args, "scene", None) else None
    import dynamics
    from dynamics import cli

    ns = vars(args)
    game_cls = dynamics.GAMES[args.game]
    if args.preset is not None and args.preset not in game_cls.presets:
        valid = ", ".join(sorted(game_cls.presets)) or "none"
        raise ValueError(f"--preset: game {args.game!r} has no preset {args.preset!r}; valid presets: {valid}")
    game_params: dict[str, Any] = dict(game_cls.presets[args.preset]) if args.preset else {}
    if scene is not None and scene.game == args.game:
        game_params.update(dict(scene.game_params))
    scene_params = dict(zip(_slots(scene.algorithm_names()), (dict(p) for _, p in scene.algorithms))) if scene else {}
    known = {hp.name for hp in dynamics.hparams(game_cls)}
    for key, text in ns.items():
        if key.startswith("game.") and text is not None and key[5:] not in known:
            valid = ", ".join(sorted(known))
            raise ValueError(f"--{key}: game {args.game!r} has no parameter {key[5:]!r}; valid: {valid}")
    for hp in dynamics.hparams(game_cls):
        text = ns.get(f"game.{hp.name}")
        if text is not None:
            game_params[hp.name] = cli.parse_value(hp, text, f"--game.{hp.name}")
    algos = []
    names_given = [_split_slot(a.strip()) for a in args.algorithms.split(",") if a.strip()]
    for name, slot in zip(names_given, _slots(names_given)):
        if name not in dynamics.ALGORITHMS:
            valid = ", ".join(sorted(dynamics.ALGORITHMS))
            raise ValueError(f"--algorithms: unknown algorithm {name!r}; valid: {valid}")
        cls = dynamics.ALGORITHMS[name]
        params: dict[str, Any] = dict(scene_params.get(slot, {}))
        names = {hp.name for hp in dynamics.hparams(cls)}
        if "lr" in names and (args.lr is not None or "lr" not in params):  # always explicit: the legend shows η
            params["lr"] = args.lr if args.lr is not None else cls.__dataclass_fields__["lr"].default
        for hp in dynamics.hparams(cls):
            v = ns.get(f"{slot}.{hp.name}")
            if v is not None:
                params[hp.name] = v
        if getattr(cls, "wrapper", False):
            base = ns.get(f"{slot}.base") or params.get("base") or "gda"
            params["base"] = base
            params["base_kwargs"] = compute.items({"lr": args.lr} if args.lr is not None else {})
        algos.append((name, compute.items(params)))
    if not algos:
        raise ValueError("--algorithms: give at least one algorithm")
    return (args.game, compute.items(game_params)), algos


def _parse(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """Parse in two passes.

    ``--scene`` and ``--algorithms`` first (they decide the defaults and which copy flags such as
    ``--momentum@2.beta`` exist), then everything.
    """
    from dynamics import cli

    from .scenes import BY_KEY

    pre = cli.ArgumentParser(prog=PROG, add_help=False)
    pre.add_argument("--scene", default=None)
    pre.add_argument("--algorithms", default=None)
    known, _ = pre.parse_known_args(argv)
    scene = BY_KEY.get(known.scene) if known.scene else None
    algos = known.algorithms or (",".join(scene.algorithm_names()) if scene else "")
    copies = [s for s in _slots([_split_slot(a.strip()) for a in algos.split(",") if a.strip()]) if "@" in s]
    parser = build_parser(copies)
    if scene is not None:  # the scene's values are the defaults; flags given on the command line win
        parser.set_defaults(game=scene.game, algorithms=",".join(scene.algorithm_names()), x0=scene.x0,
                            y0=scene.y0, steps=scene.steps, seed=scene.seed, zoom=scene.zoom)
    return parser.parse_args(argv)


def _main(argv: Optional[Sequence[str]] = None) -> int:
    from dynamics import cli

    args = _parse(argv)
    configure_threads()  # one torch thread unless SADDLE_TORCH_THREADS (dynamics/threads.py)
    # every check before any work: format, writable output, valid configs (built, not run)
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("gif", "mp4", "png"):
        raise cli.UsageError(f"--out must end in .gif, .mp4 or .png, got {out.name!r}")
    if fmt == "mp4" and not mp4_available():
        raise cli.UsageError("--out: MP4 export needs the optional package imageio-ffmpeg (pip install imageio-ffmpeg)")
    cli.check_writable(out, what="--out")
    game_cfg, algos = configs_from_args(args)
    compute.make_game(game_cfg)
    for algo_cfg in algos:
        compute.make_algorithm(algo_cfg)
    (a, b), (c, d) = compute.game_box(game_cfg)
    z = float(args.zoom)
    cx, cy, hx, hy = (a + b) / 2, (c + d) / 2, (b - a) / 2 * z, (d - c) / 2 * z
    from .scenes import BY_KEY

    title = BY_KEY[args.scene].title if args.scene else ""
    spec = ToyAnimation(game_cfg=game_cfg, algo_cfgs=tuple(algos), x0=args.x0, y0=args.y0, steps=args.steps,
                        seed=args.seed, box=((cx - hx, cx + hx), (cy - hy, cy + hy)), lecture=args.lecture,
                        title=title)
    data = animation_bytes(spec.setup(args.frames), fmt, n_frames=args.frames, size=args.size, fps=args.fps,
                           frame=args.frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    for run in spec.runs():
        print(f"{run.label}: {run.status()}")
    print(f"wrote {out} ({len(data) / 1024:.0f} kB, {args.frames if fmt != 'png' else 1} frame(s), "
          f"{args.size}×{args.size})")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m app.export``: a bad argument is one line on stderr and exit code 2."""
    from dynamics import cli

    return cli.front_door(PROG)(_main)(argv)


if __name__ == "__main__":
    sys.exit(main())
