"""Both WSGI servers a mock can run on, over real HTTP on 127.0.0.1, and ``serve``'s choice.

The audit page must be the same bytes whichever server carries it, and the same as the app gives
in-process; waitress keeps the connection open between requests, werkzeug's server closes it.
"""

from __future__ import annotations

import http.client
import signal

import pytest

from mockcanvas import create_app
from mockcanvas.live_server import DEFAULT_SERVER, SERVERS, LiveServer
from tests.support import serve_process

PAGE = "/api/v1/audit/grade_change/courses/{course}?per_page=100"


@pytest.fixture(scope="module")
def app():
    return create_app(seed=1, size="small")


def _get(connection: http.client.HTTPConnection, path: str, token: str):
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    answer = connection.getresponse()
    return answer, answer.read()


@pytest.mark.parametrize("kind", SERVERS)
def test_each_server_answers_the_in_process_bytes(app, kind):
    store = app.extensions["mockcanvas"].store
    token = store.token_for(store.landmarks["admin"])
    path = PAGE.format(course=store.landmarks["override_course"])
    with LiveServer(app, kind=kind) as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        expected = app.test_client().get(
            path, headers={"Authorization": f"Bearer {token}"}, base_url=server.url
        )
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            first, body = _get(connection, path, token)
            assert first.status == 200
            assert body == expected.get_data()
            assert first.getheader("Content-Type") == "application/json; charset=utf-8"
            assert first.getheader("Link") == expected.headers["Link"]
            assert int(first.getheader("Content-Length")) == len(body)
            closes = first.getheader("Connection", "").lower() == "close"
            assert closes == (kind == "werkzeug")
            second, again = _get(connection, path, token)  # reconnects if the server closed
            assert second.status == 200 and again == body
            missing, error = _get(connection, "/api/v1/nothing/here", token)
            assert missing.status == 404
            assert error == b'{"errors":[{"message":"The specified resource does not exist."}]}'
        finally:
            connection.close()
    with pytest.raises(OSError):  # stopped: the port no longer answers
        http.client.HTTPConnection("127.0.0.1", server.port, timeout=2).request("GET", "/")


def test_an_unknown_server_kind_is_refused(app):
    with pytest.raises(ValueError, match="unknown server 'tornado'"):
        LiveServer(app, kind="tornado")


def test_a_server_can_be_stopped_without_being_started(app):
    for kind in SERVERS:
        server = LiveServer(app, kind=kind)
        port = server.port
        server.stop()
        with pytest.raises(OSError):
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")


@pytest.mark.parametrize("kind", SERVERS)
def test_serve_prints_its_port_and_stops_on_sigterm(kind):
    """``mockcanvas serve --server KIND --port 0``: the chosen port on stdout, SIGTERM exits 0."""
    with serve_process("--port", "0", "--server", kind) as process:
        banner = process.stdout.readline().strip()
        assert " serving http://127.0.0.1:" in banner, banner
        port = int(banner.rsplit(":", 1)[1])
        token = process.stdout.readline().strip().removeprefix("admin token: ")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        answer, body = _get(connection, "/api/v1/audit/grade_change/courses/1", token)
        connection.close()
        assert answer.status == 200 and body.startswith(b'{"links":{"events.assignment":')
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_serve_runs_the_default_server():
    from mockcanvas import cli

    args = cli._parser().parse_args(["serve"])
    assert args.server == DEFAULT_SERVER == "waitress"
