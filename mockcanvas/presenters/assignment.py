"""Assignment API objects, as Canvas's ``Api::V1::Assignment#assignment_json`` renders them.

Keys the caller's rights decide, as in the source: ``has_overrides``, ``unpublishable`` and
``needs_grading_count`` only for those who manage the course; ``sis_assignment_id``,
``integration_id`` and ``integration_data`` only for those who may read SIS data; ``quiz_id`` and
``anonymous_submissions`` only on quiz assignments. Everything the mock does not model (peer
reviews, moderation, overrides, lock dates, rubrics) has the value a new Canvas assignment has.

Deviations, one per line:
- ``secure_params`` and ``lti_context_id`` are left out: the store has no LTI context ids to sign.
- ``turnitin_enabled``/``vericite_enabled`` are left out, as Canvas does when the plugins are off.
- ``allowed_extensions`` is left out, as Canvas does when none are set (the store sets none).
- ``discussion_topic`` is never embedded: the store has no discussion topics.
- ``anonymize_students`` is ``anonymous_grading`` while grades are unposted (``muted``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .. import timefmt
from ..models import Assignment, User
from ..services import directory
from ..store import Store

NEEDS_GRADING_STATES = frozenset({"submitted", "pending_review"})


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def anonymize_students(assignment: Assignment) -> bool:
    """``Assignment#anonymize_students?``: anonymous grading while grades are unposted."""
    return assignment.anonymous_grading and assignment.muted


def needs_grading_count(
    store: Store,
    viewer: User | None,
    assignment: Assignment,
    *,
    visible: Collection[int] | None = None,
    active: Collection[int] | None = None,
) -> int:
    """Submitted, ungraded work of the students the caller may see (NeedsGradingCountQuery).

    ``visible`` and ``active`` are the course's ``students_visible_to`` and active students, for
    callers presenting several assignments of one course (they are the same for each).
    """
    course = store.courses[assignment.course_id]
    if visible is None:
        visible = directory.students_visible_to(store, viewer, course)
    if active is None:
        active = active_students(store, course.id)
    return sum(
        1
        for s in store.assignment_submissions(assignment.id)
        if s.user_id in visible
        and s.user_id in active
        and s.submission_type is not None
        and not s.excused
        and (
            s.workflow_state == "pending_review"
            or (s.workflow_state == "submitted" and s.score is None)
        )
    )


def active_students(store: Store, course_id: int) -> set[int]:
    return {
        e.user_id
        for e in store.course_enrollments(course_id)
        if e.type == "StudentEnrollment" and e.workflow_state == "active"
    }


class CourseFacts(NamedTuple):
    """The caller's standing in a course, the same for each of its assignments."""

    manager: bool
    read_sis: bool
    visible: frozenset[int]  # students_visible_to, only when ``manager`` (else empty)
    active: frozenset[int]  # active students, only when ``manager`` (else empty)


def course_facts(store: Store, viewer: User | None, course_id: int) -> CourseFacts:
    course = store.courses[course_id]
    manager = directory.can_manage_course(store, viewer, course)
    if not manager:
        return CourseFacts(False, directory.can_read_sis(store, viewer, course), frozenset(),
                           frozenset())  # fmt: skip
    return CourseFacts(
        manager=True,
        read_sis=directory.can_read_sis(store, viewer, course),
        visible=frozenset(directory.students_visible_to(store, viewer, course)),
        active=frozenset(active_students(store, course_id)),
    )


class AssignmentFacts(NamedTuple):
    """What an assignment's JSON takes from outside the assignment: rights and submissions."""

    manager: bool
    read_sis: bool
    needs_grading_count: int | None  # None unless ``manager``
    has_submitted_submissions: bool
    graded_submissions_exist: bool


def assignment_facts(
    store: Store, viewer: User | None, assignment: Assignment, course: CourseFacts | None = None
) -> AssignmentFacts:
    """``course`` (``course_facts`` of the assignment's course) saves its lookups when given."""
    if course is None:
        course = course_facts(store, viewer, assignment.course_id)
    submissions = store.assignment_submissions(assignment.id)
    return AssignmentFacts(
        manager=course.manager,
        read_sis=course.read_sis,
        needs_grading_count=(
            needs_grading_count(
                store, viewer, assignment, visible=course.visible, active=course.active
            )
            if course.manager
            else None
        ),
        has_submitted_submissions=any(s.submission_type is not None for s in submissions),
        graded_submissions_exist=any(s.workflow_state == "graded" for s in submissions),
    )


