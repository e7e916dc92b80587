"""Registries of games and algorithms, filled by decorators, with helpful lookup errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from .params import hparams

GAMES: dict[str, type] = {}
ALGORITHMS: dict[str, type] = {}

T = TypeVar("T")


def _register(table: dict[str, type], kind: str, name: str) -> Callable[[T], T]:
    def deco(cls: T) -> T:
        if name in table:
            raise ValueError(f"duplicate {kind} name {name!r}")
        cls.name = name  # type: ignore[attr-defined]
        table[name] = cls  # type: ignore[assignment]
        return cls

    return deco


def register_game(name: str) -> Callable[[T], T]:
    """Class decorator: add a :class:`~dynamics.game.Game` subclass to ``GAMES`` under ``name``."""
    return _register(GAMES, "game", name)


def register_algorithm(name: str) -> Callable[[T], T]:
    """Class decorator: add an :class:`~dynamics.algorithm.Algorithm` to ``ALGORITHMS``."""
    return _register(ALGORITHMS, "algorithm", name)


def _lookup(table: dict[str, type], kind: str, name: str) -> type:
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; valid choices: {', '.join(sorted(table))}")
    return table[name]


def _check_kwargs(cls: type, kind: str, name: str, kwargs: dict[str, Any]) -> None:
    valid = {f.name for f in dataclasses.fields(cls) if f.init}
    bad = sorted(set(kwargs) - valid)
    if bad:
        raise ValueError(
            f"{kind} {name!r} has no parameter {', '.join(map(repr, bad))}; "
            f"valid parameters: {', '.join(sorted(valid))}"
        )


def make_game(name: str, *, preset: str | None = None, **kwargs: Any) -> Any:
    """Build a registered game by name, optionally from a named preset (explicit kwargs win).

    Raises:
        ValueError: for an unknown name, preset or parameter, or a value outside its range.

    """
    cls = _lookup(GAMES, "game", name)
    if preset is not None:
        if preset not in cls.presets:
            raise ValueError(
                f"game {name!r} has no preset {preset!r}; valid presets: {', '.join(cls.presets) or 'none'}"
            )
        kwargs = {**cls.presets[preset], **kwargs}
    _check_kwargs(cls, "game", name, kwargs)
    return cls(**kwargs)


def make_algorithm(name: str, **kwargs: Any) -> Any:
    """Build a registered algorithm by name.

    Wrappers (``averaging``, ``lookahead``) take ``base`` as an algorithm instance, or as a name
    with its hyperparameters in ``base_kwargs``.

    Raises:
        ValueError: for an unknown name or parameter, or a value outside its range.

    """
    cls = _lookup(ALGORITHMS, "algorithm", name)
    base_kwargs = kwargs.pop("base_kwargs", None)
    if isinstance(kwargs.get("base"), str):
        kwargs["base"] = make_algorithm(kwargs["base"], **(base_kwargs or {}))
    elif base_kwargs:
        raise ValueError("base_kwargs needs base given by name")
    _check_kwargs(cls, "algorithm", name, kwargs)
    if "order" in kwargs:  # old spellings in saved configs, URLs and command lines (one alias table)
        from .updates import canonical_order

        kwargs["order"] = canonical_order(kwargs["order"])
    return cls(**kwargs)


def from_config(config: dict[str, Any], kind: str = "algorithm") -> Any:
    """Rebuild a game or algorithm from its ``config()`` dict (checkpoints, shareable URLs)."""
    config = dict(config)
    name = config.pop("name")
    if kind == "game":
        return make_game(name, **{k: _tuplify(v) for k, v in config.items()})
    if isinstance(config.get("base"), dict):
        config["base"] = from_config(config["base"])
    return make_algorithm(name, **{k: _tuplify(v) for k, v in config.items()})


def _tuplify(v: Any) -> Any:
    return tuple(_tuplify(e) for e in v) if isinstance(v, list) else v


__all__ = ["GAMES", "ALGORITHMS", "register_game", "register_algorithm", "make_game",
           "make_algorithm", "from_config", "hparams"]
