"""The thread policy of dynamics/threads.py: argument, then environment, then the measured default."""

from __future__ import annotations

import pytest
import torch

from dynamics.threads import DEFAULT_THREADS, ENV, configure_threads, requested_threads


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv(ENV, "2")
    assert configure_threads(1) == 1
    assert torch.get_num_threads() == 1


def test_environment_then_default(monkeypatch):
    monkeypatch.setenv(ENV, "2")
    assert configure_threads() == 2 and torch.get_num_threads() == 2
    monkeypatch.delenv(ENV)
    assert configure_threads() == DEFAULT_THREADS == 1
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("raw", ["zero", "0", "-3", "1.5", "100000"])
def test_bad_environment_falls_back_with_warning(monkeypatch, raw):
    monkeypatch.setenv(ENV, raw)
    with pytest.warns(RuntimeWarning, match=ENV):
        assert requested_threads() == DEFAULT_THREADS


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2", 10_000])
def test_bad_argument_names_it(bad):
    with pytest.raises(ValueError, match="torch threads"):
        configure_threads(bad)
