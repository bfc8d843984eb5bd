"""Slow clients (slowloris) against the waitress server, over real sockets on 127.0.0.1.

Hundreds of connections that never finish a request must neither lock out a client that sends
its request at once nor stay open past their deadline: a request head is due within
``header_timeout`` of the connection's accept (or of its previous answer), a body within
``body_timeout`` plus a second per 500 bytes that arrived. The server here has short deadlines
and, in most cases, a low connection limit, so every attack fills it.
"""

from __future__ import annotations

import http.client
import itertools
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.live_server import CONNECTION_LIMIT, LiveServer, fit_connection_limit

ATTACKERS = 300
# Generous waits: how long a normal request, or the closing of every attacker, may take.
ANSWER_WAIT = 20.0
CLOSE_WAIT = 60.0
TRICKLE_EVERY = 0.25  # seconds between two bytes of one trickler
HEAD = b"GET /api/v1/users/self HTTP/1.1\r\nHost: 127.0.0.1\r\n"
POST_HEAD = (
    b"POST /api/v1/users/self HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
)
FULL_REQUEST = b"GET /_mockcanvas/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _read_answer(sock: socket.socket) -> None:
    """Read one whole answer (with a Content-Length) off ``sock``."""
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    assert answer.status == 200
    answer.read()


# The attack shapes: (name, what a connection sends first, what it trickles, one byte at a time,
# forever; None: nothing more).
SLOW_CLIENTS = [
    ("trickled headers", HEAD, b"X-Slow: 1\r\n"),
    ("trickled body", POST_HEAD, b"{"),
    ("idle after connect", b"", None),
    ("half a head, then silence", b"GET /api/v1/users/self HT", None),
    ("idle keep-alive after one answer", FULL_REQUEST, None),
]


class Attack:
    """``count`` connections of one shape, fed by one thread until ``stop()``."""

    def __init__(self, port: int, count: int, first: bytes, trickle: bytes | None) -> None:
        self.sockets: list[socket.socket] = []
        self.closed: set[socket.socket] = set()
        self._stop = threading.Event()
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WAIT)
            self.sockets.append(sock)
            if first:
                sock.sendall(first)
            if first is FULL_REQUEST:
                _read_answer(sock)  # a keep-alive connection that has had its answer
        self._trickle = trickle
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        if self._trickle is None:
            return
        for byte in itertools.cycle(self._trickle):
            if self._stop.wait(TRICKLE_EVERY):
                return
            for sock in self.sockets:
                if sock in self.closed:
                    continue
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    self.closed.add(sock)  # the server closed it

    def wait_all_closed(self, within: float) -> int:
        """Read each connection to its end; returns how many are still open after ``within``."""
        deadline = time.monotonic() + within
        open_ = [sock for sock in self.sockets if sock not in self.closed]
        while open_ and time.monotonic() < deadline:
            readable, _, _ = select.select(open_, [], [], 0.5)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""  # reset: closed too
                if not data:
                    self.closed.add(sock)
                    open_.remove(sock)
        return len(open_)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.sockets:
            sock.close()


@contextmanager
def attacked(port: int, shape: tuple, count: int = ATTACKERS) -> Iterator[Attack]:
    _name, first, trickle = shape
    attack = Attack(port, count, first, trickle)
    try:
        yield attack
    finally:
        attack.stop()


@pytest.fixture(scope="module")
def app():
    return create_app(seed=1, size="small")


@pytest.fixture(scope="module")
def self_answer(app) -> Callable[[str], bytes]:
    """What ``GET /api/v1/users/self`` answers the admin in-process: the bytes to expect."""
    store = app.extensions["mockcanvas"].store
    token = store.token_for(store.landmarks["admin"])
    expected = app.test_client().get(
        "/api/v1/users/self", headers={"Authorization": f"Bearer {token}"}
    )
    assert expected.status_code == 200
    return token, expected.get_data()


def _normal_requests(url: str, token: str, expected: bytes) -> None:
    """Three requests on fresh connections, each answered in full within the generous wait."""
    for _ in range(3):
        answer = requests.get(
            url + "/api/v1/users/self",
            headers={"Authorization": f"Bearer {token}", "Connection": "close"},
            timeout=ANSWER_WAIT,
        )
        assert answer.status_code == 200
        assert answer.content == expected


@pytest.mark.parametrize("shape", SLOW_CLIENTS, ids=[shape[0] for shape in SLOW_CLIENTS])
def test_slow_clients_filling_the_limit_neither_lock_out_others_nor_stay(app, self_answer, shape):
    """300 slow connections against a limit of 100: a normal client is still answered, and every
    slow connection is closed once its deadline has passed."""
    token, expected = self_answer
    server = LiveServer(app, header_timeout=1.0, body_timeout=1.0, connection_limit=100).start()
    try:
        with attacked(server.port, shape) as attack:
            _normal_requests(server.url, token, expected)
            assert attack.wait_all_closed(CLOSE_WAIT) == 0
        _normal_requests(server.url, token, expected)
    finally:
        server.stop()


def test_the_default_limit_leaves_room_beside_300_tricklers(app, self_answer):
    """With the default limit, 300 tricklers leave room: answered while they are all open."""
    token, expected = self_answer
    server = LiveServer(app).start()
    try:
        assert server.connection_limit == fit_connection_limit(CONNECTION_LIMIT) > ATTACKERS
        with attacked(server.port, SLOW_CLIENTS[0]) as attack:
            _normal_requests(server.url, token, expected)
            assert not attack.closed  # the default deadline (30 s) is far off
    finally:
        server.stop()


