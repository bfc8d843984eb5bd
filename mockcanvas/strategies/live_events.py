"""Strategies for Canvas Live Events: ``grade_change``, ``course_grade_change``, ``grade_override``.

Each payload is ``{"metadata": ..., "body": ...}`` rendered by ``presenters.live_events`` from a
minimal store: the metadata in its request form (the acting user and the request) or its job form
(``job_id``/``job_tag``, from bulk grading or posting), the body from drawn model objects. Ids
follow Canvas: global id strings in metadata and in ``grade_change`` bodies, local id strings in
``course_grade_change`` and ``grade_override`` bodies. ``event_time`` is UTC with milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hypothesis import strategies as st

from ..ids import global_id
from ..models import Course
from ..presenters import live_events as presenters
from ..services.context import RequestContext
from ..services.progress import BULK_UPDATE_JOB_TAG, JOB_REQUEST_ID, POST_GRADES_JOB_TAG
from . import pins
from .pins import UNSET
from .scenes import (
    POST,
    SUBMISSION_CHANGES,
    World,
    check_grading_type,
    check_points,
    draw_assignment_kind,
    draw_change,
    draw_override_scores,
)
from .values import (
    EVENT_INSTANTS,
    LOCAL_IDS,
    MOSTLY,
    MOSTLY_NOT,
    SEEDS,
    TIME_ZONE_NAMES,
    Words,
    other_id,
    sampled,
)

EVENT_NAMES = ("grade_change", "course_grade_change", "grade_override")
GRADE_CHANGES = (*SUBMISSION_CHANGES, POST)
"""What a ``grade_change`` event reports: a submission change, or posting a grade (``post``)."""

ROLES = ("TeacherEnrollment", "TaEnrollment", None)
"""The acting grader's role in the course; None is an account admin without an enrollment."""

_SCORE_HUNDREDTHS = st.integers(0, 11_000).map(lambda n: n / 100)
_SUB_ACCOUNTS = (0, 0, 1, 2, 17, 120)  # 0: the course sits in the root account itself
_ROLES = sampled(ROLES)
_EVENT_NAMES = sampled(EVENT_NAMES)
_GRADE_CHANGES = sampled(GRADE_CHANGES)
_AUTOMATIC_CHANGES = sampled(("grade", "regrade"))


def _event_name(name: str, value: object) -> None:
    pins.one_of(name, value, EVENT_NAMES)


def _grade_change_kind(name: str, value: object) -> None:
    pins.one_of(name, value, GRADE_CHANGES)


def _role(name: str, value: object) -> None:
    pins.one_of(name, value, (*ROLES, "StudentEnrollment"))


@dataclass
class Scene:
    """What one event's metadata is made from: the store, the course, the actor, the request."""

    words: Words
    world: World
    course: Course
    ctx: RequestContext
    now: datetime


@dataclass
class Envelope:
    """The metadata pins of one strategy call, checked once."""

    course_id: object = UNSET
    user_id: object = UNSET
    root_account_id: object = UNSET
    job: object = UNSET
    context_role: object = UNSET
    event_time: object = UNSET
    time_zone: object = UNSET
    bare: bool = False  # a body alone: skip what only the metadata would show

    def __post_init__(self) -> None:
        pins.checked("course_id", self.course_id, pins.local_id)
        pins.checked("user_id", self.user_id, pins.local_id)
        pins.checked("root_account_id", self.root_account_id, pins.local_id)
        pins.checked("job", self.job, pins.boolean)
        pins.checked("context_role", self.context_role, _role)
        pins.checked("event_time", self.event_time, pins.aware)
        pins.checked("time_zone", self.time_zone, pins.zone_name)


