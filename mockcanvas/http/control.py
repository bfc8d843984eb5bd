"""The control API under ``/_mockcanvas/``: what a real Canvas never offers, for tests and tools.

Health, reset, the world, the Live Events inbox, the clock, faults, the throttle, state export and
import, and the request journal (subscriptions and the JWKS are in ``subscriptions.py``). Mistakes
answer 400 ``{"message": ...}`` and change nothing.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from flask import Blueprint, Response, request

from .. import __version__, state
from ..clock import RANGE_TEXT, in_range
from ..controls import controls
from ..errors import BadRequest, NotFound
from ..instance import current_instance
from ..lookup import ruby_to_i
from ..presenters.world import world_json
from .bodies import json_body
from .reading import consistent
from .responses import canvas_json

blueprint = Blueprint("control", __name__, url_prefix="/_mockcanvas")

_CLOCK_ACTIONS = ("set", "advance", "freeze", "unfreeze")
# A clock step larger than this is a mistake, not a test (and would leave datetime's range).
_MAX_ADVANCE = 200 * 366 * 86_400


@blueprint.get("/health")
def health() -> Response:
    inst = current_instance()
    return canvas_json(
        {
            "status": "ok",
            "version": __version__,
            "seed": inst.settings.seed,
            "size": inst.settings.size,
            "grade_changes": len(inst.store.grade_changes),
            "live_events": len(inst.bus.inbox),
            "now": state.iso_instant(inst.clock.now()),
        }
    )


_INTEGER = re.compile(r"-?[0-9]+")
_ID = re.compile(r"[0-9]+")  # not str.isdigit(): "¹" is a digit to it and a crash to int()
# More significant digits than any id, count or sequence number here can have. int() refuses a
# string past 4,300 digits (a ValueError: a 500), so longer ones are never converted.
MAX_DIGITS = 18


def path_id(text: str) -> int | None:
    """A record id from a URL: ASCII digits of a number that can exist, else None (a 404)."""
    if not _ID.fullmatch(text):
        return None
    significant = text.lstrip("0")
    return int(significant or "0") if len(significant) <= MAX_DIGITS else None


def _int_arg(name: str) -> int | None:
    """An integer parameter; empty is absent. Only ASCII digits: ``str.isdigit`` also takes
    ``"²"`` and ``"٣"``, and ``strip`` took ``" 5 "``, which the OpenAPI document cannot say."""
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not _INTEGER.fullmatch(value):
        raise BadRequest(f"{name} must be an integer")
    return ruby_to_i(value)


def _json_object() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    return body


# -- reset and world ---------------------------------------------------------------------------


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the seeded world; subscriptions stay."""
    took = state.reset(current_instance())
    return canvas_json({"reset": True, "took_ms": round(took, 3), "kept": ["subscriptions"]})


@blueprint.get("/world")
@consistent
def world() -> Response:
    return canvas_json(world_json(current_instance().store))


# -- live events -------------------------------------------------------------------------------


@blueprint.get("/live_events")
def live_events() -> Response:
    """Emitted events, oldest first; filter by name, user, course, and after a sequence number.

    The inbox keeps the newest ``capacity``: ``evicted`` says how many older ones went (since it
    was last emptied), ``cleared`` how many resets, imports and DELETEs emptied out."""
    names = request.args.getlist("event_name") + request.args.getlist("event_name[]")
    limit = _int_arg("limit")
    if limit is not None and limit < 0:
        raise BadRequest("limit must be >= 0")
    events = current_instance().bus.inbox.select(
        names=names,
        user_id=_int_arg("user_id"),
        course_id=_int_arg("course_id"),
        after=_int_arg("after"),
        limit=limit,
    )
    inbox = current_instance().bus.inbox
    return canvas_json(
        {
            "live_events": [e.summary() for e in events],
            "total": inbox.total,
            "evicted": inbox.evicted,
            "cleared": inbox.cleared,
            "capacity": inbox.capacity,
        }
    )


@blueprint.delete("/live_events")
def clear_live_events() -> Response:
    return canvas_json({"deleted": current_instance().bus.inbox.clear()})


# -- clock -------------------------------------------------------------------------------------


def _clock_json() -> dict:
    clock = current_instance().clock
    return {"now": state.iso_instant(clock.now()), "frozen": clock.frozen}


@blueprint.get("/clock")
def clock_now() -> Response:
    return canvas_json(_clock_json())


