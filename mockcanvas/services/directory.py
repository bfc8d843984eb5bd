"""Who may read courses, assignments, users and submissions through Canvas's REST API.

Each action mirrors one Canvas controller action in the order Canvas checks things: find the
course (404), check the caller may read it (401), find the thing inside it (404), check the thing's
own rule (401). The small ``can_*`` predicates are Canvas's course and account rights, reduced to
the roles the mock seeds; presenters use them too for their permission-dependent keys. No Flask.

Choices the source leaves open: every route needs a logged-in caller (no public-course reads); a
deleted course is not found; lists hide deleted and rejected enrollments (inactive ones too, unless
the caller manages the course) and deleted users.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import permissions
from ..errors import NotFound, Unauthorized
from ..lookup import api_find_assignment, api_find_course, api_find_user, find_id
from ..models import Assignment, Course, Enrollment, Submission, User
from ..store import Store

# Enrollment states that still tie a user to a course (Canvas drops deleted and rejected rows).
_LIVE_STATES = frozenset({"active", "invited", "creation_pending", "completed", "inactive"})
# States that let the enrolled user read the course (inactive users are locked out).
_READING_STATES = frozenset({"active", "invited", "creation_pending", "completed"})
# Course#students: current and pending student enrollments only.
_STUDENT_STATES = frozenset({"active", "invited", "creation_pending"})
# students_visible_to(include: :priors): concluded students too.
_STUDENT_PRIOR_STATES = _STUDENT_STATES | {"completed"}
_PUBLISHED_COURSE_STATES = frozenset({"available", "completed"})
_STAFF_TYPES = permissions.GRADER_ENROLLMENTS | {"DesignerEnrollment"}


# -- rights ----------------------------------------------------------------------------------


def _enrollments(store: Store, user: User | None, course: Course, states=_READING_STATES):
    if user is None:
        return []
    return [
        e
        for e in store.user_enrollments(user.id)
        if e.course_id == course.id and e.workflow_state in states
    ]


def is_admin(store: Store, user: User | None) -> bool:
    """An AccountAdmin of the root account: every course and account right."""
    return permissions.is_account_admin(store, user)


def can_read_course(store: Store, user: User | None, course: Course) -> bool:
    """``course.grants_right?(user, :read)``: admins, and users enrolled in it.

    Students (and observers) read only a published course; teachers and TAs read it unpublished too.
    """
    if is_admin(store, user):
        return True
    for enrollment in _enrollments(store, user, course):
        if enrollment.type in _STAFF_TYPES or course.workflow_state in _PUBLISHED_COURSE_STATES:
            return True
    return False


def can_manage_course(store: Store, user: User | None, course: Course) -> bool:
    """``:manage_grades`` / ``:manage_assignments``: admins and active teachers and TAs."""
    return permissions.can_manage_grades(store, user, course)


def can_read_sis(store: Store, user: User | None, course: Course | None = None) -> bool:
    """``:read_sis`` in a course (its teachers, TAs and admins), or in the root account if None."""
    if is_admin(store, user):
        return True
    return course is not None and can_manage_course(store, user, course)


def can_view_user_logins(store: Store, user: User | None, course: Course | None = None) -> bool:
    """``:view_user_logins``: given to the same roles as ``:read_sis`` by default."""
    return can_read_sis(store, user, course)


def can_read_email_addresses(store: Store, user: User | None, course: Course | None = None) -> bool:
    """``:read_email_addresses``: admins, and a course's teachers and TAs within the course."""
    return can_read_sis(store, user, course)


def can_manage_sis(store: Store, user: User | None) -> bool:
    """``:manage_sis`` on the root account: admins only."""
    return is_admin(store, user)


def can_read_assignment(store: Store, user: User | None, assignment: Assignment) -> bool:
    """``assignment.grants_right?(user, :read)``: course readers; unpublished only for managers."""
    course = store.courses[assignment.course_id]
    if not can_read_course(store, user, course):
        return False
    return assignment.workflow_state == "published" or can_manage_course(store, user, course)


