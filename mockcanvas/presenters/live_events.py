"""Live Event payloads as Canvas sends them: ``{"metadata": ..., "body": ...}``.

Metadata follows ApplicationController#setup_live_events_context (everything a string; global ids;
``producer: "canvas"``; ``event_time`` in UTC with milliseconds), or the job fields for background
work. Bodies follow lib/canvas/live_events.rb: ``grade_change`` uses global ids as strings, while
``course_grade_change`` and ``grade_override`` use local ids as strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from .. import timefmt
from ..ids import global_id
from ..models import Assignment, Course, Enrollment, Score, Submission
from ..services.context import RequestContext
from ..store import Store


# The id strings repeat across events (the same account, course, students): cached, every event
# shares one string per id instead of holding its own (about 60 bytes each, 8-10 per event).
@lru_cache(maxsize=8192)
def _gid(local: int | None) -> str | None:
    return None if local is None else str(global_id(local))


@lru_cache(maxsize=8192)
def _sid(local: int | None) -> str | None:
    return None if local is None else str(local)


def event_time(now: datetime) -> str:
    """``time.utc.iso8601(3)``: ``2019-11-01T19:11:05.222Z``."""
    moment = now.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _context_role(store: Store, ctx: RequestContext, course: Course) -> str | None:
    if ctx.user is None:
        return None
    for enrollment in store.user_enrollments(ctx.user.id):
        if enrollment.course_id == course.id and enrollment.workflow_state != "deleted":
            return enrollment.type
    return None


def metadata(
    store: Store, ctx: RequestContext, course: Course, event_name: str, now: datetime
) -> dict:
    root = store.root_account
    data: dict[str, object] = {
        "root_account_uuid": root.uuid,
        "root_account_id": _gid(root.id),
        "root_account_lti_guid": root.lti_guid,
    }
    user = ctx.user
    if ctx.is_job:
        data["job_id"] = ctx.job_id
        data["job_tag"] = ctx.job_tag
    elif user is not None:
        data.update(
            {
                "user_login": user.login_id,
                "user_account_id": _gid(root.id),
                "user_sis_id": user.sis_user_id,
                "user_id": _gid(user.id),
                "time_zone": timefmt.zone_for(store, user).key,
            }
        )
        if ctx.real_user is not None:
            data["real_user_id"] = _gid(ctx.real_user.id)
    data.update(
        {
            "context_type": "Course",
            "context_id": _gid(course.id),
            "context_sis_source_id": course.sis_course_id,
            "context_account_id": _gid(course.account_id),
        }
    )
    if not ctx.is_job:
        data.update(
            {
                "context_role": _context_role(store, ctx, course),
                "request_id": ctx.request_id,
                "session_id": ctx.session_id,
                "hostname": ctx.hostname,
                "http_method": ctx.http_method,
                "user_agent": ctx.user_agent,
                "client_ip": ctx.client_ip,
                "url": ctx.url,
                "referrer": ctx.referrer,
            }
        )
    data["producer"] = "canvas"
    data["event_name"] = event_name
    data["event_time"] = event_time(now)
    return data


def grade_change_body(
    store: Store, submission: Submission, before: Submission, assignment: Assignment
) -> dict:
    student = store.users.get(submission.user_id)
    autograded = submission.grader_id is None or submission.autograded
    return {
        "submission_id": _gid(submission.id),
        "assignment_id": _gid(assignment.id),
        "assignment_name": assignment.name,
        "grade": submission.grade,
        "old_grade": before.grade,
        "score": submission.score,
        "old_score": before.score,
        "points_possible": assignment.points_possible,
        "old_points_possible": assignment.points_possible,
        "grader_id": None if autograded else _gid(submission.grader_id),
        "student_id": _gid(submission.user_id),
        "student_sis_id": student.sis_user_id if student else None,
        "user_id": _gid(submission.user_id),
        "grading_complete": submission.graded,
        "muted": submission.posted_at is None,
    }


def course_grade_change_body(score: Score, old: dict, enrollment: Enrollment) -> dict:
    return {
        "user_id": _sid(enrollment.user_id),
        "course_id": _sid(enrollment.course_id),
        "workflow_state": score.workflow_state,
        "created_at": timefmt.iso_utc(score.created_at),
        "updated_at": timefmt.iso_utc(score.updated_at),
        "current_score": score.current_score,
        "old_current_score": old["current_score"],
        "final_score": score.final_score,
        "old_final_score": old["final_score"],
        "unposted_current_score": score.unposted_current_score,
        "old_unposted_current_score": old["unposted_current_score"],
        "unposted_final_score": score.unposted_final_score,
        "old_unposted_final_score": old["unposted_final_score"],
    }


def grade_override_body(
    score: Score, old_override: float | None, enrollment: Enrollment, now: datetime
) -> dict:
    return {
        "score_id": _sid(score.id),
        "enrollment_id": _sid(enrollment.id),
        "user_id": _sid(enrollment.user_id),
        "course_id": _sid(enrollment.course_id),
        "grading_period_id": _sid(score.grading_period_id),
        "override_score": score.override_score,
        "old_override_score": old_override,
        "updated_at": event_time(now),
    }
