"""Hyperparameter widgets generated from the ``dynamics.hparams`` metadata.

One declaration in the engine (range, log scale, choices, help, optional, advanced) becomes a
widget here: float/int -> slider (a log-spaced select-slider where ``log``), choice -> selectbox,
bool -> checkbox, optional (``None`` = inherit) -> a checkbox that enables the override,
vector/matrix -> an advanced JSON text field parsed with :func:`parse_array` (never ``eval``).

Every widget has a stable key ``<owner>.<param>`` (owner = game or algorithm name) and is bound
to the URL (``bind="query-params"``), so the address bar is a shareable scene. Scenes load by
writing these same keys into ``st.session_state`` (see :func:`scene_state`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, Optional

import streamlit as st

import dynamics
from dynamics import cli, formula

BIND = "query-params"
#: mantissas of the log-scale grid: 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8 per decade
MANTISSAS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)
#: log sliders show at most these decades around the default, so the knob stays usable
LOG_DECADES_BELOW = 4
LOG_DECADES_ABOVE = 2
MAX_ARRAY_ELEMENTS = cli.MAX_ARRAY_ELEMENTS


def key(owner: str, name: str) -> str:
    """The session-state / URL key of a parameter widget."""
    return f"{owner}.{name}"


def on_key(owner: str, name: str) -> str:
    """The key of the checkbox that enables an optional parameter's override."""
    return f"{owner}.{name}.on"


def _nice(v: float) -> float:
    return float(f"{v:.3g}")


def log_grid(hp: dynamics.HParam, extra: Iterable[float] = ()) -> list[float]:
    """Log-spaced values inside ``[low, high]`` (1-1.5-2-2.5-3-4-5-... per decade) plus ``extra``."""
    lo = hp.low if hp.low is not None and hp.low > 0 else 1e-6
    hi = hp.high if hp.high is not None else 1e3
    ref = hp.default if isinstance(hp.default, (int, float)) and hp.default and hp.default > 0 else _fallback(hp)
    lo = max(lo, ref * 10.0 ** -LOG_DECADES_BELOW)
    hi = min(hi, ref * 10.0 ** LOG_DECADES_ABOVE)
    out = set()
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in MANTISSAS:
            v = _nice(m * 10.0**e)
            if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                out.add(v)
    for v in extra:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            out.add(_nice(v))
    if isinstance(hp.default, (int, float)) and not isinstance(hp.default, bool) and hp.default:
        out.add(_nice(hp.default))
    return sorted(out)


def _fallback(hp: dynamics.HParam) -> float:
    """A starting value for an optional parameter whose default is ``None`` (e.g. ``lr_x``)."""
    lo = hp.low if hp.low is not None else -10.0
    hi = hp.high if hp.high is not None else 10.0
    if hp.log:
        return min(max(0.1, lo), hi)
    return min(max(0.0, lo), hi)


def linear_step(hp: dynamics.HParam) -> float:
    """A round slider step giving about 200 positions over ``[low, high]``."""
    span = (hp.high - hp.low) if hp.low is not None and hp.high is not None else 10.0
    raw = span / 200.0
    e = math.floor(math.log10(raw)) if raw > 0 else -2
    for m in (1, 2, 5, 10):
        if m * 10.0**e >= raw:
            return _nice(m * 10.0**e)
    return _nice(10.0 ** (e + 1))


def _bounds(hp: dynamics.HParam) -> tuple[float, float]:
    d = hp.default if isinstance(hp.default, (int, float)) and hp.default is not None else 0.0
    lo = hp.low if hp.low is not None else min(-10.0, d - 10.0)
    hi = hp.high if hp.high is not None else max(10.0, d + 10.0)
    return float(lo), float(hi)


def parse_array(text: str, kind: str, name: str = "value") -> tuple:
    """Parse a JSON number list (vector) or list of lists (matrix) into nested tuples.

    The one strict parser of the CLIs (:func:`dynamics.cli.parse_array`): bounded length, nesting
    depth and size, finite numbers only, never evaluated.

    Raises:
        ValueError: with a plain message naming ``name``.

    """
    return cli.parse_array(text, kind, name)


def _array_text(v: Any) -> str:
    return "" if v is None else json.dumps(v)


