"""A real HTTP server for a mock Canvas on a free loopback port, for clients that need a socket.

The server holds one app at a time and may be given another while it runs: the pytest plugin keeps
one server (one port) per session and points it at the app each test asks for.

Two WSGI servers can carry it, both inside this process (a mock keeps its state in one process,
so pre-forking servers such as gunicorn could only run one worker, in a child process):

- ``waitress`` (the default): one I/O thread and a pool of worker threads; keeps connections
  alive. ``python -m benchmarks.http_throughput`` measured more answers per second from it than
  from werkzeug's server, most of all on small pages.
- ``werkzeug``: Werkzeug's development server, a new thread and connection per request (it
  answers ``Connection: close``).

Slow clients are held off (slowloris): on waitress a connection must deliver a whole request head
within ``header_timeout`` seconds of connecting or of the end of its previous answer (so idle
keep-alive connections count too), and a body may take ``body_timeout`` seconds plus one second
per ``BODY_MIN_RATE`` bytes received (Apache's ``mod_reqtimeout`` rule); past that the connection
is closed. The connection limit is raised (and the open-files limit with it) and, once reached,
makes room by closing the connections that have held a slot longest without a complete request
(idle keep-alives, tricklers, bodies slower than ``BODY_MIN_RATE``), so slow clients cannot lock
out a client that sends its request at once. werkzeug's server gets a
per-read socket timeout of the same length (one thread per connection, so no shared limit).
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# canvasapi's warning for http base URLs, which this server's is (on loopback, on purpose).
HTTP_URL_WARNING = "Canvas may respond unexpectedly when making requests to HTTP URLs"
SERVERS = ("waitress", "werkzeug")
DEFAULT_SERVER = "waitress"
# Worker threads of waitress: requests answered at once (more only add switching on 2 cores).
THREADS = 4
# Seconds a connection may take to deliver a complete request head, counted from its accept or
# from the end of its previous answer; long enough for any real client, short for a trickler.
HEADER_TIMEOUT = 30.0
# Seconds a request body may take, plus one more per BODY_MIN_RATE bytes that did arrive.
BODY_TIMEOUT = 30.0
BODY_MIN_RATE = 500
# Open connections at most (lowered to fit the open-files limit: a connection can use 3 files,
# its socket and, spooled, a request body and an answer).
CONNECTION_LIMIT = 1024
# Files kept free for everything else (sinks, journals, the app's own files).
_FILES_KEPT = 64
# Connections closed at once when the limit is reached, beyond the one a newcomer needs: an
# eighth of the limit, at least 16 (fewer rounds while a queue of newcomers waits to be accepted).
_EVICT_MIN = 16


class LiveServer:
    """A WSGI server (``kind``: waitress or werkzeug) on ``host`` (loopback) and a free port.

    ``header_timeout``, ``body_timeout`` and ``connection_limit`` hold off slow clients (see the
    module docs); the defaults go unnoticed by any client that sends its request at once, and
    tests of slow clients pass short ones. ``connection_limit`` is the limit in force (lowered to
    fit the open-files limit, whose soft limit this process raises as far as it needs and may),
    None on werkzeug."""

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        kind: str = DEFAULT_SERVER,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        connection_limit: int = CONNECTION_LIMIT,
    ) -> None:
        if kind not in SERVERS:
            raise ValueError(f"unknown server {kind!r}: choose one of {', '.join(SERVERS)}")
        for name, value in (("header_timeout", header_timeout), ("body_timeout", body_timeout)):
            if not 0 < value <= 3600:  # also refuses nan
                raise ValueError(f"{name} must be more than 0 and at most 3600 seconds")
        if connection_limit < 1:
            raise ValueError("connection_limit must be at least 1")
        self.app = app
        self.kind = kind
        self.host = host
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        if kind == "waitress":
            self.connection_limit: int | None = fit_connection_limit(connection_limit)
            self._server = _waitress(
                self._dispatch,
                host,
                port,
                app.config.get("MAX_CONTENT_LENGTH"),
                deadlines=_Deadlines(header_timeout, body_timeout),
                connection_limit=self.connection_limit,
            )
            self.port = int(self._server.effective_port)
        else:
            self.connection_limit = None  # a thread per connection, no shared limit
            self._server = _werkzeug(self._dispatch, host, port, max(header_timeout, body_timeout))
            self.port = self._server.server_port

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def serve_forever(self) -> None:
        """Answer requests in this thread until ``stop()`` is called (or KeyboardInterrupt)."""
        try:
            if self.kind == "waitress":
                from waitress import wasyncore

                # waitress's own run() would catch KeyboardInterrupt and wait 5 s for its
                # workers; the caller's stop() bounds that wait instead. The loop returns once
                # stop() has closed every socket it watches.
                adj = self._server.adj
                wasyncore.loop(adj.asyncore_loop_timeout, adj.asyncore_use_poll, self._server._map)
            else:
                self._server.serve_forever(poll_interval=0.1)
        finally:
            self._stopped.set()

    def start(self) -> LiveServer:
        """Answer requests in a background (daemon) thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever, name=f"mockcanvas-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> int:
        """Stop taking requests, give those in flight up to ``timeout`` seconds, and close the
        sockets. Returns how many requests were still running then (waitress; werkzeug's
        threads finish on their own): they are abandoned, their answers never sent."""
        from .http.inspector import stop_streams

        stop_streams(self.app)  # an open event stream would hold its worker until it times out
        abandoned = 0
        if self.kind == "waitress":
            # Stop accepting, let the workers finish (each pulls the loop's trigger when it is
            # done with a channel), and only then close every channel from inside the loop: a
            # worker pulling a trigger the loop had already closed died of EBADF.
            self._in_loop(self._stop_accepting)
            dispatcher = self._server.task_dispatcher
            dispatcher.shutdown(timeout=timeout)
            abandoned = len(dispatcher.threads)  # stuck: daemon threads, left behind
            self._in_loop(self._close_waitress)
        else:
            if self._thread is not None:
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        return abandoned

    def _in_loop(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the I/O loop's thread, or here when the loop is not running."""
        if self._thread is not None and not self._stopped.is_set():
            try:
                self._server.trigger.pull_trigger(action)
                return
            except OSError:
                pass  # the loop closed its trigger already (an earlier stop)
        if not self._stopped.is_set():
            action()

    def _stop_accepting(self) -> None:
        from waitress import wasyncore

        # The listening socket only: waitress's own close() also closes the loop's trigger.
        wasyncore.dispatcher.close(self._server)

    def _close_waitress(self) -> None:
        from waitress import wasyncore

        wasyncore.close_all(self._server._map)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fit_connection_limit(wanted: int) -> int:
    """``wanted``, lowered to what the open-files limit allows after raising its soft limit as far
    as the hard one (a process may), at 3 files per connection; never below 1."""
    try:
        import resource
    except ImportError:  # not a Unix: leave the limit as asked
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 3 * wanted + _FILES_KEPT
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the soft limit; the connection limit shrinks to fit it
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - _FILES_KEPT) // 3))


