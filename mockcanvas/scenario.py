"""Declarative worlds: a JSON (or TOML) file of people, courses, assignments and grade histories.

A scenario says who exists and what happened; loading it builds a store the way the running mock
would have built it. The history is replayed through the one grading write path
(``services/grading.py``), each entry at its own time on a private clock, so submissions, audit
rows, page views and course scores are exactly what the API would have produced. The Live Events
of that replay are thrown away: a freshly loaded scenario starts with an empty inbox, numbered
from 1.

Every key (person, course, section, assignment group, assignment) becomes a landmark, so tests find
records by key (``store.landmarks["alice"]``). Ids are handed out in file order and tokens, UUIDs
and request ids come from a generator seeded by the scenario's ``seed``, so a file builds the same
world every time. A bad file raises `ScenarioError`, naming the file and the JSON path of each
problem.
"""

from __future__ import annotations

import json
import os
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import schemas
from .clock import Clock
from .errors import BadRequest, NotFound, Unauthorized
from .grading import InvalidGrade, parse_posted_grade
from .ids import seeded_token, seeded_uuid
from .instance import Instance, Settings
from .models import (
    Account,
    AccountAdmin,
    Assignment,
    AssignmentGroup,
    Course,
    Enrollment,
    Score,
    Section,
    User,
)
from .resources import data_dir
from .schemas import Issue
from .scoring import course_scores
from .services import grading
from .services.context import RequestContext
from .store import Store

__all__ = ["ROLES", "Scenario", "ScenarioError", "bundled", "load", "resolve"]

