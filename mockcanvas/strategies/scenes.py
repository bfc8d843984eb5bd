"""Minimal stores around drawn grade changes, so the real presenters can render them.

A presenter reads the store for what a payload mentions besides its own row (the root account of
Live Event metadata, a user's zone, a course's rights for linked objects). `World` builds exactly
that much: a root account, the course's account, and the users, courses, enrollments, assignments,
submissions and page views the caller adds, with names and times from the example's `Words`.
`Change` holds one coherent before/after pair of a submission's grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..grading import percent_string
from ..models import (
    Account,
    AccountAdmin,
    Assignment,
    Course,
    Enrollment,
    PageView,
    Score,
    Section,
    Submission,
    User,
)
from ..store import Store
from . import pins
from .values import (
    BOOLEANS,
    GRADABLE_TYPES,
    POINTS_POSSIBLE,
    Words,
    grade_of,
    sampled,
    scores,
    scores_other_than,
)

SUBMISSION_CHANGES = ("grade", "regrade", "excuse", "unexcuse", "clear")
"""What a grade change does to a submission; every one writes an audit row."""

POST = "post"
"""Posting a grade: a ``grade_change`` Live Event with the grade unchanged, and no audit row."""

OVERRIDE_SCORES = tuple(step / 2 for step in range(211))
"""Final grade override scores: percentages in halves, a little extra credit allowed."""


@dataclass(frozen=True, slots=True)
class Change:
    """One submission's grade before and after, as the write path would leave it."""

    kind: str
    score_before: float | None
    grade_before: str | None
    excused_before: bool
    score_after: float | None
    grade_after: str | None
    excused_after: bool

    @property
    def graded_after(self) -> bool:
        """``Submission#graded?`` afterwards: a grade, a score, or excused."""
        return self.excused_after or self.score_after is not None


UNGRADED = Change("none", None, None, False, None, None, False)
"""The state of a submission nobody has graded yet: where every history starts."""


def draw_change(
    draw, kind: str, grading_type: str, points: float, before: Change | None = None
) -> Change:
    """A change of ``kind``; ``before`` (the submission's last change) fixes the starting point.

    Every kind draws the same three choices (a starting score, whether an excused submission
    had a grade, a new score) and uses what it needs: kinds then differ by value, not by how many
    choices they take, so Hypothesis can shrink any of them to the plainest, a first grade.
    """
    drawn = draw(scores(grading_type, points))
    had_grade = draw(BOOLEANS)
    if before is not None:
        score0, grade0, excused0 = before.score_after, before.grade_after, before.excused_after
    elif kind in ("regrade", "clear", POST) or (kind == "excuse" and had_grade):
        score0, grade0, excused0 = drawn, grade_of(grading_type, drawn, points), False
    elif kind == "unexcuse":
        score0, grade0, excused0 = None, None, True
    else:
        score0, grade0, excused0 = None, None, False
    score1 = draw(scores_other_than(grading_type, points, grade0))
    if kind in ("grade", "regrade"):
        return Change(
            kind, score0, grade0, excused0, score1, grade_of(grading_type, score1, points), False
        )
    if kind == "excuse":
        return Change(kind, score0, grade0, excused0, None, None, True)
    if kind == POST:
        return Change(kind, score0, grade0, excused0, score0, grade0, excused0)
    return Change(kind, score0, grade0, excused0, None, None, False)  # clear, unexcuse


def next_kinds(last: Change | None) -> tuple[str, ...]:
    """The changes that can follow a submission's last one (the first: a grade or an excuse)."""
    if last is None or (last.score_after is None and not last.excused_after):
        return ("grade", "excuse")
    if last.excused_after:
        return ("unexcuse", "grade")
    return ("regrade", "excuse", "clear")


def override_grades(before: float | None, after: float | None) -> tuple[str | None, str | None]:
    """An override row's grades: the scores as percents (the mock stores no override grade)."""
    return (
        None if before is None else percent_string(before),
        None if after is None else percent_string(after),
    )


_MAYBE_OVERRIDE_SCORES = sampled((None, *OVERRIDE_SCORES))  # None first: no override yet
_NEW_OVERRIDE_SCORES = sampled((*OVERRIDE_SCORES, None))  # None last: removing one is rarer


