"""Mechanics every registered algorithm must have on every registered game (registry-driven)."""

from __future__ import annotations

import math

import pytest
import torch

import dynamics
from dynamics.params import hparams
from helpers import GAME_CASES, build_game, small_step, starts

ALGOS = sorted(dynamics.ALGORITHMS)
CASES = sorted(GAME_CASES)


def _tree_leaves(state) -> list:
    if isinstance(state, torch.Tensor):
        return [state]
    if isinstance(state, (tuple, list)):
        return [leaf for s in state for leaf in _tree_leaves(s)]
    return []


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ALGOS)
def test_shapes_dtype_device(name: str, case: str, device: str) -> None:
    game = build_game(case)
    algo = small_step(dynamics.ALGORITHMS[name])
    for dtype in (torch.float64, torch.float32):
        z0 = starts(game, 3, dtype=dtype)
        traj = dynamics.run(game, algo, z0, steps=4, device=device, dtype=dtype)
        assert traj.x.shape == (5, 3, game.dim_x) and traj.y.shape == (5, 3, game.dim_y)
        assert traj.f.shape == (5, 3) and traj.grad_norm.shape == (5, 3)
        assert traj.x.dtype == dtype and traj.f.dtype == dtype
        assert traj.x.device.type == device and traj.z_final.device.type == device
        assert traj.diverged.dtype == torch.bool and traj.diverged_at.shape == (3,)
        assert not traj.diverged.any(), f"{name} diverged in 4 small steps on {case}"
        assert torch.isfinite(traj.z).all() and torch.isfinite(traj.f).all()
        for leaf in _tree_leaves(traj.state):
            assert leaf.device.type == device
            if leaf.is_floating_point():
                assert leaf.dtype == dtype, f"{name} state leaf changed dtype"


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ALGOS)
def test_batch_independence(name: str, case: str) -> None:
    """B starts run together equal the same starts run one at a time (float64, 1e-12)."""
    game = build_game(case)
    algo = small_step(dynamics.ALGORITHMS[name])
    z0 = starts(game, 3, seed=1)
    together = dynamics.run(game, algo, z0, steps=6, seed=3)
    for b in range(3):
        alone = dynamics.run(game, algo, z0[b : b + 1], steps=6, seed=3)
        torch.testing.assert_close(together.z[:, b], alone.z[:, 0], rtol=0, atol=1e-12)
        for key, value in together.extras.items():
            if value.is_floating_point():
                torch.testing.assert_close(value[:, b], alone.extras[key][:, 0], rtol=0, atol=1e-12)
            else:
                assert torch.equal(value[:, b], alone.extras[key][:, 0])


@pytest.mark.parametrize("name", ALGOS)
def test_deterministic_and_state_structure_stable(name: str) -> None:
    game = build_game("dirac_instance_noise_mc")  # stochastic game: the seed must pin the noise
    algo = small_step(dynamics.ALGORITHMS[name])
    z0 = starts(game, 2)
    a = dynamics.run(game, algo, z0, steps=5, seed=7)
    b = dynamics.run(game, algo, z0, steps=5, seed=7)
    assert torch.equal(a.z, b.z)
    s1 = dynamics.run(game, algo, z0, steps=1).state
    s2 = dynamics.run(game, algo, z0, steps=2).state
    leaves1, leaves2 = _tree_leaves(s1), _tree_leaves(s2)
    assert [(t.shape, t.dtype) for t in leaves1] == [(t.shape, t.dtype) for t in leaves2]


@pytest.mark.parametrize("name", ALGOS)
def test_resume_equals_uninterrupted(name: str) -> None:
    game = build_game("dirac_instance_noise_mc")
    algo = small_step(dynamics.ALGORITHMS[name])
    z0 = starts(game, 2)
    full = dynamics.run(game, algo, z0, steps=6, seed=11)
    first = dynamics.run(game, algo, z0, steps=3, seed=11)
    rest = dynamics.run(game, algo, first.z_final, steps=3, seed=11, state=first.state,
                        rng_state=first.rng_state, start_step=3)
    torch.testing.assert_close(rest.z, full.z[3:], rtol=0, atol=0)
    assert rest.steps.tolist() == [3, 4, 5, 6]


def _invalid_inputs(cls: type) -> list[tuple[str, object, str]]:
    """(parameter, bad value, expected message) generated from the declarations, as data."""
    out = []
    for hp in hparams(cls):
        if hp.kind in ("float", "int"):
            if hp.low is not None:
                below = hp.low - 1 if hp.kind == "int" or hp.low <= 0 else hp.low / 10
                out.append((hp.name, below, "outside its valid range"))
            if hp.high is not None:
                out.append((hp.name, hp.high * 10 + 1, "outside its valid range"))
            out.append((hp.name, math.nan, "must be finite"))
            out.append((hp.name, "0.1", "must be a number"))
        if hp.kind == "int":
            out.append((hp.name, (hp.low or 0) + 1.5, "must be an integer"))
        if hp.kind == "choice":
            out.append((hp.name, "no-such-choice", "is not one of"))
        if hp.kind == "bool":
            out.append((hp.name, "yes", "must be a bool"))
    return out


@pytest.mark.parametrize("name", ALGOS)
def test_invalid_hyperparameters_raise_documented_errors(name: str) -> None:
    cases = _invalid_inputs(dynamics.ALGORITHMS[name])
    assert cases, f"{name} declares no hyperparameters"
    for param, value, message in cases:
        with pytest.raises(ValueError, match=f"{name}: {param}.*{message}"):
            dynamics.make_algorithm(name, **{param: value})


@pytest.mark.parametrize("name", sorted(dynamics.GAMES))
def test_invalid_game_parameters_raise_documented_errors(name: str) -> None:
    for param, value, message in _invalid_inputs(dynamics.GAMES[name]):
        with pytest.raises(ValueError, match=f"{name}: {param}.*{message}"):
            dynamics.make_game(name, **{param: value})