def _scene(
    draw,
    env: Envelope,
    *,
    actor: int | None = None,
    role: str | object | None = UNSET,
    job: bool | object = UNSET,
    job_tag: str = BULK_UPDATE_JOB_TAG,
    http_method: str = "PUT",
    path: str = "/api/v1/courses/{course}",
) -> Scene:
    """Draw the store, course, acting user and request (or job) of one event.

    ``actor``/``role``/``job`` let an event decide who acts (a student whose quiz graded itself
    acts in a request, never in a job); the envelope's pins still win where they are given.
    """
    words = Words(draw(SEEDS))
    if env.bare:
        root_id = 1
    else:
        root_id = pins.pick(draw, "root_account_id", env.root_account_id, LOCAL_IDS, pins.local_id)
    now = pins.pick(draw, "event_time", env.event_time, EVENT_INSTANTS, pins.aware)
    world = World(
        words,
        root_account_id=root_id,
        account_id=root_id + words.choice(_SUB_ACCOUNTS),
        default_time_zone="America/Denver",
        now=now,
    )
    course = world.course(pins.pick(draw, "course_id", env.course_id, LOCAL_IDS, pins.local_id))
    if env.bare:
        user = world.user(actor if actor is not None else draw(LOCAL_IDS))
        world.enroll(user, course, role if isinstance(role, str) else "TeacherEnrollment")
        ctx = RequestContext(request_id=words.uuid(), user=user)
        return Scene(words, world, course, ctx, now)
    # The job flag, actor, zone and role are always drawn, even where the event decides them,
    # so every form takes the same choices and shrinks to the plainest: a teacher's request.
    drawn_job = draw(MOSTLY_NOT)
    drawn_actor = draw(LOCAL_IDS)
    zone = pins.pick(draw, "time_zone", env.time_zone, TIME_ZONE_NAMES, pins.zone_name)
    drawn_role = draw(_ROLES)
    if pins.is_set(env.job):
        job = pins.given(draw, "job", env.job, pins.boolean)
    elif not pins.is_set(job):
        job = drawn_job
    if pins.is_set(env.user_id):
        actor = pins.given(draw, "user_id", env.user_id, pins.local_id)
    elif actor is None:
        actor = drawn_actor
    user = world.user(actor, time_zone=zone)
    if pins.is_set(env.context_role):
        role = pins.given(draw, "context_role", env.context_role, _role)
    elif not pins.is_set(role):
        role = drawn_role
    if role is None:
        world.admin(user)
    else:
        world.enroll(user, course, role)  # type: ignore[arg-type]
    if job:
        ctx = RequestContext(
            request_id=JOB_REQUEST_ID,
            user=user,
            job_id=str(global_id(words.big_id())),
            job_tag=job_tag,
        )
        return Scene(words, world, course, ctx, now)
    real_user = None
    if words.chance(0.05):  # an admin masquerading as the actor
        real_id = words.big_id()
        while real_id in world.store.users:
            real_id += 1
        real_user = world.user(real_id)
        world.admin(real_user)
    base = f"https://{world.host}"
    ctx = RequestContext(
        request_id=words.uuid(),
        user=user,
        session_id=words.hex(32) if words.chance(0.8) else None,
        hostname=world.host,
        http_method=http_method,
        user_agent=words.user_agent(),
        client_ip=words.ip(),
        url=base + path.format(course=course.id),
        referrer=f"{base}/courses/{course.id}/gradebook" if words.chance(0.5) else None,
        real_user=real_user,
    )
    return Scene(words, world, course, ctx, now)


def _metadata(scene: Scene, name: str) -> dict:
    return presenters.metadata(scene.world.store, scene.ctx, scene.course, name, scene.now)


def _finish(draw, payload: dict, part: str, name: str, merge) -> dict:
    if part == "body":
        return pins.apply_merge(draw, payload["body"], merge, f"live_event_{name}.json#/$defs/body")
    return pins.apply_merge(draw, payload, merge, f"live_event_{name}")


def _not_self(student: int, grader: int | None) -> None:
    if student == grader:
        raise ValueError(f"a student does not grade their own work: both are {student}")


def _student_and_grader(draw, student_id, grader_id) -> tuple[int, int]:
    """The student and the acting grader, never the same user."""
    student = pins.pick(draw, "student_id", student_id, LOCAL_IDS, pins.local_id)
    grader = pins.pick(draw, "grader_id", grader_id, LOCAL_IDS, pins.local_id)
    if not pins.is_set(grader_id):
        grader = other_id(grader, student)
    _not_self(student, grader)
    return student, grader


# -- metadata alone ------------------------------------------------------------------------------