class _Deadlines:
    """How long a connection may take over a request head and a body (see the module docs)."""

    def __init__(self, header_timeout: float, body_timeout: float) -> None:
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout

    def overdue(self, channel, now: float) -> bool:
        """Whether ``channel`` (a ``_Channel``) has let its head or body deadline pass."""
        if _busy(channel):
            return False  # being answered, or its answer is still going out: not its fault
        request = channel.request
        if request is None or not request.headers_finished:
            return now - channel.head_since > self.header_timeout
        allowed = self.body_timeout + channel.body_bytes / BODY_MIN_RATE
        return now - channel.body_since > allowed

    def waited(self, channel, now: float) -> float | None:
        """How long ``channel`` has kept a slot without earning it, for closing the longest
        waiting first at the limit; None if it may not be closed early: it is being answered,
        is younger than a grace period (a newcomer's request may be unread yet), or is sending
        its body at ``BODY_MIN_RATE`` or faster."""
        if _busy(channel):
            return None
        grace = min(1.0, self.header_timeout / 2)
        request = channel.request
        if request is None or not request.headers_finished:
            waited = now - channel.head_since
        else:
            waited = now - channel.body_since
            if channel.body_bytes >= waited * BODY_MIN_RATE:
                return None
        return waited if waited >= grace else None


def _busy(channel) -> bool:
    return bool(
        channel.requests or channel.serving or channel.total_outbufs_len or channel.will_close
    )


def _quiet_limit(record: logging.LogRecord) -> bool:
    return "the connection limit" not in record.getMessage()