def draw_override_scores(draw, old: float | object | None = pins.UNSET):
    """``(old, new)`` final grade override scores that differ; either may be None (no override).

    Always two choices, whatever is drawn, so shrinking moves values rather than structure.
    """
    drawn_old = draw(_MAYBE_OVERRIDE_SCORES)
    if not pins.is_set(old):
        old = drawn_old
    new = draw(_NEW_OVERRIDE_SCORES)
    if new == old or (new is None and old is None):  # the next score, rather than a filter
        new = OVERRIDE_SCORES[(OVERRIDE_SCORES.index(new or 0.0) + 1) % len(OVERRIDE_SCORES)]
    return old, new


_GRADING_TYPES = sampled(GRADABLE_TYPES)


def draw_assignment_kind(draw, grading_type=pins.UNSET, points_possible=pins.UNSET):
    """``(grading_type, points_possible)`` of a gradable assignment."""
    kind = pins.pick(draw, "grading_type", grading_type, _GRADING_TYPES, check_grading_type)
    points = pins.pick(
        draw, "points_possible", points_possible, sampled(POINTS_POSSIBLE[kind]), check_points
    )
    return kind, float(points)


def check_grading_type(name: str, value: object) -> None:
    pins.one_of(name, value, GRADABLE_TYPES)


