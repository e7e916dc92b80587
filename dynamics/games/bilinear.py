"""Bilinear games, unconstrained and on a box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..game import Game
from ..params import hparam
from ..registry import register_game
from ..types import Tensor

MAX_DIM = 64


def _matrix(v: object) -> tuple[tuple[float, ...], ...]:
    a = np.atleast_2d(np.asarray(v, dtype=float))
    return tuple(tuple(float(e) for e in row) for row in a)


def _vector(v: object) -> tuple[float, ...]:
    return tuple(float(e) for e in np.atleast_1d(np.asarray(v, dtype=float)).reshape(-1))


@register_game("bilinear")
@dataclass(frozen=True, kw_only=True)
class Bilinear(Game):
    r"""Bilinear game, the simplest game on which simultaneous GDA fails.

    $$ f(x, y) = x^\top A y + b^\top x + c^\top y, \qquad
       \xi(z) = (A y + b,\; -A^\top x - c) $$

    The default is the scalar game $f = xy$ with its equilibrium at the origin. For square,
    invertible $A$ the equilibrium is $y^* = -A^{-1} b$, $x^* = -A^{-\top} c$, and the field's
    Jacobian has eigenvalues $\pm i\,\sigma_k(A)$: every result on $f = xy$ holds per singular
    value with $\eta \to \eta\sigma_k$ (docs/algorithms.md §0).

    References:
        Gidel et al., "A Variational Inequality Perspective on GANs", ICLR 2019 (arXiv:1802.10551).

    """

    A: tuple = hparam(((1.0,),), kind="matrix", help="coupling matrix A (dim_x × dim_y)")
    b: Optional[tuple] = hparam(None, kind="vector", optional=True, help="linear term b on x")
    c: Optional[tuple] = hparam(None, kind="vector", optional=True, help="linear term c on y")

    def __post_init__(self) -> None:
        A = _matrix(self.A)
        object.__setattr__(self, "A", A)
        n, m = len(A), len(A[0])
        if not (1 <= n <= MAX_DIM and 1 <= m <= MAX_DIM):
            raise ValueError(f"bilinear: A must be at most {MAX_DIM}×{MAX_DIM}, got {n}×{m}")
        if self.b is not None:
            object.__setattr__(self, "b", _vector(self.b))
            if len(self.b) != n:
                raise ValueError(f"bilinear: b must have length dim_x={n}, got {len(self.b)}")
        if self.c is not None:
            object.__setattr__(self, "c", _vector(self.c))
            if len(self.c) != m:
                raise ValueError(f"bilinear: c must have length dim_y={m}, got {len(self.c)}")
        if not np.all(np.isfinite(np.asarray(A))):
            raise ValueError("bilinear: A must be finite")
        super().__post_init__()

    @property
    def dim_x(self) -> int:
        return len(self.A)

    @property
    def dim_y(self) -> int:
        return len(self.A[0])

    def arrays(self) -> dict[str, np.ndarray]:
        A = np.asarray(self.A)
        b = np.zeros(A.shape[0]) if self.b is None else np.asarray(self.b)
        c = np.zeros(A.shape[1]) if self.c is None else np.asarray(self.c)
        return {"A": A, "b": b, "c": c}

    def _t(self, like: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        k = self.constants(like)
        return k["A"], k["b"], k["c"]

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        A, b, c = self._t(x)
        return ((x @ A) * y).sum(1) + x @ b + y @ c  # (B,)

    def xi(self, z: Tensor) -> Tensor:
        x, y = self.split(z)
        A, b, c = self._t(z)
        return torch.cat([y @ A.T + b, -(x @ A) - c], dim=1)  # (B, D)

    def xi_x(self, z: Tensor) -> Tensor:
        _, y = self.split(z)
        A, b, _ = self._t(z)
        return y @ A.T + b

    def xi_y(self, z: Tensor) -> Tensor:
        x, _ = self.split(z)
        A, _, c = self._t(z)
        return -(x @ A) - c

    def equilibrium(self) -> Optional[tuple[tuple[float, ...], tuple[float, ...]]]:
        a = self.arrays()
        A, b, c = a["A"], a["b"], a["c"]
        if A.shape[0] != A.shape[1] or abs(np.linalg.det(A)) < 1e-12:
            return None
        y_star = -np.linalg.solve(A, b)
        x_star = -np.linalg.solve(A.T, c)
        return tuple(x_star.tolist()), tuple(y_star.tolist())

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        eq = self.equilibrium()
        cx, cy = (eq[0][0], eq[1][0]) if eq else (0.0, 0.0)
        return ((cx - 2.5, cx + 2.5), (cy - 2.5, cy + 2.5))


@register_game("box_bilinear")
@dataclass(frozen=True, kw_only=True)
class BoxBilinear(Game):
    r"""The bilinear game on a box, projected after every step.

    $$ \min_{x \in [-r, r]} \max_{y \in [-r, r]} f(x, y) = x y, \qquad
       z \leftarrow \Pi_{[-r, r]^2}(z) \text{ after every update} $$

    The figure of the greedy min-max algorithm (Mangoubi, Sachdeva & Vishnoi) uses $r = 5$:
    plain GDA spirals out to the box boundary and circulates along it, while the greedy
    accept/reject algorithm stays near the equilibrium at the origin.

    References:
        Mangoubi, Sachdeva, Vishnoi, "A Provably Convergent and Practical Algorithm for Min-max
        Optimization with Applications to GANs", arXiv:2006.12376.

    """

    radius: float = hparam(5.0, low=0.1, high=100.0, help="half-width r of the square [-r, r]²")

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        return (x * y).sum(1)

    def xi(self, z: Tensor) -> Tensor:
        return torch.stack([z[:, 1], -z[:, 0]], dim=1)

    def xi_x(self, z: Tensor) -> Tensor:
        return z[:, 1:2]

    def xi_y(self, z: Tensor) -> Tensor:
        return -z[:, 0:1]

    def project(self, z: Tensor) -> Tensor:
        return z.clamp(-self.radius, self.radius)

    def equilibrium(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (0.0,), (0.0,)

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        r = 1.1 * self.radius
        return ((-r, r), (-r, r))
