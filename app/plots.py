"""Pure figure builders: arrays from :mod:`app.compute` in, Plotly figures out (no ``st.*`` here).

Lecture mode is a :class:`Style`: large fonts (Plotly's own, which Streamlit's theme does not
scale), thick lines, big markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .compute import Basin, FieldGrid, GameSpectrum, Run, StepSpectrum

#: one colour per chosen algorithm, in order (colour-blind friendly, readable on the viridis-ish contour)
PALETTE = ("#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#e377c2", "#17becf", "#8c564b")
FLAG_STYLE = {  # greedy_minmax's proposal flags
    1: ("accepted", "#2ca02c", "circle"),
    2: ("rejected", "#d62728", "x"),
    3: ("unconditional", "#7f7f7f", "diamond"),
}
#: at most this many points per drawn path (longer runs are strided; the last point is kept)
MAX_PATH_POINTS = 600
MAX_FRAMES = 200


@dataclass(frozen=True)
class Style:
    font: int = 13
    line: float = 2.5
    marker: int = 8
    height: int = 560

    @staticmethod
    def of(lecture: bool) -> Style:
        return Style(font=22, line=5.0, marker=14, height=760) if lecture else Style(height=640)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _stride(n: int, cap: int) -> np.ndarray:
    """Indices 0..n-1 thinned to at most ``cap``, always keeping the last one."""
    if n <= cap:
        return np.arange(n)
    idx = np.unique(np.linspace(0, n - 1, cap).round().astype(int))
    return idx


def frame_indices(n_records: int, n_frames: int) -> np.ndarray:
    """Which recorded iterates the animation frames show (evenly spaced, first and last included)."""
    n_frames = int(np.clip(n_frames, 2, MAX_FRAMES))
    return np.unique(np.linspace(0, n_records - 1, min(n_frames, n_records)).round().astype(int))


def quiver_xy(field: FieldGrid, scale: float = 0.8) -> tuple[list, list]:
    """Arrow segments for -xi as one polyline with ``None`` breaks (one trace, fast to draw).

    Arrows are laid out in box-normalised coordinates (so they look right in lopsided boxes) and
    their lengths grow with |xi|^0.5, so that both slow and fast regions stay readable.
    """
    if not field.planar or field.u.size == 0:
        return [], []
    (x_lo, x_hi), (y_lo, y_hi) = field.box
    sx, sy = x_hi - x_lo, y_hi - y_lo
    un, vn = field.u / sx, field.v / sy  # (m, m) in box units
    cell = 1.0 / max(1, field.u.shape[0] - 1)
    mag = np.hypot(un, vn)
    top = float(np.nanmax(mag)) if np.isfinite(mag).any() and np.nanmax(mag) > 0 else 1.0
    length = scale * cell * np.sqrt(mag / top)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy = np.where(mag > 0, un / mag, 0.0), np.where(mag > 0, vn / mag, 0.0)
    c, s = np.cos(0.45), np.sin(0.45)
    xs: list = []
    ys: list = []
    for x0, y0, dx, dy, ln in zip(field.qx.ravel(), field.qy.ravel(), ux.ravel(), uy.ravel(), length.ravel()):
        if not np.isfinite(ln) or ln <= 0:
            continue
        h = 0.35 * ln  # arrow head: two short barbs at ±25°
        x1, y1 = x0 + ln * dx * sx, y0 + ln * dy * sy
        bx1, by1 = x1 - h * (c * dx - s * dy) * sx, y1 - h * (s * dx + c * dy) * sy
        bx2, by2 = x1 - h * (c * dx + s * dy) * sx, y1 - h * (-s * dx + c * dy) * sy
        xs += [x0, x1, None, bx1, x1, bx2, None]
        ys += [y0, y1, None, by1, y1, by2, None]
    return xs, ys


def _field_traces(field: FieldGrid, style: Style, *, showscale: bool = True, filled: bool = True) -> list:
    traces: list = []
    if field.planar:
        traces.append(go.Contour(
            x=field.xs, y=field.ys, z=field.f, ncontours=24, colorscale="RdBu_r", zmid=0.0,
            contours=dict(coloring="heatmap" if filled else "lines", showlabels=False),
            line=dict(width=0.5 if filled else 1.0), opacity=0.85 if filled else 1.0,
            showscale=showscale and filled, name="f(x, y)", hoverinfo="skip",
            colorbar=dict(title=dict(text="f"), thickness=12, len=0.6) if filled else None,
        ))
        qx, qy = quiver_xy(field)
        traces.append(go.Scatter(x=qx, y=qy, mode="lines", line=dict(color="rgba(30,30,30,0.55)", width=1.1),
                                 name="flow −ξ", hoverinfo="skip"))
    if field.equilibrium is not None:
        traces.append(go.Scatter(x=[field.equilibrium[0]], y=[field.equilibrium[1]], mode="markers",
                                 marker=dict(symbol="star", size=style.marker + 8, color="gold",
                                             line=dict(color="black", width=1.5)),
                                 name="equilibrium"))
    return traces


def _axes(fig: go.Figure, field: FieldGrid, style: Style, title: str = "") -> None:
    (x_lo, x_hi), (y_lo, y_hi) = field.box
    fig.update_layout(
        template="plotly_white", font=dict(size=style.font), height=style.height,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        title=dict(text=title, x=0.01) if title else None, plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0.0),
    )
    fig.update_xaxes(range=[x_lo, x_hi], title_text="x (min player)" if field.planar else "x₁ (min player)",
                     constrain="domain", showgrid=False, zeroline=False)
    square = 0.5 <= (y_hi - y_lo) / max(x_hi - x_lo, 1e-12) <= 2.0  # equal aspect unless the box is lopsided
    fig.update_yaxes(range=[y_lo, y_hi], title_text="y (max player)" if field.planar else "y₁ (max player)",
                     scaleanchor="x" if square else None, scaleratio=1, constrain="domain", showgrid=False,
                     zeroline=False)


def _run_name(run: Run) -> str:
    return f"{run.label} — diverged at step {run.diverged_at}" if run.diverged else run.label


def trajectory_figure(field: FieldGrid, runs: Sequence[Run], *, lecture: bool = False, frames: int = 100,
                      click_grid: int = 0, title: str = "") -> go.Figure:
    """The main picture: f, the flow −ξ, the equilibrium and every run's path, animated.

    The static figure shows the whole paths (so a screenshot tells the story); Play replays them
    frame by frame (Play at three speeds, Pause, a frame slider labelled with the step). A diverged
    run shows its finite prefix and an ✕ where it left, with "diverged at step k" in the legend.
    ``click_grid`` > 0 adds an invisible n×n grid of clickable points (clicking one sets the start).
    """
    style = Style.of(lecture)
    fig = go.Figure(_field_traces(field, style))
    if click_grid > 0:
        (x_lo, x_hi), (y_lo, y_hi) = field.box
        cx, cy = np.meshgrid(np.linspace(x_lo, x_hi, click_grid), np.linspace(y_lo, y_hi, click_grid))
        fig.add_trace(go.Scatter(x=cx.ravel().round(3), y=cy.ravel().round(3), mode="markers",
                                 marker=dict(size=10, color="rgba(0,0,0,0)"), name="click to set start",
                                 showlegend=False, hovertemplate="start here: (%{x}, %{y})<extra></extra>"))
    n_rec = max((len(r.xy) for r in runs), default=1)
    fidx = frame_indices(n_rec, frames)
    animated: list[int] = []  # trace indices the frames update: (path, head) per run
    paths: list[np.ndarray] = []
    for i, run in enumerate(runs):
        c = color(i)
        keep = _stride(len(run.xy), MAX_PATH_POINTS)
        if run.diverged and run.last_finite() not in keep:
            keep = np.union1d(keep, [run.last_finite()])
        path = run.xy[keep]
        paths.append(keep)
        animated.append(len(fig.data))
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name=_run_name(run), legendgroup=run.label,
                                 line=dict(color=c, width=style.line), customdata=run.steps[keep],
                                 hovertemplate="step %{customdata}: (%{x:.3g}, %{y:.3g})<extra>" + run.label
                                 + "</extra>"))
        last = run.last_finite()
        animated.append(len(fig.data))
        fig.add_trace(go.Scatter(x=[run.xy[last, 0]], y=[run.xy[last, 1]], mode="markers", legendgroup=run.label,
                                 showlegend=False,
                                 marker=dict(color=c, size=style.marker + 4, line=dict(color="white", width=2)),
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[run.xy[0, 0]], y=[run.xy[0, 1]], mode="markers", legendgroup=run.label,
                                 showlegend=False, marker=dict(color="white", size=style.marker + 2, symbol="circle",
                                                               line=dict(color=c, width=2.5)), hoverinfo="skip",
                                 name="start"))
        if run.diverged:
            fig.add_trace(go.Scatter(x=[run.xy[last, 0]], y=[run.xy[last, 1]], mode="markers+text",
                                     legendgroup=run.label, showlegend=False,
                                     text=[f"diverged at step {run.diverged_at}"], textposition="top center",
                                     textfont=dict(color=c, size=style.font),
                                     marker=dict(symbol="x", size=style.marker + 10, color=c, line=dict(width=2)),
                                     name=f"{run.label} diverged"))
        if run.flags is not None:
            for flag, (what, fc, sym) in FLAG_STYLE.items():
                sel = np.flatnonzero((run.flags == flag) & np.isfinite(run.xy).all(axis=1))
                if sel.size == 0:
                    continue
                sel = sel[_stride(sel.size, MAX_PATH_POINTS)]
                fig.add_trace(go.Scatter(x=run.xy[sel, 0], y=run.xy[sel, 1], mode="markers", legendgroup=run.label,
                                         name=f"{run.name}: {what} ({int((run.flags == flag).sum())})",
                                         marker=dict(symbol=sym, size=max(5, style.marker - 2), color=fc,
                                                     line=dict(width=1, color=fc)),
                                         hoverinfo="skip"))
    # animation frames: path prefix and head of every run at the frame's step
    frame_list = []
    for j, k in enumerate(fidx):
        data = []
        for run, keep in zip(runs, paths):
            kk = min(int(k), len(run.xy) - 1)
            pre = keep[keep <= kk]
            pts = run.xy[np.append(pre, kk)] if (pre.size == 0 or pre[-1] != kk) else run.xy[pre]
            ok = np.isfinite(pts).all(axis=1)
            pts = pts[ok] if ok.any() else run.xy[:1]
            data.append(go.Scatter(x=pts[:, 0], y=pts[:, 1]))
            data.append(go.Scatter(x=[pts[-1, 0]], y=[pts[-1, 1]]))
        step = int(runs[0].steps[min(int(k), len(runs[0].steps) - 1)]) if runs else 0
        frame_list.append(go.Frame(data=data, traces=animated, name=str(j), layout=dict(title_text=f"step {step}")
                                   if not title else None))
    fig.frames = frame_list
    labels = [str(int(runs[0].steps[min(int(k), len(runs[0].steps) - 1)])) if runs else "0" for k in fidx]

    def play(ms: int) -> dict:
        return dict(frame=dict(duration=ms, redraw=False), transition=dict(duration=0), fromcurrent=True,
                    mode="immediate")

    fig.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=-0.13 if lecture else -0.11, xanchor="left", yanchor="top",
            pad=dict(r=6, t=6), showactive=False, font=dict(size=style.font),
            buttons=[dict(label="▶ Play", method="animate", args=[None, play(60)]),
                     dict(label="½×", method="animate", args=[None, play(160)]),
                     dict(label="4×", method="animate", args=[None, play(15)]),
                     dict(label="❚❚ Pause", method="animate",
                          args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                             transition=dict(duration=0))])],
        )],
        sliders=[dict(
            active=len(fidx) - 1, x=0.0, y=-0.25 if lecture else -0.2, len=1.0, xanchor="left", yanchor="top",
            pad=dict(t=0), ticklen=0, minorticklen=0,
            currentvalue=dict(prefix="step ", font=dict(size=style.font, color="#333"), xanchor="left"),
            font=dict(color="rgba(0,0,0,0)"),  # one label per frame is unreadable; the current value says it
            steps=[dict(label=lab, method="animate",
                        args=[[str(j)], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                             transition=dict(duration=0))])
                   for j, lab in enumerate(labels)],
        )],
    )
    _axes(fig, field, style, title)
    fig.update_layout(margin=dict(b=230 if lecture else 170))
    return fig


def metrics_figure(runs: Sequence[Run], *, lecture: bool = False, vertical: bool = False) -> go.Figure:
    """Metrics panel: f(t), |ξ|(t) and the distance to the equilibrium (log scales).

    One line per run; side by side or stacked (``vertical``, next to the main plot).
    """
    style = Style.of(lecture)
    has_dist = any(r.dist is not None for r in runs)
    titles = ["f(x_t, y_t)", "‖ξ(z_t)‖ (log)", "distance to equilibrium (log)" if has_dist else "no known equilibrium"]
    shape = dict(rows=3, cols=1, vertical_spacing=0.11) if vertical else dict(rows=1, cols=3, horizontal_spacing=0.07)
    fig = make_subplots(subplot_titles=titles, shared_xaxes=vertical, **shape)

    def at(k: int) -> dict:
        return dict(row=k, col=1) if vertical else dict(row=1, col=k)

    for i, run in enumerate(runs):
        c = color(i)
        for col, ys in ((1, run.f), (2, run.grad_norm), (3, run.dist)):
            if ys is None:
                continue
            keep = _stride(len(ys), 2000)
            fig.add_trace(go.Scatter(x=run.steps[keep], y=ys[keep], mode="lines",
                                     line=dict(color=c, width=style.line * 0.8), name=_run_name(run),
                                     legendgroup=run.label, showlegend=col == 1), **at(col))
        if run.diverged:
            for col in (1, 2, 3):
                fig.add_vline(x=run.diverged_at, line=dict(color=c, dash="dot", width=1.5), **at(col))
    for col, key in ((2, "grad_norm"), (3, "dist")):
        fig.update_yaxes(type="log", exponentformat="power", **_log_ticks([getattr(r, key) for r in runs]),
                         **at(col))
    fig.update_xaxes(title_text="step", **(at(3) if vertical else {}))
    fig.update_annotations(font_size=style.font)
    fig.update_layout(template="plotly_white", font=dict(size=style.font),
                      height=style.height if vertical else int(style.height * 0.55),
                      showlegend=False,
                      margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white")
    fig.update_xaxes(showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee")
    return fig


def _log_ticks(series: Sequence[Optional[np.ndarray]]) -> dict:
    """Explicit 1-2-5 ticks with full labels on short log ranges (Plotly's "D2" ticks label 0.5 as a
    bare "5"); Plotly's own power-of-ten ticks on long ranges.
    """
    vals = np.concatenate([np.asarray(v, dtype=float).ravel() for v in series if v is not None] or [np.ones(1)])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0 or np.log10(vals.max() / vals.min()) > 2.5:
        return {}
    lo, hi = np.floor(np.log10(vals.min())), np.ceil(np.log10(vals.max()))
    ticks = [m * 10.0**e for e in np.arange(lo, hi + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if vals.min() / 1.5 <= t <= vals.max() * 1.5]
    return dict(tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def small_multiples(field: FieldGrid, runs: Sequence[Run], *, lecture: bool = False, cols: int = 3) -> go.Figure:
    """One panel per run, same axes: contour lines of f, the equilibrium and the path."""
    style = Style.of(lecture)
    n = max(1, len(runs))
    cols = min(cols, n)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_run_name(r) for r in runs] or [""],
                        horizontal_spacing=0.04, vertical_spacing=0.12 / rows)
    (x_lo, x_hi), (y_lo, y_hi) = field.box
    for i, run in enumerate(runs):
        r, c = i // cols + 1, i % cols + 1
        for tr in _field_traces(field, style, showscale=False, filled=False):
            if isinstance(tr, go.Scatter) and tr.name == "flow −ξ":
                continue
            tr.showlegend = False
            if isinstance(tr, go.Contour):
                tr.colorscale = "Greys"
                tr.line = dict(width=0.7)
            fig.add_trace(tr, row=r, col=c)
        keep = _stride(len(run.xy), MAX_PATH_POINTS)
        fig.add_trace(go.Scatter(x=run.xy[keep, 0], y=run.xy[keep, 1], mode="lines", showlegend=False,
                                 line=dict(color=color(i), width=style.line), name=run.label), row=r, col=c)
        fig.add_trace(go.Scatter(x=[run.xy[0, 0]], y=[run.xy[0, 1]], mode="markers", showlegend=False,
                                 marker=dict(color="white", size=style.marker, line=dict(color=color(i), width=2))),
                      row=r, col=c)
    fig.update_xaxes(range=[x_lo, x_hi], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[y_lo, y_hi], showgrid=False, zeroline=False, constrain="domain")
    for i in range(len(runs)):
        fig.update_yaxes(scaleanchor=f"x{i + 1 if i else ''}", row=i // cols + 1, col=i % cols + 1)
    fig.update_annotations(font_size=style.font)
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.7) * rows,
                      margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white")
    return fig


def basin_figure(b: Basin, *, title: str = "", lecture: bool = False,
                 start: Optional[tuple[float, float]] = None,
                 equilibrium: Optional[tuple[float, float]] = None) -> go.Figure:
    """Final distance from each start (log colour); diverged starts in black."""
    style = Style.of(lecture)
    with np.errstate(divide="ignore", invalid="ignore"):
        logd = np.log10(np.maximum(b.final, 1e-16))
    fig = go.Figure(go.Heatmap(x=b.xs, y=b.ys, z=logd, colorscale="Viridis", zmin=-8, zmax=2,
                               colorbar=dict(title=dict(text=f"log₁₀ {b.measure}"), thickness=12),
                               hovertemplate="start (%{x:.2f}, %{y:.2f}): 10^%{z:.2f}<extra></extra>",
                               name="final " + b.measure))
    div = (b.diverged_at >= 0).astype(float)
    if div.any():
        fig.add_trace(go.Heatmap(x=b.xs, y=b.ys, z=np.where(div > 0, 1.0, np.nan), showscale=False,
                                 colorscale=[[0, "black"], [1, "black"]], name="diverged",
                                 customdata=b.diverged_at,
                                 hovertemplate="start (%{x:.2f}, %{y:.2f}): diverged at step %{customdata}"
                                 "<extra></extra>"))
    if equilibrium is not None:
        fig.add_trace(go.Scatter(x=[equilibrium[0]], y=[equilibrium[1]], mode="markers", name="equilibrium",
                                 marker=dict(symbol="star", size=style.marker + 8, color="gold",
                                             line=dict(color="black", width=1.5))))
    if start is not None:
        fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="current start",
                                 marker=dict(symbol="circle-open", size=style.marker + 6, color="white",
                                             line=dict(width=3))))
    n_div = int(div.sum())
    sub = f"{n_div} of {div.size} starts diverged" if n_div else "no start diverged"
    fig.update_layout(title=dict(text=f"{title} — {sub}" if title else sub, x=0.01), font=dict(size=style.font),
                      height=style.height, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0.6))
    fig.update_xaxes(title_text="x₀", constrain="domain")
    fig.update_yaxes(title_text="y₀", scaleanchor="x", scaleratio=1)
    return fig


def _complex_axes(fig: go.Figure, style: Style, row: Optional[int] = None, col: Optional[int] = None) -> None:
    kw = {} if row is None else dict(row=row, col=col)
    fig.update_xaxes(title_text="Re λ", zeroline=True, zerolinecolor="#999", showgrid=True, gridcolor="#eee", **kw)
    fig.update_yaxes(title_text="Im λ", zeroline=True, zerolinecolor="#999", showgrid=True, gridcolor="#eee",
                     scaleanchor="x" if row is None else None, **kw)


def game_spectrum_figure(spec: GameSpectrum, *, lecture: bool = False) -> go.Figure:
    """Game Jacobian spectrum and who owns each eigenvalue.

    Left: eigenvalues of H in the complex plane, coloured by who owns them (share of the eigenvector in x).
    Right: the "who has each eigenvalue" split as stacked bars.

    Re λ > 0 for every eigenvalue means the GDA flow −ξ is locally stable; purely imaginary pairs
    shared half-half by both players are the rotation that makes simultaneous GDA spiral.
    """
    style = Style.of(lecture)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.2,
                        subplot_titles=["eigenvalues of H (red: x's, blue: y's, purple: shared)",
                                        "who has each eigenvalue"])
    ev, share = spec.eigvals, spec.share_x
    fig.add_trace(go.Scatter(
        x=ev.real, y=ev.imag, mode="markers", name="eig(H)",
        marker=dict(size=style.marker + 8, color=share, cmin=0, cmax=1, colorscale=[[0, "#1f77b4"], [1, "#d62728"]],
                    line=dict(color="black", width=1), showscale=False),
        customdata=np.stack([share, 1 - share], axis=1),
        hovertemplate="λ = %{x:.3g} %{y:+.3g}i<br>x: %{customdata[0]:.0%}, y: %{customdata[1]:.0%}<extra></extra>",
    ), row=1, col=1)
    r = max(1.0, float(np.abs(ev).max()) * 1.25) if ev.size else 1.0
    fig.update_xaxes(range=[-r, r], row=1, col=1)
    fig.update_yaxes(range=[-r, r], row=1, col=1)
    labels = [f"λ{i + 1} = {v.real:.2g}{v.imag:+.2g}i" for i, v in enumerate(ev)]
    fig.add_trace(go.Bar(y=labels, x=share, orientation="h", name="min player x", marker_color="#d62728"), row=1, col=2)
    fig.add_trace(go.Bar(y=labels, x=1 - share, orientation="h", name="max player y", marker_color="#1f77b4"),
                  row=1, col=2)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title_text="share of the eigenvector", row=1, col=2)
    _complex_axes(fig, style, 1, 1)
    fig.update_annotations(font_size=style.font)
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.75),
                      plot_bgcolor="white",
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2, x=0.6))
    return fig


def step_spectrum_figure(specs: Sequence[StepSpectrum], *, lecture: bool = False) -> go.Figure:
    """Each algorithm's step-map eigenvalues against the unit circle (inside: locally convergent)."""
    style = Style.of(lecture)
    t = np.linspace(0, 2 * np.pi, 361)
    fig = go.Figure(go.Scatter(x=np.cos(t), y=np.sin(t), mode="lines", line=dict(color="black", width=1.5, dash="dot"),
                               name="unit circle", hoverinfo="skip"))
    symbols = ("circle", "diamond", "square", "triangle-up", "cross", "star", "hexagon", "x")
    top = 1.0
    for i, s in enumerate(specs):
        if s.eigvals.size == 0:
            continue
        top = max(top, float(np.abs(s.eigvals).max()))
        fig.add_trace(go.Scatter(x=s.eigvals.real, y=s.eigvals.imag, mode="markers",
                                 name=f"{s.label}: ρ = {s.radius:.4g}",
                                 marker=dict(size=style.marker + 6, color=color(i), symbol=symbols[i % len(symbols)],
                                             line=dict(color="white", width=1), opacity=0.9),
                                 hovertemplate="λ = %{x:.4g} %{y:+.4g}i<extra>" + s.label + "</extra>"))
    r = min(top * 1.1, 10.0)
    fig.update_xaxes(range=[-r, r])
    fig.update_yaxes(range=[-r, r])
    _complex_axes(fig, style)
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.85),
                      plot_bgcolor="white",
                      title=dict(text="eigenvalues of one step z ↦ step(z) (with the algorithm's memory)", x=0.01),
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="v", x=1.02, y=1))
    return fig


