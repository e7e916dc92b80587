"""Greedy min-max of Mangoubi, Sachdeva & Vishnoi (docs/algorithms.md §17)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..algorithm import GradientAlgorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..torch_internals import is_func_wrapped
from ..types import State, Tensor
from .adam import OPTIMIZERS, AdamOption, PlayerAdam, adam_setting

VARIANTS = ("mnist", "gaussian")
REVERTS = ("auto", "both", "x")
CRITERIA = ("value", "d_loss")
BATCHES = ("auto", "fresh", "shared")

#: values of the per-step flag reported as ``greedy_flag``
FLAG_NONE, FLAG_ACCEPTED, FLAG_REJECTED, FLAG_UNCONDITIONAL = 0, 1, 2, 3
#: the Gaussian notebook's initial reference loss
_F_INIT = 1e7


class GreedyState(NamedTuple):
    f_ref: Tensor  # (B,) loss after the previous iteration (the Gaussian notebook's f)
    flag: Tensor  # (B,) long: FLAG_* of the last iteration
    t: Tensor  # (B,) long: iterations taken


class GreedyAdamState(NamedTuple):
    """:class:`GreedyState` plus both players' Adam moments and per-player Adam step counts."""

    f_ref: Tensor  # (B,)
    flag: Tensor  # (B,) long
    t: Tensor  # (B,) long: iterations taken
    m: Tensor  # (B, D) first moments (x part: generator's Adam, y part: discriminator's)
    v: Tensor  # (B, D) second moments
    t_x: Tensor  # (B,) long: Adam steps the generator has taken (1 per iteration)
    t_y: Tensor  # (B,) long: Adam steps the discriminator has taken (k per iteration)


