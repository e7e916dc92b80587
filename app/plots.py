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
from _plotly_utils.utils import to_typed_array_spec
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
        return Style(font=20, line=4.5, marker=13, height=500) if lecture else Style(height=600)


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
    """Layout of the main (x, y) panel; only ``xaxis``/``yaxis``, so metric subplots keep their own."""
    (x_lo, x_hi), (y_lo, y_hi) = field.box
    fig.update_layout(
        template="plotly_white", font=dict(size=style.font), height=style.height,
        margin=dict(l=10, r=44, t=40 if title else 10, b=10),
        title=dict(text=title, x=0.01, y=0.99, yanchor="top") if title else None, plot_bgcolor="white",
        # legend above the plot, modebar vertical in the right margin: neither covers the other nor the data
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0.0, font=dict(size=style.font),
                    bgcolor="rgba(255,255,255,0)"),
        modebar=dict(orientation="v"),
    )
    fig.layout.xaxis.update(range=[x_lo, x_hi], title_text="x (min player)" if field.planar else "x₁ (min player)",
                            constrain="domain", showgrid=False, zeroline=False, mirror=True, showline=True,
                            linecolor="#444", ticks="outside",
                            constraintoward="right")  # a square plot hugs its colour bar on the right
    square = 0.5 <= (y_hi - y_lo) / max(x_hi - x_lo, 1e-12) <= 2.0  # equal aspect unless the box is lopsided
    fig.layout.yaxis.update(range=[y_lo, y_hi], title_text="y (max player)" if field.planar else "y₁ (max player)",
                            scaleanchor="x" if square else None, scaleratio=1, constrain="domain", showgrid=False,
                            zeroline=False, mirror=True, showline=True, linecolor="#444", ticks="outside")


def _run_name(run: Run) -> str:
    return f"{run.label} — diverged at step {run.diverged_at}" if run.diverged else run.label


# ---- the animated trajectory figure ---------------------------------------------------------
#: the figure's ``layout.meta``: the page's step buttons find the chart by it
TRAJECTORY_META = "saddle-trajectory"
#: updatemenu buttons with ``method="skip"`` only emit ``plotly_buttonclicked``; app/stepper.js acts on these args
STEP_ACTIONS = {"reset": "↺ reset", "back": "◀ step", "next": "step ▶"}
#: level lines keep a vertex only if it is twice this fraction of the box diagonal away from the last kept
#: one (about 3 px on a 600 px plot: thin grey lines)
SCREEN_TOL = 1.0 / 400
#: a path may pass at most this fraction of the box diagonal from a dropped vertex (about 0.6 px on the
#: 450 px square the main panel draws: what the screen can show)
PATH_TOL = 1.0 / 1000
#: a metric panel is at most about this many pixels (width, height); its series are simplified to SCREEN_PX
METRIC_PX = (600, 220)
#: the largest distance (pixels) between a drawn metric line and the full series
SCREEN_PX = 0.5
#: metric series longer than this are strided first (one point per pixel column of a panel)
MAX_METRIC_POINTS = 600


def f_image(field: FieldGrid, cmap: str = "RdBu_r") -> tuple[str, float]:
    """The objective f over the box as a PNG data URI (symmetric colours, white at f = 0) and the colour limit.

    The landscape is a layout image rather than a heatmap trace: Plotly's frame transitions
    (``redraw=False``) re-plot only animatable (scatter) traces and drop every other trace layer
    of the subplot, so an image is the one background that survives Play, Pause and scrubbing.
    """
    import base64
    import io

    from matplotlib import colormaps
    from PIL import Image

    f = np.asarray(field.f, dtype=float)
    finite = f[np.isfinite(f)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    top = top or 1.0
    rgba = colormaps[cmap]((np.nan_to_num(f) / top + 1.0) / 2.0)  # (n, n, 4)
    img = Image.fromarray((rgba[::-1, :, :3] * 255).round().astype(np.uint8))  # row 0 = top = y_hi
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), top


