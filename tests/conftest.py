"""Shared fixtures and the fast/slow split.

``pytest -m fast`` runs the quick subset (unit-level engine, CLI, docs and layering checks;
under a minute on the project's 2-core machine); ``pytest -m slow`` the rest (browser and
AppTest sessions, Ray sweeps, GAN/MNIST training, the registry-wide algorithm x game matrix).
A test is slow if its module is listed in :data:`SLOW_MODULES`, it is listed in
:data:`SLOW_TESTS` or it carries ``@pytest.mark.slow``; every other test is marked ``fast``.
"""

from __future__ import annotations

import pytest

from helpers import DEVICES

#: whole modules that are slow (measured with ``pytest --durations=0``: each takes > 5 s)
SLOW_MODULES = frozenset({
    "test_algorithms_common", "test_app", "test_browser", "test_export", "test_formula", "test_games",
    "test_gan_app", "test_gan_live", "test_mnist_app", "test_mnist_train", "test_second_order", "test_sweep",
    "test_hostile_urls", "test_fuzz_engine",
})

#: single slow tests in otherwise fast modules (a subprocess that imports torch afresh)
SLOW_TESTS = frozenset({"test_registry.py::test_engine_never_imports_the_shells"})


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """With ``-m fast`` the slow modules are not even imported (collection is part of the minute)."""
    if config.getoption("markexpr", "") == "fast" and collection_path.stem in SLOW_MODULES:
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module is not None else ""
        short = item.nodeid.rsplit("/", 1)[-1]
        if module in SLOW_MODULES or short in SLOW_TESTS or item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.slow)
        else:
            item.add_marker(pytest.mark.fast)


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> str:
    return request.param
