"""Strategies for the Grade Change Log audit API: one event, and the compound document.

Both render through the real code: an event through ``presenters.grade_change.event_json``, a
compound document by running ``services.audit`` over a small store of drawn grading history and
presenting the page with ``compound_json``, exactly as a ``GET /api/v1/audit/grade_change/...``
answers it. Ids in these payloads are local (``links.course`` an integer, ``links.student`` a
string of digits); times are in the caller's zone with its offset (``Z`` in a UTC zone).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from .. import timefmt
from ..models import GradeChange
from ..presenters.grade_change import compound_json, event_json
from ..services import audit
from ..services.audit import AuditEvent, EventQuery
from . import pins
from .pins import UNSET
from .scenes import (
    SUBMISSION_CHANGES,
    UNGRADED,
    World,
    check_grading_type,
    check_points,
    draw_assignment_kind,
    draw_change,
    draw_override_scores,
    next_kinds,
    override_grades,
)
from .values import (
    BOOLEANS,
    INSTANTS,
    LOCAL_IDS,
    MOSTLY_NOT,
    SEEDS,
    TIME_ZONE_NAMES,
    Words,
    instants,
    other_id,
    pick_from,
    sampled,
)

_ROUTES = sampled(("course", "student", "grader"))
_SUBMISSION_CHANGES = sampled(SUBMISSION_CHANGES)
_AUTOMATIC_CHANGES = sampled(("grade", "regrade"))
_VERSIONS = st.integers(1, 40)
_ZONE_OR_DEFAULT = st.none() | TIME_ZONE_NAMES  # None: the root account's default zone
_GAPS = sampled((0, 61, 3_600, 86_400, 400_000))  # seconds between rows; 0: the same second
_USER_IDS = st.lists(LOCAL_IDS, min_size=6, max_size=6, unique=True)
_COURSE_IDS = st.lists(LOCAL_IDS, min_size=2, max_size=2, unique=True)
_ASSIGNMENT_IDS = st.lists(LOCAL_IDS, min_size=6, max_size=6, unique=True)
_HISTORY_START = instants(latest=datetime(2034, 1, 1, tzinfo=UTC))
_ONE_TO_THREE = st.integers(1, 3)
_ONE_TO_TWO = st.integers(1, 2)
_ALLOWS_OVERRIDE = sampled((True, True, False))


def _change_kind(name: str, value: object) -> None:
    pins.one_of(name, value, SUBMISSION_CHANGES)


def grade_change_event(
    *,
    course_id=UNSET,
    assignment_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    override=UNSET,
    change=UNSET,
    grading_type=UNSET,
    points_possible=UNSET,
    created_at=UNSET,
    time_zone=UNSET,
    anonymous=UNSET,
    merge=None,
) -> st.SearchStrategy[dict]:
    """One audit event as ``grade_change_event.json`` describes it.

    Fact pins: ``course_id``, ``assignment_id``, ``student_id``, ``grader_id`` (local ids;
    ``grader_id=None`` is an automatic grade, e.g. a quiz), ``override`` (a course final grade
    override event: no ``links.assignment``, ``course_override_grade: true``), ``change`` (one of
    ``grade``, ``regrade``, ``excuse``, ``unexcuse``, ``clear``), ``grading_type``,
    ``points_possible``, ``created_at`` (an aware datetime; whole seconds are kept), ``time_zone``
    (the caller's IANA zone, which ``created_at`` is printed in) and ``anonymous`` (an anonymous,
    unposted assignment: ``links.student`` is null).
    """
    pins.checked("course_id", course_id, pins.local_id)
    pins.checked("assignment_id", assignment_id, pins.local_id)
    pins.checked("student_id", student_id, pins.local_id)
    pins.checked("grader_id", grader_id, lambda n, v: pins.local_id(n, v, nullable=True))
    pins.checked("override", override, pins.boolean)
    pins.checked("change", change, _change_kind)
    pins.checked("grading_type", grading_type, check_grading_type)
    pins.checked("points_possible", points_possible, check_points)
    pins.checked("created_at", created_at, pins.aware)
    pins.checked("time_zone", time_zone, pins.zone_name)
    pins.checked("anonymous", anonymous, pins.boolean)
    assignment_facts = (
        pins.is_set(assignment_id) or pins.is_set(change) or pins.is_set(grading_type)
        or pins.is_set(points_possible) or anonymous is True or grader_id is None
    )  # fmt: skip
    if override is True and assignment_facts:
        raise ValueError(
            "an override event has no assignment, change, grading type or anonymity, and always "
            "a grader"
        )
    if assignment_facts and not pins.is_set(override):
        override = False  # the pins describe an assignment's event
    merge = pins.combine_merges(merge)

    @st.composite
    def build(draw) -> dict:
        # Both forms draw the same choices in the same order (an override ignores the assignment
        # ones), so examples shrink by value to the plainest: an assignment's first grade.
        words = Words(draw(SEEDS))
        is_override = pins.pick(draw, "override", override, MOSTLY_NOT, pins.boolean)
        course = pins.pick(draw, "course_id", course_id, LOCAL_IDS, pins.local_id)
        student = pins.pick(draw, "student_id", student_id, LOCAL_IDS, pins.local_id)
        grader = pins.pick(
            draw, "grader_id", grader_id, LOCAL_IDS,
            lambda n, v: pins.local_id(n, v, nullable=not is_override),
        )  # fmt: skip
        automatic = draw(MOSTLY_NOT)
        if not pins.is_set(grader_id):
            grader = None if automatic and not is_override else other_id(grader, student)
        if grader == student:
            raise ValueError(f"a student does not grade their own work: both are {student}")
        when = pins.pick(draw, "created_at", created_at, INSTANTS, pins.aware)
        zone = pins.pick(draw, "time_zone", time_zone, TIME_ZONE_NAMES, pins.zone_name)
        stored_page_view = draw(BOOLEANS)
        current = draw(BOOLEANS)
        assignment = pins.pick(draw, "assignment_id", assignment_id, LOCAL_IDS, pins.local_id)
        kind, points = draw_assignment_kind(draw, grading_type, points_possible)
        kinds = _SUBMISSION_CHANGES if grader is not None else _AUTOMATIC_CHANGES
        what = pins.pick(draw, "change", change, kinds, _change_kind)
        moved = draw_change(draw, what, kind, points)
        hidden = pins.pick(draw, "anonymous", anonymous, MOSTLY_NOT, pins.boolean)
        version = draw(_VERSIONS)
        old, new = draw_override_scores(draw)
        request_id = words.uuid() if grader is not None else "MISSING"
        common = {
            "id": 1,
            "uuid": words.uuid(),
            "created_at": int(when.timestamp()),
            "root_account_id": 1,
            "account_id": 1,
            "course_id": course,
            "student_id": student,
            "grader_id": grader,
            "request_id": request_id,
        }
        if is_override:
            before, after = override_grades(old, new)
            row = GradeChange(
                **common, assignment_id=None, submission_id=None,
                grade_before=before, grade_after=after, excused_before=False,
                excused_after=False, graded_anonymously=False, points_possible_before=None,
                points_possible_after=None, version_number=0, override=True,
            )  # fmt: skip
            hidden = False
        else:
            row = GradeChange(
                **common, assignment_id=assignment, submission_id=words.big_id(),
                grade_before=moved.grade_before, grade_after=moved.grade_after,
                excused_before=moved.excused_before, excused_after=moved.excused_after,
                graded_anonymously=hidden, points_possible_before=points,
                points_possible_after=points, version_number=version,
                score_before=moved.score_before, score_after=moved.score_after,
            )  # fmt: skip
        event = AuditEvent(
            row=row,
            student_id=None if hidden else student,
            page_view_id=request_id if stored_page_view and grader is not None else None,
            grade_current=row.grade_after if current else None,
        )
        payload = event_json(event, timefmt.zone(zone))
        return pins.apply_merge(draw, payload, merge, "grade_change_event")

    return pins.tagged(build(), "grade_change_event")


VIEWERS = ("admin", "teacher")


def grade_change_compound(
    *,
    course_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    viewer=UNSET,
    time_zone=UNSET,
    min_events: int = 0,
    max_events: int = 6,
    current_grade=UNSET,
    host=UNSET,
    merge=None,
) -> st.SearchStrategy[dict]:
    """A whole audit API answer (``grade_change_compound.json``): events plus linked objects.

    A small school's grading history is drawn (one or two courses, their assignments, students
    and graders; grades, regrades, excusing, automatic quiz grades and final grade overrides, each
    following the submission's previous change), then queried through ``services.audit`` by
    course, by student or by grader, newest first, and presented with ``compound_json``. Every
    link of every event therefore resolves to a linked object, and every linked object is linked.

    Fact pins: ``course_id``, ``student_id``, ``grader_id`` (the query's conditions: every event
    has them; pinning none queries by a drawn one of the three), ``viewer`` (``"admin"``, or
    ``"teacher"`` of the queried course, who is not shown SIS ids and logins of linked users),
    ``time_zone`` (the caller's), ``current_grade`` (``include[]=current_grade``), ``host`` (the
    URL templates' host, e.g. ``"canvas.example.edu"``) and ``min_events``/``max_events`` (rows
    written; the query leaves out some, such as overrides in a course that no longer allows them).
    """
    pins.checked("course_id", course_id, pins.local_id)
    pins.checked("student_id", student_id, pins.local_id)
    pins.checked("grader_id", grader_id, pins.local_id)
    pins.checked("viewer", viewer, lambda n, v: pins.one_of(n, v, VIEWERS))
    pins.checked("time_zone", time_zone, pins.zone_name)
    pins.checked("current_grade", current_grade, pins.boolean)
    if not 0 <= min_events <= max_events <= 50:
        raise ValueError("need 0 <= min_events <= max_events <= 50")
    if isinstance(student_id, int) and student_id == grader_id:
        raise ValueError("a student does not grade their own work: student_id == grader_id")
    if viewer == "teacher" and (pins.is_set(student_id) or pins.is_set(grader_id)):
        raise ValueError("a teacher reads the log of a course: pin course_id, not people")
    anchors = {
        name
        for name, pin in (("course", course_id), ("student", student_id), ("grader", grader_id))
        if pins.is_set(pin)
    }
    if viewer == "teacher":
        anchors.add("course")
    merge = pins.combine_merges(merge)
    event_counts = st.integers(min_events, max_events)

    @st.composite
    def build(draw) -> dict:
        words = Words(draw(SEEDS))
        query_by = anchors or {draw(_ROUTES)}
        zone = pins.pick(draw, "time_zone", time_zone, _ZONE_OR_DEFAULT, pins.zone_name)
        start = draw(_HISTORY_START)
        world = World(
            words,
            root_account_id=1,
            account_id=draw(_ONE_TO_TWO),
            default_time_zone=draw(TIME_ZONE_NAMES),
            now=start + timedelta(days=365),
        )
        school = _School.draw(draw, world, query_by, course_id, student_id, grader_id)
        drawn_viewer = draw(MOSTLY_NOT)  # a teacher when only a course is queried
        if pins.is_set(viewer):
            as_teacher = pins.given(draw, "viewer", viewer) == "teacher"
        else:
            as_teacher = drawn_viewer and query_by == {"course"}
        if as_teacher:
            reader = world.user(school.graders[0])
        else:
            reader = world.user(school.admin_id)
            world.admin(reader)
        reader.time_zone = zone
        for _ in range(draw(event_counts)):
            school.write_row(draw, start)
        school.finish(start)
        params = {}
        if "course" in query_by:
            params["course_id"] = str(school.courses[0].id)
        if "student" in query_by:
            params["student_id"] = str(school.students[0])
        if "grader" in query_by:
            params["grader_id"] = str(school.graders[0])
        include = pins.pick(draw, "current_grade", current_grade, BOOLEANS, pins.boolean)
        query = EventQuery(per_page=100, include_current_grade=include)
        page = audit.advanced_query(world.store, reader, params, query)
        chosen_host = pins.given(draw, "host", host) if pins.is_set(host) else world.host
        payload = compound_json(page, store=world.store, base_url=f"https://{chosen_host}")
        return pins.apply_merge(draw, payload, merge, "grade_change_compound")

    return pins.tagged(build(), "grade_change_compound")


class _School:
    """The people, courses and assignments of a drawn history, and the history itself.

    A queried dimension (a pinned course, student or grader) has one member, so every row the
    history writes is one the query can return; each row follows its submission's (or its
    student's override's) previous change.
    """

    def __init__(self, world: World, students, graders, courses, assignments, admin_id, anchors):
        self.world = world
        self.students: list[int] = students
        self.graders: list[int] = graders
        self.courses = courses
        self.assignments = assignments
        self.admin_id: int = admin_id
        self.anchors = anchors
        self.when: datetime | None = None
        self.last: dict[tuple[int, int], object] = {}
        self.versions: dict[tuple[int, int], int] = {}
        self.overrides: dict[tuple[int, int], float | None] = {}

    @classmethod
    def draw(cls, draw, world: World, anchors, course_id, student_id, grader_id) -> _School:
        user_ids = draw(_USER_IDS)
        student = _pinned(draw, "student_id", student_id)
        grader = _pinned(draw, "grader_id", grader_id)
        if student is not None and student == grader:
            raise ValueError(f"a student does not grade their own work: both are {student}")
        free = [i for i in user_ids if i not in (student, grader)]
        admin_id = free.pop()
        if "student" in anchors:
            students = [student or free.pop()]
        else:
            students = [free.pop() for _ in range(draw(_ONE_TO_THREE))]
        graders = [grader or free.pop()] if "grader" in anchors else free[: draw(_ONE_TO_TWO)]
        course_count = 1 if "course" in anchors else draw(_ONE_TO_TWO)
        course_ids = draw(_COURSE_IDS)
        if pins.is_set(course_id):
            course_ids = [_pinned(draw, "course_id", course_id)]
        courses = [
            world.course(i, allow_override=draw(_ALLOWS_OVERRIDE))
            for i in course_ids[:course_count]
        ]
        for course in courses:
            for user_id in students:
                world.enroll(world.user(user_id), course, "StudentEnrollment")
            for user_id in graders:
                world.enroll(world.user(user_id), course, "TeacherEnrollment")
        assignment_ids = iter(draw(_ASSIGNMENT_IDS))
        assignments = []
        for course in courses:
            for _ in range(draw(_ONE_TO_THREE)):
                kind, points = draw_assignment_kind(draw)
                quiz, anonymous = draw(MOSTLY_NOT), draw(MOSTLY_NOT)
                assignments.append(
                    world.assignment(
                        next(assignment_ids), course, kind, points,
                        quiz=quiz and kind == "points",
                        anonymous=anonymous, muted=anonymous and world.words.chance(0.7),
                    )
                )  # fmt: skip
        return cls(world, students, graders, courses, assignments, admin_id, anchors)

    def write_row(self, draw, start) -> None:
        """One audit row: a change of a submission, or of a student's final grade override."""
        world, store = self.world, self.world.store
        self.when = when = (self.when or start) + timedelta(seconds=draw(_GAPS))
        student = world.user(pick_from(draw, self.students))
        grader = world.user(pick_from(draw, self.graders))
        course = pick_from(draw, self.courses)
        target = pick_from(draw, [*(a for a in self.assignments if a.course_id == course.id), None])
        request_id = world.words.uuid()
        if draw(BOOLEANS):
            url = _grade_url(world, course, target, student)
            world.page_view(request_id, grader, course, url, when)
        common = {
            "id": store.grade_changes.next_id(),
            "uuid": world.words.uuid(),
            "created_at": int(when.timestamp()),
            "root_account_id": world.root.id,
            "account_id": course.account_id,
            "course_id": course.id,
            "student_id": student.id,
            "request_id": request_id,
        }
        if target is None:
            key = (course.id, student.id)
            old = self.overrides.get(key)
            _, new = draw_override_scores(draw, old)
            self.overrides[key] = new
            before, after = override_grades(old, new)
            store.add_grade_change(
                GradeChange(
                    **common, grader_id=grader.id, assignment_id=None, submission_id=None,
                    grade_before=before, grade_after=after, excused_before=False,
                    excused_after=False, graded_anonymously=False, points_possible_before=None,
                    points_possible_after=None, version_number=0, override=True,
                )
            )  # fmt: skip
            return
        key = (target.id, student.id)
        previous = self.last.get(key) or UNGRADED
        kind = draw(sampled(next_kinds(self.last.get(key))))  # type: ignore[arg-type]
        points = target.points_possible or 0.0
        moved = draw_change(draw, kind, target.grading_type, points, previous)  # type: ignore[arg-type]
        self.last[key] = moved
        self.versions[key] = version = self.versions.get(key, 0) + 1
        automatic = target.quiz_id is not None and kind == "grade" and "grader" not in self.anchors
        _, submission = world.submission(
            len(self.versions), target, student, moved,
            grader_id=None if automatic else grader.id, posted=not target.muted,
            when=when, version=version,
        )  # fmt: skip
        stored = store.submission_for(target.id, student.id)
        assert stored is not None  # world.submission has just stored it
        stored.score, stored.grade, stored.excused = (
            moved.score_after, moved.grade_after, moved.excused_after
        )  # fmt: skip
        stored.workflow_state = submission.workflow_state
        store.add_grade_change(
            GradeChange(
                **common, grader_id=None if automatic else grader.id,
                assignment_id=target.id, submission_id=stored.id,
                grade_before=moved.grade_before, grade_after=moved.grade_after,
                excused_before=moved.excused_before, excused_after=moved.excused_after,
                graded_anonymously=target.anonymous_grading and target.muted,
                points_possible_before=target.points_possible,
                points_possible_after=target.points_possible, version_number=version,
                score_before=moved.score_before, score_after=moved.score_after,
            )
        )  # fmt: skip

    def finish(self, start) -> None:
        """Store each student's current override score, which ``current_grade`` reads."""
        store = self.world.store
        for (course_key, student_key), score in self.overrides.items():
            enrollment = self.world.enroll(
                self.world.user(student_key), store.courses[course_key], "StudentEnrollment"
            )
            row = self.world.score(store.new_id("scores"), enrollment, created=start)
            row.override_score = score


def _pinned(draw, name: str, pin: object) -> int | None:
    """A pinned id (a value, or drawn from its strategy), None when not pinned."""
    return pins.pick(draw, name, pin, st.none(), pins.local_id)


def _grade_url(world: World, course, assignment, student) -> str:
    if assignment is None:
        return f"https://{world.host}/api/graphql"
    return (
        f"https://{world.host}/api/v1/courses/{course.id}/assignments/{assignment.id}"
        f"/submissions/{student.id}"
    )
