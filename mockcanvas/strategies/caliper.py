"""Strategies for Caliper 1.1 envelopes of ``grade_change`` (``caliper_grade_event.json``).

A ``grade_change`` Live Event is drawn as `live_grade_change` draws it, then converted by the real
``presenters.caliper.caliper_envelope``, so the envelope and the event always agree: the same
submission, assignment, course and users, as ``urn:instructure:canvas:...`` URNs of global ids.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..events import LiveEvent
from ..presenters.caliper import caliper_envelope
from ..presenters.live_events import event_time as format_event_time
from . import pins
from .live_events import Envelope, GradeChangeFacts, grade_change_payload
from .pins import UNSET


def caliper_grade_event(
    *,
    course_id=UNSET,
    assignment_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    submission_id=UNSET,
    change=UNSET,
    grading_type=UNSET,
    points_possible=UNSET,
    posted=UNSET,
    root_account_id=UNSET,
    job=UNSET,
    event_time=UNSET,
    time_zone=UNSET,
    host=UNSET,
    send_time=UNSET,
    merge=None,
) -> st.SearchStrategy[dict]:
    """A Caliper envelope holding one GradeEvent.

    Fact pins: those of `live_grade_change`, plus ``host`` (the Canvas host the ``sensor`` and
    ``edApp`` name, e.g. ``"https://canvas.example.edu"``) and ``send_time`` (an aware datetime
    at or after the event; by default the event's own time).
    """
    env = Envelope(course_id, UNSET, root_account_id, job, UNSET, event_time, time_zone)
    facts = GradeChangeFacts(
        assignment_id, student_id, grader_id, submission_id, change, grading_type,
        points_possible, posted,
    )  # fmt: skip
    pins.checked("send_time", send_time, pins.aware)
    merge = pins.combine_merges(merge)

    @st.composite
    def build(draw) -> dict:
        scene, payload = grade_change_payload(draw, env, facts)
        where = pins.given(draw, "host", host) if pins.is_set(host) else scene.world.host
        sent = None
        if pins.is_set(send_time):
            sent = pins.given(draw, "send_time", send_time, pins.aware)
        event = LiveEvent(seq=1, id=scene.words.uuid(), name="grade_change", payload=payload)
        envelope = caliper_envelope(
            event, scene.world.store, _with_scheme(where),
            send_time=format_event_time(sent) if sent else None,
        )  # fmt: skip
        assert envelope is not None  # grade_change always has a Caliper form
        return pins.apply_merge(draw, envelope, merge, "caliper_grade_event")

    return pins.tagged(build(), "caliper_grade_event")


def _with_scheme(host: str) -> str:
    """Canvas is served over HTTPS: a bare host names an ``https://`` sensor."""
    return host if "://" in host else f"https://{host}"
