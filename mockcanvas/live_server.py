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
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# canvasapi's warning for http base URLs, which this server's is (on loopback, on purpose).
HTTP_URL_WARNING = "Canvas may respond unexpectedly when making requests to HTTP URLs"
SERVERS = ("waitress", "werkzeug")
DEFAULT_SERVER = "waitress"
# Worker threads of waitress: requests answered at once (more only add switching on 2 cores).
THREADS = 4


class LiveServer:
    """A WSGI server (``kind``: waitress or werkzeug) on ``host`` (loopback) and a free port."""

    def __init__(
        self, app: Flask, host: str = "127.0.0.1", port: int = 0, *, kind: str = DEFAULT_SERVER
    ) -> None:
        if kind not in SERVERS:
            raise ValueError(f"unknown server {kind!r}: choose one of {', '.join(SERVERS)}")
        self.app = app
        self.kind = kind
        self.host = host
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        if kind == "waitress":
            self._server = _waitress(
                self._dispatch, host, port, app.config.get("MAX_CONTENT_LENGTH")
            )
            self.port = int(self._server.effective_port)
        else:
            self._server = _werkzeug(self._dispatch, host, port)
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
                self._server.run()  # returns once stop() has closed every socket it watches
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

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking requests and close the sockets (requests in flight finish on their own)."""
        from .http.inspector import stop_streams

        stop_streams(self.app)  # an open event stream would hold its worker until it times out
        if self.kind == "waitress":
            # Stop accepting, let the workers finish (each pulls the loop's trigger when it is
            # done with a channel), and only then close every channel from inside the loop: a
            # worker pulling a trigger the loop had already closed died of EBADF.
            self._in_loop(self._stop_accepting)
            self._server.task_dispatcher.shutdown(timeout=timeout)
            self._in_loop(self._close_waitress)
        else:
            if self._thread is not None:
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

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


def _waitress(app: Callable, host: str, port: int, max_body: int | None = None):
    """waitress reads a whole body (de-chunking it) before the app sees it, up to its own limit
    (1 GiB by default), past which it answers a plain-text 413 itself. With the app capped at
    ``max_body``, waitress stops reading at twice that: a body just over the cap still gets the
    app's Canvas-shaped 413, and a runaway one costs at most 2x the cap in spooled bytes."""
    from waitress.server import create_server  # only when serving

    # "Task queue depth is N" on every request beyond the worker count: normal under load here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

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
    return create_server(
        app,
        sockets=[sock],
        threads=THREADS,
        ident="mockcanvas",  # the Server header
        clear_untrusted_proxy_headers=True,
        **({"max_request_body_size": 2 * max_body} if max_body else {}),
    )


def _werkzeug(app: Callable, host: str, port: int):
    from werkzeug.serving import WSGIRequestHandler, make_server  # only when serving

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # no access log line per request (errors are still logged)

    return make_server(host, port, app, threaded=True, request_handler=QuietHandler)


@contextmanager
def serve(app: Flask, host: str = "127.0.0.1", port: int = 0, **options) -> Iterator[str]:
    """Serve ``app`` for the duration of the block; yields the base URL."""
    with LiveServer(app, host, port, **options) as server:
        yield server.url
