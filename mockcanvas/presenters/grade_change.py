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
from . import render_cache
from .assignment import (
    CourseFacts,
    assignment_body,
    assignment_facts,
    assignment_json,
    course_facts,
)
from .course import course_json
from .page_view import account_id, page_view_json
from .user import user_body, user_json, user_rights

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


def _links(base_url: str) -> dict:
    return {
        "events.assignment": (
            f"{base_url}/api/v1/courses/{{events.course}}/assignments/{{events.assignment}}"
        ),
        "events.course": f"{base_url}/api/v1/courses/{{events.course}}",
        "events.student": dict(_USER_LINK),
        "events.grader": dict(_USER_LINK),
        "events.page_view": None,
    }


def compound_json(page: EventPage, *, store, base_url: str) -> dict:
    """``{links, events, linked}``; linked records are unique and in id order."""
    viewer = page.viewer
    return {
        "links": _links(base_url),
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


# -- the same document as response bytes, from cached pieces ----------------------------------


def compound_bytes(page: EventPage, *, store, base_url: str) -> bytes:
    """``jsonenc.dumps(compound_json(...))`` as UTF-8, byte for byte, from cached pieces.

    A full page is mostly the same events and records again: each event's JSON is kept in the
    audit log's ``memo`` and each linked record's in ``render_cache.LINKED`` (its docstring says
    why neither can go stale), so a warm page costs lookups and one join.
    """
    viewer, tz = page.viewer, page.time_zone
    cache = render_cache.LINKED
    memo = store.grade_changes.memo
    events = _events_bytes(memo, page.events, tz)
    accounts: dict[tuple[str, int | None], int | None] = {}  # a page's few contexts
    page_views = []
    for p in page.page_views:
        context = (p.context_type, p.context_id)
        account = accounts.get(context, _UNKNOWN)
        if account is _UNKNOWN:
            account = accounts[context] = account_id(store, p)
        page_views.append(
            cache.get_frozen(
                p, (tz.key, account), lambda p=p: page_view_json(p, store=store, viewer=viewer)
            )
        )
    standing: dict[int, CourseFacts] = {}
    for course_id in {a.course_id for a in page.assignments} | {c.id for c in page.courses}:
        standing[course_id] = course_facts(store, viewer, course_id)
    assignments = []
    for a in page.assignments:
        facts = assignment_facts(store, viewer, a, standing[a.course_id])
        assignments.append(
            cache.get(
                ("assignment", render_cache.values(a), facts, tz.key, base_url),
                lambda a=a, facts=facts: assignment_body(a, facts, tz, base_url),
            )
        )
    courses = [
        cache.get(
            ("course", render_cache.values(c), standing[c.id].read_sis, tz.key, base_url),
            lambda c=c: course_json(
                c, store=store, viewer=viewer, base_url=base_url, enrollments=[]
            ),
        )
        for c in page.courses
    ]
    rights = user_rights(store, viewer)
    users = [
        cache.get(
            ("user", render_cache.values(u), rights, tz.key), lambda u=u: user_body(u, rights, tz)
        )
        for u in page.users
    ]
    return b"".join(
        (
            b'{"links":',
            cache.get(("links", base_url), lambda: _links(base_url)),
            b',"events":[',
            b",".join(events),
            b'],"linked":{"page_views":[',
            b",".join(page_views),
            b'],"assignments":[',
            b",".join(assignments),
            b'],"courses":[',
            b",".join(courses),
            b'],"users":[',
            b",".join(users),
            b"]}}",
        )
    )


_ROW = "row"  # the memo key holding the row an entry's JSON was made from
_UNKNOWN = object()


def _events_bytes(memo: dict, events: list[AuditEvent], tz: ZoneInfo) -> list[bytes]:
    """Each event's JSON from ``memo`` (rendered on a miss): one loop, as it runs per event."""
    zone = tz.key
    rendered = []
    for event in events:
        row = event.row
        entry = memo.get(row.id)
        if entry is None or entry.get(_ROW) is not row:
            if len(memo) >= render_cache.MEMO_LIMIT:  # a crawl of a huge history: start over
                memo.clear()
            entry = memo[row.id] = {_ROW: row}
        key = (zone, event.student_id, event.page_view_id, event.grade_current)
        found = entry.get(key)
        if found is None:
            found = entry[key] = render_cache.encode(event_json(event, tz))
        rendered.append(found)
    return rendered