SCHEMA = "scenario"
SUFFIXES = (".json", ".toml")
# Enrollment roles as a scenario names them -> Canvas's enrollment types.
ROLES = {
    "student": "StudentEnrollment",
    "teacher": "TeacherEnrollment",
    "ta": "TaEnrollment",
    "observer": "ObserverEnrollment",
    "designer": "DesignerEnrollment",
}
# Landmarks every scenario world has, whatever its keys.
RESERVED_KEYS = frozenset({"root_account"})
USER_AGENT = "mockcanvas-scenario"
REMOTE_IP = "127.0.0.1"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: the file and every problem as ``$.json.path: reason``."""

    def __init__(self, source: str, problems: list[Issue] | tuple[Issue, ...]) -> None:
        self.source = source
        self.problems = tuple(problems)
        if len(self.problems) == 1 and self.problems[0].path == "$":  # the file as a whole
            super().__init__(f"scenario {source}: {self.problems[0].message}")
            return
        listing = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"scenario {source} is invalid:\n{listing}")


# -- finding and reading -------------------------------------------------------------------------


def _scenario_dir() -> Path:
    return data_dir("fixtures") / "scenarios"


def bundled() -> list[str]:
    """The names of the scenarios shipped with mockcanvas (``fixtures/scenarios/``), sorted."""
    folder = _scenario_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SUFFIXES)


def resolve(spec: str | os.PathLike[str]) -> Path:
    """A scenario file: an existing path, else a bundled scenario of that name."""
    path = Path(spec)
    if path.is_file():
        return path
    name = str(spec)
    if "/" not in name and os.sep not in name:
        for suffix in ("", *SUFFIXES):
            candidate = _scenario_dir() / f"{name}{suffix}"
            if candidate.suffix in SUFFIXES and candidate.is_file():
                return candidate
    known = ", ".join(bundled()) or "none"
    raise ScenarioError(
        name, [Issue("$", f"no such file, and no bundled scenario of that name (bundled: {known})")]
    )


def _plain(value: Any) -> Any:
    """TOML values as JSON would have them: dates and times become ISO 8601 strings."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _read(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioError(str(path), [Issue("$", f"cannot read: {error.strerror}")]) from None
    try:
        if path.suffix == ".toml":
            return _plain(tomllib.loads(raw.decode("utf-8")))
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ScenarioError(str(path), [Issue("$", "not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(str(path), [Issue("$", f"not TOML: {error}")]) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise ScenarioError(str(path), [Issue("$", f"not JSON: {error.msg} ({where})")]) from None


def load(spec: str | os.PathLike[str] | Mapping[str, Any] | Scenario) -> Scenario:
    """A checked scenario from a file path, a bundled name or already-parsed data.

    Raises `ScenarioError` listing every problem the schema and the cross-references find.
    """
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, Mapping):
        source, data = "<data>", _plain(dict(spec))
    else:
        path = resolve(spec)
        source, data = str(path), _read(path)
    found = schemas.issues(SCHEMA, data)
    if not found:
        found = _Checker(data).problems()
    if found:
        raise ScenarioError(source, found)
    return Scenario(source=source, data=data)


# -- the checked scenario ----------------------------------------------------------------------


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class Scenario:
    """A scenario that passed its checks; ``build`` makes a fresh store from it, alike each time."""

    source: str
    data: dict = field(repr=False)

    @property
    def name(self) -> str:
        return Path(self.source).stem if self.source != "<data>" else "scenario"

    @property
    def now(self) -> datetime | None:
        """The clock start the scenario was written for (its ``now``), if it names one."""
        text = self.data.get("now")
        return _instant(text) if text else None

    def build(
        self, now: datetime, *, admin_token: str | None = None, validate_events: bool = False
    ) -> Store:
        """The world at ``now``: entities, then the history replayed, then the states of today.

        Raises `ScenarioError` when a history entry lies after ``now``.
        """
        return _Builder(self, now.astimezone(UTC), admin_token, validate_events).build()


# -- cross-reference checks ----------------------------------------------------------------------


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class _Checker:
    """What the schema cannot say: keys that exist, are unique, and grades that mean something."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.found: list[Issue] = []
        self.keys: dict[str, str] = {}  # key -> kind
        self.people: dict[str, dict] = {}
        self.courses: dict[str, dict] = {}
        self.assignments: dict[str, tuple[str, dict]] = {}  # key -> (course key, assignment)
        self.admins: set[str] = set()
        # (course key, person key) -> list of (role, section key, limited)
        self.roles: dict[tuple[str, str], list[tuple[str, str | None, bool]]] = {}

    def problem(self, path: str, message: str) -> None:
        self.found.append(Issue(path, message))

    def key(self, key: str, kind: str, path: str) -> None:
        if key in RESERVED_KEYS:
            self.problem(path, f"{key!r} is reserved (it names the root account)")
        elif key in self.keys:
            self.problem(path, f"duplicate key {key!r} (already a {self.keys[key]})")
        else:
            self.keys[key] = kind

    def problems(self) -> list[Issue]:
        data = self.data
        account = data.get("account", {})
        if "time_zone" in account and not _zone_ok(account["time_zone"]):
            self.problem("$.account.time_zone", f"unknown time zone {account['time_zone']!r}")
        tokens: dict[str, str] = {}
        for index, person in enumerate(data["people"]):
            path = f"$.people[{index}]"
            self.key(person["key"], "person", f"{path}.key")
            self.people.setdefault(person["key"], person)
            if "time_zone" in person and not _zone_ok(person["time_zone"]):
                self.problem(f"{path}.time_zone", f"unknown time zone {person['time_zone']!r}")
            token = person.get("token")
            if token is not None:
                if token in tokens:
                    self.problem(f"{path}.token", f"the same token as {tokens[token]!r}")
                tokens.setdefault(token, person["key"])
        for index, admin in enumerate(data["admins"]):
            path = f"$.admins[{index}].person"
            if self._person(admin["person"], path):
                if admin["person"] in self.admins:
                    self.problem(path, f"{admin['person']!r} is an admin twice")
                self.admins.add(admin["person"])
        if "admin" in self.keys and (self.keys["admin"] != "person" or "admin" not in self.admins):
            self.problem("$", "the key 'admin' must name a person who is one of the admins")
        for index, course in enumerate(data.get("courses", [])):
            self._course(course, f"$.courses[{index}]")
        for index, entry in enumerate(data.get("history", [])):
            self._entry(entry, f"$.history[{index}]")
        return self.found

    def _person(self, key: str, path: str) -> bool:
        if key not in self.people:
            self.problem(path, f"no person with key {key!r}")
            return False
        return True

    def _course(self, course: dict, path: str) -> None:
        key = course["key"]
        self.key(key, "course", f"{path}.key")
        self.courses.setdefault(key, course)
        if "time_zone" in course and not _zone_ok(course["time_zone"]):
            self.problem(f"{path}.time_zone", f"unknown time zone {course['time_zone']!r}")
        sections = set()
        for index, section in enumerate(course.get("sections", [])):
            self.key(section["key"], "section", f"{path}.sections[{index}].key")
            sections.add(section["key"])
        groups = set()
        for index, group in enumerate(course.get("assignment_groups", [])):
            self.key(group["key"], "assignment group", f"{path}.assignment_groups[{index}].key")
            groups.add(group["key"])
        seen: set[tuple[str, str, str | None]] = set()
        for index, enrollment in enumerate(course.get("enrollments", [])):
            where = f"{path}.enrollments[{index}]"
            person, role = enrollment["person"], enrollment["role"]
            section = enrollment.get("section")
            if not self._person(person, f"{where}.person"):
                continue
            if section is not None and section not in sections:
                self.problem(f"{where}.section", f"no section {section!r} in course {key!r}")
                continue
            if (person, role, section) in seen:
                self.problem(where, f"{person!r} is enrolled as {role} in that section twice")
            seen.add((person, role, section))
            limited = enrollment.get("limit_to_section", False)
            self.roles.setdefault((key, person), []).append((role, section, limited))
        for index, assignment in enumerate(course.get("assignments", [])):
            where = f"{path}.assignments[{index}]"
            self.key(assignment["key"], "assignment", f"{where}.key")
            self.assignments.setdefault(assignment["key"], (key, assignment))
            group = assignment.get("group")
            if group is not None and group not in groups:
                self.problem(f"{where}.group", f"no assignment group {group!r} in course {key!r}")

    def _student(self, course: str, student: str, path: str) -> bool:
        if not self._person(student, path):
            return False
        if not any(role == "student" for role, _, _ in self.roles.get((course, student), ())):
            self.problem(path, f"{student!r} is not a student in course {course!r}")
            return False
        return True

    def _grader(self, course: str, grader: str | None, student: str | None, path: str) -> None:
        if grader is None:
            if not any(
                person_course == course and any(role == "teacher" for role, _, _ in roles)
                for (person_course, _), roles in self.roles.items()
            ):
                self.problem(path, f"course {course!r} has no teacher: name the grader")
            return
        if not self._person(grader, path) or grader in self.admins:
            return
        roles = [r for r in self.roles.get((course, grader), ()) if r[0] in ("teacher", "ta")]
        if not roles:
            self.problem(path, f"{grader!r} is not an admin, teacher or TA of course {course!r}")
            return
        if student is not None and all(limited for _, _, limited in roles):
            sections = {section for _, section, _ in roles}
            student_sections = {
                section for role, section, _ in self.roles[(course, student)] if role == "student"
            }
            if not sections & student_sections:
                self.problem(path, f"{grader!r} may grade only their own sections' students")

    def _entry(self, entry: dict, path: str) -> None:
        kinds = [k for k in ("override", "post") if k in entry]
        if "grade" in entry or "excuse" in entry:
            kinds.insert(0, "grade")
        if len(kinds) != 1:
            self.problem(
                path,
                "give exactly one of grade/excuse, override or post"
                + (f" (found {', '.join(kinds)})" if kinds else ""),
            )
            return
        kind = kinds[0]
        grader = entry.get("grader")
        if kind == "grade":
            for needed in ("assignment", "student"):
                if needed not in entry:
                    self.problem(path, f"a grade needs {needed!r}")
            if "course" in entry:
                self.problem(f"{path}.course", "a grade's course is its assignment's course")
            if "assignment" not in entry or "student" not in entry:
                return
            found = self._assignment(entry["assignment"], f"{path}.assignment")
            if found is None:
                return
            course, assignment = found
            if not self._student(course, entry["student"], f"{path}.student"):
                return
            self._grader(course, grader, entry["student"], f"{path}.grader")
            if "grade" in entry and entry["grade"] is not None:
                self._grade(assignment, entry["grade"], f"{path}.grade")
        elif kind == "override":
            for needed in ("course", "student"):
                if needed not in entry:
                    self.problem(path, f"an override needs {needed!r}")
            if "course" not in entry or "student" not in entry:
                return
            course = entry["course"]
            if course not in self.courses:
                self.problem(f"{path}.course", f"no course with key {course!r}")
                return
            if not self.courses[course].get("allow_final_grade_override", False):
                self.problem(
                    f"{path}.course",
                    f"course {course!r} does not allow final grade overrides "
                    '(set "allow_final_grade_override": true)',
                )
            if self._student(course, entry["student"], f"{path}.student"):
                self._grader(course, grader, None, f"{path}.grader")
        else:
            for extra in ("student", "course"):
                if extra in entry:
                    self.problem(f"{path}.{extra}", "posting names the assignment only")
            found = self._assignment(entry["post"], f"{path}.post")
            if found is not None:
                self._grader(found[0], grader, None, f"{path}.grader")
                for index, student in enumerate(entry.get("students", [])):
                    self._student(found[0], student, f"{path}.students[{index}]")

    def _assignment(self, key: str, path: str) -> tuple[str, dict] | None:
        found = self.assignments.get(key)
        if found is None:
            self.problem(path, f"no assignment with key {key!r}")
        return found

    def _grade(self, assignment: dict, value: str | int | float, path: str) -> None:
        grading_type = assignment.get("grading_type", "points")
        try:
            parse_posted_grade(grading_type, _grade_text(value), assignment.get("points_possible"))
        except InvalidGrade:
            self.problem(path, f"{value!r} is not a grade for a {grading_type} assignment")


def _grade_text(value: str | int | float) -> str:
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, float) else str(value)


# -- building ----------------------------------------------------------------------------------


def _sortable(name: str) -> str:
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def _midnight_before(instant: datetime) -> datetime:
    day = (instant - timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class _Builder:
    """One build of a scenario into a fresh store."""

    def __init__(
        self, scenario: Scenario, now: datetime, admin_token: str | None, validate_events: bool
    ) -> None:
        self.scenario = scenario
        self.data = scenario.data
        self.now = now
        self.admin_token = admin_token
        self.rng = random.Random(f"mockcanvas-scenario-{self.data.get('seed', 1)}")
        self.store = Store()
        self.clock = Clock(now, frozen=True)
        self.inst = Instance(
            store=self.store,
            clock=self.clock,
            settings=Settings(validate_events=validate_events),
            rng=self.rng,
        )
        account = self.data.get("account", {})
        self.domain = account.get("domain", "canvas.example.edu")
        self.ids: dict[str, int] = {}  # key -> id
        self.enrollments: list[tuple[Enrollment, str]] = []  # with their final state
        history = self.data.get("history", [])
        times = [_instant(entry["at"]) for entry in history]
        self.history = sorted(zip(times, range(len(history)), history, strict=True))
        if "created_at" in self.data:
            self.created = _instant(self.data["created_at"])
        else:
            self.created = _midnight_before(min([now, *times]))

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.scenario.source, [Issue(path, message)])

    def build(self) -> Store:
        late = [(t, i) for t, i, _ in self.history if t > self.now]
        if late:
            t, index = late[0]
            raise self.fail(
                f"$.history[{index}].at",
                f"{t.isoformat()} is after the clock's start {self.now.isoformat()}",
            )
        self._account()
        self._people()
        for course in self.data.get("courses", []):
            self._course(course)
        self._scores()
        for t, index, entry in self.history:
            self._replay(t, index, entry)
        self._final_states()
        self.store.landmarks.update(self.ids)
        if "admin" not in self.store.landmarks:
            self.store.landmarks["admin"] = self.ids[self.data["admins"][0]["person"]]
        if self.admin_token is not None:
            self.store.set_token(self.store.landmarks["admin"], self.admin_token)
        return self.store

    def _account(self) -> None:
        spec = self.data.get("account", {})
        store = self.store
        uuid = seeded_token(self.rng)[-40:]
        account = store.add_account(
            Account(
                id=store.new_id("accounts"),
                name=spec.get("name", "Mockcanvas University"),
                uuid=uuid,
                lti_guid=f"{uuid}:canvas-lms",
                default_time_zone=spec.get("time_zone", "America/Denver"),
                created_at=self.created,
                sis_account_id=spec.get("sis_account_id"),
            )
        )
        store.landmarks["root_account"] = account.id
        self.account = account

    def _people(self) -> None:
        store = self.store
        for person in self.data["people"]:
            user_id = store.new_id("users")
            email = person.get("email", f"{person['key']}@{self.domain}")
            drawn = seeded_token(self.rng)  # always drawn: a given token changes nothing else
            store.add_user(
                User(
                    id=user_id,
                    name=person["name"],
                    sortable_name=person.get("sortable_name", _sortable(person["name"])),
                    short_name=person.get("short_name", person["name"]),
                    login_id=person.get("login_id", email),
                    email=email,
                    created_at=self.created,
                    time_zone=person.get("time_zone"),
                    locale=person.get("locale"),
                    sis_user_id=person.get("sis_user_id"),
                    integration_id=person.get("integration_id"),
                ),
                token=person.get("token", drawn),
            )
            self.ids[person["key"]] = user_id
        for admin in self.data["admins"]:
            store.add_admin(
                AccountAdmin(
                    id=store.new_id("account_users"),
                    account_id=self.account.id,
                    user_id=self.ids[admin["person"]],
                    role=admin.get("role", "AccountAdmin"),
                    view_grade_changes=admin.get("view_grade_changes", True),
                )
            )

    def _course(self, spec: dict) -> None:
        store, created = self.store, self.created
        course = store.add_course(
            Course(
                id=store.new_id("courses"),
                account_id=self.account.id,
                root_account_id=self.account.id,
                name=spec["name"],
                course_code=spec.get("course_code", spec["key"]),
                uuid=seeded_token(self.rng)[-40:],
                created_at=created,
                start_at=_maybe_instant(spec.get("start_at")),
                end_at=_maybe_instant(spec.get("end_at")),
                time_zone=spec.get("time_zone", self.account.default_time_zone),
                sis_course_id=spec.get("sis_course_id"),
                integration_id=spec.get("integration_id"),
                workflow_state=spec.get("workflow_state", "available"),
                allow_final_grade_override=spec.get("allow_final_grade_override", False),
                apply_assignment_group_weights=spec.get("apply_assignment_group_weights", False),
                hide_final_grades=spec.get("hide_final_grades", False),
            )
        )
        self.ids[spec["key"]] = course.id
        sections = spec.get("sections") or [{"name": spec["name"]}]
        first_section = None
        for section_spec in sections:
            section = store.add_section(
                Section(
                    id=store.new_id("course_sections"),
                    course_id=course.id,
                    name=section_spec["name"],
                    created_at=created,
                    sis_section_id=section_spec.get("sis_section_id"),
                )
            )
            first_section = first_section or section.id
            if "key" in section_spec:
                self.ids[section_spec["key"]] = section.id
        groups = spec.get("assignment_groups") or [{"name": "Assignments"}]
        first_group = None
        for position, group_spec in enumerate(groups, start=1):
            group = store.add_assignment_group(
                AssignmentGroup(
                    id=store.new_id("assignment_groups"),
                    course_id=course.id,
                    name=group_spec["name"],
                    position=position,
                    group_weight=float(group_spec.get("weight", 0.0)),
                )
            )
            first_group = first_group or group.id
            if "key" in group_spec:
                self.ids[group_spec["key"]] = group.id
        for enrollment_spec in spec.get("enrollments", []):
            section_key = enrollment_spec.get("section")
            enrollment = store.add_enrollment(
                Enrollment(
                    id=store.new_id("enrollments"),
                    user_id=self.ids[enrollment_spec["person"]],
                    course_id=course.id,
                    section_id=self.ids[section_key] if section_key else first_section,
                    root_account_id=self.account.id,
                    type=ROLES[enrollment_spec["role"]],
                    created_at=created,
                    updated_at=created,
                    limit_privileges_to_course_section=enrollment_spec.get(
                        "limit_to_section", False
                    ),
                )
            )
            self.enrollments.append((enrollment, enrollment_spec.get("state", "active")))
        for position, assignment_spec in enumerate(spec.get("assignments", []), start=1):
            group_key = assignment_spec.get("group")
            manual = assignment_spec.get("post_manually", False)
            assignment = store.add_assignment(
                Assignment(
                    id=store.new_id("assignments"),
                    course_id=course.id,
                    assignment_group_id=self.ids[group_key] if group_key else first_group,
                    name=assignment_spec["name"],
                    points_possible=_maybe_float(assignment_spec.get("points_possible")),
                    grading_type=assignment_spec.get("grading_type", "points"),
                    created_at=created,
                    updated_at=created,
                    position=position,
                    due_at=_maybe_instant(assignment_spec.get("due_at")),
                    description=assignment_spec.get("description"),
                    workflow_state=(
                        "unpublished" if assignment_spec.get("published") is False else "published"
                    ),
                    anonymous_grading=assignment_spec.get("anonymous_grading", False),
                    post_manually=manual,
                    muted=manual,  # nothing posted yet
                    omit_from_final_grade=assignment_spec.get("omit_from_final_grade", False),
                    sis_assignment_id=assignment_spec.get("sis_assignment_id"),
                )
            )
            self.ids[assignment_spec["key"]] = assignment.id

    def _scores(self) -> None:
        """Every student enrollment has its course score row before anything is graded."""
        store = self.store
        for enrollment, _ in self.enrollments:
            if enrollment.type != "StudentEnrollment" or store.course_score(enrollment.id):
                continue
            scores = course_scores(store, enrollment.course_id, enrollment.user_id)
            store.add_score(
                Score(
                    id=store.new_id("scores"),
                    enrollment_id=enrollment.id,
                    created_at=enrollment.created_at,
                    updated_at=enrollment.created_at,
                    current_score=scores.current_score,
                    final_score=scores.final_score,
                    unposted_current_score=scores.unposted_current_score,
                    unposted_final_score=scores.unposted_final_score,
                )
            )

    def _grader(self, course_id: int, key: str | None) -> User:
        store = self.store
        if key is not None:
            return store.users[self.ids[key]]
        for enrollment in store.course_enrollments(course_id):
            if enrollment.type == "TeacherEnrollment":
                return store.users[enrollment.user_id]
        raise AssertionError("checked: the course has a teacher")

    def _context(self, grader: User, method: str | None, url: str) -> RequestContext:
        return RequestContext(
            request_id=seeded_uuid(self.rng),
            user=grader,
            hostname=self.domain,
            http_method=method,
            user_agent=USER_AGENT,
            client_ip=REMOTE_IP,
            url=url,
        )

    def _replay(self, at: datetime, index: int, entry: dict) -> None:
        """One history entry through the grading write path, at its own time."""
        store, ids = self.store, self.ids
        self.clock.set(at)
        page_view = entry.get("page_view", True)
        base = f"https://{self.domain}"
        try:
            if "override" in entry:
                course_id = ids[entry["course"]]
                student_id = ids[entry["student"]]
                grader = self._grader(course_id, entry.get("grader"))
                ctx = self._context(grader, "POST" if page_view else None, f"{base}/api/graphql")
                enrollment = grading.student_enrollment(store, course_id, student_id)
                score = entry["override"]
                grading.set_override_score(
                    self.inst, ctx, enrollment, None if score is None else float(score)
                )
            elif "post" in entry:
                assignment = store.assignments[ids[entry["post"]]]
                grader = self._grader(assignment.course_id, entry.get("grader"))
                url = (
                    f"{base}/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
                    "/post_grades"
                )
                ctx = self._context(grader, None, url)
                students = entry.get("students")
                grading.post_grades(
                    self.inst,
                    ctx,
                    assignment,
                    student_ids=None if students is None else {ids[s] for s in students},
                )
            else:
                assignment = store.assignments[ids[entry["assignment"]]]
                student_id = ids[entry["student"]]
                grader = self._grader(assignment.course_id, entry.get("grader"))
                url = (
                    f"{base}/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
                    f"/submissions/{student_id}"
                )
                ctx = self._context(grader, "PUT" if page_view else None, url)
                value = entry.get("grade")
                posted = None
                if "grade" in entry:
                    posted = "" if value is None else _grade_text(value)
                grading.grade(
                    self.inst,
                    ctx,
                    assignment,
                    student_id,
                    posted_grade=posted,
                    excuse=entry.get("excuse"),
                )
        except (BadRequest, NotFound, Unauthorized) as error:  # the checks should catch these
            message = getattr(error, "message", None) or type(error).__name__
            where = f"$.history[{index}]"
            raise self.fail(where, f"the write path refused it: {message}") from None

    def _final_states(self) -> None:
        """Today's states, set after the history they would otherwise have prevented."""
        store = self.store
        for enrollment, state in self.enrollments:
            if state != "active":
                enrollment.workflow_state = state
                score = store.course_score(enrollment.id)
                if state == "deleted" and score is not None:
                    score.workflow_state = "deleted"
        for person in self.data["people"]:
            if person.get("deleted"):
                store.users[self.ids[person["key"]]].workflow_state = "deleted"
        for course in self.data.get("courses", []):
            for spec in course.get("assignments", []):
                if spec.get("deleted"):
                    assignment = store.assignments[self.ids[spec["key"]]]
                    assignment.workflow_state = "deleted"
        self.clock.set(self.now)


def _maybe_instant(text: str | None) -> datetime | None:
    return _instant(text) if text else None


def _maybe_float(value: float | int | None) -> float | None:
    return None if value is None else float(value)
