"""A test's handle on one mock Canvas: its URL and tokens, its world as objects, and its controls.

``MockCanvas`` wraps one app made by ``create_app``. Reads (the world, the Live Event inbox, the
clock) look at the instance directly; every write goes through the control API with the app's test
client, so a grade given here takes the same write path, with the same rights, audit rows and Live
Events, as one given by a client over HTTP. ``AppCache`` keeps one app per configuration and hands
it out in its seeded state: the pytest plugin (``mockcanvas.pytest_plugin``) is built on the two.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from . import ids, state
from .controls import Baseline, controls
from .events import EventBus, LiveEvent
from .http.cross_site import REQUEST_HEADER
from .instance import EXTENSION_KEY, Instance
from .live_server import HTTP_URL_WARNING
from .models import Assignment, Course, Score, Section, Submission, User
from .requests_routing import DEFAULT_BASE_URL, allow_base_url, normalize_base_url
from .sinks import registry_for, unsubscribe

__all__ = [
    "AppCache",
    "ClockControl",
    "Events",
    "Faults",
    "MockCanvas",
    "MockCanvasError",
    "World",
    "Written",
    "close_subscriptions",
    "scenario_kinds",
]

# The seeded world's user landmarks; its other landmarks say their kind in their names.
_SEEDED_USERS = frozenset(
    {
        "admin", "second_admin", "no_grade_log_admin", "teacher", "ta", "section_limited_ta",
        "other_teacher", "student", "student_no_sis", "completed_student",
        "deleted_enrollment_student", "deleted_user",
    }
)  # fmt: skip
_SUFFIX_KINDS = (
    (re.compile(r"(^|_)account$"), "accounts"),
    (re.compile(r"_course$"), "courses"),
    (re.compile(r"_assignment$"), "assignments"),
    (re.compile(r"_section_\d+$"), "sections"),
)


class MockCanvasError(Exception):
    """A control-API call the mock refused: its status and Canvas-shaped body."""

    def __init__(self, method: str, path: str, status: int, body: object) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {path} answered {status}: {body}")


def _ref(value: object, what: str) -> int:
    """An id from an entity or an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = getattr(value, "id", None)
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    raise TypeError(f"give a {what} or its id, not {value!r}")


def scenario_kinds(data: Mapping[str, Any]) -> dict[str, str]:
    """Which table each key of a scenario file names (its keys become landmarks)."""
    kinds = {"root_account": "accounts", "admin": "users"}
    for person in data.get("people", ()):
        kinds[person["key"]] = "users"
    for course in data.get("courses", ()):
        kinds[course["key"]] = "courses"
        for table in ("sections", "assignment_groups", "assignments"):
            for item in course.get(table) or ():
                if "key" in item:
                    kinds[item["key"]] = table
    return kinds


# -- the world -------------------------------------------------------------------------------


