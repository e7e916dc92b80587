"""Smoothed GDA (docs/algorithms.md §15) and the double-smoothed discriminator scheme (§16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from ..updates import alternate
from .adam import OPTIMIZERS, AdamOption, PlayerAdam

PENALTIES = ("norm", "global_norm", "squared")
DOUBLE_ORDERS = ("x_first", "simultaneous")


def block_sizes_y(game: Game) -> tuple[int, ...]:
    """Sizes of the max player's parameter tensors in layout order (``game.y_block_sizes`` if the game
    has several, e.g. a GAN's discriminator layers; one block of ``dim_y`` otherwise).
    """
    sizes = tuple(getattr(game, "y_block_sizes", ()) or (game.dim_y,))
    if sum(sizes) != game.dim_y:
        raise ValueError(f"y_block_sizes {sizes} do not add up to dim_y={game.dim_y}")
    return sizes


def per_block_unit(diff: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """Gradient of Σ_k ‖diff_k‖ over the blocks ``sizes`` of ``diff`` (B, dy): diff_k / ‖diff_k‖ per block.

    The subgradient 0 is used in a block where diff_k = 0 (e.g. right after the slow copy is taken).
    """
    if len(sizes) == 1:
        norms = diff.norm(dim=1, keepdim=True)  # (B, 1)
    else:
        idx = torch.repeat_interleave(torch.arange(len(sizes), device=diff.device),
                                      torch.tensor(sizes, device=diff.device))  # (dy,) block of each entry
        sq = torch.zeros(diff.shape[0], len(sizes), dtype=diff.dtype, device=diff.device)
        norms = sq.index_add_(1, idx, diff * diff).sqrt()[:, idx]  # (B, dy) each entry's block norm
    nonzero = norms > 0
    return torch.where(nonzero, diff / torch.where(nonzero, norms, torch.ones_like(norms)), 0.0)


class SmoothedGDAState(NamedTuple):
    anchor: Tensor  # (B, dim_x) the slow copy z of x


class SmoothedGDAAdamState(NamedTuple):
    """:class:`SmoothedGDAState` plus both players' Adam moments and per-player Adam step counts."""

    anchor: Tensor  # (B, dim_x)
    m: Tensor  # (B, D) first moments (x part: min player's Adam, y part: max player's)
    v: Tensor  # (B, D) second moments
    t_x: Tensor  # (B,) long: Adam steps the min player has taken
    t_y: Tensor  # (B,) long: Adam steps the max player has taken


@register_algorithm("sgda")
@dataclass(frozen=True, kw_only=True)
class SmoothedGDA(AdamOption, GradientAlgorithm):
    r"""Smoothed GDA: alternating GDA on a proximally smoothed objective with a slow anchor.

    With $K(x, z; y) = f(x, y) + \tfrac{p}{2}\|x - z\|^2$:
    $$ x_{t+1} = P_X\!\left(x_t - c\left(\nabla_x f(x_t, y_t) + p\,(x_t - z_t)\right)\right), \qquad
       y_{t+1} = P_Y\!\left(y_t + \alpha \nabla_y f(x_{t+1}, y_t)\right), $$
    $$ z_{t+1} = z_t + \beta\,(x_{t+1} - z_t), \qquad z_0 = x_0. $$
    The step sizes are $c = \eta_x$ and $\alpha = \eta_y$; $y$ sees the new $x$ (Gauss-Seidel),
    and the game's projection is applied after each player's half-step. The anchor $z$ is an
    exponential average of $x$ that the proximal term pulls $x$ towards, which damps the cycling
    of alternating GDA on nonconvex-concave problems. $p = 0$ is exactly alternating GDA (x first).
    On $f = xy$ with $c = \alpha = 0.1$: $p = 1, \beta = 0.1$ converges with $\rho = 0.9878181701$
    on the state $(x, y, z)$.

    The paper's constants were not retrieved (theory: $p > L$, $c < 1/(p + L)$, $\alpha \approx 1/L$,
    $\beta$ small); the defaults $p = 1$, $\beta = 0.1$ are the converging toy example.

    With ``optimizer="adam"`` each player's full gradient (for $x$ the proximal term included,
    $\nabla_x f + p(x - z)$) is replaced by its ``torch.optim.Adam`` direction (one optimiser per
    player with its own moments and step count, lr $= c$ resp. $\alpha$, betas ``beta1``,
    ``beta2``), as the Smoothed-GDA repository trains its GANs (Adam lr $2\cdot10^{-4}$, betas
    (0.9, 0.999), on the losses including the smoothing terms).

    References:
        Zhang, Xiao, Sun, Luo, "A Single-Loop Smoothed Gradient Descent-Ascent Algorithm for
        Nonconvex-Concave Min-Max Problems", NeurIPS 2020 (arXiv:2010.15768); update form as in
        TaoliZheng/Doubly-Smoothed-Gradient-Descent-Ascent- (DSGDA.m).

    """

    group = "smoothed"
    reference = "docs/algorithms.md §15; oracle: (x, y, z) matrix on f = xy, ρ = 0.9878181701 at p = 1, β = 0.1"

    p: float = hparam(1.0, low=0.0, high=100.0, help="p, weight of the proximal term (p/2)|x − z|²")
    beta: float = hparam(0.1, low=1e-6, high=1.0, help="β, speed of the anchor z ← z + β(x − z)")

    def init(self, game: Game, z: Tensor) -> State:
        anchor = game.split(z)[0].clone()
        if self.optimizer == "sgd":
            return SmoothedGDAState(anchor)
        return SmoothedGDAAdamState(anchor, *PlayerAdam.init(z))

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        anchor = state.anchor  # (B, dx)
        players = self.players(game, state)

        def move_x(w: Tensor) -> Tensor:
            x = game.split(w)[0]
            return x - self.eta_x * players.direction("x", game.xi_x(w) + self.p * (x - anchor))

        def move_y(w: Tensor) -> Tensor:
            return game.split(w)[1] - self.eta_y * players.direction("y", game.xi_y(w))

        z_next = alternate(game, z, move_x, move_y, "x_first")
        x_next = game.split(z_next)[0]
        new_anchor = anchor + self.beta * (x_next - anchor)
        if self.optimizer == "sgd":
            return z_next, SmoothedGDAState(new_anchor)
        return z_next, SmoothedGDAAdamState(new_anchor, *players.fields())


