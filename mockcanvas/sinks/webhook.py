"""HTTPS (or HTTP) webhooks: one POST per event, plain JSON or a signed JWT.

Unsigned, the body is the event JSON (``Content-Type: application/json``). Signed, the body is an
RS256 JWT (``Content-Type: application/jwt``) whose header carries the ``kid`` and whose claims are
the event payload's top-level members (``metadata`` and ``body``, or the Caliper envelope's) plus
``jti`` (the event id) and ``iat`` (wall-clock seconds: the mock's clock may be frozen in the
future, which JWT libraries reject). Canvas's exact claim names are UNVERIFIED.

Every attempt carries ``X-Mockcanvas-Event-Id`` (the same on retries and redeliveries: deduplicate
on it) and ``X-Mockcanvas-Delivery-Attempt``. One connection is kept alive per subscription (a new
TCP connection per event capped delivery near 800 events/s), one per delivery worker (see
``DeliveryPolicy.concurrency``); it is dropped after any failure and
whenever the receiver closes it, and an idle connection the receiver has closed is noticed before
it is reused, so a stale socket never costs an attempt. Redirects are not followed: the mock only
ever talks to the URL the user configured. 2xx is delivered (the status line and headers are the
receipt: a body cut short after them does not undo it); connection errors, timeouts, 5xx, 408 and
429 are retried (honouring ``Retry-After`` seconds up to the backoff cap); any other status is
final.
"""

from __future__ import annotations

import http.client
import re
import select
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from ..events import LiveEvent
from ..jsonenc import dumps
from .outbox import DeliveryError, Outbox
from .signing import KeyRing

RETRYABLE_STATUSES = frozenset({408, 429})
EVENT_ID_HEADER = "X-Mockcanvas-Event-Id"
ATTEMPT_HEADER = "X-Mockcanvas-Delivery-Attempt"
_MAX_RESPONSE_BYTES = 64 * 1024


_PRINTABLE_ASCII = re.compile(r"[!-~]+\Z")


def check_url(url: str) -> str:
    """The URL if a webhook may be sent to it, else ValueError saying why."""
    if not _PRINTABLE_ASCII.match(url):
        # http.client refuses spaces, controls and non-ASCII in a request line: such a URL could
        # never be delivered to, so it is refused now rather than dead-lettering every event.
        raise ValueError("url must be printable ASCII without spaces (percent-encode the rest)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("url must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("url must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("url must not hold credentials")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError("url has an invalid port") from None
    return url


def claims(message: dict, event: LiveEvent) -> dict:
    """What a signed delivery's JWT holds: the message, plus ``jti`` and ``iat``."""
    return {**message, "jti": event.id, "iat": int(time.time())}


def _retry_after(response: http.client.HTTPResponse) -> float | None:
    value = response.getheader("Retry-After")
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


class WebhookSink(Outbox):
    """POSTs each event to one URL; signs it with ``keys`` when given."""

    kind = "webhook"

    def __init__(self, url: str, *, keys: KeyRing | None = None, **outbox) -> None:
        self.url = check_url(url)
        self.keys = keys
        # Signing costs about a millisecond: do it on a second thread while the worker waits on
        # the receiver, which nearly doubles signed throughput.
        self.encodes_ahead = keys is not None
        self.takes_wire = keys is None  # the JSON body, made once when the event was queued
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._local = threading.local()  # each worker's connection, kept alive between events
        self._opened: list[http.client.HTTPConnection] = []  # every one, to close at the end
        self._opened_lock = threading.Lock()
        super().__init__(**outbox)

    @property
    def signed(self) -> bool:
        return self.keys is not None

    def _connection(self) -> http.client.HTTPConnection:
        timeout = self.policy.timeout
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _reusable(self) -> http.client.HTTPConnection:
        """This worker's kept-alive connection, or a new one if there is none or the receiver
        closed it."""
        connection = getattr(self._local, "open", None)
        if connection is not None and connection.sock is not None:
            # An idle keep-alive socket that is readable has been closed (or written to) by the
            # other side: sending on it would fail or read a stray answer.
            readable, _, _ = select.select([connection.sock], [], [], 0)
            if not readable:
                return connection
        self._drop()
        connection = self._local.open = self._connection()
        with self._opened_lock:
            self._opened.append(connection)
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "open", None)
        if connection is not None:
            connection.close()
            self._local.open = None
            with self._opened_lock:
                self._opened.remove(connection)

    def encode(self, message: dict, event: LiveEvent) -> bytes:
        assert self.keys is not None
        return self.keys.sign(claims(message, event)).encode("ascii")

    def send(
        self, message: dict, event: LiveEvent, attempt: int, encoded: Any = None
    ) -> int | None:
        # encoded: the signed JWT's bytes when signing (encode), else the JSON text (takes_wire)
        if self.keys is not None:
            body = encoded if encoded is not None else self.encode(message, event)
            content_type = "application/jwt"
        else:
            body = (encoded if encoded is not None else dumps(message)).encode("utf-8")
            content_type = "application/json"
        headers = {
            "Content-Type": content_type,
            "User-Agent": f"mockcanvas/{__version__}",
            EVENT_ID_HEADER: event.id,
            ATTEMPT_HEADER: str(attempt),
        }
        connection = self._reusable()
        kept = False
        try:
            connection.request("POST", self._target, body=body, headers=headers)
            response = connection.getresponse()
            status = response.status
            try:
                response.read(_MAX_RESPONSE_BYTES)
                # Reuse only a connection whose answer was read to the end and not marked to close.
                kept = response.isclosed() and not response.will_close
            except (http.client.HTTPException, OSError):
                # The status line and headers are the receipt: a body cut short or stalled after
                # them costs the connection, not the verdict (a retry would deliver it twice).
                kept = False
            if not response.isclosed():
                response.close()
            if 200 <= status < 300:
                return status
            kept = False  # after a refusal, start the next attempt on a fresh connection
            raise DeliveryError(
                f"HTTP {status} {response.reason}".strip(),
                status=status,
                retryable=status >= 500 or status in RETRYABLE_STATUSES,
                retry_after=_retry_after(response),
            )
        except TimeoutError:
            raise DeliveryError(f"timed out after {self.policy.timeout:g} s") from None
        finally:
            if not kept:
                self._drop()

    def release(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