def stability_figure(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], *, lecture: bool = False,
                     current: Optional[dict[str, float]] = None) -> go.Figure:
    """Spectral radius of the step map against the step size η (log-log); below 1 converges."""
    style = Style.of(lecture)
    fig = go.Figure()
    for i, (label, lrs, rho) in enumerate(curves):
        fig.add_trace(go.Scatter(x=lrs, y=rho, mode="lines", name=label, line=dict(color=color(i), width=style.line)))
        if current and label in current:
            fig.add_vline(x=current[label], line=dict(color=color(i), dash="dot", width=1.5))
    # (no annotation_text: on a log axis Plotly places hline annotations at 10**y)
    fig.add_hline(y=1.0, line=dict(color="black", dash="dash", width=1.5))
    fig.update_xaxes(type="log", title_text="step size η", exponentformat="power", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(type="log", title_text="spectral radius ρ (dashed: ρ = 1)", showgrid=True, gridcolor="#eee",
                     exponentformat="power", **_log_ticks([c[2] for c in curves]))
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.75),
                      plot_bgcolor="white",
                      title=dict(text="stability against η (ρ < 1: converges locally, dotted: current η)", x=0.01),
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def stability_map_figure(lrs: np.ndarray, v2: np.ndarray, rho: np.ndarray, param2: str, label: str, *,
                         lecture: bool = False) -> go.Figure:
    """Spectral radius over (η, a second hyperparameter) with the ρ = 1 contour."""
    style = Style.of(lecture)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(rho.T)  # (M, N)
    fig = go.Figure(go.Heatmap(x=lrs, y=v2, z=z, colorscale="RdBu_r", zmid=0.0, zmin=-0.3, zmax=0.3,
                               colorbar=dict(title=dict(text="log₁₀ ρ"), thickness=12),
                               hovertemplate="η=%{x:.3g}, " + param2 + "=%{y:.3g}: log₁₀ρ=%{z:.3g}<extra></extra>"))
    fig.add_trace(go.Contour(x=lrs, y=v2, z=z, contours=dict(start=0, end=0, size=1, coloring="none"),
                             line=dict(color="black", width=2), showscale=False, hoverinfo="skip", name="ρ = 1"))
    fig.update_xaxes(type="log", title_text="step size η")
    fig.update_yaxes(title_text=param2)
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.75),
                      title=dict(text=f"{label}: stable region (blue, ρ < 1) over η and {param2}", x=0.01),
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


__all__ = ["Style", "game_spectrum_figure", "step_spectrum_figure", "stability_figure", "stability_map_figure",
           "PALETTE", "trajectory_figure", "metrics_figure", "small_multiples", "basin_figure",
           "frame_indices", "quiver_xy", "color"]