class World:
    """The store's records as the model objects, looked up fresh on each access (a reset swaps
    them). Every landmark is an attribute: ``world.student``, ``world.points_assignment``.

    The objects are the live records: read them, and change the world through the handle.
    """

    def __init__(self, store, kinds: Mapping[str, str] | None = None) -> None:
        self._store = store
        self._kinds = dict(kinds or {})

    # collections
    @property
    def courses(self) -> list[Course]:
        return [self._store.courses[i] for i in sorted(self._store.courses)]

    @property
    def users(self) -> list[User]:
        return [self._store.users[i] for i in sorted(self._store.users)]

    @property
    def landmarks(self) -> dict[str, int]:
        """Landmark name -> id."""
        return dict(self._store.landmarks)

    def _find(self, table: str, ref: object, what: str):
        if isinstance(ref, str):
            if ref not in self._store.landmarks:
                raise LookupError(f"no landmark {ref!r} in this world")
            ref = self._store.landmarks[ref]
        found = getattr(self._store, table).get(_ref(ref, what))
        if found is None:
            raise LookupError(f"no {what} {ref!r} in this world")
        return found

    def user(self, ref: object) -> User:
        """A user by object, id or landmark name."""
        return self._find("users", ref, "user")

    def course(self, ref: object) -> Course:
        return self._find("courses", ref, "course")

    def assignment(self, ref: object) -> Assignment:
        return self._find("assignments", ref, "assignment")

    def section(self, ref: object) -> Section:
        return self._find("sections", ref, "section")

    def _members(self, course: object, kind: str) -> list[User]:
        course_id = self.course(course).id
        seen: dict[int, User] = {}
        for enrollment in self._store.course_enrollments(course_id):
            if enrollment.type == kind and enrollment.workflow_state == "active":
                seen.setdefault(enrollment.user_id, self._store.users[enrollment.user_id])
        return list(seen.values())

    def students(self, course: object) -> list[User]:
        """The course's students with an active enrollment, in enrollment order."""
        return self._members(course, "StudentEnrollment")

    def teachers(self, course: object) -> list[User]:
        return self._members(course, "TeacherEnrollment")

    def tas(self, course: object) -> list[User]:
        return self._members(course, "TaEnrollment")

    def assignments(self, course: object) -> list[Assignment]:
        """The course's assignments that are not deleted, by position."""
        found = self._store.course_assignments(self.course(course).id)
        return sorted((a for a in found if a.active), key=lambda a: (a.position, a.id))

    def sections(self, course: object) -> list[Section]:
        return self._store.course_sections(self.course(course).id)

    def submission(self, student: object, assignment: object) -> Submission | None:
        return self._store.submission_for(_ref(assignment, "assignment"), _ref(student, "user"))

    def score(self, student: object, course: object) -> Score | None:
        """The student's course score row (current, final, override)."""
        course_id, user_id = _ref(course, "course"), _ref(student, "user")
        for enrollment in self._store.user_enrollments(user_id):
            if enrollment.course_id == course_id and enrollment.type == "StudentEnrollment":
                return self._store.course_score(enrollment.id)
        return None

    def _kind(self, name: str) -> str | None:
        if name in self._kinds:
            return self._kinds[name]
        if name in _SEEDED_USERS:
            return "users"
        for pattern, table in _SUFFIX_KINDS:
            if pattern.search(name):
                return table
        return None

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        store = self.__dict__["_store"]
        if name not in store.landmarks:
            raise AttributeError(
                f"the world has no landmark {name!r}; landmarks: {', '.join(store.landmarks)}"
            )
        table = self._kind(name)
        record = getattr(store, table).get(store.landmarks[name]) if table else None
        if record is None:
            if table and not store.landmarks[name]:
                return None  # a landmark this world lacks (a small world's section-limited TA)
            raise AttributeError(
                f"landmark {name!r} (id {store.landmarks[name]}) is not a record of a known kind:"
                f" use world.user({name!r}), world.course({name!r}) or world.assignment({name!r})"
            )
        return record

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._store.landmarks))


# -- the Live Events inbox -------------------------------------------------------------------


def _matches(actual: object, expected: object) -> bool:
    if callable(expected) and not isinstance(expected, type):
        return bool(expected(actual))
    if not isinstance(expected, str | int | float | bool | None | list | dict):
        expected = _ref(expected, "record")  # a model object: compare its id
    if isinstance(expected, int) and not isinstance(expected, bool) and isinstance(actual, str):
        # Live Events carry global ids as strings: "10000000000004" is user 4.
        return actual.isdigit() and ids.local_id(int(actual)) == ids.local_id(expected)
    return actual == expected


_MISSING = object()


def _shown(expected: object) -> str:
    """A wanted value as a failure message names it: a record as ``<User 4>``."""
    record_id = getattr(expected, "id", None)
    if isinstance(record_id, int) and not isinstance(expected, str | int | float | dict | list):
        return f"<{type(expected).__name__} {record_id}>"
    return repr(expected)


def _field(event: LiveEvent, key: str) -> object:
    """A body field, else a metadata field (``user_id`` is the body's: the student)."""
    for part in (event.payload.get("body") or {}, event.payload.get("metadata") or {}):
        if key in part:
            return part[key]
    return _MISSING


