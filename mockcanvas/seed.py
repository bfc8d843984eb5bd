"""A seeded, realistic school with months of grading history, built straight into a store.

Everything comes from one ``random.Random(seed)`` and one seeded Faker, so a seed and a size give
the same world byte for byte. The audit history is simulated, not sampled: grading sessions run in
time order against each submission's state, so every row follows from the one before it and each
submission ends in the state of its last row. Notable entities are named in ``store.landmarks``.
"""

from __future__ import annotations

import gc
import random
import re
from bisect import bisect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from itertools import accumulate
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from faker import Faker

from . import clock, progress_bar
from .grading import LETTER_SCHEME, grade_for_score, percent_string
from .ids import (
    LOW_128,
    UUID_PAIR_CLEAR,
    UUID_PAIR_SET,
    seeded_hex,
    seeded_token,
    seeded_uuid_pair_bits,
)
from .models import (
    Account,
    AccountAdmin,
    Assignment,
    AssignmentGroup,
    Course,
    Enrollment,
    Score,
    Section,
    Submission,
    User,
)
from .progress_bar import ProgressBar
from .scoring import course_scores
from .store import Store

DAY = 86_400
HOUR = 3_600
_NEVER = 1 << 62  # a leave or deletion time that never comes
_UNKNOWN: Any = object()  # Any: dict.get(key, _UNKNOWN) keeps the values' type


@dataclass(frozen=True)
class WorldSize:
    """How big a seeded world is.

    ``events`` is the target number of audit rows, met to within a few rows as long as it exceeds
    what the first marking of every past assignment writes (about ``grading_share`` of all
    submissions); regrades, late grades, excusing and quiz retakes make up the rest.
    """

    courses: int
    students_per_course: int
    assignments_per_course: int
    events: int
    history_days: int = 120  # the audit history covers this many days before "now"
    page_view_share: float = 0.7  # share of audit rows whose request left a stored page view
    grading_share: float = 0.85  # share of students a teacher grades when marking an assignment

    def __post_init__(self) -> None:
        if self.courses < 3:
            raise ValueError("a world needs at least 3 courses (override, no-override, other)")
        if self.students_per_course < 8:
            raise ValueError("a world needs at least 8 students per course")
        if self.assignments_per_course < 3:
            raise ValueError("a world needs at least 3 assignments per course")
        if self.events < 0 or self.history_days < 60:
            raise ValueError("events must be >= 0 and history_days >= 60")


SIZES: dict[str, WorldSize] = {
    "small": WorldSize(courses=4, students_per_course=12, assignments_per_course=7, events=420),
    "medium": WorldSize(
        courses=12, students_per_course=40, assignments_per_course=12, events=10_000
    ),
    "large": WorldSize(
        courses=40, students_per_course=60, assignments_per_course=20, events=100_000
    ),
    "huge": WorldSize(
        courses=120, students_per_course=80, assignments_per_course=25, events=1_000_000
    ),
}

# -- fixed vocabulary --------------------------------------------------------------------------

_USER_TIME_ZONES = (
    None,
    None,
    None,
    "America/New_York",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
    "Australia/Adelaide",
)
_COURSE_TIME_ZONES = ("America/Denver", "America/Denver", "America/New_York", "America/Chicago")
_SUBJECTS = (
    ("Biology", "BIO"),
    ("Chemistry", "CHEM"),
    ("Psychology", "PSY"),
    ("World History", "HIST"),
    ("Calculus", "MATH"),
    ("English Composition", "ENGL"),
    ("Microeconomics", "ECON"),
    ("Physics", "PHYS"),
    ("Sociology", "SOC"),
    ("Computer Science", "CS"),
    ("Philosophy", "PHIL"),
    ("Statistics", "STAT"),
    ("Art History", "ARTH"),
    ("Spanish", "SPAN"),
    ("Political Science", "POLS"),
    ("Astronomy", "ASTR"),
)
_LEVELS = ((101, "Introduction to {}"), (201, "{} II"), (301, "Topics in {}"), (410, "Advanced {}"))
_COLLEGES = ("Arts and Sciences", "Engineering", "Business", "Education", "Health Sciences")
_GROUPS = ("Assignments", "Quizzes", "Exams")
_GROUP_WEIGHTS = (40.0, 25.0, 35.0)
_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 CanvasStudent/7.12",
)
# grading type -> (name stem, assignment group index, points possible choices)
_KINDS: dict[str, tuple[str, int, tuple[float, ...]]] = {
    "points": ("Homework", 0, (10.0, 20.0, 25.0, 50.0)),
    "quiz": ("Quiz", 1, (10.0, 15.0, 20.0)),
    "percent": ("Essay", 0, (100.0,)),
    "letter_grade": ("Project", 2, (50.0, 100.0)),
    "pass_fail": ("Reading Response", 0, (1.0, 5.0)),
    "gpa_scale": ("Exam", 2, (100.0,)),
}
_OTHER_KINDS = ("points", "quiz", "percent", "letter_grade", "points", "pass_fail", "gpa_scale")
# The override course's named assignments: landmark, kind, name, points, due (share of history).
_OVERRIDE_ASSIGNMENTS = (
    ("deleted_assignment", "points", "Syllabus Acknowledgement", 5.0, 0.08),
    ("points_changed_assignment", "points", "Lab Report 1", 10.0, 0.16),
    ("points_assignment", "points", "Homework 1", 20.0, 0.22),
    ("quiz_assignment", "quiz", "Quiz 1", 15.0, 0.30),
    ("percent_assignment", "percent", "Essay Draft", 100.0, 0.38),
    ("letter_grade_assignment", "letter_grade", "Project Proposal", 50.0, 0.46),
    ("anonymous_assignment", "points", "Peer-Reviewed Essay", 30.0, 0.54),
    ("pass_fail_assignment", "pass_fail", "Reading Response 1", 5.0, 0.62),
    ("gpa_scale_assignment", "gpa_scale", "Midterm Exam", 100.0, 0.70),
)

