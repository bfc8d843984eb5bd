"""Grade change events and their compound document, as Canvas's Api::V1::GradeChangeEvent renders.

Types follow the source, not the docs: ``version_number`` is an integer, ``links.course`` and
``links.assignment`` are integers while ``links.student`` and ``links.grader`` are strings, override
events have no ``links.assignment`` and carry ``course_override_grade``, and there is no
``request_id`` (it shows only as ``links.page_view``).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from .. import timefmt
from ..services.audit import AuditEvent, EventPage
from .assignment import assignment_json
from .course import course_json
from .page_view import page_view_json
from .user import user_json

_USER_LINK = {"href": None, "type": "user"}


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def event_json(event: AuditEvent, tz: ZoneInfo) -> dict:
    row = event.row
    links: dict[str, object] = {}
    if not row.override:
        links["assignment"] = row.assignment_id
    links["course"] = row.course_id
    links["student"] = None if event.student_id is None else str(event.student_id)
    links["grader"] = None if row.grader_id is None else str(row.grader_id)
    links["page_view"] = event.page_view_id
    body: dict[str, object] = {
        "id": row.uuid,
        "created_at": timefmt.iso(row.created_at, tz),
        "event_type": row.event_type,
        "grade_before": row.grade_before,
        "grade_after": row.grade_after,
        "excused_before": row.excused_before,
        "excused_after": row.excused_after,
        "graded_anonymously": row.graded_anonymously,
        "points_possible_after": _float(row.points_possible_after),
        "points_possible_before": _float(row.points_possible_before),
        "version_number": row.version_number,
        "links": links,
    }
    if event.grade_current:
        body["grade_current"] = event.grade_current
    if row.override:
        body["course_override_grade"] = True
    return body


def compound_json(page: EventPage, *, store, base_url: str) -> dict:
    """``{links, events, linked}``; linked records are unique and in id order."""
    viewer = page.viewer
    return {
        "links": {
            "events.assignment": (
                f"{base_url}/api/v1/courses/{{events.course}}/assignments/{{events.assignment}}"
            ),
            "events.course": f"{base_url}/api/v1/courses/{{events.course}}",
            "events.student": dict(_USER_LINK),
            "events.grader": dict(_USER_LINK),
            "events.page_view": None,
        },
        "events": [event_json(e, page.time_zone) for e in page.events],
        "linked": {
            "page_views": [page_view_json(p, store=store, viewer=viewer) for p in page.page_views],
            "assignments": [
                assignment_json(a, store=store, viewer=viewer, base_url=base_url)
                for a in page.assignments
            ],
            "courses": [
                course_json(c, store=store, viewer=viewer, base_url=base_url, enrollments=[])
                for c in page.courses
            ],
            "users": [user_json(u, store=store, viewer=viewer) for u in page.users],
        },
    }