def _number_widget(owner: str, hp: dynamics.HParam, label: str, extra: Iterable[float], container: Any) -> Any:
    k = key(owner, hp.name)
    default = hp.default if hp.default is not None else _fallback(hp)
    if hp.kind == "int":
        lo, hi = _bounds(hp)
        if hi - lo <= 100:
            return container.slider(label, int(lo), int(hi), step=1, key=k, help=hp.help, bind=BIND,
                                    value=int(default))
        return container.number_input(label, int(lo), int(hi), step=1, key=k, help=hp.help, bind=BIND,
                                      value=int(default))
    if hp.log:
        grid = log_grid(hp, extra)
        d = _nice(default) if default and default > 0 else grid[len(grid) // 2]
        if d not in grid:
            grid = sorted(set(grid) | {d})
        cur = st.session_state.get(k)
        if isinstance(cur, (int, float)) and cur not in grid:  # a value set by a scene or a click
            st.session_state[k] = min(grid, key=lambda g: abs(math.log(g) - math.log(cur)) if cur > 0 else g)
        return container.select_slider(label, options=grid, key=k, help=hp.help, bind=BIND,
                                       format_func=lambda v: f"{v:g}", value=d)
    lo, hi = _bounds(hp)
    return container.slider(label, lo, hi, step=linear_step(hp), key=k, help=hp.help, bind=BIND,
                            format="%.3g", value=float(default))


def hparam_widgets(owner: str, hps: list[dynamics.HParam], *, lecture: bool = False, container: Any = None,
                   extra_values: Optional[dict[str, Iterable[float]]] = None,
                   skip: Iterable[str] = (), labels: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """Draw one widget per hyperparameter.

    Returns ``{name: value}`` for those that differ from the class default (so the config, the cache key and
    the URL stay short).

    Optional parameters left off, advanced ones in lecture mode and arrays left empty are
    omitted, i.e. they keep the class default. Array fields that fail to parse show an error
    under the field and are omitted too.
    """
    container = container or st
    extra_values = extra_values or {}
    out: dict[str, Any] = {}
    for hp in hps:
        if hp.name in skip or (lecture and hp.advanced):
            continue
        label = hp.name if not hp.help else f"{hp.name} — {hp.help.split(' (')[0]}"
        label = (labels or {}).get(hp.name, label)  # e.g. a short label in lecture mode
        if hp.kind in ("vector", "matrix"):
            if lecture:
                continue
            k = key(owner, hp.name)
            text = container.text_input(f"{label} (JSON)", key=k, help=(hp.help + "; JSON, e.g. [[1, 0], [0, 2]]"),
                                        bind=BIND, max_chars=4000, value=_array_text(hp.default))
            if not text.strip():
                continue
            try:
                val = parse_array(text, hp.kind, hp.name)
            except ValueError as err:
                container.error(str(err))
                continue
            if val != hp.default:
                out[hp.name] = val
            continue
        if hp.optional:
            ok = on_key(owner, hp.name)
            enabled = container.checkbox(f"set {hp.name}", key=ok, help=hp.help, bind=BIND, value=False)
            if not enabled:
                continue
        if hp.kind == "formula":
            v = formula_input(owner, hp, label, container)
            if v is None:
                continue
        elif hp.kind == "bool":
            k = key(owner, hp.name)
            v = container.checkbox(label, key=k, help=hp.help, bind=BIND, value=bool(hp.default))
        elif hp.kind == "choice":
            k = key(owner, hp.name)
            opts = list(hp.choices)
            v = container.selectbox(label, opts, key=k, help=hp.help, bind=BIND,
                                    index=opts.index(hp.default) if hp.default in opts else 0)
        elif hp.kind in ("float", "int"):
            v = _number_widget(owner, hp, label, extra_values.get(hp.name, ()), container)
        else:  # unknown kinds (e.g. a nested algorithm) are handled by the page, never guessed at
            continue
        if hp.optional or v != hp.default:
            out[hp.name] = v
    return out


def formula_input(owner: str, hp: dynamics.HParam, label: str, container: Any) -> Optional[str]:
    """A text box for a formula, checked by the safe parser on every change (never ``eval``).

    Returns the text when it parses, else ``None`` after drawing the parser's message with the
    caret under the offending token (the game keeps its previous default until the text is fixed).
    """
    k = key(owner, hp.name)
    text = container.text_input(label, key=k, help=f"{hp.help}. {FORMULA_HELP}", bind=BIND,
                                max_chars=formula.MAX_LENGTH, value=hp.default or "")
    if hp.optional and not text.strip():
        return None  # an optional formula left empty keeps its default (g: the zero-sum -f)
    try:
        formula.parse(text)
    except formula.FormulaError as err:
        shown = str(err).split("\n", 1)[1] if "\n" in str(err) else text
        container.error(f"**{hp.name}: {err.reason}** (column {err.column + 1}); using the default until it "
                        f"parses.\n```text\n{shown}\n```")
        return None
    return text


def example_picker(owner: str, cls: type, container: Any = None) -> None:
    """A selectbox of a game's presets (the examples of typed games); picking one writes its
    parameters into the widgets, which carry them into the URL.
    """
    presets: dict[str, dict[str, Any]] = getattr(cls, "presets", {}) or {}
    if not presets:
        return
    container = container or st
    k = f"{owner}._example"

    def load() -> None:
        name = st.session_state.get(k)
        if name in presets:
            for kk, v in scene_state(owner, dict(presets[name]), dynamics.hparams(cls)).items():
                st.session_state[kk] = v

    container.selectbox("Example", list(presets), key=k, index=None, placeholder="Pick an example…",
                        format_func=lambda n: n.replace("_", " "), on_change=load,
                        help="Loads a named parameter set of this game into the fields below.")


FORMULA_HELP = ("Numbers, x and y (or x1, x2, … / y1, y2, …), + - * / and ** with a number as exponent, pi, e, "
                "and exp log sin cos tanh sqrt abs sigmoid softplus min max; e.g. (1 + x**2)*(100 - y**2)")


def scene_state(owner: str, params: dict[str, Any], hps: list[dynamics.HParam]) -> dict[str, Any]:
    """Session-state entries that make :func:`hparam_widgets` show ``params`` (others reset to default)."""
    state: dict[str, Any] = {}
    for hp in hps:
        v = params.get(hp.name, hp.default)
        if hp.kind in ("vector", "matrix"):
            state[key(owner, hp.name)] = _array_text(v)
            continue
        if hp.optional:
            state[on_key(owner, hp.name)] = v is not None
            if v is None:
                continue
        if hp.kind == "float" and hp.log and isinstance(v, (int, float)):
            v = _nice(v)
        elif hp.kind == "float" and isinstance(v, (int, float)):
            v = float(v)
        state[key(owner, hp.name)] = v
    return state


__all__ = ["hparam_widgets", "scene_state", "formula_input", "example_picker", "parse_array", "log_grid",
           "linear_step", "key", "on_key", "BIND"]
