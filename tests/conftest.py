"""Shared fixtures: a seeded app per test, a schema-checking client, a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

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


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, object]]:
    """A real threaded HTTP server on a free loopback port, with its app."""
    app = create_app(seed=1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
