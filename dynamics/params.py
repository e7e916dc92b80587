"""Hyperparameters are data: one declaration feeds validation, sliders, CLI flags and checkpoints.

Every tunable field of a game or an algorithm is declared with :func:`hparam`, which stores its
range, scale, choices and help text in the dataclass field's metadata. :func:`validate` checks an
instance against those declarations (it runs in ``__post_init__``), and :func:`hparams` lists them
for the shells (the Streamlit app builds its widgets from it, the CLIs their ``--flags``).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import torch

from .errors import InvalidArgument, InvalidType

#: inside :func:`per_row_values`, float hyperparameters may be (N, 1) tensors (one value per row)
_PER_ROW = contextvars.ContextVar("saddle_per_row_values", default=False)


@contextlib.contextmanager
def per_row_values() -> Iterator[None]:
    """Allow (N, 1) floating tensors as float hyperparameters, one value per batch row.

    Used by :func:`dynamics.spectrum.stability_sweep` to run a whole grid of step sizes as the rows
    of one batched step. Every entry is validated like a number (finite, in range), all at once.
    """
    token = _PER_ROW.set(True)
    try:
        yield
    finally:
        _PER_ROW.reset(token)


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
    """Raise :class:`~dynamics.errors.InvalidArgument` (a ``ValueError``) or
    :class:`~dynamics.errors.InvalidType` (a ``TypeError``) naming the parameter and its valid
    range for any bad value. Integer hyperparameters given as integral floats become ints.

    Args:
        obj: A game or algorithm instance.
        owner: Its registry name, used in the message.

    """
    for hp in hparams(obj):
        v = getattr(obj, hp.name)
        if v is None:
            if hp.optional:
                continue
            raise InvalidArgument(f"{owner}: {hp.name} must be set (got None)")
        if hp.kind == "choice":
            try:
                ok = v in hp.choices and type(v) is type(next(c for c in hp.choices if c == v))
            except Exception:  # an unhashable or odd object: not one of the choices
                ok = False
            if not ok:
                raise InvalidArgument(f"{owner}: {hp.name}={v!r:.60} is not one of {list(hp.choices)}")
            continue
        if hp.kind == "bool":
            if not isinstance(v, bool):
                raise InvalidType(f"{owner}: {hp.name} must be a bool (True or False), got {v!r:.60}")
            continue
        if hp.kind in ("vector", "matrix"):
            continue  # shapes and finiteness: the owner's __post_init__
        if hp.kind == "formula":  # text: its owner parses it (dynamics.formula) in __post_init__
            if not isinstance(v, str):
                raise InvalidType(f"{owner}: {hp.name} must be a formula (text), got {v!r:.60}")
            continue
        if hp.kind == "algorithm":
            if not (hasattr(v, "init") and hasattr(v, "step")):
                raise InvalidType(f"{owner}: {hp.name} must be an algorithm, got {v!r:.60}")
            continue  # shape checks belong to the owner's __post_init__
        lo = -math.inf if hp.low is None else hp.low
        hi = math.inf if hp.high is None else hp.high
        if isinstance(v, torch.Tensor) and hp.kind == "float" and _PER_ROW.get():
            _validate_rows(v, owner, hp.name, lo, hi)
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InvalidType(f"{owner}: {hp.name} must be a number in [{lo}, {hi}], got {type(v).__name__} "
                              f"{v!r:.60}")
        try:
            fv = float(v)
        except OverflowError:  # an int beyond float range
            fv = math.inf
        if not math.isfinite(fv):
            raise InvalidArgument(f"{owner}: {hp.name}={v!r:.60} must be finite (valid range [{lo}, {hi}])")
        if hp.kind == "int" and fv != math.floor(fv):
            raise InvalidArgument(f"{owner}: {hp.name} must be an integer in [{lo}, {hi}], got {v!r}")
        if not lo <= fv <= hi:
            raise InvalidArgument(f"{owner}: {hp.name}={v!r:.60} is outside its valid range [{lo}, {hi}]")
        if hp.kind == "int" and type(v) is not int:  # 3.0 or numpy.int64(3) -> 3 (range() and seeds need ints)
            object.__setattr__(obj, hp.name, int(fv))
        elif hp.kind == "float" and type(v) not in (float, int):
            object.__setattr__(obj, hp.name, fv)  # numpy floats -> float


def _validate_rows(v: torch.Tensor, owner: str, name: str, lo: float, hi: float) -> None:
    """A per-row hyperparameter: an (N, 1) floating tensor, every entry finite and in range."""
    if not v.is_floating_point() or v.ndim != 2 or v.shape[1] != 1:
        raise InvalidType(f"{owner}: per-row {name} must be an (N, 1) floating tensor, got {v.dtype} "
                          f"{tuple(v.shape)}")
    if not bool(torch.isfinite(v).all()) or not bool(((v >= lo) & (v <= hi)).all()):
        raise InvalidArgument(f"{owner}: {name} values must be finite and in [{lo}, {hi}]")
