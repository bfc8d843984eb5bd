"""Hooks around every request: the control token guard, Canvas's throttle, faults, the journal.

Canvas routes pass, in order: the throttle (reserve the up-front cost; refuse when the bucket is
full and throttling is on), then the faults (pause; perhaps answer instead of the app). After the
answer the throttle charges the request and adds Canvas's ``X-Request-Cost`` and
``X-Rate-Limit-Remaining`` headers. Control routes (``/_mockcanvas/...``) are never throttled or
faulted and carry no throttle headers; they answer only for allowed hosts, take changes only as
JSON (``cross_site.py``), and with a control token set they need it. Every request, of either
kind, goes into the journal.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from flask import Flask, Response, g, request
from werkzeug.http import HTTP_STATUS_CODES

from ..controls import Controls, controls
from ..instance import current_instance
from ..presenters import errors as bodies
from ..services.faults import Fault
from ..services.journal import redact_query
from ..services.throttle import (
    RATE_LIMITED_BODY,
    RATE_LIMITED_CONTENT_TYPE,
    Reservation,
    ruby_float,
)
from ..state import iso_instant
from .auth import request_token
from .cross_site import change_allowed, host_allowed, refuse_change, refuse_host
from .inspector import is_public as inspector_page
from .openapi import is_public
from .responses import canvas_json

CONTROL_PREFIX = "/_mockcanvas"
CONTROL_TOKEN_HEADER = "X-Mockcanvas-Token"
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def install(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)


def rate_limited() -> Response:
    """Canvas's throttled answer (RequestThrottle#rate_limit_exceeded)."""
    return Response(
        RATE_LIMITED_BODY,
        status=403,
        content_type=RATE_LIMITED_CONTENT_TYPE,
        headers={"X-Rate-Limit-Remaining": "0.0"},
    )


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def fault_answer(fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        return rate_limited()
    assert fault.status is not None
    body = fault.body
    if body is None:
        body = (
            bodies.not_found()
            if fault.status == 404
            else bodies.generic(_snake(HTTP_STATUS_CODES.get(fault.status, "error")))
        )
    return canvas_json(body, fault.status, fault.headers)


# -- before ------------------------------------------------------------------------------------


def _before() -> Response | None:
    inst = current_instance()
    ctl = controls(inst)
    g.mockcanvas_started = time.perf_counter()
    g.mockcanvas_arrived = inst.clock.now()
    if is_control_path(request.path):
        if not host_allowed(request.host, ctl.allowed_hosts):
            return refuse_host(request.host)
        if (refused := _guard(ctl)) is not None:
            return refused
        # An unknown route or method stays a 404/405 (nothing runs, nothing changes).
        if request.routing_exception is None and not change_allowed(request):
            return refuse_change()
        return None
    token = request_token()
    client = _client(token)
    if client is not None:
        user = inst.store.user_for_token(token) if token else None
        reservation = ctl.throttle.begin(client, user.id if user else None)
        g.mockcanvas_reservation = reservation
        if reservation.throttled:
            g.mockcanvas_throttled = True
            return rate_limited()
    decision = ctl.faults.decide(request.method, request.path)
    if decision.latency_ms > 0:
        time.sleep(decision.latency_ms / 1000)
        if client is not None:
            ctl.throttle.restart_timer(g.mockcanvas_reservation)
    if decision.answer is not None:
        g.mockcanvas_fault = decision.answer
        return fault_answer(decision.answer)
    return None


def _client(token: str | None) -> str | None:
    """Canvas's client identifier: the access token (hashed), else the caller's address."""
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    if request.remote_addr:
        return f"ip:{request.remote_addr}"
    return None


def _guard(ctl: Controls) -> Response | None:
    expected = ctl.control_token
    # The contract documents and the inspector page's files hold no data.
    if expected is None or is_public(request.path) or inspector_page(request.path):
        return None
    sent = request.headers.get(CONTROL_TOKEN_HEADER)
    if not sent:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        sent = value.strip() if scheme.lower() == "bearer" else None
    if not sent:
        return canvas_json(bodies.unauthenticated(), 401, WWW_AUTHENTICATE)
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return canvas_json(bodies.invalid_access_token(), 401, WWW_AUTHENTICATE)
    return None


# -- after -------------------------------------------------------------------------------------


def _after(response: Response) -> Response:
    inst = current_instance()
    ctl = controls(inst)
    reservation: Reservation | None = g.get("mockcanvas_reservation")
    fault: Fault | None = g.get("mockcanvas_fault")
    throttled = bool(g.get("mockcanvas_throttled"))
    refused = throttled or (fault is not None and fault.kind == "rate_limit")
    if reservation is not None and not reservation.finished:
        ctl.throttle.end(reservation, answered=not refused)
        if not refused:
            response.headers["X-Request-Cost"] = ruby_float(reservation.cost)
        # As Canvas does: the bucket's remaining capacity, even on a throttled answer. A
        # rate-limit fault answers as Canvas does for a blocked client, whose header stays 0.0.
        if fault is None or fault.kind != "rate_limit":
            response.headers["X-Rate-Limit-Remaining"] = ruby_float(reservation.remaining)
    _record(inst, ctl, response.status_code, fault, throttled)
    return response


def _teardown(_: BaseException | None) -> None:
    reservation: Reservation | None = g.get("mockcanvas_reservation")
    if reservation is not None and not reservation.finished:  # the answer never got out
        controls(current_instance()).throttle.end(reservation, answered=False)


def _record(inst, ctl: Controls, status: int, fault: Fault | None, throttled: bool) -> None:
    started = g.get("mockcanvas_started")
    arrived = g.get("mockcanvas_arrived") or inst.clock.now()
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    ctl.journal.record(
        time=iso_instant(arrived),
        method=request.method,
        path=request.path,
        query=redact_query(request.query_string.decode("latin-1")),
        status=status,
        user_id=_user_id(inst),
        request_id=g.get("mockcanvas_request_id"),
        duration_ms=round(duration, 3),
        fault_id=fault.id if fault is not None else None,
        throttled=throttled,
    )


def _user_id(inst) -> int | None:
    if "mockcanvas_user" in g:
        user = g.mockcanvas_user
        return user.id if user is not None else None
    if is_control_path(request.path):
        return None
    token = request_token()
    user = inst.store.user_for_token(token) if token else None
    return user.id if user is not None else None
