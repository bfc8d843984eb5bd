"""Control routes for Live Events delivery: subscriptions, their delivery logs, and the JWKS.

Under ``/_mockcanvas``: ``GET /jwks``, ``POST /jwks/rotate``, ``GET|POST /subscriptions``,
``GET|DELETE /subscriptions/<id>``, and ``POST /subscriptions/<id>/reactivate``, ``/redeliver``,
``/wait``. Mistakes answer 400 ``{"message": ...}`` and change nothing.
"""

from __future__ import annotations

import json
import math
import re
import time

from flask import Blueprint, Response, current_app, request

from ..errors import BadRequest, NotFound
from ..instance import current_instance
from ..sinks import registry as sinks
from .control import MAX_DIGITS, path_id
from .inspector import busy, streams_of
from .responses import canvas_json

blueprint = Blueprint("subscriptions", __name__, url_prefix="/_mockcanvas")

LOG_PAGE_DEFAULT = 100
LOG_PAGE_MAX = 1000
WAIT_MAX = 60.0
_WAIT_SLICE = 0.25  # how often a wait looks whether the server is stopping
_DIGITS = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _registry() -> sinks.Registry:
    return sinks.registry_for(current_instance().bus)


def _subscription(subscription_id: str) -> sinks.Subscription:
    number = path_id(subscription_id)  # "¹".isdigit(), but int("¹") fails; so do 4,301 digits
    if number is None:
        raise NotFound()
    return _registry().get(number)


def _whole(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not _DIGITS.fullmatch(text):
        raise BadRequest(f"{name} must be a non-negative integer")
    significant = text.lstrip("0")
    if len(significant) > MAX_DIGITS:  # past any real entry number (and int()'s limit)
        raise BadRequest(f"{name} must be a non-negative integer of at most {MAX_DIGITS} digits")
    return min(max(int(significant or "0"), low), high)


def _seconds(name: str, default: float) -> float:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not _NUMBER.fullmatch(text):  # float() also takes " 1", "1_0", "inf" and "nan"
        raise BadRequest(f"{name} must be a number of seconds")
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise BadRequest(f"{name} must be a number of seconds")
    return min(value, WAIT_MAX)


@blueprint.get("/jwks")
def jwks() -> Response:
    """The public keys signed webhooks are signed with: previous, current and next."""
    return canvas_json(_registry().keys.jwks())


@blueprint.post("/jwks/rotate")
def rotate_jwks() -> Response:
    keys = _registry().keys
    kids = keys.rotate()
    return canvas_json({"kids": kids, **keys.jwks()})


@blueprint.get("/subscriptions")
def list_subscriptions() -> Response:
    return canvas_json({"subscriptions": [s.describe() for s in _registry().all()]})


@blueprint.post("/subscriptions")
def create_subscription() -> Response:
    try:
        spec = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise BadRequest("the body must be a JSON object") from None
    subscription = sinks.subscribe(current_instance(), spec, host=request.host)
    return canvas_json(subscription.describe(), 201)


@blueprint.get("/subscriptions/<subscription_id>")
def show_subscription(subscription_id: str) -> Response:
    """The subscription with a page of its delivery log (``after`` an entry number, ``limit``)."""
    subscription = _subscription(subscription_id)
    after = _whole("after", 0, 0, 2**53)
    limit = _whole("limit", LOG_PAGE_DEFAULT, 1, LOG_PAGE_MAX)
    entries = subscription.log(after, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return canvas_json(
        {
            **subscription.describe(),
            "log": entries,
            "next_after": entries[-1]["n"] if more else None,
        }
    )


@blueprint.delete("/subscriptions/<subscription_id>")
def delete_subscription(subscription_id: str) -> Response:
    """Detach and close at once: whatever was still queued is counted undelivered."""
    subscription = sinks.unsubscribe(current_instance(), _subscription(subscription_id).id)
    return canvas_json(subscription.describe())


def _change_state(action) -> None:
    try:
        action()
    except sinks.SinkStateError as error:
        raise BadRequest(str(error)) from None


@blueprint.post("/subscriptions/<subscription_id>/reactivate")
def reactivate(subscription_id: str) -> Response:
    subscription = _subscription(subscription_id)
    _change_state(subscription.reactivate)
    return canvas_json(subscription.describe())


@blueprint.post("/subscriptions/<subscription_id>/redeliver")
def redeliver(subscription_id: str) -> Response:
    """Requeue the dead and overflowed events, oldest first (``?event_id=``: only that one)."""
    subscription = _subscription(subscription_id)
    event_id = request.args.get("event_id") or None
    queued: list[int] = []
    _change_state(lambda: queued.append(subscription.redeliver(event_id)))
    return canvas_json({"requeued": queued[0], **subscription.describe()})


@blueprint.post("/subscriptions/<subscription_id>/wait")
def wait(subscription_id: str) -> Response:
    """Wait (``timeout`` seconds, default 5, at most 60) until nothing is queued or in flight.

    A wait holds one of the server's few workers, so one that must wait takes a slot of the
    pool it shares with the event streams (``inspector.MAX_LONG_WAITS``); with none free it is
    503 with ``Retry-After``, and a stopping server ends it at once."""
    subscription = _subscription(subscription_id)
    timeout = _seconds("timeout", 5.0)
    if timeout == 0 or subscription.wait_idle(0):
        return _waited(subscription, subscription.wait_idle(0))
    waits = streams_of(current_app)
    stop = waits.open()
    if stop is None:
        return busy(waits.cap)
    try:
        deadline = time.monotonic() + timeout
        idle = False
        while not idle and not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            idle = subscription.wait_idle(min(left, _WAIT_SLICE))
    finally:
        waits.close(stop)
    return _waited(subscription, idle)


def _waited(subscription: sinks.Subscription, idle: bool) -> Response:
    return canvas_json({"idle": idle, "counts": subscription.counts()})
