"""Games: closed-form fields match autodiff, equilibria are critical, projections, Jacobian oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dynamics
from dynamics import autodiff
from helpers import GAME_CASES, build_game, starts

CASES = sorted(GAME_CASES)


@pytest.mark.parametrize("case", CASES)
def test_field_matches_autodiff_of_the_losses(case: str) -> None:
    game = build_game(case)
    z = starts(game, 5, seed=2)
    torch.testing.assert_close(game.xi(z), autodiff.grad_field(game, z), rtol=1e-12, atol=1e-12)
    x_part, y_part = game.split(game.xi(z))
    torch.testing.assert_close(game.xi_x(z), x_part, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(game.xi_y(z), y_part, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_equilibrium_is_a_critical_point_and_box_is_sane(case: str) -> None:
    game = build_game(case)
    (x0, x1), (y0, y1) = game.box()
    assert x0 < x1 and y0 < y1
    eq = game.equilibrium()
    if eq is None:
        return
    z = torch.tensor([[*eq[0], *eq[1]]], dtype=torch.float64)
    assert torch.allclose(game.project(z), z)
    assert game.xi(z).abs().max() < 1e-10


@pytest.mark.parametrize("case", CASES)
def test_projection_is_idempotent(case: str) -> None:
    game = build_game(case)
    z = 10 * starts(game, 7, seed=3)
    once = game.project(z)
    torch.testing.assert_close(game.project(once), once)


def test_box_bilinear_stays_in_its_box() -> None:
    game = dynamics.make_game("box_bilinear", radius=5.0)
    traj = dynamics.run(game, dynamics.make_algorithm("gda", lr=0.3), [4.0], [4.5], steps=300)
    assert traj.z.abs().max() <= 5.0 and not traj.diverged.any()
    on_boundary = traj.z.abs().amax(dim=2)[-50:] == 5.0
    assert on_boundary.float().mean() > 0.3  # GDA ends circulating along the boundary


def test_bilinear_equilibrium_with_bias() -> None:
    A = np.array([[2.0, 1.0], [0.0, 1.0]])
    b, c = np.array([1.0, -1.0]), np.array([0.5, 0.5])
    game = dynamics.make_game("bilinear", A=A, b=b, c=c)
    x_star, y_star = game.equilibrium()
    np.testing.assert_allclose(A @ np.array(y_star) + b, 0, atol=1e-12)
    np.testing.assert_allclose(A.T @ np.array(x_star) + c, 0, atol=1e-12)
    assert dynamics.make_game("bilinear", A=[[1.0, 0.0], [0.0, 0.0]]).equilibrium() is None


def test_game_parameter_errors() -> None:
    with pytest.raises(ValueError, match="at most 64"):
        dynamics.make_game("bilinear", A=np.ones((65, 2)))
    with pytest.raises(ValueError, match="b must have length dim_x=2"):
        dynamics.make_game("bilinear", A=np.eye(2), b=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="P must be 2×2"):
        dynamics.make_game("quadratic", P=np.eye(3), B=np.ones((2, 2)))
    with pytest.raises(ValueError, match="dirac_gan: loss_type='lsgan' is not one of"):
        dynamics.make_game("dirac_gan", loss_type="lsgan")


@pytest.mark.parametrize(("a", "b", "c"), [(1.0, 1.0, 1.0), (-6.0, 4.0, 2.0), (6.0, 4.0, -2.0)])
def test_quadratic_jacobian_is_m(a: float, b: float, c: float) -> None:
    game = dynamics.make_game("quadratic", a=a, b=b, c=c)
    J = autodiff.jacobian(game, starts(game, 3))
    M = torch.tensor([[a, b], [-b, c]], dtype=torch.float64)
    torch.testing.assert_close(J, M.expand(3, 2, 2))
    np.testing.assert_array_equal(game.field_matrix(), M.numpy())


FP0, FPP0 = 0.5, -0.25  # f'(0) and f''(0) of f(t) = -log(1 + e^{-t})


@pytest.mark.parametrize(("preset", "expected"), [
    ("gan", [complex(0, FP0), complex(0, -FP0)]),
    ("nsgan", [complex(0, FP0), complex(0, -FP0)]),
    ("wgan", [1j, -1j]),
    ("r1", [0.15 + 1j * math.sqrt(FP0**2 - 0.15**2), 0.15 - 1j * math.sqrt(FP0**2 - 0.15**2)]),
    ("r1_critical", [0.5, 0.5]),
    ("instance_noise", None),
])
def test_dirac_gan_linearised_eigenvalues(preset: str, expected) -> None:
    """§21: eigenvalues of the paper's v-Jacobian, negated because xi = -v (descent convention)."""
    game = dynamics.make_game("dirac_gan", preset=preset)
    lam = torch.linalg.eigvals(autodiff.jacobian(game, torch.zeros(1, 2, dtype=torch.float64))[0]).numpy()
    if expected is None:  # instance noise: f''(0)σ² ± sqrt(f''(0)²σ⁴ − f'(0)²), negated
        s2 = game.sigma**2
        expected = [-(FPP0 * s2 + np.sqrt(complex(FPP0**2 * s2**2 - FP0**2))),
                    -(FPP0 * s2 - np.sqrt(complex(FPP0**2 * s2**2 - FP0**2)))]
    np.testing.assert_allclose(sorted(lam, key=lambda v: v.imag), sorted(expected, key=lambda v: v.imag), atol=1e-12)


