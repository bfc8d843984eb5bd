"""Shared fixtures: a seeded app per test, a schema-checking client, a live server."""

from __future__ import annotations

import os

import pytest

# Every app built in this suite checks every Live Event it emits against the schemas.
os.environ["MOCKCANVAS_VALIDATE_EVENTS"] = "1"
# ... and compares every reset world with an untouched copy of its baseline (controls.py).
os.environ.setdefault("MOCKCANVAS_CHECK_RESET", "1")

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
