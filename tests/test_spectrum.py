"""dynamics.spectrum against closed forms (docs/algorithms.md §0, §1-22 linear analyses, §23)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

import dynamics
from dynamics import spectrum as sp

XY = dynamics.make_game("bilinear")
Z0 = [1.0, 1.0]


def rho(name: str, game=XY, z=Z0, **kw) -> float:
    return float(sp.spectral_radius(game, dynamics.make_algorithm(name, **kw), z)[0])


def test_game_jacobian_and_eigen_split() -> None:
    g = dynamics.make_game("quadratic", P=((1.0, 0.2), (0.2, 0.5)), B=((1.0, 0.0, 0.5), (0.0, 1.0, 0.0)),
                           Q=((1.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.2)))
    z = torch.randn(3, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    H = sp.game_jacobian(g, z)
    assert H.shape == (3, 5, 5)
    torch.testing.assert_close(H, torch.as_tensor(g.field_matrix())[None].expand(3, 5, 5), rtol=0, atol=1e-15)
    vals, share = sp.eigen_split(XY, Z0)
    torch.testing.assert_close(torch.sort(vals[0].imag).values, torch.tensor([-1.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(share[0], torch.tensor([0.5, 0.5], dtype=torch.float64))  # rotation is shared
    vals, share = sp.eigen_split(dynamics.make_game("quadratic", a=2.0, b=0.0, c=-1.0), Z0)
    order = torch.argsort(vals[0].real)
    torch.testing.assert_close(vals[0].real[order], torch.tensor([-1.0, 2.0], dtype=torch.float64))
    torch.testing.assert_close(share[0][order], torch.tensor([0.0, 1.0], dtype=torch.float64))  # y owns −1, x owns 2


@pytest.mark.parametrize("eta", [0.1, 0.37])
def test_radii_closed_forms_on_xy(eta: float) -> None:
    assert rho("gda", lr=eta) == pytest.approx(math.sqrt(1 + eta**2), abs=1e-12)
    assert rho("extragradient", lr=eta) == pytest.approx(math.sqrt(1 - eta**2 + eta**4), abs=1e-12)
    assert rho("cgd", lr=eta) == pytest.approx(1 / math.sqrt(1 + eta**2), abs=1e-12)
    assert rho("cgd", lr=eta, solver="cg") == pytest.approx(1 / math.sqrt(1 + eta**2), abs=1e-12)
    for gamma in (0.5, 1.0, 3.0):
        co = math.sqrt((1 - eta * gamma) ** 2 + eta**2)
        assert rho("consensus", lr=eta, gamma=gamma) == pytest.approx(co, abs=1e-12)
        assert rho("sga", lr=eta, lam=gamma) == pytest.approx(co, abs=1e-12)
    r = 0.5
    assert rho("gd_reg", lr=eta, eta_r=r, order="simultaneous") == pytest.approx(
        math.sqrt(1 - 2 * eta * r + eta**2), abs=1e-12)
    for k in (1, 3):
        # unrolled: R = [[1 − 2Kη², −η], [η, 1]]
        R = np.array([[1 - 2 * k * eta**2, -eta], [eta, 1.0]])
        assert rho("unrolled", lr=eta, unroll_steps=k) == pytest.approx(max(abs(np.linalg.eigvals(R))), abs=1e-12)


def test_table_radii() -> None:
    assert rho("ogda", lr=0.1) == pytest.approx(0.9949361530, abs=1e-9)
    assert rho("extra_past", lr=0.1) == pytest.approx(0.9949361530, abs=1e-9)
    assert rho("unrolled", lr=0.1, unroll_steps=1) == pytest.approx(0.9949874371, abs=1e-9)
    assert rho("unrolled", lr=0.1, unroll_steps=5) == pytest.approx(0.9539392014, abs=1e-9)
    assert rho("gd_reg", lr=0.1, eta_r=0.5, order="simultaneous") == pytest.approx(0.9539392014, abs=1e-9)
    assert rho("momentum", lr=0.1, beta=-0.5, order="simultaneous") == pytest.approx(1.0007430334, abs=1e-9)
    assert rho("momentum", lr=0.1, beta=-0.5, order="x_first") == pytest.approx(0.9985177891, abs=1e-9)
    assert rho("alt_gda", lr=0.1) == pytest.approx(1.0, abs=1e-12)
    # smoothed GDA on the augmented state (x, y, anchor)
    assert rho("sgda", lr=0.1, p=1.0, beta=0.5) == pytest.approx(0.999183202, abs=1e-9)
    assert rho("sgda", lr=0.1, p=1.0, beta=0.1) == pytest.approx(0.9878181701, abs=1e-9)
    assert rho("sgda", lr=0.1, p=2.0, beta=0.9) == pytest.approx(0.9998819523, abs=1e-9)


def test_sgda_step_jacobian_is_the_documented_matrix() -> None:
    c, a, p, b = 0.1, 0.2, 1.5, 0.3
    J = sp.step_jacobian(XY, dynamics.make_algorithm("sgda", lr_x=c, lr_y=a, p=p, beta=b), Z0)[0].numpy()
    want = np.array([[1 - c * p, -c, c * p], [a * (1 - c * p), 1 - a * c, a * c * p],
                     [b * (1 - c * p), -b * c, 1 - b + b * c * p]])
    np.testing.assert_allclose(J, want, atol=1e-14)


def test_ftr_eigenvalues_on_quadratic() -> None:
    a, b, c, ex, ey = 0.5, 1.0, 0.7, 0.05, 0.2
    g = dynamics.make_game("quadratic", a=a, b=b, c=c)
    for solver in ("exact", "cg"):
        ev = sp.step_eigenvalues(g, dynamics.make_algorithm("ftr", lr_x=ex, lr_y=ey, solver=solver), Z0)[0]
        got = np.sort(ev.real.numpy())
        want = np.sort([1 - ex * (a + b * b / c), 1 - ey * c])
        np.testing.assert_allclose(got, want, atol=1e-12)
        assert float(ev.imag.abs().max()) < 1e-12


def test_lookahead_radius_per_sync() -> None:
    # the product of k step Jacobians along the counter is the per-sync map (1−α)I + αR^k
    game, algo = XY, dynamics.make_algorithm("lookahead", base="gda", base_kwargs=dict(lr=0.1), k=5, alpha=0.5)
    z = torch.tensor([Z0], dtype=torch.float64)
    state = algo.init(game, z)
    J = None
    for _ in range(5):
        Js = sp.step_jacobian(game, algo, z, state)[0]
        J = Js if J is None else Js @ J
        z, state = algo.step(game, z, state)
    R = np.array([[1.0, -0.1], [0.1, 1.0]])
    want = max(abs(np.linalg.eigvals(0.5 * np.eye(2) + 0.5 * np.linalg.matrix_power(R, 5))))
    assert want == pytest.approx(0.9813269142, abs=1e-9)
    assert float(torch.linalg.eigvals(J).abs().max()) == pytest.approx(want, abs=1e-12)


def test_dirac_gan_linearised_eigenvalues() -> None:
    # R1 (§21): ascent Jacobian [[0, −f'(0)], [f'(0), −γ]], so H = −that has eigenvalues
    # γ/2 ± sqrt(γ²/4 − f'(0)²) with f'(0) = 1/2 (complex for γ = 0.3 < 1)
    for gamma in (0.3, 1.0, 2.5):
        g = dynamics.make_game("dirac_gan", preset="nsgan_r1", gamma=gamma)
        vals = sp.eigen_split(g, [0.0, 0.0])[0][0].numpy()
        disc = complex(gamma**2 / 4 - 0.25) ** 0.5
        want = np.array([gamma / 2 + disc, gamma / 2 - disc])
        np.testing.assert_allclose(np.sort_complex(vals), np.sort_complex(want), atol=1e-7)


def test_step_jacobian_handles_integer_state_and_shapes() -> None:
    algo = dynamics.make_algorithm("greedy_minmax")
    J = sp.step_jacobian(XY, algo, torch.randn(4, 2, dtype=torch.float64))
    assert J.shape == (4, 3, 3)  # z plus the float reference loss; counters held fixed
    assert sp.step_eigenvalues(XY, algo, Z0).dtype == torch.complex128
    with pytest.raises(ValueError, match="shape"):
        sp.spectral_radius(XY, algo, [1.0, 2.0, 3.0])


def test_stability_sweep_matches_pointwise_and_closed_forms() -> None:
    etas = np.linspace(0.01, 1.5, 40)
    r = sp.stability_sweep(XY, dynamics.make_algorithm("extragradient"), Z0, values=etas)
    np.testing.assert_allclose(r, np.sqrt(1 - etas**2 + etas**4), atol=1e-12)
    gammas = np.linspace(0.1, 3.0, 7)
    r2 = sp.stability_sweep(XY, dynamics.make_algorithm("consensus"), Z0, "lr", etas, "gamma", gammas)
    assert r2.shape == (40, 7)
    want = np.sqrt((1 - etas[:, None] * gammas[None, :]) ** 2 + etas[:, None] ** 2)
    np.testing.assert_allclose(r2, want, atol=1e-12)
    # an integer hyperparameter takes the per-point path
    r3 = sp.stability_sweep(XY, dynamics.make_algorithm("unrolled", lr=0.1), Z0, "unroll_steps", [0, 1, 5])
    np.testing.assert_allclose(r3, [math.sqrt(1.01), 0.9949874371, 0.9539392014], atol=1e-9)
    with pytest.raises(ValueError, match="no hyperparameter"):
        sp.stability_sweep(XY, dynamics.make_algorithm("gda"), Z0, "gamma", [1.0])
    with pytest.raises(ValueError, match="lr"):
        sp.stability_sweep(XY, dynamics.make_algorithm("gda"), Z0, "lr", [-1.0])


def test_non_differentiable_step_gives_nan_not_lapack_errors() -> None:
    game = dynamics.make_game("bilinear")
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    radius = sp.spectral_radius(game, dynamics.make_algorithm("adam"), z)
    assert torch.isnan(radius[0]) and torch.isfinite(radius[1])


def _sweep_axes(name: str) -> tuple[str, list[float], str, list[float]]:
    """Two float hyperparameters of a registered algorithm and a few values of each, inside their ranges."""
    cls = dynamics.ALGORITHMS[name]
    floats = [hp for hp in dynamics.hparams(cls) if hp.kind == "float" and hp.low is not None and hp.high is not None]
    preferred = ["lr_x", "lr_y"] if any(hp.name == "lr_x" for hp in floats) else []
    order = [hp for n in preferred for hp in floats if hp.name == n] + [hp for hp in floats if hp.name not in preferred]
    p1 = order[0]
    p2 = order[1] if len(order) > 1 else order[0]

    def vals(hp, k):
        lo, hi = hp.low, min(hp.high, 0.5 if hp.name.startswith("lr") else hp.high)
        return list(np.linspace(lo + 0.1 * (hi - lo), lo + 0.9 * (hi - lo), k))

    return p1.name, vals(p1, 4), p2.name, vals(p2, 3)


@pytest.mark.parametrize("name", sorted(dynamics.ALGORITHMS))
def test_sweep_is_batched_and_equals_per_point_for_every_algorithm(name: str, monkeypatch) -> None:
    algo = dynamics.make_algorithm(name)
    p1, v1, p2, v2 = _sweep_axes(name)
    z = [0.7, -0.4]
    calls: list[int] = []
    real = sp._batched_radius

    def counting(game, algorithm, zz):
        calls.append(zz.shape[0])
        return real(game, algorithm, zz)

    monkeypatch.setattr(sp, "_batched_radius", counting)
    if p2 == p1:
        r = sp.stability_sweep(XY, algo, z, p1, v1)
        want = [float(sp.spectral_radius(XY, dataclasses.replace(algo, **{p1: a}), z)[0]) for a in v1]
        assert calls == [len(v1)]
    else:
        r = sp.stability_sweep(XY, algo, z, p1, v1, p2, v2)
        want = [[float(sp.spectral_radius(XY, dataclasses.replace(algo, **{p1: a, p2: b}), z)[0]) for b in v2]
                for a in v1]
        assert calls == [len(v1) * len(v2)]  # the whole grid is one batched step
    np.testing.assert_allclose(r, np.array(want), rtol=0, atol=1e-10)
