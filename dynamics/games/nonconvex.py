"""Non-quadratic nonconvex games: oscillation, spurious limit cycles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ..autodiff import jacobian
from ..game import Game
from ..params import hparam
from ..registry import register_game
from ..types import Tensor


@register_game("nonconvex_concave")
@dataclass(frozen=True, kw_only=True)
class NonconvexConcave(Game):
    r"""The min of the max of two nonconvex functions, written as a game on the simplex.

    $$ \min_x \max_{y \in [0, 1]} f(x, y) = y\,F_1(x) + (1 - y)\,F_2(x), \qquad
       F_{1,2}(x) = \tfrac14 (x^2 - 1)^2 \pm s\,x $$

    i.e. $f = \tfrac14(x^2-1)^2 + s(2y-1)x$: a nonconvex double well in $x$, linear (concave) in
    $y$. The min-max point is $x^* = 0$, $y^* = \tfrac12$, where $\max(F_1, F_2) =
    \tfrac14(x^2-1)^2 + s|x|$ has its kink. Plain GDA cannot settle there: the linearised
    field has trace $-1 < 0$ in $x$ (nonconvexity), so the iterates keep swinging between the
    two wells while $y$ bangs between $0$ and $1$. Smoothed GDA (proximal term $p > 1$, slow
    anchor $\beta \lesssim 0.05$) converges. This is a two-function instance, built for Saddle,
    of the problem class $\min_x \max_{y \in \Delta} F(x)^\top y$ that motivates smoothed GDA.

    References:
        Zhang, Xiao, Sun, Luo, "A Single-Loop Smoothed Gradient Descent-Ascent Algorithm for
        Nonconvex-Concave Min-Max Problems", NeurIPS 2020 (arXiv:2010.15768).

    """

    s: float = hparam(1.0, low=0.05, high=5.0, help="slope s of the linear tilt ±s·x")

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        x, y = x[:, 0], y[:, 0]
        return 0.25 * (x * x - 1) ** 2 + self.s * (2 * y - 1) * x

    def xi(self, z: Tensor) -> Tensor:
        return torch.cat([self.xi_x(z), self.xi_y(z)], dim=1)

    def xi_x(self, z: Tensor) -> Tensor:
        x, y = z[:, 0:1], z[:, 1:2]
        return x * x * x - x + self.s * (2 * y - 1)

    def xi_y(self, z: Tensor) -> Tensor:
        return -2 * self.s * z[:, 0:1]

    def project(self, z: Tensor) -> Tensor:
        return torch.cat([z[:, 0:1], z[:, 1:2].clamp(0.0, 1.0)], dim=1)

    def equilibrium(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (0.0,), (0.5,)

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return ((-2.0, 2.0), (-0.1, 1.1))


def _phi_forsaken(v: Tensor) -> Tensor:
    return v**2 / 4 - v**4 / 2 + v**6 / 6


def _dphi_forsaken(v: Tensor) -> Tensor:
    return v / 2 - 2 * v**3 + v**5


@register_game("nonconvex_nonconcave")
@dataclass(frozen=True, kw_only=True)
class NonconvexNonconcave(Game):
    r"""Nonconvex-nonconcave games whose critical point repels and whose orbits end on a limit cycle.

    ``variant="almost_bilinear"``:
    $$ f(x, y) = x y + \varepsilon\,\phi(y), \qquad \phi(y) = \tfrac12 y^2 - \tfrac14 y^4 $$
    Near the origin the max player faces a local *minimum* in $y$, so the unique critical point
    is unstable for GDA, extragradient and optimism alike; far away $-y^4/4$ confines the orbit.
    Every method is drawn to a spurious attracting cycle.

    ``variant="forsaken"``:
    $$ f(x, y) = x\,(y - 0.45) + \phi(x) - \phi(y), \qquad
       \phi(v) = \tfrac14 v^2 - \tfrac12 v^4 + \tfrac16 v^6 $$
    with an unstable critical point surrounded by an attracting limit cycle and a repelling one.

    References:
        Hsieh, Mertikopoulos, Cevher, "The limits of min-max optimization algorithms:
        convergence to spurious non-critical sets", ICML 2021 (arXiv:2006.09065).
        Pethick, Latafat, Patrinos, Fercoq, Cevher, "Escaping limit cycles: Global convergence
        for constrained nonconvex-nonconcave minimax problems", ICLR 2022.

    """

    variant: str = hparam("almost_bilinear", choices=("almost_bilinear", "forsaken"), help="which game")
    eps: float = hparam(0.5, low=0.0, high=2.0, help="ε, the weight of φ(y) (almost_bilinear)")

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        x, y = x[:, 0], y[:, 0]
        if self.variant == "almost_bilinear":
            return x * y + self.eps * (0.5 * y**2 - 0.25 * y**4)
        return x * (y - 0.45) + _phi_forsaken(x) - _phi_forsaken(y)

    def xi(self, z: Tensor) -> Tensor:
        return torch.cat([self.xi_x(z), self.xi_y(z)], dim=1)

    def xi_x(self, z: Tensor) -> Tensor:
        x, y = z[:, 0:1], z[:, 1:2]
        if self.variant == "almost_bilinear":
            return y
        return (y - 0.45) + _dphi_forsaken(x)

    def xi_y(self, z: Tensor) -> Tensor:
        x, y = z[:, 0:1], z[:, 1:2]
        if self.variant == "almost_bilinear":
            return -(x + self.eps * (y - y**3))
        return -(x - _dphi_forsaken(y))

    def equilibrium(self) -> Optional[tuple[tuple[float, ...], tuple[float, ...]]]:
        if self.variant == "almost_bilinear":
            return (0.0,), (0.0,)
        # the critical point of "forsaken" has no closed form: Newton on xi(z) = 0 from the origin
        z = torch.zeros(1, 2, dtype=torch.float64)
        for _ in range(50):
            J = jacobian(self, z)[0]
            z = z - torch.linalg.solve(J, self.xi(z)[0])[None]
        x_star, y_star = (float(v) for v in z[0])
        return (x_star,), (y_star,)

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return ((-2.0, 2.0), (-2.0, 2.0)) if self.variant == "almost_bilinear" else ((-1.5, 1.5), (-1.5, 1.5))


__all__ = ["NonconvexConcave", "NonconvexNonconcave"]
