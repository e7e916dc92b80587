"""Optimistic Adam (docs/algorithms.md §6): the one Adam step, used optimistically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..registry import register_algorithm
from ..types import Tensor
from .adam import AdamSettings, adam_setting


class OptimisticAdamState(NamedTuple):
    m: Tensor  # (B, D) first moment
    v: Tensor  # (B, D) second moment
    t: Tensor  # () step count (float, shared by all rows)
    d_prev: Tensor  # (B, D) the previous Adam direction (zero before the first step)


@register_algorithm("optimistic_adam")
@dataclass(frozen=True, kw_only=True)
class OptimisticAdam(AdamSettings, GradientAlgorithm):
    r"""Optimistic Adam: optimistic mirror descent with Adam's direction in place of the gradient.

    With $d_t$ the Adam direction of step $t$ (moments and bias corrections as in ``adam``):
    $$ z_{t+1} = z_t - 2\eta\, d_t + \eta\, d_{t-1}, \qquad d_0 = 0 $$
    so the first step is a plain Adam step with twice the step size, and on later steps the
    previous direction is taken back once. With $\beta_1 = 0$, no bias correction of $v$ and
    $\beta_2 \to 1$ it reduces to optimistic GDA with a rescaled step.

    References:
        Daskalakis, Ilyas, Syrgkanis, Zeng, "Training GANs with Optimism", ICLR 2018
        (arXiv:1711.00141). An implementation: ``optim/omd.py`` in
        GauthierGidel/Variational-Inequality-GAN (ε outside the bias correction there: O(ε) apart).

    """

    reference = "docs/algorithms.md §6; oracle: a float64 numpy replay of the update on f = xy"
    beta1: float = adam_setting("beta1", 0.5, advanced=False)  # the authors' GAN settings β = (0.5, 0.9)
    beta2: float = adam_setting("beta2", 0.9, advanced=False)

    def init(self, game: Game, z: Tensor) -> OptimisticAdamState:
        zero = torch.zeros((), dtype=z.dtype, device=z.device)
        return OptimisticAdamState(torch.zeros_like(z), torch.zeros_like(z), zero, torch.zeros_like(z))

    def step(self, game: Game, z: Tensor, state: OptimisticAdamState) -> tuple[Tensor, OptimisticAdamState]:
        t = state.t + 1
        d, m, v = self.adam_direction(game.xi(z), state.m, state.v, t)
        z_next = z - self.scale(game, 2 * d - state.d_prev)
        return z_next, OptimisticAdamState(m, v, t, d)


__all__ = ["OptimisticAdam", "OptimisticAdamState"]