def contour_lines(field: FieldGrid, n_levels: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Level lines of f as one polyline with NaN breaks: (K,), (K,) float32."""
    import contourpy

    f = np.asarray(field.f, dtype=float)
    finite = f[np.isfinite(f)]
    if finite.size == 0 or np.ptp(finite) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    gen = contourpy.contour_generator(field.xs, field.ys, np.where(np.isfinite(f), f, np.nan))
    levels = np.linspace(finite.min(), finite.max(), n_levels + 2)[1:-1]
    (x_lo, x_hi), (y_lo, y_hi) = field.box
    tol = np.hypot(x_hi - x_lo, y_hi - y_lo) * SCREEN_TOL * 2
    xs: list[np.ndarray] = []
    for lev in levels:
        for line in gen.lines(float(lev)):
            line = np.asarray(line)[decimate(np.asarray(line), tol)]
            xs.append(line)
            xs.append(np.full((1, 2), np.nan))
    pts = np.concatenate(xs) if xs else np.zeros((0, 2))
    return pts[:, 0].astype(np.float32), pts[:, 1].astype(np.float32)


def decimate(xy: np.ndarray, tol: float) -> np.ndarray:
    """Indices of a polyline's vertices at least ``tol`` apart (first and last always kept)."""
    n = len(xy)
    if n <= 2 or tol <= 0:
        return np.arange(n)
    keep = [0]
    last = xy[0]
    for i in range(1, n - 1):
        if abs(xy[i, 0] - last[0]) + abs(xy[i, 1] - last[1]) >= tol:
            keep.append(i)
            last = xy[i]
    keep.append(n - 1)
    return np.asarray(keep)


def simplify(xy: np.ndarray, tol: float) -> np.ndarray:
    """Indices of the vertices a polyline (N, 2) needs to stay within ``tol`` of itself (Ramer–Douglas–Peucker).

    Every dropped vertex lies within ``tol`` of the segment between the kept vertices around it, so in
    screen units (pixels) the simplified line draws the same picture. Non-finite vertices are breaks:
    the first of each run of them is kept (Plotly draws a gap there), the rest are dropped, and each
    finite stretch is simplified on its own. First and last vertices are always kept.
    """
    n = len(xy)
    if n <= 2:
        return np.arange(n)
    finite = np.isfinite(xy).all(axis=1)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    keep[~finite & np.r_[True, finite[:-1]]] = True  # the first vertex of each gap
    stack: list[tuple[int, int]] = []
    starts = np.flatnonzero(finite & np.r_[True, ~finite[:-1]])
    ends = np.flatnonzero(finite & np.r_[~finite[1:], True])
    for a, b in zip(starts, ends):
        keep[a] = keep[b] = True
        stack.append((int(a), int(b)))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        p, q, mid = xy[a], xy[b], xy[a + 1:b]  # mid: (b - a - 1, 2)
        d = q - p
        den = float(d @ d)
        t = np.clip((mid - p) @ d / den, 0.0, 1.0) if den > 0 else np.zeros(len(mid))
        dist = np.hypot(*(mid - p - t[:, None] * d).T)  # distance to the segment, not the line: paths turn back
        i = int(np.argmax(dist))
        if dist[i] > tol:
            m = a + 1 + i
            keep[m] = True
            stack += [(a, m), (m, b)]
    return np.flatnonzero(keep)


def _inside(p: np.ndarray, box: tuple) -> bool:
    (x_lo, x_hi), (y_lo, y_hi) = box
    return bool(x_lo <= p[0] <= x_hi and y_lo <= p[1] <= y_hi)


def _crossing(a: np.ndarray, b: np.ndarray, box: tuple) -> np.ndarray:
    """The point where the segment from ``a`` (inside the box) to ``b`` (outside) meets the box edge."""
    (x_lo, x_hi), (y_lo, y_hi) = box
    d = b - a
    t = 1.0
    for k, (lo, hi) in enumerate(((x_lo, x_hi), (y_lo, y_hi))):
        if d[k] > 0 and b[k] > hi:
            t = min(t, (hi - a[k]) / d[k])
        elif d[k] < 0 and b[k] < lo:
            t = min(t, (lo - a[k]) / d[k])
    return a + max(t, 0.0) * d


def clip_path(pts: np.ndarray, box: tuple) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Clip a polyline (N, 2) to the box.

    Returns the clipped polyline (M, 2) with NaN rows where it leaves the box, and one
    ``(x, y, angle)`` per exit: the point on the edge and the travel direction in Plotly's marker
    angle convention (degrees clockwise from up), for an arrow marker.
    """
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return np.zeros((0, 2)), []
    (x_lo, x_hi), (y_lo, y_hi) = box
    ins = (pts[:, 0] >= x_lo) & (pts[:, 0] <= x_hi) & (pts[:, 1] >= y_lo) & (pts[:, 1] <= y_hi)
    if ins.all():
        return pts, []
    out: list[np.ndarray] = [pts[0]] if ins[0] else []
    exits: list[tuple[float, float, float]] = []
    for i in range(1, len(pts)):
        a, b = pts[i - 1], pts[i]
        if ins[i - 1] and ins[i]:
            out.append(b)
        elif ins[i - 1]:  # leaves the box
            e = _crossing(a, b, box)
            out += [e, np.array([np.nan, np.nan])]
            d = b - a
            exits.append((float(e[0]), float(e[1]), float(np.degrees(np.arctan2(d[0], d[1])))))
        elif ins[i]:  # comes back
            out += [_crossing(b, a, box), b]
    return (np.asarray(out) if out else np.zeros((0, 2))), exits


def _f32(a: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _typed(a: Sequence[float] | np.ndarray) -> dict | list:
    """A float32 array as Plotly's typed-array spec (base64); short arrays as rounded lists."""
    arr = _f32(a)
    if arr.size == 0:  # an empty update leaves the old points on screen in a transition; one gap clears them
        return [None]
    if arr.size <= 4:
        return [None if not np.isfinite(v) else round(float(v), 5) for v in arr]
    return to_typed_array_spec(arr)


def _chunks(n: int) -> list[tuple[int, int]]:
    """Split vertex indices 0..n-1 into overlapping runs [a, b] of about 2.5·√n vertices.

    A frame costs about 35 bytes per chunk (its on/off switch) plus about 5 bytes per vertex of the
    unfinished chunk (half a chunk on average): 2.5·√n balances the two.
    """
    size = max(8, int(np.ceil(2.5 * np.sqrt(max(n, 1)))))
    out, a = [], 0
    while a < n - 1:
        b = min(n - 1, a + size)
        out.append((a, b))
        a = b
    return out or [(0, 0)]


@dataclass
class _PathPlan:
    keep: np.ndarray  # (K,) recorded indices drawn (decimated), finite only
    chunks: list[tuple[int, int]]  # ranges into keep
    exits: list[tuple[int, float, float, float]]  # (record index after the exit, x, y, angle)


def _plan(run: Run, box: tuple, tol: float) -> _PathPlan:
    last = run.last_finite()
    xy = run.xy[: last + 1]
    keep = simplify(xy, tol)
    if len(keep) > MAX_PATH_POINTS:
        keep = keep[_stride(len(keep), MAX_PATH_POINTS)]
    exits = []
    pts = xy[keep]
    for j in range(1, len(keep)):
        if _inside(pts[j - 1], box) and not _inside(pts[j], box):
            e = _crossing(pts[j - 1], pts[j], box)
            d = pts[j] - pts[j - 1]
            exits.append((int(keep[j]), float(e[0]), float(e[1]), float(np.degrees(np.arctan2(d[0], d[1])))))
    return _PathPlan(keep, _chunks(len(keep)), exits)


def _partial(run: Run, plan: _PathPlan, k: int, box: tuple) -> tuple[int, np.ndarray]:
    """How many whole chunks are drawn at record ``k`` and the clipped rest of the path up to ``k``."""
    kept = plan.keep
    last = run.last_finite()
    k = min(int(k), last)
    n_full = sum(1 for a, b in plan.chunks if kept[b] <= k)
    a = plan.chunks[n_full][0] if n_full < len(plan.chunks) else plan.chunks[-1][1]
    idx = kept[a:][kept[a:] <= k]
    if idx.size == 0 or idx[-1] != k:
        idx = np.append(idx, k)
    pts, _ = clip_path(run.xy[idx], box)
    return n_full, pts


def _head(run: Run, k: int, box: tuple) -> np.ndarray:
    (x_lo, x_hi), (y_lo, y_hi) = box
    p = run.xy[min(int(k), run.last_finite())]
    return np.array([np.clip(p[0], x_lo, x_hi), np.clip(p[1], y_lo, y_hi)])


def _metric_series(run: Run) -> list[Optional[np.ndarray]]:
    return [run.f, run.grad_norm, run.dist]


def _cursor_range(runs: Sequence[Run], which: int, log: bool) -> list[float]:
    vals = [np.asarray(s[which], float) for s in map(_metric_series, runs) if s[which] is not None]
    v = np.concatenate(vals) if vals else np.zeros(0)
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if v.size == 0:
        return [1e-3, 1.0] if log else [-1.0, 1.0]
    return [float(v.min()), float(v.max())]


class TrajectoryFigure(go.Figure):
    """The animated figure: a ``go.Figure`` whose JSON leaves the trace type out of frame updates.

    plotly.py writes ``"type": "scatter"`` into every trace update of every frame, and every frame
    names every trace (see :func:`trajectory_figure`): about a fifth of the payload of a scene. Plotly.js
    merges a frame's update into the figure's own trace, whose type it already knows, so the key says
    nothing. Streamlit serialises a figure through ``to_dict``.
    """

    def to_dict(self) -> dict:
        out = super().to_dict()
        for frame in out.get("frames", ()):
            for update in frame.get("data", ()):
                update.pop("type", None)
        return out


def trajectory_figure(field: FieldGrid, runs: Sequence[Run], *, lecture: bool = False, frames: int = 60,
                      click_grid: int = 0, title: str = "", metrics: bool = True) -> TrajectoryFigure:
    """The main picture: f, its level lines, the flow −ξ, the equilibrium and every run's path,
    animated, with the f / ‖ξ‖ / distance panels on the right and a time cursor on them.

    The static figure shows the whole paths (so a screenshot tells the story). Play replays them
    frame by frame; Pause, the step slider and the ↺ / ◀ / ▶ step buttons move through the frames.
    Frames change only scatter traces (paths, heads, exit arrows, cursors); every other trace gets
    an empty update (a trace a transition skips loses its SVG node), and f itself is a layout image,
    which transitions never touch. So the landscape stays through any sequence of Play, Pause,
    scrubbing and clicks. Each path is split into chunks of about 2.5·√n vertices whose full data is
    sent once; a frame only switches chunks on or off (opacity) and sends the unfinished chunk, so
    the payload grows like frames·√n instead of frames·n. Paths are clipped to the box with an arrow
    where they leave it.
    ``click_grid`` > 0 adds an invisible n×n grid of clickable points (clicking one sets the start).
    """
    style = Style.of(lecture)
    (x_lo, x_hi), (y_lo, y_hi) = box = field.box
    has_dist = any(r.dist is not None for r in runs)
    # metric panels: (row, which series, title, log axis); lecture mode keeps the one that tells the story
    if not metrics:
        panels: list[tuple[int, int, str, bool]] = []
    elif lecture:
        panels = [(2, 2, "distance to ★", True)] if has_dist else [(2, 1, "‖ξ(z_t)‖", True)]
    else:
        panels = [(1, 0, "f(x_t, y_t)", False), (2, 1, "‖ξ(z_t)‖", True)]
        panels.append((3, 2, "distance to ★", True) if has_dist else (3, 0, "", False))
        panels = [p for p in panels if p[2]]
    if panels and lecture:
        # projector layout: the plot left; buttons, legend and one metric panel right of it
        fig = make_subplots(rows=2, cols=2, specs=[[{"rowspan": 2}, None], [None, {}]], column_widths=[0.56, 0.44],
                            row_heights=[0.56, 0.44], horizontal_spacing=0.16, vertical_spacing=0.14,
                            subplot_titles=["", panels[0][2]], figure=TrajectoryFigure())
        main_dom = 0.56 - 0.07
    elif panels:
        fig = make_subplots(rows=3, cols=2, specs=[[{"rowspan": 3}, {}], [None, {}], [None, {}]],
                            column_widths=[0.6, 0.4], horizontal_spacing=0.12, vertical_spacing=0.1,
                            subplot_titles=["", *(p[2] for p in panels)], figure=TrajectoryFigure())
        main_dom = 0.6 - 0.06
    else:
        fig = TrajectoryFigure()
        main_dom = 1.0
    src, top = f_image(field) if field.planar else ("", 1.0)
    if field.planar:
        fig.add_layout_image(source=src, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo, sizey=y_hi - y_lo,
                             sizing="stretch", layer="below", opacity=0.8)
        # the colour bar of the image: an invisible one-point trace carries it
        fig.add_trace(go.Scatter(
            x=[x_lo], y=[y_lo], mode="markers", name="f(x, y)", showlegend=False, hoverinfo="skip",
            marker=dict(color=[0.0], cmin=-top, cmax=top, colorscale="RdBu_r", opacity=0, size=1, showscale=True,
                        colorbar=dict(title=dict(text="f", side="top"), thickness=14 if lecture else 11, len=0.75,
                                      x=main_dom + 0.005, xanchor="left", y=0.5, yanchor="middle",
                                      tickfont=dict(size=style.font - 2)))))
        cx, cy = contour_lines(field)
        fig.add_trace(go.Scatter(x=cx, y=cy, mode="lines", name="contours of f", showlegend=False, hoverinfo="skip",
                                 line=dict(color="rgba(40,40,40,0.35)", width=0.9)))
        qx, qy = quiver_xy(field)
        fig.add_trace(go.Scatter(x=_f32([np.nan if v is None else v for v in qx]),
                                 y=_f32([np.nan if v is None else v for v in qy]), mode="lines",
                                 line=dict(color="rgba(30,30,30,0.5)", width=1.6 if lecture else 1.1),
                                 name="flow −ξ", hoverinfo="skip"))
    if field.equilibrium is not None:
        fig.add_trace(go.Scatter(x=[field.equilibrium[0]], y=[field.equilibrium[1]], mode="markers",
                                 marker=dict(symbol="star", size=style.marker + 10, color="gold",
                                             line=dict(color="black", width=1.5)),
                                 name="equilibrium"))
    if click_grid > 0:
        gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, click_grid), np.linspace(y_lo, y_hi, click_grid))
        fig.add_trace(go.Scatter(x=_f32(gx.ravel().round(3)), y=_f32(gy.ravel().round(3)), mode="markers",
                                 marker=dict(size=12, color="rgba(0,0,0,0)"), name="click to set start",
                                 showlegend=False, hovertemplate="start here: (%{x:.3g}, %{y:.3g})<extra></extra>"))
    n_rec = max((len(r.xy) for r in runs), default=1)
    fidx = frame_indices(n_rec, frames)
    k_show = int(fidx[-1])  # the static figure shows the last frame
    tol = np.hypot(x_hi - x_lo, y_hi - y_lo) * PATH_TOL
    animated: list[int] = []  # trace indices the frames update, in frame-data order
    plans: list[_PathPlan] = []
    for i, run in enumerate(runs):
        c = color(i)
        plan = _plan(run, box, tol)
        plans.append(plan)
        kept = plan.keep
        for a, b in plan.chunks:  # whole chunks: data sent once, frames only switch them on or off
            pts, _ = clip_path(run.xy[kept[a: b + 1]], box)
            animated.append(len(fig.data))
            fig.add_trace(go.Scatter(x=_f32(pts[:, 0]), y=_f32(pts[:, 1]), mode="lines", legendgroup=run.label,
                                     showlegend=False, name=run.label, line=dict(color=c, width=style.line),
                                     hoverinfo="skip", opacity=float(kept[b] <= k_show)))
        n_full, pts = _partial(run, plan, k_show, box)
        animated.append(len(fig.data))
        fig.add_trace(go.Scatter(x=_f32(pts[:, 0]), y=_f32(pts[:, 1]), mode="lines", name=f"{run.label} path",
                                 legendgroup=run.label, showlegend=False, line=dict(color=c, width=style.line),
                                 hoverinfo="skip"))
        animated.append(len(fig.data))
        hd = _head(run, k_show, box)
        # the head carries the legend entry: it always has one point inside the box (Plotly leaves traces
        # without points out of the legend, and a path that has left the box has none)
        fig.add_trace(go.Scatter(x=[hd[0]], y=[hd[1]], mode="lines+markers", legendgroup=run.label,
                                 name=_run_name(run), hoverinfo="skip", line=dict(color=c, width=style.line),
                                 marker=dict(color=c, size=style.marker + 4, line=dict(color="white", width=2))))
        animated.append(len(fig.data))
        ex = [e for e in plan.exits if e[0] <= k_show]
        fig.add_trace(go.Scatter(x=[e[1] for e in ex], y=[e[2] for e in ex], mode="markers", legendgroup=run.label,
                                 showlegend=False, name=f"{run.label} leaves the box", hoverinfo="skip",
                                 marker=dict(symbol="arrow", angle=[e[3] for e in ex], size=style.marker + 8, color=c,
                                             line=dict(color="white", width=1.5))))
        fig.add_trace(go.Scatter(x=[run.xy[0, 0]], y=[run.xy[0, 1]], mode="markers", legendgroup=run.label,
                                 showlegend=False, marker=dict(color="white", size=style.marker + 2, symbol="circle",
                                                               line=dict(color=c, width=2.5)), hoverinfo="skip",
                                 name="start"))
        if run.diverged:
            p = _head(run, run.last_finite(), box)
            fig.add_trace(go.Scatter(x=[p[0]], y=[p[1]], mode="markers", legendgroup=run.label, showlegend=False,
                                     marker=dict(symbol="x", size=style.marker + 8, color=c, line=dict(width=2)),
                                     name=f"{run.label} diverged",
                                     hovertemplate=f"diverged at step {run.diverged_at}<extra>{run.label}</extra>"))
        if run.flags is not None:
            for flag, (what, fc, sym) in FLAG_STYLE.items():
                sel = np.flatnonzero((run.flags == flag) & np.isfinite(run.xy).all(axis=1))
                if sel.size == 0:
                    continue
                sel = sel[_stride(sel.size, MAX_PATH_POINTS)]
                sel = sel[[_inside(run.xy[j], box) for j in sel]]
                fig.add_trace(go.Scatter(x=_f32(run.xy[sel, 0]), y=_f32(run.xy[sel, 1]), mode="markers",
                                         legendgroup=run.label,
                                         name=f"{run.name}: {what} ({int((run.flags == flag).sum())})",
                                         marker=dict(symbol=sym, size=max(5, style.marker - 2), color=fc,
                                                     line=dict(width=1, color=fc)),
                                         hoverinfo="skip"))
    steps_of = runs[0].steps if runs else np.zeros(1, int)

    def step_at(k: int) -> int:
        return int(steps_of[min(int(k), len(steps_of) - 1)])

    cursors: list[tuple[int, list[float]]] = []
    if panels:
        _metric_traces(fig, runs, style, panels)
        for row, which, _, log in panels:
            yr = _cursor_range(runs, which, log)
            cursors.append((len(fig.data), yr))
            animated.append(len(fig.data))
            fig.add_trace(go.Scatter(x=[step_at(k_show)] * 2, y=yr, mode="lines", showlegend=False,
                                     name=f"time cursor {row}", hoverinfo="skip",
                                     line=dict(color="rgba(0,0,0,0.65)", width=2.5, dash="dot")), row=row, col=2)
    # frames: plain dicts, arrays as Plotly's base64 typed arrays
    def xy(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> dict:
        return {"x": _typed(x), "y": _typed(y)}

    frame_list = []
    for j, k in enumerate(fidx):
        data: list = []
        for run, plan in zip(runs, plans):
            n_full, pts = _partial(run, plan, int(k), box)
            # opacity, not visible: a frame transition does not remove a trace it hides
            data += [{"opacity": int(q < n_full)} for q in range(len(plan.chunks))]
            data.append(xy(pts[:, 0], pts[:, 1]))
            hd = _head(run, int(k), box)
            data.append({"x": [round(float(hd[0]), 5)], "y": [round(float(hd[1]), 5)]})
            ex = [e for e in plan.exits if e[0] <= k]
            # a run that never leaves the box has an empty arrow trace: nothing for a frame to change
            data.append({"x": _typed([e[1] for e in ex]), "y": _typed([e[2] for e in ex]),
                         "marker": {"angle": [round(e[3], 1) for e in ex] or [0]}} if plan.exits else {})
        for _ in cursors:  # a cursor only moves sideways: its y span stays from the static trace
            data.append({"x": [step_at(int(k))] * 2})
        # Every trace is named in every frame, the static ones with an empty update: a transition
        # recomputes all traces but re-plots only those it is given, and a trace left out loses its
        # SVG node, so a later click (point selection) failed with "reading 'selectAll'".
        update = dict(zip(animated, data))
        frame_list.append(go.Frame(name=str(j), traces=list(range(len(fig.data))),
                                   data=[update.get(t, {}) for t in range(len(fig.data))], _validate=False))
    labels = [str(step_at(int(k))) for k in fidx]

    def play(ms: int) -> dict:
        return dict(frame=dict(duration=ms, redraw=False), transition=dict(duration=0), fromcurrent=True,
                    mode="immediate")

    def skip(action: str) -> dict:
        return dict(label=STEP_ACTIONS[action], method="skip", args=[f"saddle:{action}"])

    play_buttons = [dict(label="▶ Play", method="animate", args=[None, play(60)]),
                    dict(label="❚❚ Pause", method="animate",
                         args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                            transition=dict(duration=0))])]
    step_buttons = [skip("back"), skip("next"), skip("reset")]
    speed_buttons = [dict(label="½×", method="animate", args=[None, play(160)]),
                     dict(label="4×", method="animate", args=[None, play(15)])]
    menu = dict(type="buttons", direction="left", xanchor="left", yanchor="top", showactive=False,
                font=dict(size=style.font - 1), bgcolor="#f4f4f4", bordercolor="#999")
    tick_band = style.font * 3 + 26  # below the main x axis: its tick labels and title
    if lecture and panels:
        # right of the plot, above the metric panel: two rows of buttons, then the legend
        right = main_dom + 0.12
        menus = [dict(menu, x=right, y=1.0, pad=dict(t=0, r=4), buttons=play_buttons + speed_buttons),
                 dict(menu, x=right, y=1.0, pad=dict(t=style.font * 2 + 20, r=4), buttons=step_buttons)]
        legend = dict(orientation="v", x=right, xanchor="left", y=1.0 - (style.font * 4 + 64) / style.height,
                      yanchor="top", font=dict(size=style.font), bgcolor="rgba(255,255,255,0)")
        slider_pad, bottom_margin, top_margin = tick_band, tick_band + style.font * 2 + 40, 12
    else:
        menus = [dict(menu, x=0.0, y=0.0, pad=dict(r=4, t=tick_band),
                      buttons=play_buttons + step_buttons + speed_buttons)]
        legend = None
        slider_pad = tick_band + style.font * 2 + 16
        bottom_margin, top_margin = slider_pad + style.font * 2 + 40, style.font * 2 + 12
    fig.update_layout(
        meta=TRAJECTORY_META,
        updatemenus=menus,
        sliders=[dict(
            active=len(fidx) - 1, x=0.0, y=0.0, len=main_dom, xanchor="left", yanchor="top",
            pad=dict(t=slider_pad, b=0), ticklen=0, minorticklen=0,
            currentvalue=dict(prefix="step ", font=dict(size=style.font, color="#333"), xanchor="left", offset=6),
            font=dict(color="rgba(0,0,0,0)"),  # one label per frame is unreadable; the current value says it
            steps=[dict(label=lab, method="animate",
                        args=[[str(j)], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                             transition=dict(duration=0))])
                   for j, lab in enumerate(labels)],
        )],
    )
    _axes(fig, field, style, title)
    if legend is not None:
        fig.update_layout(legend=legend)
        for tr in fig.data:  # lecture legend: the runs only (flow and ★ are explained by the page)
            if tr.name in ("flow −ξ", "equilibrium"):
                tr.showlegend = False
    if panels:
        _metric_axes(fig, runs, style, panels, lecture)
    fig.update_layout(height=style.height, margin=dict(l=10, r=44, t=top_margin + (30 if title else 0),
                                                       b=bottom_margin))
    fig.frames = frame_list  # built unvalidated: validating thousands of small trace updates takes seconds
    return fig


