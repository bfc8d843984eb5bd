"""Queries over the grade change audit log, with Canvas's lookups, rights and filters.

Each public function mirrors one action of Canvas's GradeChangeAuditApiController and ends in
``_render_events``, which applies Canvas's steps in Canvas's order: drop override rows where the
course does not allow overrides (before paging), page by bookmark, attach current grades, keep only
students the caller may see, then blank or drop students of anonymous, muted assignments. The last
two run after paging, so a page can be short and still have a next page, as in Canvas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeGuard
from zoneinfo import ZoneInfo

from .. import permissions, timefmt
from ..auditlog import OVERRIDE_ASSIGNMENT, key_for_time, sort_key
from ..errors import BadRequest, NotFound, Unauthorized
from ..grading import percent_string
from ..lookup import api_find_assignment, api_find_course, api_find_user, find_id
from ..models import Assignment, Course, GradeChange, PageView, User
from ..pagination import FIRST_PAGE, InvalidPage, decode_page, encode_bookmark
from ..store import Store

OVERRIDE = "override"
NOT_AVAILABLE = "N/A"


@dataclass(frozen=True)
class EventQuery:
    """What a request asks of the log besides its path: times, page, size and includes."""

    start_time: str | None = None
    end_time: str | None = None
    page: str | None = None
    per_page: int = 10
    include_current_grade: bool = False


@dataclass(frozen=True)
class AuditEvent:
    """An audit row as one caller sees it: the student may be blanked, a current grade added."""

    row: GradeChange
    student_id: int | None
    page_view_id: str | None
    grade_current: str | None = None


@dataclass
class EventPage:
    """One page of events plus everything needed to present it and link its neighbours."""

    events: list[AuditEvent]
    viewer: User
    time_zone: ZoneInfo
    route: str
    route_args: dict[str, int | str]
    per_page: int
    current_page: str
    next_page: str | None
    courses: list[Course] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    page_views: list[PageView] = field(default_factory=list)


# -- the controller actions ------------------------------------------------------------------


def for_assignment(store: Store, viewer: User | None, raw_id: str, query: EventQuery) -> EventPage:
    _require_admin(store, viewer)
    assignment_id = api_find_assignment(store, raw_id)
    if assignment_id is None or not store.assignments[assignment_id].active:
        raise NotFound()
    return _render_events(
        store, viewer, query, {"assignment": assignment_id}, "for_assignment",
        {"assignment_id": assignment_id},
    )  # fmt: skip


def for_course(store: Store, viewer: User | None, raw_id: str, query: EventQuery) -> EventPage:
    course = _find_course_or_deny(store, viewer, raw_id)
    return _render_events(
        store, viewer, query, {"course": course.id}, "for_course", {"course_id": course.id},
        course=course,
    )  # fmt: skip


def for_student(store: Store, viewer: User | None, raw_id: str, query: EventQuery) -> EventPage:
    _require_admin(store, viewer)
    student = _find_active_user(store, raw_id)
    return _render_events(
        store, viewer, query, {"student": student.id}, "for_student",
        {"student_id": student.id}, remove_anonymous=True,
    )  # fmt: skip


def for_grader(store: Store, viewer: User | None, raw_id: str, query: EventQuery) -> EventPage:
    _require_admin(store, viewer)
    grader = _find_active_user(store, raw_id)
    return _render_events(
        store, viewer, query, {"grader": grader.id}, "for_grader", {"grader_id": grader.id}
    )


def advanced_query(
    store: Store, viewer: User | None, params: Mapping[str, str | None], query: EventQuery
) -> EventPage:
    """``GET /api/v1/audit/grade_change``: any of course, assignment, student, grader."""
    course_raw, assignment_raw = params.get("course_id"), params.get("assignment_id")
    student_raw, grader_raw = params.get("student_id"), params.get("grader_id")
    conditions: dict[str, int] = {}
    course = None
    if assignment_raw == OVERRIDE:
        conditions["assignment"] = OVERRIDE_ASSIGNMENT
    viewer_id = viewer.id if viewer else None
    if _present(course_raw):
        course_id = api_find_course(store, course_raw)
        if course_id is None:
            raise NotFound()
        course = store.courses[course_id]
        if not permissions.can_manage_grades(store, viewer, course):
            raise Unauthorized()
        conditions["course"] = course.id
        if _present(student_raw):
            conditions["student"] = _in_course(
                store, course, api_find_user(store, student_raw, viewer_id)
            )
        if _present(grader_raw):
            conditions["grader"] = _active(store, api_find_user(store, grader_raw, viewer_id))
        if _present(assignment_raw) and "assignment" not in conditions:
            assignment_id = api_find_assignment(store, assignment_raw)
            if assignment_id is None or store.assignments[assignment_id].course_id != course.id:
                raise NotFound()
            conditions["assignment"] = assignment_id
    else:
        _require_admin(store, viewer)
        if _present(student_raw):
            conditions["student"] = _active(store, api_find_user(store, student_raw, viewer_id))
        if _present(grader_raw):
            conditions["grader"] = _active(store, api_find_user(store, grader_raw, viewer_id))
        if _present(assignment_raw) and "assignment" not in conditions:
            assignment_id = api_find_assignment(store, assignment_raw)
            if assignment_id is None:
                raise NotFound()
            conditions["assignment"] = assignment_id
    if not conditions:
        raise BadRequest("Must specify at least one query condition")
    return _render_events(
        store, viewer, query, conditions, "query", {}, course=course,
        remove_anonymous=_present(student_raw),
    )  # fmt: skip


def for_course_and_other(
    store: Store,
    viewer: User | None,
    course_raw: str,
    query: EventQuery,
    *,
    assignment_raw: str | None = None,
    grader_raw: str | None = None,
    student_raw: str | None = None,
) -> EventPage:
    """The seven undocumented ``/courses/:course_id/...`` routes (Gradebook History's search)."""
    course = _find_course_or_deny(store, viewer, course_raw)
    conditions: dict[str, int] = {"course": course.id}
    route_args: dict[str, int | str] = {"course_id": course.id}
    if assignment_raw == OVERRIDE:
        conditions["assignment"] = OVERRIDE_ASSIGNMENT
        route_args["assignment_id"] = OVERRIDE
    elif assignment_raw is not None:
        assignment_id = api_find_assignment(store, assignment_raw)
        if assignment_id is None or store.assignments[assignment_id].course_id != course.id:
            raise NotFound()
        conditions["assignment"] = route_args["assignment_id"] = assignment_id
    if grader_raw is not None:
        conditions["grader"] = route_args["grader_id"] = _in_course(
            store, course, find_id(grader_raw)
        )
    if student_raw is not None:
        conditions["student"] = route_args["student_id"] = _in_course(
            store, course, find_id(student_raw)
        )
    route = "course_" + "_".join(d for d in ("assignment", "grader", "student") if d in conditions)
    return _render_events(
        store, viewer, query, conditions, route, route_args, course=course,
        remove_anonymous=student_raw is not None,
    )  # fmt: skip


# -- lookups and rights ----------------------------------------------------------------------


def _present(value: str | None) -> TypeGuard[str]:
    """Rails ``present?``: not nil and not only whitespace."""
    return value is not None and value.strip() != ""


def _require_admin(store: Store, viewer: User | None) -> None:
    if not permissions.can_view_grade_change_log(store, viewer):
        raise Unauthorized()


def _find_course_or_deny(store: Store, viewer: User | None, raw_id: str) -> Course:
    """``Course.find``: a missing course is 404 for admins and 401 for everyone else."""
    course_id = find_id(raw_id)
    course = store.courses.get(course_id) if course_id is not None else None
    if course is None:
        _require_admin(store, viewer)
        raise NotFound()
    if not permissions.can_manage_grades(store, viewer, course):
        raise Unauthorized()
    return course


def _find_active_user(store: Store, raw_id: str) -> User:
    """``User.active.find``: deleted users are not found."""
    user_id = find_id(raw_id)
    user = store.users.get(user_id) if user_id is not None else None
    if user is None or not user.active:
        raise NotFound()
    return user


def _active(store: Store, user_id: int | None) -> int:
    if user_id is None or not store.users[user_id].active:
        raise NotFound()
    return user_id


def _in_course(store: Store, course: Course, user_id: int | None) -> int:
    """A user among ``course.all_users``: enrolled in any state."""
    if user_id is None or not any(
        e.course_id == course.id for e in store.user_enrollments(user_id)
    ):
        raise NotFound()
    return user_id


# -- rendering -------------------------------------------------------------------------------


def _bounds(query: EventQuery, tz: ZoneInfo) -> tuple[int | None, int | None]:
    """Inclusive key bounds from start_time/end_time; unreadable times are ignored."""
    oldest = timefmt.parse(query.start_time, tz)
    newest = timefmt.parse(query.end_time, tz)
    low = key_for_time(timefmt.ceil_seconds(oldest), last=False) if oldest else None
    high = key_for_time(timefmt.floor_seconds(newest), last=True) if newest else None
    return low, high


def _bookmark_key(value: object, tz: ZoneInfo) -> int | None:
    """The exclusive upper key of a valid bookmark, None when Canvas would reject it."""
    if isinstance(value, list) and len(value) == 2:
        stamp, row_id = value
        if not isinstance(stamp, str) or type(row_id) is not int:
            return None
        instant = timefmt.parse(stamp, tz)
        if instant is None:
            return None
        if instant.microsecond:  # no whole-second row equals it: everything at or before floor
            return key_for_time(timefmt.floor_seconds(instant) + 1, last=False)
        return sort_key(timefmt.floor_seconds(instant), max(min(row_id, 2**32 - 1), 0))
    if isinstance(value, str):  # the older, timestamp-only bookmark: created_at < t
        instant = timefmt.parse(value, tz)
        return key_for_time(timefmt.ceil_seconds(instant), last=False) if instant else None
    return None


def _render_events(
    store: Store,
    viewer: User | None,
    query: EventQuery,
    conditions: dict[str, int],
    route: str,
    route_args: dict[str, int | str],
    *,
    course: Course | None = None,
    remove_anonymous: bool = False,
) -> EventPage:
    assert viewer is not None  # every action has checked a right by now
    tz = timefmt.zone_for(store, viewer)
    try:
        bookmark = decode_page(query.page)
    except InvalidPage:  # Folio::InvalidPage on a bookmarked collection: 404
        raise NotFound() from None
    before = _bookmark_key(bookmark, tz) if bookmark is not None else None
    current_page = encode_bookmark(bookmark) if before is not None else FIRST_PAGE
    oldest, newest = _bounds(query, tz)
    keep: Callable[[GradeChange], bool] | None = None
    if course is not None and not course.allow_final_grade_override:
        keep = _not_override
    found = list(
        islice(
            store.grade_changes.newest_first(
                conditions, oldest=oldest, newest=newest, before=before, keep=keep
            ),
            query.per_page + 1,
        )
    )
    rows = found[: query.per_page]
    next_page = None
    if len(found) > query.per_page:
        last = rows[-1]
        next_page = encode_bookmark([timefmt.ruby_to_s(last.created_at, tz), last.id])

    current = _current_grades(store, rows) if query.include_current_grade else {}
    if course is not None:
        visible = permissions.visible_student_ids(store, viewer, course)
        rows = [r for r in rows if r.student_id in visible]
    hidden = _anonymous_and_muted(store, rows)
    if remove_anonymous:
        rows = [r for r in rows if r.assignment_id not in hidden]
    # One page view lookup per row (found views are kept for the linked collection).
    find_view = store.page_views.get
    views: dict[str, PageView] = {}
    events = []
    for r in rows:
        view = find_view(r.request_id)
        if view is not None:
            views[r.request_id] = view
        events.append(
            AuditEvent(
                row=r,
                student_id=None if r.assignment_id in hidden else r.student_id,
                page_view_id=None if view is None else r.request_id,
                grade_current=current.get(r.id),
            )
        )
    page = EventPage(
        events=events,
        viewer=viewer,
        time_zone=tz,
        route=route,
        route_args=route_args,
        per_page=query.per_page,
        current_page=current_page,
        next_page=next_page,
    )
    _link(store, page, views)
    return page


def _not_override(row: GradeChange) -> bool:
    return not row.override


def _anonymous_and_muted(store: Store, rows: list[GradeChange]) -> set[int]:
    hidden = set()
    for assignment_id in {r.assignment_id for r in rows if r.assignment_id is not None}:
        assignment = store.assignments.get(assignment_id)
        if assignment is not None and assignment.anonymous_grading and assignment.muted:
            hidden.add(assignment_id)
    return hidden


def _current_grades(store: Store, rows: list[GradeChange]) -> dict[int, str]:
    """``include[]=current_grade``: the submission's grade now, or the current override grade."""
    grades: dict[int, str] = {}
    for row in rows:
        if row.override:
            grade = _current_override_grade(store, row)
        else:
            submission = store.submissions.get(row.submission_id or 0)
            grade = submission.grade if submission is not None else NOT_AVAILABLE
        if grade:  # Canvas leaves the key out when the value is blank
            grades[row.id] = grade
    return grades


def _current_override_grade(store: Store, row: GradeChange) -> str | None:
    for enrollment in store.user_enrollments(row.student_id or 0):
        if enrollment.course_id != row.course_id or enrollment.workflow_state == "deleted":
            continue
        score = store.course_score(enrollment.id)
        if score is None:
            continue
        if score.override_grade:
            return score.override_grade
        if score.override_score is not None:
            return percent_string(score.override_score)
    return None


def _link(store: Store, page: EventPage, views: dict[str, PageView]) -> None:
    """Fill the page's linked collections: unique records, in id order."""
    rows = [e.row for e in page.events]
    page.courses = [store.courses[i] for i in sorted({r.course_id for r in rows})]
    page.assignments = [
        store.assignments[i]
        for i in sorted({r.assignment_id for r in rows if r.assignment_id is not None})
    ]
    user_ids = {r.grader_id for r in rows} | {e.student_id for e in page.events}
    page.users = store.users_by_ids({i for i in user_ids if i is not None})
    page.page_views = [views[i] for i in sorted(views)]
