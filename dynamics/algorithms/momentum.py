"""Heavy-ball momentum, positive or negative, simultaneous or alternating (docs/algorithms.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import Tensor
from ..updates import ORDERS, alternate, axpy


class MomentumState(NamedTuple):
    z_prev: Tensor  # (B, D) the previous iterate z_{t-1}


@register_algorithm("momentum")
@dataclass(frozen=True, kw_only=True)
class Momentum(GradientAlgorithm):
    r"""Gradient descent-ascent with heavy-ball momentum; $\beta$ may be negative.

    $$ z_{t+1} = z_t - \eta\,\xi(z_t) + \beta\,(z_t - z_{t-1}), \qquad z_{-1} = z_0 $$

    Alternating (x first): $x_{t+1} = x_t - \eta\nabla_x f(x_t, y_t) + \beta(x_t - x_{t-1})$,
    then $y_{t+1} = y_t + \eta\nabla_y f(x_{t+1}, y_t) + \beta(y_t - y_{t-1})$. On $f = xy$ only
    the alternating update with negative momentum converges ($-1 + \eta/2 < \beta < 0$, best
    $\beta \approx -\tfrac12$); simultaneous updates diverge for every $\beta$.

    References:
        Gidel, Askari Hemmat, Pezeshki, Le Priol, Huang, Lacoste-Julien, Mitliagkas, "Negative
        Momentum for Improved Game Dynamics", AISTATS 2019 (arXiv:1807.04740).

    """

    reference = "docs/algorithms.md §4; oracle: §23.1 momentum rows (alt β=−0.5: ρ = 0.9985177891)"
    beta: float = hparam(-0.5, low=-1.0, high=1.0, help="momentum β (negative damps rotation)")
    order: str = hparam("x_first", choices=ORDERS, help="simultaneous or which player moves first")

    def init(self, game: Game, z: Tensor) -> MomentumState:
        return MomentumState(z_prev=z)

    def step(self, game: Game, z: Tensor, state: MomentumState) -> tuple[Tensor, MomentumState]:
        velocity = z - state.z_prev  # (B, D)
        if self.order == "simultaneous":
            return z - self.scale(game, game.xi(z)) + self.beta * velocity, MomentumState(z)
        vx, vy = game.split(velocity)
        dx, eta_x, eta_y, beta = game.dim_x, self.eta_x, self.eta_y, self.beta  # read once per step

        def move_x(w: Tensor) -> Tensor:
            return axpy(axpy(w[:, :dx], game.xi_x(w), eta_x), vx, -beta)  # x - η ξ_x + β v_x

        def move_y(w: Tensor) -> Tensor:
            return axpy(axpy(w[:, dx:], game.xi_y(w), eta_y), vy, -beta)

        return alternate(game, z, move_x, move_y, self.order), MomentumState(z)