def _metric_traces(fig: go.Figure, runs: Sequence[Run], style: Style,
                   panels: Sequence[tuple[int, int, str, bool]], col: int = 2) -> None:
    ranges = {which: _cursor_range(runs, which, log) for _, which, _, log in panels}
    for i, run in enumerate(runs):
        c = color(i)
        series = _metric_series(run)
        for row, which, _, log in panels:
            ys = series[which]
            if ys is None:
                continue
            keep = _metric_keep(run.steps, ys, ranges[which], log)
            xs = run.steps[keep]
            dx = np.diff(xs)
            # evenly spaced steps go as x0 + i·dx (no x array in the payload)
            xkw = dict(x0=int(xs[0]), dx=int(dx[0])) if dx.size and (dx == dx[0]).all() else dict(x=_f32(xs))
            fig.add_trace(go.Scatter(**xkw, y=_f32(ys[keep]), mode="lines", showlegend=False,
                                     line=dict(color=c, width=style.line * 0.7), name=run.label,
                                     legendgroup=run.label,
                                     hovertemplate="step %{x}: %{y:.3g}<extra>" + run.label + "</extra>"),
                          row=row, col=col)
        if run.diverged:
            for row, _, _, _ in panels:
                fig.add_vline(x=run.diverged_at, line=dict(color=c, dash="dot", width=1.5), row=row, col=col)