class Events:
    """The Live Events the mock emitted, oldest first: list, filter, and wait for one."""

    POLL_SECONDS = 0.01

    def __init__(self, inst: Instance) -> None:
        self._inst = inst

    def all(self, *, after: int | None = None) -> list[LiveEvent]:
        return self._inst.bus.inbox.select(after=after)

    def __iter__(self) -> Iterator[LiveEvent]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._inst.bus.inbox)

    def names(self, *, after: int | None = None) -> list[str]:
        return [event.name for event in self.all(after=after)]

    def mark(self) -> int:
        """The newest event's ``seq`` (0 when none): pass it as ``after=`` to see later ones
        (still right after older events are evicted past the inbox's capacity)."""
        return self._inst.bus.inbox.last_seq()

    def filter(
        self, name: str | None = None, *, after: int | None = None, **fields: object
    ) -> list[LiveEvent]:
        """Events named ``name`` whose body (else metadata) fields equal ``fields``.

        A field's value may be an id or a model object (matched against Canvas's global id
        strings), any other value (compared with ``==``) or a predicate ``lambda value: ...``.
        """
        named = self._inst.bus.inbox.select(names=() if name is None else (name,), after=after)
        return [
            event
            for event in named
            if all(
                (value := _field(event, key)) is not _MISSING and _matches(value, expected)
                for key, expected in fields.items()
            )
        ]

    def wait_for(
        self,
        name: str | None = None,
        *,
        timeout: float = 5.0,
        after: int | None = None,
        **fields: object,
    ) -> LiveEvent:
        """The first matching event, polling until one arrives; AssertionError after ``timeout``
        seconds, listing what did arrive."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.filter(name, after=after, **fields)
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                raise AssertionError(self._describe_miss(name, timeout, after, fields))
            time.sleep(self.POLL_SECONDS)

    def _describe_miss(self, name, timeout, after, fields) -> str:
        wanted = name or "event"
        if fields:
            wanted += " with " + ", ".join(f"{k}={_shown(v)}" for k, v in fields.items())
        arrived = self.all(after=after)
        lines = [f"no {wanted} arrived within {timeout} s; {len(arrived)} event(s) arrived"]
        inbox = self._inst.bus.inbox
        if inbox.floor > (after or 0):
            # The inbox keeps its newest ``capacity`` events: a match may have come and gone.
            lines.append(
                f"  ({inbox.evicted} older event(s) were evicted past the inbox's capacity of "
                f"{inbox.capacity}, up to #{inbox.floor})"
            )
        shown = arrived[-20:]
        if len(arrived) > len(shown):
            lines.append(f"  ... {len(arrived) - len(shown)} earlier")
        for event in shown:
            values = ", ".join(
                f"{key}={'(absent)' if (v := _field(event, key)) is _MISSING else repr(v)}"
                for key in fields
            )
            lines.append(f"  #{event.seq} {event.name}" + (f": {values}" if values else ""))
        return "\n".join(lines)

    def clear(self) -> int:
        """Empty the inbox; returns how many events it held. Numbering goes on."""
        return self._inst.bus.inbox.clear()


# -- controls --------------------------------------------------------------------------------


class ClockControl:
    """The mock's clock: every timestamp it writes comes from here."""

    def __init__(self, canvas: MockCanvas) -> None:
        self._canvas = canvas

    def now(self) -> datetime:
        return self._canvas.instance.clock.now()

    @property
    def frozen(self) -> bool:
        return self._canvas.instance.clock.frozen

    def _change(self, body: dict) -> datetime:
        self._canvas.control("POST", "/_mockcanvas/clock", body)
        return self.now()

    def set(self, instant: datetime) -> datetime:
        """Move to ``instant`` (timezone-aware); returns the new now."""
        if not isinstance(instant, datetime) or instant.tzinfo is None:
            raise ValueError("give a timezone-aware datetime")
        return self._change({"set": state.iso_instant(instant)})

    def advance(self, seconds: float | timedelta) -> datetime:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        return self._change({"advance": seconds})

    def freeze(self) -> datetime:
        return self._change({"freeze": True})

    def unfreeze(self) -> datetime:
        return self._change({"unfreeze": True})