def live_event_metadata(
    *,
    event_name=UNSET,
    course_id=UNSET,
    user_id=UNSET,
    root_account_id=UNSET,
    job=UNSET,
    context_role=UNSET,
    event_time=UNSET,
    time_zone=UNSET,
    merge=None,
) -> st.SearchStrategy[dict]:
    """Live Event ``metadata`` alone (``live_event.json#/$defs/metadata``), either form.

    Fact pins: ``event_name``, ``course_id`` (``context_id``), ``user_id`` (the acting user),
    ``root_account_id``, ``job`` (True: the job form, False: the request form),
    ``context_role`` (``TeacherEnrollment``, ``TaEnrollment``, ``StudentEnrollment`` or None for
    an admin), ``event_time`` (aware datetime; printed in UTC with milliseconds) and
    ``time_zone`` (the acting user's zone).
    """
    env = Envelope(course_id, user_id, root_account_id, job, context_role, event_time, time_zone)
    pins.checked("event_name", event_name, _event_name)
    merge = pins.combine_merges(merge)

    @st.composite
    def build(draw) -> dict:
        name = pins.pick(draw, "event_name", event_name, _EVENT_NAMES, _event_name)
        scene = _scene(draw, env)
        return pins.apply_merge(
            draw, _metadata(scene, name), merge, "live_event.json#/$defs/metadata"
        )

    return pins.tagged(build(), "live_event.json#/$defs/metadata")


# -- grade_change --------------------------------------------------------------------------------


@dataclass
class GradeChangeFacts:
    assignment_id: object = UNSET
    student_id: object = UNSET
    grader_id: object = UNSET
    submission_id: object = UNSET
    change: object = UNSET
    grading_type: object = UNSET
    points_possible: object = UNSET
    posted: object = UNSET

    def __post_init__(self) -> None:
        pins.checked("assignment_id", self.assignment_id, pins.local_id)
        pins.checked("student_id", self.student_id, pins.local_id)
        pins.checked("grader_id", self.grader_id, lambda n, v: pins.local_id(n, v, nullable=True))
        pins.checked("submission_id", self.submission_id, pins.local_id)
        pins.checked("change", self.change, _grade_change_kind)
        pins.checked("grading_type", self.grading_type, check_grading_type)
        pins.checked("points_possible", self.points_possible, check_points)
        pins.checked("posted", self.posted, pins.boolean)
        if self.change == POST and self.posted is False:
            raise ValueError("a posting event leaves the grade posted: posted=False contradicts it")


def grade_change_scene(draw, env: Envelope, facts: GradeChangeFacts):
    """The scene, submission before and after, and assignment of one ``grade_change``."""
    student = pins.pick(draw, "student_id", facts.student_id, LOCAL_IDS, pins.local_id)
    grader = pins.pick(
        draw, "grader_id", facts.grader_id, LOCAL_IDS,
        lambda n, v: pins.local_id(n, v, nullable=True),
    )  # fmt: skip
    # A quiz graded itself: drawn always, for shrinking; only grades and regrades are automatic.
    automatic = draw(MOSTLY_NOT) and facts.change in (UNSET, "grade", "regrade")
    if not pins.is_set(facts.grader_id):
        grader = None if automatic else other_id(grader, student)
    _not_self(student, grader)
    kinds = _GRADE_CHANGES if grader is not None else _AUTOMATIC_CHANGES
    kind = pins.pick(draw, "change", facts.change, kinds, _grade_change_kind)
    automatic = grader is None
    assignment_id = pins.pick(draw, "assignment_id", facts.assignment_id, LOCAL_IDS, pins.local_id)
    if automatic:  # the student's own quiz submission graded it, in their request
        scene = _scene(
            draw, env, actor=student, role="StudentEnrollment", job=False, http_method="POST",
            path=f"/courses/{{course}}/quizzes/{assignment_id}/submissions",
        )  # fmt: skip
    elif kind == POST:  # posting runs as a job (the mock's PostAssignmentGrades does too)
        scene = _scene(
            draw, env, actor=grader, job_tag=POST_GRADES_JOB_TAG, http_method="POST",
            path="/api/graphql",
        )  # fmt: skip
    else:
        scene = _scene(
            draw, env, actor=grader,
            path=f"/api/v1/courses/{{course}}/assignments/{assignment_id}/submissions/{student}",
        )  # fmt: skip
    world = scene.world
    grading_type, points = draw_assignment_kind(draw, facts.grading_type, facts.points_possible)
    if automatic and not pins.is_set(facts.grading_type):
        grading_type = "points"  # a quiz's points; only ``points_possible`` stays as drawn
    change = draw_change(draw, kind, grading_type, points)
    posted = pins.pick(draw, "posted", facts.posted, MOSTLY, pins.boolean) or kind == POST
    assignment = world.assignment(
        assignment_id, scene.course, grading_type, points, quiz=automatic, muted=not posted
    )
    student_user = world.user(student)
    world.enroll(student_user, scene.course, "StudentEnrollment")
    submission_id = pins.pick(draw, "submission_id", facts.submission_id, LOCAL_IDS, pins.local_id)
    before, after = world.submission(
        submission_id, assignment, student_user, change,
        grader_id=grader, posted=posted, when=scene.now.replace(microsecond=0),
    )  # fmt: skip
    return scene, before, after, assignment