def assignment_json(
    assignment: Assignment, *, store: Store, viewer: User | None, base_url: str
) -> dict:
    """One assignment as ``viewer`` sees it; ``base_url`` is the request's host URL."""
    facts = assignment_facts(store, viewer, assignment)
    return assignment_body(assignment, facts, timefmt.zone_for(store, viewer), base_url)


def assignment_body(
    assignment: Assignment, facts: AssignmentFacts, tz: ZoneInfo, base_url: str
) -> dict:
    """The JSON of an assignment given its facts: a function of its arguments alone."""
    manager = facts.manager
    is_quiz = assignment.quiz_id is not None
    course_id = assignment.course_id
    html_url = f"{base_url}/courses/{course_id}/assignments/{assignment.id}"

    body: dict[str, object] = {
        "id": assignment.id,
        "description": assignment.description,
        "due_at": timefmt.iso(assignment.due_at, tz),
        "unlock_at": None,
        "lock_at": None,
        "points_possible": _float(assignment.points_possible),
        "grading_type": assignment.grading_type,
        "assignment_group_id": assignment.assignment_group_id,
        "grading_standard_id": assignment.grading_standard_id,
        "created_at": timefmt.iso(assignment.created_at, tz),
        "updated_at": timefmt.iso(assignment.updated_at, tz),
        "peer_reviews": False,
        "automatic_peer_reviews": False,
        "position": assignment.position,
        "grade_group_students_individually": False,
        "anonymous_peer_reviews": False,
        "group_category_id": None,
        "post_to_sis": False,
        "moderated_grading": False,
        "omit_from_final_grade": assignment.omit_from_final_grade,
        "intra_group_peer_reviews": False,
        "anonymous_instructor_annotations": False,
        "anonymous_grading": assignment.anonymous_grading,
        "graders_anonymous_to_graders": False,
        "grader_count": 0,
        "grader_comments_visible_to_graders": True,
        "final_grader_id": None,
        "grader_names_visible_to_final_grader": True,
        "allowed_attempts": -1,
        "annotatable_attachment_id": None,
        "hide_in_gradebook": False,
        "course_id": course_id,
        "name": assignment.name,
        "submission_types": list(assignment.submission_types),
        "has_submitted_submissions": facts.has_submitted_submissions,
        "due_date_required": False,
        "max_name_length": 255,
        "in_closed_grading_period": False,
        "graded_submissions_exist": facts.graded_submissions_exist,
        "is_quiz_assignment": is_quiz,
        "can_duplicate": not is_quiz and "external_tool" not in assignment.submission_types,
        "original_course_id": None,
        "original_assignment_id": None,
        "original_lti_resource_link_id": None,
        "original_assignment_name": None,
        "original_quiz_id": None,
        "workflow_state": assignment.workflow_state,
        "important_dates": False,
        "muted": assignment.muted,
        "html_url": html_url,
    }
    if manager:
        body["has_overrides"] = False
        body["needs_grading_count"] = facts.needs_grading_count
    if facts.read_sis:
        body["sis_assignment_id"] = assignment.sis_assignment_id
        body["integration_id"] = assignment.integration_id
        body["integration_data"] = {}
    if is_quiz:
        body["quiz_id"] = assignment.quiz_id
        body["anonymous_submissions"] = False
    body["published"] = assignment.workflow_state == "published"
    if manager:
        # can_unpublish?: no student has submitted yet.
        body["unpublishable"] = not body["has_submitted_submissions"]
    body.update(
        {
            "only_visible_to_overrides": False,
            "locked_for_user": False,
            "submissions_download_url": f"{html_url}/submissions?zip=1",
            "post_manually": assignment.post_manually,
            "anonymize_students": anonymize_students(assignment),
            "require_lockdown_browser": False,
            "restrict_quantitative_data": False,
        }
    )
    return body
