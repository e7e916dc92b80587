"""The formula game (dynamics/games/formula.py) and Newton's stationary points (dynamics/stationary.py)."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

import dynamics
from dynamics.formula import FormulaError
from dynamics.spectrum import game_jacobian
from dynamics.stationary import stationary_point


def _z(*rows: tuple[float, ...]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def test_forsaken_written_out_equals_the_built_in_game() -> None:
    typed = dynamics.make_game("formula", preset="forsaken")
    built = dynamics.make_game("nonconvex_nonconcave", variant="forsaken")
    g = torch.Generator().manual_seed(0)
    z = torch.rand(20, 2, generator=g, dtype=torch.float64) * 3 - 1.5
    x, y = typed.split(z)
    torch.testing.assert_close(typed.loss(x, y), built.loss(x, y), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(typed.xi(z), built.xi(z), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(game_jacobian(typed, z), game_jacobian(built, z), rtol=1e-12, atol=1e-12)
    (tx,), (ty,) = typed.equilibrium()
    (bx,), (by,) = built.equilibrium()
    assert abs(tx - bx) < 1e-10 and abs(ty - by) < 1e-10


def test_cg_paper_game_field_and_saddle() -> None:
    game = dynamics.make_game("formula", preset="cg_paper")
    z = _z((2.0, -4.0), (0.3, 1.7))
    x, y = z[:, 0], z[:, 1]
    want = torch.stack([2 * x * (100 - y**2), 2 * y * (1 + x**2)], dim=1)  # (f_x, -f_y)
    torch.testing.assert_close(game.xi(z), want, rtol=1e-12, atol=1e-12)
    assert game.equilibrium() == ((0.0,), (0.0,))
    assert float(game.loss(*game.split(_z((0.0, 0.0))))[0]) == 100.0
    # Newton from the paper's start finds the saddle too
    torch.testing.assert_close(stationary_point(game, _z((2.0, -4.0))), torch.zeros(2, dtype=torch.float64),
                               rtol=0, atol=1e-9)


def test_general_sum_losses_and_field() -> None:
    game = dynamics.make_game("formula", f="x**2/2 + x*y", g="y**2/2 - 2*x*y")
    assert not game.zero_sum
    z = _z((0.7, -0.2), (1.5, 2.0))
    x, y = z[:, :1], z[:, 1:]
    lx, ly = game.losses(x, y)
    torch.testing.assert_close(lx, (x**2 / 2 + x * y)[:, 0])
    torch.testing.assert_close(ly, (y**2 / 2 - 2 * x * y)[:, 0])
    torch.testing.assert_close(game.xi(z), torch.cat([x + y, y - 2 * x], dim=1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(game_jacobian(game, z)[0], _z((1.0, 1.0), (-2.0, 1.0)), rtol=1e-12, atol=1e-12)


def test_vector_players() -> None:
    game = dynamics.make_game("formula", f="x1*y1 + 2*x2*y2 + x3")
    assert (game.dim_x, game.dim_y) == (3, 2)
    z = _z((1.0, 2.0, 3.0, 4.0, 5.0))
    torch.testing.assert_close(game.xi(z), _z((4.0, 10.0, 1.0, -1.0, -4.0)))
    with pytest.raises(ValueError, match="the same way"):
        dynamics.make_game("formula", f="x*y", g="x1*y")


def test_boxes_project_each_player() -> None:
    game = dynamics.make_game("formula", f="x*y", x_box=(-0.5, 2.0), y_box=(-1.0, 1.0))
    assert game.constrained
    torch.testing.assert_close(game.project(_z((3.0, -4.0), (-1.0, 0.5))), _z((2.0, -1.0), (-0.5, 0.5)))
    assert not dynamics.make_game("formula").constrained
    for bad in [(1.0, 0.0), (0.0,), (0.0, float("inf")), "ab"]:
        with pytest.raises(ValueError, match="y_box"):
            dynamics.make_game("formula", y_box=bad)
    with pytest.raises(ValueError, match="view"):
        dynamics.make_game("formula", view=(1.0, 0.0, 0.0, 1.0))


def test_bad_formulas_fail_at_construction_with_the_parser_error() -> None:
    with pytest.raises(FormulaError, match="unknown name 'z'"):
        dynamics.make_game("formula", f="z*y")
    with pytest.raises(FormulaError, match="attribute access"):
        dynamics.make_game("formula", f="x*y", g="x.__class__")
    with pytest.raises((TypeError, ValueError), match="must be a formula"):  # the engine's InvalidType
        dynamics.make_game("formula", f=3.0)


def test_start_where_the_formula_is_undefined_is_reported_before_the_run() -> None:
    game = dynamics.make_game("formula", f="log(x)*y")
    algo = dynamics.make_algorithm("gda", lr=0.01)
    with pytest.raises(ValueError, match=r"not finite at the start x = \(-1\), y = \(2\)"):
        dynamics.run(game, algo, [-1.0], [2.0], steps=3)
    with pytest.raises(ValueError, match="not finite"):  # f finite (0) but the field is not: sqrt'(0)
        dynamics.run(dynamics.make_game("formula", f="sqrt(x)*y"), algo, [0.0], [2.0], steps=3)
    # a batch (a basin map) with some bad starts runs; those rows stop at once
    traj = dynamics.run(game, algo, _z((-1.0, 2.0), (1.0, 2.0)), steps=3)
    assert traj.diverged.tolist() == [True, False]


def test_config_round_trip_pickle_and_replace() -> None:
    game = dynamics.make_game("formula", f="x*y + 0.1*x**2", g="y**2 - x*y", y_box=(-1.0, 1.0))
    assert dynamics.from_config(game.config(), kind="game") == game
    assert pickle.loads(pickle.dumps(game)) == game
    clone = copy.deepcopy(game)
    z = _z((0.3, 0.4))
    torch.testing.assert_close(clone.xi(z), game.xi(z))
    other = game.replace(f="x*y")
    torch.testing.assert_close(other.xi(z)[:, :1], z[:, 1:])


def test_every_preset_builds_runs_and_has_a_critical_equilibrium() -> None:
    for name in dynamics.GAMES["formula"].presets:
        game = dynamics.make_game("formula", preset=name)
        eq = game.equilibrium()
        assert eq is not None, name
        z = torch.tensor([[*eq[0], *eq[1]]], dtype=torch.float64)
        assert float(game.xi(z).abs().max()) < 1e-9, name
        (a, b), (c, d) = game.box()
        traj = dynamics.run(game, dynamics.make_algorithm("extragradient", lr=0.01), [(a + b) / 3], [(c + d) / 3 + 0.1],
                            steps=5)
        assert torch.isfinite(traj.z).all()


def test_stationary_point_none_when_there_is_none() -> None:
    assert stationary_point(dynamics.make_game("formula", f="x + y"), _z((0.5, 0.5))) is None
    assert stationary_point(dynamics.make_game("formula", f="exp(x) + y**2"), _z((0.0, 0.0))) is None
    assert dynamics.make_game("formula", f="x + y").equilibrium() is None
    # a stationary point outside the box is not offered
    outside = dynamics.make_game("formula", f="(x - 3)**2 - y**2", x_box=(-1.0, 1.0))
    assert stationary_point(outside, _z((0.0, 0.0))) is None
    # Newton from a start finds the nearby critical point (f = sin x sin y has one at (π/2, π/2))
    egg = dynamics.make_game("formula", f="sin(x)*sin(y)")
    p = stationary_point(egg, _z((1.4, 1.7)))
    torch.testing.assert_close(p, torch.full((2,), torch.pi / 2, dtype=torch.float64), rtol=0, atol=1e-10)
    # the double wells' only critical point is the origin: from elsewhere Newton may stall, and says so
    wells = dynamics.make_game("formula", preset="double_wells")
    p = stationary_point(wells, _z((1.1, 0.1)))
    assert p is None or float(p.norm()) < 1e-9