def grade_change_payload(draw, env: Envelope, facts: GradeChangeFacts) -> tuple[Scene, dict]:
    scene, before, after, assignment = grade_change_scene(draw, env, facts)
    body = presenters.grade_change_body(scene.world.store, after, before, assignment)
    return scene, {"metadata": _metadata(scene, "grade_change"), "body": body}


def _grade_change(part: str, env: Envelope, facts: GradeChangeFacts, merge) -> st.SearchStrategy:
    @st.composite
    def build(draw) -> dict:
        _, payload = grade_change_payload(draw, env, facts)
        return _finish(draw, payload, part, "grade_change", merge)

    return build()


def live_grade_change(
    *,
    course_id=UNSET,
    assignment_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    submission_id=UNSET,
    change=UNSET,
    grading_type=UNSET,
    points_possible=UNSET,
    posted=UNSET,
    root_account_id=UNSET,
    job=UNSET,
    event_time=UNSET,
    time_zone=UNSET,
    metadata=None,
    body=None,
    merge=None,
) -> st.SearchStrategy[dict]:
    """A ``grade_change`` Live Event (``live_event_grade_change.json``).

    Fact pins: ``course_id``, ``assignment_id``, ``student_id``, ``grader_id`` (local ids; None
    is an automatic quiz grade, sent in the student's own request), ``submission_id``,
    ``change`` (``grade``, ``regrade``, ``excuse``, ``unexcuse``, ``clear`` or ``post``: a grade
    posted unchanged), ``grading_type``, ``points_possible``, ``posted`` (False: the grade is not
    posted yet, ``muted: true``), ``root_account_id``, ``job`` (the job form of metadata),
    ``event_time`` and ``time_zone`` (the actor's). ``metadata=``/``body=`` merge exact JSON.
    """
    env = Envelope(course_id, UNSET, root_account_id, job, UNSET, event_time, time_zone)
    facts = GradeChangeFacts(
        assignment_id, student_id, grader_id, submission_id, change, grading_type,
        points_possible, posted,
    )  # fmt: skip
    merge = pins.combine_merges(merge, metadata=metadata, body=body)
    return pins.tagged(_grade_change("payload", env, facts, merge), "live_event_grade_change")


def live_grade_change_body(
    *,
    assignment_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    submission_id=UNSET,
    change=UNSET,
    grading_type=UNSET,
    points_possible=UNSET,
    posted=UNSET,
    merge=None,
) -> st.SearchStrategy[dict]:
    """The ``body`` of a ``grade_change`` event alone; pins as `live_grade_change`."""
    facts = GradeChangeFacts(
        assignment_id, student_id, grader_id, submission_id, change, grading_type,
        points_possible, posted,
    )  # fmt: skip
    merge = pins.combine_merges(merge)
    return pins.tagged(
        _grade_change("body", Envelope(bare=True), facts, merge),
        "live_event_grade_change.json#/$defs/body",
    )


# -- course_grade_change -------------------------------------------------------------------------


def _course_scores(draw, posted: bool) -> tuple[float, float, float, float]:
    """Four course scores (final counts missing work as zero, so it is at most current); with
    every grade posted the unposted scores equal the posted ones."""
    current, final = draw(_SCORE_HUNDREDTHS), draw(_SCORE_HUNDREDTHS)
    unposted_current, unposted_final = draw(_SCORE_HUNDREDTHS), draw(_SCORE_HUNDREDTHS)
    final = min(current, final)
    if posted:
        return current, final, current, final
    return current, final, unposted_current, min(unposted_current, unposted_final)


