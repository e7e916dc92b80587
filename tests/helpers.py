"""Registry-driven case lists and small helpers shared by the test modules."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

import dynamics

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])

#: one instance of every registered game with its defaults, plus variants that exercise other
#: code paths (vector forms, general-sum, projections, Monte-Carlo noise). New games join via GAMES.
GAME_CASES: dict[str, dict[str, Any]] = {name: {"name": name} for name in sorted(dynamics.GAMES)}
GAME_CASES.update({
    "bilinear_3x3_bias": {"name": "bilinear", "A": ((2.0, 0.5, 0.0), (0.0, 1.0, 0.3), (0.1, 0.0, 0.5)),
                          "b": (0.1, -0.2, 0.3), "c": (0.2, 0.0, -0.1)},
    "quadratic_vector": {"name": "quadratic", "P": ((1.0, 0.2), (0.2, 0.5)), "B": ((1.0, 0.0, 0.5), (0.0, 1.0, 0.0)),
                         "Q": ((1.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.2))},
    "quadratic_ftr_f1": {"name": "quadratic", "preset": "ftr_f1"},
    "nonconvex_nonconcave_forsaken": {"name": "nonconvex_nonconcave", "variant": "forsaken"},
    "dirac_nsgan_r1": {"name": "dirac_gan", "preset": "nsgan_r1"},
    "dirac_wgan": {"name": "dirac_gan", "preset": "wgan"},
    "dirac_wgan_gp": {"name": "dirac_gan", "preset": "wgan_gp"},
    "dirac_instance_noise_mc": {"name": "dirac_gan", "preset": "instance_noise", "noise_samples": 64},
    # typed games: autodiff of a parsed formula (general-sum with a box, vector players, a preset)
    "formula_general_sum_box": {"name": "formula", "f": "x**2/2 + x*y + 0.1*sin(x)", "g": "y**2/2 - 2*x*y",
                                "y_box": (-1.0, 1.0)},
    "formula_vector": {"name": "formula", "f": "x1*y1 + x2*y2 + 0.1*x1**2 - 0.1*y2**2 + 0.05*x1*x2"},
    "formula_forsaken": {"name": "formula", "preset": "forsaken"},
})


def build_game(case: str) -> dynamics.Game:
    kw = dict(GAME_CASES[case])
    return dynamics.make_game(kw.pop("name"), **kw)


def small_step(algo_cls: type) -> dynamics.Algorithm:
    """The algorithm with default hyperparameters but a small step size, so that a few steps from
    points inside the plotting box stay finite on every game."""
    algo = algo_cls()
    return with_small_lr(algo)


def with_small_lr(algo: dynamics.Algorithm, lr: float = 0.02) -> dynamics.Algorithm:
    names = {f.name for f in dataclasses.fields(algo)}
    changes: dict[str, Any] = {}
    if "lr" in names:
        changes["lr"] = min(lr, algo.lr)
    if "base" in names:
        changes["base"] = with_small_lr(algo.base, lr)
    return dataclasses.replace(algo, **changes) if changes else algo


def starts(game: dynamics.Game, n: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n random joint starts (n, D) inside the central half of the game's plotting box."""
    g = torch.Generator().manual_seed(seed)
    (x0, x1), (y0, y1) = game.box()
    u = torch.rand(n, game.dim, generator=g, dtype=torch.float64)
    lo = torch.tensor([x0] * game.dim_x + [y0] * game.dim_y, dtype=torch.float64)
    hi = torch.tensor([x1] * game.dim_x + [y1] * game.dim_y, dtype=torch.float64)
    mid, half = (lo + hi) / 2, (hi - lo) / 4
    return (mid + (2 * u - 1) * half).to(dtype)