class DoubleSmoothedState(NamedTuple):
    anchor: Tensor  # (B, dim_y) the slow discriminator D̄
    t: Tensor  # (B,) long, iterations taken (the averaging starts after swa_start)


class DoubleSmoothedAdamState(NamedTuple):
    """:class:`DoubleSmoothedState` plus both players' Adam moments and per-player Adam step counts."""

    anchor: Tensor  # (B, dim_y)
    t: Tensor  # (B,) long
    m: Tensor  # (B, D) first moments (x part: generator's Adam, y part: discriminator's)
    v: Tensor  # (B, D) second moments
    t_x: Tensor  # (B,) long: Adam steps the generator has taken
    t_y: Tensor  # (B,) long: Adam steps the discriminator has taken


@register_algorithm("double_sgda")
@dataclass(frozen=True, kw_only=True)
class DoubleSmoothedGDA(AdamOption, GradientAlgorithm):
    r"""Double-smoothed GDA: a slow discriminator anchors the fast one and also trains the generator.

    Toy analogue of the ``ojus1/SmoothedGradientDescentAscent`` scheme, with $\bar y$ the slow
    discriminator (an exponential average of $y$) and $\xi$ the descent field:
    $$ x_{t+1} = x_t - \eta_x\left(\xi_x(x_t, y_t) + p\,\xi_x(x_t, \bar y_t)\right), \qquad
       y_{t+1} = y_t - \eta_y\left(\xi_y(x_t, y_t) + p\,\frac{y_t - \bar y_t}{\|y_t - \bar y_t\|}\right), $$
    $$ \bar y_{t+1} = (1 - \beta)\,\bar y_t + \beta\,y_t \quad (t > t_0), \qquad
       \bar y_{t_0} = y_{t_0}, \qquad \bar y_t = y_0 \ (t < t_0). $$
    The generator's loss adds $p$ times its loss against $\bar y$; the discriminator's loss adds
    the **unsquared** distance $p\sum_k\|y_k - \bar y_k\|$, summed over the discriminator's
    parameter tensors $y_k$ as the repo does (``game.y_block_sizes`` gives the layout; a flat game is
    one tensor); ``penalty="global_norm"`` uses one norm over all of $y$ and ``penalty="squared"``
    $\tfrac{p}{2}\|y - \bar y\|^2$. As in ``AveragedModel``, the first update at
    $t_0$ = ``swa_start`` copies $y$ and later ones average the pre-step weights; the repo's
    ``swa_start = 10`` counts Lightning calls (two per batch), i.e. 5 iterations.

    Order: ``order="x_first"`` (default, the repo's Lightning loop) steps the generator first and
    the discriminator then sees the new generator, $\xi_y(x_{t+1}, y_t)$; ``order="simultaneous"``
    uses $\xi_y(x_t, y_t)$ (the equations above). ``generator_term=False`` drops the generator's
    $\bar y$ term, which is the repo's ``SGDA.py`` (there with ``swa_start`` 50 calls = 25 iterations).
    Works on any game, including GAN games that expose their field.

    ``optimizer="sgd"`` (default) takes the plain steps above. ``optimizer="adam"`` matches the
    repo, which trains G and D with ``torch.optim.Adam`` (lr $2\cdot10^{-4}$, default betas
    (0.9, 0.999)) on their full losses: each player's whole gradient above (the $\bar y$ term or
    the penalty included) is replaced by its Adam direction, with one set of moments and one step
    count per player; the step sizes $\eta_x, \eta_y$ become the Adam learning rates.

    Defaults from the authors' code: $p = 0.5$, $\beta = 0.1$, ``swa_start`` 10 calls (5 iterations).

    References:
        Code: github.com/ojus1/SmoothedGradientDescentAscent (DoubleSmoothedGDA.py); after Zhang,
        Xiao, Sun, Luo (arXiv:2010.15768).

    """

    group = "smoothed"
    reference = ("docs/algorithms.md §16 (toy analogue); no published oracle: p = 0 is alternating GDA (x first), "
                 "simultaneous GDA with order='simultaneous'")

    p: float = hparam(0.5, low=0.0, high=100.0, help="p, weight of the slow discriminator terms")
    beta: float = hparam(0.1, low=1e-6, high=1.0, help="β, EMA rate of the slow discriminator")
    swa_start: int = hparam(5, low=0, high=1_000_000, help="iterations before the slow copy starts averaging")
    penalty: str = hparam("norm", choices=PENALTIES, advanced=True,
                          help="p·Σ_k|y_k − ȳ_k| per tensor (repo), p|y − ȳ| one global norm, or (p/2)|y − ȳ|²")
    order: str = hparam("x_first", choices=DOUBLE_ORDERS,
                        help="generator step first, the discriminator sees it (repo), or both at once")
    generator_term: bool = hparam(True, help="the generator also descends p·(its loss against ȳ) (off: SGDA.py)")

    def init(self, game: Game, z: Tensor) -> State:
        anchor = game.split(z)[1].clone()
        t = torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        if self.optimizer == "sgd":
            return DoubleSmoothedState(anchor, t)
        return DoubleSmoothedAdamState(anchor, t, *PlayerAdam.init(z))

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        x, y = game.split(z)
        anchor, t = state.anchor, state.t
        diff = y - anchor  # (B, dy)
        if self.penalty == "norm":
            pull = per_block_unit(diff, block_sizes_y(game))  # ∇ Σ_k |y_k − ȳ_k|
        elif self.penalty == "global_norm":
            pull = per_block_unit(diff, (game.dim_y,))  # ∇ |y − ȳ|
        else:
            pull = diff
        # each player's full gradient (penalty included) goes through its own optimiser
        players = self.players(game, state)
        if self.order == "simultaneous":
            xi_x, xi_y = game.split(game.xi(z))
        else:
            xi_x = game.xi_x(z)
        g_x = xi_x
        if self.generator_term:
            g_x = xi_x + self.p * game.xi_x(game.join(x, anchor))  # the generator against D̄ too
        x_next = game.split(game.project(game.join(x - self.eta_x * players.direction("x", g_x), y)))[0]
        if self.order == "x_first":
            xi_y = game.xi_y(game.join(x_next, y))  # the discriminator sees the new generator
        y_next = y - self.eta_y * players.direction("y", xi_y + self.p * pull)
        # the slow copy: frozen at y_0, a copy at swa_start, an EMA of the pre-step y afterwards
        tt = t[:, None]
        new_anchor = torch.where(tt < self.swa_start, anchor,
                                 torch.where(tt == self.swa_start, y, (1.0 - self.beta) * anchor + self.beta * y))
        z_next = game.project(game.join(x_next, y_next))
        if self.optimizer == "sgd":
            return z_next, DoubleSmoothedState(new_anchor, t + 1)
        return z_next, DoubleSmoothedAdamState(new_anchor, t + 1, *players.fields())


__all__ = ["SmoothedGDA", "SmoothedGDAState", "SmoothedGDAAdamState", "DoubleSmoothedGDA", "DoubleSmoothedState",
           "DoubleSmoothedAdamState", "PENALTIES", "OPTIMIZERS", "DOUBLE_ORDERS", "block_sizes_y", "per_block_unit"]
