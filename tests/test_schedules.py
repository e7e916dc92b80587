"""Step-size schedules shared by every algorithm with a step size (dynamics/algorithm.py)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

import dynamics
from dynamics.algorithm import SCHEDULES, ScheduleState, schedule_factor
from helpers import build_game, starts

GRADIENT_ALGOS = sorted(n for n, c in dynamics.ALGORITHMS.items() if issubclass(c, dynamics.GradientAlgorithm))
CASES = ["bilinear_3x3_bias", "formula_general_sum_box", "quadratic_ftr_f1"]


def _factor(schedule: str, n: int, decay: float, every: int) -> float:
    """The schedules written out in plain floats (t = n = 0 for the first step)."""
    return {"constant": 1.0, "inv_sqrt": 1 / math.sqrt(n + 1), "inv": 1 / (n + 1), "exponential": decay**n,
            "step": decay ** (n // every)}[schedule]


def test_factors() -> None:
    n = torch.arange(8)
    like = torch.zeros((), dtype=torch.float64)
    for s in SCHEDULES:
        got = schedule_factor(s, n, 0.5, 3, like)
        want = torch.tensor([_factor(s, int(k), 0.5, 3) for k in n], dtype=torch.float64)
        torch.testing.assert_close(got, want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", GRADIENT_ALGOS)
def test_scheduled_run_equals_constant_steps_with_scaled_rates(name: str, case: str) -> None:
    """A scheduled run of T steps = T one-step runs at lr·s(t) (and lr_x, lr_y alike), chained
    through the algorithm's own state: the schedule changes the step sizes and nothing else."""
    game = build_game(case)
    cls = dynamics.ALGORITHMS[name]
    if cls.stochastic:
        pytest.skip("draws its own noise")
    base = cls()
    kw = dict(lr=min(0.02, base.lr), lr_y=0.01)
    algo = dataclasses.replace(base, schedule="exponential", decay=0.7, **kw)
    z0 = starts(game, 2, seed=4)
    steps = 6
    traj = dynamics.run(game, algo, z0, steps=steps)
    assert isinstance(traj.state, ScheduleState) and int(traj.state.n) == steps

    z, state = z0, None
    for t in range(steps):
        f = 0.7**t
        const = dataclasses.replace(base, schedule="constant", lr=kw["lr"] * f, lr_y=kw["lr_y"] * f)
        one = dynamics.run(game, const, z, steps=1, state=state)
        z, state = one.z_final, one.state
    torch.testing.assert_close(traj.z_final, z, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_resume_continues_the_schedule(schedule: str) -> None:
    game = build_game("quadratic_vector")
    algo = dynamics.make_algorithm("extragradient", lr=0.05, schedule=schedule, decay=0.8, decay_every=3)
    z0 = starts(game, 3, seed=1)
    whole = dynamics.run(game, algo, z0, steps=10)
    first = dynamics.run(game, algo, z0, steps=4)
    rest = dynamics.run(game, algo, first.z_final, steps=6, state=first.state, start_step=4)
    torch.testing.assert_close(rest.z_final, whole.z_final, rtol=0, atol=0)


def test_schedule_inside_wrappers_and_report() -> None:
    """Averaging a scheduled base: the wrapper keeps the base's ScheduleState and the reports pass."""
    game = dynamics.make_game("bilinear")
    base = dynamics.make_algorithm("extra_past", lr=0.1, schedule="inv_sqrt")
    algo = dynamics.make_algorithm("averaging", base=base)
    traj = dynamics.run(game, algo, [1.0], [1.0], steps=5)
    assert isinstance(traj.state.base, ScheduleState)
    assert "z_half" in traj.extras and "z_avg" in traj.extras


def test_defaults_keep_todays_behaviour_and_configs_round_trip() -> None:
    for name in GRADIENT_ALGOS:
        algo = dynamics.ALGORITHMS[name]()
        assert algo.schedule == "constant"
        cfg = algo.config()
        assert {"schedule", "decay", "decay_every"} <= set(cfg)
        old = {k: v for k, v in cfg.items() if k not in ("schedule", "decay", "decay_every")}
        assert dynamics.from_config(old) == algo  # a config saved before the schedules existed
        state = algo.init(dynamics.make_game("bilinear"), torch.ones(1, 2, dtype=torch.float64))
        assert not isinstance(state, ScheduleState)  # constant: the state is exactly today's
    # the conjugate-gradient method's former spelling still loads
    cg = dynamics.from_config({"name": "conjugate_gradient", "schedule": "sqrt"})
    assert cg.schedule == "inv_sqrt"
    scheduled = dynamics.make_algorithm("gda", schedule="step", decay=0.5, decay_every=7)
    assert dynamics.from_config(scheduled.config()) == scheduled
    with pytest.raises(ValueError, match="schedule"):
        dynamics.make_algorithm("gda", schedule="cosine")
    with pytest.raises(ValueError, match="decay"):
        dynamics.make_algorithm("gda", decay=1.5)


def test_every_algorithm_declares_the_schedule_once() -> None:
    """Declared on GradientAlgorithm: sliders, CLI flags and configs of every algorithm pick it up."""
    from app import export

    parser = export.build_parser()
    flags = {o for a in parser._actions for o in a.option_strings}
    for name in GRADIENT_ALGOS:
        names = [hp.name for hp in dynamics.hparams(dynamics.ALGORITHMS[name])]
        assert names.count("schedule") == 1 and "decay" in names and "decay_every" in names
        assert f"--{name}.schedule" in flags


def test_conjugate_gradient_uses_the_shared_mechanism() -> None:
    """The former CG-only schedule now comes from GradientAlgorithm: same numbers as scaling by hand."""
    game = dynamics.make_game("bilinear")
    cg = dynamics.make_algorithm("conjugate_gradient", lr=0.1, schedule="inv_sqrt")
    traj = dynamics.run(game, cg, [1.0], [1.0], steps=3)
    assert isinstance(traj.state, ScheduleState)
    assert int(traj.state.inner.n[0]) == 3  # CG's own counter (d_0 = -g_0) is untouched
    assert "schedule" not in dynamics.ALGORITHMS["conjugate_gradient"].__dict__


def test_spectrum_of_a_scheduled_algorithm_is_the_first_step() -> None:
    from dynamics.spectrum import spectral_radius

    game = dynamics.make_game("bilinear")
    z = torch.tensor([[0.3, 0.2]], dtype=torch.float64)
    for schedule in SCHEDULES:
        a = dynamics.make_algorithm("extragradient", lr=0.1, schedule=schedule)
        rho = float(spectral_radius(game, a, z)[0])
        assert abs(rho - math.sqrt(1 - 0.01 + 1e-4)) < 1e-12


def test_gidel_notebook_averaging_with_decreasing_steps() -> None:
    """Gidel et al.'s bilinear notebook: η_t = 2/√(t+1), y clipped to [-1, 1], from (2, 0.5), 100 steps,
    uniform average of the projected iterates including z_0: distance 0.05178 to the saddle."""
    game = dynamics.make_game("formula", preset="bilinear_y_clipped")
    base = dynamics.make_algorithm("gda", lr=2.0, schedule="inv_sqrt")
    algo = dynamics.make_algorithm("averaging", base=base, projected=True)
    traj = dynamics.run(game, algo, [2.0], [0.5], steps=100)
    assert abs(float(traj.extras["z_avg"][-1].norm()) - 0.05177723019278546) < 1e-12
