"""The control API under ``/_mockcanvas/``: what a real Canvas never offers, for tests and tools."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .. import __version__
from ..errors import BadRequest
from ..instance import current_instance
from ..lookup import ruby_to_i
from .responses import canvas_json

blueprint = Blueprint("control", __name__, url_prefix="/_mockcanvas")


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
            "now": inst.clock.now().isoformat(),
        }
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.strip().lstrip("-").isdigit():
        raise BadRequest(f"{name} must be an integer")
    return ruby_to_i(value)


@blueprint.get("/live_events")
def live_events() -> Response:
    """Emitted events, oldest first; filter by name, user, course, and after a sequence number."""
    names = request.args.getlist("event_name") + request.args.getlist("event_name[]")
    events = current_instance().bus.inbox.select(
        names=names,
        user_id=_int_arg("user_id"),
        course_id=_int_arg("course_id"),
        after=_int_arg("after"),
        limit=_int_arg("limit"),
    )
    return canvas_json({"live_events": [e.summary() for e in events]})


@blueprint.delete("/live_events")
def clear_live_events() -> Response:
    return canvas_json({"deleted": current_instance().bus.inbox.clear()})
