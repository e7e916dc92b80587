"""A small GIF writer for training animations: matplotlib Agg with blitting, one shared palette.

(docs/stack.md §4: blitting is ~2 ms/frame and a shared 256-colour palette lets Pillow store only
the changed rectangle, ~20× smaller than per-frame palettes.) Kept inside gan_demo so the CLI has
no dependency on the app.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

MAX_FRAMES = 1000


def scatter_gif(real: np.ndarray, frames: np.ndarray, *, titles: Sequence[str], panel_titles: Sequence[str],
                box: tuple[tuple[float, float], tuple[float, float]], duration_ms: int = 120,
                size_px: int = 280) -> bytes:
    """Animated GIF bytes of generated samples over training, one panel per seed/algorithm.

    Args:
        real: (n, 2) real points (drawn once, grey).
        frames: (T, P, m, 2) generated points: T frames, P panels.
        titles: T frame titles (e.g. "step 300").
        panel_titles: P panel titles.
        box: Axis limits ((x0, x1), (y0, y1)).
        duration_ms: Frame duration.
        size_px: Side of one panel in pixels.

    Returns:
        GIF bytes (``GIF89a``).

    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[3] != 2:
        raise ValueError(f"frames must be (T, P, m, 2), got {frames.shape}")
    T, P = frames.shape[:2]
    if not 1 <= T <= MAX_FRAMES:
        raise ValueError(f"1..{MAX_FRAMES} frames supported, got {T}")
    if len(titles) != T or len(panel_titles) != P:
        raise ValueError("need one title per frame and one panel title per panel")
    dpi = 80
    fig, axes = plt.subplots(1, P, figsize=(P * size_px / dpi, (size_px + 24) / dpi), dpi=dpi, squeeze=False)
    dots = []
    for p, ax in enumerate(axes[0]):
        ax.scatter(real[:, 0], real[:, 1], s=2, c="#bbbbbb", linewidths=0)
        ax.set_xlim(*box[0])
        ax.set_ylim(*box[1])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(panel_titles[p], fontsize=9)
        dots.append(ax.scatter([], [], s=3, c="#1f77b4", linewidths=0, animated=True))
    label = fig.text(0.5, 0.01, "", ha="center", fontsize=9, animated=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)
    images = []
    for t in range(T):
        fig.canvas.restore_region(background)
        for p in range(P):
            dots[p].set_offsets(np.nan_to_num(frames[t, p], nan=1e9))
            axes[0][p].draw_artist(dots[p])
        label.set_text(titles[t])
        fig.draw_artist(label)
        fig.canvas.blit(fig.bbox)
        images.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    plt.close(fig)
    # one palette for all frames, built from a montage of a few frames
    pick = images[:: max(1, T // 8)]
    montage = Image.fromarray(np.concatenate(pick, axis=0))
    palette = montage.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    pims = [Image.fromarray(im).quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buf = io.BytesIO()
    pims[0].save(buf, format="GIF", save_all=True, append_images=pims[1:], duration=duration_ms, loop=0)
    return buf.getvalue()


__all__ = ["scatter_gif"]