def test_a_head_in_pieces_within_the_deadline_is_answered(app, self_answer):
    """The default deadlines are not noticed by a client that splits its request."""
    token, expected = self_answer
    with LiveServer(app) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=ANSWER_WAIT)
        with sock:
            pieces = [HEAD, f"Authorization: Bearer {token}\r\n".encode(), b"\r\n"]
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(0.2)
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            assert answer.status == 200
            assert answer.read() == expected
            assert answer.getheader("Server") == "mockcanvas"


def test_an_answer_slower_than_the_deadlines_keeps_its_keep_alive_connection(self_answer):
    """The deadlines are the client's: a request the app takes 1.5 s over (a latency fault)
    against 0.5 s deadlines is answered, and the same connection carries the next request."""
    token, expected = self_answer
    app = create_app(seed=1, size="small")
    with LiveServer(app, header_timeout=0.5, body_timeout=0.5) as server:
        fault = {"kind": "latency", "latency_ms": 1500, "path": "/api/v1/users/self", "count": 1}
        added = requests.post(server.url + "/_mockcanvas/faults", json=fault, timeout=ANSWER_WAIT)
        assert added.status_code == 201
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=ANSWER_WAIT)
        try:
            for _ in range(2):  # slow, then fast: one connection, kept alive
                connection.request(
                    "GET", "/api/v1/users/self", headers={"Authorization": f"Bearer {token}"}
                )
                answer = connection.getresponse()
                assert (answer.status, answer.read()) == (200, expected)
                assert answer.getheader("Connection", "").lower() != "close"
            assert connection.sock is not None  # never reconnected
        finally:
            connection.close()


def test_an_event_stream_outlives_the_header_deadline(app):
    """An SSE stream is an answer in progress: no deadline closes it, its keep-alives go on."""
    with LiveServer(app, header_timeout=0.5, body_timeout=0.5) as server:
        stream = requests.get(
            server.url + "/_mockcanvas/live_events/stream",
            params={"timeout": 30},
            headers={"Accept": "text/event-stream"},
            stream=True,
            timeout=ANSWER_WAIT,
        )
        with stream:
            assert stream.status_code == 200
            lines = stream.iter_lines(decode_unicode=True)
            comments = 0
            for line in lines:
                if line == ": keep-alive":
                    comments += 1
                    if comments == 4:  # one a second: alive well past 0.5 s
                        break
            assert comments == 4


@pytest.mark.parametrize(
    "options, message",
    [
        ({"header_timeout": 0}, "header_timeout must be more than 0 and at most 3600 seconds"),
        ({"body_timeout": float("nan")}, "body_timeout must be more than 0"),
        ({"header_timeout": 3601}, "header_timeout must be more than 0"),
        ({"connection_limit": 0}, "connection_limit must be at least 1"),
    ],
)
def test_live_server_refuses_impossible_deadlines_and_limits(app, options, message):
    with pytest.raises(ValueError, match=message):
        LiveServer(app, **options)


def test_werkzeug_closes_a_silent_connection_after_the_timeout(app, self_answer):
    """werkzeug's server has a thread per connection and no shared limit: a silent connection
    only holds its own thread, until the per-read timeout closes it."""
    token, expected = self_answer
    with LiveServer(app, kind="werkzeug", header_timeout=0.5, body_timeout=0.5) as server:
        assert server.connection_limit is None
        with attacked(server.port, SLOW_CLIENTS[2], count=20) as attack:
            _normal_requests(server.url, token, expected)
            assert attack.wait_all_closed(CLOSE_WAIT) == 0


def test_serve_takes_the_deadlines_and_the_limit_from_its_options(self_answer):
    """``serve --header-timeout 0.5 --connection-limit 20``: 60 silent connections are closed,
    and a normal request is answered beside them (serve's world is the fixture's: seed 1)."""
    from tests.support import serve_process

    token, expected = self_answer
    flags = ("--port", "0", "--header-timeout", "0.5", "--body-timeout", "0.5")
    with serve_process(*flags, "--connection-limit", "20") as process:
        url = process.stdout.readline().strip().split(" serving ")[1]
        port = int(url.rsplit(":", 1)[1])
        with attacked(port, SLOW_CLIENTS[2], count=60) as attack:
            _normal_requests(url, token, expected)
            assert attack.wait_all_closed(CLOSE_WAIT) == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=ANSWER_WAIT) == 0


# Each bad value of serve's slow-client options, and argparse's error for it (exit status 2).
BAD_SERVE_OPTIONS = [
    (["--header-timeout", "0"], "argument --header-timeout: must be more than 0 and at most 3600"),
    (["--header-timeout", "nan"], "argument --header-timeout: must be more than 0 and at most"),
    (["--body-timeout", "soon"], "argument --body-timeout: not a number of seconds: 'soon'"),
    (["--body-timeout", "3601"], "argument --body-timeout: must be more than 0 and at most 3600"),
    (["--connection-limit", "0"], "argument --connection-limit: must be from 1 to 1000000"),
    (["--connection-limit", "1.5"], "argument --connection-limit: not a whole number: '1.5'"),
]


@pytest.mark.parametrize("argv, message", BAD_SERVE_OPTIONS)
def test_serve_refuses_impossible_deadlines_and_limits(capsys, argv, message):
    from mockcanvas import cli

    with pytest.raises(SystemExit) as exited:
        cli._parser().parse_args(["serve", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_serve_defaults_are_the_live_servers():
    from mockcanvas import cli
    from mockcanvas.live_server import BODY_TIMEOUT, HEADER_TIMEOUT

    args = cli._parser().parse_args(["serve"])
    assert (args.header_timeout, args.body_timeout, args.connection_limit) == (
        HEADER_TIMEOUT,
        BODY_TIMEOUT,
        CONNECTION_LIMIT,
    )
    assert (HEADER_TIMEOUT, BODY_TIMEOUT, CONNECTION_LIMIT) == (30.0, 30.0, 1024)
