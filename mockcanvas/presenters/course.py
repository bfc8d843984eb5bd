"""Course API objects, as Canvas's ``course_json`` (``Api::V1::Course`` + ``CourseJson``) renders.

``sis_course_id`` and ``integration_id`` are present only when the caller may read SIS data
(``:read_sis``: the course's teachers and TAs, and admins), as in the source and the docs; the key
is absent, not null, for everyone else. ``enrollments`` is present only when the caller passes a
list (Canvas's ``courses_json(..., includes, enrollments)``): ``GET /courses/:id`` passes the
caller's current enrollments.

Deviations, one per line:
- ``role_id`` uses the ids of a fresh Canvas's built-in roles (student 3, teacher 4, TA 5, ...).
- ``storage_quota_mb`` is Canvas's default 500; ``grade_passback_setting``, ``course_color`` and
  ``friendly_name`` are null, ``blueprint`` false (the store has no such settings).
- ``template`` is left out, as Canvas does while the course_templates feature is off.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import timefmt
from ..models import Course, Enrollment, User
from ..services import directory
from ..store import Store

ROLE_IDS = {
    "StudentEnrollment": 3,
    "TeacherEnrollment": 4,
    "TaEnrollment": 5,
    "DesignerEnrollment": 6,
    "ObserverEnrollment": 7,
    "StudentViewEnrollment": 3,
}
SIS_TYPES = {
    "StudentEnrollment": "student",
    "TeacherEnrollment": "teacher",
    "TaEnrollment": "ta",
    "DesignerEnrollment": "designer",
    "ObserverEnrollment": "observer",
    "StudentViewEnrollment": "student_view",
}
DEFAULT_STORAGE_QUOTA_MB = 500


def api_state(course: Course) -> str:
    """``Course#api_state``: created and claimed courses read as unpublished."""
    if course.workflow_state in ("created", "claimed"):
        return "unpublished"
    return course.workflow_state


def enrollment_json(enrollment: Enrollment) -> dict:
    """The short enrollment hash a course object lists."""
    return {
        "type": SIS_TYPES.get(enrollment.type, enrollment.type),
        "role": enrollment.type,
        "role_id": ROLE_IDS.get(enrollment.type, 3),
        "user_id": enrollment.user_id,
        "enrollment_state": enrollment.workflow_state,
        "limit_privileges_to_course_section": enrollment.limit_privileges_to_course_section,
    }


def course_json(
    course: Course,
    *,
    store: Store,
    viewer: User | None,
    base_url: str,
    enrollments: Iterable[Enrollment] | None = None,
) -> dict:
    """One course as ``viewer`` sees it, without includes; ``base_url`` is the request host URL."""
    tz = timefmt.zone_for(store, viewer)
    body: dict[str, object] = {
        "id": course.id,
        "name": course.name,
        "account_id": course.account_id,
        "uuid": course.uuid,
        "start_at": timefmt.iso(course.start_at, tz),
        "grading_standard_id": course.grading_standard_id,
        "is_public": course.is_public,
        "created_at": timefmt.iso(course.created_at, tz),
        "course_code": course.course_code,
        "default_view": course.default_view,
        "root_account_id": course.root_account_id,
        "enrollment_term_id": course.enrollment_term_id,
        "license": course.license,
        "grade_passback_setting": None,
        "end_at": timefmt.iso(course.end_at, tz),
        "public_syllabus": False,
        "public_syllabus_to_auth": False,
        "storage_quota_mb": DEFAULT_STORAGE_QUOTA_MB,
        "is_public_to_auth_users": False,
        "homeroom_course": False,
        "course_color": None,
        "friendly_name": None,
        "apply_assignment_group_weights": course.apply_assignment_group_weights,
        "calendar": {"ics": f"{base_url}/feeds/calendars/course_{course.uuid}.ics"},
        "time_zone": course.time_zone,
        "blueprint": False,
    }
    if directory.can_read_sis(store, viewer, course):
        body["sis_course_id"] = course.sis_course_id
        body["integration_id"] = course.integration_id
    if enrollments is not None:
        body["enrollments"] = [enrollment_json(e) for e in enrollments]
    body["hide_final_grades"] = course.hide_final_grades
    body["workflow_state"] = api_state(course)
    body["restrict_enrollments_to_course_dates"] = False
    return body