def _metric_keep(steps: np.ndarray, ys: np.ndarray, y_range: Sequence[float], log: bool) -> np.ndarray:
    """Which points of a metric series (T,) to send: those the panel's pixels need.

    The series is mapped to a METRIC_PX-sized panel (log10 on a log axis, where values ≤ 0 are gaps)
    and simplified to SCREEN_PX; longer runs are first strided to MAX_METRIC_POINTS. A noisy series that
    simplification barely thins keeps its evenly spaced stride.
    """
    idx = _stride(len(ys), MAX_METRIC_POINTS)
    t = np.asarray(steps, float)[idx]
    v = np.asarray(ys, float)[idx]
    lo, hi = (float(y_range[0]), float(y_range[1]))
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(v > 0, np.log10(v), np.nan)
        lo, hi = np.log10(max(lo, 1e-300)), np.log10(max(hi, 1e-300))
    w, h = METRIC_PX
    span = hi - lo if hi > lo else 1.0  # a flat series: every finite value equals lo
    px = np.stack([(t - t[0]) / max(t[-1] - t[0], 1.0) * w, (v - lo) / span * h], axis=1)  # (T, 2) in pixels
    kept = simplify(px, SCREEN_PX)
    # dropping points costs an x array (evenly spaced steps go as x0 + i·dx): worth it below half the points
    return idx[kept] if 2 * len(kept) < len(idx) else idx


