"""Serve ``requests`` calls to a Canvas base URL from an app in this process, with no socket.

A ``responses.RequestsMock`` answers every method under the base URL by handing the request's
method, path, query, headers and body to the WSGI app and returning its status, headers and body.
Loopback URLs (127.0.0.1, localhost, [::1]) pass through to the network, so a live mock server or a
webhook receiver on this machine still works; any other host is refused with
``requests.ConnectionError``, as ``responses`` refuses what it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # both are imported when routing starts, not with the pytest plugin
    import responses
    from flask import Flask

DEFAULT_BASE_URL = "https://canvas.test"  # https: canvasapi warns about http; .test is reserved
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
LOOPBACK = re.compile(r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?([/?#]|$)", re.IGNORECASE)
# Computed by the server from the body it is given; a copy from the client would be a duplicate.
_DROPPED_HEADERS = frozenset({"content-length", "host"})


_SPACE = re.compile(r"\s")


def normalize_base_url(base_url: str) -> str:
    """``scheme://host[:port]`` in the form ``requests`` sends (lowercase, no default port).

    Raises ValueError for anything else: the app serves Canvas at the root of its host.
    """
    parts = urlsplit(base_url.strip())
    # A host with spaces ("http:// ") would not survive normalizing twice, nor reach any server.
    if parts.scheme not in ("http", "https") or not parts.hostname or _SPACE.search(parts.hostname):
        raise ValueError(f"base URL must be http(s)://host[:port], not {base_url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"base URL must be http(s)://host[:port] without a path: {base_url!r}")
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    default = 443 if parts.scheme == "https" else 80
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"


def allow_base_url(app: Flask, base_url: str) -> None:
    """Let ``app``'s control API answer for ``base_url``'s host (its Host check refuses names it
    was not told about): the in-process routings serve their own base URL."""
    from .controls import controls
    from .http.cross_site import host_name
    from .instance import EXTENSION_KEY

    inst = app.extensions[EXTENSION_KEY]
    controls(inst).allowed_hosts.add(host_name(urlsplit(base_url).netloc))


def _body(body: str | bytes | bytearray | Iterable[str | bytes] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


def wsgi_callback(app: Flask):
    """A ``responses`` callback that answers a PreparedRequest from ``app``."""
    client = app.test_client(use_cookies=False)  # cookies are the caller's session's business

    def answer(request):
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROPPED_HEADERS]
        reply = client.open(
            request.url, method=request.method, headers=headers, data=_body(request.body)
        )
        try:
            return reply.status_code, reply.headers.to_wsgi_list(), reply.get_data()
        finally:
            reply.close()

    return answer


@contextmanager
def route_requests(
    app: Flask, base_url: str, *, passthru: tuple[str | re.Pattern, ...] = (LOOPBACK,)
) -> Iterator[responses.RequestsMock]:
    """While active, ``requests`` to ``base_url`` are answered by ``app``; yields the mock, to
    which a test may add its own responses for other hosts."""
    import responses

    base = normalize_base_url(base_url)
    allow_base_url(app, base)
    pattern = re.compile(re.escape(base) + r"([/?#]|$)", re.IGNORECASE)
    # responses matches compiled patterns too (as add_passthru documents); __init__ says str
    mock = responses.RequestsMock(
        assert_all_requests_are_fired=False,
        passthru_prefixes=passthru,  # type: ignore[arg-type]
    )
    callback = wsgi_callback(app)
    for method in METHODS:
        mock.add_callback(method, pattern, callback, content_type=None)
    with mock:
        yield mock
