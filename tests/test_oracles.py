"""Closed-form oracles of docs/algorithms.md §23.1 and §23.2 for the first-order algorithms.

The numeric example (NE) is f = xy, η = 0.1, z_0 = (1, 1), T = 100. Table values were computed
with numpy in float64 independently of this code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dynamics

XY = dynamics.make_game("bilinear")


def ne(name: str, steps: int = 100, **kw) -> dynamics.Trajectory:
    return dynamics.run(XY, dynamics.make_algorithm(name, **kw), [1.0], [1.0], steps=steps)


def final(traj: dynamics.Trajectory) -> list[float]:
    return traj.z[-1, 0].tolist()


# §23.1: (algorithm, hyperparameters, z_100)
TABLE = [
    ("gda", dict(lr=0.1), (-0.5603400542, -2.2573539117)),
    ("alt_gda", dict(lr=0.1), (-0.3160029135, -1.3575869407)),
    ("alt_gda", dict(lr=0.1, order="y_first"), (-0.2611827016, -1.4124071526)),
    ("gda", dict(lr_x=0.05, lr_y=0.2), (-0.9845935185, -3.1058608404)),
    ("alt_gda", dict(lr_x=0.05, lr_y=0.2), (-0.5901039733, -1.9057890602)),
    ("momentum", dict(lr=0.1, beta=-0.5, order="simultaneous"), (0.5609506563, 1.4190431631)),
    ("momentum", dict(lr=0.1, beta=-0.5, order="x_first"), (0.4641536737, 1.1208110459)),
    ("momentum", dict(lr=0.1, beta=0.5, order="x_first"), (27.8096636501, 12.2442467006)),
    ("momentum", dict(lr=0.1, beta=0.5, order="simultaneous"), (99.6143298123, -49.9287475344)),
    ("ogda", dict(lr=0.1, init_mode="current"), (-0.1219463651, -0.8512953446)),
    ("ogda", dict(lr=0.1, init_mode="zero"), (-0.0359480715, -0.8636144292)),
    ("extragradient", dict(lr=0.1), (-0.1228173329, -0.8511241233)),
    ("extra_past", dict(lr=0.1, init_mode="zero"), (-0.1219463651, -0.8512953446)),
    ("extra_past", dict(lr=0.1, init_mode="current"), (-0.1207144567, -0.8426955153)),
    ("nested", dict(lr=0.1, k=5), (-0.6870368339, -1.8701524375)),
    ("lookahead", dict(base="gda", base_kwargs=dict(lr=0.1), k=5, alpha=0.5), (0.8730214856, -0.4228583311)),
    ("adam", dict(lr=0.1), (3.69444413, -4.04637271)),
    ("adam", dict(lr=0.1, order="x_first"), (4.12648089, -3.04241881)),
    ("adam", dict(lr=0.1, beta1=0.5), (-2.39515696, 0.64242931)),
    ("adam", dict(lr=0.1, beta1=0.0, beta2=0.9), (0.83979156, 0.4644822)),
    ("adam", dict(lr=0.01), (-0.0952963, 1.67967086)),
]


@pytest.mark.parametrize(("name", "kw", "expected"), TABLE, ids=[f"{n}-{kw}" for n, kw, _ in TABLE])
def test_table_23_1(name: str, kw: dict, expected: tuple[float, float]) -> None:
    # the table has 10 significant digits (8 for Adam); compare relative to the magnitude
    np.testing.assert_allclose(final(ne(name, **kw)), expected, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize(("kw", "expected"), [
    (dict(base="alt_gda", base_kwargs=dict(lr=0.1), mode="uniform"), (-0.2235234595, 0.1168558633)),
    (dict(base="alt_gda", base_kwargs=dict(lr=0.1), mode="ema", beta=0.9), (-0.8093848211, -0.6291166964)),
    (dict(base="gda", base_kwargs=dict(lr=0.1), mode="uniform"), (-0.3280582096, 0.1321390755)),
])
def test_averaging_table(kw: dict, expected: tuple[float, float]) -> None:
    traj = ne("averaging", **kw)
    np.testing.assert_allclose(traj.extras["z_avg"][-1, 0].tolist(), expected, rtol=1e-9, atol=1e-10)
    # the average never feeds back: the raw iterates are the base algorithm's
    base = ne(kw["base"], **kw["base_kwargs"])
    assert torch.equal(traj.z, base.z)


# ---- §23.2 closed forms (1e-12) ------------------------------------------------------------------

def _plane_start(A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """A start z_0 - z* lying in the k-th singular pair's plane, and that singular value."""
    U, S, Vt = np.linalg.svd(A)
    return 0.7 * U[:, k], 1.3 * Vt[k], S[k]