def _metric_axes(fig: go.Figure, runs: Sequence[Run], style: Style, panels: Sequence[tuple[int, int, str, bool]],
                 lecture: bool = False, col: int = 2) -> None:
    last = max(p[0] for p in panels)
    first_x = None
    for row, which, _, log in panels:
        if log:
            fig.update_yaxes(type="log", exponentformat="power", showexponent="all",
                             **_log_ticks([_metric_series(r)[which] for r in runs], lecture=lecture), row=row, col=col)
        fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False, row=row, col=col,
                         showticklabels=row == last, ticks="outside")
        fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False, row=row, col=col, nticks=4)
        axis = fig.get_subplot(row, col).xaxis.plotly_name  # e.g. "xaxis2"
        if first_x is None:
            first_x = axis.replace("axis", "")
        elif axis.replace("axis", "") != first_x:
            fig.layout[axis].matches = first_x  # zoom one metric panel's time axis, zoom all
    fig.update_xaxes(title_text="step", row=last, col=col)
    fig.update_annotations(font_size=style.font)


def _log_ticks(series: Sequence[Optional[np.ndarray]], lecture: bool = False) -> dict:
    """Explicit ticks with full labels on log axes (Plotly's own "D2" ticks label 0.5 as a bare "5").

    Short ranges get 1-2-5 ticks (lecture mode: 1-3 per decade, fewer and larger), long ranges
    powers of ten only, so no small in-between labels appear.
    """
    vals = np.concatenate([np.asarray(v, dtype=float).ravel() for v in series if v is not None] or [np.ones(1)])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return {}
    lo, hi = np.floor(np.log10(vals.min())), np.ceil(np.log10(vals.max()))
    if hi - lo > 2.5:
        step = max(1, int(np.ceil((hi - lo) / 5)))
        ticks = [10.0**e for e in np.arange(lo, hi + 1, step)]
        return dict(tickmode="array", tickvals=ticks, ticktext=[_pow10(t) for t in ticks])
    mantissas = (1, 3) if lecture else (1, 2, 5)
    ticks = [m * 10.0**e for e in np.arange(lo, hi + 1) for m in mantissas]
    ticks = [t for t in ticks if vals.min() / 1.5 <= t <= vals.max() * 1.5]
    return dict(tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def _pow10(t: float) -> str:
    e = int(round(np.log10(t)))
    return f"{t:g}" if -2 <= e <= 3 else f"10<sup>{e}</sup>"


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
                      margin=dict(l=10, r=44, t=50, b=10), plot_bgcolor="white", modebar=dict(orientation="v"))
    return fig


