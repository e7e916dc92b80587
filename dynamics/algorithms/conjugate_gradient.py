"""Conjugate-gradient method for GANs of Naganuma & Iiduka (docs/algorithms.md §18)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..algorithm import GradientAlgorithm
from ..autodiff import batched_dot
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from ..updates import ORDERS

RULES = ("FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ")


class CGState(NamedTuple):
    g_prev: Tensor  # (B, D) each player's previous gradient
    d_prev: Tensor  # (B, D) each player's previous direction
    n: Tensor  # (B,) long, steps taken


def _safe_div(num: Tensor, den: Tensor) -> Tensor:
    """Num / den with 0 where den == 0 (β = 0 when a rule's denominator vanishes)."""
    ok = den != 0
    return torch.where(ok, num / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(num))


@register_algorithm("conjugate_gradient")
@dataclass(frozen=True, kw_only=True)
class ConjugateGradient(GradientAlgorithm):
    r"""Nonlinear conjugate-gradient steps, each player on its own loss.

    Per player, with $g_t$ its gradient ($\xi_x$ or $\xi_y$) and $\eta_t$ the scheduled step:
    $$ d_0 = -g_0, \qquad d_t = -g_t + \beta_t d_{t-1}, \qquad
       \beta_t = \mathrm{coef}\cdot\min\!\left(\mathrm{rule}(g_t, g_{t-1}, d_{t-1}), \tfrac12\right),
       \qquad p_{t+1} = p_t + \eta_t d_t, $$
    with $u = g_t - g_{t-1}$ and the rules FR $\|g_t\|^2/\|g_{t-1}\|^2$, PRP
    $g_t^\top u/\|g_{t-1}\|^2$, HS $g_t^\top u/d_{t-1}^\top u$, DY $\|g_t\|^2/d_{t-1}^\top u$, the
    hybrids HS_DY $= \max(0, \min(\mathrm{HS}, \mathrm{DY}))$ and FR_PRP
    $= \max(0, \min(\mathrm{FR}, \mathrm{PRP}))$, and HZ
    $= \mathrm{HS} - 2\|u\|^2 g_t^\top d_{t-1}/(d_{t-1}^\top u)^2$; $\beta = 0$ where a
    denominator vanishes. This is the textbook form (the authors' toy file ascends on its first
    step, subtracts the gradient twice and aliases the previous gradient; none of that is copied).
    $\eta_t$ comes from the step-size schedule every algorithm shares (``schedule``: constant,
    ``inv_sqrt`` $\eta/\sqrt{n+1}$, ``step`` $\times$``decay`` every ``decay_every`` steps as in the
    authors' "diminishing" sweeps, ``exponential`` $\eta\,\gamma^n$, ``inv`` $\eta/(n+1)$). The
    players move simultaneously by default (``order`` alternates them, as the paper's toy). Per
    player CG is not a convergent game method on bilinear problems: on $f = xy$ with
    $\eta = 0.1$ FR and DY diverge, PRP ends near $(0.0134, -1.0109)$ after 100 steps.

    Defaults from the authors' code: coef 1 (sweeps 0.5, 0.75, 1), lr $2\cdot10^{-4}$ on GANs,
    step decay 0.9 per 10k steps. The unpublished optimiser's default rule is unknown; PRP, the
    rule that stays bounded on the bilinear toy, is the default here.

    References:
        Naganuma, Iiduka, "Conjugate Gradient Method for Generative Adversarial Networks",
        AISTATS 2023 (arXiv:2203.14495); code: Hiroki11x/ConjugateGradient_GAN.

    """

    group = "conjugate gradient"
    reference = "docs/algorithms.md §18; oracle: f = xy, η = 0.1, 100 steps: PRP → (0.0134258, −1.0109470)"

    rule: str = hparam("PRP", choices=RULES, help="formula for β_t")
    coef: float = hparam(1.0, low=0.0, high=1.0, help="coef multiplying the capped β_t")
    mu: float = hparam(2.0, low=0.0, high=100.0, advanced=True, help="μ of the HZ rule")
    order: str = hparam("simultaneous", choices=ORDERS, help="both players at once, or alternating")

    def init(self, game: Game, z: Tensor) -> State:
        return CGState(torch.zeros_like(z), torch.zeros_like(z),
                       torch.zeros(z.shape[0], dtype=torch.long, device=z.device))

    def _beta(self, g: Tensor, g_prev: Tensor, d_prev: Tensor) -> Tensor:
        """(B,) β_t of one player from (B, n) vectors, before the cap and coef."""
        u = g - g_prev
        gg, gpgp = batched_dot(g, g), batched_dot(g_prev, g_prev)
        gu, du = batched_dot(g, u), batched_dot(d_prev, u)
        fr, prp = _safe_div(gg, gpgp), _safe_div(gu, gpgp)
        hs, dy = _safe_div(gu, du), _safe_div(gg, du)
        if self.rule == "FR":
            return fr
        if self.rule == "PRP":
            return prp
        if self.rule == "HS":
            return hs
        if self.rule == "DY":
            return dy
        if self.rule == "HS_DY":
            return torch.clamp(torch.minimum(hs, dy), min=0.0)
        if self.rule == "FR_PRP":
            return torch.clamp(torch.minimum(fr, prp), min=0.0)
        # HZ (Hager-Zhang)
        return torch.where(du != 0, hs - self.mu * _safe_div(batched_dot(u, u) * batched_dot(g, d_prev), du * du),
                           torch.zeros_like(hs))

    def _direction(self, g: Tensor, g_prev: Tensor, d_prev: Tensor, first: Tensor) -> Tensor:
        beta = self.coef * torch.clamp(self._beta(g, g_prev, d_prev), max=0.5)  # (B,)
        beta = torch.where(first, torch.zeros_like(beta), beta)  # d_0 = −g_0
        return -g + beta[:, None] * d_prev

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        gxp, gyp = game.split(state.g_prev)
        dxp, dyp = game.split(state.d_prev)
        first = state.n == 0
        x, y = game.split(z)

        def move_x(w: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            g = game.xi_x(w)
            d = self._direction(g, gxp, dxp, first)
            return game.split(w)[0] + self.eta_x * d, g, d

        def move_y(w: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            g = game.xi_y(w)
            d = self._direction(g, gyp, dyp, first)
            return game.split(w)[1] + self.eta_y * d, g, d

        if self.order == "simultaneous":
            (x1, gx, dx), (y1, gy, dy) = move_x(z), move_y(z)
            z_next = game.join(x1, y1)
        elif self.order == "x_first":
            x1, gx, dx = move_x(z)
            w = game.project(game.join(x1, y))
            y1, gy, dy = move_y(w)
            z_next = game.join(game.split(w)[0], y1)
        else:
            y1, gy, dy = move_y(z)
            w = game.project(game.join(x, y1))
            x1, gx, dx = move_x(w)
            z_next = game.join(x1, game.split(w)[1])
        return z_next, CGState(game.join(gx, gy), game.join(dx, dy), state.n + 1)


__all__ = ["ConjugateGradient", "CGState", "RULES", "ORDERS"]
