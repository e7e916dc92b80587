"""Pure plotting helpers of the MNIST tab: arrays in, arrays or Plotly figures out (no Streamlit).

Images are uint8 (..., 28, 28), 0 = black background, as stored in the shipped checkpoints.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
#: one colour per experiment-2 arm, everywhere (plots, animation, GIF)
ARM_COLORS = {"gda": "#1f77b4", "greedy_minmax": "#d62728"}
ARM_LABELS = {"gda": "GDA", "greedy_minmax": "greedy min-max"}


def fonts(lecture: bool) -> dict[str, int]:
    """Font and line sizes for the screen or a projector (lecture mode)."""
    return {"font": 18, "line": 3, "height": 440} if lecture else {"font": 13, "line": 2, "height": 340}


def image_grid(images: np.ndarray, ncols: int = 8, pad: int = 2, value: int = 255) -> np.ndarray:
    """Tile images (n, 28, 28) uint8 into one (rows*(28+pad)+pad, cols*(28+pad)+pad) uint8 image."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must be (n, h, w), got {images.shape}")
    n, h, w = images.shape
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), value, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = images[i]
    return out


def upscale(img: np.ndarray, k: int) -> np.ndarray:
    """Nearest-neighbour upscaling by an integer factor (crisp pixels in the browser and in GIFs)."""
    return np.kron(img, np.ones((k, k), dtype=img.dtype)) if k > 1 else img


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Floats in [-1, 1] (..., 784) or (..., 28, 28) -> uint8 (..., 28, 28)."""
    a = np.asarray(images, dtype=np.float32)
    a = a.reshape(*a.shape[:-1], 28, 28) if a.shape[-1] == 784 else a
    return np.round((np.clip(a, -1, 1) + 1) * 127.5).astype(np.uint8)


def slerp(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Points (n, k) on the great circle from a to b (scaled linearly in norm), the usual latent path."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    ua, ub = a / na, b / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    dirs = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    return dirs * ((1 - t) * na + t * nb)


def lerp(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Points (n, k) on the segment from a to b."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) * a + t * b


def loss_figure(runs: Sequence[tuple[str, Sequence[int], Sequence[float], Sequence[float]]],
                height: int = 320) -> go.Figure:
    """Loss curves: one (label, steps, loss_G, loss_D) per run; G solid, D dotted, same colour."""
    fig = go.Figure()
    for i, (label, steps, lx, ly) in enumerate(runs):
        c = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=list(steps), y=list(lx), name=f"{label}: G", line=dict(color=c)))
        fig.add_trace(go.Scatter(x=list(steps), y=list(ly), name=f"{label}: D", line=dict(color=c, dash="dot")))
    fig.update_layout(height=height, margin=dict(l=40, r=10, t=30, b=40), xaxis_title="iteration",
                      yaxis_title="loss (fixed evaluation batch)", legend=dict(orientation="h", y=-0.25))
    return fig


def fraction_figure(runs: Sequence[tuple[str, Sequence[int], Sequence[float]]], digit: int = 1,
                    reference: float | None = None, marker_step: int | None = None, height: int = 320) -> go.Figure:
    """The mode-oscillation plot: fraction of samples classified as ``digit`` over training, per run."""
    fig = go.Figure()
    for i, (label, steps, frac) in enumerate(runs):
        fig.add_trace(go.Scatter(x=list(steps), y=list(frac), name=label, mode="lines",
                                 line=dict(color=PALETTE[i % len(PALETTE)])))
    if reference is not None:
        fig.add_hline(y=reference, line=dict(color="gray", dash="dash"),
                      annotation_text=f"training data: {reference:.2f}", annotation_position="top left")
    if marker_step is not None:
        fig.add_vline(x=marker_step, line=dict(color="black", width=1))
    fig.update_layout(height=height, margin=dict(l=40, r=10, t=30, b=40), xaxis_title="iteration",
                      yaxis_title=f"fraction of {digit}s", yaxis_range=[-0.02, 1.02],
                      legend=dict(orientation="h", y=-0.25))
    return fig


def histogram_figure(runs: Sequence[tuple[str, Sequence[float]]], digits: Sequence[int],
                     reference: Sequence[float] | None = None, height: int = 300) -> go.Figure:
    """Class histograms of generated samples (grouped bars), with the training frequencies as a line."""
    fig = go.Figure()
    labels = [str(d) for d in digits]
    for i, (label, hist) in enumerate(runs):
        fig.add_trace(go.Bar(x=labels, y=list(hist), name=label, marker_color=PALETTE[i % len(PALETTE)]))
    if reference is not None:
        fig.add_trace(go.Scatter(x=labels, y=list(reference), name="training data", mode="lines+markers",
                                 line=dict(color="black", dash="dash")))
    fig.update_layout(barmode="group", height=height, margin=dict(l=40, r=10, t=30, b=40), xaxis_title="digit",
                      yaxis_title="share of samples", legend=dict(orientation="h", y=-0.3))
    # digits are categories: one tick per digit, never a continuous axis with ticks at -0.5, 0.5
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels, tickmode="array",
                     tickvals=labels, ticktext=labels)
    return fig


def occupancy_figure(steps: Sequence[int], hists: np.ndarray, digits: Sequence[int], title: str = "",
                     height: int = 260) -> go.Figure:
    """Class occupancy raster: digit × iteration heatmap of the class histogram (T, K)."""
    z = np.asarray(hists, dtype=float).T  # (K, T)
    fig = go.Figure(go.Heatmap(x=list(steps), y=[str(d) for d in digits], z=z, zmin=0, zmax=1,
                               colorscale="Viridis", colorbar=dict(title="share")))
    fig.update_layout(title=title, height=height, margin=dict(l=40, r=10, t=40 if title else 20, b=40),
                      xaxis_title="iteration", yaxis_title="digit")
    return fig


def frames_with_labels(grids: Sequence[np.ndarray], labels: Sequence[str], scale: int = 3) -> np.ndarray:
    """Grey grids (h, w) uint8 -> RGB frames (N, H, W, 3) with a caption strip drawn by Pillow."""
    from PIL import Image, ImageDraw

    frames = []
    for g, text in zip(grids, labels):
        big = upscale(g, scale)
        strip = 18
        img = Image.new("RGB", (big.shape[1], big.shape[0] + strip), "white")
        img.paste(Image.fromarray(big).convert("RGB"), (0, strip))
        ImageDraw.Draw(img).text((4, 3), text, fill=(0, 0, 0))
        frames.append(np.asarray(img))
    h = max(f.shape[0] for f in frames)
    w = max(f.shape[1] for f in frames)
    out = np.full((len(frames), h, w, 3), 255, dtype=np.uint8)
    for i, f in enumerate(frames):
        out[i, : f.shape[0], : f.shape[1]] = f
    return out


def snapshot_frames(runs: Sequence[tuple[str, Sequence[int], np.ndarray]], n_show: int = 16, ncols: int = 4,
                    scale: int = 2) -> np.ndarray:
    """GIF frames (N, H, W, 3) of snapshots over training, runs side by side.

    ``runs``: (label, snapshot steps (K,), snapshots (K, n, 28, 28) uint8). Frame i shows every
    run's snapshot nearest to the i-th step of the union of their steps.
    """
    steps = sorted({int(s) for _, st, _ in runs for s in st})
    if not steps:
        raise ValueError("no snapshots to animate")
    grids, labels = [], []
    for s in steps:
        panels = []
        for _, st_r, snaps in runs:
            k = int(np.argmin([abs(int(v) - s) for v in st_r]))
            panels.append(image_grid(snaps[k, :n_show], ncols))
        h = max(p.shape[0] for p in panels)
        panels = [np.pad(p, ((0, h - p.shape[0]), (0, 0)), constant_values=255) for p in panels]
        sep = np.full((h, 6), 255, dtype=np.uint8)
        row = panels[0]
        for p in panels[1:]:
            row = np.concatenate([row, sep, p], axis=1)
        grids.append(row)
        labels.append(f"iteration {s}   " + " | ".join(label for label, _, _ in runs))
    return frames_with_labels(grids, labels, scale)


def gif_bytes(frames: np.ndarray, fps: float = 4) -> bytes:
    """A small Pillow GIF writer with one shared palette (fallback when app/export.py is absent)."""
    import io

    from PIL import Image

    n = len(frames)
    montage = Image.fromarray(np.concatenate([frames[0], frames[n // 2], frames[-1]], axis=1))
    pal = montage.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    imgs = [Image.fromarray(f).quantize(palette=pal, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=round(1000 / fps), loop=0)
    return buf.getvalue()


# ---- experiment 2 across runs ------------------------------------------------------------------------
def runs_fraction_figure(rows: Sequence[dict[str, Any]], highlight: dict[str, int] | None = None, at: int = 1000,
                         threshold: float = 0.10, reference: float | None = None, lecture: bool = False) -> go.Figure:
    """The fraction of 1s over training for every run: thin lines per run, the representative runs bold.

    ``rows``: the per-seed dicts of :func:`gan_demo.mnist.exp2.run_seeds` (``arm``, ``seed``,
    ``eval_every``, ``frac_ones``); ``highlight``: {arm: seed} drawn thick.
    """
    f = fonts(lecture)
    highlight = highlight or {}
    fig = go.Figure()
    fig.add_hrect(y0=threshold, y1=1 - threshold, fillcolor="rgba(0,160,0,0.07)", line_width=0,
                  annotation_text=f"both digits (each ≥ {threshold:.0%})", annotation_position="top left")
    shown: set[str] = set()
    for r in sorted(rows, key=lambda r: (r["arm"], r["seed"])):
        arm = r["arm"]
        steps = [i * int(r["eval_every"]) for i in range(len(r["frac_ones"]))]
        bold = highlight.get(arm) == r["seed"]
        color = ARM_COLORS.get(arm, "gray")
        fig.add_trace(go.Scatter(
            x=steps, y=r["frac_ones"], mode="lines", opacity=1.0 if bold else 0.28,
            line=dict(color=color, width=f["line"] + 1.5 if bold else 1),
            name=f"{ARM_LABELS.get(arm, arm)}, run {r['seed']} (shown)" if bold else ARM_LABELS.get(arm, arm),
            legendgroup=arm if not bold else f"{arm}-shown", showlegend=bold or arm not in shown,
            hovertemplate=f"{ARM_LABELS.get(arm, arm)} run {r['seed']}<br>iteration %{{x}}: %{{y:.2f}}<extra></extra>"))
        shown.add(arm)
    fig.add_vline(x=at, line=dict(color="black", width=1, dash="dot"), annotation_text=f"iteration {at}",
                  annotation_position="bottom left")
    if reference is not None:
        fig.add_hline(y=reference, line=dict(color="gray", dash="dash"), annotation_text=f"data: {reference:.2f}",
                      annotation_position="bottom right")
    last = max((len(r["frac_ones"]) - 1) * int(r["eval_every"]) for r in rows) if rows else at
    fig.update_layout(height=f["height"], margin=dict(l=50, r=10, t=30, b=40), font=dict(size=f["font"]),
                      xaxis_title="iteration", xaxis_range=[0, max(last, at)], yaxis_title="fraction of 1s",
                      yaxis_range=[-0.02, 1.02],
                      legend=dict(orientation="h", y=-0.2))
    return fig


def png_data_uri(img: np.ndarray) -> str:
    """A grey (h, w) or RGB (h, w, 3) uint8 image as a PNG data URI (small in a Plotly animation)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(img, dtype=np.uint8)).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def training_animation(runs: Sequence[tuple[str, str, Sequence[int], np.ndarray, Sequence[int], Sequence[float]]],
                       n_show: int = 16, ncols: int = 4, scale: int = 3, lecture: bool = False) -> go.Figure:
    """An "over training" animation: the runs' sample grids and their fraction of 1s, played together.

    ``runs``: (label, colour, snapshot steps (K,), snapshots (K, n, 28, 28) uint8, eval steps,
    fraction of 1s) per run. Frame i shows each run's snapshot at the i-th snapshot step and moves
    a marker along every fraction curve to that step. Images travel as PNG data URIs.
    """
    if not runs:
        raise ValueError("no runs to animate")
    f = fonts(lecture)
    steps = sorted({int(s) for r in runs for s in r[2]})
    n = len(runs)
    curves = [r for r in runs if len(r[5])]  # runs with a fraction-of-1s trace (0-1 MNIST)
    if curves:
        fig = make_subplots(rows=2, cols=n, row_heights=[0.58, 0.42], vertical_spacing=0.12,
                            specs=[[{}] * n, [{"colspan": n}] + [None] * (n - 1)],
                            subplot_titles=[r[0] for r in runs] + [""])
    else:
        fig = make_subplots(rows=1, cols=n, subplot_titles=[r[0] for r in runs])

    def grid_uri(r: tuple, s: int) -> str:
        k = int(np.argmin([abs(int(v) - s) for v in r[2]]))
        return png_data_uri(upscale(image_grid(r[3][k, :n_show], ncols), scale))

    def nearest(xs: Sequence[int], ys: Sequence[float], s: int) -> tuple[int, float]:
        j = int(np.argmin([abs(int(v) - s) for v in xs]))
        return int(xs[j]), float(ys[j])

    for i, r in enumerate(runs):
        fig.add_trace(go.Image(source=grid_uri(r, steps[0]), hoverinfo="skip"), row=1, col=i + 1)
    for r in curves:  # the curves (static)
        fig.add_trace(go.Scatter(x=list(r[4]), y=list(r[5]), mode="lines", name=r[0],
                                 line=dict(color=r[1], width=f["line"])), row=2, col=1)
    for r in curves:  # the moving markers
        x0, y0 = nearest(r[4], r[5], steps[0])
        fig.add_trace(go.Scatter(x=[x0], y=[y0], mode="markers", marker=dict(color=r[1], size=14, line=dict(
            color="black", width=1)), showlegend=False, hoverinfo="skip"), row=2, col=1)
    marker_ids = list(range(n + len(curves), n + 2 * len(curves)))
    frames = []
    for s in steps:
        data = [go.Image(source=grid_uri(r, s)) for r in runs]
        data += [go.Scatter(x=[nearest(r[4], r[5], s)[0]], y=[nearest(r[4], r[5], s)[1]]) for r in curves]
        frames.append(go.Frame(data=data, traces=list(range(n)) + marker_ids, name=str(s),
                               layout=dict(title_text=f"iteration {s}")))
    fig.frames = frames
    for i in range(n):
        fig.update_xaxes(visible=False, row=1, col=i + 1)
        fig.update_yaxes(visible=False, row=1, col=i + 1)
    if curves:
        fig.update_yaxes(title_text="fraction of 1s", range=[-0.02, 1.02], row=2, col=1)
        fig.update_xaxes(title_text="iteration", row=2, col=1)
    play = dict(label="▶ play", method="animate",
                args=[None, dict(frame=dict(duration=400, redraw=True), fromcurrent=True, transition=dict(duration=0))])
    pause = dict(label="❚❚ pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])
    slider = dict(active=0, y=-0.08, currentvalue=dict(visible=False), pad=dict(t=30),  # the title counts
                  steps=[dict(label=str(s) if i % max(1, len(steps) // 10) == 0 else "", method="animate",
                              args=[[str(s)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                         for i, s in enumerate(steps)])
    fig.update_layout(title=dict(text=f"iteration {steps[0]}", x=0.5, xanchor="center"),
                      height=f["height"] + (260 if curves else 0), font=dict(size=f["font"]),
                      margin=dict(l=50, r=10, t=70, b=40),
                      legend=dict(orientation="h", x=1, xanchor="right", y=0.40, yanchor="bottom"),
                      updatemenus=[dict(type="buttons", buttons=[play, pause], x=0, y=1.12, xanchor="left",
                                        direction="left")], sliders=[slider])
    return fig


def blog_gif_frames(title: str, runs: Sequence[tuple[str, str, Sequence[int], np.ndarray, Sequence[int],
                                                     Sequence[float]]],
                    n_show: int = 16, ncols: int = 4, width_px: int = 960, height_px: int = 640) -> np.ndarray:
    """Blog-ready frames (N, H, W, 3): a title, an iteration counter, every run's samples labelled, and
    the fraction-of-1s curves with a moving marker (0-1 MNIST runs; other runs show samples only).

    Object-oriented matplotlib (``Figure`` + ``FigureCanvasAgg``, never pyplot), so concurrent
    sessions never share figure state. ``runs`` as in :func:`training_animation` (eval steps and
    fractions may be empty).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = sorted({int(s) for r in runs for s in r[2]})
    if not steps:
        raise ValueError("no snapshots to animate")
    n = len(runs)
    with_curve = any(len(r[5]) for r in runs)
    dpi = 100
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    gs = fig.add_gridspec(2 if with_curve else 1, n, height_ratios=[3, 1.6] if with_curve else [1],
                          left=0.07, right=0.98, top=0.86, bottom=0.1, hspace=0.22, wspace=0.08)
    fig.suptitle(title, fontsize=17, fontweight="bold", y=0.975)
    counter = fig.text(0.5, 0.905, "", ha="center", fontsize=14)
    img_axes, ims = [], []
    for i, r in enumerate(runs):
        ax = fig.add_subplot(gs[0, i])
        ax.set_axis_off()
        ax.set_title(r[0], fontsize=13, color=r[1], fontweight="bold")
        ims.append(ax.imshow(image_grid(r[3][0, :n_show], ncols), cmap="gray", vmin=0, vmax=255,
                             interpolation="nearest"))
        img_axes.append(ax)
    markers = []
    if with_curve:
        ax = fig.add_subplot(gs[1, :])
        for r in runs:
            if len(r[5]):
                ax.plot(list(r[4]), list(r[5]), color=r[1], lw=2, label=r[0])
                (m,) = ax.plot([r[4][0]], [r[5][0]], "o", color=r[1], ms=10, mec="black")
                markers.append((r, m))
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlim(0, max(int(max(r[4])) for r in runs if len(r[4])))
        ax.set_ylabel("fraction of 1s", fontsize=12)
        ax.set_xlabel("iteration", fontsize=12)
        ax.grid(alpha=0.3)
    frames = []
    for s in steps:
        for r, im in zip(runs, ims):
            k = int(np.argmin([abs(int(v) - s) for v in r[2]]))
            im.set_data(image_grid(r[3][k, :n_show], ncols))
        for r, m in markers:
            j = int(np.argmin([abs(int(v) - s) for v in r[4]]))
            m.set_data([r[4][j]], [r[5][j]])
        counter.set_text(f"iteration {s}")
        canvas.draw()
        frames.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    return np.stack(frames)


def hyperparameter_rows(meta: dict[str, Any]) -> list[dict[str, str]]:
    """A readable table of one checkpoint's setup: (setting, value) rows, no raw key=value dumps."""
    cfg = meta.get("config", {})
    a = dict(meta.get("algorithm", {}))
    name = a.pop("name", "?")
    if name == "double_sgda" and a.get("generator_term") is False:
        label = "SGDA (slow discriminator with penalty; the repo's SGDA.py)"
    else:
        label = {"adam": "GDA with Adam (G step, then D step)" if a.get("order") == "x_first" else "GDA with Adam",
                 "greedy_minmax": "greedy min-max", "double_sgda": "Double SGDA (slow discriminator D̄)",
                 "sgda": "Smoothed GDA (smooths the generator)", "alt_gda": "alternating GDA"}.get(name, name)
    rows = [("algorithm", label)]
    nice = {"lr": "learning rate", "lr_x": "learning rate (generator)", "lr_y": "learning rate (discriminator)",
            "beta1": "Adam β₁", "beta2": "Adam β₂", "eps": "Adam ε", "order": "update order", "rate": "every rate-th "
            "step accepted unconditionally", "k": "discriminator steps per iteration", "p": "smoothing weight p",
            "beta": "slow-copy EMA rate β", "swa_start": "slow copy starts at iteration", "penalty": "penalty",
            "generator_term": "generator also trained against D̄", "optimizer": "step rule"}
    skip = {"seed", "temperature", "temp_offset", "temp_scale", "criterion", "revert", "variant"}
    for k, v in a.items():
        if v is None or k in skip:
            continue
        rows.append((nice.get(k, k), _fmt(v)))
    rng = {"pm1": "[-1, 1]", "01": "[0, 1]"}.get(cfg.get("data_range", "pm1"), "?")
    data = "0-1 MNIST" if meta.get("digits") == [0, 1] else "MNIST (10 digits)"
    rows += [("data", f"{data}, {meta.get('data', {}).get('n_train_digits', '?')} training images, pixels in {rng}"),
             ("batch size", _fmt(cfg.get("batch_size"))), ("iterations", _fmt(meta.get("step"))),
             ("networks", {"mangoubi": "MLP G 100-256-512-1024-784, D 784-1024-512-256-1 (dropout 0.3 × 2)",
                           "mlp": "MLP G 100-256-512-1024-784, D 784-1024-512-256-1 (always-on dropout 0.3 × 3)"}
              .get(meta.get("arch", ""), str(meta.get("arch")))),
             ("loss", str(cfg.get("loss_type", "non_saturating")).replace("_", "-")),
             ("training seed", ", ".join(str(s) for s in meta.get("seeds", [])))]
    if name == "greedy_minmax":
        rows.append(("acceptance test", {"fresh": "two fresh minibatches, dropout off (the notebook)",
                                         "step": "the step's own minibatch, dropout on (earlier runs)"}
                     .get(cfg.get("acceptance", "step"), "?")))
    return [{"setting": k, "value": v} for k, v in rows]


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v).replace("_", " ")


def exp1_metrics_figure(runs: Sequence[tuple[str, Sequence[int], Sequence[dict[str, Any]], float]],
                        lecture: bool = False) -> go.Figure:
    """Experiment 1 over training: classes covered, KL(p̂‖uniform) and FID against its real floor.

    ``runs``: (label, steps, metrics dicts with ``classes_covered``, ``rev_kl``, ``fid``, real FID floor).
    """
    f = fonts(lecture)
    fig = make_subplots(rows=1, cols=3, subplot_titles=["classes covered (of 10)", "KL(p̂ ‖ uniform)",
                                                        "FID (CNN features) vs real floor"], horizontal_spacing=0.08)
    for i, (label, steps, ms, floor) in enumerate(runs):
        c = PALETTE[i % len(PALETTE)]
        for j, key in enumerate(("classes_covered", "rev_kl", "fid")):
            fig.add_trace(go.Scatter(x=list(steps), y=[m[key] for m in ms], mode="lines+markers", name=label,
                                     line=dict(color=c, width=f["line"]), legendgroup=label, showlegend=j == 0),
                          row=1, col=j + 1)
        if i == 0:
            fig.add_hline(y=floor, line=dict(color="gray", dash="dash"), row=1, col=3,
                          annotation_text=f"real floor {floor:.1f}", annotation_position="top left")
    fig.update_yaxes(range=[0, 10.5], row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=3)
    fig.update_xaxes(title_text="iteration")
    fig.update_layout(height=f["height"], font=dict(size=f["font"]), margin=dict(l=40, r=10, t=40, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return fig


#: one colour per experiment-1 arm, everywhere (plots and tables)
EXP1_COLORS = {"gda": "#1f77b4", "sgda": "#ff7f0e", "double_sgda": "#2ca02c", "double_sgda_simultaneous": "#9467bd"}


def exp1_seeds_figure(rows: Sequence[dict[str, Any]], labels: dict[str, str], highlight: dict[str, int],
                      collapse_at: int, floor: float, lecture: bool = False) -> go.Figure:
    """Every experiment-1 run over training: digits well covered, KL(p̂‖uniform) and FID vs its floor.

    ``rows``: ``gan_demo.mnist.exp1`` rows (arm, seed, steps, well_covered, kl, fid); the shown run of
    each arm (``highlight``: arm -> seed) is drawn thick, the others thin; the dashed line of the
    first panel is the collapse rule (at most ``collapse_at`` digits well covered).
    """
    f = fonts(lecture)
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08,
                        subplot_titles=["digits well covered (of 10)", "KL(p̂ ‖ uniform)", "FID (CNN features)"])
    shown_legend: set[str] = set()
    for r in sorted(rows, key=lambda r: (r["arm"], r["seed"] == highlight.get(r["arm"]), r["seed"])):
        arm, main = r["arm"], r["seed"] == highlight.get(r["arm"])
        color = EXP1_COLORS.get(arm, PALETTE[0])
        for j, key in enumerate(("well_covered", "kl", "fid")):
            fig.add_trace(go.Scatter(
                x=list(r["steps"]), y=list(r[key]), mode="lines+markers" if main else "lines",
                name=labels.get(arm, arm), legendgroup=arm, showlegend=j == 0 and arm not in shown_legend,
                opacity=1.0 if main else 0.45, line=dict(color=color, width=f["line"] + (1 if main else -1)),
                hovertemplate=f"{labels.get(arm, arm)}, run {r['seed']}<br>it. %{{x}}: %{{y:.3g}}<extra></extra>"),
                row=1, col=j + 1)
        shown_legend.add(arm)
    fig.add_hline(y=collapse_at + 0.5, line=dict(color="gray", dash="dash"), row=1, col=1,
                  annotation_text=f"collapsed: ≤ {collapse_at}", annotation_position="bottom right")
    fig.add_hline(y=floor, line=dict(color="gray", dash="dash"), row=1, col=3,
                  annotation_text=f"real floor {floor:.1f}", annotation_position="top left")
    fig.update_yaxes(range=[-0.3, 10.5], dtick=2, row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=3)
    fig.update_xaxes(title_text="iteration")
    fig.update_layout(height=f["height"], font=dict(size=f["font"]), margin=dict(l=40, r=10, t=40, b=40),
                      legend=dict(orientation="h", y=-0.3))
    return fig