BASIN_RULE = ("Colour: log₁₀ of how much farther from ★ (red) or closer to it (blue) each run ended than it "
              "started, on a colour range fitted to the map (a uniform map means every start grows or shrinks "
              "by the same factor, as in a linear game). Black: diverged, by the same rule as the trajectory "
              "plot's \"diverged at step k\".")


def basin_outcome(b: Basin, box: Optional[tuple] = None,
                  equilibrium: Optional[tuple[float, float]] = None) -> tuple[np.ndarray, np.ndarray, str]:
    """What the basin map colours, per start: (value (n, n), diverged (n, n) bool, colour-bar title).

    With a known equilibrium the value is log₁₀(final distance / initial distance): > 0 means the run
    moved away (GDA on xy from every start), < 0 that it came closer. A start counts as diverged by
    the rule of the trajectory plot (the engine's: the iterate overflowed). Without an equilibrium the
    value is log₁₀ of the final ‖ξ‖.
    """
    div = b.diverged_at >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if equilibrium is not None and b.measure != "|ξ|":
            gx, gy = np.meshgrid(b.xs, b.ys)  # (n, n)
            d0 = np.hypot(gx - equilibrium[0], gy - equilibrium[1])
            value = np.log10(np.maximum(b.final, 1e-300) / np.maximum(d0, 1e-300))
            title = "log₁₀ (final / initial distance to ★)"
        else:
            value = np.log10(np.maximum(b.final, 1e-16))
            title = f"log₁₀ final {b.measure}"
    return np.where(div, np.nan, value), div, title


