"""Plotly figures for the 2D GAN page (pure functions: arrays in, figures out; no st.* here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np
import plotly.graph_objects as go

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def gan_figure(real: np.ndarray, fake: Optional[np.ndarray], box: tuple, *, title: str = "",
               heat: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]] = None,
               manifold: Optional[np.ndarray] = None, arrows: Optional[tuple[np.ndarray, np.ndarray]] = None,
               centres: Optional[np.ndarray] = None, size: int = 420, fake_color: str = PALETTE[0],
               font_size: int = 12) -> go.Figure:
    """GAN Lab's layers in one square panel, each optional.

    Args:
        real: (n, 2) real points.
        fake: (m, 2) generated points.
        box: ((x0, x1), (y0, y1)).
        title: Panel title.
        heat: (xs (n,), ys (n,), σ(D) (n, n)) discriminator heatmap.
        manifold: (L, M, 2) polylines of the warped latent grid.
        arrows: (points (k, 2), directions (k, 2)) generator gradient arrows.
        centres: (K, 2) mode centres.
        size: Pixel size.
        fake_color: Colour of the generated points.
        font_size: Base font size (lecture mode passes a larger one).

    """
    fig = go.Figure()
    if heat is not None:
        xs, ys, p = heat
        fig.add_trace(go.Heatmap(x=xs, y=ys, z=p, zmin=0, zmax=1, colorscale="RdBu", reversescale=True, opacity=0.55,
                                 zsmooth="best",
                                 showscale=False, name="σ(D)", hovertemplate="σ(D)=%{z:.2f}<extra></extra>"))
    if manifold is not None:
        xs_l, ys_l = [], []
        for line in manifold:
            xs_l += list(line[:, 0]) + [None]
            ys_l += list(line[:, 1]) + [None]
        fig.add_trace(go.Scatter(x=xs_l, y=ys_l, mode="lines", line=dict(color="rgba(60,60,60,0.35)", width=1),
                                 name="G manifold", hoverinfo="skip"))
    if centres is not None:  # open rings under the data: a filled marker hid σ = 0.01 modes entirely
        fig.add_trace(go.Scatter(x=centres[:, 0], y=centres[:, 1], mode="markers", name="mode centre",
                                 marker=dict(size=16, symbol="circle-open", line=dict(width=1.5, color="#555"))))
    # real data in GAN Lab's green, on top of the rings, so the tight real clusters stay visible
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real",
                             marker=dict(size=4, color="rgba(0,140,60,0.6)")))
    if fake is not None:
        fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated",
                                 marker=dict(size=3, color=fake_color, opacity=0.7)))
    if arrows is not None:
        pts, d = arrows
        scale = 0.08 * (box[0][1] - box[0][0]) / max(float(np.abs(d).max()), 1e-12)
        xs_a, ys_a = [], []
        for p, v in zip(pts, d):
            xs_a += [p[0], p[0] + scale * v[0], None]
            ys_a += [p[1], p[1] + scale * v[1], None]
        fig.add_trace(go.Scatter(x=xs_a, y=ys_a, mode="lines", line=dict(color="#ff7f0e", width=1.2),
                                 name="G gradient", hoverinfo="skip"))
    fig.update_layout(title=dict(text=title, font=dict(size=font_size + 2)), width=size, height=size + 30,
                      margin=dict(l=10, r=10, t=36, b=10), plot_bgcolor="white", showlegend=True,
                      font=dict(size=font_size), uirevision="gan",  # keep zoom/legend clicks across live refreshes
                      legend=dict(orientation="h", yanchor="top", y=-0.09, x=0, font=dict(size=font_size - 1)))
    fig.update_xaxes(range=list(box[0]), showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=list(box[1]), showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1)
    return fig


def occupancy_figure(steps: np.ndarray, occupancy: np.ndarray, title: str = "",
                     mark: Optional[int] = None, font_size: int = 12) -> go.Figure:
    """Mode × iteration heatmap of the occupancy h_t (T, K): the picture of mode cycling."""
    T, K = occupancy.shape
    fig = go.Figure(go.Heatmap(x=steps, y=[f"mode {k}" for k in range(K)], z=occupancy.T, zmin=0,
                               zmax=max(0.5, float(occupancy.max())), colorscale="Viridis",
                               colorbar=dict(title="share", thickness=10),
                               hovertemplate="step %{x}<br>%{y}: %{z:.2f}<extra></extra>"))
    if mark is not None:
        fig.add_vline(x=mark, line=dict(color="white", dash="dot"))
    fig.update_layout(title=dict(text=title, font=dict(size=font_size + 2)), height=120 + 14 * K,
                      margin=dict(l=10, r=10, t=36, b=30), xaxis_title="iteration", font=dict(size=font_size),
                      uirevision="occ")
    return fig


def curves_figure(steps: Sequence[np.ndarray], series: Sequence[np.ndarray], labels: Sequence[str], *, ylabel: str,
                  mark: Optional[int] = None, font_size: int = 12) -> go.Figure:
    """One line per algorithm (mean over seeds if 2D (T, S), with a min–max band)."""
    fig = go.Figure()
    for i, (s, y, lab) in enumerate(zip(steps, series, labels)):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] > 1:
            lo, hi = np.nanmin(y, 1), np.nanmax(y, 1)
            fig.add_trace(go.Scatter(x=np.concatenate([s, s[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                                     line=dict(width=0), fillcolor=color(i), opacity=0.15, hoverinfo="skip",
                                     showlegend=False))
            y = np.nanmean(y, 1)
        elif y.ndim == 2:
            y = y[:, 0]
        fig.add_trace(go.Scatter(x=s, y=y, mode="lines+markers", name=lab, line=dict(color=color(i))))
    if mark is not None:
        fig.add_vline(x=mark, line=dict(color="grey", dash="dot"))
    # legend above the plot: below it, it covered the first x tick label
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=30), xaxis_title="iteration", yaxis_title=ylabel,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), font=dict(size=font_size),
                      uirevision="curves")
    return fig


def eigen_figure(vals: Sequence[np.ndarray], labels: Sequence[str], title: str = "") -> go.Figure:
    """Eigenvalues of the game Jacobian in the complex plane (Re > 0: locally attracting for GDA flow)."""
    fig = go.Figure()
    for i, (v, lab) in enumerate(zip(vals, labels)):
        v = np.asarray(v)
        fig.add_trace(go.Scatter(x=v.real, y=v.imag, mode="markers", name=lab, marker=dict(size=6, color=color(i))))
    fig.add_vline(x=0, line=dict(color="grey", width=1))
    fig.add_hline(y=0, line=dict(color="grey", width=1))
    fig.update_layout(title=dict(text=title, font=dict(size=13)), height=360, margin=dict(l=10, r=10, t=40, b=30),
                      xaxis_title="Re λ", yaxis_title="Im λ")
    return fig


def view_gif(arms: dict, real: np.ndarray, box: tuple, centres: np.ndarray, *, title: str = "",
             heat: bool = True, max_frames: int = 200) -> bytes:
    """The blog GIF of a live or cached run: every arm side by side over the snapshots all arms share.

    ``arms`` maps a name to its :class:`gan_demo.live.Snapshot` list; at most ``max_frames`` evenly spaced
    snapshots (always the last) become frames.
    """
    from gan_demo.gif import scatter_gif

    common = sorted(set.intersection(*[{s.step for s in snaps} for snaps in arms.values()]))
    if not common:
        raise ValueError("the arms share no snapshot step")
    pick = np.unique(np.linspace(0, len(common) - 1, min(max_frames, len(common))).round().astype(int))
    steps = [common[i] for i in pick]
    by_step = [{s.step: s for s in snaps} for snaps in arms.values()]
    frames = np.stack([[b[t].samples for b in by_step] for t in steps])  # (T, P, m, 2)
    heat = heat and all(b[t].heat is not None for b in by_step for t in steps)  # CLI runs have no D grid
    heats = np.stack([[b[t].heat for b in by_step] for t in steps]) if heat else None  # (T, P, H, H)
    return scatter_gif(real, frames, titles=[f"iteration {t}" for t in steps], panel_titles=list(arms), box=box,
                       heats=heats, centres=centres, suptitle=title, colors=[color(i) for i in range(len(arms))])


__all__ = ["view_gif", "gan_figure", "occupancy_figure", "curves_figure", "eigen_figure", "color", "PALETTE"]
