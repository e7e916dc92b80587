"""Unrolled GAN (docs/algorithms.md §14)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Optional

import torch

from ..algorithm import GradientAlgorithm
from ..autodiff import grad_of, needs_graph
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from .adam import OPTIMIZERS, AdamOption, adam_setting


class UnrolledAdamState(NamedTuple):
    m: Tensor  # (B, D) first moments of both players' Adam
    v: Tensor  # (B, D) second moments
    t: Tensor  # (B,) long, Adam steps taken so far


@register_algorithm("unrolled")
@dataclass(frozen=True, kw_only=True)
class Unrolled(AdamOption, GradientAlgorithm):
    r"""Unrolled GAN: the generator steps on the loss after K simulated discriminator steps.

    $$ y^0 = y_t,\quad y^{k+1} = y^k + \eta_y \nabla_y f(x_t, y^k)\ (k < K), \qquad
       f_K(x) = f\big(x, y^K(x)\big) $$
    $$ x_{t+1} = x_t - \eta_x \frac{d f_K}{d x}(x_t), \qquad
       y_{t+1} = y_t + \eta_y \nabla_y f(x_t, y_t) $$

    The generator uses the **total** derivative
    $\partial_x f(x, y^K) + (\partial y^K/\partial x)^\top \partial_y f(x, y^K)$, obtained by
    backpropagating through the K inner steps; the discriminator takes one ordinary step from
    $y_t$ (not $y^K$), simultaneously. General-sum games unroll $y^{k+1} = y^k - \eta_y\nabla_y\ell_y$
    and differentiate $\ell_x(x, y^K(x))$. With ``optimizer="adam"`` both players use Adam and the
    inner steps unroll the discriminator's Adam update including its moments, as in the authors'
    demo. On $f = xy$ with SGD steps the generator's direction is $y + 2K\eta_y x$, so every
    $K \ge 1$ converges ($\rho = 0.9539392014$ for $K = 5$, $\eta = 0.1$) and $K = 0$ is GDA.

    Defaults from the authors' demo: $K = 5$, Adam with lr$_D = 10^{-4}$, lr$_G = 10^{-3}$,
    $\beta_1 = 0.5$, $\epsilon = 10^{-8}$ (set ``optimizer="adam"``, ``lr_x``, ``lr_y``).

    References:
        Metz, Poole, Pfau, Sohl-Dickstein, "Unrolled Generative Adversarial Networks", ICLR 2017
        (arXiv:1611.02163); code: poolio/unrolled_gan.

    """

    group = "second-order"
    second_order = True
    reference = "docs/algorithms.md §14; oracle: f = xy, ∇̃_x = y + 2Kη_y x; K=1: ρ = 0.9949874371, K=5: 0.9539392014"

    unroll_steps: int = hparam(5, low=0, high=50, help="K, simulated discriminator steps")
    beta1: float = adam_setting("beta1", 0.5)  # the authors' demo

    def step_cost(self, game: Game) -> float:
        return 3.0 * (1 + self.unroll_steps)  # K inner steps, differentiated through

    def init(self, game: Game, z: Tensor) -> State:
        if self.optimizer == "sgd":
            return ()
        return UnrolledAdamState(torch.zeros_like(z), torch.zeros_like(z),
                                 torch.zeros(z.shape[0], dtype=torch.long, device=z.device))

    def _adam(self, g: Tensor, m: Tensor, v: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One Adam direction from moments (m, v) at step count t (B,) (already incremented)."""
        # the tiny shift keeps the unrolled derivative finite where v = 0 (sqrt'(0) = inf)
        return self.adam_direction(g, m, v, t.to(g.dtype)[:, None], shift=1e-30)

    def _unrolled_y(self, game: Game, x: Tensor, y: Tensor, st: Optional[UnrolledAdamState],
                    first: list[Tensor]) -> Tensor:
        yk = y
        if st is not None:
            my, vy = game.split(st.m)[1], game.split(st.v)[1]
        for k in range(self.unroll_steps):
            g = game.xi_y(game.join(x, yk))  # (B, dy): the discriminator's descent direction
            if k == 0:
                first.append(g)  # = the discriminator's own gradient at (x_t, y_t): reused below
            if st is None:
                yk = yk - self.eta_y * g
            else:
                d, my, vy = self._adam(g, my, vy, st.t + k + 1)
                yk = yk - self.eta_y * d
        return yk

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        x, y = game.split(z)
        st = state if self.optimizer == "adam" else None

        first: list[Tensor] = []

        def unrolled_loss(xx: Tensor) -> Tensor:  # (B,): l_x(x, y^K(x))
            return game.losses(xx, self._unrolled_y(game, xx, y, st, first))[0]

        gx = grad_of(unrolled_loss, x)  # (B, dx): total derivative df_K/dx
        # the discriminator's ordinary step uses the unroll's first gradient (same point, same value)
        # (when differentiated from outside, grad_of used x itself, so the graph stays connected)
        if first:
            gy = first[0] if needs_graph(x) else first[0].detach()  # (B, dy)
        else:
            gy = game.xi_y(z)
        if st is None:
            return game.join(x - self.eta_x * gx, y - self.eta_y * gy), state
        t = st.t + 1
        d, m, v = self._adam(game.join(gx, gy), st.m, st.v, t)
        return z - self.scale(game, d), UnrolledAdamState(m, v, t)


__all__ = ["Unrolled", "UnrolledAdamState", "OPTIMIZERS"]