def basin_figure(b: Basin, *, title: str = "", lecture: bool = False,
                 start: Optional[tuple[float, float]] = None,
                 equilibrium: Optional[tuple[float, float]] = None, box: Optional[tuple] = None) -> go.Figure:
    """Where each start ends up (:func:`basin_outcome`), diverged starts in black, the current start ringed."""
    style = Style.of(lecture)
    value, div, cbar = basin_outcome(b, box, equilibrium)
    finite = value[np.isfinite(value)]
    ratio = cbar.startswith("log₁₀ (final / initial")
    if finite.size:
        lo, hi = (float(v) for v in np.percentile(finite, [2, 98]))
        if ratio:  # diverging colours centred on "no change"
            top = max(abs(lo), abs(hi), 1e-3)
            lo, hi = -top, top
        elif hi - lo < 1e-3:
            lo, hi = lo - 0.5, hi + 0.5
    else:
        lo, hi = -1.0, 1.0
    fig = go.Figure(go.Heatmap(x=b.xs, y=b.ys, z=value, colorscale="RdBu_r" if ratio else "Viridis", zmin=lo,
                               zmax=hi, colorbar=dict(title=dict(text=cbar, side="right"), thickness=14),
                               hovertemplate="start (%{x:.2f}, %{y:.2f}): %{z:.2f}<extra></extra>",
                               name="outcome"))
    if div.any():
        fig.add_trace(go.Heatmap(x=b.xs, y=b.ys, z=np.where(div, 1.0, np.nan), showscale=False,
                                 colorscale=[[0, "black"], [1, "black"]], name="diverged",
                                 customdata=b.diverged_at,
                                 hovertemplate="start (%{x:.2f}, %{y:.2f}): diverged<extra></extra>"))
    if equilibrium is not None:
        fig.add_trace(go.Scatter(x=[equilibrium[0]], y=[equilibrium[1]], mode="markers", name="equilibrium",
                                 marker=dict(symbol="star", size=style.marker + 8, color="gold",
                                             line=dict(color="black", width=1.5))))
    if start is not None:  # a black ring around a white ring: visible on every colour
        fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="current start",
                                 marker=dict(symbol="circle-open", size=style.marker + 12, color="black",
                                             line=dict(width=4, color="black"))))
        fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(symbol="circle-open", size=style.marker + 5, color="white",
                                             line=dict(width=2.5, color="white"))))
    n = div.size
    n_div = int(div.sum())
    parts = [f"{n_div} of {n} starts diverged" if n_div else "no start diverged"]
    if ratio and finite.size:
        away = int(((value > 0) & ~div).sum())
        parts.append(f"{away} ended farther from ★ than they started")
        if np.ptp(finite) < 0.01:  # a linear game: one factor for every start
            parts.append(f"every start by a factor {10 ** float(np.median(finite)):.3g}")
    sub = "; ".join(parts)
    fig.update_layout(title=dict(text=f"{title}: {sub}" if title else sub, x=0.01, y=0.98, yanchor="top"),
                      font=dict(size=style.font), template="plotly_white", plot_bgcolor="white",
                      height=style.height, margin=dict(l=10, r=44, t=style.font * 2 + 30, b=10),
                      modebar=dict(orientation="v"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0.0, xanchor="left"))
    fig.update_xaxes(title_text="x₀", constrain="domain", showticklabels=True, ticks="outside",
                     range=[float(b.xs[0]), float(b.xs[-1])], showgrid=False, zeroline=False)
    fig.update_yaxes(title_text="y₀", scaleanchor="x", scaleratio=1, showticklabels=True, ticks="outside",
                     constraintoward="top",  # a lopsided box: the map right under its title, no empty band
                     constrain="domain", range=[float(b.ys[0]), float(b.ys[-1])], showgrid=False, zeroline=False)
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
                      margin=dict(l=10, r=44, t=50, b=10), legend=dict(orientation="h", y=-0.2, x=0.6),
                      modebar=dict(orientation="v"))
    return fig


