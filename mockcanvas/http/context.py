"""The RequestContext of the current Flask request, as Canvas's live-events context sees it."""

from __future__ import annotations

import hashlib

from flask import g, request

from ..ids import seeded_uuid
from ..instance import current_instance
from ..services.context import RequestContext
from .auth import current_user, request_token


def request_id() -> str:
    """This request's id, drawn once from the instance's seeded generator."""
    rid = g.get("mockcanvas_request_id")
    if rid is None:
        inst = current_instance()
        with inst.write_lock:
            rid = g.mockcanvas_request_id = seeded_uuid(inst.rng)
    return rid


def request_context() -> RequestContext:
    token = request_token()
    session = hashlib.sha256(token.encode()).hexdigest()[:32] if token else None
    return RequestContext(
        request_id=request_id(),
        user=current_user(),
        session_id=session,
        hostname=request.host.rsplit(":", 1)[0] if request.host else None,
        http_method=request.method,
        user_agent=request.user_agent.string or None,
        client_ip=request.remote_addr,
        url=request.url,
        referrer=request.referrer,
    )