class Faults:
    """Faults on Canvas routes, in the control API's format (``POST /_mockcanvas/faults``)."""

    def __init__(self, canvas: MockCanvas) -> None:
        self._canvas = canvas

    def add(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> dict:
        """Add a fault: ``add(path="/api/v1/**", status=503, count=2)``; returns it with its id."""
        return self._canvas.control("POST", "/_mockcanvas/faults", {**(spec or {}), **fields})

    def all(self) -> list[dict]:
        return self._canvas.control("GET", "/_mockcanvas/faults")["faults"]

    def remove(self, fault: int | Mapping[str, Any]) -> None:
        fault_id = fault["id"] if isinstance(fault, Mapping) else fault
        self._canvas.control("DELETE", f"/_mockcanvas/faults/{fault_id}")

    def clear(self) -> int:
        return self._canvas.control("DELETE", "/_mockcanvas/faults")["deleted"]


@dataclass
class Written:
    """What a grading helper did: the submission or score now, the audit row's id (None when
    nothing changed), the Live Events it emitted, and the control API's answer."""

    submission: Submission | None
    score: Score | None
    grade_change_event_id: str | None
    events: list[LiveEvent] = field(default_factory=list)
    json: dict = field(default_factory=dict, repr=False)


# -- the handle ------------------------------------------------------------------------------


class MockCanvas:
    """One mock Canvas as a test sees it: where it answers, who may call, what it holds."""

    def __init__(
        self,
        app: Flask,
        base_url: str = DEFAULT_BASE_URL,
        *,
        requests_mock: object | None = None,
    ) -> None:
        self.app = app
        self.base_url = normalize_base_url(base_url)
        # The in-process fixture's responses.RequestsMock: add stubs for other hosts to it.
        self.requests_mock = requests_mock
        self.instance: Instance = app.extensions[EXTENSION_KEY]
        loaded = self.instance.settings.extra.get("scenario")
        kinds = scenario_kinds(loaded.data) if loaded is not None else None
        self.world = World(self.instance.store, kinds)
        self.events = Events(self.instance)
        self.clock = ClockControl(self)
        self.faults = Faults(self)
        self._client = app.test_client(use_cookies=False)
        allow_base_url(app, self.base_url)

    def __repr__(self) -> str:
        return f"<MockCanvas {self.base_url}>"

    @property
    def store(self):
        return self.instance.store

    def url(self, path: str = "/") -> str:
        """An absolute URL on this Canvas: ``canvas.url("/api/v1/courses/1")``."""
        return self.base_url + "/" + path.lstrip("/")

    # tokens
    @property
    def admin_token(self) -> str:
        return self.token_for(self.store.landmarks["admin"])

    def token_for(self, user: object) -> str:
        user_id = _ref(user, "user")
        token = self.store.token_for(user_id)
        if token is None:
            raise LookupError(f"user {user_id} has no access token in this world")
        return token

    def headers(self, user: object | None = None) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for ``user`` (default: the admin)."""
        token = self.admin_token if user is None else self.token_for(user)
        return {"Authorization": f"Bearer {token}"}

    # the control API
    def control(self, method: str, path: str, body: object = None) -> Any:
        """Call a ``/_mockcanvas/`` route in-process; its JSON answer, or MockCanvasError."""
        reply = self._client.open(
            path,
            method=method,
            json=body,
            base_url=self.base_url,
            # The header lets a body-less change through (cross_site.py); a body goes as JSON.
            headers={"User-Agent": "mockcanvas.testing", REQUEST_HEADER: "1"},
        )
        payload = reply.get_json(silent=True)
        if reply.status_code >= 400:
            raise MockCanvasError(method, path, reply.status_code, payload or reply.get_data(True))
        return payload

    # grading, through the one write path
    def _written(self, answer: dict, submission_key: tuple[int, int] | None) -> Written:
        seqs = {event["seq"] for event in answer["live_events"]}
        events = [e for e in self.events.all(after=min(seqs) - 1) if e.seq in seqs] if seqs else []
        submission = self.store.submission_for(*submission_key) if submission_key else None
        score = None
        if "score" in answer:
            score = self.store.scores.get(answer["score"]["id"])
        return Written(submission, score, answer["grade_change_event_id"], events, answer)

    def _grade(self, student, assignment, grader, **change) -> Written:
        found = self.world.assignment(_ref(assignment, "assignment"))
        body = {"course_id": found.course_id, "assignment_id": found.id}
        body["user_id"] = _ref(student, "user")
        if grader is not None:
            body["grader_id"] = _ref(grader, "user")
        answer = self.control("POST", "/_mockcanvas/grades", {**body, **change})
        return self._written(answer, (found.id, body["user_id"]))

    def grade(
        self, student: object, assignment: object, grade: str | float | None, *, grader=None
    ) -> Written:
        """Grade as the assignment's type reads it ("9", "85%", "B+", "complete"); ``None`` or
        ``""`` clears the grade. ``grader`` defaults to the course's first active teacher."""
        return self._grade(student, assignment, grader, posted_grade="" if grade is None else grade)

    def excuse(
        self, student: object, assignment: object, excused: bool = True, *, grader=None
    ) -> Written:
        return self._grade(student, assignment, grader, excuse=excused)

    def override(
        self, student: object, course: object, score: float | None, *, grader=None
    ) -> Written:
        """Set (or with ``None`` clear) the student's final grade override score."""
        body: dict[str, object] = {
            "course_id": _ref(course, "course"),
            "user_id": _ref(student, "user"),
            "override_score": score,
        }
        if grader is not None:
            body["grader_id"] = _ref(grader, "user")
        return self._written(self.control("POST", "/_mockcanvas/overrides", body), None)

    def post_grades(self, assignment: object, *, grader=None) -> Written:
        """Post the assignment's graded, unposted grades (a manually posted assignment)."""
        found = self.world.assignment(_ref(assignment, "assignment"))
        body = {"course_id": found.course_id, "assignment_id": found.id}
        if grader is not None:
            body["grader_id"] = _ref(grader, "user")
        return self._written(self.control("POST", "/_mockcanvas/post_grades", body), None)

    def reset(self) -> float:
        """Back to the world's baseline, as ``POST /_mockcanvas/reset``; returns milliseconds."""
        return state.reset(self.instance)

    def close_subscriptions(self) -> int:
        """Close the Live Events subscriptions made on this canvas (the fixtures do, after each
        test); returns how many there were."""
        return close_subscriptions(self.instance)

    def canvasapi(self, user: object | None = None):
        """A ``canvasapi.Canvas`` for this URL, as ``user`` (default: the admin).

        canvasapi warns about http URLs; the live server is on loopback on purpose, so that one
        warning is silenced here.
        """
        from canvasapi import Canvas

        token = self.admin_token if user is None else self.token_for(user)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=HTTP_URL_WARNING, category=UserWarning)
            return Canvas(self.base_url, token)