# Session kinds, in the order they are handled.
_PASS, _QUIZ, _FILL, _OVERRIDE, _RESCALE, _UNEXCUSE = range(6)
_GRADE, _EXCUSE = 0, 1


@dataclass(slots=True, eq=False)
class _AssignmentPlan:
    assignment: Assignment
    kind: str
    points: float
    due: int
    subs: list[Submission] = field(default_factory=list)
    deleted_at: int = _NEVER
    opened: bool = False
    url: str = ""
    controller: str = "gradebooks"
    action: str = "update_submission"
    # Read for every row: kept here rather than looked up on the assignment each time.
    assignment_id: int = 0
    kind_type: str = "points"  # the assignment's grading type
    anonymous: bool = False
    autograder: int = 0  # a quiz's grader id on its submissions: minus the quiz id
    grades: dict[float | None, str | None] = field(default_factory=dict)  # score -> grade
    rescaled: bool = False  # its points possible change during the history


@dataclass(slots=True, eq=False)
class _CoursePlan:
    course: Course
    sections: list[Section]
    teacher: User
    ta: User
    section_ta: User | None
    roster: list[User]
    section1: int  # roster[:section1] is in the first section
    leave_at: list[int]
    ability: list[float]
    forced: set[int]  # roster positions always graded when an assignment is marked
    enrollments: list[Enrollment] = field(default_factory=list)
    assignments: list[_AssignmentPlan] = field(default_factory=list)
    opened: list[_AssignmentPlan] = field(default_factory=list)
    override_score: list[float | None] = field(default_factory=list)
    override_grade: list[str | None] = field(default_factory=list)
    keep_override: set[int] = field(default_factory=set)
    last_touch: list[int] = field(default_factory=list)
    first_pass: int = _NEVER
    deleting: bool = False  # an assignment of the course is deleted during the history
    allows_override: bool = False
    graphql_url: str = "/api/graphql"
    course_id: int = 0
    account_id: int = 0


def build_world(
    seed: int = 1,
    size: WorldSize | str = "small",
    *,
    now: datetime = clock.DEFAULT_NOW,
    admin_token: str | None = None,
    progress: ProgressBar | None = None,
) -> Store:
    """A store holding a whole seeded school, its grading history ending just before ``now``.

    ``admin_token`` replaces the token of the "admin" landmark; nothing else changes with it.
    ``progress`` is told the audit rows written so far (by default, the bar of
    ``progress_bar.showing()`` when the caller turned one on).
    """
    name = size if isinstance(size, str) else "custom"
    if isinstance(size, str):
        if size not in SIZES:
            raise ValueError(f"unknown world size {size!r}; known: {', '.join(SIZES)}")
        size = SIZES[size]
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    # A world is millions of small objects and no cycles: the cyclic collector would rescan them
    # over and over while they are made (a quarter of the time of a large build).
    if progress is None:
        progress = progress_bar.current(f"seeding the {name} world", size.events)
    collecting = gc.isenabled()
    gc.disable()
    store = None
    try:
        builder = _WorldBuilder(seed, size, now.astimezone(UTC), admin_token)
        builder.progress = progress
        store = builder.build()
        return store
    finally:
        if collecting:
            gc.enable()
        if progress is not None:
            progress.close(len(store.grade_changes) if store is not None else None)


_dt: Callable[[int], datetime] = partial(datetime.fromtimestamp, tz=UTC)  # epoch -> UTC


def _weighted_names(fake: Faker, attribute: str, fallback: Callable[[], str]) -> Callable[[], str]:
    """Faker's ``first_name``/``last_name``: the same draw from the same generator, without
    summing the weights of a thousand names on every call (a quarter of a large build's users)."""
    provider = fake.provider("faker.providers.person")
    elements = getattr(provider, attribute, None)
    if not isinstance(elements, OrderedDict) or not getattr(provider, "__use_weighting__", False):
        return fallback
    names = tuple(elements)
    cumulative = list(accumulate(elements.values()))
    total, last = cumulative[-1] + 0.0, len(names) - 1
    draw = fake.random.random

    def name() -> str:  # random.choices(names, weights, k=1), as Faker calls it
        return names[bisect(cumulative, draw() * total, 0, last)]

    return name


