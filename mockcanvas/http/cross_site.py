"""Keeping web pages out of the control API: a Host check and a JSON-only rule for changes.

A page on another site can make a browser send "simple" requests (GET; POST with ``text/plain``,
form-encoded or no body) to ``127.0.0.1`` without asking the server first; anything else (the
``application/json`` type, a custom header) needs a CORS preflight, which this server never grants
(``OPTIONS`` is a 404). So every state-changing control request must be JSON, or, without a body,
carry ``X-Mockcanvas-Request``; otherwise it is 415 and nothing changes.

A DNS-rebinding page reaches the server under its own host name, so reads are guarded by the
``Host`` header: control routes answer only loopback names (``localhost``, ``*.localhost``), IP
literals (a rebinding attack needs a DNS name), and the names the server was told about
(``create_app(allowed_hosts=...)``, ``serve --allowed-host``; ``*`` allows any). Canvas routes
answer any host: they need a Canvas access token, which a page on another site does not have.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import Request, Response

from ..presenters import errors as bodies
from .responses import canvas_json

REQUEST_HEADER = "X-Mockcanvas-Request"
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY_HOST = "*"
_SHOWN = 100  # characters of a refused Host quoted back


def host_name(host: str) -> str:
    """The name in a ``Host`` value: no port, no brackets, lowercase, no trailing dot."""
    host = host.strip()
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else host[1:]
    else:
        name, colon, port = host.rpartition(":")
        if not colon or not port.isdigit():  # no port (or not one): the whole value is the name
            name = host
    return name.lower().rstrip(".")


def normalize_hosts(names: Iterable[str] | None) -> frozenset[str]:
    """``allowed_hosts`` as the check compares them; raises ValueError for a non-name."""
    if names is None:
        return frozenset()
    if isinstance(names, str):
        raise ValueError("allowed_hosts must be a list of host names, not one string")
    found = set()
    for name in names:
        if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name.strip()):
            raise ValueError(f"an allowed host must be a host name or *, not {name!r}")
        found.add(ANY_HOST if name.strip() == ANY_HOST else host_name(name))
    return frozenset(found)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str, allowed: frozenset[str] | set[str]) -> bool:
    """Whether a control route may answer a request that says it is for ``host``."""
    if ANY_HOST in allowed:
        return True
    name = host_name(host)
    if not name:
        return False
    return name == "localhost" or name.endswith(".localhost") or _is_ip(name) or name in allowed


def refuse_host(host: str) -> Response:
    name = host_name(host)
    shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "..."
    return canvas_json(
        bodies.message(
            f"the control API does not answer for host {shown!r}: only loopback names, IP "
            "addresses and the allowed hosts do, so that a web page cannot reach it through a "
            "DNS name of its own (DNS rebinding). To allow this name, start the server with "
            "--allowed-host NAME (create_app(allowed_hosts=[...]); * allows any)"
        ),
        403,
    )


def _bodyless(request: Request) -> bool:
    return not request.content_length and "Transfer-Encoding" not in request.headers


def change_allowed(request: Request) -> bool:
    """A state-changing control request is JSON, or has no body and the custom header."""
    if request.method not in CHANGING:
        return True
    if request.mimetype == "application/json":
        return True
    return bool(request.headers.get(REQUEST_HEADER, "").strip()) and _bodyless(request)


CHANGE_REFUSED = (
    "a control request that changes something must send Content-Type: application/json "
    f"(without a body, the header {REQUEST_HEADER}: 1 will do): a web page on another "
    "site cannot send either without a CORS preflight, which this server never grants, "
    "so it cannot drive the control API. Nothing was changed."
)


def refuse_change() -> Response:
    return canvas_json(bodies.message(CHANGE_REFUSED), 415)
