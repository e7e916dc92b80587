"""2D Gaussian mixtures of the mode-collapse literature (docs/metrics.md §1).

Defaults are the pinned literature settings: ``ring8`` radius 1, σ 0.01 (PacGAN, Numerics of GANs);
``grid25`` {-4,-2,0,2,4}², σ 0.05 (PacGAN, VEEGAN); ``four4`` the Mangoubi–Sachdeva–Vishnoi
mixture (their ``linspace(0, 2π, 5)`` gives 4 distinct centres, (0, 1) twice, hence weights
0.4, 0.2, 0.2, 0.2), σ 0.01; ``four4_uniform`` the same centres with equal weights; ``custom``
user-given centres (an array or a CSV ``x,y[,weight]``).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from dynamics.types import Tensor

#: largest number of user-given centres accepted (keeps metrics and plots cheap)
MAX_CUSTOM_MODES = 200
DATASETS = ("ring8", "grid25", "four4", "four4_uniform", "custom")


@dataclass(frozen=True, eq=False)
class Mixture:
    """An isotropic Gaussian mixture in the plane: K centres (K, 2), one σ, weights (K,) summing to 1."""

    name: str
    centres: np.ndarray = field(repr=False)  # (K, 2)
    sigma: float
    weights: np.ndarray = field(repr=False)  # (K,)

    def __post_init__(self) -> None:
        c = np.asarray(self.centres, dtype=np.float64)
        w = np.asarray(self.weights, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != 2 or c.shape[0] < 1:
            raise ValueError(f"centres must be (K, 2) with K >= 1, got {c.shape}")
        if w.shape != (c.shape[0],):
            raise ValueError(f"weights must have shape ({c.shape[0]},), got {w.shape}")
        if not (np.isfinite(c).all() and np.isfinite(w).all()) or (w < 0).any() or not (w > 0).any():
            raise ValueError("centres and weights must be finite and the weights non-negative, not all zero")
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"sigma must be positive, got {self.sigma}")
        w = w / w.max()  # first: weights near the float limit (1e308) would overflow the sum
        object.__setattr__(self, "centres", c)
        object.__setattr__(self, "weights", w / w.sum())

    @property
    def n_modes(self) -> int:
        return int(self.centres.shape[0])

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, 2) float32 points on ``generator.device``: a component by weight, then Gaussian noise."""
        dev = generator.device
        w = torch.as_tensor(self.weights, dtype=torch.float32, device=dev)
        c = torch.as_tensor(self.centres, dtype=torch.float32, device=dev)
        k = torch.multinomial(w, n, replacement=True, generator=generator)  # (n,)
        return c[k] + self.sigma * torch.randn(n, 2, generator=generator, device=dev)

    def sample_numpy(self, n: int, seed: int = 0) -> np.ndarray:
        """(n, 2) float64 real points for plots (a fixed seed gives a fixed picture)."""
        return self.sample(n, torch.Generator().manual_seed(seed)).double().numpy()

    def box(self, margin: float = 0.5) -> tuple[tuple[float, float], tuple[float, float]]:
        """A square plotting box around the centres."""
        lo = self.centres.min(0) - margin - 3 * self.sigma
        hi = self.centres.max(0) + margin + 3 * self.sigma
        half = max(hi - lo) / 2
        mid = (hi + lo) / 2
        return ((mid[0] - half, mid[0] + half), (mid[1] - half, mid[1] + half))

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "centres": self.centres.tolist(), "sigma": self.sigma,
                "weights": self.weights.tolist()}


def ring8(radius: float = 1.0, sigma: float = 0.01, n_modes: int = 8) -> Mixture:
    """Ring of ``n_modes`` equal-weight Gaussians at angles 2πk/n (endpoint excluded: really 8 modes)."""
    t = 2 * np.pi * np.arange(n_modes) / n_modes
    return Mixture("ring8", radius * np.stack([np.cos(t), np.sin(t)], 1), sigma, np.ones(n_modes))


def grid25(spacing: float = 2.0, sigma: float = 0.05, side: int = 5) -> Mixture:
    """``side``×``side`` grid centred at 0 (default {-4,-2,0,2,4}²), equal weights."""
    a = spacing * (np.arange(side) - (side - 1) / 2)
    xx, yy = np.meshgrid(a, a, indexing="ij")
    return Mixture("grid25", np.stack([xx.ravel(), yy.ravel()], 1), sigma, np.ones(side * side))


