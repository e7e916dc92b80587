"""Lecture mode: one switch for every page, remembered across pages and in the URL.

Every page calls :func:`setup` once (``lecture = lecture.setup()``). It draws the switch, keeps its
value when the user moves to another page (Streamlit forgets the widget values of a page that is
not shown), writes it into the URL (``?lecture=true``) and styles the page:

* always: no empty band above the page title;
* in lecture mode: larger text for a projector, the sidebar collapsed on load (the router asks
  :func:`sidebar_state` before the first page draws), so at 1024×700 the page content starts at
  the top of the screen. Plotly figures take their lecture fonts from :class:`app.plots.Style`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

KEY = "lecture"
_MEMORY = "_lecture_on"  # a plain session key: survives page switches, unlike widget state
_PAGE = "_lecture_page"  # the page the switch was last drawn on
_TRUE = ("true", "1", "yes", "on")

#: every page: the title starts near the top (Streamlit's default leaves an empty band of ~6rem)
BASE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 2rem; }
[data-testid="stMainBlockContainer"] h1 { padding-top: 0.25rem; padding-bottom: 0.25rem; }
</style>"""
#: lecture mode: projector-sized text, tighter margins so the plot gets the width
LECTURE_CSS = """<style>
html { font-size: 19px; }
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-left: 1.2rem; padding-right: 1.2rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.55rem; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
[data-testid="stMainBlockContainer"] p { line-height: 1.35; }
</style>"""


def remembered() -> bool:
    """Lecture mode as last chosen in this session, else as the URL says (before any widget draws)."""
    if _MEMORY in st.session_state:
        return bool(st.session_state[_MEMORY])
    if KEY in st.session_state:
        return bool(st.session_state[KEY])
    return str(st.query_params.get(KEY, "")).lower() in _TRUE


def sidebar_state() -> str:
    """``initial_sidebar_state`` for ``st.set_page_config``: collapsed in lecture mode."""
    return "collapsed" if remembered() else "auto"


def _remember() -> None:
    st.session_state[_MEMORY] = bool(st.session_state.get(KEY, False))


def setup(container: Any = None) -> bool:
    """The lecture-mode switch of a page, plus its styling; returns whether lecture mode is on."""
    c = container if container is not None else st.sidebar
    page = st.session_state.get("_page_now")  # set by the router (app/main.py)
    if _MEMORY in st.session_state and (KEY not in st.session_state or st.session_state.get(_PAGE) != page):
        # a new page: Streamlit gives its switch a fresh default, so carry the last choice over
        st.session_state[KEY] = bool(st.session_state[_MEMORY])
    st.session_state[_PAGE] = page
    if st.session_state.get(KEY) and str(st.query_params.get(KEY, "")).lower() not in _TRUE:
        try:  # a page switch drops the query string; put lecture mode back into the link
            st.query_params[KEY] = "true"
        except st.errors.StreamlitAPIException:  # already bound on this page: the switch keeps the URL itself
            pass
    on = bool(c.toggle("Lecture mode", value=False, key=KEY, bind="query-params", on_change=_remember,
                       help="For a projector: large text, thick lines, big markers, the sidebar folded away and "
                       "the few controls a lecturer needs above the plot. Remembered across pages and in the "
                       "link (?lecture=true)."))
    st.session_state[_MEMORY] = on
    st.html(BASE_CSS + (LECTURE_CSS if on else ""))
    return on


__all__ = ["setup", "remembered", "sidebar_state", "KEY"]
