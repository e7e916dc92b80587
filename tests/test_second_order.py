"""Oracles of docs/algorithms.md §10-18, 20, 23 for the game-aware algorithms.

NE = f = xy, η = 0.1, z_0 = (1, 1), T = 100. Closed forms are asserted to 1e-12, table values
(10 significant digits) to ~1e-8. Scalar references below are independent numpy recursions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dynamics
import dynamics.spectrum
from dynamics.algorithm import schedule_factor
from dynamics.algorithms.greedy_minmax import FLAG_ACCEPTED, FLAG_NONE, FLAG_REJECTED, FLAG_UNCONDITIONAL

XY = dynamics.make_game("bilinear")


def run(name: str, game=XY, z0=(1.0, 1.0), steps: int = 100, **kw) -> dynamics.Trajectory:
    return dynamics.run(game, dynamics.make_algorithm(name, **kw), list(z0), steps=steps, bound=1e30)


def final(traj: dynamics.Trajectory) -> np.ndarray:
    return traj.z[-1, 0].numpy()


# ---- §23.1 table ------------------------------------------------------------------------------
TABLE = [
    ("consensus", dict(gamma=1.0), (5.23738e-05, -4.54971e-05), 1e-5),
    ("sga", dict(lam=1.0), (5.23738e-05, -4.54971e-05), 1e-5),
    ("cgd", dict(), (-0.2071640007, -0.8345690513), 1e-8),
    ("cgd", dict(solver="cg"), (-0.2071640007, -0.8345690513), 1e-8),
    ("unrolled", dict(unroll_steps=1), (-0.1288438349, -0.8752802546), 1e-8),
    ("unrolled", dict(unroll_steps=5), (-0.0135432085, -0.0033781082), 1e-8),
    ("gd_reg", dict(eta_r=0.5, order="simultaneous"), (-0.0135432085, -0.0033781082), 1e-8),
    ("gd_reg", dict(eta_r=0.5, order="y_first"), (-0.0097035578, 0.0012547502), 1e-8),
    ("sgda", dict(p=1.0, beta=0.5), (-0.79830968, -1.02838503), 1e-7),
    ("sgda", dict(p=1.0, beta=0.1), (-0.204935, 0.44155428), 1e-6),
    ("conjugate_gradient", dict(rule="FR"), (58.2124936, -14.1559067), 1e-8),
    ("conjugate_gradient", dict(rule="PRP"), (0.0134258, -1.0109470), 5e-7),
    ("conjugate_gradient", dict(rule="HS"), (1.5774974, -0.8919118), 1e-7),
    ("conjugate_gradient", dict(rule="DY"), (1.504e17, 2.746e16), 1e-3),
]


@pytest.mark.parametrize(("name", "kw", "expected", "rtol"), TABLE, ids=[f"{n}-{kw}" for n, kw, _, _ in TABLE])
def test_table_23_1(name: str, kw: dict, expected: tuple, rtol: float) -> None:
    # the table prints 7 to 10 significant digits: half a unit in the last printed digit
    np.testing.assert_allclose(final(run(name, **kw)), expected, rtol=rtol, atol=rtol * 0.1 if rtol < 1e-3 else 0)


def test_co_norm_matches_table() -> None:
    assert float(run("consensus").z[-1, 0].norm()) == pytest.approx(6.937574e-05, rel=1e-6)


def test_sgda_anchor_matches_table() -> None:
    assert float(run("sgda", p=1.0, beta=0.5).state.anchor[0, 0]) == pytest.approx(-0.87751063, abs=1e-8)
    assert float(run("sgda", p=1.0, beta=0.1).state.anchor[0, 0]) == pytest.approx(0.02635243, abs=1e-8)


# ---- §23.2 closed forms on xᵀAy + bᵀx + cᵀy -----------------------------------------------------
SIGMA = (2.0, 0.5)
BIL = dynamics.make_game("bilinear", A=((SIGMA[0], 0.0), (0.0, SIGMA[1])), b=(0.3, -0.2), c=(0.1, 0.4))


def _rho(name: str, eta: float, s: float, gamma: float = 1.0) -> float:
    return {
        "consensus": math.sqrt((1 - eta * gamma * s * s) ** 2 + eta * eta * s * s),
        "sga": math.sqrt((1 - eta * gamma * s * s) ** 2 + eta * eta * s * s),
        "cgd": 1.0 / math.sqrt(1 + eta * eta * s * s),
    }[name]


@pytest.mark.parametrize(("name", "solver"), [("consensus", ""), ("sga", ""), ("cgd", "dense"), ("cgd", "cg")])
@pytest.mark.parametrize("pair", [0, 1])
def test_norm_power_law_per_singular_value(name: str, pair: int, solver: str) -> None:
    eta, steps = 0.1, 50
    xs, ys = BIL.equilibrium()
    z_star = torch.tensor(xs + ys, dtype=torch.float64)
    e = torch.zeros(4, dtype=torch.float64)
    e[pair], e[2 + pair] = 0.7, -0.4  # z_0 − z* in one singular pair's plane
    kw = {"gamma": 1.0} if name == "consensus" else {"lam": 1.0} if name == "sga" else {"solver": solver}
    traj = dynamics.run(BIL, dynamics.make_algorithm(name, lr=eta, **kw), (z_star + e)[None], steps=steps)
    got = float((traj.z[-1, 0] - z_star).norm())
    want = _rho(name, eta, SIGMA[pair]) ** steps * float(e.norm())
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_sga_sign_rule_is_plus_on_bilinear_games_and_equals_consensus() -> None:
    starts = torch.randn(16, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    g = dynamics.make_game("bilinear", A=((1.0, 0.3), (-0.2, 0.8)), b=(0.1, 0.2), c=(-0.3, 0.0))
    for normaliser in ("tensors", "dimension"):
        a = dynamics.run(g, dynamics.make_algorithm("sga", lam=0.7, normaliser=normaliser), starts, steps=20)
        b = dynamics.run(g, dynamics.make_algorithm("consensus", gamma=0.7), starts, steps=20)
        torch.testing.assert_close(a.z, b.z, rtol=1e-12, atol=1e-14)


def test_sga_is_gradient_descent_on_potential_games() -> None:
    g = dynamics.make_game("quadratic", a=1.0, b=0.0, c=-0.5)  # H symmetric, A = 0
    torch.testing.assert_close(run("sga", g, steps=30).z, run("gda", g, steps=30).z, rtol=1e-13, atol=1e-15)


def test_sga_sign_flips_with_the_hamiltonian() -> None:
    # quadratic (0.5, 1, 0.5) at (1, 1): sign +1 (docs/algorithms.md §11); compare one step by hand
    g = dynamics.make_game("quadratic", a=0.5, b=1.0, c=0.5)
    M = g.field_matrix()
    z = np.array([1.0, 1.0])
    xi = M @ z
    at = 0.5 * (M.T @ xi - M @ xi)
    mult = (xi @ (M.T @ xi)) * (at @ (M.T @ xi))
    lam = np.sign(mult / 2 + 0.1)
    assert lam == 1.0
    np.testing.assert_allclose(final(run("sga", g, steps=1, lr=0.1)), z - 0.1 * (xi + lam * at), rtol=1e-14)
    # a point where the rule turns λ negative: a = c = −0.5 (the Hamiltonian must rise)
    g2 = dynamics.make_game("quadratic", a=-0.5, b=0.2, c=-0.5)
    M2 = g2.field_matrix()
    xi2 = M2 @ z
    at2 = 0.5 * (M2.T @ xi2 - M2 @ xi2)
    lam2 = np.sign((xi2 @ (M2.T @ xi2)) * (at2 @ (M2.T @ xi2)) / 2 + 0.1)
    np.testing.assert_allclose(final(run("sga", g2, steps=1, lr=0.1)), z - 0.1 * (xi2 + lam2 * at2), rtol=1e-14)


# ---- unrolled and gradient-norm regularisation --------------------------------------------------
def test_unrolled_equals_gd_reg_when_k_eta_is_eta_r() -> None:
    torch.testing.assert_close(run("unrolled", unroll_steps=5).z, run("gd_reg", eta_r=0.5, order="simultaneous").z,
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [0, 1, 3])
def test_unrolled_quadratic_total_derivative(k: int) -> None:
    a, b, c, eta = 0.5, 1.5, 0.8, 0.1
    g = dynamics.make_game("quadratic", a=a, b=b, c=c)
    x, y = 0.7, -0.3
    rho = 1 - eta * c
    y_k = rho**k * y + b * x * (1 - rho**k) / c
    s_k = b * (1 - rho**k) / c
    gx = (a * x + b * y_k) + (b * x - c * y_k) * s_k
    want = (x - eta * gx, y + eta * (b * x - c * y))
    np.testing.assert_allclose(final(run("unrolled", g, (x, y), steps=1, unroll_steps=k, lr=eta)), want, rtol=1e-13)


def test_unrolled_adam_without_unrolling_is_adam() -> None:
    a = run("unrolled", unroll_steps=0, optimizer="adam", lr=0.1, beta1=0.5)
    b = run("adam", lr=0.1, beta1=0.5)
    torch.testing.assert_close(a.z, b.z, rtol=1e-12, atol=1e-13)


def test_unrolled_adam_matches_numpy_unroll() -> None:
    eta, b1, b2, eps, K = 0.05, 0.5, 0.999, 1e-8, 2
    x, y = 0.8, -0.6
    m, v = np.zeros(2), np.zeros(2)
    traj = run("unrolled", z0=(x, y), steps=3, unroll_steps=K, optimizer="adam", lr=eta)
    for t in range(1, 4):
        # generator: derivative of x·y_K(x) through K Adam steps of y on f = xy, by finite differences
        def y_k(xx: float) -> float:
            yk, my, vy = y, m[1], v[1]  # noqa: B023 (called inside the loop)
            for j in range(K):
                gy = -xx  # ξ_y = −∂_y f
                my = b1 * my + (1 - b1) * gy
                vy = b2 * vy + (1 - b2) * gy * gy
                tt = t + j  # noqa: B023 (called inside the loop)
                yk = yk - eta * (my / (1 - b1**tt)) / (math.sqrt(vy / (1 - b2**tt)) + eps)
            return yk

        h = 1e-6
        gx = ((x + h) * y_k(x + h) - (x - h) * y_k(x - h)) / (2 * h)
        g = np.array([gx, -x])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        x, y = x - eta * step[0], y - eta * step[1]
    np.testing.assert_allclose(final(traj), (x, y), rtol=1e-7)


def test_gd_reg_quadratic_direction() -> None:
    a, b, c, eta, r = 0.5, 1.5, 0.8, 0.1, 0.3
    g = dynamics.make_game("quadratic", a=a, b=b, c=c)
    x, y = 0.7, -0.3
    want = (x - eta * (a * x + b * y + 2 * r * b * (b * x - c * y)), y + eta * (b * x - c * y))
    np.testing.assert_allclose(final(run("gd_reg", g, (x, y), steps=1, eta_r=r, order="simultaneous")), want,
                               rtol=1e-13)


# ---- Follow-the-Ridge -----------------------------------------------------------------------------
def test_ftr_f1_converges_where_gda_diverges() -> None:
    g = dynamics.make_game("quadratic", preset="ftr_f1")
    z = final(run("ftr", g, (5.0, 7.0), steps=1000, lr=0.05))
    np.testing.assert_allclose(z, (1.17398686e-43, 2.34273010e-43), rtol=1e-6)
    assert bool(run("gda", g, (5.0, 7.0), steps=200, lr=0.1).diverged[0]) or float(
        run("gda", g, (5.0, 7.0), steps=200, lr=0.1).z[-1, 0].norm()) > 1e6


def test_ftr_is_gda_on_xy() -> None:
    torch.testing.assert_close(run("ftr").z, run("gda").z, rtol=1e-14, atol=1e-15)


def test_ftr_iteration_matrix_on_quadratic() -> None:
    a, b, c, ex, ey = -1.0, 2.0, 1.5, 0.05, 0.2
    g = dynamics.make_game("quadratic", a=a, b=b, c=c)
    R = np.array([[1 - ex * a, -ex * b], [ey * b - ex * a * b / c, 1 - ey * c - ex * b * b / c]])
    z0 = np.array([0.4, -1.1])
    got = final(run("ftr", g, z0, steps=1, lr_x=ex, lr_y=ey))
    np.testing.assert_allclose(got, R @ z0, rtol=1e-13)


def test_ftr_cg_solver_matches_exact_on_vector_quadratic() -> None:
    g = dynamics.make_game("quadratic", P=((1.0, 0.2), (0.2, -0.5)), B=((1.0, 0.0, 0.5), (0.0, 1.0, 0.0)),
                           Q=((1.0, 0.1, 0.0), (0.1, 0.5, 0.0), (0.0, 0.0, 0.2)))
    z0 = torch.randn(8, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    a = dynamics.run(g, dynamics.make_algorithm("ftr", solver="exact", damping=0.1), z0, steps=10)
    b = dynamics.run(g, dynamics.make_algorithm("ftr", solver="cg", damping=0.1, cg_iters=3), z0, steps=10)
    torch.testing.assert_close(a.z, b.z, rtol=1e-10, atol=1e-12)


# ---- competitive gradient descent ---------------------------------------------------------------
@pytest.mark.parametrize("solver", ["dense", "cg"])
def test_cgd_quadratic_closed_form(solver: str) -> None:
    a, b, c, eta = 0.5, 1.5, 0.8, 0.1
    g = dynamics.make_game("quadratic", a=a, b=b, c=c)
    x, y = 0.7, -0.3
    den = 1 + eta * eta * b * b
    dx = -eta * (a * x + b * y + eta * b * (b * x - c * y)) / den
    dy = eta * (b * x - c * y - eta * b * (a * x + b * y)) / den
    np.testing.assert_allclose(final(run("cgd", g, (x, y), steps=1, solver=solver)), (x + dx, y + dy), rtol=1e-13)


def test_cgd_cg_matches_dense_on_vector_games_and_general_sum() -> None:
    zv = torch.randn(6, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    g = dynamics.make_game("quadratic", P=((1.0, 0.2), (0.2, 0.5)), B=((1.0, 0.0, 0.5), (0.0, 1.0, 0.0)),
                           Q=((1.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.2)))
    a = dynamics.run(g, dynamics.make_algorithm("cgd", solver="dense"), zv, steps=20)
    # tol = atol = 0: CG runs its dim(y) iterations, exact up to rounding (the default tol = 1e-12
    # bounds the squared residual, i.e. ~1e-6 relative, as in the cgds package)
    b = dynamics.run(g, dynamics.make_algorithm("cgd", solver="cg", tol=0.0, atol=0.0), zv, steps=20)
    torch.testing.assert_close(a.z, b.z, rtol=1e-9, atol=1e-11)
    ns = dynamics.make_game("dirac_gan", preset="nsgan_r1")
    assert not ns.zero_sum
    z2 = torch.randn(6, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    a = dynamics.run(ns, dynamics.make_algorithm("cgd", solver="dense", lr=0.3), z2, steps=20)
    b = dynamics.run(ns, dynamics.make_algorithm("cgd", solver="cg", lr=0.3, tol=0.0, atol=0.0), z2, steps=20)
    torch.testing.assert_close(a.z, b.z, rtol=1e-9, atol=1e-11)


def test_cgd_general_sum_solves_the_joint_system() -> None:
    # [[I, η H_xy], [η H_yx, I]] Δ = −η ξ on the Dirac NSGAN, checked against a dense numpy solve
    ns = dynamics.make_game("dirac_gan", preset="nsgan_r1")
    z = torch.tensor([[0.6, -0.4]], dtype=torch.float64)
    H = dynamics.spectrum.game_jacobian(ns, z)[0].numpy()
    xi = ns.xi(z)[0].numpy()
    eta = 0.3
    A = np.array([[1.0, eta * H[0, 1]], [eta * H[1, 0], 1.0]])
    delta = np.linalg.solve(A, -eta * xi)
    np.testing.assert_allclose(final(run("cgd", ns, z[0].tolist(), steps=1, lr=eta)), z[0].numpy() + delta,
                               rtol=1e-12)


def test_cgd_cg_rows_are_independent_and_warm_started() -> None:
    g = dynamics.make_game("bilinear", A=((2.0, 0.5, 0.0), (0.0, 1.0, 0.3), (0.1, 0.0, 0.5)))
    z = torch.randn(5, 6, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    algo = dynamics.make_algorithm("cgd", solver="cg")
    full = dynamics.run(g, algo, z, steps=5)
    for i in range(5):
        one = dynamics.run(g, algo, z[i : i + 1], steps=5)
        torch.testing.assert_close(one.z[:, 0], full.z[:, i], rtol=1e-12, atol=1e-14)
    assert full.state.w.shape == (5, 3) and bool((full.state.w != 0).any())


# ---- smoothed GDA ---------------------------------------------------------------------------------
def test_sgda_with_p0_is_alternating_gda() -> None:
    torch.testing.assert_close(run("sgda", p=0.0, beta=0.5).z, run("alt_gda").z, rtol=1e-14, atol=1e-15)


def test_sgda_projects_after_each_half_step() -> None:
    g = dynamics.make_game("box_bilinear", radius=1.0)
    # x leaves the box on its half-step; y must see the projected x
    x, y, c = 0.95, -1.0, 0.5
    xp = min(max(x - c * (y + 1.0 * (x - x)), -1.0), 1.0)
    yp = min(max(y + c * xp, -1.0), 1.0)
    np.testing.assert_allclose(final(run("sgda", g, (x, y), steps=1, lr=c, p=1.0)), (xp, yp), rtol=1e-15)


def _double_sgda_reference(steps: int, eta: float, p: float, beta: float, t0: int) -> tuple[float, float]:
    x, y = 1.0, 1.0
    bar = y
    for t in range(steps):
        d = y - bar
        pull = 0.0 if d == 0 else d / abs(d)
        x_new = x - eta * (y + p * bar)  # ξ_x(x, y) = y, ξ_x(x, ȳ) = ȳ
        y_new = y - eta * (-x + p * pull)
        if t == t0:
            bar = y
        elif t > t0:
            bar = (1 - beta) * bar + beta * y
        x, y = x_new, y_new
    return x, y


def test_double_sgda_matches_scalar_reference() -> None:
    got = final(run("double_sgda", steps=40, p=0.5, beta=0.1, swa_start=5, order="simultaneous"))
    np.testing.assert_allclose(got, _double_sgda_reference(40, 0.1, 0.5, 0.1, 5), rtol=1e-13)


def test_double_sgda_with_p0_is_gda() -> None:
    torch.testing.assert_close(run("double_sgda", p=0.0, order="simultaneous").z, run("gda").z, rtol=1e-14,
                               atol=1e-15)
    torch.testing.assert_close(run("double_sgda", p=0.0).z, run("alt_gda").z, rtol=1e-14, atol=1e-15)


def test_sgda_adam_matches_scalar_reference() -> None:
    # independent scalar loop on f = xy (ξ_x = y, ξ_y = −x): Adam on x's full gradient (proximal
    # term included), then Adam on y at the new x; one optimiser (moments, step count) per player
    ex, ey, p, beta, b1, b2, n = 0.1, 0.05, 0.5, 0.1, 0.9, 0.999, 60
    x, y = 1.0, 1.0
    z = x
    mx = vx = my = vy = 0.0
    for t in range(1, n + 1):
        dx, mx, vx = _adam_scalar(y + p * (x - z), mx, vx, t, b1, b2)
        x = x - ex * dx
        dy, my, vy = _adam_scalar(-x, my, vy, t, b1, b2)
        y = y - ey * dy
        z = z + beta * (x - z)
    traj = run("sgda", steps=n, p=p, beta=beta, optimizer="adam", lr=0.1, lr_x=ex, lr_y=ey)
    np.testing.assert_allclose(final(traj), (x, y), rtol=1e-12)
    st = traj.state
    np.testing.assert_allclose(float(st.anchor[0, 0]), z, rtol=1e-12)
    np.testing.assert_allclose(st.m[0].numpy(), (mx, my), rtol=1e-12)
    np.testing.assert_allclose(st.v[0].numpy(), (vx, vy), rtol=1e-12)
    assert (int(st.t_x[0]), int(st.t_y[0])) == (n, n)


@pytest.mark.parametrize("penalty", ["norm", "squared"])
def test_double_sgda_adam_matches_scalar_reference(penalty: str) -> None:
    # simultaneous Adam steps on each player's full gradient: G's includes p·ξ_x(x, ȳ), D's the
    # penalty's gradient (the repo's torch.optim.Adam on losses with the smoothing terms)
    ex, ey, p, beta, t0, b1, b2, n = 0.1, 0.05, 0.5, 0.1, 5, 0.9, 0.999, 60
    x, y = 1.0, 1.0
    bar = y
    mx = vx = my = vy = 0.0
    for t in range(n):
        d = y - bar
        pull = (0.0 if d == 0 else d / abs(d)) if penalty == "norm" else d
        dx, mx, vx = _adam_scalar(y + p * bar, mx, vx, t + 1, b1, b2)
        dy, my, vy = _adam_scalar(-x + p * pull, my, vy, t + 1, b1, b2)
        if t == t0:
            bar = y
        elif t > t0:
            bar = (1 - beta) * bar + beta * y
        x, y = x - ex * dx, y - ey * dy
    traj = run("double_sgda", steps=n, p=p, beta=beta, swa_start=t0, penalty=penalty, optimizer="adam", lr=0.1,
               lr_x=ex, lr_y=ey, order="simultaneous")
    np.testing.assert_allclose(final(traj), (x, y), rtol=1e-12)
    st = traj.state
    np.testing.assert_allclose(float(st.anchor[0, 0]), bar, rtol=1e-12)
    np.testing.assert_allclose(st.m[0].numpy(), (mx, my), rtol=1e-12)
    np.testing.assert_allclose(st.v[0].numpy(), (vx, vy), rtol=1e-12)
    assert (int(st.t[0]), int(st.t_x[0]), int(st.t_y[0])) == (n, n, n)


def test_smoothed_adam_with_p0_is_adam() -> None:
    kw = dict(lr=0.1, beta1=0.9, beta2=0.999)
    torch.testing.assert_close(run("sgda", p=0.0, optimizer="adam", **kw).z, run("adam", order="x_first", **kw).z,
                               rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(run("double_sgda", p=0.0, optimizer="adam", order="simultaneous", **kw).z,
                               run("adam", **kw).z,
                               rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", ["sgda", "double_sgda"])
def test_smoothed_adam_rows_independent_and_resumable(name: str) -> None:
    # the registry-driven tests run the default (sgd); the Adam state gets the same checks here
    game = dynamics.make_game("dirac_gan", preset="nsgan_r1")
    extra = {"swa_start": 2} if name == "double_sgda" else {}  # the slow copy starts inside the run
    algo = dynamics.make_algorithm(name, optimizer="adam", lr=0.05, **extra)
    z0 = torch.randn(3, game.dim, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    full = dynamics.run(game, algo, z0, steps=8)
    for b in range(3):
        alone = dynamics.run(game, algo, z0[b : b + 1], steps=8)
        torch.testing.assert_close(full.z[:, b], alone.z[:, 0], rtol=0, atol=1e-12)
    first = dynamics.run(game, algo, z0, steps=4)
    rest = dynamics.run(game, algo, first.z_final, steps=4, state=first.state, start_step=4)
    torch.testing.assert_close(rest.z, full.z[4:], rtol=0, atol=0)


# ---- greedy min-max -----------------------------------------------------------------------------
def test_greedy_toy_oracle() -> None:
    traj = run("greedy_minmax")  # MNIST rule, rate 5, k = 1, revert both
    np.testing.assert_allclose(final(traj), (0.0685192059, -1.3732791118), rtol=1e-9)
    flags = traj.extras["greedy_flag"][:, 0]
    assert int(flags[0]) == FLAG_NONE
    counts = [int((flags[1:] == f).sum()) for f in (FLAG_ACCEPTED, FLAG_REJECTED, FLAG_UNCONDITIONAL)]
    assert counts == [20, 60, 20]
    assert (flags[1::5] == FLAG_UNCONDITIONAL).all()  # iterations 0, 5, 10, ...


def test_greedy_rate_one_is_alternating_gda() -> None:
    torch.testing.assert_close(run("greedy_minmax", rate=1).z, run("alt_gda").z, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("criterion", ["value", "d_loss"])
def test_greedy_gaussian_variant_matches_scalar_reference(criterion: str) -> None:
    # independent scalar loop: simultaneous step, k−1 more D steps, compare with the previous f,
    # restore x only; f ← f_new always (docs/algorithms.md §17, sign in the MNIST convention, or the
    # notebook's literal −f with criterion="d_loss")
    x, y, f, eta, acc, rej = 1.0, 1.0, 1e7, 0.1, 0, 0
    sign = 1.0 if criterion == "value" else -1.0
    for i in range(100):
        xn, yn = x - eta * y, y + eta * x
        for _ in range(5):
            yn = yn + eta * xn
        fn = sign * xn * yn
        if i % 4 != 0 and fn > f:
            rej += 1
            y = yn
        else:
            acc += i % 4 != 0
            x, y = xn, yn
        f = fn
    traj = run("greedy_minmax", variant="gaussian", rate=4, k=6, criterion=criterion)
    np.testing.assert_allclose(final(traj), (x, y), rtol=1e-12)
    flags = traj.extras["greedy_flag"][1:, 0]
    assert (int((flags == FLAG_ACCEPTED).sum()), int((flags == FLAG_REJECTED).sum())) == (acc, rej)


def _adam_scalar(g: float, m: float, v: float, t: int, b1: float = 0.5, b2: float = 0.999,
                 eps: float = 1e-8) -> tuple[float, float, float]:
    """torch.optim.Adam on one scalar: (direction, m, v) at step count t (this step included)."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps), m, v


