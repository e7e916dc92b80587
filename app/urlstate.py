"""The URL front door: every query parameter is checked here before any widget reads it.

The widgets are bound to the address bar (``bind="query-params"``), so a shared link seeds them.
Streamlit itself drops most invalid values silently and crashes on a few (``seed=inf`` raises
``OverflowError`` inside its integer deserializer). This module parses every parameter with strict
types, ranges and choices taken from the same declarations the widgets are built from
(:func:`dynamics.hparams` and the app's own controls), bounds text length, JSON nesting depth and
number sizes, and removes what fails from the URL *before* the widgets are created, so they start
from their defaults. What was ignored is listed in one visible notice.

Layout: a pure core (:func:`check`, no Streamlit) and a thin shell (:func:`apply`, called once per
script run by ``app/main.py`` before the page runs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import dynamics
from dynamics import cli, formula, validation

from . import plots, scenes, ui, widgets

# ---- bounds on what a link may carry ---------------------------------------------------------
MAX_PARAMS = 200  # query parameters looked at; the rest are ignored (and reported)
MAX_KEY_CHARS = 100
MAX_NUMBER_CHARS = 40  # "1e999" is short, but a 10**6-digit integer is not
MAX_TEXT_CHARS = 4000  # the JSON array widgets' max_chars
MAX_LIST_VALUES = 6  # the algorithm multiselect's max_selections
#: Streamlit's own parameters (embedding), passed through untouched
PASS_THROUGH = frozenset({"embed", "embed_options"})
#: widget-key prefixes of pages whose controls are declared on the page itself (2D GAN, MNIST): their
#: values get the generic bounds of :func:`check_generic` (Streamlit then checks type and range)
PAGE_PREFIXES = ("gan_", "mnist_")
#: the 2D GAN page's algorithm hyperparameters are keyed ``gan-<algorithm>.<param>``
GAN_OWNER_PREFIX = "gan-"
MAX_GENERIC_CHARS = 200

# ---- the app's own controls (must match the widgets on the pages; tests/test_hostile_urls.py checks) --
TOY_TABS = ("Trajectories", "Small multiples", "Basin map", "Export")
BASIN_GRID = (11, 21, 31, 41, 61, 81)
SPECTRUM_LR_GRID = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
SEED_MAX = 2**31 - 1



@dataclass(frozen=True)
class Rule:
    """How one query parameter is parsed.

    ``kind`` is "float", "int", "bool", "choice", "choices" (a list, e.g. the algorithm picker),
    "text" or "vector"/"matrix" (JSON). ``log`` floats are snapped to the slider's grid ``grid``.
    """

    kind: str
    low: Optional[float] = None
    high: Optional[float] = None
    choices: tuple = ()
    max_len: int = MAX_TEXT_CHARS
    max_values: int = 1
    exact: Optional[int] = None  # "choices": exactly this many values (a range slider's two ends)
    grid: tuple = ()
    aliases: tuple[tuple[str, str], ...] = ()  # "choices": another spelling -> the one the widget reads


@dataclass(frozen=True)
class Ignored:
    """One parameter that was dropped: its key, a short preview of the value and why."""

    key: str
    value: str
    reason: str


@dataclass
class Report:
    """What :func:`check` decided: values to keep (possibly normalised) and what was ignored."""

    keep: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # kept, but rewritten (snapped to a grid)
    #: kept, rewritten to the spelling the widget reads (same meaning, so no notice): ``algos=gda,ogda``
    #: becomes two values, a second copy's slot ``gda@2`` its label ``gda (2nd copy)``
    renamed: dict[str, list[str]] = field(default_factory=dict)
    original: dict[str, str] = field(default_factory=dict)  # the link's text of each changed value

    def notice(self, limit: int = 8) -> str:
        """The one notice the page shows (empty if every value was used as given)."""
        parts = []
        if self.ignored:
            items = [f"`{_md(_short(i.key))}={_md(i.value)}` ({i.reason})" for i in self.ignored[:limit]]
            more = len(self.ignored) - limit
            tail = f", and {more} more" if more > 0 else ""
            n = len(self.ignored)
            parts.append(f"This link had {n} value{'s' if n > 1 else ''} the app cannot use, so "
                         f"{'they fall' if n > 1 else 'it falls'} back to the default: "
                         + "; ".join(items) + tail + ".")
        if self.changed:
            items = [f"`{_md(_short(k))}={_md(self.original.get(k, ''))}` → {_md(','.join(v))}"
                     for k, v in list(self.changed.items())[:limit]]
            parts.append("Moved to the nearest slider value: " + "; ".join(items) + ".")
        return " ".join(parts)


def _md(text: str) -> str:
    # the preview goes inside a code span: no backticks, no newlines
    return text.replace("`", "'").replace("\n", " ").replace("\r", " ")


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"


def _preview(values: Sequence[str]) -> str:
    return _short(",".join(values))


# ---- rules ------------------------------------------------------------------------------------
def static_rules() -> dict[str, Rule]:
    """Rules of the controls that are not hyperparameters (every page's, keyed by widget key)."""
    slots = ui.algorithm_slots()
    groups = sorted({getattr(c, "group", "") for c in dynamics.ALGORITHMS.values()})
    return {
        "scene": Rule("choice", choices=tuple(s.title for s in scenes.SCENES) + tuple(s.key for s in scenes.SCENES)),
        "lecture": Rule("bool"),
        "game": Rule("choice", choices=tuple(sorted(dynamics.GAMES))),
        # Streamlit's multiselect reads its options' labels from the URL and drops anything else silently
        "algos": Rule("choices", choices=tuple(ui.slot_label(s) for s in slots) + tuple(slots),
                      max_values=MAX_LIST_VALUES,
                      aliases=tuple((s, ui.slot_label(s)) for s in slots if ui.slot_label(s) != s)),
        "x0": Rule("float", -100.0, 100.0),
        "y0": Rule("float", -100.0, 100.0),
        "steps": Rule("choice", choices=ui.STEP_CHOICES),
        "basin_steps": Rule("choice", choices=ui.STEP_CHOICES),
        "seed": Rule("int", 0, SEED_MAX),
        "zoom": Rule("choice", choices=ui.ZOOMS),
        "frames": Rule("int", 20, plots.MAX_FRAMES),
        "tab": Rule("choice", choices=TOY_TABS),
        "basin_n": Rule("choice", choices=BASIN_GRID),
        "sp_at_eq": Rule("bool"),
        "sp_x": Rule("float", -100.0, 100.0),
        "sp_y": Rule("float", -100.0, 100.0),
        "sp_lr": Rule("choices", choices=SPECTRUM_LR_GRID, max_values=2, exact=2),
        "doc_group": Rule("choice", choices=("all", *groups, "games")),
        "doc_filter": Rule("text", max_len=60),
    }


def hparam_rule(hp: dynamics.HParam, extra: Sequence[float] = ()) -> Optional[Rule]:
    """The rule of a hyperparameter widget, from its declaration (None for kinds the app does not draw)."""
    if hp.kind in ("vector", "matrix"):
        return Rule(hp.kind, max_len=MAX_TEXT_CHARS)
    if hp.kind == "formula":
        return Rule("formula", max_len=formula.MAX_LENGTH)
    if hp.kind == "bool":
        return Rule("bool")
    if hp.kind == "choice":
        return Rule("choice", choices=tuple(hp.choices))
    if hp.kind == "int":
        lo, hi = widgets._bounds(hp)
        return Rule("int", lo, hi)
    if hp.kind == "float":
        lo, hi = widgets._bounds(hp)
        grid = tuple(widgets.log_grid(hp, extra)) if hp.log else ()
        if hp.log and hp.default:
            grid = tuple(sorted(set(grid) | {widgets._nice(hp.default)}))
        return Rule("float", lo, hi, grid=grid)
    return None


def _hparam_rules(owner: str, hps: Sequence[dynamics.HParam], extra: Mapping[str, Sequence[float]]) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for hp in hps:
        rule = hparam_rule(hp, extra.get(hp.name, ()))
        if rule is None:
            continue
        out[widgets.key(owner, hp.name)] = rule
        if hp.optional:
            out[widgets.on_key(owner, hp.name)] = Rule("bool")
    return out


def dynamic_rule(key: str, raw: Mapping[str, Sequence[str]]) -> Optional[Rule]:
    """The rule of a ``<owner>.<param>`` key: a game's, an algorithm slot's or a wrapper's base's parameter."""
    if key.startswith(PAGE_PREFIXES):
        return Rule("any", max_len=MAX_GENERIC_CHARS, max_values=MAX_LIST_VALUES)
    owner, _, _ = key.partition(".")
    if owner.startswith(GAN_OWNER_PREFIX) and owner[len(GAN_OWNER_PREFIX):] in dynamics.ALGORITHMS:
        cls = dynamics.ALGORITHMS[owner[len(GAN_OWNER_PREFIX):]]
        rule = _hparam_rules(owner, dynamics.hparams(cls), {}).get(key)
        # that page offers its own log-slider values: leave off-grid values to Streamlit
        return None if rule is None else Rule(rule.kind, rule.low, rule.high, rule.choices, rule.max_len)
    if owner in dynamics.GAMES:
        return _hparam_rules(owner, dynamics.hparams(dynamics.GAMES[owner]), {}).get(key)
    slots = set(ui.algorithm_slots())
    if owner not in slots:
        return None
    cls = dynamics.ALGORITHMS[ui.slot_name(owner)]
    rules = _hparam_rules(owner, ui._own_hparams(cls), scenes.log_values(ui.slot_name(owner)))
    if getattr(cls, "wrapper", False):
        bases = tuple(n for n in sorted(dynamics.ALGORITHMS) if not getattr(dynamics.ALGORITHMS[n], "wrapper", False))
        rules[widgets.key(owner, "base")] = Rule("choice", choices=bases)
        base = (raw.get(widgets.key(owner, "base")) or [ui._default_base(cls)])[-1]
        if base not in bases:
            base = ui._default_base(cls)
        rules.update(_hparam_rules(f"{owner}.base", dynamics.hparams(dynamics.ALGORITHMS[base]),
                                   scenes.log_values(base)))
    return rules.get(key)


# ---- parsing ----------------------------------------------------------------------------------
def parse_number(text: str) -> float:
    """A finite number (the CLIs' strict parser: no ``inf``, ``nan``, overflowing or over-long literals).

    Raises:
        ValueError: naming what is wrong.

    """
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of at most {MAX_NUMBER_CHARS} characters")
    try:
        return cli.parse_float(text, "value")
    except cli.UsageError:
        raise ValueError("not a finite number") from None


def _match_choice(value: str, choices: Sequence[Any]) -> Optional[Any]:
    for c in choices:
        if value == str(c):
            return c
    try:
        v = parse_number(value)
    except ValueError:
        return None
    for c in choices:
        if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isclose(v, c, rel_tol=1e-9, abs_tol=0):
            return c
    return None


def check_generic(values: Sequence[str], rule: Rule) -> None:
    """Bounds for a value whose widget this module does not know: size, nesting, and no overflowing numbers.

    Streamlit checks such values against the widget itself, but crashes on non-finite numbers in
    integer widgets (``int(float("inf"))``), so those never get through.

    Raises:
        ValueError: with the reason.

    """
    if len(values) > rule.max_values:
        raise ValueError(f"at most {rule.max_values} values")
    for v in values:
        if len(v) > rule.max_len:
            raise ValueError(f"longer than {rule.max_len} characters")
        if validation.json_depth(v) > 2:
            raise ValueError("nested too deeply")
        try:
            x = float(v)
        except ValueError:
            continue
        if not math.isfinite(x) or abs(x) > 1e15:
            raise ValueError("not a finite number of a sensible size")


def check_value(rule: Rule, values: Sequence[str]) -> list[str]:
    """The values to keep for one parameter (rewritten where a grid snaps them).

    Raises:
        ValueError: with the reason the values are ignored.

    """
    if rule.kind == "any":
        check_generic(values, rule)
        return list(values)
    if rule.kind == "choices":
        if len(values) == 1 and "," in values[0]:  # ?algos=gda,extragradient written by hand
            values = [v for v in values[0].split(",") if v]
        if len(values) > rule.max_values:
            raise ValueError(f"at most {rule.max_values} values")
        if rule.exact is not None and len(values) != rule.exact:
            raise ValueError(f"exactly {rule.exact} values")
        out = []
        for v in values:
            if len(v) > MAX_KEY_CHARS or _match_choice(v, rule.choices) is None:
                raise ValueError(f"{v[:30]!r} is not a choice here")
            out.append(dict(rule.aliases).get(v, v))
        return out
    value = values[-1]  # Streamlit reads the last of repeated single-valued parameters
    if rule.kind == "bool":
        if value.strip().lower() not in ("true", "false"):
            raise ValueError("not true/false")
        return [value]
    if rule.kind == "choice":
        if len(value) > MAX_KEY_CHARS or _match_choice(value, rule.choices) is None:
            raise ValueError("not one of the choices")
        return [value]
    if rule.kind == "text":
        if len(value) > rule.max_len:
            raise ValueError(f"longer than {rule.max_len} characters")
        return [value]
    if rule.kind == "formula":
        if len(value) > rule.max_len:
            raise ValueError(f"longer than {rule.max_len} characters")
        try:  # the engine's safe parser: bounded length and nesting, never evaluated as Python
            formula.parse(value)
        except ValueError as err:
            raise ValueError(str(err).splitlines()[0][:80]) from None
        return [value]
    if rule.kind in ("vector", "matrix"):
        if len(value) > rule.max_len:
            raise ValueError(f"longer than {rule.max_len} characters")
        if value.strip():
            try:  # bounded nesting depth and size before json.loads runs (dynamics/cli.py)
                cli.parse_array(value, rule.kind, "value")
            except ValueError as err:
                raise ValueError(str(err).removeprefix("value: ")) from None
        return [value]
    v = parse_number(value)
    lo = -math.inf if rule.low is None else rule.low
    hi = math.inf if rule.high is None else rule.high
    if not lo <= v <= hi:
        raise ValueError(f"outside [{lo:g}, {hi:g}]")
    if rule.kind == "int":
        try:
            cli.parse_int(value, "value")
        except cli.UsageError:
            raise ValueError("not an integer") from None
        return [value]
    if rule.grid and not any(math.isclose(v, g, rel_tol=1e-9) for g in rule.grid):
        if v <= 0:
            raise ValueError("must be positive")
        near = min(rule.grid, key=lambda g: abs(math.log(g) - math.log(v)))
        return [f"{near:g}"]
    return [value]


def check(raw: Mapping[str, Sequence[str]]) -> Report:
    """Check every query parameter; pure (no Streamlit), so tests and the load bench can call it."""
    report = Report()
    rules = static_rules()
    for n, (key, values) in enumerate(raw.items()):
        values = [str(v) for v in values]
        if key in PASS_THROUGH:
            report.keep[key] = values
            continue
        if n >= MAX_PARAMS:
            report.ignored.append(Ignored(key, _preview(values), f"more than {MAX_PARAMS} parameters"))
            continue
        if len(key) > MAX_KEY_CHARS:
            report.ignored.append(Ignored(key, _preview(values), "unknown parameter"))
            continue
        rule = rules.get(key) or dynamic_rule(key, raw)
        if rule is None:
            report.ignored.append(Ignored(key, _preview(values), "unknown parameter"))
            continue
        if len(values) > max(rule.max_values, 1) and rule.kind not in ("choices", "any"):
            values = values[-1:]
        try:
            kept = check_value(rule, values)
        except ValueError as err:
            report.ignored.append(Ignored(key, _preview(values), str(err)))
            continue
        report.keep[key] = kept
        if kept != list(values) and rule.kind == "choices":  # the same choices, spelled as the widget reads them
            report.renamed[key] = kept
        elif kept != list(values):
            report.changed[key] = kept
            report.original[key] = _preview(values)
    return report


# ---- Streamlit shell --------------------------------------------------------------------------
NOTICE_KEY = "_url_notice"


def _query_params_store() -> Any:
    """Streamlit's query-parameter object of this session (or None outside a script run).

    Streamlit seeds bound widgets from the *initial* query string, which its public
    ``st.query_params`` cannot change; the one place that touches its internals is here.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_state


def _rewrite(drop: Sequence[str], replace: Mapping[str, list[str]]) -> None:
    store = _query_params_store()
    if store is None:
        return
    with store.query_params() as qp:
        initial = getattr(qp, "_initial_query_params", None)
        for k in drop:
            if isinstance(initial, dict):
                initial.pop(k, None)
            qp.remove_param(k)
        for k, v in replace.items():
            if isinstance(initial, dict):
                initial[k] = list(v)
            if k in qp._query_params:
                qp._query_params[k] = v if len(v) > 1 else v[0]
        if replace:
            qp._send_query_param_msg()


def raw_params() -> dict[str, list[str]]:
    """The current query parameters, every value as a list of strings."""
    import streamlit as st

    return {k: [str(v) for v in st.query_params.get_all(k)] for k in list(st.query_params.keys())}


def apply() -> Report:
    """Check this run's query parameters, drop the bad ones before any widget is seeded, show the notice.

    Called by ``app/main.py`` before the page runs, on every run (cheap: a few hundred string checks).
    """
    import streamlit as st

    raw = raw_params()
    report = check(raw)
    if report.renamed:
        _rewrite([], report.renamed)
    if report.ignored or report.changed:
        _rewrite([i.key for i in report.ignored if i.key in raw], report.changed)
        # keep the notice for the reruns of this page view until the visitor moves on
        st.session_state[NOTICE_KEY] = (st.session_state.get("_page_now"), report.notice())
    notice = st.session_state.get(NOTICE_KEY)
    if notice and notice[1]:
        if notice[0] == st.session_state.get("_page_now"):
            st.warning(notice[1], icon=":material/link_off:")
        else:
            st.session_state.pop(NOTICE_KEY, None)
    return report


__all__ = ["Rule", "Ignored", "Report", "check", "check_value", "parse_number", "apply",
           "static_rules", "dynamic_rule", "hparam_rule"]