# -- apps per configuration ------------------------------------------------------------------


@dataclass
class _Pristine:
    """What an app's seeded state was when built, to restore whatever a test changed."""

    app: Flask
    baseline: Baseline
    clock_start: datetime
    clock_frozen: bool


class AppCache:
    """One app per configuration (``create_app`` keyword arguments), handed out as seeded.

    ``fresh`` restores the baseline a test may have replaced (``PUT /state?baseline=true``),
    closes the subscriptions it made (the next test gets a new event bus, so subscription ids
    start at 1 again) and resets: the same bytes as a newly built app, in milliseconds.
    """

    def __init__(self, factory: Callable[..., Flask] | None = None) -> None:
        if factory is None:
            from .app import create_app

            factory = create_app
        self._factory: Callable[..., Flask] = factory
        self._apps: dict[tuple, _Pristine] = {}

    def fresh(self, **config: Any) -> Flask:
        key = tuple(sorted(config.items()))
        entry = self._apps.get(key)
        if entry is None:
            app = self._factory(**{k: v for k, v in config.items() if v is not None})
            ctl = controls(app.extensions[EXTENSION_KEY])
            entry = _Pristine(app, ctl.baseline(), ctl.clock_start, ctl.clock_frozen)
            self._apps[key] = entry
        inst: Instance = entry.app.extensions[EXTENSION_KEY]
        ctl = controls(inst)
        # Under the write lock, as every other change of the store: setting a baseline aside
        # undoes the journal in place, which a request still being served (a live server
        # outlives its tests) must not see half done.
        with inst.write_lock:
            if ctl.baseline() is not entry.baseline or ctl.clock_start != entry.clock_start:
                ctl.set_baseline(entry.baseline, entry.clock_start, entry.clock_frozen)
            close_subscriptions(inst)
            state.reset(inst)
        return entry.app

    def close(self) -> None:
        for entry in self._apps.values():
            close_subscriptions(entry.app.extensions[EXTENSION_KEY])
        self._apps.clear()


def close_subscriptions(inst: Instance, timeout: float = 0.0) -> int:
    """Close every Live Events subscription; if there were any, give the instance a new event bus
    (reset keeps subscriptions, a fresh server has none and numbers them from 1)."""
    subscriptions = registry_for(inst.bus).all()
    for subscription in subscriptions:
        unsubscribe(inst, subscription.id, timeout)
    if subscriptions:
        old = inst.bus
        inst.bus = EventBus(old.inbox.capacity)
        registry_for(inst.bus).defaults = registry_for(old).defaults
    return len(subscriptions)
