"""The runner: input forms, divergence, caps, devices, callbacks, record_every."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import dynamics

XY = dynamics.make_game("bilinear")
GDA = dynamics.make_algorithm("gda", lr=0.1)


@pytest.mark.parametrize(("x0", "y0", "batch"), [
    (1.0, 1.0, 1),
    ([1.0], [1.0], 1),
    (np.array([1.0]), torch.tensor([1.0]), 1),
    (np.ones((4, 1)), [1.0], 4),
    ([1.0], torch.ones(4, 1), 4),
    (torch.ones(3, 1, dtype=torch.float32), torch.ones(3, 1), 3),
])
def test_start_forms(x0, y0, batch: int) -> None:
    traj = dynamics.run(XY, GDA, x0, y0, steps=3)
    assert traj.x.shape == (4, batch, 1) and traj.x.dtype == torch.float64
    torch.testing.assert_close(traj.z[0], torch.ones(batch, 2, dtype=torch.float64))


def test_joint_start_and_float32() -> None:
    traj = dynamics.run(XY, GDA, [[1.0, 1.0], [0.5, 0.0]], steps=3, dtype=torch.float32)
    assert traj.z.shape == (4, 2, 2) and traj.z.dtype == torch.float32


@pytest.mark.parametrize(("x0", "y0", "message"), [
    ([1.0, 2.0], [1.0], r"x0 must have shape \(1,\) or \(B, 1\)"),
    (np.ones((3, 1)), np.ones((2, 1)), "x0 has 3 starts but y0 has 2"),
    ([float("nan")], [1.0], "x0 must be finite"),
    ([[1.0, 2.0, 3.0]], None, r"z0 must have shape \(2,\)"),
])
def test_bad_starts(x0, y0, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dynamics.run(XY, GDA, x0, y0, steps=1)


def test_divergence_keeps_the_finite_prefix() -> None:
    # GDA at lr = 1 on xy grows by sqrt(2) per step: it passes the bound of 1e6 at step 40
    z0 = torch.tensor([[1.0, 1.0], [1e-3, 0.0]], dtype=torch.float64)
    traj = dynamics.run(XY, dynamics.make_algorithm("gda", lr=1.0), z0, steps=60)
    assert traj.diverged.tolist() == [True, True]
    k = traj.diverged_at.tolist()
    assert k[0] == 40 - 1 and k[1] > k[0]  # |z_t| = sqrt(2)^t sqrt(2); max-norm crosses 1e6 at t = 39
    for b in range(2):
        assert torch.isfinite(traj.z[: k[b], b]).all()
        assert torch.isnan(traj.z[k[b] :, b]).all()
        assert torch.isfinite(traj.z_final[b]).all()
    assert (traj.z[: k[0], 0].abs() <= 1e6).all()


def test_overflow_to_inf_is_divergence_not_an_error() -> None:
    traj = dynamics.run(XY, dynamics.make_algorithm("gda", lr=10.0), [1.0], [1.0], steps=400, bound=float("inf"))
    assert traj.diverged.item() and traj.diverged_at.item() > 0
    assert torch.isfinite(traj.z[: traj.diverged_at.item()]).all()


def test_finite_runs_are_not_flagged() -> None:
    traj = dynamics.run(XY, dynamics.make_algorithm("extragradient", lr=0.1), [1.0], [1.0], steps=50)
    assert not traj.diverged.any() and traj.diverged_at.tolist() == [-1]


def test_size_caps() -> None:
    # an explicit record_every that does not fit is refused (the runner never overrides it)
    with pytest.raises(dynamics.BudgetExceeded, match="above the cap"):
        dynamics.run(XY, GDA, np.zeros((100_000, 1)), np.zeros((100_000, 1)), steps=1000, record_every=1)
    with pytest.raises(ValueError, match="steps must be an integer"):
        dynamics.run(XY, GDA, 1.0, 1.0, steps=-1)
    with pytest.raises(ValueError, match="steps must be an integer"):
        dynamics.run(XY, GDA, 1.0, 1.0, steps=2.5)
    with pytest.raises(ValueError, match="record_every"):
        dynamics.run(XY, GDA, 1.0, 1.0, steps=10, record_every=0)


def test_record_every_thins_the_record_only() -> None:
    full = dynamics.run(XY, GDA, [1.0], [1.0], steps=100)
    thin = dynamics.run(XY, GDA, [1.0], [1.0], steps=100, record_every=10)
    assert thin.steps.tolist() == list(range(0, 101, 10))
    torch.testing.assert_close(thin.z, full.z[::10], rtol=0, atol=0)


def test_callback_sees_each_step_and_can_stop() -> None:
    seen: list[int] = []

    def callback(step: int, z: torch.Tensor, state) -> bool:
        seen.append(step)
        return step < 7

    traj = dynamics.run(XY, GDA, [1.0], [1.0], steps=100, callback=callback)
    assert seen == list(range(1, 8)) and traj.z.shape[0] == 8


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_cuda_absent_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        dynamics.run(XY, GDA, 1.0, 1.0, steps=1, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu() -> None:
    cpu = dynamics.run(XY, dynamics.make_algorithm("extragradient"), [1.0], [1.0], steps=50)
    gpu = dynamics.run(XY, dynamics.make_algorithm("extragradient"), [1.0], [1.0], steps=50, device="cuda",
                       dtype=torch.float64)
    torch.testing.assert_close(gpu.z.cpu(), cpu.z)


def test_metrics_and_distance() -> None:
    traj = dynamics.run(XY, GDA, [1.0], [2.0], steps=5)
    torch.testing.assert_close(traj.f, (traj.x * traj.y)[..., 0])
    torch.testing.assert_close(traj.grad_norm, traj.z.norm(dim=2))
    torch.testing.assert_close(traj.distance_to_equilibrium(), traj.z.norm(dim=2))


def _reference_loop(game, algo, z0: torch.Tensor, steps: int, bound: float):
    """Today's per-row divergence bookkeeping, every step (the semantics the fast path must keep)."""
    z, st = z0.clone(), algo.init(game, z0)
    diverged = torch.zeros(z.shape[0], dtype=torch.bool)
    diverged_at = torch.full((z.shape[0],), -1, dtype=torch.long)
    with torch.no_grad():
        for t in range(1, steps + 1):
            z_new, st = algo.step(game, z, st)
            z_new = game.project(z_new)
            bad = ~torch.isfinite(z_new).all(dim=1) | (z_new.abs().amax(dim=1) > bound)
            diverged_at = torch.where(bad & ~diverged, t, diverged_at)
            diverged = diverged | bad
            z = torch.where(diverged[:, None], z, z_new)
    return z, diverged, diverged_at


