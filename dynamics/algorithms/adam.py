"""Adam on both players, with torch.optim semantics (ALGORITHMS.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import Tensor
from .gda import alternate
from .momentum import UPDATE_ORDERS


def adam_direction(g: Tensor, m: Tensor, v: Tensor, t: Tensor | float, beta1: float, beta2: float, eps: float,
                   shift: float = 0.0) -> tuple[Tensor, Tensor, Tensor]:
    """One ``torch.optim.Adam`` direction (ε inside the bias correction) and the new moments.

    Pure and shared by every algorithm that takes Adam steps (``adam``, ``unrolled``, and through
    :class:`PlayerAdam` ``sgda``, ``double_sgda``,
    ``greedy_minmax``), so the update rule lives in one place.

    Args:
        g: Gradient (B, n) of the player's own loss.
        m: First moment (B, n) before the step.
        v: Second moment (B, n) before the step.
        t: Step count *including* this step, broadcastable to ``g``: a () tensor or float shared
            by all rows, or (B, 1) per row.
        beta1: First-moment decay.
        beta2: Second-moment decay.
        eps: Added to the square root of the bias-corrected second moment.
        shift: Added under the square root (0 = plain Adam); a tiny positive value keeps a
            derivative *through* the step finite where ``v = 0`` (unrolled's inner loop).

    Returns:
        ``(direction, m, v)``: the step is ``theta - lr * direction``.

    """
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    root = v_hat.sqrt() if shift == 0.0 else torch.sqrt(v_hat + shift)
    return m_hat / (root + eps), m, v


class PlayerAdam:
    """Adam moments kept per player through one iteration of a multi-step method.

    Alternating and accept/reject methods (``sgda``, ``double_sgda``, ``greedy_minmax``) take
    several player steps per iteration, each of which must advance that player's own moments and
    step count. This local helper holds them while ``step`` runs and hands them back as state
    fields; it never outlives the call, so ``step`` stays pure. With ``enabled=False`` the
    direction is the plain gradient.
    """

    def __init__(self, game: Game, state: object, beta1: float, beta2: float, eps: float, enabled: bool) -> None:
        self.game, self.beta1, self.beta2, self.eps, self.enabled = game, beta1, beta2, eps, enabled
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
        d, m, v = adam_direction(g, m, v, t.to(g.dtype)[:, None], self.beta1, self.beta2, self.eps)
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
class Adam(GradientAlgorithm):
    r"""Adam for each player on its own loss (gradient $g_x$ for x, $-g_y$ for y).

    $$ m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
       \theta \leftarrow \theta - \eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon} $$

    Exactly ``torch.optim.Adam`` (ε inside the bias correction, unlike Keras). Simultaneous, or
    alternating with the second player's gradient taken at the first player's new point. GAN
    practice uses $\beta_1 = 0.5$ (DCGAN) or $0$ with $\beta_2 = 0.9$ (WGAN-GP).

    References:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (arXiv:1412.6980).
        Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional
        GANs" (DCGAN), ICLR 2016.

    """

    reference = "ALGORITHMS.md §5; oracle: §23.1 Adam regression rows (torch.optim.Adam)"
    lr: float = hparam(0.01, low=1e-6, high=10.0, log=True, help="step size η for both players")
    beta1: float = hparam(0.9, low=0.0, high=0.9999, help="first-moment decay β₁")
    beta2: float = hparam(0.999, low=0.0, high=0.99999, help="second-moment decay β₂")
    eps: float = hparam(1e-8, low=1e-12, high=1e-1, log=True, advanced=True, help="ε added to √v̂")
    order: str = hparam("sim", choices=UPDATE_ORDERS, help="simultaneous or which player moves first")

    def init(self, game: Game, z: Tensor) -> AdamState:
        return AdamState(torch.zeros_like(z), torch.zeros_like(z), torch.zeros((), dtype=z.dtype, device=z.device))

    def _direction(self, g: Tensor, m: Tensor, v: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return adam_direction(g, m, v, t, self.beta1, self.beta2, self.eps)

    def step(self, game: Game, z: Tensor, state: AdamState) -> tuple[Tensor, AdamState]:
        t = state.t + 1
        if self.order == "sim":
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
