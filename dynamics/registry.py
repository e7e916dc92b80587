"""Registries of games and algorithms, filled by decorators, with helpful lookup errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import InvalidArgument, InvalidType
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
    if not isinstance(name, str):
        raise InvalidType(f"the {kind} name must be a str (one of {', '.join(sorted(table))}), got "
                          f"{type(name).__name__} {name!r:.60}")
    if name not in table:
        raise InvalidArgument(f"unknown {kind} {name!r:.60}; valid choices: {', '.join(sorted(table))}")
    return table[name]


def _check_kwargs(cls: type, kind: str, name: str, kwargs: dict[str, Any]) -> None:
    valid = {f.name for f in dataclasses.fields(cls) if f.init}
    bad = sorted(set(kwargs) - valid)
    if bad:
        raise InvalidArgument(
            f"{kind} {name!r} has no parameter {', '.join(map(repr, bad))}; "
            f"valid parameters: {', '.join(sorted(valid))}"
        )


def _construct(cls: type, kind: str, name: str, kwargs: dict[str, Any]) -> Any:
    """``cls(**kwargs)`` with any plain ValueError/TypeError (or overflow) from a constructor turned into
    the documented :class:`InvalidArgument` / :class:`InvalidType`; subclasses that carry more
    (``FormulaError``, a ``ValueError`` with the column of a formula) pass through unchanged.
    """
    try:
        return cls(**kwargs)
    except (InvalidArgument, InvalidType):
        raise
    except (ValueError, OverflowError, RecursionError) as exc:
        if type(exc) not in (ValueError, OverflowError, RecursionError):
            raise
        raise InvalidArgument(f"{kind} {name!r}: {exc}") from exc
    except TypeError as exc:
        if type(exc) is not TypeError:
            raise
        raise InvalidType(f"{kind} {name!r}: {exc}") from exc


def make_game(name: str, *, preset: str | None = None, **kwargs: Any) -> Any:
    """Build a registered game by name, optionally from a named preset (explicit kwargs win).

    Raises:
        InvalidArgument: (a ``ValueError``) an unknown name, preset or parameter, or a bad value.
        InvalidType: (a ``TypeError``) a value of the wrong type.

    """
    cls = _lookup(GAMES, "game", name)
    if preset is not None:
        if not isinstance(preset, str) or preset not in cls.presets:
            raise InvalidArgument(
                f"game {name!r} has no preset {preset!r:.60}; valid presets: {', '.join(cls.presets) or 'none'}"
            )
        kwargs = {**cls.presets[preset], **kwargs}
    _check_kwargs(cls, "game", name, kwargs)
    return _construct(cls, "game", name, kwargs)


def make_algorithm(name: str, **kwargs: Any) -> Any:
    """Build a registered algorithm by name.

    Wrappers (``averaging``, ``lookahead``) take ``base`` as an algorithm instance, or as a name
    with its hyperparameters in ``base_kwargs``.

    Raises:
        InvalidArgument: (a ``ValueError``) an unknown name or parameter, or a bad value.
        InvalidType: (a ``TypeError``) a value of the wrong type.

    """
    cls = _lookup(ALGORITHMS, "algorithm", name)
    base_kwargs = kwargs.pop("base_kwargs", None)
    if isinstance(kwargs.get("base"), str):
        kwargs["base"] = make_algorithm(kwargs["base"], **(base_kwargs or {}))
    elif base_kwargs:
        raise InvalidArgument("base_kwargs needs base given by name")
    if base_kwargs is not None and not isinstance(base_kwargs, dict):
        raise InvalidType(f"base_kwargs must be a dict, got {type(base_kwargs).__name__}")
    _check_kwargs(cls, "algorithm", name, kwargs)
    if "order" in kwargs:  # old spellings in saved configs, URLs and command lines (one alias table)
        from .updates import canonical_order

        kwargs["order"] = canonical_order(kwargs["order"])
    return _construct(cls, "algorithm", name, kwargs)


def from_config(config: dict[str, Any], kind: str = "algorithm") -> Any:
    """Rebuild a game or algorithm from its ``config()`` dict (checkpoints, shareable URLs)."""
    if not isinstance(config, dict) or "name" not in config:
        raise InvalidType(f"config must be a dict with a 'name', got {type(config).__name__}")
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