@pytest.mark.parametrize(("game", "algo", "bound"), [
    (XY, dynamics.make_algorithm("gda", lr=1.0), 1e6),  # passes the bound at different steps
    (XY, dynamics.make_algorithm("gda", lr=10.0), float("inf")),  # overflows to inf, then NaN
    (dynamics.make_game("nonconvex_nonconcave", variant="forsaken"), dynamics.make_algorithm("ogda", lr=0.3), 1e6),
])
def test_divergence_bookkeeping_matches_the_per_row_loop(game, algo, bound: float) -> None:
    z0 = torch.tensor([[1.0, 1.0], [1e-3, 0.0], [0.0, 0.0], [1e-9, 1e-9], [0.05, -0.1], [3.0, 2.0]],
                      dtype=torch.float64)
    steps = 400
    z_ref, div_ref, at_ref = _reference_loop(game, algo, z0, steps, bound)
    traj = dynamics.run(game, algo, z0, steps=steps, bound=bound, metrics=False)
    assert traj.diverged.tolist() == div_ref.tolist()
    assert traj.diverged_at.tolist() == at_ref.tolist()
    assert len(set(at_ref[div_ref].tolist())) > 1  # rows blow up at different steps
    torch.testing.assert_close(traj.z_final, z_ref, rtol=0, atol=1e-12)
    for b in range(z0.shape[0]):
        k = int(at_ref[b])
        if k >= 0:
            assert torch.isnan(traj.z[k:, b]).all() and torch.isfinite(traj.z[:k, b]).all()
        else:
            assert torch.isfinite(traj.z[:, b]).all()
    # with metrics, a row whose f or |xi| overflows first (x*y beyond 1e308 with bound=inf) is flagged
    # there, never later than its iterate
    with_metrics = dynamics.run(game, algo, z0, steps=steps, bound=bound)
    assert with_metrics.diverged.tolist() == div_ref.tolist()
    at = with_metrics.diverged_at
    assert ((at <= at_ref) & (at >= 0) | ~div_ref).all()
    for b in range(z0.shape[0]):
        assert torch.isfinite(with_metrics.f[: max(0, int(at[b])), b]).all()