def _randint(rng: random.Random, low: int, high: int) -> Callable[[], int]:
    """``rng.randint(low, high)`` as one call: the same draws CPython makes (getrandbits of the
    width's bit length until below the width), without its three Python frames per number."""
    width = high - low + 1
    bits = width.bit_length()
    getrandbits = rng.getrandbits

    def draw() -> int:
        r = getrandbits(bits)
        while r >= width:
            r = getrandbits(bits)
        return low + r

    return draw


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class _WorldBuilder:
    """One build: the generators, the store being filled and the plans the history runs on."""

    def __init__(self, seed: int, size: WorldSize, now: datetime, admin_token: str | None):
        self.size = size
        self.progress: ProgressBar | None = None
        self.rng = random.Random(seed)
        self.regrade_steps = _randint(self.rng, 1, 3)
        self.positions: dict[int, Callable[[], int]] = {}  # a first student below a bound
        self.morning = _randint(self.rng, 0, 4 * HOUR - 1)  # a time in the first grading hours
        self.before_due = _randint(self.rng, 0, 3 * DAY - 1)  # when a submission came in
        self.grade_tables: dict[tuple[str, float], dict[float | None, str | None]] = {}
        self.step = _randint(self.rng, 1, 2)  # set for the history's pace in _run_history
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.first_name = _weighted_names(self.fake, "first_names", self.fake.first_name)
        self.last_name = _weighted_names(self.fake, "last_names", self.fake.last_name)
        self.store = Store()
        self.admin_token = admin_token
        self.now = int(now.timestamp())
        self.end = self.now - 600
        self.span = size.history_days * DAY
        self.start = self.now - self.span
        self.domain = "example.edu"
        self.log = self.store.grade_changes
        self.page_views = self.store.page_views
        self.requests = self.page_views.requests  # each user's browser and address, routes
        self.page_view_share = size.page_view_share
        self.add_row, self.derive = self.log.add, self.page_views.derive  # once per row
        self.page_views.reserve(int(size.events * size.page_view_share * 1.1))
        self.courses: list[_CoursePlan] = []
        self.pinned: set[int] = set()  # submission ids only scripted sessions may change
        self.sessions: list[tuple[int, int, int, tuple]] = []
        # Per submission id: when its first and last rows were written, and at what points.
        self.first_row: list[int] = []
        self.last_row: list[int] = []
        self.last_points: list[float | None] = []
        self.root_id = 0
        self.account_id = 0

    # -- the build, in order -----------------------------------------------------------------

    def build(self) -> Store:
        self._accounts()
        pool = self._student_pool()
        for index in range(self.size.courses):
            self._course(index, pool)
        count = max(self.store.submissions, default=0) + 1
        self.first_row = [0] * count
        self.last_row = [0] * count
        self.last_points = [None] * count
        self._schedule()
        self._run_history()
        self._finish()
        return self.store

    # -- people and places -------------------------------------------------------------------

    def _accounts(self) -> None:
        rng, fake, store = self.rng, self.fake, self.store
        city = fake.city()
        style = rng.randrange(3)
        if style == 0:
            name = f"University of {city}"
        elif style == 1:
            name = f"{city} State University"
        else:
            name = f"{fake.last_name()} University"
        self.domain = f"{_slug(name.replace('University', ''))}.example.edu"
        created = _dt(self.start - 3 * 365 * DAY)
        root_uuid = self._canvas_uuid()
        root = store.add_account(
            Account(
                id=store.new_id("accounts"),
                name=name,
                uuid=root_uuid,
                lti_guid=f"{root_uuid}:canvas-lms",
                default_time_zone="America/Denver",
                created_at=created,
            )
        )
        sub_uuid = self._canvas_uuid()
        sub = store.add_account(
            Account(
                id=store.new_id("accounts"),
                name=f"College of {rng.choice(_COLLEGES)}",
                uuid=sub_uuid,
                lti_guid=f"{sub_uuid}:canvas-lms",
                default_time_zone="America/Denver",
                created_at=created + timedelta(days=2),
                parent_account_id=root.id,
                root_account_id=root.id,
                sis_account_id=f"SIS-A-{seeded_hex(rng, 6)}",
            )
        )
        self.root_id, self.account_id = root.id, sub.id
        store.landmarks["root_account"] = root.id
        store.landmarks["sub_account"] = sub.id
        for landmark, role, view in (
            ("admin", "AccountAdmin", True),
            ("second_admin", "AccountAdmin", True),
            ("no_grade_log_admin", "AccountMembership", False),
        ):
            user = self._user(sis=False, token=self.admin_token if landmark == "admin" else None)
            store.add_admin(
                AccountAdmin(
                    id=store.new_id("account_users"),
                    account_id=root.id,
                    user_id=user.id,
                    role=role,
                    view_grade_changes=view,
                )
            )
            store.landmarks[landmark] = user.id

    def _canvas_uuid(self) -> str:
        """Canvas's 40-character account and course uuids (letters and digits)."""
        return seeded_token(self.rng)[-40:]

    def _user(
        self, *, sis: bool | None = None, token: str | None = None, created: int | None = None
    ) -> User:
        rng, store = self.rng, self.store
        user_id = store.new_id("users")
        first, last = self.first_name(), self.last_name()
        email = f"{_slug(first)}.{_slug(last)}{user_id}@{self.domain}"
        if sis is None:
            sis = rng.random() < 0.6
        integration = f"INT-{seeded_hex(rng, 8)}" if sis and rng.random() < 0.5 else None
        when = created if created is not None else self.start - rng.randint(30, 900) * DAY
        user = User(
            id=user_id,
            name=f"{first} {last}",
            sortable_name=f"{last}, {first}",
            short_name=f"{first} {last}",
            login_id=email,
            email=email,
            created_at=_dt(when),
            time_zone=rng.choice(_USER_TIME_ZONES),
            sis_user_id=f"SIS-U-{user_id:05d}" if sis else None,
            integration_id=integration,
        )
        drawn = seeded_token(rng)  # always drawn, so a given admin token changes nothing else
        store.add_user(user, token=token or drawn)
        agent = rng.choice(_USER_AGENTS)
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        self.requests.users[user_id] = (agent, address)
        return user

    def _student_pool(self) -> list[User]:
        """Students shared between courses: each is in about one and a half courses."""
        size = self.size
        count = max(size.students_per_course, -(-size.courses * size.students_per_course * 2 // 3))
        pool = [self._user(sis=True), self._user(sis=False)]
        pool += [self._user() for _ in range(count - 2)]
        self.store.landmarks["student"] = pool[0].id
        self.store.landmarks["student_no_sis"] = pool[1].id
        return pool

    def _course(self, index: int, pool: list[User]) -> None:
        rng, store, size = self.rng, self.store, self.size
        course_id = store.new_id("courses")
        subject, prefix = rng.choice(_SUBJECTS)
        level, pattern = rng.choice(_LEVELS)
        created = self.start - rng.randint(20, 40) * DAY
        dated = index == 0 or rng.random() < 0.7
        course = store.add_course(
            Course(
                id=course_id,
                account_id=self.account_id,
                root_account_id=self.root_id,
                name=pattern.format(subject),
                course_code=f"{prefix} {level}",
                uuid=self._canvas_uuid(),
                created_at=_dt(created),
                start_at=_dt(self.start - rng.randint(3, 10) * DAY) if dated else None,
                end_at=_dt(self.now + rng.randint(20, 50) * DAY) if dated else None,
                time_zone=rng.choice(_COURSE_TIME_ZONES),
                sis_course_id=f"SIS-C-{course_id:04d}" if index < 3 or rng.random() < 0.6 else None,
                integration_id=f"INT-C-{seeded_hex(rng, 6)}" if rng.random() < 0.3 else None,
                allow_final_grade_override=index == 0 or (index > 2 and rng.random() < 0.35),
                apply_assignment_group_weights=index == 2,
                default_view=rng.choice(("modules", "wiki", "syllabus")),
            )
        )
        sections = [
            store.add_section(
                Section(
                    id=store.new_id("course_sections"),
                    course_id=course_id,
                    name=f"{course.course_code} Section {number:03d}",
                    created_at=_dt(created),
                    sis_section_id=f"SIS-S-{course_id:04d}-{number}"
                    if course.sis_course_id
                    else None,
                )
            )
            for number in (1, 2)
        ]
        staff_created = created - 400 * DAY
        teacher = self._user(created=staff_created)
        ta = self._user(created=staff_created)
        section_ta = self._user(created=staff_created) if index == 0 else None

        # The roster, first section first. The override course holds the named students.
        leave = self.start + self.span // 2
        special: list[tuple[str, User, int]] = []
        if index == 0:
            regular = rng.sample(pool[2:], size.students_per_course - 5)
            half = len(regular) // 2
            completed, dropped, deleted = (self._user() for _ in range(3))
            deleted.workflow_state = "deleted"
            first = [pool[0], *regular[:half], completed]
            second = [pool[1], *regular[half:], dropped, deleted]
            special = [("completed", completed, leave), ("deleted", dropped, leave)]
            special.append(("deleted", deleted, leave))
            store.landmarks["completed_student"] = completed.id
            store.landmarks["deleted_enrollment_student"] = dropped.id
            store.landmarks["deleted_user"] = deleted.id
        else:
            picked = rng.sample(pool[1:], size.students_per_course - (index == 2))
            if index == 2:
                picked.insert(0, pool[0])  # the named student also studies elsewhere
            half = (len(picked) + 1) // 2
            first, second = picked[:half], picked[half:]
        roster = first + second
        leave_at = [_NEVER] * len(roster)
        states = ["active"] * len(roster)
        for state, user, when in special:
            position = roster.index(user)
            leave_at[position], states[position] = when, state
        plan = _CoursePlan(
            course=course,
            sections=sections,
            teacher=teacher,
            ta=ta,
            section_ta=section_ta,
            roster=roster,
            section1=len(first),
            leave_at=leave_at,
            ability=[rng.uniform(0.55, 0.98) for _ in roster],
            forced={roster.index(u) for u in (pool[0], pool[1], *(s[1] for s in special))}
            if index == 0
            else set(),
            allows_override=course.allow_final_grade_override or index == 1,
            course_id=course_id,
            account_id=course.account_id,
        )
        self.requests.override_routes[course_id] = (
            "POST", plan.graphql_url, "graphql", "execute", False,
        )  # fmt: skip
        plan.override_score = [None] * len(roster)
        plan.override_grade = [None] * len(roster)
        plan.last_touch = [0] * len(roster)
        if index == 0:
            plan.keep_override = {0}

        enrolled = _dt(created + 5 * DAY)
        for user, enrollment_type, section, limited in (
            (teacher, "TeacherEnrollment", sections[0], False),
            (ta, "TaEnrollment", sections[0], False),
            *(((section_ta, "TaEnrollment", sections[0], True),) if section_ta else ()),
        ):
            store.add_enrollment(
                Enrollment(
                    id=store.new_id("enrollments"),
                    user_id=user.id,
                    course_id=course_id,
                    section_id=section.id,
                    root_account_id=self.root_id,
                    type=enrollment_type,
                    created_at=enrolled,
                    updated_at=enrolled,
                    limit_privileges_to_course_section=limited,
                )
            )
        for position, user in enumerate(roster):
            changed = _dt(leave_at[position]) if leave_at[position] != _NEVER else enrolled
            plan.enrollments.append(
                store.add_enrollment(
                    Enrollment(
                        id=store.new_id("enrollments"),
                        user_id=user.id,
                        course_id=course_id,
                        section_id=sections[0 if position < plan.section1 else 1].id,
                        root_account_id=self.root_id,
                        type="StudentEnrollment",
                        created_at=enrolled,
                        updated_at=changed,
                        workflow_state=states[position],
                    )
                )
            )

        groups = [
            store.add_assignment_group(
                AssignmentGroup(
                    id=store.new_id("assignment_groups"),
                    course_id=course_id,
                    name=name,
                    position=number + 1,
                    group_weight=weight,
                )
            )
            for number, (name, weight) in enumerate(zip(_GROUPS, _GROUP_WEIGHTS, strict=True))
        ]
        self._assignments(plan, index, groups)
        self.courses.append(plan)
        if index == 0:
            for landmark, entity in (("override_course", course), ("teacher", teacher), ("ta", ta)):
                store.landmarks[landmark] = entity.id
            store.landmarks["section_limited_ta"] = section_ta.id if section_ta else 0
            store.landmarks["override_section_1"] = sections[0].id
            store.landmarks["override_section_2"] = sections[1].id
        elif index == 1:
            store.landmarks["no_override_course"] = course_id
        elif index == 2:
            store.landmarks["weighted_course"] = course_id
            store.landmarks["other_teacher"] = teacher.id

    def _assignments(self, plan: _CoursePlan, index: int, groups: list[AssignmentGroup]) -> None:
        rng, size = self.rng, self.size
        specs: list[tuple[str | None, str, str | None, float | None, int]] = []
        kinds: tuple[str, ...]
        if index == 0:
            specs.extend(
                (landmark, kind, name, points, self.start + int(share * self.span))
                for landmark, kind, name, points, share in _OVERRIDE_ASSIGNMENTS
            )
            extra = max(0, size.assignments_per_course - len(specs))
            first_share, kinds = 0.74, ("points", "percent", "quiz")
        else:
            extra, first_share, kinds = size.assignments_per_course, 0.06, _OTHER_KINDS
        for number in range(extra):
            kind = kinds[number % len(kinds)]
            if kind == "gpa_scale" and index % 2:
                kind = "points"
            last = number == extra - 1 and extra >= 3
            share = first_share + (0.97 - first_share) * number / max(1, extra - 1)
            due = (
                self.now + rng.randint(3, 10) * DAY if last else self.start + int(share * self.span)
            )
            specs.append((None, kind, None, None, due))
        counters: dict[str, int] = {}
        course = plan.course
        zone = ZoneInfo(course.time_zone)
        for position, (landmark, kind, name, points, due_day) in enumerate(specs, start=1):
            stem, group, choices = _KINDS[kind]
            if name is None:  # numbered after the override course's named "... 1" assignments
                counters[stem] = counters.get(stem, 1 if index == 0 else 0) + 1
                name = f"{stem} {counters[stem]}"
            if points is None:
                points = rng.choice(choices)
            local_day = datetime.fromtimestamp(due_day, zone).date()
            due_at = datetime.combine(local_day, time(23, 59), tzinfo=zone).astimezone(UTC)
            created = course.created_at + timedelta(days=rng.randint(1, 10))
            assignment_id = self.store.new_id("assignments")
            quiz_id = self.store.new_id("quizzes") if kind == "quiz" else None
            anonymous = landmark == "anonymous_assignment"
            assignment = self.store.add_assignment(
                Assignment(
                    id=assignment_id,
                    course_id=course.id,
                    assignment_group_id=groups[group].id,
                    name=name,
                    points_possible=points,
                    grading_type="points" if kind == "quiz" else kind,
                    created_at=created,
                    updated_at=created,
                    position=position,
                    submission_types=("online_quiz",) if kind == "quiz" else ("online_text_entry",),
                    due_at=due_at,
                    description=f"<p>{self.fake.sentence(nb_words=10)}</p>",
                    anonymous_grading=anonymous,
                    post_manually=anonymous,
                    muted=anonymous,
                    quiz_id=quiz_id,
                    sis_assignment_id=f"SIS-AS-{assignment_id:05d}"
                    if course.sis_course_id
                    else None,
                )
            )
            ap = _AssignmentPlan(assignment, kind, points, int(due_at.timestamp()))
            if kind == "quiz":
                ap.url = f"/courses/{course.id}/quizzes/{quiz_id}/submissions"
                ap.controller, ap.action = "quizzes/quiz_submissions", "create"
            else:
                ap.url = f"/courses/{course.id}/gradebook/update_submission"
            ap.assignment_id, ap.kind_type = assignment_id, assignment.grading_type
            ap.grades = self._grades(ap.kind_type, points)
            ap.anonymous, ap.autograder = anonymous, -(quiz_id or 0)
            self.requests.assignment_routes[assignment_id] = (
                "POST", ap.url, ap.controller, ap.action, kind == "quiz",
            )  # fmt: skip
            if landmark == "deleted_assignment":
                ap.deleted_at = self.start + self.span // 2
                plan.deleting = True
            for user in plan.roster:
                ap.subs.append(
                    self.store.add_submission(
                        Submission(
                            id=self.store.new_id("submissions"),
                            assignment_id=assignment_id,
                            user_id=user.id,
                            course_id=course.id,
                            created_at=created,
                            updated_at=created,
                        )
                    )
                )
            plan.assignments.append(ap)
            if landmark:
                self.store.landmarks[landmark] = assignment_id

    def _grades(self, grading_type: str, points: float) -> dict[float | None, str | None]:
        """The grades of scores at these points, shared by the assignments alike (each grade of
        a few hundred is made once, not once per assignment)."""
        return self.grade_tables.setdefault((grading_type, points), {})

    # -- the plan of the history -------------------------------------------------------------

    def _daytime(self, moment: int) -> int:
        """Moves a moment out of the North American night (05:00-14:00 UTC)."""
        of_day = moment % DAY
        if 5 * HOUR <= of_day < 14 * HOUR:
            moment += 14 * HOUR - of_day + self.morning()
        return min(moment, self.end)

    def _add(self, when: int, kind: int, payload: tuple) -> None:
        self.sessions.append((when, len(self.sessions), kind, payload))

    def _schedule(self) -> int:
        """Plans every grading session; returns the number of rows planned."""
        rng, size = self.rng, self.size
        planned = 0
        for index, plan in enumerate(self.courses):
            for ap in plan.assignments:
                if ap.due < self.end:
                    planned += self._schedule_marking(plan, ap)
            if index == 0:
                planned += self._schedule_override_course(plan)
            if plan.allows_override:
                shares: tuple[float, ...] = (
                    (0.2, 0.4) if index == 1 else (0.55, 0.75, 0.92) if index == 0 else ()
                )
                if not shares:
                    shares = (rng.uniform(0.6, 0.95),)
                for share in shares:
                    jitter = rng.randrange(-6 * HOUR, 6 * HOUR)
                    when = self._daytime(self.start + int(share * self.span) + jitter)
                    chosen = [
                        p
                        for p in range(len(plan.roster))
                        if plan.leave_at[p] > when and (p == 0 or rng.random() < 0.5)
                    ]
                    self._add(when, _OVERRIDE, (plan, chosen))
                    planned += len(chosen)
        # Regrades, late grading, excusing and retakes fill the rest of the target.
        remaining = max(0, size.events - planned)
        weights = [
            len(p.roster) * len(p.assignments) * (2 if i == 0 else 1)
            for i, p in enumerate(self.courses)
        ]
        total = sum(weights)
        session_size = _randint(rng, 1, 6)
        for plan, weight in zip(self.courses, weights, strict=True):
            share = remaining * weight // total
            moment = _randint(rng, min(plan.first_pass + HOUR, self.end), self.end)
            while share > 0:
                k = min(share, session_size())
                share -= k
                self._add(self._daytime(moment()), _FILL, (plan, k))
        self.sessions.sort(key=itemgetter(0))  # stable: ties stay in the order they were added
        return planned

    def _schedule_marking(self, plan: _CoursePlan, ap: _AssignmentPlan) -> int:
        """The first marking of an assignment after its due date: one session per section."""
        rng, share = self.rng, self.size.grading_share
        rows = 0
        if ap.kind == "quiz":  # graded automatically as each student finishes
            before_due = _randint(rng, 0, 4 * DAY - 1)
            for p, sub in enumerate(ap.subs):
                when = max(self.start, ap.due - before_due())
                if plan.leave_at[p] > when and (p in plan.forced or rng.random() < share):
                    self._add(when, _QUIZ, (plan, ap, p))
                    plan.first_pass = min(plan.first_pass, when)
                    rows += 1
                else:
                    sub.missing = True
            return rows
        marked = self._daytime(ap.due + rng.randint(DAY, 6 * DAY))
        staff = [plan.teacher, plan.teacher, plan.ta]
        first_staff = [*staff, plan.section_ta] if plan.section_ta else staff
        landmarks = self.store.landmarks
        excused_pins: set[int] = set()
        if ap.assignment.id == landmarks.get("points_assignment"):
            excused_pins = {1, plan.section1 + 1}
        for number, positions in enumerate(
            (range(plan.section1), range(plan.section1, len(plan.roster)))
        ):
            grader = rng.choice(first_staff if number == 0 else staff)
            if number == 0 and ap.assignment.id == landmarks.get("percent_assignment"):
                grader = plan.section_ta or grader
            when = marked if number == 0 else self._daytime(marked + rng.randint(HOUR, 2 * DAY))
            if when >= self.end:
                continue
            items: list[tuple[int, int]] = []
            everyone = ap.assignment.id == landmarks.get("points_changed_assignment")
            for p in positions:
                sub = ap.subs[p]
                if plan.leave_at[p] <= when:
                    continue
                graded = everyone or p in plan.forced or p in excused_pins or rng.random() < share
                submitted = rng.random() < (0.97 if graded else 0.5)
                if submitted:
                    sub.workflow_state = "submitted"
                    sub.submitted_at = _dt(ap.due - self.before_due())
                    sub.submission_type = "online_text_entry"
                    sub.attempt = 1
                else:
                    sub.missing = True
                if not graded:
                    continue
                if p in excused_pins:
                    items.append((p, _EXCUSE))
                    self.pinned.add(sub.id)
                elif p not in plan.forced and rng.random() < 0.03:
                    items.append((p, _EXCUSE))
                else:
                    items.append((p, _GRADE))
            if items:
                self._add(when, _PASS, (plan, ap, grader, items))
                plan.first_pass = min(plan.first_pass, when)
                rows += len(items)
        if excused_pins:  # one of the two excused students gets a grade after all
            self._add(self._daytime(marked + 9 * DAY), _UNEXCUSE, (plan, ap, 1, plan.teacher))
            rows += 1
        return rows

    def _schedule_override_course(self, plan: _CoursePlan) -> int:
        """The override course's scripted change: points possible doubled, then the curve."""
        changed_id = self.store.landmarks["points_changed_assignment"]
        changed = next(ap for ap in plan.assignments if ap.assignment.id == changed_id)
        changed.rescaled = True
        self.pinned.add(changed.subs[0].id)
        when = self._daytime(self.start + int(0.40 * self.span) + self.rng.randrange(6 * HOUR))
        self._add(when, _RESCALE, (plan, changed, changed.points * 2))
        return sum(1 for p in range(len(plan.roster)) if plan.leave_at[p] > when)

    # -- running the history -----------------------------------------------------------------

    def _run_history(self) -> None:
        rng = self.rng
        gap = max(2, min(60, self.span // max(1, self.size.events) // 3))
        self.step = _randint(rng, 1, 2 * gap)  # the seconds between two grades of a session
        cursor = self.start
        end = self.end
        progress, log = self.progress, self.log
        for number, (start, _order, kind, payload) in enumerate(self.sessions):
            if progress is not None and not number & 1023:
                progress.update(len(log))
            t = start if start > cursor else cursor
            if kind == _FILL:
                t = self._fill(payload[0], payload[1], t)
            elif kind == _PASS:
                plan, ap, grader, items = payload
                if not ap.opened:
                    ap.opened = True
                    plan.opened.append(ap)
                first = True
                for p, action in items:
                    if not first:
                        t = min(end, t + (0 if rng.random() < 0.06 else self.step()))
                    first = False
                    sub = ap.subs[p]  # a revisit may have reached it before this section
                    if action == _EXCUSE:
                        self._write(plan, ap, p, t, grader.id, None, True)
                    else:
                        old = None if sub.excused else sub.score
                        score = self._new_score(ap, plan.ability[p], old)
                        self._write(plan, ap, p, t, grader.id, score, False)
            elif kind == _QUIZ:
                plan, ap, p = payload
                if not ap.opened:
                    ap.opened = True
                    plan.opened.append(ap)
                score = self._new_score(ap, plan.ability[p], ap.subs[p].score)
                self._write(plan, ap, p, t, None, score, False)
            elif kind == _OVERRIDE:
                plan, chosen = payload
                for number, p in enumerate(chosen):
                    if number:
                        t = min(end, t + rng.randint(3, 2 * gap + 3))
                    self._override(plan, p, t)
            elif kind == _RESCALE:
                plan, ap, points = payload
                factor = points / ap.points
                ap.points = points
                ap.grades = self._grades(ap.kind_type, points)
                ap.assignment.points_possible = points
                ap.assignment.updated_at = _dt(t)
                for p, sub in enumerate(ap.subs):  # a bulk update: all in the same second
                    if plan.leave_at[p] > t and not sub.excused and sub.score:
                        self._write(plan, ap, p, t, plan.teacher.id, sub.score * factor, False)
            else:  # _UNEXCUSE
                plan, ap, p, grader = payload
                if ap.subs[p].excused:
                    score = self._new_score(ap, plan.ability[p], None)
                    self._write(plan, ap, p, t, grader.id, score, False)
            cursor = t

    def _fill(self, plan: _CoursePlan, k: int, t: int) -> int:
        """A grader revisits an assignment: late grades, regrades, excusing, quiz retakes."""
        rng = self.rng
        opened = plan.opened
        if plan.deleting:  # an assignment deleted during the history is not revisited after
            opened = [ap for ap in opened if ap.deleted_at > t]
        if not opened:
            return t
        # Recent assignments are revisited more often than old ones.
        ap = opened[len(opened) - 1 - int(len(opened) * rng.random() ** 2)]
        quiz = ap.kind == "quiz"
        roster = len(plan.roster)
        low, high = 0, roster  # the students looked at: all, or the grader's section
        grader: int | None = None
        if not quiz:
            who = rng.random()
            if who < 0.55:
                grader = plan.teacher.id
            elif who < 0.85 or plan.section_ta is None:
                grader = plan.ta.id
            else:
                grader = plan.section_ta.id
                high = plan.section1
        position = self.positions.get(high)
        if position is None:  # rng.randrange(0, high), one per roster size
            position = self.positions[high] = _randint(rng, 0, high - 1)
        p = position()
        written = 0
        pinned, leave_at, subs = self.pinned, plan.leave_at, ap.subs
        random, step, end = rng.random, self.step, self.end
        for _ in range(high - low):
            sub = subs[p]
            if leave_at[p] > t and sub.id not in pinned:
                if written:
                    t = min(end, t + (0 if random() < 0.06 else step()))
                excused = not quiz and sub.score is not None and random() < 0.05
                if excused:
                    score = None
                else:  # an excused submission gets a fresh grade, others a changed one
                    old = None if sub.excused else sub.score
                    score = self._new_score(ap, plan.ability[p], old)
                self._write(plan, ap, p, t, grader, score, excused)
                written += 1
                if written == k:
                    break
            p = p + 1 if p + 1 < high else low
        return t

    def _new_score(self, ap: _AssignmentPlan, ability: float, old: float | None) -> float:
        """A first score from the student's ability, or a regrade that differs from ``old``."""
        rng, points = self.rng, ap.points
        if ap.kind == "pass_fail":
            if old is None:
                return points if rng.random() < ability + 0.1 else 0.0
            return 0.0 if old > 0 else points
        step = 0.5 if points <= 20 else 1.0
        if old is None or ap.kind == "quiz":
            share = min(1.0, max(0.0, ability + (rng.random() - 0.5) * 0.3))
            score = round(share * points / step) * step
            if score != old:
                return score
            old = score
        up_first = rng.random() < 0.6
        for delta in (step * self.regrade_steps(), step):
            up, down = old + delta, old - delta
            first, second = (up, down) if up_first else (down, up)
            if 0 <= first <= points:
                return first
            if 0 <= second <= points:
                return second
        return points if old != points else 0.0

    def _write(
        self,
        plan: _CoursePlan,
        ap: _AssignmentPlan,
        p: int,
        t: int,
        grader: int | None,
        score: float | None,
        excused: bool,
    ) -> None:
        """One audit row for a submission, and the submission moved to the row's state."""
        rng, sub = self.rng, ap.subs[p]
        sub_id, points = sub.id, ap.points
        grade: str | None
        if excused:
            grade = None
        else:  # an assignment has a few dozen distinct scores: each grade computed once
            grade = ap.grades.get(score, _UNKNOWN)
            if grade is _UNKNOWN:
                grade = ap.grades[score] = grade_for_score(ap.kind_type, score, points)
        if grade == sub.grade and score == sub.score and excused == sub.excused:
            return  # Canvas writes no row when nothing changed
        if ap.rescaled:  # points possible before: those of the submission's last row
            before = self.last_points[sub_id]
            self.last_points[sub_id] = points
            if before is None:
                before = points
        else:
            before = points
        ids = (rng.getrandbits(256) & UUID_PAIR_CLEAR) | UUID_PAIR_SET  # seeded_uuid_pair_bits
        request, uuid = ids & LOW_128, ids >> 128
        version = sub.version_number + 1
        anonymous = ap.anonymous
        row_id = self.add_row(
            t,
            self.root_id,
            plan.account_id,
            plan.course_id,
            ap.assignment_id,
            sub_id,
            sub.user_id,
            grader,
            sub.grade,
            grade,
            sub.excused,
            excused,
            anonymous,
            before,
            points,
            version,
            request,
            uuid,
            sub.score,
            score,
        )
        # The fields the history reads; _finish sets the rest from them.
        sub.score = score
        sub.grade = grade
        sub.excused = excused
        sub.version_number = version
        sub.grader_id = grader if grader is not None else ap.autograder
        if version == 1:  # the submission's first row
            self.first_row[sub_id] = t
        self.last_row[sub_id] = t
        plan.last_touch[p] = t
        if rng.random() < self.page_view_share:  # the request left a page view
            render_time = round(0.05 + rng.random() * 0.4, 3)
            self.derive(row_id, request, round(render_time * 1000))

    def _override(self, plan: _CoursePlan, p: int, t: int) -> None:
        """A teacher sets, changes or clears a student's final grade override."""
        rng = self.rng
        old_score, old_grade = plan.override_score[p], plan.override_grade[p]
        score: float | None
        grade: str | None
        if old_score is not None and p not in plan.keep_override and rng.random() < 0.15:
            score, grade = None, None
        elif rng.random() < 0.5:
            # A letter entered: its score is taken as the top of the letter's range (one whole
            # percent under the next cutoff), our unverified reading of Canvas's grade_to_score.
            place = rng.randrange(9)
            grade = LETTER_SCHEME[place][0]
            score = 100.0 if place == 0 else LETTER_SCHEME[place - 1][1] - 1.0
        else:
            score, grade = round(rng.uniform(62.0, 99.0) * 2) / 2, None
        if score == old_score and grade == old_grade:
            score, grade = (old_score or 80.0) + 0.5, None
        request, uuid = seeded_uuid_pair_bits(rng)
        row_id = self.add_row(
            t,
            self.root_id,
            plan.account_id,
            plan.course_id,
            None,
            None,
            plan.roster[p].id,
            plan.teacher.id,
            _override_text(old_grade, old_score),
            _override_text(grade, score),
            False,
            False,
            False,
            None,
            None,
            0,
            request,
            uuid,
            old_score,
            score,
            override=True,
        )
        plan.override_score[p], plan.override_grade[p] = score, grade
        plan.last_touch[p] = t
        if rng.random() < self.page_view_share:
            self._page_view(row_id, request)

    def _page_view(self, row_id: int, request: int) -> None:
        """The row's request left a page view: kept as the row's facts and a render time."""
        render_time = round(0.05 + self.rng.random() * 0.4, 3)
        self.page_views.derive(row_id, request, round(render_time * 1000))

    # -- the state after the history ---------------------------------------------------------

    def _finish(self) -> None:
        store = self.store
        for index, plan in enumerate(self.courses):
            course = plan.course
            for ap in plan.assignments:
                assignment = ap.assignment
                if ap.deleted_at != _NEVER:
                    assignment.workflow_state = "deleted"
                    assignment.updated_at = _dt(ap.deleted_at)
                first_row, last_row = self.first_row, self.last_row
                anonymous, muted, quiz = (
                    assignment.anonymous_grading,
                    assignment.muted,
                    ap.kind == "quiz",
                )
                for sub in ap.subs:
                    last = last_row[sub.id]
                    if not last:
                        continue
                    sub.entered_score, sub.entered_grade = sub.score, sub.grade
                    sub.workflow_state = "graded"
                    sub.graded_anonymously = anonymous
                    sub.graded_at = sub.updated_at = _dt(last)
                    sub.missing = False
                    first = _dt(first_row[sub.id])  # one datetime for both: they never change
                    if not muted:
                        sub.posted_at = first
                    if quiz:
                        sub.submitted_at = first
                        sub.submission_type = "online_quiz"
                        sub.attempt = sub.version_number
            if index == 1:  # overrides were allowed once; the course has since turned them off
                course.allow_final_grade_override = False
            keep_overrides = course.allow_final_grade_override
            for p, enrollment in enumerate(plan.enrollments):
                scores = course_scores(store, course.id, enrollment.user_id)
                touched = plan.last_touch[p]
                store.add_score(
                    Score(
                        id=store.new_id("scores"),
                        enrollment_id=enrollment.id,
                        created_at=enrollment.created_at,
                        updated_at=_dt(touched) if touched else enrollment.created_at,
                        current_score=scores.current_score,
                        final_score=scores.final_score,
                        unposted_current_score=scores.unposted_current_score,
                        unposted_final_score=scores.unposted_final_score,
                        override_score=plan.override_score[p] if keep_overrides else None,
                        override_grade=plan.override_grade[p] if keep_overrides else None,
                        workflow_state="deleted"
                        if enrollment.workflow_state == "deleted"
                        else "active",
                    )
                )


def _override_text(grade: str | None, score: float | None) -> str | None:
    """An override as its audit row shows it: the grade, else the score as a percent."""
    if grade:
        return grade
    return percent_string(score) if score is not None else None
