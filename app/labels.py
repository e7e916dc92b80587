"""Labels that identify a run: the one name used by the legend, the status line, Spectrum and exports.

A run is labelled ``name (η=…)`` (:func:`app.compute.algo_label`). When two chosen runs share an
algorithm, that label would not tell them apart, so each of them says what differs instead, e.g.
``momentum β=−0.5, alternating (η=0.3)`` and ``momentum β=0.5, simultaneous (η=0.3)``. No Streamlit
here: the export CLI uses the same labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dynamics

from .compute import AlgoConfig, algo_label

#: how a hyperparameter is written in a label (others keep their own name)
SYMBOLS = {"lr": "η", "lr_x": "η_x", "lr_y": "η_y", "beta": "β", "gamma": "γ", "lam": "λ", "alpha": "α",
           "p": "p", "k": "k", "tau": "τ"}
#: how a choice is written (update orders are the usual source of twins)
WORDS = {"simultaneous": "simultaneous", "x_first": "alternating", "y_first": "alternating, y first"}


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:g}".replace("-", "−")
    if isinstance(v, tuple):
        return "(" + ", ".join(_value(e) for e in v) + ")" if not (v and isinstance(v[0], tuple)) else "[…]"
    return str(v)


def _term(name: str, v: Any) -> str:
    if isinstance(v, str) and v in WORDS:
        return WORDS[v]
    if isinstance(v, str):
        return f"{name} {v}"
    return f"{SYMBOLS.get(name, name)}={_value(v)}"


def effective_params(cfg: AlgoConfig) -> dict[str, Any]:
    """Every hyperparameter of a config, defaults filled in (configs store only what differs)."""
    name, params = cfg
    out: dict[str, Any] = {}
    cls = dynamics.ALGORITHMS.get(name)
    if cls is not None:
        for hp in dynamics.hparams(cls):
            if hp.name not in ("base", "base_kwargs"):
                out[hp.name] = hp.default
    for k, v in params:
        if k == "base_kwargs" and isinstance(v, tuple):
            for bk, bv in v:
                out[f"base.{bk}"] = bv
        else:
            out[k] = v
    return out


def distinct_labels(cfgs: Sequence[AlgoConfig]) -> list[str]:
    """One label per config, distinct whenever two configs share an algorithm.

    Unique algorithms keep :func:`app.compute.algo_label`. Twins are named by the hyperparameters
    whose values differ between them (in declaration order), keeping ``(η=…)`` when η is shared;
    exact duplicates get ``#1``, ``#2``.
    """
    labels = [algo_label(c) for c in cfgs]
    by_name: dict[str, list[int]] = {}
    for i, (name, _) in enumerate(cfgs):
        by_name.setdefault(name, []).append(i)
    for name, idx in by_name.items():
        if len(idx) < 2:
            continue
        eff = [effective_params(cfgs[i]) for i in idx]
        keys = list(dict.fromkeys(k for e in eff for k in e))
        differ = [k for k in keys if len({repr(e.get(k)) for e in eff}) > 1]
        for n, (i, e) in enumerate(zip(idx, eff), start=1):
            terms = [_term(k, e.get(k)) for k in differ if e.get(k) is not None]
            lr = e.get("lr", e.get("base.lr"))
            tail = f" (η={_value(float(lr))})" if "lr" not in differ and isinstance(lr, (int, float)) else ""
            base = f"[{e['base']}]" if "base" in e and "base" not in differ else ""
            labels[i] = f"{name}{base} {', '.join(terms)}{tail}" if terms else f"{name}{base}{tail} #{n}"
    return labels


__all__ = ["distinct_labels", "effective_params"]