def students_visible_to(store: Store, user: User | None, course: Course) -> set[int]:
    """``course.students_visible_to(user, include: :priors)`` as user ids.

    Admins and unrestricted members see every student; members whose every enrollment is limited to
    their sections see those sections' students; anyone else sees none.
    """
    students = [
        e
        for e in store.course_enrollments(course.id)
        if e.type == "StudentEnrollment" and e.workflow_state in _STUDENT_PRIOR_STATES
    ]
    if is_admin(store, user):
        return {e.user_id for e in students}
    own = _enrollments(store, user, course)
    if not own:
        return set()
    sections = _limited_sections(own)
    if sections is None:
        return {e.user_id for e in students}
    return {e.user_id for e in students if e.section_id in sections}


def _limited_sections(own: list[Enrollment]) -> set[int] | None:
    """The sections a member is limited to, or None when any enrollment of theirs is unlimited."""
    if own and all(e.limit_privileges_to_course_section for e in own):
        return {e.section_id for e in own}
    return None


def shares_course_as_grader(store: Store, grader: User, user: User) -> bool:
    """Whether ``grader`` teaches or assists in a course where ``user`` is enrolled."""
    taught = {
        e.course_id
        for e in store.user_enrollments(grader.id)
        if e.type in permissions.GRADER_ENROLLMENTS and e.workflow_state == "active"
    }
    return any(
        e.course_id in taught and e.workflow_state in _LIVE_STATES
        for e in store.user_enrollments(user.id)
    )


def can_read_user(store: Store, viewer: User | None, user: User) -> bool:
    """Who may read a profile: oneself, admins, and teachers or TAs sharing a course with them."""
    if viewer is None:
        return False
    if viewer.id == user.id or is_admin(store, viewer):
        return True
    return shares_course_as_grader(store, viewer, user)


def can_read_grade(store: Store, viewer: User | None, submission: Submission) -> bool:
    """``submission.user_can_read_grade?``: graders always; the student once the grade is posted."""
    course = store.courses[submission.course_id]
    if can_manage_course(store, viewer, course):
        return True
    if submission.posted_at is None:
        return False
    return viewer is not None and viewer.id == submission.user_id


# -- actions ---------------------------------------------------------------------------------


def _require_user(viewer: User | None) -> User:
    if viewer is None:
        raise Unauthorized()
    return viewer


def _course(store: Store, raw_id: str) -> Course:
    course_id = api_find_course(store, raw_id)
    course = store.courses.get(course_id) if course_id is not None else None
    if course is None or course.workflow_state == "deleted":
        raise NotFound()
    return course


def _readable_course(store: Store, viewer: User | None, raw_id: str) -> Course:
    viewer = _require_user(viewer)
    course = _course(store, raw_id)
    if not can_read_course(store, viewer, course):
        raise Unauthorized()
    return course


def show_course(store: Store, viewer: User | None, raw_id: str) -> Course:
    """``GET /courses/:id``: ``api_find`` (SIS ids too), then ``:read``."""
    return _readable_course(store, viewer, raw_id)


def current_enrollments(store: Store, viewer: User | None, course: Course) -> list[Enrollment]:
    """The caller's current enrollments in a course, which ``GET /courses/:id`` lists."""
    return sorted(
        _enrollments(store, viewer, course, {"active", "invited", "creation_pending"}),
        key=lambda e: e.id,
    )


def _assignment_order(store: Store, assignment: Assignment) -> tuple[int, int, int]:
    group = store.assignment_groups.get(assignment.assignment_group_id)
    return (group.position if group else 0, assignment.position, assignment.id)


def list_assignments(
    store: Store, viewer: User | None, raw_course_id: str
) -> tuple[Course, list[Assignment]]:
    """``GET /courses/:course_id/assignments``: active assignments in Canvas's default order.

    Ordered by assignment group position, then position, then id; callers who cannot manage the
    course see published assignments only.
    """
    course = _readable_course(store, viewer, raw_course_id)
    manager = can_manage_course(store, viewer, course)
    assignments = [
        a
        for a in store.course_assignments(course.id)
        if a.active and (manager or a.workflow_state == "published")
    ]
    assignments.sort(key=lambda a: _assignment_order(store, a))
    return course, assignments


def show_assignment(
    store: Store, viewer: User | None, raw_course_id: str, raw_assignment_id: str
) -> Assignment:
    """``GET /courses/:course_id/assignments/:id``: a deleted or foreign assignment is not found."""
    course = _readable_course(store, viewer, raw_course_id)
    assignment_id = api_find_assignment(store, raw_assignment_id)
    assignment = store.assignments.get(assignment_id) if assignment_id is not None else None
    if assignment is None or assignment.course_id != course.id or not assignment.active:
        raise NotFound()
    if not can_read_assignment(store, viewer, assignment):
        raise Unauthorized()
    return assignment


