"""Bilinear games, unconstrained and on a box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..errors import InvalidArgument
from ..game import Game
from ..params import hparam
from ..registry import register_game
from ..torch_internals import is_func_wrapped
from ..types import Tensor
from ..validation import real_matrix

MAX_DIM = 64
#: batches up to this size evaluate scalar fields as one tiny matrix product, longer ones elementwise
_SMALL_BATCH = 256


def _pairs(z: Tensor) -> bool:
    """Whether the rows of ``z`` (B, 2) can be viewed as complex numbers x + iy (plain memory, no autograd)."""
    return (z.stride() == (2, 1) and z.storage_offset() % 2 == 0 and not z.requires_grad
            and z.dtype in (torch.float32, torch.float64) and not is_func_wrapped(z))


def _matrix(v: object, what: str = "matrix") -> tuple[tuple[float, ...], ...]:
    """A finite real matrix (a number or a vector becomes 1 x n) as nested tuples; clear errors otherwise."""
    a = np.atleast_2d(real_matrix(v, what, 2))
    if a.shape[0] > MAX_DIM or a.shape[1] > MAX_DIM:
        raise InvalidArgument(f"{what} must be at most {MAX_DIM}×{MAX_DIM}, got {a.shape[0]}×{a.shape[1]}")
    return tuple(tuple(float(e) for e in row) for row in a)


def _vector(v: object, what: str = "vector") -> tuple[float, ...]:
    """A finite real vector as a tuple; clear errors otherwise."""
    return tuple(float(e) for e in np.atleast_1d(real_matrix(v, what, 1)).reshape(-1))


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
        A = _matrix(self.A, "bilinear: A")
        object.__setattr__(self, "A", A)
        n, m = len(A), len(A[0])
        if not (1 <= n <= MAX_DIM and 1 <= m <= MAX_DIM):
            raise InvalidArgument(f"bilinear: A must be at most {MAX_DIM}×{MAX_DIM}, got {n}×{m}")
        if self.b is not None:
            object.__setattr__(self, "b", _vector(self.b, "bilinear: b"))
            if len(self.b) != n:
                raise InvalidArgument(f"bilinear: b must have length dim_x={n}, got {len(self.b)}")
        if self.c is not None:
            object.__setattr__(self, "c", _vector(self.c, "bilinear: c"))
            if len(self.c) != m:
                raise InvalidArgument(f"bilinear: c must have length dim_y={m}, got {len(self.c)}")
        if not np.all(np.isfinite(np.asarray(A))):
            raise ValueError("bilinear: A must be finite")
        super().__post_init__()
        # the scalar game (the default f = a*x*y + b*x + c*y) takes an elementwise field
        scalar = None
        if (n, m) == (1, 1):
            scalar = (A[0][0], 0.0 if self.b is None else self.b[0], 0.0 if self.c is None else self.c[0])
        object.__setattr__(self, "_scalar", scalar)

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
        out = {"A": A, "b": b, "c": c}
        if A.shape == (1, 1):  # xi = z @ rot + (b, -c) for the scalar game
            out["rot"] = np.array([[0.0, -A[0, 0]], [A[0, 0], 0.0]])
            out["shift"] = np.array([b[0], -c[0]])
        return out

    def constant_jacobian(self) -> np.ndarray:
        A = np.asarray(self.A)
        n, m = A.shape
        return np.block([[np.zeros((n, n)), A], [-A.T, np.zeros((m, m))]])

    def _t(self, like: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        k = self.constants(like)
        return k["A"], k["b"], k["c"]

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        if self._scalar is not None:  # elementwise, the same products as the matrix form below
            a, b, c = self._scalar
            xs, ys = x[:, 0], y[:, 0]
            out = xs * ys if a == 1.0 else (xs * a) * ys  # x * 1 is x: one product fewer on f = xy
            return out + xs * b + ys * c if b != 0.0 or c != 0.0 else out
        A, b, c = self._t(x)
        return ((x @ A) * y).sum(1) + x @ b + y @ c  # (B,)

    def xi(self, z: Tensor) -> Tensor:
        if self._scalar is not None:
            a, b, c = self._scalar
            if z.shape[0] <= _SMALL_BATCH:  # one tiny matrix product beats several elementwise kernels
                k = self.constants(z)
                out = z @ k["rot"]  # (B, 2): (a y, -a x), exactly
            elif _pairs(z):  # (x + iy)(-ia) = a y - i a x: one complex product, exactly (a y, -a x)
                out = torch.view_as_real(torch.view_as_complex(z) * complex(0.0, -a))
            else:  # elementwise: a (B, 2) @ (2, 2) product is slow for long batches
                out = torch.stack((z[:, 1] * a, z[:, 0] * -a), dim=1)
            return out if b == 0.0 and c == 0.0 else out + self.constants(z)["shift"]
        x, y = self.split(z)
        A, b, c = self._t(z)
        return torch.cat([y @ A.T + b, -(x @ A) - c], dim=1)  # (B, D)

    def xi_x(self, z: Tensor) -> Tensor:
        if self._scalar is not None:
            a, b, _ = self._scalar
            # f = xy: the field's x-part is y itself, a view (no kernel), as on the box game
            out = z[:, 1:2] if a == 1.0 else z[:, 1:2] * a
            return out if b == 0.0 else out + b
        _, y = self.split(z)
        A, b, _ = self._t(z)
        return y @ A.T + b

    def xi_y(self, z: Tensor) -> Tensor:
        if self._scalar is not None:
            a, _, c = self._scalar
            out = z[:, 0:1] * -a
            return out if c == 0.0 else out - c
        x, _ = self.split(z)
        A, _, c = self._t(z)
        return -(x @ A) - c

    def add_xi_x_(self, out: Tensor, z: Tensor, alpha: float) -> Tensor:
        if self._scalar is None or self._scalar[1] != 0.0:
            return super().add_xi_x_(out, z, alpha)
        return out.add_(z[:, 1:2], alpha=alpha * self._scalar[0])  # xi_x = a y: no temporary

    def add_xi_y_(self, out: Tensor, z: Tensor, alpha: float) -> Tensor:
        if self._scalar is None or self._scalar[2] != 0.0:
            return super().add_xi_y_(out, z, alpha)
        return out.add_(z[:, 0:1], alpha=-alpha * self._scalar[0])  # xi_y = -a x: no temporary

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

    def constant_jacobian(self) -> np.ndarray:
        return np.array([[0.0, 1.0], [-1.0, 0.0]])

    def project(self, z: Tensor) -> Tensor:
        return z.clamp(-self.radius, self.radius)

    def equilibrium(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (0.0,), (0.0,)

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        r = 1.1 * self.radius
        return ((-r, r), (-r, r))
