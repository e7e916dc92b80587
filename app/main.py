"""Saddle's Streamlit lab: ``streamlit run app/main.py``. A router only; the pages live in app_pages/."""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from dynamics import spectrum
from dynamics.threads import configure_threads  # the project is installed (`-e .` in requirements.txt)

configure_threads()  # one torch thread unless SADDLE_TORCH_THREADS says otherwise (dynamics/threads.py)

PAGES_DIR = Path(__file__).parent / "app_pages"
# (file, title, icon, url path)
PAGES = [
    ("toy_games.py", "Toy games", ":material/scatter_plot:", "toy_games"),
    ("spectrum.py", "Spectrum", ":material/blur_circular:", "spectrum"),
    ("gan_2d.py", "2D GAN", ":material/grain:", "gan_2d"),
    ("mnist.py", "MNIST", ":material/grid_view:", "mnist"),
    ("algorithms.py", "Algorithms", ":material/menu_book:", "algorithms"),
]

from app import lecture  # noqa: E402  (after the sys.path fix above)

st.set_page_config(page_title="Saddle: min-max dynamics lab", page_icon=":material/blur_circular:", layout="wide",
                   initial_sidebar_state=lecture.sidebar_state())  # folded away in lecture mode
pages = [st.Page(PAGES_DIR / f, title=t, icon=i, url_path=u, default=(f == "toy_games.py"))
         for f, t, i, u in PAGES]
page = st.navigation(pages, position="top")
st.session_state["_page_now"] = page.url_path  # app.ui.restore_shared carries controls across a page switch
from app import guard, urlstate  # noqa: E402  (after the sys.path fix above)

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