@pytest.mark.parametrize(("name", "rho"), [
    ("gda", lambda e, s: math.sqrt(1 + e**2 * s**2)),
    ("extragradient", lambda e, s: math.sqrt(1 - e**2 * s**2 + e**4 * s**4)),
])
@pytest.mark.parametrize("k", [0, 2])
def test_norm_is_rho_to_the_t_on_vector_bilinear(name: str, rho, k: int) -> None:
    A = np.array([[2.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.1, 0.0, 0.5]])
    b, c = np.array([0.1, -0.2, 0.3]), np.array([0.2, 0.0, -0.1])
    game = dynamics.make_game("bilinear", A=A, b=b, c=c)
    (xs, ys) = (np.array(v) for v in game.equilibrium())
    u, v, sigma = _plane_start(A, k)
    eta, T = 0.15, 60
    traj = dynamics.run(game, dynamics.make_algorithm(name, lr=eta), xs + u, ys + v, steps=T)
    dist = traj.distance_to_equilibrium()[:, 0].numpy()
    expected = rho(eta, sigma) ** np.arange(T + 1) * math.hypot(np.linalg.norm(u), np.linalg.norm(v))
    np.testing.assert_allclose(dist, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("order", "sign"), [("x_first", -1.0), ("y_first", 1.0)])
def test_alt_gda_conserves_q(order: str, sign: float) -> None:
    eta = 0.3
    z0 = torch.tensor([[1.0, 1.0], [0.3, -2.0], [-1.5, 0.2]], dtype=torch.float64)
    traj = dynamics.run(XY, dynamics.make_algorithm("alt_gda", lr=eta, order=order), z0, steps=500)
    x, y = traj.x[..., 0], traj.y[..., 0]
    q = x**2 + y**2 + sign * eta * x * y
    torch.testing.assert_close(q, q[:1].expand_as(q), rtol=0, atol=1e-12)


def _one_step_matrix(game: dynamics.Game, algo: dynamics.Algorithm) -> np.ndarray:
    """The update matrix R of a memoryless linear method: its columns are the images of e_i."""
    eye = torch.eye(game.dim, dtype=torch.float64)
    out, _ = algo.step(game, eye, algo.init(game, eye))
    return out.T.numpy()


@pytest.mark.parametrize(("a", "b", "c"), [(1.0, 1.0, 1.0), (-6.0, 4.0, 2.0), (0.5, -2.0, 0.3)])
@pytest.mark.parametrize(("lr_x", "lr_y"), [(0.1, 0.1), (0.05, 0.2)])
def test_alt_gda_determinant_on_quadratic(a: float, b: float, c: float, lr_x: float, lr_y: float) -> None:
    game = dynamics.make_game("quadratic", a=a, b=b, c=c)
    R = _one_step_matrix(game, dynamics.make_algorithm("alt_gda", lr_x=lr_x, lr_y=lr_y))
    assert abs(np.linalg.det(R) - (1 - lr_x * a) * (1 - lr_y * c)) < 1e-12
    assert abs(np.trace(R) - (2 - lr_x * a - lr_y * c - lr_x * lr_y * b * b)) < 1e-12


@pytest.mark.parametrize(("tau", "rho_sim", "rho_alt"), [(2, 1.01035, None), (4, 0.99076, 0.98752), (10, 0.96, None)])
def test_two_timescale_stabilises_ftr_f1(tau: float, rho_sim: float, rho_alt) -> None:
    game = dynamics.make_game("quadratic", preset="ftr_f1")
    for name, rho in (("gda", rho_sim), ("alt_gda", rho_alt)):
        if rho is None:
            continue
        R = _one_step_matrix(game, dynamics.make_algorithm(name, lr_x=0.01, lr_y=0.01 * tau))
        assert abs(max(abs(np.linalg.eigvals(R))) - rho) < 5e-6


def test_extrapolation_from_the_past_half_iterates_equal_ogda_on_a_nonlinear_game() -> None:
    game = dynamics.make_game("nonconvex_nonconcave", variant="forsaken")
    z0 = torch.tensor([[0.3, -0.2], [1.0, 0.5]], dtype=torch.float64)
    eftp = dynamics.run(game, dynamics.make_algorithm("extra_past", lr=0.05, init_mode="zero"), z0, steps=200)
    ogda = dynamics.run(game, dynamics.make_algorithm("ogda", lr=0.05, init_mode="zero"), z0, steps=200)
    # w_{t+1/2} (reported after step t+1) equals OGDA's z_t
    torch.testing.assert_close(eftp.extras["z_half"][1:], ogda.z[:-1], rtol=0, atol=1e-12)


def test_nested_is_alternating_gda_with_k_times_the_critic_step() -> None:
    k, eta = 5, 0.1
    nested = ne("nested", k=k, lr=eta)
    alt = ne("alt_gda", lr_x=eta, lr_y=k * eta, order="y_first")
    # (y first with k·η_y is the same linear map on f = xy: y moves k times at fixed x)
    torch.testing.assert_close(nested.z, alt.z, rtol=0, atol=1e-12)


def test_negative_momentum_converges_only_alternating() -> None:
    z_alt = ne("momentum", steps=3000, beta=-0.5, order="x_first").z[-1].norm()
    z_sim = ne("momentum", steps=3000, beta=-0.5, order="simultaneous").z[-1].norm()
    assert z_alt < 0.02 < 10 < z_sim