@register_algorithm("greedy_minmax")
@dataclass(frozen=True, kw_only=True)
class GreedyMinMax(AdamOption, GradientAlgorithm):
    r"""Greedy min-max: the min player's proposal is kept only if the max player's response agrees.

    Each iteration $j$ the generator proposes $x' = x_j - \eta_x\nabla_x f(x_j, y_j)$, the
    discriminator answers with $k$ ascent steps $y' = y + \eta_y\nabla_y f(x', y)$, and the move is
    tested against the loss:
    $$ (x_{j+1}, y_{j+1}) = \begin{cases} (x_j, y_j) & \text{if } j \bmod \mathrm{rate} \neq 0
       \text{ and } f(x', y') > f(x_j, y_j) \quad\text{(rejected)}\\
       (x', y') & \text{otherwise (accepted, or unconditional when } j \bmod \mathrm{rate} = 0).
       \end{cases} $$
    This is the 0-1 MNIST notebook's rule (``variant="mnist"``: generator step, then $k$
    discriminator steps, both restored on rejection). ``variant="gaussian"`` follows the
    4-Gaussian notebook: one simultaneous step of both players and $k - 1$ more discriminator
    steps, the new loss compared with the previous iteration's (initially $10^7$), and only the
    generator restored; its sign is flipped to the MNIST convention (the notebook compares
    $-V$, probably a sign slip; ``criterion="d_loss"`` runs it literally, rejecting when $-f$ rose).
    With ``temperature=True`` the unconditional steps are drawn at
    random instead: $U \sim \mathcal{U}(0, \tau_j)$, $\tau_j = \tau_0 + e^{(j/s)^2}$, and the test
    runs only if $U > 1$ (one draw per iteration, shared by all starts and reproducible from
    ``seed``). The reported ``greedy_flag`` marks each step: 1 accepted, 2 rejected,
    3 unconditional (0 before the first step). On stochastic games (GANs) ``batches`` says where
    the minibatches come from: the 4-Gaussian notebook draws a fresh one for each of the extra
    discriminator steps and for the acceptance test (``"fresh"``, the default of the Gaussian
    variant); ``"shared"`` uses the iteration's one minibatch throughout (the MNIST variant's
    default, which keeps its shipped checkpoints reproducible). On general-sum games the test uses
    ``game.value`` (the min player's loss).

    With ``optimizer="adam"`` every step above (the proposal and the $k$ responses) is an Adam
    step (``torch.optim.Adam`` semantics, one optimiser per player, so the discriminator's step
    count grows by $k$ per iteration) instead of a plain gradient step, as in both notebooks. A
    rejection restores the *weights* only: the Adam moments and step counts keep the rejected
    steps' updates, because the notebooks restore the models (Keras ``set_weights`` / a model
    copy) and never the optimiser's slots.

    The test's two loss values come from ``game.acceptance_value(x, y, draw)`` (``draw`` 0 before
    the move, 1 after it) when the game defines it, else from ``game.value``. The 0-1 MNIST
    notebook evaluates them on two fresh minibatches with dropout off (Keras ``predict``); a GAN
    game can do the same there (``gan_demo.mnist.train.MNISTGANGame``).

    On $f = xy$ ($\eta = 0.1$, rate 5, $k = 1$, $z_0 = (1, 1)$) 100 iterations give 20 accepted,
    60 rejected and 20 unconditional steps, ending at $(0.0685192059, -1.3732791118)$.

    Defaults from the authors' code (0-1 MNIST): rate 5, $k = 1$ (Adam lr $2\cdot10^{-4}$,
    $\beta_1 = 0.5$ there); the Gaussian notebook uses rate 4, $k = 6$ with Adam lr$_G = 10^{-3}$,
    lr$_D = 10^{-4}$, $\beta_1 = 0.5$; the decreasing-temperature notebook $\tau_0 = 4$,
    $s = 20000$. (The notebooks' Keras/TF Adam puts $\epsilon$ outside the bias correction, and the
    MNIST notebook shares one step counter between both players; both differ from ours by
    $O(\epsilon)$ or only in the first few bias-corrected steps.)

    References:
        Mangoubi, Sachdeva, Vishnoi, "A Provably Convergent and Practical Algorithm for Min-max
        Optimization with Applications to GANs", arXiv:2006.12376; code:
        mangoubi/Min-max-optimization-algorithm-for-training-GANs.

    """

    group = "accept/reject"
    stochastic = True
    reference = "docs/algorithms.md §17; oracle: f = xy toy, 20 accepted / 60 rejected / 20 unconditional"

    variant: str = hparam("mnist", choices=VARIANTS, help="which notebook's loop: MNIST (alternating) or Gaussian")
    rate: int = hparam(5, low=1, high=1000, help="every rate-th iteration is accepted unconditionally (1 = GDA)")
    k: int = hparam(1, low=1, high=100, help="discriminator steps per iteration")
    revert: str = hparam("auto", choices=REVERTS, advanced=True,
                         help="what a rejection restores: both players, x only, or the variant's choice")
    temperature: bool = hparam(False, help="draw unconditional steps at random with a decreasing temperature")
    temp_offset: float = hparam(4.0, low=0.0, high=1000.0, advanced=True, help="τ₀ in τ_j = τ₀ + exp((j/s)²)")
    temp_scale: float = hparam(20000.0, low=1.0, high=1e9, log=True, advanced=True, help="s in τ_j = τ₀ + exp((j/s)²)")
    seed: int = hparam(0, low=0, high=2**31 - 1, help="seed of the temperature draws")
    beta1: float = adam_setting("beta1", 0.5)  # the notebooks' Adam(lr, 0.5)
    criterion: str = hparam("value", choices=CRITERIA, advanced=True,
                            help="a rise of this rejects: f (MNIST notebook) or -f (Gaussian notebook as written)")
    batches: str = hparam("auto", choices=BATCHES, advanced=True,
                          help="stochastic games: a fresh minibatch for each extra max-player step and for the "
                               "acceptance test, or the step's one minibatch throughout; auto: fresh for the "
                               "Gaussian variant (as its notebook), shared for MNIST")

    def step_cost(self, game: Game) -> float:
        return 3.0 + self.k

    def init(self, game: Game, z: Tensor) -> State:
        n = z.shape[0]
        zeros = torch.zeros(n, dtype=torch.long, device=z.device)
        f0 = torch.full((n,), _F_INIT, dtype=z.dtype, device=z.device)
        if self.optimizer == "sgd":
            return GreedyState(f0, zeros, zeros.clone())
        return GreedyAdamState(f0, zeros, zeros.clone(), *PlayerAdam.init(z))

    def report(self, game: Game, z: Tensor, state: State) -> dict[str, Tensor]:
        return {"greedy_flag": state.flag}

    def _unconditional(self, t: Tensor) -> Tensor:
        """(B,) bool: whether iteration t skips the test."""
        if not self.temperature:
            return t % self.rate == 0
        j = int(t[0]) if t.numel() else 0  # every row shares the iteration counter
        tau = self.temp_offset + math.exp(min((j / self.temp_scale) ** 2, 700.0))
        # counter-based: the draw depends on (seed, j) only, never on the batch or earlier steps
        seed = int(np.random.SeedSequence([self.seed, j]).generate_state(1)[0])
        u = float(torch.rand((), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)) * tau
        return torch.full_like(t, u <= 1.0, dtype=torch.bool)

    def _fresh(self, game: Game) -> bool:
        want = self.batches == "fresh" or (self.batches == "auto" and self.variant == "gaussian")
        return want and game.stochastic

    def _substep_game(self, game: Game, z: Tensor, t: Tensor, i: int) -> Game:
        """The game with its own minibatch for sub-step ``i`` (0..k) of iteration ``t``.

        The draw depends on (iteration, i) only: the index handed to ``game.sample`` is a negative
        number far below the runner's steps (>= 0) and the games' reserved negative streams, and
        ``game.sample`` derives per-row streams from it (GANGame: from each row's own seed).
        """
        j = int(t[0]) if t.numel() else 0  # every row shares the iteration counter
        sub = -(1 << 40) - (j * 256 + i)
        gen = torch.Generator(device=z.device).manual_seed(int(np.random.SeedSequence([j, i]).generate_state(1)[0]))
        return game.sample(gen, z, sub)

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        x, y = game.split(z)
        fresh = self._fresh(game)
        adam = self.optimizer == "adam"
        # each player's steps this iteration advance that player's own moments and step count
        players = self.players(game, state)

        sign = 1.0 if self.criterion == "value" else -1.0  # f_ref is stored in the tested quantity
        # the tested loss: the game's own acceptance evaluation if it has one (fresh data), else value()
        test = getattr(game, "acceptance_value", None)
        if self.variant == "mnist":
            f_old = sign * (test(x, y, 0) if test is not None else game.value(x, y))  # (B,)
            x_new = x - self.eta_x * players.direction("x", game.xi_x(z))
            w = game.project(game.join(x_new, y))
            d_steps = self.k
        else:
            f_old = state.f_ref
            gx, gy = game.split(game.xi(z))  # one simultaneous step of both players
            w = game.project(game.join(x - self.eta_x * players.direction("x", gx),
                                       y - self.eta_y * players.direction("y", gy)))
            d_steps = self.k - 1
        for i in range(d_steps):
            gi = self._substep_game(game, z, state.t, i) if fresh else game
            xw, yw = game.split(w)
            w = game.project(game.join(xw, yw - self.eta_y * players.direction("y", gi.xi_y(w))))
        g_test = self._substep_game(game, z, state.t, d_steps) if fresh else game
        xw, yw = game.split(w)
        f_new = sign * (test(xw, yw, 1) if test is not None else g_test.value(xw, yw))  # (B,)
        revert_x = self.revert == "x" or (self.revert == "auto" and self.variant == "gaussian")
        if (not self.temperature and state.t.device.type == "cpu" and state.t.numel()
                and not is_func_wrapped(state.t)):  # a vmapped counter cannot be read on the host
            # every row shares the iteration counter: whether this iteration skips the test is one
            # host decision (no per-row kernels for it); the same values as the general branch below
            if int(state.t[0]) % self.rate == 0:
                z_next, flag = w, torch.full_like(state.t, FLAG_UNCONDITIONAL)
            else:
                reject = f_new > f_old  # (B,)
                restored = game.join(x, game.split(w)[1]) if revert_x else z
                z_next = torch.where(reject[:, None], restored, w)
                flag = torch.where(reject, FLAG_REJECTED, FLAG_ACCEPTED)
        else:
            uncond = self._unconditional(state.t)  # (B,)
            reject = ~uncond & (f_new > f_old)
            restored = game.join(x, game.split(w)[1]) if revert_x else z
            z_next = torch.where(reject[:, None], restored, w)
            flag = torch.where(uncond, FLAG_UNCONDITIONAL, torch.where(reject, FLAG_REJECTED, FLAG_ACCEPTED))
        if not adam:
            return z_next, GreedyState(f_new, flag, state.t + 1)
        # the optimiser state is never restored: a rejected step's moments stay (as in the notebooks)
        return z_next, GreedyAdamState(f_new, flag, state.t + 1, *players.fields())


__all__ = ["GreedyMinMax", "GreedyState", "GreedyAdamState", "VARIANTS", "REVERTS", "OPTIMIZERS", "CRITERIA",
           "BATCHES",
           "FLAG_NONE", "FLAG_ACCEPTED", "FLAG_REJECTED", "FLAG_UNCONDITIONAL"]