@pytest.mark.parametrize("variant", ["gaussian", "mnist"])
def test_greedy_adam_matches_scalar_reference(variant: str) -> None:
    # independent scalar loop on f = xy (ξ_x = y, ξ_y = −x): Adam steps for both players, one
    # optimiser per player (D's step count grows by k per iteration); a rejection restores the
    # weights only, never the moments (the notebooks restore models, not optimiser slots)
    ex, ey, rate, k, n = 0.1, 0.05, 4 if variant == "gaussian" else 5, 6 if variant == "gaussian" else 2, 60
    x, y, f = 1.0, 1.0, 1e7
    mx = vx = my = vy = 0.0
    tx = ty = acc = rej = 0
    for i in range(n):
        if variant == "gaussian":
            f_old = f
            tx, ty = tx + 1, ty + 1
            dx, mx, vx = _adam_scalar(y, mx, vx, tx)
            dy, my, vy = _adam_scalar(-x, my, vy, ty)
            xn, yn = x - ex * dx, y - ey * dy
            d_steps = k - 1
        else:
            f_old = x * y
            tx += 1
            dx, mx, vx = _adam_scalar(y, mx, vx, tx)
            xn, yn = x - ex * dx, y
            d_steps = k
        for _ in range(d_steps):
            ty += 1
            dy, my, vy = _adam_scalar(-xn, my, vy, ty)
            yn = yn - ey * dy
        fn = xn * yn
        if i % rate != 0 and fn > f_old:
            rej += 1
            if variant == "gaussian":
                y = yn  # the Gaussian notebook restores G only
        else:
            acc += i % rate != 0
            x, y = xn, yn
        f = fn
    traj = run("greedy_minmax", steps=n, variant=variant, rate=rate, k=k, optimizer="adam", lr=0.1, lr_x=ex, lr_y=ey,
               beta1=0.5)
    np.testing.assert_allclose(final(traj), (x, y), rtol=1e-12)
    flags = traj.extras["greedy_flag"][1:, 0]
    assert (int((flags == FLAG_ACCEPTED).sum()), int((flags == FLAG_REJECTED).sum())) == (acc, rej)
    assert rej > 5 and acc > 5  # both branches exercised
    st = traj.state
    assert (int(st.t_x[0]), int(st.t_y[0])) == (tx, ty) == (n, n * k)
    np.testing.assert_allclose(st.m[0].numpy(), (mx, my), rtol=1e-12)
    np.testing.assert_allclose(st.v[0].numpy(), (vx, vy), rtol=1e-12)


