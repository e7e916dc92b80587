"""Saddle's Streamlit lab: ``streamlit run app/main.py``. A router only; the pages live in app_pages/."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dynamics import spectrum
from dynamics.threads import configure_threads  # the project is installed (`-e .` in requirements.txt)

configure_threads()  # one torch thread unless SADDLE_TORCH_THREADS says otherwise (dynamics/threads.py)

PAGES_DIR = Path(__file__).parent / "app_pages"
# (file, title, icon, url path); the first page is the default, served at "/" (its url path is never shown)
PAGES = [
    ("toy_games.py", "Toy games", ":material/scatter_plot:", "toy_games_page"),
    ("spectrum.py", "Spectrum", ":material/blur_circular:", "spectrum"),
    ("gan_2d.py", "2D GAN", ":material/grain:", "gan_2d"),
    ("mnist.py", "MNIST", ":material/grid_view:", "mnist"),
    ("algorithms.py", "Algorithms", ":material/menu_book:", "algorithms"),
]

from app import lecture  # noqa: E402  (after the sys.path fix above)

st.set_page_config(page_title="Saddle: min-max dynamics lab", page_icon=":material/blur_circular:", layout="wide",
                   initial_sidebar_state=lecture.sidebar_state())  # folded away in lecture mode
pages = [st.Page(PAGES_DIR / f, title=t, icon=i, url_path=u, default=(f == PAGES[0][0]))
         for f, t, i, u in PAGES]
from app import guard, urlstate  # noqa: E402  (after the sys.path fix above)


def aliases(file: str, title: str, url_path: str) -> list[str]:
    """Other paths a link may use for a page: its file name (``/toy_games``, the old pages-folder URL),
    with hyphens (``/toy-games``), and its title (``/2D_GAN``, Streamlit's own inference).
    """
    stem = Path(file).stem
    names = dict.fromkeys([stem, stem.replace("_", "-"), title.replace(" ", "_")])
    return [a for a in names if a != url_path]


def _redirect(target: st.Page) -> Callable[[], None]:
    def go() -> None:  # to the page's own URL, keeping the link's settings
        st.switch_page(target, query_params=urlstate.raw_params())
    return go


# hidden pages at the aliases: without them Streamlit shows a "Page not found" dialog for e.g. /toy_games
redirects = [st.Page(_redirect(p), title=t, url_path=a, visibility="hidden")
             for p, (f, t, _, u) in zip(pages, PAGES) for a in aliases(f, t, "" if p is pages[0] else u)]
page = st.navigation(pages + redirects, position="top")
if any(page is r for r in redirects):
    page.run()  # st.switch_page: this run ends here
st.session_state["_page_now"] = page.url_path  # app.ui.restore_shared carries controls across a page switch

with guard.timed_run(page.url_path):  # server-side rerun time, logged only under SADDLE_TIMING_LOG (bench/load.py)
    urlstate.apply()  # the URL front door: bad query values are dropped (with one notice) before widgets read them
    page.run()


@st.cache_resource(show_spinner=False)
def _warm_up_spectrum() -> threading.Thread:
    """Once per server process, after the first page has drawn: pay torch's lazy imports for the
    Jacobians of nonlinear games (about 0.8 s, see dynamics.spectrum.warm_up) in a background thread,
    so neither the first page nor the spectrum page's first nonlinear game waits for them.
    """
    def warm() -> None:
        try:
            spectrum.warm_up()
        except Exception:  # best effort (never needed for correctness), e.g. cut short by interpreter exit
            pass

    thread = threading.Thread(target=warm, name="saddle-spectrum-warm-up", daemon=True)
    thread.start()
    return thread


_warm_up_spectrum()
