"""Hypothesis strategies for every payload mockcanvas serves, for contract and property tests.

Each strategy builds model objects (``mockcanvas.models``) in a minimal store and renders them
through the same presenters the server uses, so a generated payload has the server's shape by
construction and meets its JSON Schema (``mockcanvas.schemas``)::

    from hypothesis import given
    from mockcanvas import strategies as mcst

    @given(mcst.live_grade_change(course_id=5))
    def test_consumer_accepts_grade_changes(event):
        consume(event)

Pins fix part of a payload; see `mockcanvas.strategies.pins` for the convention (fact pins in
the models' vocabulary, ``merge=`` for exact JSON, a strategy wherever a value goes). `invalid`
breaks one schema rule at a time.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis.strategies import SearchStrategy

from .audit import grade_change_compound, grade_change_event
from .caliper import caliper_grade_event
from .invalid import RULES, Broken, invalid
from .live_events import (
    live_course_grade_change,
    live_course_grade_change_body,
    live_event,
    live_event_metadata,
    live_grade_change,
    live_grade_change_body,
    live_grade_override,
    live_grade_override_body,
)
from .pins import UNSET
from .values import event_instants, global_ids, grades, instants, local_ids, time_zones

__all__ = [
    "DEFAULTS",
    "RULES",
    "UNSET",
    "Broken",
    "caliper_grade_event",
    "event_instants",
    "global_ids",
    "grade_change_compound",
    "grade_change_event",
    "grades",
    "instants",
    "invalid",
    "live_course_grade_change",
    "live_course_grade_change_body",
    "live_event",
    "live_event_metadata",
    "live_grade_change",
    "live_grade_change_body",
    "live_grade_override",
    "live_grade_override_body",
    "local_ids",
    "time_zones",
]

DEFAULTS: dict[str, Callable[[], SearchStrategy[dict]]] = {
    "grade_change_event": grade_change_event,
    "grade_change_compound": grade_change_compound,
    "live_event": live_event,
    "live_event.json#/$defs/metadata": live_event_metadata,
    "live_event_grade_change": live_grade_change,
    "live_event_grade_change.json#/$defs/body": live_grade_change_body,
    "live_event_course_grade_change": live_course_grade_change,
    "live_event_course_grade_change.json#/$defs/body": live_course_grade_change_body,
    "live_event_grade_override": live_grade_override,
    "live_event_grade_override.json#/$defs/body": live_grade_override_body,
    "caliper_grade_event": caliper_grade_event,
}
"""The strategy of each schema (or schema part) whose payloads this package generates."""
