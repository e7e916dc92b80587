"""Pure plotting helpers of the MNIST tab: arrays in, arrays or Plotly figures out (no Streamlit).

Images are uint8 (..., 28, 28), 0 = black background, as stored in the shipped checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


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