def step_spectrum_figure(specs: Sequence[StepSpectrum], *, lecture: bool = False) -> go.Figure:
    """Each algorithm's step-map eigenvalues against the unit circle (inside: locally convergent)."""
    style = Style.of(lecture)
    t = np.linspace(0, 2 * np.pi, 361)
    fig = go.Figure(go.Scatter(x=np.cos(t), y=np.sin(t), mode="lines", line=dict(color="black", width=1.5, dash="dot"),
                               name="unit circle", hoverinfo="skip"))
    symbols = ("circle", "diamond", "square", "triangle-up", "cross", "star", "hexagon", "x")
    top = 1.0
    n = len(specs)
    for i, s in enumerate(specs):
        if s.eigvals.size == 0:
            continue
        top = max(top, float(np.abs(s.eigvals).max()))
        # later runs are drawn on top and smaller, with their own symbol: coinciding eigenvalues stay visible
        # as nested markers instead of one hiding the other
        size = style.marker + 6 + 7 * (n - 1 - i)
        fig.add_trace(go.Scatter(x=s.eigvals.real, y=s.eigvals.imag, mode="markers",
                                 name=f"{s.label}: ρ = {s.radius:.4g}",
                                 marker=dict(size=size, color=color(i), symbol=symbols[i % len(symbols)],
                                             line=dict(color="white", width=1.5), opacity=0.95),
                                 hovertemplate="λ = %{x:.4g} %{y:+.4g}i<extra>" + s.label + "</extra>"))
    r = min(top * 1.1, 10.0)
    fig.update_xaxes(range=[-r, r])
    fig.update_yaxes(range=[-r, r])
    _complex_axes(fig, style)
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.85),
                      plot_bgcolor="white",
                      title=dict(text="eigenvalues of one step z ↦ step(z) (with the algorithm's memory)", x=0.01),
                      margin=dict(l=10, r=44, t=50, b=10), legend=dict(orientation="v", x=1.02, y=1),
                      modebar=dict(orientation="v"))
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
    fig.update_xaxes(type="log", title_text="step size η", exponentformat="power", showgrid=True, gridcolor="#eee",
                     **_log_ticks([c[1] for c in curves], lecture=lecture))
    fig.update_yaxes(type="log", title_text="spectral radius ρ (dashed: ρ = 1)", showgrid=True, gridcolor="#eee",
                     exponentformat="power", **_log_ticks([c[2] for c in curves], lecture=lecture))
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.75),
                      plot_bgcolor="white",
                      title=dict(text="stability against η (ρ < 1: converges locally, dotted: current η)", x=0.01),
                      margin=dict(l=10, r=44, t=50, b=10), modebar=dict(orientation="v"))
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
    fig.update_xaxes(type="log", title_text="step size η", **_log_ticks([lrs], lecture=lecture))
    fig.update_yaxes(title_text=param2)
    fig.update_layout(template="plotly_white", font=dict(size=style.font), height=int(style.height * 0.75),
                      title=dict(text=f"{label}: stable region (blue, ρ < 1) over η and {param2}", x=0.01),
                      margin=dict(l=10, r=44, t=50, b=10), modebar=dict(orientation="v"))
    return fig


__all__ = ["Style", "BASIN_RULE", "basin_outcome", "TRAJECTORY_META", "game_spectrum_figure",
           "step_spectrum_figure", "stability_figure", "stability_map_figure", "PALETTE", "trajectory_figure",
           "TrajectoryFigure", "small_multiples", "basin_figure", "frame_indices", "quiver_xy", "color", "clip_path",
           "decimate", "simplify", "f_image", "contour_lines"]