def test_greedy_adam_rate_one_is_alternating_adam() -> None:
    a = run("greedy_minmax", rate=1, optimizer="adam", lr=0.1, beta1=0.5)
    b = run("adam", order="x_first", lr=0.1, beta1=0.5)
    torch.testing.assert_close(a.z, b.z, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("variant", ["gaussian", "mnist"])
def test_greedy_adam_rows_independent_and_resumable(variant: str) -> None:
    # the registry-driven tests run the default (sgd); the Adam state gets the same checks here
    game = dynamics.make_game("dirac_gan", preset="nsgan_r1")
    algo = dynamics.make_algorithm("greedy_minmax", variant=variant, rate=3, k=2, optimizer="adam", lr=0.05)
    z0 = torch.randn(3, game.dim, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    full = dynamics.run(game, algo, z0, steps=8)
    for b in range(3):
        alone = dynamics.run(game, algo, z0[b : b + 1], steps=8)
        torch.testing.assert_close(full.z[:, b], alone.z[:, 0], rtol=0, atol=1e-12)
        assert torch.equal(full.extras["greedy_flag"][:, b], alone.extras["greedy_flag"][:, 0])
    first = dynamics.run(game, algo, z0, steps=4)
    rest = dynamics.run(game, algo, first.z_final, steps=4, state=first.state, start_step=4)
    torch.testing.assert_close(rest.z, full.z[4:], rtol=0, atol=0)
    assert (full.extras["greedy_flag"][1:] == FLAG_REJECTED).any()


def test_greedy_temperature_draws_are_reproducible_and_batch_free() -> None:
    algo = dynamics.make_algorithm("greedy_minmax", temperature=True, seed=7)
    z = torch.randn(3, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    a = dynamics.run(XY, algo, z, steps=60)
    b = dynamics.run(XY, algo, z[1:2], steps=60)
    torch.testing.assert_close(a.extras["greedy_flag"][:, 1], b.extras["greedy_flag"][:, 0])
    torch.testing.assert_close(a.z[:, 1], b.z[:, 0], rtol=0, atol=0)
    uncond = a.extras["greedy_flag"][1:, 0] == FLAG_UNCONDITIONAL
    # P(unconditional) = 1/τ ≈ 1/5: some but not most of the 60 steps
    assert 2 <= int(uncond.sum()) <= 30
    # all rows share the draw: the unconditional steps coincide across rows
    assert ((a.extras["greedy_flag"][1:] == FLAG_UNCONDITIONAL) == uncond[:, None]).all()
    c = dynamics.run(XY, dynamics.make_algorithm("greedy_minmax", temperature=True, seed=8), z, steps=60)
    assert not torch.equal(c.extras["greedy_flag"], a.extras["greedy_flag"])


# ---- conjugate gradient ---------------------------------------------------------------------------
def _cg_reference(rule: str, steps: int, eta: float, coef: float, schedule: str, order: str) -> np.ndarray:
    """Scalar per-player nonlinear CG on f = xy (ξ_x = y, ξ_y = −x)."""
    z = np.array([1.0, 1.0])
    gp, dp = np.zeros(2), np.zeros(2)

    def beta(g: float, g_prev: float, d_prev: float) -> float:
        u = g - g_prev

        def div(a: float, b: float) -> float:
            return 0.0 if b == 0 else a / b

        fr, prp, hs, dy = div(g * g, g_prev**2), div(g * u, g_prev**2), div(g * u, d_prev * u), div(g * g, d_prev * u)
        hz = 0.0 if d_prev * u == 0 else hs - 2.0 * div(u * u * g * d_prev, (d_prev * u) ** 2)
        return {"FR": fr, "PRP": prp, "HS": hs, "DY": dy, "HS_DY": max(0.0, min(hs, dy)),
                "FR_PRP": max(0.0, min(fr, prp)), "HZ": hz}[rule]

    for n in range(steps):
        lr = eta * {"constant": 1.0, "sqrt": 1 / math.sqrt(n + 1), "exponential": 0.9**n}[schedule]

        def direction(i: int, g: float) -> float:
            b = 0.0 if n == 0 else coef * min(beta(g, gp[i], dp[i]), 0.5)  # noqa: B023 (called inside the loop)
            return -g + b * dp[i]  # noqa: B023 (called inside the loop)

        if order == "simultaneous":
            g = np.array([z[1], -z[0]])
            d = np.array([direction(0, g[0]), direction(1, g[1])])
            z = z + lr * d
        else:  # x first
            g0 = z[1]
            d0 = direction(0, g0)
            z[0] = z[0] + lr * d0
            g1 = -z[0]
            d1 = direction(1, g1)
            z[1] = z[1] + lr * d1
            g, d = np.array([g0, g1]), np.array([d0, d1])
        gp, dp = g, d
    return z


@pytest.mark.parametrize("rule", ["FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ"])
@pytest.mark.parametrize(("coef", "schedule", "order"), [(1.0, "constant", "simultaneous"),
                                                         (0.75, "sqrt", "x_first"),
                                                         (0.5, "exponential", "simultaneous")])
def test_conjugate_gradient_matches_scalar_reference(rule: str, coef: float, schedule: str, order: str) -> None:
    traj = run("conjugate_gradient", steps=30, rule=rule, coef=coef, schedule=schedule, order=order, decay=0.9)
    np.testing.assert_allclose(final(traj), _cg_reference(rule, 30, 0.1, coef, schedule, order), rtol=1e-11)


def test_conjugate_gradient_first_step_descends_and_step_schedule() -> None:
    # d_0 = −g_0 (the toy file ascends on its first step)
    np.testing.assert_allclose(final(run("conjugate_gradient", steps=1)), (1 - 0.1, 1 + 0.1), rtol=1e-15)
    a = dynamics.make_algorithm("conjugate_gradient", schedule="step", decay=0.5, decay_every=3)
    n = torch.arange(7)
    factor = schedule_factor(a.schedule, n, a.decay, a.decay_every, torch.zeros(1, dtype=torch.float64))
    torch.testing.assert_close(factor, torch.tensor([1, 1, 1, 0.5, 0.5, 0.5, 0.25], dtype=torch.float64))