@blueprint.post("/clock")
def clock_change() -> Response:
    """``{"set": ISO time}``, ``{"advance": seconds}``, ``{"freeze": true}``, ``{"unfreeze": true}``
    (several at once run in that order). Everything is checked before anything changes."""
    body = _json_object()
    unknown = sorted(set(body) - set(_CLOCK_ACTIONS))
    if unknown or not body:
        raise BadRequest(f"send one or more of {', '.join(_CLOCK_ACTIONS)}")
    for flag in ("freeze", "unfreeze"):
        if flag in body and body[flag] is not True:
            raise BadRequest(f"{flag} must be true")
    if "freeze" in body and "unfreeze" in body:
        raise BadRequest("freeze or unfreeze, not both")
    inst = current_instance()
    target = state.parse_instant(body["set"], "set") if "set" in body else None
    seconds = None
    if "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise BadRequest("advance must be a number of seconds")
        if abs(seconds) > _MAX_ADVANCE or not math.isfinite(seconds):  # huge ints fail first
            raise BadRequest("advance must be a finite number of seconds within 200 years")
    landing = (target or inst.clock.now()) + timedelta(seconds=seconds or 0)
    if not in_range(landing):
        raise BadRequest(f"the clock would leave {RANGE_TEXT}")
    with inst.write_lock:
        if target is not None:
            inst.clock.set(target)
        if seconds is not None:
            inst.clock.advance(seconds)
        if "freeze" in body:
            inst.clock.freeze()
        if "unfreeze" in body:
            inst.clock.unfreeze()
    return canvas_json(_clock_json())


# -- faults ------------------------------------------------------------------------------------


def _faults():
    return controls(current_instance()).faults


@blueprint.get("/faults")
def list_faults() -> Response:
    return canvas_json({"faults": [f.to_json() for f in _faults().all()]})


@blueprint.post("/faults")
def add_fault() -> Response:
    fault = _faults().add(_json_object())
    return canvas_json(fault.to_json(), 201)


@blueprint.get("/faults/<fault_id>")
def get_fault(fault_id: str) -> Response:
    number = path_id(fault_id)
    fault = _faults().get(number) if number is not None else None
    if fault is None:
        raise NotFound()
    return canvas_json(fault.to_json())


@blueprint.delete("/faults")
def clear_faults() -> Response:
    return canvas_json({"deleted": _faults().clear()})


@blueprint.delete("/faults/<fault_id>")
def delete_fault(fault_id: str) -> Response:
    number = path_id(fault_id)
    if number is None or not _faults().remove(number):
        raise NotFound()
    return canvas_json({"deleted": 1})


# -- throttle ----------------------------------------------------------------------------------


def _throttle_json() -> dict:
    throttle = controls(current_instance()).throttle
    return {**throttle.config.to_json(), "buckets": throttle.buckets()}


@blueprint.get("/throttle")
def throttle_settings() -> Response:
    return canvas_json(_throttle_json())


@blueprint.post("/throttle")
def configure_throttle() -> Response:
    """Change some settings (``enabled``, ``high_water_mark``, ``maximum``, ``outflow``,
    ``up_front_cost``, ``extra_cost``); the buckets start empty."""
    throttle = controls(current_instance()).throttle
    throttle.configure(throttle.config.updated(_json_object()))
    return canvas_json(_throttle_json())


@blueprint.delete("/throttle")
def empty_buckets() -> Response:
    return canvas_json({"deleted": controls(current_instance()).throttle.clear()})


# -- state -------------------------------------------------------------------------------------


@blueprint.get("/state")
def export_state() -> Response:
    return canvas_json(state.export_state(current_instance()))


@blueprint.put("/state")
def import_state() -> Response:
    """Replace the world with an export; ``?baseline=true`` makes it what reset restores."""
    baseline = request.args.get("baseline", "false").lower()
    if baseline not in ("true", "false"):
        raise BadRequest("baseline must be true or false")
    inst = current_instance()
    state.import_state(inst, json_body(), baseline=baseline == "true")
    store = inst.store
    return canvas_json(
        {
            "imported": True,
            "baseline": baseline == "true",
            "users": len(store.users),
            "courses": len(store.courses),
            "grade_changes": len(store.grade_changes),
            "clock": _clock_json(),
        }
    )


# -- request journal ---------------------------------------------------------------------------


@blueprint.get("/requests")
def requests_journal() -> Response:
    """Requests answered, oldest first: ``after`` (a seq), ``limit``, ``path`` (a glob),
    ``method``."""
    journal = controls(current_instance()).journal
    limit = _int_arg("limit")
    if limit is not None and limit < 0:
        raise BadRequest("limit must be >= 0")
    entries = journal.select(
        after=_int_arg("after"),
        limit=limit,
        path=request.args.get("path") or None,
        method=request.args.get("method") or None,
    )
    return canvas_json(
        {
            "requests": [e.to_json() for e in entries],
            "total": journal.total,
            "evicted": journal.evicted,
            "capacity": journal.capacity,
        }
    )


@blueprint.delete("/requests")
def clear_requests() -> Response:
    return canvas_json({"deleted": controls(current_instance()).journal.clear()})
