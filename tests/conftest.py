"""Shared fixtures: a seeded app per test, a schema-checking client, a live server."""

from __future__ import annotations

import pytest

from mockcanvas import create_app
from tests.support import CheckedClient


@pytest.fixture
def app():
    return create_app(seed=1)


@pytest.fixture
def store(app):
    return app.extensions["mockcanvas"].store


@pytest.fixture
def api(app, store) -> CheckedClient:
    """A test client whose every JSON response is validated against the schemas."""
    return CheckedClient(app, store)
