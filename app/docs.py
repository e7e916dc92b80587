"""Docstrings as documentation: turn an engine class's docstring into Markdown for ``st.markdown``.

The engine's docstrings carry the update rule in ``$$...$$`` (KaTeX in Streamlit) and Google-style
sections (``References:``, ``Args:``); indented section bodies would render as code blocks, so
section entries become bullet lists and other lines are dedented.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import dynamics

SECTION = re.compile(r"^(References|Reference|Args|Returns|Raises|Example|Examples|Notes?|Presets):\s*$")


def doc_markdown(cls: type) -> str:
    """The class docstring as Markdown (update rule in ``$$``, sections as bullet lists)."""
    doc = inspect.getdoc(cls) or ""
    out: list[str] = []
    section = None
    entry: list[str] = []

    def flush() -> None:
        if entry:
            text = " ".join(entry)
            parts = split_references(text) if section in ("References", "Reference") else [text]
            out.extend("- " + p for p in parts)
            entry.clear()

    for line in doc.splitlines():
        m = SECTION.match(line.strip()) if not line.startswith(" ") else None
        if m:
            flush()
            section = m.group(1)
            out.append(f"\n**{section}**\n")
            continue
        if section is not None:
            if not line.strip():
                flush()
                continue
            indent = len(line) - len(line.lstrip())
            # a reference wraps over several lines at the same indent: keep it whole, split by paper in flush()
            if indent <= 4 and entry and not line.startswith("     ") and section not in ("References", "Reference"):
                flush()
            entry.append(line.strip())
            continue
        out.append(line.strip())
    flush()
    return "\n".join(out).strip()


#: where one paper ends and the next begins: after "." or ";" comes an author surname and a comma
_NEXT_PAPER = re.compile(r"(?<=[.;])\s+(?=[A-ZÀ-Ý][\w'\-]+(?: [A-Z][\w'\-]+)?(?:,\s| et al\.))")


def split_references(text: str) -> list[str]:
    """One entry per paper from a References section joined into one line (authors "Surname," or "Surname et al.").

    ``"Korpelevich, "…", 1976. Gidel, Berard, …, ICLR 2019."`` -> two entries; a trailing ``code: …``
    note stays with its paper.
    """
    return [p.strip() for p in _NEXT_PAPER.split(text) if p.strip()]


def hparam_table(cls: type) -> list[dict[str, Any]]:
    """One row per hyperparameter: name, default, range, scale, help."""
    rows = []
    for hp in dynamics.hparams(cls):
        if hp.kind in ("float", "int"):
            rng = f"[{hp.low:g}, {hp.high:g}]" if hp.low is not None and hp.high is not None else ""
        elif hp.kind == "choice":
            rng = " | ".join(map(str, hp.choices))
        else:
            rng = hp.kind
        rows.append({"name": hp.name, "default": "inherit" if hp.default is None else str(hp.default),
                     "range": rng, "log": "log" if hp.log else "", "help": hp.help,
                     "advanced": "yes" if hp.advanced else ""})
    return rows


def flags(cls: type) -> list[str]:
    """Capability badges: second-order, stochastic, wrapper."""
    out = []
    for attr, label in (("second_order", "second-order"), ("stochastic", "stochastic"), ("wrapper", "wrapper")):
        if getattr(cls, attr, False):
            out.append(label)
    return out


__all__ = ["doc_markdown", "hparam_table", "flags", "split_references"]
