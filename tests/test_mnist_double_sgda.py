"""Double SGDA as the Smoothed-GDA repository runs it: G step then D step, per-tensor penalty.

A scalar reference loop on f(x, y) = x (y₁ + 2 y₂) whose discriminator has two "tensors" (y₁ and
y₂, one entry each): the repo's penalty p(|y₁ − ȳ₁| + |y₂ − ȳ₂|) pulls each entry by its own sign,
which one global norm p|y − ȳ| does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import dynamics
from dynamics.algorithms.smoothed_gda import block_sizes_y, per_block_unit
from dynamics.games.bilinear import Bilinear


@dataclass(frozen=True, kw_only=True)
class TwoTensorGame(Bilinear):
    """f = x (y₁ + 2 y₂), the max player's parameters split into two tensors of one entry each."""

    @property
    def y_block_sizes(self) -> tuple[int, ...]:
        return (1, 1)


GAME = TwoTensorGame(A=((1.0, 2.0),))
Z0 = (1.0, 1.0, -0.5)


def _sign(d: float) -> float:
    return 0.0 if d == 0 else math.copysign(1.0, d)


def _adam(g: float, m: float, v: float, t: int, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps), m, v


def reference(steps: int, ex: float, ey: float, p: float, beta: float, t0: int, order: str, penalty: str,
              generator_term: bool = True, adam: bool = False) -> tuple[float, float, float]:
    """Plain-float loop of the repo's scheme (x = G, y = D, ȳ = the AveragedModel copy)."""
    x, y1, y2 = Z0
    b1, b2 = y1, y2
    mx = vx = m1 = v1 = m2 = v2 = 0.0
    for t in range(steps):
        d1, d2 = y1 - b1, y2 - b2
        if penalty == "norm":  # Σ over tensors of |y_k − ȳ_k|
            pull1, pull2 = _sign(d1), _sign(d2)
        else:  # one norm over all of y
            n = math.hypot(d1, d2)
            pull1, pull2 = (d1 / n, d2 / n) if n > 0 else (0.0, 0.0)
        gx = (y1 + 2 * y2) + (p * (b1 + 2 * b2) if generator_term else 0.0)
        if adam:
            gx, mx, vx = _adam(gx, mx, vx, t + 1)
        x_new = x - ex * gx
        xs = x_new if order == "x_first" else x  # the discriminator sees the new generator
        g1, g2 = -xs + p * pull1, -2 * xs + p * pull2
        if adam:
            g1, m1, v1 = _adam(g1, m1, v1, t + 1)
            g2, m2, v2 = _adam(g2, m2, v2, t + 1)
        y1_new, y2_new = y1 - ey * g1, y2 - ey * g2
        if t == t0:  # AveragedModel: the first update copies, later ones average the pre-step weights
            b1, b2 = y1, y2
        elif t > t0:
            b1, b2 = (1 - beta) * b1 + beta * y1, (1 - beta) * b2 + beta * y2
        x, y1, y2 = x_new, y1_new, y2_new
    return x, y1, y2


def engine(steps: int, **kw) -> np.ndarray:
    algo = dynamics.make_algorithm("double_sgda", **kw)
    traj = dynamics.run(GAME, algo, torch.tensor([Z0], dtype=torch.float64), steps=steps, bound=1e30)
    return traj.z[-1, 0].numpy()


@pytest.mark.parametrize("order", ["x_first", "simultaneous"])
@pytest.mark.parametrize("penalty", ["norm", "global_norm"])
@pytest.mark.parametrize("generator_term", [True, False])
def test_double_sgda_matches_scalar_reference(order: str, penalty: str, generator_term: bool) -> None:
    kw = dict(p=0.5, beta=0.1, swa_start=3)
    got = engine(30, lr=0.1, lr_y=0.05, order=order, penalty=penalty, generator_term=generator_term, **kw)
    want = reference(30, 0.1, 0.05, kw["p"], kw["beta"], kw["swa_start"], order, penalty, generator_term)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("order", ["x_first", "simultaneous"])
def test_double_sgda_adam_matches_scalar_reference(order: str) -> None:
    got = engine(40, lr=0.05, optimizer="adam", order=order, p=0.5, beta=0.1, swa_start=5)
    np.testing.assert_allclose(got, reference(40, 0.05, 0.05, 0.5, 0.1, 5, order, "norm", adam=True),
                               rtol=1e-11, atol=1e-13)


def test_defaults_are_the_repos() -> None:
    algo = dynamics.make_algorithm("double_sgda")
    assert (algo.order, algo.penalty, algo.generator_term, algo.p, algo.beta, algo.swa_start) == (
        "x_first", "norm", True, 0.5, 0.1, 5)
    # the default order and penalty really differ from the earlier simultaneous/global variant here
    assert not np.allclose(engine(30, lr=0.1), engine(30, lr=0.1, order="simultaneous"))
    assert not np.allclose(engine(30, lr=0.1), engine(30, lr=0.1, penalty="global_norm"))


def test_per_block_unit() -> None:
    diff = torch.tensor([[3.0, 4.0, 0.0, -2.0], [0.0, 0.0, 1.0, 0.0]])
    got = per_block_unit(diff, (2, 1, 1))
    want = torch.tensor([[0.6, 0.8, 0.0, -1.0], [0.0, 0.0, 1.0, 0.0]])  # zero blocks: subgradient 0
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(per_block_unit(diff, (4,)), diff / diff.norm(dim=1, keepdim=True))
    flat = dynamics.make_game("bilinear")
    assert block_sizes_y(flat) == (flat.dim_y,)


def test_gan_game_exposes_discriminator_tensors() -> None:
    from gan_demo.mnist.models import make_players
    from gan_demo.mnist.train import TrainConfig, build_game

    cfg = TrainConfig(arch="tiny", steps=1)
    game = build_game(cfg, torch.zeros(4, 1, 28, 28))
    _, d = make_players("tiny")
    assert game.y_block_sizes == tuple(p.numel() for p in d.parameters())
    assert sum(game.y_block_sizes) == game.dim_y
