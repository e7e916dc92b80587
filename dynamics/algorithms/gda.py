"""Gradient descent-ascent, simultaneous and alternating (docs/algorithms.md §1-3)."""

from __future__ import annotations

from dataclasses import dataclass

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from ..updates import ALTERNATING_ORDERS, alternate_descent


@register_algorithm("gda")
@dataclass(frozen=True, kw_only=True)
class GDA(GradientAlgorithm):
    r"""Simultaneous gradient descent-ascent: both players step from the same point.

    $$ x_{t+1} = x_t - \eta_x \nabla_x f(x_t, y_t), \qquad
       y_{t+1} = y_t + \eta_y \nabla_y f(x_t, y_t) $$

    i.e. $z_{t+1} = z_t - \eta\,\xi(z_t)$. With $\eta_x \neq \eta_y$ this is the two-timescale
    update (TTUR). On $f = xy$ its eigenvalues are $1 \pm i\eta$ and it spirals out with
    $\rho = \sqrt{1 + \eta_x\eta_y}$ for every step size.

    References:
        Mescheder, Nowozin, Geiger, "The Numerics of GANs", NeurIPS 2017 (arXiv:1705.10461).
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule", NeurIPS 2017 (arXiv:1706.08500).

    """

    reference = "docs/algorithms.md §1, §3; oracle: |z_T| = (1+η²)^{T/2} |z_0| on f = xy"

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        return self.descend(game, z, game.xi(z)), state


@register_algorithm("alt_gda")
@dataclass(frozen=True, kw_only=True)
class AltGDA(GradientAlgorithm):
    r"""Alternating gradient descent-ascent: the second player sees the first player's new move.

    $$ x_{t+1} = x_t - \eta_x \nabla_x f(x_t, y_t), \qquad
       y_{t+1} = y_t + \eta_y \nabla_y f(x_{t+1}, y_t) $$

    (``order="y_first"`` updates the discriminator first, WGAN style.) On $f = xy$ the update
    matrix has determinant 1: for $\eta_x\eta_y < 4$ the orbit is bounded and cycles forever,
    conserving $Q = x^2 + y^2 - \eta\,xy$ exactly (x first; $+\eta\,xy$ for y first).

    References:
        Gidel et al., "Negative Momentum for Improved Game Dynamics", AISTATS 2019 (arXiv:1807.04740).
        Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
        ICML 2018 (arXiv:1801.04406).

    """

    reference = "docs/algorithms.md §2; oracle: Q = x² + y² − ηxy conserved on f = xy"
    order: str = hparam("x_first", choices=ALTERNATING_ORDERS, help="which player moves first")

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        return alternate_descent(game, z, self.eta_x, self.eta_y, self.order), state


__all__ = ["GDA", "AltGDA"]
