"""What every AppTest file needs: open the app with query parameters, and fail on an exception box."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


def app(**query: str) -> AppTest:
    """The app's router run once with ``query`` as its URL's query parameters."""
    at = AppTest.from_file(MAIN, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def ok(at: AppTest) -> AppTest:
    """``at`` after asserting that no exception box is on the page."""
    assert not at.exception, [e.message for e in at.exception]
    return at
