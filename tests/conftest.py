"""Shared fixtures."""

from __future__ import annotations

import pytest

from helpers import DEVICES


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> str:
    return request.param
