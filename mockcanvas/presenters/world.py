"""Who and what a world holds, for people writing tests against it: ``GET /_mockcanvas/world``.

Not a Canvas shape: everyone with their roles and access token, each course with its sections and
assignments, and the landmarks that name the notable records.
"""

from __future__ import annotations

from ..models import Assignment, Course, User
from ..store import Store


def _user(store: Store, user: User) -> dict:
    enrollments = store.user_enrollments(user.id)
    memberships = store.admin_memberships(user.id)
    roles = sorted({e.type for e in enrollments}) + [m.role for m in memberships]
    return {
        "id": user.id,
        "name": user.name,
        "login_id": user.login_id,
        "sis_user_id": user.sis_user_id,
        "workflow_state": user.workflow_state,
        "time_zone": user.time_zone,
        "roles": roles,
        "token": store.token_for(user.id),
        "enrollments": [
            {
                "id": e.id,
                "course_id": e.course_id,
                "section_id": e.section_id,
                "type": e.type,
                "workflow_state": e.workflow_state,
                "limit_privileges_to_course_section": e.limit_privileges_to_course_section,
            }
            for e in enrollments
        ],
        "admin": [
            {
                "account_id": m.account_id,
                "role": m.role,
                "view_grade_changes": m.view_grade_changes,
            }
            for m in memberships
        ],
    }


def world_assignment(assignment: Assignment) -> dict:
    """An assignment as the control API's world listing and the inspector show it."""
    return {
        "id": assignment.id,
        "name": assignment.name,
        "grading_type": assignment.grading_type,
        "points_possible": assignment.points_possible,
        "workflow_state": assignment.workflow_state,
        "quiz": assignment.quiz_id is not None,
        "anonymous_grading": assignment.anonymous_grading,
        "post_manually": assignment.post_manually,
        "muted": assignment.muted,
        "omit_from_final_grade": assignment.omit_from_final_grade,
    }


def _course(store: Store, course: Course) -> dict:
    return {
        "id": course.id,
        "name": course.name,
        "course_code": course.course_code,
        "sis_course_id": course.sis_course_id,
        "workflow_state": course.workflow_state,
        "time_zone": course.time_zone,
        "allow_final_grade_override": course.allow_final_grade_override,
        "sections": [
            {"id": s.id, "name": s.name, "sis_section_id": s.sis_section_id}
            for s in store.course_sections(course.id)
        ],
        "assignments": [world_assignment(a) for a in store.course_assignments(course.id)],
    }


def world_json(store: Store) -> dict:
    return {
        "root_account_id": store.root_account_id,
        "landmarks": dict(sorted(store.landmarks.items())),
        "accounts": [
            {"id": a.id, "name": a.name, "parent_account_id": a.parent_account_id}
            for a in store.accounts.values()
        ],
        "courses": [_course(store, c) for c in store.courses.values()],
        "users": [_user(store, u) for u in store.users.values()],
        "grade_changes": len(store.grade_changes),
    }