def test_dirac_gan_behaviour() -> None:
    def final_radius(preset: str, algo: str, **kw) -> float:
        game = dynamics.make_game("dirac_gan", preset=preset)
        traj = dynamics.run(game, dynamics.make_algorithm(algo, lr=0.2, **kw), [1.0], [1.0], steps=500)
        return float(traj.z[-1].norm())

    assert final_radius("gan", "gda") > 1.5  # spirals out
    assert 0.8 < final_radius("gan", "alt_gda") < 1.6  # cycles
    assert final_radius("r1", "gda") < 1e-3  # R1 converges
    assert final_radius("instance_noise", "gda") < 0.05


def test_dirac_gan_monte_carlo_noise_matches_quadrature_on_average() -> None:
    exact = dynamics.make_game("dirac_gan", preset="instance_noise")
    mc = dynamics.make_game("dirac_gan", preset="instance_noise", noise_samples=10000)
    assert mc.stochastic and not exact.stochastic
    z = torch.tensor([[0.7, -0.4]], dtype=torch.float64)
    sampled = mc.sample(torch.Generator().manual_seed(0), z, 0)
    torch.testing.assert_close(sampled.xi(z), exact.xi(z), rtol=0, atol=0.02)


def test_wgan_clips_the_critic() -> None:
    game = dynamics.make_game("dirac_gan", preset="wgan", clip=0.5)
    traj = dynamics.run(game, dynamics.make_algorithm("gda", lr=0.2), [1.0], [0.3], steps=200)
    assert traj.y.abs().max() <= 0.5


def test_nonconvex_concave_gda_oscillates() -> None:
    game = dynamics.make_game("nonconvex_concave")
    traj = dynamics.run(game, dynamics.make_algorithm("gda", lr=0.05), [1.5], [0.2], steps=3000)
    late = traj.z[-500:, 0]
    assert (late[:, 0].max() - late[:, 0].min()) > 0.5  # keeps swinging between the wells
    assert late[:, 1].min() == 0.0 and late[:, 1].max() == 1.0  # y bangs on the simplex faces


@pytest.mark.parametrize("variant", ["almost_bilinear", "forsaken"])
@pytest.mark.parametrize("algo", ["gda", "extragradient", "ogda"])
def test_nonconvex_nonconcave_limit_cycle(variant: str, algo: str) -> None:
    game = dynamics.make_game("nonconvex_nonconcave", variant=variant)
    z0 = torch.tensor([[0.1, 0.1], [1.0, 0.5]], dtype=torch.float64)
    traj = dynamics.run(game, dynamics.make_algorithm(algo, lr=0.05), z0, steps=4000)
    dist = traj.distance_to_equilibrium()[-500:]
    assert not traj.diverged.any()
    assert dist.min() > 0.5  # never approaches the critical point
    assert (dist.max(0).values - dist.min(0).values).max() < 1.5  # bounded orbit


@pytest.mark.parametrize("case", CASES)
def test_in_place_field_updates_equal_the_field(case: str) -> None:
    # Game.add_xi_x_/add_xi_y_ (the alternating updates' in-place moves) against out + alpha * xi
    game = build_game(case)
    z = starts(game, 7, seed=4)
    dx = game.dim_x
    for alpha in (-0.3, 0.05):
        bx, by = z[:, :dx].clone(), z[:, dx:].clone()
        torch.testing.assert_close(game.add_xi_x_(bx, z, alpha), z[:, :dx] + alpha * game.xi_x(z), rtol=0, atol=1e-12)
        torch.testing.assert_close(game.add_xi_y_(by, z, alpha), z[:, dx:] + alpha * game.xi_y(z), rtol=0, atol=1e-12)


@pytest.mark.parametrize("params", [dict(A=[[1.0]]), dict(A=[[0.7]]), dict(A=[[-2.0]], b=[0.5]),
                                    dict(A=[[1.5]], c=[0.2])])
def test_scalar_bilinear_in_place_updates(params: dict) -> None:
    game = dynamics.make_game("bilinear", **params)
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    bx, by = z[:, :1].clone(), z[:, 1:].clone()
    torch.testing.assert_close(game.add_xi_x_(bx, z, -0.1), z[:, :1] - 0.1 * game.xi_x(z), rtol=0, atol=1e-15)
    torch.testing.assert_close(game.add_xi_y_(by, z, -0.1), z[:, 1:] - 0.1 * game.xi_y(z), rtol=0, atol=1e-15)