@functools.cache
def _waitress_server_class():
    """waitress's channel and server, with the deadlines and the room-making limit added."""
    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer

    class _Channel(HTTPChannel):
        """A connection that remembers when its current request head and body became due."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.head_since = self.creation_time
            self.body_since = self.creation_time
            self.body_bytes = 0
            self._body_of: object = None  # the request whose body is being timed
            self.serving = False  # a worker is answering (its request may be off the list)

        def received(self, data):
            done = super().received(data)
            request = self.request  # the request still being read, if any
            if request is not None and request.headers_finished:
                if self._body_of is not request:
                    self._body_of = request
                    self.body_since = time.time()
                    self.body_bytes = 0
                else:
                    self.body_bytes += len(data)
            return done

        def service(self):
            self.serving = True
            try:
                super().service()
            finally:
                self.head_since = time.time()  # the next head is due from the end of this answer
                self.serving = False

    class _Server(TcpWSGIServer):
        """Closes overdue connections in its maintenance, and makes room at the limit."""

        channel_class = _Channel
        deadlines: _Deadlines
        # types-waitress declares active_channels as one HTTPChannel (it is a dict of them) and
        # omits wasyncore's _map (the dict of open sockets)
        active_channels: dict[int, Any]  # type: ignore[assignment]
        _map: dict[int, Any]

        def maintenance(self, now):
            super().maintenance(now)  # waitress's own idle timeout (channel_timeout)
            for channel in list(self.active_channels.values()):
                if self.deadlines.overdue(channel, now):
                    channel.will_close = True

        def readable(self):
            if self.accepting and len(self._map) >= self.adj.connection_limit:
                self._make_room()
            return super().readable()

        def _make_room(self) -> None:
            """Close the connections that have kept a slot longest without sending a request
            (idle keep-alives, tricklers, stalled bodies), so a newcomer gets in next turn."""
            channels = list(self.active_channels.values())
            closing = sum(1 for channel in channels if channel.will_close)
            limit = self.adj.connection_limit
            batch = max(_EVICT_MIN, limit // 8)
            wanted = len(self._map) - limit + 1 + batch - closing
            if wanted <= 0:
                return
            now = time.time()
            waiting = []
            for channel in channels:
                waited = self.deadlines.waited(channel, now)
                if waited is not None:
                    waiting.append((waited, channel))
            waiting.sort(key=lambda pair: pair[0], reverse=True)
            for _, channel in waiting[:wanted]:
                channel.will_close = True

    return _Server


def _waitress(
    app: Callable,
    host: str,
    port: int,
    max_body: int | None = None,
    *,
    deadlines: _Deadlines,
    connection_limit: int,
):
    """waitress reads a whole body (de-chunking it) before the app sees it, up to its own limit
    (1 GiB by default), past which it answers a plain-text 413 itself. With the app capped at
    ``max_body``, waitress stops reading at twice that: a body just over the cap still gets the
    app's Canvas-shaped 413, and a runaway one costs at most 2x the cap in spooled bytes.

    Built as waitress's ``create_server`` builds a server for one given socket, with our
    subclass; ``poll()`` rather than ``select()``, which fails past file number 1024."""
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    # "Task queue depth is N" on every request beyond the worker count: normal under load here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # Reaching the connection limit and leaving it: every turn while slow clients are evicted.
    waitress_log = logging.getLogger("waitress")
    if _quiet_limit not in waitress_log.filters:
        waitress_log.addFilter(_quiet_limit)

    # One socket of our own: given a host name, waitress would listen on each of its addresses
    # (127.0.0.1 and ::1 for localhost), each with its own free port.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    adj = Adjustments(
        sockets=[sock],
        threads=THREADS,
        ident="mockcanvas",  # the Server header
        clear_untrusted_proxy_headers=True,
        connection_limit=connection_limit,
        asyncore_use_poll=True,
        **({"max_request_body_size": 2 * max_body} if max_body else {}),
    )
    # Look for overdue connections often enough to close them near their deadline (waitress
    # checks at most once per turn of its loop, which wakes at least once a second).
    shortest = min(deadlines.header_timeout, deadlines.body_timeout)
    # seconds, a float at run time (types-waitress says int)
    adj.cleanup_interval = min(adj.cleanup_interval, shortest / 4)  # type: ignore[assignment]
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = _waitress_server_class()(
        app,
        {},
        True,
        sock,
        dispatcher=dispatcher,
        adj=adj,
        bind_socket=False,
        sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
    )
    server.deadlines = deadlines  # read by the loop only, which starts later
    return server


def _werkzeug(app: Callable, host: str, port: int, timeout: float):
    from werkzeug.serving import WSGIRequestHandler, make_server  # only when serving

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # no access log line per request (errors are still logged)

    QuietHandler.timeout = timeout  # each socket read or write; a trickler only holds its thread

    return make_server(host, port, app, threaded=True, request_handler=QuietHandler)


@contextmanager
def serve(app: Flask, host: str = "127.0.0.1", port: int = 0, **options) -> Iterator[str]:
    """Serve ``app`` for the duration of the block; yields the base URL."""
    with LiveServer(app, host, port, **options) as server:
        yield server.url
