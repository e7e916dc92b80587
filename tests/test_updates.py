"""One spelling of update orders and one home for the alternating sweep (dynamics/updates.py)."""

from __future__ import annotations

import pytest
import torch

import dynamics
from dynamics import updates


def test_every_order_hyperparameter_uses_the_one_spelling():
    seen = 0
    for name, cls in dynamics.ALGORITHMS.items():
        for hp in dynamics.hparams(cls):
            if hp.name == "order":
                seen += 1
                assert set(hp.choices) <= set(updates.ORDERS), name
                assert hp.default in hp.choices, name
    assert seen >= 5


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_old_spelling_is_read_through_the_alias_table(name):
    assert dynamics.make_algorithm(name, order="sim").order == "simultaneous"
    assert dynamics.from_config({"name": name, "order": "sim"}).order == "simultaneous"
    with pytest.raises(ValueError, match="simultaneous"):
        dynamics.make_algorithm(name, order="simul")


def test_alternate_moves_the_named_player_first():
    game = dynamics.make_game("bilinear")
    z = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    eta = 0.1

    def move_x(w):
        return game.split(w)[0] - eta * game.xi_x(w)

    def move_y(w):
        return game.split(w)[1] - eta * game.xi_y(w)

    x1 = 1.0 - eta * 1.0  # x first: x sees y = 1, then y sees the new x
    assert torch.allclose(updates.alternate(game, z, move_x, move_y, "x_first"),
                          torch.tensor([[x1, 1.0 + eta * x1]], dtype=torch.float64))
    y1 = 1.0 + eta * 1.0
    assert torch.allclose(updates.alternate(game, z, move_x, move_y, "y_first"),
                          torch.tensor([[1.0 - eta * y1, y1]], dtype=torch.float64))
    with pytest.raises(ValueError, match="x_first"):
        updates.alternate(game, z, move_x, move_y, "simultaneous")
