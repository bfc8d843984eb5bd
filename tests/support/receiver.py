"""A real webhook receiver for the delivery tests: a threaded HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAIT = 15  # seconds any wait may take before the test fails; never reached when things work


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    answered: int | None  # the status sent back; None when the connection was dropped
    held_until_released: bool | None = None


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records POSTs and answers from a script.

    Script steps, one per request (then 200s): an int status; ``"close"`` (drop the connection
    before reading the body); ``("hold", event, seconds)`` (wait for the event, then answer 200).
    """

    def __init__(self, *script, port: int = 0) -> None:
        self.script = deque(script)
        self.requests: list[Received] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the webhook sink uses it

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                with receiver.changed:
                    step = receiver.script.popleft() if receiver.script else 200
                headers = dict(self.headers.items())
                if step == "close":
                    self.close_connection = True
                    receiver._record(Received(self.path, headers, b"", None))
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                held = None
                if isinstance(step, tuple):
                    _, event, seconds = step
                    held = event.wait(seconds)
                    step = 200
                receiver._record(Received(self.path, headers, body, step, held))
                try:
                    self.send_response(step)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender timed out and went away
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/canvas"

    def _record(self, received: Received) -> None:
        with self.changed:
            self.requests.append(received)
            self.changed.notify_all()

    def wait_for(self, n: int, timeout: float = WAIT) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.requests) >= n, timeout)

    def delivered(self) -> list[Received]:
        with self.changed:
            return [r for r in self.requests if r.answered == 200]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
