"""Every module registers something; names, docstrings and hyperparameter declarations are sound."""

from __future__ import annotations

import importlib
import inspect
import math

import pytest

import dynamics
from dynamics import algorithms as algorithms_pkg
from dynamics import games as games_pkg
from dynamics.params import hparams


@pytest.mark.parametrize("pkg", [algorithms_pkg, games_pkg])
def test_every_module_registers_something(pkg) -> None:
    for name in pkg.MODULES:
        module = importlib.import_module(f"{pkg.__name__}.{name}")
        registered = [obj for obj in vars(module).values()
                      if inspect.isclass(obj) and obj.__module__ == module.__name__
                      and (obj in dynamics.ALGORITHMS.values() or obj in dynamics.GAMES.values())]
        assert registered, f"{module.__name__} registers nothing"


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        dynamics.register_algorithm("gda")(type("Dup", (), {}))


@pytest.mark.parametrize("name", sorted(dynamics.ALGORITHMS) + sorted(dynamics.GAMES))
def test_docstring_has_update_rule_and_reference(name: str) -> None:
    cls = dynamics.ALGORITHMS.get(name) or dynamics.GAMES[name]
    doc = inspect.getdoc(cls)
    assert doc and doc.count("$$") >= 2, f"{name}: the docstring must carry the rule in $$...$$"
    assert "References:" in doc, f"{name}: the docstring must cite its source"


@pytest.mark.parametrize("name", sorted(dynamics.ALGORITHMS) + sorted(dynamics.GAMES))
def test_defaults_lie_in_their_ranges(name: str) -> None:
    cls = dynamics.ALGORITHMS.get(name) or dynamics.GAMES[name]
    for hp in hparams(cls):
        assert hp.help, f"{name}.{hp.name} has no help text"
        if hp.kind in ("float", "int") and hp.default is not None:
            lo = -math.inf if hp.low is None else hp.low
            hi = math.inf if hp.high is None else hp.high
            assert lo <= hp.default <= hi, f"{name}.{hp.name}"
        if hp.kind == "choice":
            assert hp.default in hp.choices
    cls()  # the defaults validate


@pytest.mark.parametrize("name", sorted(dynamics.ALGORITHMS))
def test_algorithm_config_round_trip(name: str) -> None:
    algo = dynamics.make_algorithm(name)
    assert dynamics.from_config(algo.config()) == algo


@pytest.mark.parametrize("name", sorted(dynamics.GAMES))
def test_game_config_round_trip_and_presets(name: str) -> None:
    game = dynamics.make_game(name)
    assert dynamics.from_config(game.config(), kind="game") == game
    for preset in dynamics.GAMES[name].presets:
        g = dynamics.make_game(name, preset=preset)
        assert dynamics.from_config(g.config(), kind="game") == g


def test_unknown_names_list_the_valid_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown algorithm 'nope'; valid choices: .*extragradient"):
        dynamics.make_algorithm("nope")
    with pytest.raises(ValueError, match=r"unknown game 'nope'; valid choices: .*bilinear"):
        dynamics.make_game("nope")
    with pytest.raises(ValueError, match=r"no parameter 'momentum'; valid parameters: .*lr"):
        dynamics.make_algorithm("gda", momentum=0.9)
    with pytest.raises(ValueError, match="no preset 'f9'"):
        dynamics.make_game("quadratic", preset="f9")


def test_engine_never_imports_the_shells() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['streamlit'] = None; sys.modules['gan_demo'] = None; "
            "import dynamics; "
            "dynamics.run(dynamics.make_game('bilinear'), dynamics.make_algorithm('gda'), 1.0, 1.0, steps=2)")
    subprocess.run([sys.executable, "-c", code], check=True)
