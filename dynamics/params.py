"""Hyperparameters are data: one declaration feeds validation, sliders, CLI flags and checkpoints.

Every tunable field of a game or an algorithm is declared with :func:`hparam`, which stores its
range, scale, choices and help text in the dataclass field's metadata. :func:`validate` checks an
instance against those declarations (it runs in ``__post_init__``), and :func:`hparams` lists them
for the shells (the Streamlit app builds its widgets from it, the CLIs their ``--flags``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class HParam:
    """The declaration of one hyperparameter, as read back from a dataclass field."""

    name: str
    default: Any
    kind: str  # "float", "int", "bool", "choice", "vector", "matrix", "formula" (text) or "algorithm"
    low: Optional[float] = None
    high: Optional[float] = None
    log: bool = False
    help: str = ""
    choices: tuple = ()
    optional: bool = False  # None is allowed and means "inherit" (e.g. lr_x defaults to lr)
    advanced: bool = False  # hidden in the app's lecture mode


def hparam(
    default: Any,
    *,
    low: Optional[float] = None,
    high: Optional[float] = None,
    log: bool = False,
    help: str = "",
    choices: Sequence[Any] = (),
    kind: Optional[str] = None,
    optional: bool = False,
    advanced: bool = False,
) -> Any:
    """Declare a hyperparameter field (use as the default of a dataclass field).

    Args:
        default: The default value (``None`` only together with ``optional=True``).
        low: Inclusive lower bound for numbers.
        high: Inclusive upper bound for numbers.
        log: Whether a slider should move on a log scale.
        help: One line for tooltips and ``--help``.
        choices: The allowed values of a categorical field.
        kind: Override the inferred kind ("float", "int", "bool", "choice", "vector", "matrix",
            "formula").
        optional: ``None`` is a valid value.
        advanced: Hide the widget in lecture mode.

    Returns:
        A ``dataclasses.field`` carrying the declaration in its metadata.

    """
    if kind is None:
        if choices:
            kind = "choice"
        elif isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, int):
            kind = "int"
        else:
            kind = "float"
    meta = dict(low=low, high=high, log=log, help=help, choices=tuple(choices), kind=kind,
                optional=optional, advanced=advanced)
    if isinstance(default, (list, dict)):
        raise TypeError("hparam defaults must be immutable (use tuples)")
    return field(default=default, metadata={"hparam": meta})


def hparams(obj_or_cls: Any) -> list[HParam]:
    """The hyperparameter declarations of a game or algorithm class (or instance), in field order."""
    out = []
    for f in dataclasses.fields(obj_or_cls):
        meta = f.metadata.get("hparam")
        if meta is None:
            continue
        out.append(HParam(name=f.name, default=f.default, **meta))
    return out


def values(obj: Any) -> dict[str, Any]:
    """The hyperparameter values of an instance, as plain JSON-friendly data."""
    out: dict[str, Any] = {}
    for hp in hparams(obj):
        v = getattr(obj, hp.name)
        out[hp.name] = _plain(v)
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(e) for e in v]
    if hasattr(v, "config") and callable(v.config):  # a nested algorithm (wrappers)
        return v.config()
    return v


def validate(obj: Any, owner: str) -> None:
    """Raise ``ValueError`` naming the parameter and its valid range for any bad value.

    Args:
        obj: A game or algorithm instance.
        owner: Its registry name, used in the message.

    """
    for hp in hparams(obj):
        v = getattr(obj, hp.name)
        if v is None:
            if hp.optional:
                continue
            raise ValueError(f"{owner}: {hp.name} must be set (got None)")
        if hp.kind == "choice":
            if v not in hp.choices:
                raise ValueError(f"{owner}: {hp.name}={v!r} is not one of {list(hp.choices)}")
            continue
        if hp.kind == "bool":
            if not isinstance(v, bool):
                raise ValueError(f"{owner}: {hp.name} must be a bool, got {v!r}")
            continue
        if hp.kind in ("vector", "matrix"):
            continue
        if hp.kind == "formula":  # text: its owner parses it (dynamics.formula) in __post_init__
            if not isinstance(v, str):
                raise ValueError(f"{owner}: {hp.name} must be a formula (text), got {v!r}")
            continue
        if hp.kind == "algorithm":
            if not (hasattr(v, "init") and hasattr(v, "step")):
                raise ValueError(f"{owner}: {hp.name} must be an algorithm, got {v!r}")
            continue  # shape checks belong to the owner's __post_init__
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{owner}: {hp.name} must be a number, got {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"{owner}: {hp.name}={v} must be finite")
        if hp.kind == "int" and int(v) != v:
            raise ValueError(f"{owner}: {hp.name} must be an integer, got {v!r}")
        lo = -math.inf if hp.low is None else hp.low
        hi = math.inf if hp.high is None else hp.high
        if not lo <= v <= hi:
            raise ValueError(f"{owner}: {hp.name}={v} is outside its valid range [{lo}, {hi}]")
