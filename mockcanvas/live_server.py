"""A real HTTP server for a mock Canvas on a free loopback port, for clients that need a socket.

The server holds one app at a time and may be given another while it runs: the pytest plugin keeps
one server (one port) per session and points it at the app each test asks for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# canvasapi's warning for http base URLs, which this server's is (on loopback, on purpose).
HTTP_URL_WARNING = "Canvas may respond unexpectedly when making requests to HTTP URLs"


class LiveServer:
    """A threaded WSGI server on ``host`` (loopback by default) and a free port."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server  # only when serving

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # no access log line per request (errors are still logged)

        self.app = app
        self._server = make_server(
            host, port, self._dispatch, threaded=True, request_handler=QuietHandler
        )
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = self._server.server_port

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def start(self) -> LiveServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"mockcanvas-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking requests and close the socket (requests in flight finish on their own)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(app: Flask, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` for the duration of the block; yields the base URL."""
    with LiveServer(app, host, port) as server:
        yield server.url