def check_points(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 10_000:
        raise ValueError(f"{name} must be a number of points above 0 (up to 10000), not {value!r}")


class World:
    """A store holding just what the presenters of a few grade changes read."""

    def __init__(
        self,
        words: Words,
        *,
        root_account_id: int,
        account_id: int,
        default_time_zone: str,
        now: datetime,
    ) -> None:
        self.words = words
        self.now = now
        self.store = Store()
        school, self.host = words.school()
        root_uuid = words.canvas_uuid()
        self.root = self.store.add_account(
            Account(
                id=root_account_id,
                name=school,
                uuid=root_uuid,
                lti_guid=f"{root_uuid}:canvas-lms",
                default_time_zone=default_time_zone,
                created_at=self.before(now, 3000),
            )
        )
        self.account = self.root
        if account_id != root_account_id:
            sub_uuid = words.canvas_uuid()
            self.account = self.store.add_account(
                Account(
                    id=account_id,
                    name=f"{school} Online",
                    uuid=sub_uuid,
                    lti_guid=f"{sub_uuid}:canvas-lms",
                    default_time_zone=default_time_zone,
                    created_at=self.root.created_at,
                    parent_account_id=root_account_id,
                    root_account_id=root_account_id,
                )
            )

    def before(self, moment: datetime, max_days: int) -> datetime:
        """A whole-second time up to ``max_days`` before ``moment``."""
        seconds = self.words.rng.randrange(max_days * 86_400 + 1)
        return (moment - timedelta(seconds=seconds)).replace(microsecond=0)

    def user(self, user_id: int, *, time_zone: str | None = None) -> User:
        existing = self.store.users.get(user_id)
        if existing is not None:
            return existing
        words = self.words
        first, last = words.person()
        login = f"{first}.{last}{user_id}@{self.host.removeprefix('canvas.')}".lower()
        sis = words.sis_id("S")
        return self.store.add_user(
            User(
                id=user_id,
                name=f"{first} {last}",
                sortable_name=f"{last}, {first}",
                short_name=f"{first} {last}",
                login_id=login,
                email=login,
                created_at=self.before(self.now, 1500),
                time_zone=time_zone,
                sis_user_id=sis,
                integration_id=f"int-{words.hex(8)}" if sis and words.chance(0.3) else None,
            )
        )

    def admin(self, user: User) -> AccountAdmin:
        """Make ``user`` an admin of the root account who may read the grade change log."""
        return self.store.add_admin(
            AccountAdmin(
                id=self.store.new_id("account_users"),
                account_id=self.root.id,
                user_id=user.id,
            )
        )

    def course(self, course_id: int, *, allow_override: bool = True) -> Course:
        existing = self.store.courses.get(course_id)
        if existing is not None:
            return existing
        words = self.words
        name, code = words.course()
        created = self.before(self.now, 700)
        dated = words.chance(0.7)
        course = self.store.add_course(
            Course(
                id=course_id,
                account_id=self.account.id,
                root_account_id=self.root.id,
                name=name,
                course_code=code,
                uuid=words.canvas_uuid(),
                created_at=created,
                start_at=created + timedelta(days=words.rng.randint(1, 30)) if dated else None,
                end_at=created + timedelta(days=words.rng.randint(100, 200)) if dated else None,
                time_zone=words.choice(("America/Denver", "America/New_York", "UTC")),
                sis_course_id=words.sis_id("C"),
                allow_final_grade_override=allow_override,
                default_view=words.choice(("modules", "wiki", "syllabus", "assignments")),
            )
        )
        self.store.add_section(
            Section(
                id=self.store.new_id("course_sections"),
                course_id=course_id,
                name=f"{code} Section 001",
                created_at=created,
            )
        )
        return course

    def enroll(
        self, user: User, course: Course, kind: str, *, enrollment_id: int | None = None
    ) -> Enrollment:
        for enrollment in self.store.user_enrollments(user.id):
            if enrollment.course_id == course.id and enrollment.type == kind:
                return enrollment
        section = self.store.course_sections(course.id)[0]
        return self.store.add_enrollment(
            Enrollment(
                id=enrollment_id or self.store.new_id("enrollments"),
                user_id=user.id,
                course_id=course.id,
                section_id=section.id,
                root_account_id=self.root.id,
                type=kind,
                created_at=course.created_at,
                updated_at=course.created_at,
            )
        )

    def assignment(
        self,
        assignment_id: int,
        course: Course,
        grading_type: str,
        points_possible: float,
        *,
        quiz: bool = False,
        anonymous: bool = False,
        muted: bool = False,
    ) -> Assignment:
        existing = self.store.assignments.get(assignment_id)
        if existing is not None:
            return existing
        words = self.words
        created = self.before(self.now, 120)
        return self.store.add_assignment(
            Assignment(
                id=assignment_id,
                course_id=course.id,
                assignment_group_id=words.rng.randint(1, 9_999),
                name=words.assignment_name("quiz" if quiz else grading_type),
                points_possible=points_possible,
                grading_type=grading_type,
                created_at=created,
                updated_at=created,
                position=words.rng.randint(1, 20),
                submission_types=("online_quiz",) if quiz else ("online_text_entry",),
                due_at=created + timedelta(days=7) if words.chance(0.8) else None,
                description=None if quiz else "<p>Show your work.</p>",
                anonymous_grading=anonymous,
                post_manually=muted or anonymous,
                muted=muted,
                quiz_id=words.rng.randint(1, 99_999) if quiz else None,
                sis_assignment_id=words.sis_id("A"),
            )
        )

    def submission(
        self,
        submission_id: int,
        assignment: Assignment,
        student: User,
        change: Change,
        *,
        grader_id: int | None,
        posted: bool,
        when: datetime,
        version: int = 1,
    ) -> tuple[Submission, Submission]:
        """The submission before and after ``change``, the after one stored."""
        submitted = self.before(when, 10)
        before = Submission(
            id=submission_id,
            assignment_id=assignment.id,
            user_id=student.id,
            course_id=assignment.course_id,
            created_at=submitted,
            updated_at=submitted,
            workflow_state="graded" if change.score_before is not None else "submitted",
            score=change.score_before,
            grade=change.grade_before,
            excused=change.excused_before,
            posted_at=submitted if posted and change.kind != POST else None,
            submitted_at=submitted,
            submission_type=assignment.submission_types[0],
            version_number=max(version - 1, 0),
        )
        after = Submission(
            id=submission_id,
            assignment_id=assignment.id,
            user_id=student.id,
            course_id=assignment.course_id,
            created_at=submitted,
            updated_at=when,
            workflow_state="graded" if change.graded_after else "submitted",
            score=change.score_after,
            grade=change.grade_after,
            excused=change.excused_after,
            grader_id=grader_id,
            graded_at=when,
            posted_at=when if posted else None,
            submitted_at=submitted,
            submission_type=assignment.submission_types[0],
            version_number=version,
        )
        if self.store.submission_for(assignment.id, student.id) is None:
            self.store.add_submission(after)
        return before, after

    def page_view(self, request_id: str, user: User, course: Course, url: str, when: datetime):
        words = self.words
        return self.store.add_page_view(
            PageView(
                request_id=request_id,
                user_id=user.id,
                url=url,
                controller="submissions_api",
                action="update",
                http_method="PUT",
                context_type="Course",
                context_id=course.id,
                created_at=when,
                user_agent=words.user_agent(),
                remote_ip=words.ip(),
                interaction_seconds=round(words.rng.uniform(0.5, 60.0), 2),
                render_time=round(words.rng.uniform(0.02, 1.5), 3),
            )
        )

    def score(self, score_id: int, enrollment: Enrollment, *, created: datetime) -> Score:
        return self.store.add_score(
            Score(id=score_id, enrollment_id=enrollment.id, created_at=created, updated_at=created)
        )