def show_user(store: Store, viewer: User | None, raw_user_id: str) -> User:
    """``GET /users/:id`` (``self`` included); deleted users are still found."""
    viewer = _require_user(viewer)
    user_id = api_find_user(store, raw_user_id, viewer.id)
    user = store.users.get(user_id) if user_id is not None else None
    if user is None:
        raise NotFound()
    if not can_read_user(store, viewer, user):
        raise Unauthorized()
    return user


def enrollment_type_name(short: str) -> str:
    """An ``enrollment_type[]`` value as a class: ``student_view`` -> StudentViewEnrollment."""
    return "".join(part.capitalize() for part in short.split("_")) + "Enrollment"


def _sorted_users(store: Store, user_ids: Iterable[int]) -> list[User]:
    users = [store.users[i] for i in set(user_ids) if i in store.users]
    users = [u for u in users if u.active]
    return sorted(users, key=lambda u: (u.sortable_name.casefold(), u.id))


def list_course_users(
    store: Store,
    viewer: User | None,
    raw_course_id: str,
    enrollment_types: Iterable[str] | None = None,
) -> tuple[Course, list[User]]:
    """``GET /courses/:course_id/users``: the roster the caller may see, by sortable name.

    ``:read_roster`` belongs to everyone enrolled; members limited to their sections see only
    those sections. ``enrollment_types`` are the short names (``student``, ``ta``...).
    """
    course = _readable_course(store, viewer, raw_course_id)
    manager = can_manage_course(store, viewer, course)
    states = _LIVE_STATES if manager else _LIVE_STATES - {"inactive"}
    # Blank values filter nothing, as Rails' ``presence`` drops them.
    wanted = {enrollment_type_name(t) for t in enrollment_types or () if t} or None
    sections = None
    if not is_admin(store, viewer):
        sections = _limited_sections(_enrollments(store, viewer, course))
    user_ids = [
        e.user_id
        for e in store.course_enrollments(course.id)
        if e.workflow_state in states
        and (wanted is None or e.type in wanted)
        and (sections is None or e.section_id in sections)
    ]
    return course, _sorted_users(store, user_ids)


def list_course_students(
    store: Store, viewer: User | None, raw_course_id: str
) -> tuple[Course, list[User]]:
    """``GET /courses/:course_id/students`` (deprecated): all current students, by sortable name."""
    course = _readable_course(store, viewer, raw_course_id)
    user_ids = [
        e.user_id
        for e in store.course_enrollments(course.id)
        if e.type == "StudentEnrollment" and e.workflow_state in _STUDENT_STATES
    ]
    return course, _sorted_users(store, user_ids)


def show_submission(
    store: Store,
    viewer: User | None,
    raw_course_id: str,
    raw_assignment_id: str,
    raw_user_id: str,
) -> Submission:
    """``GET /courses/:course_id/assignments/:assignment_id/submissions/:user_id``.

    The assignment is found with ``find`` (Rails casting, no SIS ids) among the course's active
    ones; the user with ``api_find`` among the students visible to the caller (404 otherwise).
    Then the student themselves (on a published assignment), the course's graders and admins may
    read it. A student without a stored submission gets an unsaved one (``id`` null), as Canvas's
    ``submission_for_student`` builds.
    """
    viewer = _require_user(viewer)
    course = _course(store, raw_course_id)
    assignment_id = find_id(raw_assignment_id)
    assignment = store.assignments.get(assignment_id) if assignment_id is not None else None
    if assignment is None or assignment.course_id != course.id or not assignment.active:
        raise NotFound()
    user_id = api_find_user(store, raw_user_id, viewer.id)
    if user_id is None or user_id not in students_visible_to(store, viewer, course):
        raise NotFound()
    own = viewer.id == user_id and assignment.workflow_state == "published"
    if not (own or can_manage_course(store, viewer, course)):
        raise Unauthorized()
    submission = store.submission_for(assignment.id, user_id)
    if submission is None:
        submission = Submission(
            id=None,  # type: ignore[arg-type]  # an unsaved row, as Canvas renders it
            assignment_id=assignment.id,
            user_id=user_id,
            course_id=course.id,
            created_at=assignment.created_at,
            updated_at=assignment.updated_at,
        )
    return submission
