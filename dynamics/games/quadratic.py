"""Quadratic games: the linear-field laboratory every closed-form oracle is checked on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..errors import InvalidArgument
from ..game import Game
from ..params import hparam
from ..registry import register_game
from ..types import Tensor
from .bilinear import MAX_DIM, _matrix


@register_game("quadratic")
@dataclass(frozen=True, kw_only=True)
class Quadratic(Game):
    r"""Quadratic game; scalar by default, matrices optional.

    $$ f(x, y) = \tfrac{a}{2} x^2 + b\,x y - \tfrac{c}{2} y^2, \qquad
       \xi(z) = M z,\; M = \begin{pmatrix} a & b \\ -b & c \end{pmatrix} $$

    Vector form: $f = \tfrac12 x^\top P x + x^\top B y - \tfrac12 y^\top Q y$ with
    $M = \begin{pmatrix} P & B \\ -B^\top & Q \end{pmatrix}$ (give ``P``, ``B``, ``Q``).
    The origin is the critical point. It is a strict local Nash point iff $a > 0$ and $c > 0$,
    a strict local minimax point (Jin et al. 2020) iff $c > 0$ and $a + b^2/c > 0$, and the GDA
    flow is stable there iff $a + c > 0$ and $ac + b^2 > 0$ (docs/algorithms.md §0).

    Presets: ``strongly_convex_concave`` (1, 1, 1); ``convex_concave`` (0, 1, 0.5);
    ``nonconvex_concave`` (−1, 2, 1: a local minimax point where GDA is unstable);
    ``ftr_f1`` $f_1 = -3x^2 - y^2 + 4xy$ and ``ftr_f2`` $f_2 = 3x^2 + y^2 + 4xy$, the
    Follow-the-Ridge paper's pair: FTR converges on $f_1$ (a local minimax point that GDA
    leaves) and is repelled on $f_2$ (not a local minimax point, where GDA converges).

    References:
        Wang, Zhang, Ba, "On Solving Minimax Optimization Locally: A Follow-the-Ridge Approach",
        ICLR 2020 (arXiv:1910.07512). Jin, Netrapalli, Jordan, "What is Local Optimality in
        Nonconvex-Nonconcave Minimax Optimization?", ICML 2020.

    """

    presets = {
        "strongly_convex_concave": dict(a=1.0, b=1.0, c=1.0),
        "convex_concave": dict(a=0.0, b=1.0, c=0.5),
        "nonconvex_concave": dict(a=-1.0, b=2.0, c=1.0),
        "ftr_f1": dict(a=-6.0, b=4.0, c=2.0),
        "ftr_f2": dict(a=6.0, b=4.0, c=-2.0),
    }

    a: float = hparam(1.0, low=-20.0, high=20.0, help="curvature a of f in x (a < 0: nonconvex)")
    b: float = hparam(1.0, low=-20.0, high=20.0, help="coupling b of the xy term")
    c: float = hparam(1.0, low=-20.0, high=20.0, help="concavity c of f in y (c < 0: nonconcave)")
    P: Optional[tuple] = hparam(None, kind="matrix", optional=True, advanced=True,
                                help="matrix P (dim_x × dim_x); replaces a")
    B: Optional[tuple] = hparam(None, kind="matrix", optional=True, advanced=True,
                                help="matrix B (dim_x × dim_y); replaces b")
    Q: Optional[tuple] = hparam(None, kind="matrix", optional=True, advanced=True,
                                help="matrix Q (dim_y × dim_y); replaces c")

    def __post_init__(self) -> None:
        for name in ("P", "B", "Q"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _matrix(getattr(self, name), f"quadratic: {name}"))
        super().__post_init__()  # scalar checks first: the arrays below need valid numbers
        P, B, Q = (np.asarray(v) for v in self.arrays().values())
        n, m = B.shape
        if n > MAX_DIM or m > MAX_DIM:
            raise InvalidArgument(f"quadratic: dimensions must be at most {MAX_DIM}, got B {n}×{m}")
        if P.shape != (n, n) or Q.shape != (m, m):
            raise InvalidArgument(f"quadratic: P must be {n}×{n} and Q {m}×{m} to match B ({n}×{m}); "
                             f"got P {P.shape[0]}×{P.shape[1]}, Q {Q.shape[0]}×{Q.shape[1]}")
        object.__setattr__(self, "_dims", (n, m))  # cached: split() runs every step
        # the scalar game takes an elementwise field
        object.__setattr__(self, "_scalar", (float(P[0, 0]), float(B[0, 0]), float(Q[0, 0])) if (n, m) == (1, 1)
                           else None)

    def arrays(self) -> dict[str, np.ndarray]:
        P = np.asarray(self.P) if self.P is not None else None
        B = np.asarray(self.B) if self.B is not None else None
        Q = np.asarray(self.Q) if self.Q is not None else None
        if B is None:
            n = P.shape[0] if P is not None else 1
            m = Q.shape[0] if Q is not None else 1
            B = np.full((n, m), self.b) if (n, m) == (1, 1) else self.b * np.eye(n, m)
        n, m = B.shape
        if P is None:
            P = self.a * np.eye(n)
        if Q is None:
            Q = self.c * np.eye(m)
        return {"P": P, "B": B, "Q": Q}

    @property
    def dim_x(self) -> int:
        return self._dims[0]

    @property
    def dim_y(self) -> int:
        return self._dims[1]

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        if self._scalar is not None:  # elementwise, the same products as the matrix form below
            a, b, c = self._scalar
            xs, ys = x[:, 0], y[:, 0]
            return 0.5 * ((xs * a) * xs) + (xs * b) * ys - 0.5 * ((ys * c) * ys)
        k = self.constants(x)
        return 0.5 * ((x @ k["P"]) * x).sum(1) + ((x @ k["B"]) * y).sum(1) - 0.5 * ((y @ k["Q"]) * y).sum(1)

    def xi(self, z: Tensor) -> Tensor:
        if self._scalar is not None:
            a, b, c = self._scalar
            x, y = z[:, 0], z[:, 1]
            return torch.stack((x * a + y * b, y * c - x * b), dim=1)  # (B, 2), the products of xi_x/xi_y
        return torch.cat([self.xi_x(z), self.xi_y(z)], dim=1)

    def constant_jacobian(self) -> np.ndarray:
        return self.field_matrix()

    def xi_x(self, z: Tensor) -> Tensor:
        x, y = self.split(z)
        k = self.constants(z)
        return x @ k["P"].T + y @ k["B"].T  # (B, dx): P x + B y

    def xi_y(self, z: Tensor) -> Tensor:
        x, y = self.split(z)
        k = self.constants(z)
        return y @ k["Q"].T - x @ k["B"]  # (B, dy): Q y - B^T x

    def field_matrix(self) -> np.ndarray:
        """The constant Jacobian M of the linear field (D, D)."""
        k = self.arrays()
        return np.block([[k["P"], k["B"]], [-k["B"].T, k["Q"]]])

    def equilibrium(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (0.0,) * self.dim_x, (0.0,) * self.dim_y

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return ((-3.0, 3.0), (-3.0, 3.0))
