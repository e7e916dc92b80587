"""Consensus optimization (docs/algorithms.md §10)."""

from __future__ import annotations

from dataclasses import dataclass

from ..algorithm import GradientAlgorithm
from ..autodiff import linearize_xi
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from ..updates import ORDERS, alternate


@register_algorithm("consensus")
@dataclass(frozen=True, kw_only=True)
class Consensus(GradientAlgorithm):
    r"""Consensus optimization: descend the field plus the gradient of its squared norm.

    $$ z_{t+1} = z_t - \eta\left(\xi(z_t) + \gamma\,\nabla \mathcal{L}(z_t)\right), \qquad
       \mathcal{L} = \tfrac12\|\xi\|^2,\quad \nabla\mathcal{L} = H^\top \xi $$

    $H = \partial\xi/\partial z$ is the game Jacobian; $H^\top\xi$ costs one reverse pass. The
    extra term pulls both players towards stationary points of the field, damping the rotation
    that makes simultaneous GDA spiral out. On $f = xy$ the step matrix is
    $I - \eta(M + \gamma I)$ with eigenvalues $1 - \eta\gamma \pm i\eta$, so
    $\rho = \sqrt{(1-\eta\gamma)^2 + \eta^2}$ and it converges iff $\eta < 2\gamma/(1+\gamma^2)$.
    General-sum games work the same way (with $\xi = (\nabla_x\ell_x, \nabla_y\ell_y)$).

    ``order="x_first"`` / ``"y_first"`` alternate the players (as the Dirac-GAN notebook's
    ``trajectory_altgd`` does with its consensus field): one player steps along its part of
    $\xi + \gamma H^\top\xi$, then the other along its part evaluated at the updated point. On
    $f = xy$ (x first) the step matrix is $[[1-\eta\gamma, -\eta], [\eta(1-\eta\gamma),
    1-\eta\gamma-\eta^2]]$ with determinant $(1-\eta\gamma)^2$: for $\eta^2 < 4(1-\eta\gamma)$ its
    eigenvalues are complex with $\rho = |1-\eta\gamma|$ (0.9 at $\eta = 0.1$, $\gamma = 1$, against
    0.9055 simultaneous). Each alternating step linearises the field twice.

    Defaults from the authors' code: $\gamma$ (``reg_param``) $= 10$ with RMSProp lr $10^{-4}$ on
    the mixture of Gaussians; here the plain step with $\gamma = 1$ suits the toy games.

    References:
        Mescheder, Nowozin, Geiger, "The Numerics of GANs", NeurIPS 2017 (arXiv:1705.10461);
        code: LMescheder/TheNumericsOfGANs, consensus_gan/optimizer.py.

    """

    group = "second-order"
    second_order = True
    cost = 3.0
    reference = "docs/algorithms.md §10; oracle: ρ = sqrt((1−ηγ)² + η²) on f = xy (0.9055385138 at η = 0.1, γ = 1)"

    gamma: float = hparam(1.0, low=0.0, high=100.0, help="γ, weight of the consensus term ∇½|ξ|²")
    order: str = hparam("simultaneous", choices=ORDERS, help="both players at once, or alternating")

    def direction(self, game: Game, z: Tensor) -> Tensor:
        """(B, D) ξ + γ Hᵀξ at ``z``."""
        lin = linearize_xi(game, z)
        xi = lin.xi  # (B, D)
        return xi + self.gamma * lin.vjp(xi)

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        if self.order == "simultaneous":
            return z - self.scale(game, self.direction(game, z)), state

        def move_x(w: Tensor) -> Tensor:
            return game.split(w)[0] - self.eta_x * game.split(self.direction(game, w))[0]

        def move_y(w: Tensor) -> Tensor:
            return game.split(w)[1] - self.eta_y * game.split(self.direction(game, w))[1]

        return alternate(game, z, move_x, move_y, self.order), state


__all__ = ["Consensus", "ORDERS"]
