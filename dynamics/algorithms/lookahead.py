"""Lookahead-minmax around any algorithm (docs/algorithms.md §22)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from ..algorithm import Algorithm
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import Tensor
from .gda import GDA


class LookaheadState(NamedTuple):
    base: Any  # the base algorithm's state (kept across syncs, as in the authors' code)
    z_slow: Tensor  # (B, D) slow weights
    count: Tensor  # () fast steps taken
    synced: Tensor  # () whether the slow copy exists yet (repo_init mode)


@register_algorithm("lookahead")
@dataclass(frozen=True, kw_only=True)
class Lookahead(Algorithm):
    r"""Lookahead-minmax: k fast steps of a base method, then pull both players towards the slow copy.

    $$ \text{every } k \text{ steps:}\quad \tilde\omega \leftarrow \tilde\omega + \alpha(\omega - \tilde\omega),
       \qquad \omega \leftarrow \tilde\omega $$

    The slow iterate evolves by $(1-\alpha) I + \alpha R_{\text{base}}^k$, so lookahead can make
    a divergent base converge: on $f = xy$ with sim-GDA at $\eta = 0.1$, $k = 5$, $\alpha = 0.5$
    gives $\rho = 0.9813$ per sync. ``repo_init=True`` mimics the authors' code, which creates the
    slow copy at the first sync from the current fast weights (so the first sync is a no-op).

    References:
        Chavdarova, Pagliardini, Stich, Fleuret, Jaggi, "Taming GANs with Lookahead-Minmax",
        ICLR 2021 (arXiv:2006.14567). Zhang, Lucas, Hinton, Ba, "Lookahead Optimizer", NeurIPS 2019.

    """

    group = "wrappers"
    wrapper = True
    reference = "docs/algorithms.md §22; oracle: NE (sim-GDA, k=5, α=0.5) = (0.8730214856, −0.4228583311)"
    base: Algorithm = hparam(GDA(), kind="algorithm", help="the fast algorithm")
    k: int = hparam(5, low=1, high=1000, help="fast steps per sync")
    alpha: float = hparam(0.5, low=0.0, high=1.0, help="slow step α towards the fast weights")
    repo_init: bool = hparam(False, advanced=True, help="create the slow copy at the first sync (authors' code)")

    @property
    def second_order(self) -> bool:  # type: ignore[override]
        return self.base.second_order

    def step_cost(self, game: Game) -> float:
        return self.base.step_cost(game)

    def init(self, game: Game, z: Tensor) -> LookaheadState:
        zero = z.new_zeros(())
        return LookaheadState(self.base.init(game, z), z, zero, zero)

    def step(self, game: Game, z: Tensor, state: LookaheadState) -> tuple[Tensor, LookaheadState]:
        z_fast, base_state = self.base.step(game, z, state.base)
        count = state.count + 1
        sync = torch.remainder(count, self.k) == 0  # () bool, branch-free so autodiff sees it
        slow_before = state.z_slow
        if self.repo_init:
            slow_before = torch.where(state.synced > 0, state.z_slow, z_fast)
        z_slow = torch.where(sync, slow_before + self.alpha * (z_fast - slow_before), state.z_slow)
        synced = torch.where(sync, torch.ones_like(state.synced), state.synced)
        return torch.where(sync, z_slow, z_fast), LookaheadState(base_state, z_slow, count, synced)

    def report(self, game: Game, z: Tensor, state: LookaheadState) -> dict[str, Tensor]:
        return {"z_slow": state.z_slow, **self.base.report(game, z, state.base)}
