"""What a scenario's JSON Schema cannot say: keys that exist and are unique, times that are usable,
graders with the right to grade, and grades that mean something for their grading type.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import EARLIEST as EARLIEST  # re-exported: scenarios use the clock's range
from ..clock import LATEST as LATEST
from ..clock import RANGE_TEXT, in_range
from ..grading import InvalidGrade, parse_posted_grade
from ..schemas import Issue

# Landmarks every scenario world has, whatever its keys.
RESERVED_KEYS = frozenset({"root_account"})


def instant(text: str) -> datetime:
    """An RFC 3339 time (the schema's date-time) as UTC; checked to parse before it is used."""
    return datetime.fromisoformat(text.upper()).astimezone(UTC)


def _instant_problem(text: str) -> str | None:
    try:
        value = instant(text)
    except (ValueError, OverflowError):
        return f"{text!r} is not a usable time"
    if not in_range(value):
        return f"{text!r} is out of range ({RANGE_TEXT})"
    return None


def _instant_fields(data: dict) -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every time in a schema-valid scenario."""
    for name in ("now", "created_at"):
        if name in data:
            yield f"$.{name}", data[name]
    for c, course in enumerate(data.get("courses", [])):
        for name in ("start_at", "end_at"):
            if course.get(name) is not None:
                yield f"$.courses[{c}].{name}", course[name]
        for a, assignment in enumerate(course.get("assignments", [])):
            if assignment.get("due_at") is not None:
                yield f"$.courses[{c}].assignments[{a}].due_at", assignment["due_at"]
    for h, entry in enumerate(data.get("history", [])):
        yield f"$.history[{h}].at", entry["at"]


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class Checker:
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
        for path, text in _instant_fields(data):
            problem = _instant_problem(text)
            if problem:
                self.problem(path, problem)
        if self.found:  # the rest reads these times
            return self.found
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
            self.problem("$.admins", "the key 'admin' must name a person who is one of the admins")
        for index, course in enumerate(data.get("courses", [])):
            self._course(course, f"$.courses[{index}]")
        for index, entry in enumerate(data.get("history", [])):
            self._entry(entry, f"$.history[{index}]")
        self._times()
        return self.found

    def _times(self) -> None:
        """History lies between the scenario's created_at and its now, when it names them."""
        data = self.data
        now = instant(data["now"]) if "now" in data else None
        created = instant(data["created_at"]) if "created_at" in data else None
        if now is not None and created is not None and created > now:
            self.problem("$.created_at", f"{data['created_at']} is after now ({data['now']})")
        for index, entry in enumerate(data.get("history", [])):
            at, where = instant(entry["at"]), f"$.history[{index}].at"
            if now is not None and at > now:
                self.problem(where, f"{entry['at']} is after the scenario's now ({data['now']})")
            if created is not None and at < created:
                self.problem(
                    where,
                    f"{entry['at']} is before the scenario's created_at ({data['created_at']})",
                )

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
                section = None  # still enrolled, so later entries are not blamed too
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
            parse_posted_grade(
                grading_type, grade_text(value), assignment.get("points_possible"), strict=True
            )
        except InvalidGrade:
            self.problem(path, f"{value!r} is not a grade for a {grading_type} assignment")


def grade_text(value: str | int | float) -> str:
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, float) else str(value)
