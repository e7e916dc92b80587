"""The runner: input forms, divergence, caps, devices, callbacks, record_every."""

from __future__ import annotations

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
    with pytest.raises(ValueError, match="exceeds the cap"):
        dynamics.run(XY, GDA, np.zeros((100_000, 1)), np.zeros((100_000, 1)), steps=1000)
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
