"""Algorithms and games: every registered class's docstring rendered (the code is the documentation)."""

from __future__ import annotations

import inspect

import streamlit as st

import dynamics
from app import docs, ui, widgets

lecture = ui.lecture_toggle(st.sidebar)
st.title("Algorithms")
st.caption("Rendered from the engine's own docstrings and hyperparameter declarations: update rule, "
           "reference and defaults. Sign convention: z = (x, y), ξ(z) = (∇ₓf, −∇ᵧf), every method descends on ξ.")

groups = sorted({getattr(c, "group", "") for c in dynamics.ALGORITHMS.values()})
c1, c2 = st.columns([1, 2])
group = c1.selectbox("Group", ["all", *groups, "games"], key="doc_group", bind=widgets.BIND)
query = c2.text_input("Filter by name", key="doc_filter", bind=widgets.BIND, max_chars=60).strip().lower()

if group == "games":
    table = dynamics.GAMES
else:
    table = {n: c for n, c in dynamics.ALGORITHMS.items() if group in ("all", getattr(c, "group", ""))}
names = [n for n in sorted(table) if query in n.lower()]
st.markdown(f"{len(names)} of {len(table)} shown.")

for name in names:
    cls = table[name]
    badges = " ".join(f"`{b}`" for b in [getattr(cls, "group", "")] + docs.flags(cls) if b)
    summary = (inspect.getdoc(cls) or cls.__name__).splitlines()[0].rstrip(".")
    with st.expander(f"**{name}** — {summary}", expanded=len(names) <= 3):
        if badges and group != "games":
            st.markdown(badges)
        st.markdown(docs.doc_markdown(cls))
        ref = getattr(cls, "reference", "")
        if ref:
            st.caption(f"Test oracle: {ref}")
        presets = getattr(cls, "presets", None)
        if presets:
            st.caption("Presets: " + ", ".join(presets))
        rows = docs.hparam_table(cls)
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
