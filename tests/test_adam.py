"""The one Adam (dynamics/algorithms/adam.py): one declaration, one step, oracles, and an extension.

Oracles (docs/algorithms.md, "Adam" and "Optimistic Adam"): the Gidel et al. bilinear notebook's
Adam (β₁ = 0, β₂ = 0.99, lr 0.01, no second-moment bias correction, y clipped to [-1, 1], from
(2, 0.5), 100 steps) ends at distance 0.9956877270 from the origin; with torch's bias correction
the same run ends at 1.3072272307.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

import dynamics
from dynamics import cli
from dynamics.algorithms.adam import AdamSettings, adam_direction
from dynamics.games.bilinear import BoxBilinear

ADAM_BASED = sorted(n for n, c in dynamics.ALGORITHMS.items() if issubclass(c, AdamSettings))


@dataclasses.dataclass(frozen=True, kw_only=True)
class _YBoxBilinear(BoxBilinear):
    """f = xy with only y clipped to [-1, 1] (the notebook's projection)."""

    def project(self, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([z[:, :1], z[:, 1:].clamp(-1.0, 1.0)], dim=1)


def _notebook_distance(bias_correction2: bool) -> float:
    algo = dynamics.make_algorithm("adam", lr=0.01, beta1=0.0, beta2=0.99, eps=1e-8, bias_correction2=bias_correction2)
    z0 = torch.tensor([[2.0, 0.5]], dtype=torch.float64)
    traj = dynamics.run(_YBoxBilinear(radius=1.0), algo, z0, steps=100)
    return float(traj.z_final.norm())


def test_gidel_notebook_adam_oracle():
    assert abs(_notebook_distance(bias_correction2=False) - 0.9956877270) < 1e-9
    assert abs(_notebook_distance(bias_correction2=True) - 1.3072272307) < 1e-9


def test_adam_based_algorithms_share_one_declaration():
    assert {"adam", "optimistic_adam", "unrolled", "sgda", "double_sgda", "greedy_minmax"} <= set(ADAM_BASED)
    base = {h.name: h for h in dynamics.hparams(AdamSettings)}
    for name in ADAM_BASED:
        for h in dynamics.hparams(dynamics.ALGORITHMS[name]):
            if h.name in base:  # same bounds, kind and help everywhere: no drifted copies
                ref = base[h.name]
                assert (h.low, h.high, h.kind, h.help, h.log) == (ref.low, ref.high, ref.kind, ref.help, ref.log), name


def test_step_function_matches_torch_optim_adam():
    g = torch.tensor([[0.3, -1.2, 2.0]], dtype=torch.float64)
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.5, 0.9), eps=1e-8)
    m = v = torch.zeros_like(g)
    z = torch.zeros_like(g)
    for t in range(1, 4):
        p.grad = (g[0] * t).clone()
        opt.step()
        d, m, v = adam_direction(g * t, m, v, float(t), 0.5, 0.9, 1e-8)
        z = z - 0.1 * d
    assert torch.allclose(z[0], p.detach(), atol=1e-14)


def _optimistic_adam_numpy(z0, lr, b1, b2, eps, steps):
    z = np.array(z0, dtype=np.float64)
    m = np.zeros(2)
    v = np.zeros(2)
    d_prev = np.zeros(2)
    for t in range(1, steps + 1):
        g = np.array([z[1], -z[0]])  # xi on f = xy
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        d = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        z = z - 2 * lr * d + lr * d_prev
        d_prev = d
    return z


def test_optimistic_adam_matches_its_update_rule():
    algo = dynamics.make_algorithm("optimistic_adam", lr=0.05)
    traj = dynamics.run(dynamics.make_game("bilinear"), algo, torch.tensor([[1.0, 1.0]], dtype=torch.float64),
                        steps=200)
    ref = _optimistic_adam_numpy((1.0, 1.0), 0.05, 0.5, 0.9, 1e-8, 200)
    assert np.allclose(traj.z_final[0].numpy(), ref, atol=1e-12, rtol=0)
    # and, unlike simultaneous Adam, it does not spiral out on f = xy
    adam = dynamics.run(dynamics.make_game("bilinear"), dynamics.make_algorithm("adam", lr=0.05, beta1=0.5, beta2=0.9),
                        torch.tensor([[1.0, 1.0]], dtype=torch.float64), steps=200)
    assert float(traj.z_final.norm()) < float(adam.z_final.norm())


def test_a_new_adam_algorithm_gets_flags_widgets_and_docs_for_free():
    from app.docs import doc_markdown, hparam_table
    from app.export import build_parser
    from gan_demo.gmm import make_parser

    cls = dynamics.ALGORITHMS["optimistic_adam"]
    names = [h.name for h in dynamics.hparams(cls)]
    assert {"beta1", "beta2", "eps", "bias_correction1", "bias_correction2", "lr"} <= set(names)
    a = build_parser().parse_args(["--out", "x.gif", "--optimistic_adam.bias_correction2", "false",
                                   "--optimistic_adam.beta1", "0.3"])
    assert vars(a)["optimistic_adam.bias_correction2"] is False and vars(a)["optimistic_adam.beta1"] == 0.3
    p, groups = make_parser("optimistic_adam")
    assert cli.given(p.parse_args(["--beta2", "0.99", "--bias-correction1", "no"]), groups["algorithm"]) == {
        "beta2": 0.99, "bias_correction1": False}
    with pytest.raises(cli.UsageError, match="outside"):
        p.parse_args(["--beta2", "1.5"])
    assert "z_{t+1}" in doc_markdown(cls) and "Daskalakis" in doc_markdown(cls)
    assert {row["name"] for row in hparam_table(cls)} >= {"beta1", "bias_correction2"}


@pytest.mark.parametrize("name", ADAM_BASED)
def test_bias_correction_switch_reaches_every_adam_user(name):
    cls = dynamics.ALGORITHMS[name]
    kw = {"optimizer": "adam"} if "optimizer" in {h.name for h in dynamics.hparams(cls)} else {}
    game = dynamics.make_game("bilinear")
    z0 = torch.tensor([[1.0, 0.5]], dtype=torch.float64)
    on = dynamics.run(game, cls(lr=0.02, **kw), z0, steps=3)
    off = dynamics.run(game, cls(lr=0.02, bias_correction2=False, **kw), z0, steps=3)
    assert math.isfinite(float(off.z_final.norm()))
    assert not torch.equal(on.z_final, off.z_final)