def _course_grade_change(
    part: str, env: Envelope, student_id, grader_id, score_id, posted, merge
) -> st.SearchStrategy:
    @st.composite
    def build(draw) -> dict:
        student, grader = _student_and_grader(draw, student_id, grader_id)
        scene = _scene(draw, env, actor=grader)
        world = scene.world
        all_posted = pins.pick(draw, "posted", posted, MOSTLY, pins.boolean)
        first = draw(MOSTLY_NOT)
        old: tuple[float | None, ...] = _course_scores(draw, all_posted)
        new = _course_scores(draw, all_posted)
        if first:
            old = (None,) * 4
        if new == old:
            new = (new[0] + 0.5, new[1], new[2] + 0.5, new[3])
        enrollment = world.enroll(world.user(student), scene.course, "StudentEnrollment")
        created = world.before(scene.now, 200) if not first else scene.now
        score = world.score(
            pins.pick(draw, "score_id", score_id, LOCAL_IDS, pins.local_id),
            enrollment,
            created=created.replace(microsecond=0),
        )
        names = ("current_score", "final_score", "unposted_current_score", "unposted_final_score")
        for name, value in zip(names, new, strict=True):
            setattr(score, name, value)
        score.updated_at = scene.now
        body = presenters.course_grade_change_body(
            score, dict(zip(names, old, strict=True)), enrollment
        )
        payload = {"metadata": _metadata(scene, "course_grade_change"), "body": body}
        return _finish(draw, payload, part, "course_grade_change", merge)

    return build()


def live_course_grade_change(
    *,
    course_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    score_id=UNSET,
    posted=UNSET,
    root_account_id=UNSET,
    job=UNSET,
    event_time=UNSET,
    time_zone=UNSET,
    metadata=None,
    body=None,
    merge=None,
) -> st.SearchStrategy[dict]:
    """A ``course_grade_change`` Live Event (``live_event_course_grade_change.json``).

    The body's ``user_id``/``course_id`` are local ids as strings; at least one of the four scores
    moved, and each ``old_*`` is its value before (all null the first time a student is scored).
    Fact pins: ``course_id``, ``student_id``, ``grader_id`` (the actor), ``score_id``, ``posted``
    (False: some grades are unposted, so unposted scores differ from posted ones),
    ``root_account_id``, ``job``, ``event_time``, ``time_zone``.
    """
    env = Envelope(course_id, UNSET, root_account_id, job, UNSET, event_time, time_zone)
    _check_people(student_id, grader_id, score_id, posted)
    merge = pins.combine_merges(merge, metadata=metadata, body=body)
    strategy = _course_grade_change("payload", env, student_id, grader_id, score_id, posted, merge)
    return pins.tagged(strategy, "live_event_course_grade_change")


def live_course_grade_change_body(
    *, course_id=UNSET, student_id=UNSET, score_id=UNSET, posted=UNSET, merge=None
) -> st.SearchStrategy[dict]:
    """The ``body`` of a ``course_grade_change`` event alone; pins as the whole event's."""
    env = Envelope(course_id=course_id, bare=True)
    _check_people(student_id, UNSET, score_id, posted)
    merge = pins.combine_merges(merge)
    strategy = _course_grade_change("body", env, student_id, UNSET, score_id, posted, merge)
    return pins.tagged(strategy, "live_event_course_grade_change.json#/$defs/body")


def _check_people(student_id, grader_id, score_id, posted) -> None:
    pins.checked("student_id", student_id, pins.local_id)
    pins.checked("grader_id", grader_id, pins.local_id)
    pins.checked("score_id", score_id, pins.local_id)
    pins.checked("posted", posted, pins.boolean)


# -- grade_override ------------------------------------------------------------------------------


