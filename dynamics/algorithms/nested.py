"""k-step nested (n_critic) updates (docs/algorithms.md §19)."""

from __future__ import annotations

from dataclasses import dataclass

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import Tensor


@register_algorithm("nested")
@dataclass(frozen=True, kw_only=True)
class Nested(GradientAlgorithm):
    r"""k ascent steps of the max player (the critic) per descent step of the min player.

    $$ y \leftarrow y + \eta_y \nabla_y f(x, y) \;\; (k \text{ times}), \qquad
       x \leftarrow x - \eta_x \nabla_x f(x, y) $$

    WGAN's ``n_critic`` (k = 5, with the critic's weights clipped by the game's projection after
    every critic step). On $f = xy$ it is alternating GDA with $\eta_y \to k\eta_y$: bounded
    cycling iff $k\eta_x\eta_y < 4$.

    References:
        Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017 (arXiv:1701.07875).
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.

    """

    reference = "docs/algorithms.md §19; oracle: k = 5 NE z_100 = (−0.6870368339, −1.8701524375)"
    k: int = hparam(5, low=1, high=100, help="critic (max-player) steps per generator step")

    def step_cost(self, game: Game) -> float:
        return 1.0 + self.k

    def step(self, game: Game, z: Tensor, state: tuple) -> tuple[Tensor, tuple]:
        for _ in range(self.k):
            x, y = game.split(z)
            z = game.project(game.join(x, y - self.eta_y * game.xi_y(z)))
        x, y = game.split(z)
        return game.join(x - self.eta_x * game.xi_x(z), y), state
