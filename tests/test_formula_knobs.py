"""The literature's remaining knobs, each pinned to its paper's (or notebook's) number.

Gidel et al.'s bilinear notebook (Variational-Inequality-GAN, bilinear_wgan.ipynb): f = xy with y
clipped to [-1, 1] after every update, start (2, 0.5), 100 iterations, "distance to the optimum"
|z_100|. The numbers below were recomputed in plain float64 from the notebook's loops.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dynamics
from dynamics.spectrum import spectral_radius

NOTEBOOK_GAME = dict(preset="bilinear_y_clipped")  # formula f = x*y, y_box = (-1, 1)


def _distance(algo: dynamics.Algorithm, key: str | None = None) -> float:
    game = dynamics.make_game("formula", **NOTEBOOK_GAME)
    traj = dynamics.run(game, algo, [2.0], [0.5], steps=100)
    z = traj.z[-1, 0] if key is None else traj.extras[key][-1, 0]
    return float(z.norm())


def test_extragradient_unprojected_lookahead_matches_the_notebook() -> None:
    notebook = _distance(dynamics.make_algorithm("extragradient", lr=0.6, project_lookahead=False))
    projected = _distance(dynamics.make_algorithm("extragradient", lr=0.6))  # the default
    assert f"{notebook:.3e}" == "2.674e-06" and abs(notebook - 2.673920478053071e-06) < 1e-16
    assert f"{projected:.3e}" == "2.983e-06" and abs(projected - 2.9828628650699964e-06) < 1e-16
    # unconstrained games: the knob changes nothing
    game = dynamics.make_game("bilinear")
    a = dynamics.run(game, dynamics.make_algorithm("extragradient", project_lookahead=False), [1.0], [1.0], steps=20)
    b = dynamics.run(game, dynamics.make_algorithm("extragradient"), [1.0], [1.0], steps=20)
    assert torch.equal(a.z, b.z)


def test_averaging_of_projected_iterates_matches_the_notebook() -> None:
    base = dynamics.make_algorithm("gda", lr=2.0, schedule="inv_sqrt")  # η_t = 2/√(t+1)
    projected = _distance(dynamics.make_algorithm("averaging", base=base, projected=True), "z_avg")
    raw = _distance(dynamics.make_algorithm("averaging", base=base), "z_avg")  # the default
    assert f"{projected:.4g}" == "0.05178" and abs(projected - 0.05177723019278546) < 1e-13
    assert f"{raw:.4g}" == "0.02881" and abs(raw - 0.028810053535622732) < 1e-13
    assert dynamics.make_algorithm("averaging").projected is False


def _consensus_alt_reference(eta: float, gamma: float, order: str, steps: int) -> np.ndarray:
    """f = xy: ξ = (y, -x), Hᵀξ = (x, y); each player moves along its part of ξ + γHᵀξ."""
    x, y = 1.0, 1.0
    for _ in range(steps):
        if order == "x_first":
            x = x - eta * (y + gamma * x)
            y = y - eta * (-x + gamma * y)
        else:
            y = y - eta * (-x + gamma * y)
            x = x - eta * (y + gamma * x)
    return np.array([x, y])


@pytest.mark.parametrize("order", ["x_first", "y_first"])
def test_consensus_alternating(order: str) -> None:
    eta, gamma = 0.1, 1.0
    algo = dynamics.make_algorithm("consensus", lr=eta, gamma=gamma, order=order)
    game = dynamics.make_game("bilinear")
    traj = dynamics.run(game, algo, [1.0], [1.0], steps=100)
    np.testing.assert_allclose(traj.z[-1, 0].numpy(), _consensus_alt_reference(eta, gamma, order, 100), rtol=1e-12)
    # det R = (1 - ηγ)², complex eigenvalues: ρ = 1 - ηγ = 0.9 (simultaneous: √((1-ηγ)² + η²) = 0.9055)
    z = torch.tensor([[0.4, -0.3]], dtype=torch.float64)
    assert abs(float(spectral_radius(game, algo, z)[0]) - 0.9) < 1e-12
    sim = dynamics.make_algorithm("consensus", lr=eta, gamma=gamma)
    assert abs(float(spectral_radius(game, sim, z)[0]) - 0.9055385138) < 1e-10
    # γ = 0 is alternating GDA
    a = dynamics.run(game, dynamics.make_algorithm("consensus", lr=eta, gamma=0.0, order=order), [1.0], [1.0], steps=30)
    b = dynamics.run(game, dynamics.make_algorithm("alt_gda", lr=eta, order=order), [1.0], [1.0], steps=30)
    torch.testing.assert_close(a.z, b.z, rtol=1e-13, atol=1e-13)


def test_sga_negative_lambda() -> None:
    eta = 0.1
    game = dynamics.make_game("bilinear")
    algo = dynamics.make_algorithm("sga", lr=eta, lam=-1.0)
    traj = dynamics.run(game, algo, [1.0], [1.0], steps=100)
    # the sign rule keeps λ = λ₀ on bilinear games; R = I - η(M + λI) is normal: |z_T| = ρ^T |z_0|
    rho = math.sqrt((1 + eta) ** 2 + eta**2)
    assert abs(float(traj.z[-1, 0].norm()) / (math.sqrt(2) * rho**100) - 1) < 1e-12
    assert abs(float(spectral_radius(game, algo, torch.tensor([[0.2, 0.1]], dtype=torch.float64))[0]) - rho) < 1e-12
    with pytest.raises(ValueError, match="lam"):
        dynamics.make_algorithm("sga", lam=-101.0)