def _grade_override(
    part: str, env: Envelope, student_id, grader_id, enrollment_id, score_id, grading_period_id,
    merge,
) -> st.SearchStrategy:  # fmt: skip
    @st.composite
    def build(draw) -> dict:
        student, grader = _student_and_grader(draw, student_id, grader_id)
        scene = _scene(draw, env, actor=grader, job=False, http_method="POST", path="/api/graphql")
        world = scene.world
        enrollment = world.enroll(
            world.user(student), scene.course, "StudentEnrollment",
            enrollment_id=pins.pick(
                draw, "enrollment_id", enrollment_id, LOCAL_IDS, pins.local_id
            ),
        )  # fmt: skip
        if pins.is_set(grading_period_id):
            period = pins.given(
                draw, "grading_period_id", grading_period_id,
                lambda n, v: pins.local_id(n, v, nullable=True),
            )  # fmt: skip
        else:
            has_period, period = draw(MOSTLY_NOT), draw(LOCAL_IDS)
            period = period if has_period else None
        created = world.before(scene.now, 200)
        score = world.score(
            pins.pick(draw, "score_id", score_id, LOCAL_IDS, pins.local_id),
            enrollment,
            created=created,
        )
        score.course_score = period is None
        score.grading_period_id = period
        old, new = draw_override_scores(draw)
        score.override_score = new
        score.updated_at = scene.now
        body = presenters.grade_override_body(score, old, enrollment, scene.now)
        payload = {"metadata": _metadata(scene, "grade_override"), "body": body}
        return _finish(draw, payload, part, "grade_override", merge)

    return build()


def live_grade_override(
    *,
    course_id=UNSET,
    student_id=UNSET,
    grader_id=UNSET,
    enrollment_id=UNSET,
    score_id=UNSET,
    grading_period_id=UNSET,
    root_account_id=UNSET,
    job=UNSET,
    event_time=UNSET,
    time_zone=UNSET,
    metadata=None,
    body=None,
    merge=None,
) -> st.SearchStrategy[dict]:
    """A ``grade_override`` Live Event (``live_event_grade_override.json``).

    The body's ids are local id strings; ``override_score`` differs from ``old_override_score``
    (either may be null: no override); ``updated_at`` is the event time. Canvas sends it from
    the request that set the override, so the metadata is in request form unless ``job=True``.
    Fact pins: ``course_id``, ``student_id``, ``grader_id`` (the actor), ``enrollment_id``,
    ``score_id``, ``grading_period_id`` (None: the course score), ``root_account_id``, ``job``,
    ``event_time``, ``time_zone``.
    """
    env = Envelope(course_id, UNSET, root_account_id, job, UNSET, event_time, time_zone)
    _check_override(student_id, grader_id, enrollment_id, score_id, grading_period_id)
    merge = pins.combine_merges(merge, metadata=metadata, body=body)
    strategy = _grade_override(
        "payload", env, student_id, grader_id, enrollment_id, score_id, grading_period_id, merge
    )
    return pins.tagged(strategy, "live_event_grade_override")


def live_grade_override_body(
    *,
    course_id=UNSET,
    student_id=UNSET,
    enrollment_id=UNSET,
    score_id=UNSET,
    grading_period_id=UNSET,
    event_time=UNSET,
    merge=None,
) -> st.SearchStrategy[dict]:
    """The ``body`` of a ``grade_override`` event alone; pins as the whole event's."""
    env = Envelope(course_id=course_id, event_time=event_time, bare=True)
    _check_override(student_id, UNSET, enrollment_id, score_id, grading_period_id)
    merge = pins.combine_merges(merge)
    strategy = _grade_override(
        "body", env, student_id, UNSET, enrollment_id, score_id, grading_period_id, merge
    )
    return pins.tagged(strategy, "live_event_grade_override.json#/$defs/body")


def _check_override(student_id, grader_id, enrollment_id, score_id, grading_period_id) -> None:
    pins.checked("student_id", student_id, pins.local_id)
    pins.checked("grader_id", grader_id, pins.local_id)
    pins.checked("enrollment_id", enrollment_id, pins.local_id)
    pins.checked("score_id", score_id, pins.local_id)
    pins.checked(
        "grading_period_id", grading_period_id, lambda n, v: pins.local_id(n, v, nullable=True)
    )


# -- any of them ---------------------------------------------------------------------------------


def _schema_by_name(payload: dict) -> str:
    return f"live_event_{payload['metadata']['event_name']}"


def live_event(*, course_id=UNSET, event_time=UNSET, job=UNSET) -> st.SearchStrategy[dict]:
    """Any of the three grade Live Events; ``course_id``, ``event_time`` and ``job`` pin all."""
    shared = {"course_id": course_id, "event_time": event_time, "job": job}
    strategy = st.one_of(
        live_grade_change(**shared),
        live_course_grade_change(**shared),
        live_grade_override(**shared),
    )
    return pins.tagged(strategy, _schema_by_name)
