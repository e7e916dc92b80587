"""The one Adam: its settings declared once, one step function, and the ``adam`` algorithm (docs/algorithms.md).

Composed as optax composes ``scale_by_adam``: :func:`adam_direction` is the pure step (moments in,
direction and moments out), :class:`AdamSettings` the one declaration of its hyperparameters
(β₁, β₂, ε and the two bias-correction switches, with one set of bounds and help texts), and
:class:`AdamOption` adds the ``optimizer="sgd" | "adam"`` switch for methods whose players may take
Adam steps. Every Adam-based algorithm (``adam``, ``optimistic_adam``, ``unrolled``, ``sgda``,
``double_sgda``, ``greedy_minmax``) inherits the declaration; an algorithm that wants another
default calls :func:`adam_setting` (same bounds and help, new default) instead of redeclaring it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import Tensor
from ..updates import ORDERS, alternate

OPTIMIZERS = ("sgd", "adam")


def adam_direction(g: Tensor, m: Tensor, v: Tensor, t: Tensor | float, beta1: float, beta2: float, eps: float,
                   shift: float = 0.0, bias_correction1: bool = True,
                   bias_correction2: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """One ``torch.optim.Adam`` direction (ε inside the bias correction) and the new moments.

    Pure and shared by every algorithm that takes Adam steps (through :class:`AdamSettings`), so
    the update rule lives in one place.

    Args:
        g: Gradient (B, n) of the player's own loss.
        m: First moment (B, n) before the step.
        v: Second moment (B, n) before the step.
        t: Step count *including* this step, broadcastable to ``g``: a () tensor or float shared
            by all rows, or (B, 1) per row.
        beta1: First-moment decay.
        beta2: Second-moment decay.
        eps: Added to the square root of the (bias-corrected) second moment.
        shift: Added under the square root (0 = plain Adam); a tiny positive value keeps a
            derivative *through* the step finite where ``v = 0`` (unrolled's inner loop).
        bias_correction1: Divide m by 1 − β₁ᵗ (torch, Kingma & Ba).
        bias_correction2: Divide v by 1 − β₂ᵗ (torch, Kingma & Ba); the Gidel et al. bilinear
            notebook's Adam leaves it out.

    Returns:
        ``(direction, m, v)``: the step is ``theta - lr * direction``.

    """
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t) if bias_correction1 else m
    v_hat = v / (1 - beta2**t) if bias_correction2 else v
    root = v_hat.sqrt() if shift == 0.0 else torch.sqrt(v_hat + shift)
    return m_hat / (root + eps), m, v


@dataclass(frozen=True, kw_only=True)
class AdamSettings:
    """The one declaration of Adam's hyperparameters, inherited by every Adam-based algorithm."""

    beta1: float = hparam(0.9, low=0.0, high=0.9999, advanced=True, help="Adam first-moment decay β₁")
    beta2: float = hparam(0.999, low=0.0, high=0.99999, advanced=True, help="Adam second-moment decay β₂")
    eps: float = hparam(1e-8, low=1e-12, high=1e-1, log=True, advanced=True, help="Adam ε added to √v̂")
    bias_correction1: bool = hparam(True, advanced=True, help="Adam: divide m by 1 − β₁ᵗ")
    bias_correction2: bool = hparam(True, advanced=True,
                                    help="Adam: divide v by 1 − β₂ᵗ (off in the Gidel et al. bilinear notebook)")

    def adam_direction(self, g: Tensor, m: Tensor, v: Tensor, t: Tensor | float,
                       shift: float = 0.0) -> tuple[Tensor, Tensor, Tensor]:
        """:func:`adam_direction` with these settings."""
        return adam_direction(g, m, v, t, self.beta1, self.beta2, self.eps, shift=shift,
                              bias_correction1=self.bias_correction1, bias_correction2=self.bias_correction2)


def adam_setting(name: str, default: Any, **changes: Any) -> Any:
    """The declaration of Adam setting ``name`` with another default (and e.g. ``advanced=False``).

    Bounds and help text stay those of :class:`AdamSettings`: nothing is retyped.
    """
    meta = dict(AdamSettings.__dataclass_fields__[name].metadata["hparam"])
    unknown = set(changes) - {"advanced", "help"}
    if unknown:
        raise TypeError(f"adam_setting may change only the default, advanced and help, not {sorted(unknown)}")
    meta.update(changes)
    return dataclasses.field(default=default, metadata={"hparam": meta})


@dataclass(frozen=True, kw_only=True)
class AdamOption(AdamSettings):
    """``optimizer="sgd" | "adam"``: the players' steps are plain gradient steps or Adam steps.

    Used by the multi-step methods (``sgda``, ``double_sgda``, ``greedy_minmax``, ``unrolled``);
    :meth:`players` gives the per-player Adam bookkeeping for one iteration.
    """

    optimizer: str = hparam("sgd", choices=OPTIMIZERS, help="each player's step: plain gradient step or Adam")

    def players(self, game: Game, state: object) -> PlayerAdam:
        """Per-player Adam moments for one iteration (a pass-through when ``optimizer="sgd"``)."""
        return PlayerAdam(game, state, self, enabled=self.optimizer == "adam")


class PlayerAdam:
    """Adam moments kept per player through one iteration of a multi-step method.

    Alternating and accept/reject methods (``sgda``, ``double_sgda``, ``greedy_minmax``) take
    several player steps per iteration, each of which must advance that player's own moments and
    step count. This local helper holds them while ``step`` runs and hands them back as state
    fields; it never outlives the call, so ``step`` stays pure. With ``enabled=False`` the
    direction is the plain gradient.
    """

    def __init__(self, game: Game, state: object, settings: AdamSettings, enabled: bool) -> None:
        self.game, self.settings, self.enabled = game, settings, enabled
        self.moments: dict[str, list[Tensor]] = {}
        if enabled:
            (mx, my), (vx, vy) = game.split(state.m), game.split(state.v)  # type: ignore[attr-defined]
            self.moments = {"x": [mx, vx, state.t_x], "y": [my, vy, state.t_y]}  # type: ignore[attr-defined]

    @staticmethod
    def init(z: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Fresh ``(m, v, t_x, t_y)``: zero moments (B, D) and zero per-row step counts (B,)."""
        zeros = torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        return torch.zeros_like(z), torch.zeros_like(z), zeros, zeros.clone()

    def direction(self, player: str, g: Tensor) -> Tensor:
        """(B, d) gradient of ``player`` ("x" or "y") -> its step direction; advances its moments."""
        if not self.enabled:
            return g
        m, v, t = self.moments[player]
        t = t + 1
        d, m, v = self.settings.adam_direction(g, m, v, t.to(g.dtype)[:, None])
        self.moments[player] = [m, v, t]
        return d

    def fields(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """The updated ``(m, v, t_x, t_y)`` for the next state."""
        (mx, vx, t_x), (my, vy, t_y) = self.moments["x"], self.moments["y"]
        return self.game.join(mx, my), self.game.join(vx, vy), t_x, t_y


class AdamState(NamedTuple):
    m: Tensor  # (B, D) first moment
    v: Tensor  # (B, D) second moment
    t: Tensor  # () step count (float, shared by all rows)


@register_algorithm("adam")
@dataclass(frozen=True, kw_only=True)
class Adam(AdamSettings, GradientAlgorithm):
    r"""Adam for each player on its own loss (gradient $g_x$ for x, $-g_y$ for y).

    $$ m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
       \theta \leftarrow \theta - \eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon} $$

    With both bias-correction switches on (the default) exactly ``torch.optim.Adam`` (ε inside the
    bias correction, unlike Keras); ``bias_correction2=False`` drops the $1-\beta_2^t$ division as the
    Gidel et al. bilinear notebook does (its oracle: docs/algorithms.md §5). Simultaneous, or
    alternating with the second player's gradient taken at the first player's new point. GAN
    practice uses $\beta_1 = 0.5$ (DCGAN) or $0$ with $\beta_2 = 0.9$ (WGAN-GP).

    References:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (arXiv:1412.6980).
        Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional
        GANs" (DCGAN), ICLR 2016.

    """

    reference = "docs/algorithms.md §5; oracle: §5 Adam rows (torch.optim.Adam) and the Gidel notebook row"
    lr: float = hparam(0.01, low=1e-6, high=10.0, log=True, help="step size η for both players")
    beta1: float = adam_setting("beta1", 0.9, advanced=False)
    beta2: float = adam_setting("beta2", 0.999, advanced=False)
    order: str = hparam("simultaneous", choices=ORDERS, help="simultaneous or which player moves first")

    def init(self, game: Game, z: Tensor) -> AdamState:
        return AdamState(torch.zeros_like(z), torch.zeros_like(z), torch.zeros((), dtype=z.dtype, device=z.device))

    def _direction(self, g: Tensor, m: Tensor, v: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.adam_direction(g, m, v, t)

    def step(self, game: Game, z: Tensor, state: AdamState) -> tuple[Tensor, AdamState]:
        t = state.t + 1
        if self.order == "simultaneous":
            d, m, v = self._direction(game.xi(z), state.m, state.v, t)
            return z - self.scale(game, d), AdamState(m, v, t)
        mx, my = game.split(state.m)
        vx, vy = game.split(state.v)
        new: dict[str, Tensor] = {}

        def move_x(w: Tensor) -> Tensor:
            d, new["mx"], new["vx"] = self._direction(game.xi_x(w), mx, vx, t)
            return game.split(w)[0] - self.eta_x * d

        def move_y(w: Tensor) -> Tensor:
            d, new["my"], new["vy"] = self._direction(game.xi_y(w), my, vy, t)
            return game.split(w)[1] - self.eta_y * d

        z_next = alternate(game, z, move_x, move_y, self.order)
        m = game.join(new["mx"], new["my"])
        v = game.join(new["vx"], new["vy"])
        return z_next, AdamState(m, v, t)