def test_automatic_record_every_keeps_first_and_last(monkeypatch) -> None:
    from dynamics import runner

    z0 = torch.randn(8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    algo = dynamics.make_algorithm("extragradient", lr=0.05)
    full = dynamics.run(XY, algo, z0, steps=1000)
    assert full.record_every == 1 and full.note == "" and full.z.shape[0] == 1001
    per_record = 8 * (2 + 2) * 8  # iterates, f and |xi| in float64
    monkeypatch.setattr(runner, "MAX_RECORD_BYTES", 50 * per_record)
    thin = dynamics.run(XY, algo, z0, steps=1000)
    k = thin.record_every
    assert k > 1 and "chosen automatically" in thin.note and thin.z.shape[0] <= 50
    assert thin.steps[0] == 0 and thin.steps[-1] == 1000 and 1000 % k != 0
    assert thin.steps[:-1].tolist() == list(range(0, 1001, k))
    torch.testing.assert_close(thin.z, full.z[thin.steps], rtol=0, atol=0)
    torch.testing.assert_close(thin.f, full.f[thin.steps], rtol=0, atol=0)
    # asking for every step explicitly is refused with a clear error
    with pytest.raises(dynamics.BudgetExceeded, match="record_every=1"):
        dynamics.run(XY, algo, z0, steps=1000, record_every=1)


def test_non_finite_metrics_flag_the_row() -> None:
    # float32 on the forsaken game: z is finite and within the bound but f = ... + y^6/6 overflows
    game = dynamics.make_game("nonconvex_nonconcave", variant="forsaken")
    z0 = torch.tensor([[0.1, 0.1], [0.0, 5e6]], dtype=torch.float32)
    traj = dynamics.run(game, dynamics.make_algorithm("gda", lr=1e-3), z0, steps=3, bound=1e8, dtype=torch.float32)
    assert traj.diverged.tolist() == [False, True] and traj.diverged_at.tolist() == [-1, 0]
    assert torch.isfinite(traj.f[:, 0]).all() and torch.isfinite(traj.grad_norm[:, 0]).all()
    assert torch.isnan(traj.f[:, 1]).all() and torch.isnan(traj.z[:, 1]).all()


@pytest.mark.parametrize("name", ["gda", "alt_gda", "extragradient", "ogda", "momentum", "cgd", "ftr", "consensus",
                                  "sga", "greedy_minmax"])
@pytest.mark.parametrize("batch", [1, 300])  # both sides of the scalar fields' small-batch switch
def test_engine_equals_the_hand_written_loops(name: str, batch: int) -> None:
    # the fast paths (elementwise fields, constant Jacobians, fused steps) against the closed-form
    # updates of bench/handloops.py, which the benchmark compares timings with
    from bench.handloops import numpy_loop, torch_loop

    z0 = torch.randn(batch, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    traj = dynamics.run(XY, dynamics.make_algorithm(name, lr=0.05), z0, steps=300)
    x, y = torch_loop(name, z0[:, 0], z0[:, 1], 300, 0.05)
    torch.testing.assert_close(traj.z_final, torch.stack([x, y], dim=1), rtol=0, atol=1e-12)
    ref = numpy_loop(name, z0[:, 0].numpy(), z0[:, 1].numpy(), 300, 0.05)
    np.testing.assert_allclose(traj.z.numpy(), ref, rtol=0, atol=1e-12)


def test_fast_fields_equal_the_general_matrix_path() -> None:
    # the same games written so that the elementwise fields and constant Jacobians do not apply
    z0 = torch.randn(500, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    fast = dynamics.make_game("quadratic", a=0.3, b=1.2, c=0.1)
    for name in ("gda", "cgd", "ftr", "consensus", "sga", "alt_gda"):
        algo = dynamics.make_algorithm(name, lr=0.05)
        a = dynamics.run(fast, algo, z0, steps=200)
        slow = dynamics.make_game("quadratic", a=0.3, b=1.2, c=0.1)
        object.__setattr__(slow, "_scalar", None)
        object.__setattr__(slow, "constant_jacobian", lambda: None)
        b = dynamics.run(slow, algo, z0, steps=200)
        torch.testing.assert_close(a.z, b.z, rtol=0, atol=1e-12)
        torch.testing.assert_close(a.f, b.f, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bound", [1e6, float("inf")])
def test_divergence_on_long_batches_matches_the_per_row_loop(bound: float) -> None:
    # above _SPLIT_MINMAX entries the exact per-step test takes separate amin/amax passes
    from dynamics import runner

    algo = dynamics.make_algorithm("gda", lr=1.0 if bound < float("inf") else 10.0)
    n = runner._FiniteTest._SPLIT_MINMAX // 2 + 7  # (n, 2) has more entries than the threshold
    scale = torch.logspace(-9, 0, n, dtype=torch.float64)
    z0 = torch.stack([scale, -0.5 * scale], dim=1)
    z0[n // 2] = 0.0  # a row that never diverges
    steps = 80 if bound < float("inf") else 400
    z_ref, div_ref, at_ref = _reference_loop(XY, algo, z0, steps, bound)
    traj = dynamics.run(XY, algo, z0, steps=steps, bound=bound, metrics=False, record_every=steps)
    assert len(set(at_ref[div_ref].tolist())) > 1 and not div_ref.all()
    assert traj.diverged.tolist() == div_ref.tolist()
    assert traj.diverged_at.tolist() == at_ref.tolist()
    torch.testing.assert_close(traj.z_final, z_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_the_one_pass_finite_test_is_exact(dtype: torch.dtype) -> None:
    # the runner's per-step test (a dot product, then the exact min/max test when undecided) must
    # answer exactly as "every entry finite and |z| <= limit", including entries just past the bound
    from dynamics import runner

    gen = torch.Generator().manual_seed(5)
    limit = 1e6
    lim_t = float(torch.tensor(limit, dtype=dtype))
    above = float(torch.nextafter(torch.tensor(lim_t, dtype=dtype), torch.tensor(float("inf"), dtype=dtype)))
    for n in (1, 3, 64, 5000, 40000):
        for case in range(8):
            z = torch.randn(n, 2, generator=gen, dtype=dtype) * 10.0 ** (case - 2)
            i = int(torch.randint(n, (1,), generator=gen))
            if case == 4:
                z[i, 1] = above  # one ulp past the bound
            elif case == 5:
                z[i, 0] = -lim_t  # exactly at the bound: within
            elif case == 6:
                z[i, 0] = float("nan")
            elif case == 7:
                z[i, 1] = float("inf")
            expected = bool(torch.isfinite(z).all()) and float(z.abs().max()) <= limit
            assert runner._FiniteTest(lim_t, z)(z) is expected, (n, case)
    # squares that overflow (|z| near 1e200 under an infinite bound) fall back to the exact test
    big = torch.full((10, 2), 1e200, dtype=torch.float64)
    assert runner._FiniteTest(torch.finfo(torch.float64).max, big)(big)


def test_rows_blowing_up_at_different_steps_on_a_short_batch() -> None:
    # the one-pass test decides most steps; per-row bookkeeping starts at the first failing row
    algo = dynamics.make_algorithm("gda", lr=1.0)
    z0 = torch.stack([torch.logspace(-6, 0, 40, dtype=torch.float64), torch.zeros(40, dtype=torch.float64)], 1)
    z0[7] = 0.0  # never diverges
    z_ref, div_ref, at_ref = _reference_loop(XY, algo, z0, 60, 1e3)
    traj = dynamics.run(XY, algo, z0, steps=60, bound=1e3)
    assert len(set(at_ref[div_ref].tolist())) > 5 and not div_ref.all()
    assert traj.diverged.tolist() == div_ref.tolist()
    assert traj.diverged_at.tolist() == at_ref.tolist()
    torch.testing.assert_close(traj.z_final, z_ref, rtol=0, atol=0)


def test_without_metrics_f_and_grad_norm_are_nan_placeholders() -> None:
    traj = dynamics.run(XY, GDA, torch.ones(4, 2, dtype=torch.float64), steps=5, metrics=False)
    assert traj.f.shape == traj.grad_norm.shape == (6, 4)
    assert torch.isnan(traj.f).all() and torch.isnan(traj.grad_norm).all()


def test_huge_pages_are_asked_for_unless_the_environment_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    from dynamics import threads

    monkeypatch.delenv(threads.THP_ENV, raising=False)
    threads.prefer_huge_pages()
    assert os.environ[threads.THP_ENV] == "1"
    monkeypatch.setenv(threads.THP_ENV, "0")  # an explicit opt-out is kept
    threads.prefer_huge_pages()
    assert os.environ[threads.THP_ENV] == "0"
