"""Who may read what: Canvas's account and course rights, reduced to what the mock serves.

Admins hold rights through AccountUser rows on the root account; teachers and TAs through active
course enrollments. Students never manage grades.
"""

from __future__ import annotations

from .models import Course, User
from .store import Store

GRADER_ENROLLMENTS = frozenset({"TeacherEnrollment", "TaEnrollment"})
STUDENT_ENROLLMENTS = frozenset({"StudentEnrollment", "StudentViewEnrollment"})


def can_view_grade_change_log(store: Store, user: User | None) -> bool:
    """``@domain_root_account.grants_right?(user, :view_grade_changes)``."""
    if user is None:
        return False
    return any(
        m.view_grade_changes and m.account_id == store.root_account_id
        for m in store.admin_memberships(user.id)
    )


def is_account_admin(store: Store, user: User | None) -> bool:
    """An AccountAdmin of the root account: every course right in every course."""
    if user is None:
        return False
    return any(m.role == "AccountAdmin" for m in store.admin_memberships(user.id))


def can_manage_grades(store: Store, user: User | None, course: Course) -> bool:
    """``course.grants_any_right?(user, :manage_grades, :view_all_grades)``."""
    if user is None:
        return False
    if is_account_admin(store, user):
        return True
    return any(
        e.course_id == course.id and e.type in GRADER_ENROLLMENTS and e.workflow_state == "active"
        for e in store.user_enrollments(user.id)
    )


def _limited_sections(store: Store, user: User, course: Course) -> set[int] | None:
    """The sections a section-limited grader sees, or None when every section is visible."""
    if is_account_admin(store, user):
        return None
    return _own_sections(store, user, course, GRADER_ENROLLMENTS)


def _own_sections(
    store: Store, user: User, course: Course, types: frozenset[str]
) -> set[int] | None:
    """The sections of the user's active enrollments of these types in the course when every one
    of them is limited to its section; None when any is not (or there are none)."""
    mine = [
        e
        for e in store.user_enrollments(user.id)
        if e.course_id == course.id and e.type in types and e.workflow_state == "active"
    ]
    if mine and all(e.limit_privileges_to_course_section for e in mine):
        return {e.section_id for e in mine}
    return None


def can_see_student(store: Store, user: User, course: Course, student_id: int) -> bool:
    """``student_id in visible_student_ids(...)``, from the student's enrollments alone.

    A grade write asks this of one student: it costs that student's enrollments, not the course's.
    """
    sections = _limited_sections(store, user, course)
    return any(
        e.course_id == course.id
        and e.type in STUDENT_ENROLLMENTS
        and (sections is None or e.section_id in sections)
        for e in store.user_enrollments(student_id)
    )


# Enrollments whose role holds :read_roster by default: they see the course's students (observers
# do not, and see only themselves).
ROSTER_ENROLLMENTS = frozenset(
    {"TeacherEnrollment", "TaEnrollment", "DesignerEnrollment", "StudentEnrollment"}
)


def student_visible_to(store: Store, user: User, course: Course, student_id: int) -> bool:
    """``course.students_visible_to(user, include: :priors).include?(student)``, for one student.

    Canvas looks the student up through this before it checks the right to grade, so a student a
    grader cannot see is not found (404) rather than unauthorized: the roster holders see every
    student (a section-limited one, their sections'), anyone else only themselves.
    """
    if is_account_admin(store, user):
        sections = None
    elif any(
        e.course_id == course.id and e.type in ROSTER_ENROLLMENTS and e.workflow_state == "active"
        for e in store.user_enrollments(user.id)
    ):
        sections = _own_sections(store, user, course, ROSTER_ENROLLMENTS)
    elif student_id != user.id:
        return False
    else:
        sections = None
    return any(
        e.course_id == course.id
        and e.type in STUDENT_ENROLLMENTS
        and (sections is None or e.section_id in sections)
        for e in store.user_enrollments(student_id)
    )


def visible_student_ids(store: Store, user: User, course: Course) -> set[int]:
    """``course.students_visible_to(user, include: :priors_and_deleted)`` as user ids.

    A grader limited to their sections sees only students enrolled in those sections.
    """
    students = [e for e in store.course_enrollments(course.id) if e.type in STUDENT_ENROLLMENTS]
    sections = _limited_sections(store, user, course)
    if sections is not None:
        return {e.user_id for e in students if e.section_id in sections}
    return {e.user_id for e in students}