def four4(radius: float = 1.0, sigma: float = 0.01, uniform: bool = False) -> Mixture:
    """Mangoubi et al.'s 4 Gaussians: (0,1), (1,0), (0,-1), (-1,0) with weights 0.4, 0.2, 0.2, 0.2.

    Their ``linspace(0, 2π, 5)`` includes 2π, so the (0, 1) component appears twice in a uniform
    5-mixture; ``uniform=True`` gives the equal-weight variant.
    """
    c = radius * np.array([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])
    w = np.ones(4) if uniform else np.array([0.4, 0.2, 0.2, 0.2])
    return Mixture("four4_uniform" if uniform else "four4", c, sigma, w)


def custom(centres: Any, sigma: float = 0.02, weights: Optional[Any] = None) -> Mixture:
    """A mixture on user-given centres (K, 2), optional weights (K,); validated and capped."""
    c = np.asarray(centres, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"custom centres must be an array of shape (K, 2), got {c.shape}")
    if not 1 <= c.shape[0] <= MAX_CUSTOM_MODES:
        raise ValueError(f"custom data needs 1..{MAX_CUSTOM_MODES} centres, got {c.shape[0]}")
    if np.abs(c).max() > 100:
        raise ValueError("custom centres must lie within [-100, 100]²")
    w = np.ones(c.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    return Mixture("custom", c, float(sigma), w)


def parse_csv(text: str | bytes, max_bytes: int = 1_000_000) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Centres (K, 2) and optional weights (K,) from CSV text ``x,y[,weight]`` (a header line is skipped).

    Raises:
        ValueError: with the line number for anything that is not 2 or 3 numbers per line.

    """
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise ValueError(f"CSV is larger than {max_bytes} bytes")
        text = text.decode("utf-8", errors="strict")
    rows = []
    for i, line in enumerate(io.StringIO(text), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            if not rows and i == 1:
                continue  # header
            raise ValueError(f"line {i}: expected numbers 'x,y[,weight]', got {line[:60]!r}") from None
        if len(vals) not in (2, 3):
            raise ValueError(f"line {i}: expected 2 or 3 columns, got {len(vals)}")
        rows.append(vals)
    if not rows:
        raise ValueError("CSV holds no points")
    if len({len(r) for r in rows}) != 1:
        raise ValueError("all lines must have the same number of columns")
    a = np.array(rows)
    return a[:, :2], (a[:, 2] if a.shape[1] == 3 else None)


def make_dataset(name: str, *, sigma: Optional[float] = None, radius: Optional[float] = None,
                 centres: Optional[Any] = None, weights: Optional[Any] = None,
                 csv: Optional[str | Path] = None) -> Mixture:
    """Build a dataset by name; ``sigma``/``radius`` (grid: spacing) override the literature defaults.

    Args:
        name: One of :data:`DATASETS`.
        sigma: Component standard deviation.
        radius: Ring / four4 radius, or the grid spacing.
        centres: For ``custom``: (K, 2) array.
        weights: For ``custom``: (K,) weights.
        csv: For ``custom``: path to a CSV ``x,y[,weight]`` (instead of ``centres``).

    Returns:
        The :class:`Mixture`.

    """
    kw: dict[str, Any] = {}
    if sigma is not None:
        kw["sigma"] = float(sigma)
    if name == "ring8":
        return ring8(**kw, **({} if radius is None else {"radius": float(radius)}))
    if name == "grid25":
        return grid25(**kw, **({} if radius is None else {"spacing": float(radius)}))
    if name in ("four4", "four4_uniform"):
        return four4(**kw, uniform=name == "four4_uniform", **({} if radius is None else {"radius": float(radius)}))
    if name == "custom":
        if csv is not None:
            centres, weights = parse_csv(Path(csv).read_bytes())
        if centres is None:
            raise ValueError("the custom dataset needs centres (an array) or a CSV file")
        return custom(centres, **kw, weights=weights)
    raise ValueError(f"unknown dataset {name!r}; valid choices: {', '.join(DATASETS)}")


__all__ = ["Mixture", "ring8", "grid25", "four4", "custom", "parse_csv", "make_dataset", "DATASETS"]
