"""Bad input, as one table: every route family, each case's exact answer, nothing ever changed.

Each row of ``BAD_INPUTS`` is a request a careless or hostile client could send (malformed and
huge parameters, odd ids, repeated parameters, bad bookmarks, bad JSON and wrong types, unknown
fields, invalid grades, grading what cannot be graded) with the exact answer Canvas gives, or the
mock's documented choice where Canvas's is unknowable. For every row the test checks the status,
the body and the important headers, that it is not a 500, and that the world is exactly as
before (store, inbox, progresses, faults, subscriptions) unless the row is a write Canvas accepts.
Lenient answers (a parameter Canvas ignores) are pinned as equal to the answer to the request
without the bad part, so they cannot drift apart.

The 413 body limit is tested on every route that reads a body, in-process and through a real
waitress server, with a ``Content-Length`` too big and with a chunked body that grows too big.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from mockcanvas import cli, create_app
from mockcanvas.controls import controls
from mockcanvas.http.bodies import DEFAULT_MAX_BODY
from mockcanvas.http.cross_site import CHANGE_REFUSED
from mockcanvas.live_server import serve
from mockcanvas.openapi import build
from mockcanvas.sinks.registry import registry_for
from mockcanvas.state import export_state, reset
from tests.support import BASE, NOT_FOUND, UNAUTHENTICATED, UNAUTHORIZED

JSON = "application/json; charset=utf-8"
INVALID_TOKEN = {"errors": [{"message": "Invalid access token."}]}
WWW = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}
BAD_REQUEST = {"errors": [{"message": "An error occurred.", "error_code": "bad_request"}]}
GRADE_DATA = b"'grade_data' parameter required"
TOO_LARGE = {
    "errors": [{"message": "An error occurred.", "error_code": "request_entity_too_large"}]
}
ABSENT = object()  # no body at all


def message(text: str) -> dict:
    return {"message": text}


@dataclass(frozen=True)
class BadInput:
    """One request and its exact answer.

    ``query`` is a list of pairs, so a parameter can repeat. ``as_`` is a landmark whose token is
    sent (None: no token). ``json`` is sent as a JSON body; ``data`` as it is (bytes or text),
    with ``content_type``. ``body`` is the exact answer (parsed JSON, or bytes when the answer is
    not JSON); ``same_as`` (a query) and ``same_path`` instead name the request whose answer's
    body this one must equal (Canvas ignoring the bad part, or another spelling of the same id).
    ``fields`` pins some fields of a write's answer. ``writes`` marks a request Canvas accepts
    and that changes the world (``"progress"``: only a new Progress, grades untouched).
    """

    id: str
    family: str
    method: str
    path: str
    status: int
    body: Any = None
    query: tuple[tuple[str, str], ...] = ()
    as_: str | None = "admin"
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = ABSENT
    data: bytes | str | None = None
    content_type: str | None = None
    same_as: tuple[tuple[str, str], ...] | None = None
    same_path: str | None = None
    fields: tuple[tuple[str, Any], ...] = ()
    expect_headers: tuple[tuple[str, str], ...] = ()
    writes: bool | str = False


def case(id: str, family: str, method: str, path: str, status: int, body: Any = None, **kw):
    for name in ("query", "headers", "same_as", "expect_headers", "fields"):
        value = kw.get(name)
        if isinstance(value, dict):
            kw[name] = tuple(value.items())
        elif isinstance(value, list):
            kw[name] = tuple(value)
    return BadInput(id, family, method, path, status, body, **kw)


AUDIT = "/api/v1/audit/grade_change"
SUB = "/api/v1/courses/1/assignments/{a}/submissions/{u}"
BULK_ONE = "/api/v1/courses/1/assignments/3/submissions/update_grades"
BULK_MANY = "/api/v1/courses/1/submissions/update_grades"
HUGE = "9" * 30
LONG_TIME = "2026-" + "9" * 100_000  # a 100 KB start_time
# Landmark ids of the seeded small world (seed 1): course 1 has teacher 36 and students 4 and 5;
# assignment 1 is deleted; 3 points (20), 5 percent (100), 6 letter (50), 9 GPA (100), 8 pass/fail
# (5); 39 has a completed enrollment, 40 a deleted one, 41 is a deleted user; 44 teaches course 3.


def bookmark(value: object) -> str:
    import base64

    raw = base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return "bookmark:" + raw


def _audit_cases() -> list[BadInput]:
    c = f"{AUDIT}/courses/1"
    out = [
        # -- malformed and huge query parameters: Canvas ignores what it cannot parse
        case(
            "audit-start_time-100KB",
            "audit",
            "GET",
            c,
            200,
            query={"start_time": LONG_TIME},
            same_as={},
        ),
        case(
            "audit-end_time-words",
            "audit",
            "GET",
            f"{AUDIT}/students/4",
            200,
            query={"end_time": "yesterday"},
            same_as={},
        ),
        case(
            "audit-start_time-month-13",
            "audit",
            "GET",
            c,
            200,
            query={"start_time": "2026-13-45"},
            same_as={},
        ),
        case(
            "audit-per_page-abc",
            "audit",
            "GET",
            c,
            200,
            query={"per_page": "abc"},
            same_as={"per_page": "1"},
        ),
        case(
            "audit-per_page-negative",
            "audit",
            "GET",
            c,
            200,
            query={"per_page": "-1"},
            same_as={"per_page": "1"},
        ),
        case(
            "audit-per_page-zero",
            "audit",
            "GET",
            c,
            200,
            query={"per_page": "0"},
            same_as={"per_page": "1"},
        ),
        case(
            "audit-per_page-1e9",
            "audit",
            "GET",
            c,
            200,
            query={"per_page": "1e9"},
            same_as={"per_page": "1"},
        ),
        case(
            "audit-per_page-huge",
            "audit",
            "GET",
            c,
            200,
            query={"per_page": HUGE},
            same_as={"per_page": "100"},
        ),
        case(
            "audit-per_page-empty",
            "audit",
            "GET",
            c,
            200,
            query={"per_page": ""},
            same_as={"per_page": "1"},
        ),
        # -- repeated parameters: Rails keeps the last value of a plain one
        case(
            "audit-per_page-twice",
            "audit",
            "GET",
            c,
            200,
            query=[("per_page", "10"), ("per_page", "2")],
            same_as={"per_page": "2"},
        ),
        case(
            "audit-start_time-twice-last-bad",
            "audit",
            "GET",
            c,
            200,
            query=[("start_time", "2026-10-01T00:00:00Z"), ("start_time", "garbage")],
            same_as={},
        ),
        case(
            "audit-start_time-twice-last-good",
            "audit",
            "GET",
            c,
            200,
            query=[("start_time", "garbage"), ("start_time", "2026-10-01T00:00:00Z")],
            same_as={"start_time": "2026-10-01T00:00:00Z"},
        ),
        case(
            "audit-include-twice",
            "audit",
            "GET",
            c,
            200,
            query=[("include[]", "current_grade"), ("include[]", "current_grade")],
            same_as={"include[]": "current_grade"},
        ),
        case(
            "audit-include-plain-string",
            "audit",
            "GET",
            c,
            200,
            query={"include": "current_grade"},
            same_as={"include[]": "current_grade"},
        ),
        case(
            "audit-include-unknown",
            "audit",
            "GET",
            c,
            200,
            query={"include[]": "everything"},
            same_as={},
        ),
        case(
            "audit-include-as-hash",
            "audit",
            "GET",
            c,
            200,
            query={"include[x]": "current_grade"},
            same_as={},
        ),
        # -- bad bookmarks: the first page
        case(
            "audit-bookmark-garbage",
            "audit",
            "GET",
            c,
            200,
            query={"page": "bookmark:!!!not-base64"},
            same_as={},
        ),
        case(
            "audit-bookmark-not-json",
            "audit",
            "GET",
            c,
            200,
            query={"page": "bookmark:aGVsbG8"},
            same_as={},
        ),
        case(
            "audit-bookmark-json-string",
            "audit",
            "GET",
            c,
            200,
            query={"page": bookmark("x")},
            same_as={},
        ),
        case(
            "audit-bookmark-json-object",
            "audit",
            "GET",
            c,
            200,
            query={"page": bookmark({"a": 1})},
            same_as={},
        ),
        case(
            "audit-bookmark-wrong-types",
            "audit",
            "GET",
            c,
            200,
            query={"page": bookmark([None, "x"])},
            same_as={},
        ),
        case(
            "audit-bookmark-bad-time",
            "audit",
            "GET",
            c,
            200,
            query={"page": bookmark(["not a time", 5])},
            same_as={},
        ),
        case(
            "audit-bookmark-huge-id",
            "audit",
            "GET",
            c,
            200,
            query={"page": bookmark(["2026-10-01 00:00:00 UTC", 10**40])},
            same_as={"end_time": "2026-10-01T00:00:00Z"},
        ),
        case(
            "audit-bookmark-100KB",
            "audit",
            "GET",
            c,
            200,
            query={"page": "bookmark:" + "A" * 100_000},
            same_as={},
        ),
        case("audit-page-abc", "audit", "GET", c, 200, query={"page": "abc"}, same_as={}),
        case("audit-page-2", "audit", "GET", c, 404, NOT_FOUND, query={"page": "2"}),
        case("audit-page-huge", "audit", "GET", c, 404, NOT_FOUND, query={"page": HUGE}),
        # -- ids
        case("audit-assignment-abc", "audit", "GET", f"{AUDIT}/assignments/abc", 404, NOT_FOUND),
        case(
            "audit-assignment-negative", "audit", "GET", f"{AUDIT}/assignments/-3", 404, NOT_FOUND
        ),
        case("audit-assignment-zero", "audit", "GET", f"{AUDIT}/assignments/0", 404, NOT_FOUND),
        case(
            "audit-assignment-huge", "audit", "GET", f"{AUDIT}/assignments/{HUGE}", 404, NOT_FOUND
        ),
        case("audit-assignment-deleted", "audit", "GET", f"{AUDIT}/assignments/1", 404, NOT_FOUND),
        case(
            "audit-assignment-global-id",
            "audit",
            "GET",
            f"{AUDIT}/assignments/10000000000003",
            200,
            same_path=f"{AUDIT}/assignments/3",
        ),
        case(
            "audit-assignment-shard-form",
            "audit",
            "GET",
            f"{AUDIT}/assignments/1~3",
            200,
            same_path=f"{AUDIT}/assignments/3",
        ),
        case(
            "audit-assignment-other-shard",
            "audit",
            "GET",
            f"{AUDIT}/assignments/2~3",
            404,
            NOT_FOUND,
        ),
        case(
            "audit-course-sis-id",
            "audit",
            "GET",
            f"{AUDIT}/courses/sis_course_id:SIS-C-0001",
            404,
            NOT_FOUND,
        ),
        case("audit-course-rails-cast", "audit", "GET", f"{AUDIT}/courses/1abc", 200, same_path=c),
        case(
            "audit-course-missing-teacher",
            "audit",
            "GET",
            f"{AUDIT}/courses/99",
            401,
            UNAUTHORIZED,
            as_="teacher",
        ),
        case("audit-course-missing-admin", "audit", "GET", f"{AUDIT}/courses/99", 404, NOT_FOUND),
        case(
            "audit-course-teacher-other-course",
            "audit",
            "GET",
            f"{AUDIT}/courses/3",
            401,
            UNAUTHORIZED,
            as_="teacher",
        ),
        case("audit-course-student", "audit", "GET", c, 401, UNAUTHORIZED, as_="student"),
        case(
            "audit-student-sis-id",
            "audit",
            "GET",
            f"{AUDIT}/students/sis_user_id:SIS-U-00004",
            404,
            NOT_FOUND,
        ),
        case("audit-student-deleted-user", "audit", "GET", f"{AUDIT}/students/41", 404, NOT_FOUND),
        case("audit-student-abc", "audit", "GET", f"{AUDIT}/students/abc", 404, NOT_FOUND),
        case(
            "audit-student-as-teacher",
            "audit",
            "GET",
            f"{AUDIT}/students/4",
            401,
            UNAUTHORIZED,
            as_="teacher",
        ),
        case("audit-grader-negative", "audit", "GET", f"{AUDIT}/graders/-36", 404, NOT_FOUND),
        case(
            "audit-grader-global-id",
            "audit",
            "GET",
            f"{AUDIT}/graders/10000000000036",
            200,
            same_path=f"{AUDIT}/graders/36",
        ),
        case(
            "audit-query-no-condition",
            "audit",
            "GET",
            AUDIT,
            400,
            message("Must specify at least one query condition"),
        ),
        case(
            "audit-query-empty-values",
            "audit",
            "GET",
            AUDIT,
            400,
            message("Must specify at least one query condition"),
            query={"course_id": "", "student_id": ""},
        ),
        case(
            "audit-query-course-sis",
            "audit",
            "GET",
            AUDIT,
            200,
            query={"course_id": "sis_course_id:SIS-C-0001"},
            same_as={"course_id": "1"},
        ),
        case(
            "audit-query-student-abc",
            "audit",
            "GET",
            AUDIT,
            404,
            NOT_FOUND,
            query={"course_id": "1", "student_id": "abc"},
        ),
        case(
            "audit-query-assignment-huge",
            "audit",
            "GET",
            AUDIT,
            404,
            NOT_FOUND,
            query={"assignment_id": HUGE},
        ),
        case(
            "audit-query-course-twice",
            "audit",
            "GET",
            AUDIT,
            200,
            query=[("course_id", "99"), ("course_id", "1")],
            same_as={"course_id": "1"},
        ),
        case(
            "audit-query-student-as-teacher-no-course",
            "audit",
            "GET",
            AUDIT,
            401,
            UNAUTHORIZED,
            query={"student_id": "4"},
            as_="teacher",
        ),
        # the seven undocumented course routes
        case("audit-course-assignment-abc", "audit", "GET", f"{c}/assignments/abc", 404, NOT_FOUND),
        case(
            "audit-course-assignment-other-course",
            "audit",
            "GET",
            f"{AUDIT}/courses/2/assignments/3",
            404,
            NOT_FOUND,
        ),
        case(
            "audit-course-assignment-grader-abc",
            "audit",
            "GET",
            f"{c}/assignments/3/graders/abc",
            404,
            NOT_FOUND,
        ),
        case(
            "audit-course-assignment-grader-student-neg",
            "audit",
            "GET",
            f"{c}/assignments/3/graders/36/students/-4",
            404,
            NOT_FOUND,
        ),
        case(
            "audit-course-assignment-student-huge",
            "audit",
            "GET",
            f"{c}/assignments/3/students/{HUGE}",
            404,
            NOT_FOUND,
        ),
        case("audit-course-grader-zero", "audit", "GET", f"{c}/graders/0", 404, NOT_FOUND),
        case(
            "audit-course-grader-student-abc",
            "audit",
            "GET",
            f"{c}/graders/36/students/abc",
            404,
            NOT_FOUND,
        ),
        case(
            "audit-course-student-not-in-course", "audit", "GET", f"{c}/students/44", 404, NOT_FOUND
        ),
        case(
            "audit-course-override-student-abc",
            "audit",
            "GET",
            f"{c}/assignments/override/students/abc",
            404,
            NOT_FOUND,
        ),
        # -- tokens
        case(
            "audit-no-token", "audit", "GET", c, 401, UNAUTHENTICATED, as_=None, expect_headers=WWW
        ),
        case(
            "audit-bad-token",
            "audit",
            "GET",
            c,
            401,
            INVALID_TOKEN,
            as_=None,
            headers={"Authorization": "Bearer nope"},
            expect_headers=WWW,
        ),
        case(
            "audit-token-huge",
            "audit",
            "GET",
            c,
            401,
            INVALID_TOKEN,
            as_=None,
            headers={"Authorization": "Bearer " + "x" * 8000},
            expect_headers=WWW,
        ),
        case(
            "audit-token-twice-in-query",
            "audit",
            "GET",
            c,
            401,
            INVALID_TOKEN,
            as_=None,
            query=[("access_token", "nope"), ("access_token", "nope2")],
            expect_headers=WWW,
        ),
    ]
    return out


def grade_json(posted: object) -> dict:
    return {"submission": {"posted_grade": posted}}


def not_a_grade(text: str, kind: str) -> dict:
    return message(f"{text!r} is not a grade for a {kind} assignment")


# (grading type, assignment, posted grade, answer): a (score, grade) pair is what Canvas makes of
# it, a 200 write: a grade Canvas cannot read clears the graded submission (``grade = nil unless
# score``), except on pass/fail, where it reads as zero. "not" is 400: a score too big to carry
# (Canvas fails on Infinity). ``create_app(strict_grades=True)`` refuses the unreadable ones
# instead (tests/canvas/test_write_path.py).
CLEARED = (None, None)
INVALID_GRADES = [
    ("points", 3, "A++", CLEARED),
    ("points", 3, "-", CLEARED),
    ("points", 3, "1e400", CLEARED),  # Canvas's number pattern has no exponent
    ("points", 3, "NaN", CLEARED),
    ("points", 3, "Infinity", CLEARED),
    ("points", 3, "1" * 400, "not"),  # a number, but Infinity as a float
    ("points", 3, "12,5", CLEARED),
    ("points", 3, "5.", CLEARED),  # "\d*\.?\d+": a point needs a digit after it
    ("points", 3, " 5", CLEARED),  # no stripping: Ruby's ^ is at a line's start
    ("points", 3, "5\n", (5.0, "5")),  # ...and $ before its newline
    ("points", 3, "Complete", CLEARED),  # `when "pass", "complete"` is case-sensitive
    ("points", 3, "complete", (20.0, "20")),  # Canvas's interpret_grade: full points on any type
    ("percent", 5, "85%%", CLEARED),
    ("percent", 5, "ten", CLEARED),
    ("percent", 5, "-1e3", CLEARED),
    ("percent", 5, "85", (85.0, "85%")),  # a bare number is points, on a percent assignment too
    ("letter_grade", 6, "A++", CLEARED),
    ("letter_grade", 6, "E", CLEARED),
    ("letter_grade", 6, "incomplete", (0.0, "F")),
    ("letter_grade", 6, "b+", (44.5, "B+")),  # scheme keys are case-insensitive; top of range
    ("gpa_scale", 9, "5.0", (5.0, "0.0")),  # not on the scale: read as 5 points, 5% is "0.0"
    ("gpa_scale", 9, "4", (100.0, "4.0")),  # numeric keys compare as numbers
    ("gpa_scale", 9, "A", CLEARED),
    ("gpa_scale", 9, "4.0.0", CLEARED),
    ("pass_fail", 8, "maybe", (0.0, "incomplete")),  # nil.to_f is 0.0: no points
    ("pass_fail", 8, "\u2713", (0.0, "incomplete")),
    ("pass_fail", 8, "NaN", (0.0, "incomplete")),
    ("pass_fail", 8, "Complete", (0.0, "incomplete")),
    ("pass_fail", 8, "3", CLEARED),  # neither full points nor none
]


def _rest_cases() -> list[BadInput]:
    out = [
        case("rest-course-abc", "rest", "GET", "/api/v1/courses/abc", 404, NOT_FOUND),
        case("rest-course-huge", "rest", "GET", f"/api/v1/courses/{HUGE}", 404, NOT_FOUND),
        case("rest-course-negative", "rest", "GET", "/api/v1/courses/-1", 404, NOT_FOUND),
        case(
            "rest-course-sis",
            "rest",
            "GET",
            "/api/v1/courses/sis_course_id:SIS-C-0001",
            200,
            same_path="/api/v1/courses/1",
        ),
        case(
            "rest-course-sis-unknown",
            "rest",
            "GET",
            "/api/v1/courses/sis_course_id:nope",
            404,
            NOT_FOUND,
        ),
        case(
            "rest-course-unknown-sis-kind",
            "rest",
            "GET",
            "/api/v1/courses/sis_foo_id:1",
            404,
            NOT_FOUND,
        ),
        case(
            "rest-course-global-id",
            "rest",
            "GET",
            "/api/v1/courses/10000000000001",
            200,
            same_path="/api/v1/courses/1",
        ),
        case(
            "rest-course-shard-tilde",
            "rest",
            "GET",
            "/api/v1/courses/1~1",
            200,
            same_path="/api/v1/courses/1",
        ),
        case(
            "rest-course-other-course-teacher",
            "rest",
            "GET",
            "/api/v1/courses/3",
            401,
            UNAUTHORIZED,
            as_="teacher",
        ),
        case(
            "rest-assignments-per_page-abc",
            "rest",
            "GET",
            "/api/v1/courses/1/assignments",
            200,
            query={"per_page": "abc"},
            same_as={"per_page": "1"},
        ),
        case(
            "rest-assignments-per_page-twice",
            "rest",
            "GET",
            "/api/v1/courses/1/assignments",
            200,
            query=[("per_page", "1"), ("per_page", "3")],
            same_as={"per_page": "3"},
        ),
        case(
            "rest-assignments-page-negative",
            "rest",
            "GET",
            "/api/v1/courses/1/assignments",
            404,
            NOT_FOUND,
            query={"page": "-1"},
        ),
        case(
            "rest-assignments-page-abc",
            "rest",
            "GET",
            "/api/v1/courses/1/assignments",
            404,
            NOT_FOUND,
            query={"page": "abc"},
        ),
        case(
            "rest-assignments-page-huge",
            "rest",
            "GET",
            "/api/v1/courses/1/assignments",
            404,
            NOT_FOUND,
            query={"page": HUGE},
        ),
        case(
            "rest-assignment-deleted",
            "rest",
            "GET",
            "/api/v1/courses/1/assignments/1",
            404,
            NOT_FOUND,
        ),
        case(
            "rest-assignment-other-course",
            "rest",
            "GET",
            "/api/v1/courses/2/assignments/3",
            404,
            NOT_FOUND,
        ),
        case(
            "rest-users-enrollment_type-unknown",
            "rest",
            "GET",
            "/api/v1/courses/1/users",
            200,
            [],
            query={"enrollment_type[]": "wizard"},
        ),
        case(
            "rest-users-unknown-parameter-100KB",
            "rest",
            "GET",
            "/api/v1/courses/1/users",
            200,
            query={"colour": "red" * 33_000},
            same_as={},
        ),
        case(
            "rest-students-per_page-huge",
            "rest",
            "GET",
            "/api/v1/courses/1/students",
            200,
            query={"per_page": HUGE},
            same_as={"per_page": "100"},
        ),
        case("rest-user-abc", "rest", "GET", "/api/v1/users/abc", 404, NOT_FOUND),
        case(
            "rest-user-sis",
            "rest",
            "GET",
            "/api/v1/users/sis_user_id:SIS-U-00004",
            200,
            same_path="/api/v1/users/4",
        ),
        case(
            "rest-user-deleted-global-id",
            "rest",
            "GET",
            "/api/v1/users/10000000000041",
            200,
            same_path="/api/v1/users/41",
        ),
        case(
            "rest-user-self-no-token",
            "rest",
            "GET",
            "/api/v1/users/self",
            401,
            UNAUTHENTICATED,
            as_=None,
            expect_headers=WWW,
        ),
        case("rest-submission-show-abc", "rest", "GET", SUB.format(a=3, u="abc"), 404, NOT_FOUND),
        case("rest-progress-abc", "rest", "GET", "/api/v1/progress/abc", 404, NOT_FOUND),
        case("rest-progress-huge", "rest", "GET", f"/api/v1/progress/{HUGE}", 404, NOT_FOUND),
        case("rest-progress-zero", "rest", "GET", "/api/v1/progress/0", 404, NOT_FOUND),
        # -- grading: what cannot be graded
        case(
            "put-deleted-assignment",
            "rest",
            "PUT",
            SUB.format(a=1, u=4),
            404,
            NOT_FOUND,
            as_="teacher",
            json=grade_json("1"),
        ),
        case(
            "put-student-not-in-course",
            "rest",
            "PUT",
            SUB.format(a=3, u=44),
            404,
            NOT_FOUND,
            as_="teacher",
            json=grade_json("1"),
        ),
        case(
            "put-deleted-enrollment",
            "rest",
            "PUT",
            SUB.format(a=3, u=40),
            404,
            NOT_FOUND,
            as_="teacher",
            json=grade_json("1"),
        ),
        case(
            "put-deleted-user",
            "rest",
            "PUT",
            SUB.format(a=3, u=41),
            404,
            NOT_FOUND,
            as_="teacher",
            json=grade_json("1"),
        ),
        case(
            "put-completed-enrollment",
            "rest",
            "PUT",
            SUB.format(a=3, u=39),
            200,
            as_="teacher",
            json=grade_json("1"),
            writes=True,
            fields={"user_id": 39, "score": 1.0, "grade": "1", "workflow_state": "graded"},
        ),
        case(
            "put-teacher-other-course",
            "rest",
            "PUT",
            "/api/v1/courses/3/assignments/17/submissions/4",
            404,
            NOT_FOUND,  # not among the students the grader sees
            as_="teacher",
            json=grade_json("1"),
        ),
        case(
            "put-teacher-of-3-in-course-1",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            404,
            NOT_FOUND,  # not among the students the grader sees
            as_="other_teacher",
            json=grade_json("1"),
        ),
        case(
            "put-student-grades-self",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            401,
            UNAUTHORIZED,
            as_="student",
            json=grade_json("20"),
        ),
        case(
            "put-assignment-in-other-course",
            "rest",
            "PUT",
            "/api/v1/courses/2/assignments/3/submissions/4",
            404,
            NOT_FOUND,
            as_="teacher",
            json=grade_json("1"),
        ),
        case(
            "put-user-sis",
            "rest",
            "PUT",
            SUB.format(a=3, u="sis_user_id:SIS-U-00004"),
            200,
            as_="teacher",
            json=grade_json("7"),
            writes=True,
            fields={"user_id": 4, "score": 7.0, "grade": "7"},
        ),
        case(
            "put-user-huge",
            "rest",
            "PUT",
            SUB.format(a=3, u=HUGE),
            404,
            NOT_FOUND,
            as_="teacher",
            json=grade_json("1"),
        ),
        # -- grading: bad bodies
        case(
            "put-no-grade",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] or submission[excuse] is required"),
            as_="teacher",
            json={"submission": {}},
        ),
        case(
            "put-unknown-fields-only",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] or submission[excuse] is required"),
            as_="teacher",
            json={"submission": {"grade": "5"}, "comment": "x"},
        ),
        case(
            "put-grade-array",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] must be a string or a number"),
            as_="teacher",
            json=grade_json(["5"]),
        ),
        case(
            "put-grade-object",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] must be a string or a number"),
            as_="teacher",
            json=grade_json({"a": 1}),
        ),
        case(
            "put-grade-null",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] or submission[excuse] is required"),
            as_="teacher",
            json=grade_json(None),
        ),
        case(
            "put-grade-bool",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] must be a string or a number"),
            as_="teacher",
            json=grade_json(True),
        ),
        case(
            "put-grade-number-huge",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            200,
            as_="teacher",
            json=grade_json(1e300),  # "1.0e+300" to Canvas: no number it reads, so cleared
            writes=True,
            fields={"score": None, "grade": None},
        ),
        case(
            "put-submission-array",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission must be an object"),
            as_="teacher",
            json={"submission": [1]},
        ),
        case(
            "put-body-array",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("the JSON body must be an object"),
            as_="teacher",
            json=[1, 2],
        ),
        case(
            "put-body-null",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("the JSON body must be an object"),
            as_="teacher",
            json=None,
        ),
        case(
            "put-malformed-json",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            BAD_REQUEST,
            as_="teacher",
            data='{"submission": {"posted_grade": "5"',
            content_type="application/json",
        ),
        case(
            "put-deep-json",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            BAD_REQUEST,
            as_="teacher",
            data="[" * 100_000 + "]" * 100_000,
            content_type="application/json",
        ),
        case(
            "put-excuse-garbage",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] or submission[excuse] is required"),
            as_="teacher",
            json={"submission": {"excuse": "perhaps"}},
        ),
        case(
            "put-form-grade-twice",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            200,
            as_="teacher",
            data="submission[posted_grade]=A%2B%2B&submission[posted_grade]=7",
            content_type="application/x-www-form-urlencoded",
            writes=True,
            fields={"user_id": 4, "score": 7.0, "grade": "7"},
        ),
        case(
            "put-form-latin1-garbage",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            200,
            as_="teacher",
            data=b"submission[posted_grade]=%FF%FE",
            content_type="application/x-www-form-urlencoded",
            writes=True,
            fields={"score": None, "grade": None},
        ),
        case(
            "put-wrong-content-type",
            "rest",
            "PUT",
            SUB.format(a=3, u=4),
            400,
            message("submission[posted_grade] or submission[excuse] is required"),
            as_="teacher",
            data='{"submission": {"posted_grade": "5"}}',
            content_type="text/plain",
        ),
        # -- bulk grading
        case(
            "bulk-no-grade_data",
            "rest",
            "POST",
            BULK_ONE,
            400,
            GRADE_DATA,
            as_="teacher",
            expect_headers={"Content-Type": JSON},
            json={"other": 1},
        ),
        case(
            "bulk-grade_data-array",
            "rest",
            "POST",
            BULK_ONE,
            400,
            GRADE_DATA,
            as_="teacher",
            json={"grade_data": [1, 2]},
        ),
        case(
            "bulk-grade_data-string",
            "rest",
            "POST",
            BULK_ONE,
            400,
            GRADE_DATA,
            as_="teacher",
            json={"grade_data": "4"},
        ),
        case(
            "bulk-student-entry-not-object",
            "rest",
            "POST",
            BULK_ONE,
            200,
            as_="teacher",
            json={"grade_data": {"4": "20"}},
            writes="progress",
            fields={"workflow_state": "completed", "message": None},
        ),
        case(
            "bulk-student-abc",
            "rest",
            "POST",
            BULK_ONE,
            200,
            as_="teacher",
            json={"grade_data": {"abc": {"posted_grade": "5"}}},
            writes="progress",
            fields={
                "workflow_state": "failed",
                "message": "Couldn't find User(s) with API ids 'abc'",
            },
        ),
        case(
            "bulk-invalid-grade",
            "rest",
            "POST",
            BULK_ONE,
            200,
            as_="teacher",
            json={"grade_data": {"4": {"posted_grade": "A++"}, "5": {"posted_grade": "3"}}},
            writes=True,  # student 4's grade is cleared, student 5's is 3: the job completes
            fields={"workflow_state": "completed", "message": None},
        ),
        case(
            "bulk-malformed-json",
            "rest",
            "POST",
            BULK_ONE,
            400,
            BAD_REQUEST,
            as_="teacher",
            data="{",
            content_type="application/json",
        ),
        case(
            "bulk-deep-json",
            "rest",
            "POST",
            BULK_MANY,
            400,
            BAD_REQUEST,
            as_="teacher",
            data='{"grade_data":' + "[" * 100_000 + "]" * 100_000 + "}",
            content_type="application/json",
        ),
        case(
            "bulk-deleted-assignment",
            "rest",
            "POST",
            "/api/v1/courses/1/assignments/1/submissions/update_grades",
            404,
            NOT_FOUND,
            as_="teacher",
            json={"grade_data": {"4": {"posted_grade": "1"}}},
        ),
        case(
            "bulk-many-assignment-abc",
            "rest",
            "POST",
            BULK_MANY,
            404,
            NOT_FOUND,
            as_="teacher",
            json={"grade_data": {"abc": {"4": {"posted_grade": "1"}}}},
        ),
        case(
            "bulk-many-deleted-assignment",
            "rest",
            "POST",
            BULK_MANY,
            404,
            NOT_FOUND,
            as_="teacher",
            json={"grade_data": {"1": {"4": {"posted_grade": "1"}}}},
        ),
        case(
            "bulk-other-teacher",
            "rest",
            "POST",
            BULK_ONE,
            401,
            UNAUTHORIZED,
            as_="other_teacher",
            json={"grade_data": {"4": {"posted_grade": "1"}}},
        ),
        case(
            "bulk-student",
            "rest",
            "POST",
            BULK_ONE,
            401,
            UNAUTHORIZED,
            as_="student",
            json={"grade_data": {"4": {"posted_grade": "1"}}},
        ),
        case(
            "bulk-course-abc",
            "rest",
            "POST",
            "/api/v1/courses/abc/assignments/3/submissions/update_grades",
            404,
            NOT_FOUND,
            as_="teacher",
            json={"grade_data": {"4": {"posted_grade": "1"}}},
        ),
    ]
    for kind, assignment, posted, answer in INVALID_GRADES:
        rid = f"put-{kind}-{posted[:12]!r}"
        if isinstance(answer, tuple):
            out.append(
                case(
                    rid,
                    "rest",
                    "PUT",
                    SUB.format(a=assignment, u=4),
                    200,
                    as_="teacher",
                    json=grade_json(posted),
                    writes=True,
                    fields={"score": answer[0], "grade": answer[1]},
                )
            )
        else:
            out.append(
                case(
                    rid,
                    "rest",
                    "PUT",
                    SUB.format(a=assignment, u=4),
                    400,
                    not_a_grade(posted, kind),
                    as_="teacher",
                    json=grade_json(posted),
                )
            )
    return out


GQL_OVERRIDE = (
    "mutation($e: ID!, $s: Float) { setOverrideScore(input: {enrollmentId: $e, overrideScore: $s})"
    " { grades { overrideScore } errors { attribute message } } }"
)


def gql(query: object, variables: object = ABSENT, **kw) -> dict:
    body: dict = {"query": query}
    if variables is not ABSENT:
        body["variables"] = variables
    body.update(kw)
    return body


def gql_error(text: str, line: int, column: int) -> dict:
    return {"errors": [{"message": text, "locations": [{"line": line, "column": column}]}]}


GQL_NOT_FOUND = {
    "data": {"setOverrideScore": None},
    "errors": [
        {
            "message": "not found",
            "locations": [{"line": 1, "column": 32}],
            "path": ["setOverrideScore"],
        }
    ],
}


def _graphql_cases() -> list[BadInput]:
    g = "/api/graphql"
    return [
        case(
            "gql-malformed-json",
            "graphql",
            "POST",
            g,
            400,
            BAD_REQUEST,
            data="{",
            as_="teacher",
            content_type="application/json",
        ),
        case(
            "gql-deep-json",
            "graphql",
            "POST",
            g,
            400,
            BAD_REQUEST,
            as_="teacher",
            data='{"query":' + "[" * 100_000 + "]" * 100_000 + "}",
            content_type="application/json",
        ),
        case(
            "gql-body-array",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "No query string was present"}]},
            as_="teacher",
            json=[1],
        ),
        case(
            "gql-body-null",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "No query string was present"}]},
            as_="teacher",
            json=None,
        ),
        case(
            "gql-no-query",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "No query string was present"}]},
            as_="teacher",
            json={},
        ),
        case(
            "gql-query-number",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "No query string was present"}]},
            as_="teacher",
            json=gql(5),
        ),
        case(
            "gql-query-null",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "No query string was present"}]},
            as_="teacher",
            json=gql(None),
        ),
        case(
            "gql-query-array",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "No query string was present"}]},
            as_="teacher",
            json=gql(["{a}"]),
        ),
        case(
            "gql-syntax-error",
            "graphql",
            "POST",
            g,
            200,
            gql_error("Syntax Error: Unexpected <EOF>.", 1, 14),
            as_="teacher",
            json=gql("{ course(id: "),
        ),
        case(
            "gql-unknown-field",
            "graphql",
            "POST",
            g,
            200,
            gql_error("Cannot query field 'nothing' on type 'Query'.", 1, 3),
            as_="teacher",
            json=gql("{ nothing }"),
        ),
        case(
            "gql-deep-selection",
            "graphql",
            "POST",
            g,
            200,
            gql_error("Syntax Error: Document is nested too deeply. Parsing aborted.", 1, 3001),
            as_="teacher",
            json=gql("{" + "course(id: 1) {" * 300 + "_id" + "}" * 301),
        ),
        case(
            "gql-100KB-query",
            "graphql",
            "POST",
            g,
            200,
            {"data": {"course": {"_id": "1"}}},
            as_="teacher",
            json=gql("{ course(id: 1) { _id } }" + " " * 100_000),
        ),
        case(
            "gql-variables-string",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "Variables are not valid JSON"}]},
            as_="teacher",
            json=gql(GQL_OVERRIDE, "not an object"),
        ),
        case(
            "gql-variables-array",
            "graphql",
            "POST",
            g,
            200,
            {"errors": [{"message": "Variables must be a JSON object"}]},
            as_="teacher",
            json=gql(GQL_OVERRIDE, [1]),
        ),
        case(
            "gql-variable-wrong-type",
            "graphql",
            "POST",
            g,
            200,
            gql_error(
                "Variable '$s' has invalid value: "
                "Float cannot represent non numeric value: 'ninety'",
                1,
                19,
            ),
            as_="teacher",
            json=gql(GQL_OVERRIDE, {"e": "4", "s": "ninety"}),
        ),
        case(
            "gql-variable-nan",
            "graphql",
            "POST",
            g,
            200,
            gql_error(
                "Variable '$s' has invalid value: Float cannot represent non numeric value: nan",
                1,
                19,
            ),
            as_="teacher",
            data=f'{{"query": {json.dumps(GQL_OVERRIDE)}, "variables": {{"e": "4", "s": NaN}}}}',
            content_type="application/json",
        ),
        case(
            "gql-variable-missing",
            "graphql",
            "POST",
            g,
            200,
            gql_error(
                "Variable '$e' has invalid value: "
                "Expected a value of non-null type 'ID!' to be provided.",
                1,
                10,
            ),
            as_="teacher",
            json=gql(GQL_OVERRIDE, {}),
        ),
        case(
            "gql-enrollment-abc",
            "graphql",
            "POST",
            g,
            200,
            GQL_NOT_FOUND,
            as_="teacher",
            json=gql(GQL_OVERRIDE, {"e": "abc", "s": 90}),
        ),
        case(
            "gql-enrollment-huge",
            "graphql",
            "POST",
            g,
            200,
            GQL_NOT_FOUND,
            as_="teacher",
            json=gql(GQL_OVERRIDE, {"e": HUGE, "s": 90}),
        ),
        case(
            "gql-override-huge-score",
            "graphql",
            "POST",
            g,
            200,
            {
                "data": {
                    "setOverrideScore": {
                        "grades": None,
                        "errors": [
                            {
                                "attribute": "overrideScore",
                                "message": "1e+308 is not an override score",
                            }
                        ],
                    }
                }
            },
            as_="teacher",
            json=gql(GQL_OVERRIDE, {"e": "4", "s": 1e308}),
        ),
        case(
            "gql-override-other-course-teacher",
            "graphql",
            "POST",
            g,
            200,
            GQL_NOT_FOUND,
            as_="other_teacher",
            json=gql(GQL_OVERRIDE, {"e": "4", "s": 90}),
        ),
        case(
            "gql-override-student",
            "graphql",
            "POST",
            g,
            200,
            GQL_NOT_FOUND,
            as_="student",
            json=gql(GQL_OVERRIDE, {"e": "4", "s": 90}),
        ),
        case(
            "gql-operationName-number",
            "graphql",
            "POST",
            g,
            200,
            {"data": {"course": {"_id": "1"}}},
            as_="teacher",
            json=gql("{ course(id: 1) { _id } }", operationName=5),
        ),
        case(
            "gql-unknown-top-field",
            "graphql",
            "POST",
            g,
            200,
            {"data": {"course": {"_id": "1"}}},
            as_="teacher",
            json=gql("{ course(id: 1) { _id } }", extensions="x", unknown=[1]),
        ),
        case(
            "gql-no-token",
            "graphql",
            "POST",
            g,
            401,
            UNAUTHENTICATED,
            as_=None,
            json=gql("{ course(id: 1) { _id } }"),
            expect_headers=WWW,
        ),
        case("gql-get", "graphql", "GET", g, 404, NOT_FOUND, as_="teacher"),
        case(
            "gql-form-query-twice",
            "graphql",
            "POST",
            g,
            200,
            {"data": {"course": {"_id": "1"}}},
            as_="teacher",
            data="query=%7B+nothing+%7D&query=%7B+course%28id%3A+1%29+%7B+_id+%7D+%7D",
            content_type="application/x-www-form-urlencoded",
        ),
    ]


def _control_cases() -> list[BadInput]:
    m = "/_mockcanvas"
    obj = "send a JSON object (Content-Type: application/json)"
    return [
        case(
            "ctl-grades-malformed",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message(obj),
            data="{",
            content_type="application/json",
        ),
        case(
            "ctl-grades-deep",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message(obj),
            data="[" * 100_000 + "]" * 100_000,
            content_type="application/json",
        ),
        case("ctl-grades-array", "control", "POST", f"{m}/grades", 400, message(obj), json=[]),
        case("ctl-grades-null", "control", "POST", f"{m}/grades", 400, message(obj), json=None),
        case(
            "ctl-grades-no-content-type",
            "control",
            "POST",
            f"{m}/grades",
            # a body a web page could send without a preflight (tests/robustness/test_cross_site.py)
            415,
            message(CHANGE_REFUSED),
            data='{"course_id": 1}',
            content_type="text/plain",
        ),
        case(
            "ctl-grades-unknown-field",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("unknown fields: comment"),
            json={
                "course_id": 1,
                "assignment_id": 3,
                "user_id": 4,
                "posted_grade": "5",
                "comment": "x",
            },
        ),
        case(
            "ctl-grades-missing",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("missing fields: assignment_id, user_id"),
            json={"course_id": 1},
        ),
        case(
            "ctl-grades-id-string",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("course_id must be a positive integer"),
            json={"course_id": "1", "assignment_id": 3, "user_id": 4, "posted_grade": "5"},
        ),
        case(
            "ctl-grades-id-float",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("course_id must be a positive integer"),
            json={"course_id": 1.5, "assignment_id": 3, "user_id": 4, "posted_grade": "5"},
        ),
        case(
            "ctl-grades-id-bool",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("course_id must be a positive integer"),
            json={"course_id": True, "assignment_id": 3, "user_id": 4, "posted_grade": "5"},
        ),
        case(
            "ctl-grades-id-negative",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("user_id must be a positive integer"),
            json={"course_id": 1, "assignment_id": 3, "user_id": -4, "posted_grade": "5"},
        ),
        case(
            "ctl-grades-id-huge",
            "control",
            "POST",
            f"{m}/grades",
            404,
            NOT_FOUND,
            json={"course_id": 1, "assignment_id": 3, "user_id": 10**30, "posted_grade": "5"},
        ),
        case(
            "ctl-grades-grade-array",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("posted_grade must be a string or a number"),
            json={"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": ["5"]},
        ),
        case(
            "ctl-grades-grade-bool",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("posted_grade must be a string or a number"),
            json={"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": True},
        ),
        case(
            "ctl-grades-excuse-string",
            "control",
            "POST",
            f"{m}/grades",
            400,
            message("excuse must be true or false"),
            json={"course_id": 1, "assignment_id": 3, "user_id": 4, "excuse": "yes"},
        ),
        case(
            "ctl-grades-unreadable-grade",
            "control",
            "POST",
            f"{m}/grades",
            400,
            not_a_grade("1" * 400, "points"),
            json={"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": "1" * 400},
        ),
        case(
            "ctl-grades-deleted-assignment",
            "control",
            "POST",
            f"{m}/grades",
            404,
            NOT_FOUND,
            json={"course_id": 1, "assignment_id": 1, "user_id": 4, "posted_grade": "1"},
        ),
        case(
            "ctl-grades-not-in-course",
            "control",
            "POST",
            f"{m}/grades",
            404,
            NOT_FOUND,
            json={"course_id": 1, "assignment_id": 3, "user_id": 44, "posted_grade": "1"},
        ),
        case(
            "ctl-grades-grader-other-course",
            "control",
            "POST",
            f"{m}/grades",
            404,
            NOT_FOUND,  # not among the students the grader sees
            json={
                "course_id": 1,
                "assignment_id": 3,
                "user_id": 4,
                "posted_grade": "1",
                "grader_id": 44,
            },
        ),
        case(
            "ctl-grades-grader-missing",
            "control",
            "POST",
            f"{m}/grades",
            404,
            NOT_FOUND,
            json={
                "course_id": 1,
                "assignment_id": 3,
                "user_id": 4,
                "posted_grade": "1",
                "grader_id": 9999,
            },
        ),
        case(
            "ctl-overrides-score-string",
            "control",
            "POST",
            f"{m}/overrides",
            400,
            message("override_score must be a number or null"),
            json={"course_id": 1, "user_id": 4, "override_score": "90"},
        ),
        case(
            "ctl-overrides-score-nan",
            "control",
            "POST",
            f"{m}/overrides",
            400,
            message("nan is not an override score"),
            data='{"course_id": 1, "user_id": 4, "override_score": NaN}',
            content_type="application/json",
        ),
        case(
            "ctl-overrides-score-huge",
            "control",
            "POST",
            f"{m}/overrides",
            400,
            message("inf is not an override score"),
            data='{"course_id": 1, "user_id": 4, "override_score": 1e400}',
            content_type="application/json",
        ),
        case(
            "ctl-post_grades-unknown",
            "control",
            "POST",
            f"{m}/post_grades",
            400,
            message("unknown fields: student_ids"),
            json={"course_id": 1, "assignment_id": 3, "student_ids": [4]},
        ),
        case(
            "ctl-clock-empty",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("send one or more of set, advance, freeze, unfreeze"),
            json={},
        ),
        case(
            "ctl-clock-set-number",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("set must be an ISO 8601 time string"),
            json={"set": 5},
        ),
        case(
            "ctl-clock-set-garbage",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("set is not an ISO 8601 time: 'tomorrow'"),
            json={"set": "tomorrow"},
        ),
        case(
            "ctl-clock-advance-string",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("advance must be a number of seconds"),
            json={"advance": "60"},
        ),
        case(
            "ctl-clock-advance-huge",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("advance must be a finite number of seconds within 200 years"),
            json={"advance": 1e300},
        ),
        case(
            "ctl-clock-freeze-false",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("freeze must be true"),
            json={"freeze": False},
        ),
        case(
            "ctl-clock-set-and-bad-advance",
            "control",
            "POST",
            f"{m}/clock",
            400,
            message("advance must be a number of seconds"),
            json={"set": "2030-01-01T00:00:00Z", "advance": "x"},
        ),
        case("ctl-faults-array", "control", "POST", f"{m}/faults", 400, message(obj), json=[1]),
        case(
            "ctl-faults-unknown-kind",
            "control",
            "POST",
            f"{m}/faults",
            400,
            message("kind must be one of status, rate_limit, latency"),
            json={"kind": "meteor"},
        ),
        case(
            "ctl-faults-status-string",
            "control",
            "POST",
            f"{m}/faults",
            400,
            message("status must be an integer from 400 to 599"),
            json={"kind": "status", "status": "500", "path": "/api/*"},
        ),
        case("ctl-faults-id-abc", "control", "GET", f"{m}/faults/abc", 404, NOT_FOUND),
        case(
            "ctl-faults-delete-huge",
            "control",
            "DELETE",
            f"{m}/faults/{HUGE}",
            404,
            NOT_FOUND,
            json={},
        ),
        case(
            "ctl-throttle-wrong-type",
            "control",
            "POST",
            f"{m}/throttle",
            400,
            message("high_water_mark must be a number"),
            json={"high_water_mark": "lots"},
        ),
        case(
            "ctl-state-import-garbage",
            "control",
            "PUT",
            f"{m}/state",
            400,
            message('the state must have "format": "mockcanvas-state" and "version": 1'),
            json={"format": "nope"},
        ),
        case(
            "ctl-state-import-array",
            "control",
            "PUT",
            f"{m}/state",
            400,
            message("the state must be a JSON object"),
            json=[],
        ),
        case(
            "ctl-state-import-malformed",
            "control",
            "PUT",
            f"{m}/state",
            400,
            message("the state must be a JSON object"),
            data="{",
            content_type="application/json",
        ),
        case(
            "ctl-live_events-after-abc",
            "control",
            "GET",
            f"{m}/live_events",
            400,
            message("after must be an integer"),
            query={"after": "abc"},
        ),
        case(
            "ctl-live_events-after-huge",
            "control",
            "GET",
            f"{m}/live_events",
            200,
            query={"after": HUGE},
            # not "cleared": it counts the resets of earlier writing cases on this module's app
            fields={"live_events": [], "total": 0, "evicted": 0, "capacity": 100_000},
        ),
        case(
            "ctl-requests-limit-negative",
            "control",
            "GET",
            f"{m}/requests",
            400,
            message("limit must be >= 0"),
            query={"limit": "-1"},
        ),
        case(
            "ctl-subscriptions-malformed",
            "control",
            "POST",
            f"{m}/subscriptions",
            400,
            message("the body must be a JSON object"),
            data="{",
            content_type="application/json",
        ),
        case(
            "ctl-subscriptions-deep",
            "control",
            "POST",
            f"{m}/subscriptions",
            400,
            message("the body must be a JSON object"),
            data="[" * 100_000 + "]" * 100_000,
            content_type="application/json",
        ),
        case(
            "ctl-subscriptions-not-utf8",
            "control",
            "POST",
            f"{m}/subscriptions",
            400,
            message("the body must be a JSON object"),
            data=b"\xff\xfe",
            content_type="application/json",
        ),
        case(
            "ctl-subscriptions-unknown-kind",
            "control",
            "POST",
            f"{m}/subscriptions",
            400,
            message("kind must be one of webhook, sqs, jsonl"),
            json={"kind": "carrier-pigeon"},
        ),
        case(
            "ctl-subscriptions-url-number",
            "control",
            "POST",
            f"{m}/subscriptions",
            400,
            message("url must be a non-empty string"),
            json={"kind": "webhook", "url": 5},
        ),
        case(
            "ctl-subscriptions-unknown-field",
            "control",
            "POST",
            f"{m}/subscriptions",
            400,
            message("unknown field(s) for a jsonl subscription: colour"),
            json={"kind": "jsonl", "path": "/nonexistent/x.jsonl", "colour": "red"},
        ),
        case("ctl-subscription-abc", "control", "GET", f"{m}/subscriptions/abc", 404, NOT_FOUND),
        case(
            "ctl-subscription-huge",
            "control",
            "DELETE",
            f"{m}/subscriptions/{HUGE}",
            404,
            NOT_FOUND,
            json={},
        ),
        case(
            "ctl-subscription-wait-bad",
            "control",
            "POST",
            f"{m}/subscriptions/1/wait",
            404,
            NOT_FOUND,
            json={"timeout": "soon"},
        ),
        case("ctl-unknown-route", "control", "GET", f"{m}/nothing", 404, NOT_FOUND),
        case("ctl-wrong-method", "control", "PATCH", f"{m}/reset", 404, NOT_FOUND),
    ]


# Every route that reads a body: (family, method, path). A route that never reads its body (a GET
# with the token in the header) answers as if there were none.
BODY_ROUTES = [
    ("rest", "PUT", SUB.format(a=3, u=4)),
    ("rest", "POST", BULK_ONE),
    ("rest", "POST", BULK_MANY),
    ("graphql", "POST", "/api/graphql"),
    ("control", "POST", "/_mockcanvas/grades"),
    ("control", "POST", "/_mockcanvas/overrides"),
    ("control", "POST", "/_mockcanvas/post_grades"),
    ("control", "POST", "/_mockcanvas/clock"),
    ("control", "POST", "/_mockcanvas/faults"),
    ("control", "POST", "/_mockcanvas/throttle"),
    ("control", "POST", "/_mockcanvas/subscriptions"),
    ("control", "PUT", "/_mockcanvas/state"),
]
OVERSIZED = b" " * (DEFAULT_MAX_BODY + 1)  # one byte past the default limit (10 MiB)


def _oversized_cases() -> list[BadInput]:
    out = [
        case(
            f"413-{method}-{path}",
            family,
            method,
            path,
            413,
            TOO_LARGE,
            as_="teacher",
            data=OVERSIZED,
            content_type="application/json",
        )
        for family, method, path in BODY_ROUTES
    ]
    form = "application/x-www-form-urlencoded"
    out += [
        case(
            f"413-form-{method}-{path}",
            family,
            method,
            path,
            413,
            TOO_LARGE,
            as_="teacher",
            data=OVERSIZED,
            content_type=form,
        )
        for family, method, path in BODY_ROUTES
        if family != "control"
    ]
    out.append(
        case(
            "GET-unread-oversized-body",
            "rest",
            "GET",
            "/api/v1/courses/1",
            200,
            as_="teacher",
            data=OVERSIZED,
            content_type=form,
            same_as={},
        )
    )
    return out


BAD_INPUTS: list[BadInput] = (
    _audit_cases() + _rest_cases() + _graphql_cases() + _control_cases() + _oversized_cases()
)
BAD_INPUT_FAMILIES: dict[str, int] = dict(sorted(Counter(c.family for c in BAD_INPUTS).items()))


# -- running a case ----------------------------------------------------------------------------


def send(client, store, c: BadInput, query=None):
    headers = dict(c.headers)
    if c.as_ is not None:
        headers["Authorization"] = f"Bearer {store.token_for(store.landmarks[c.as_])}"
    kw: dict[str, Any] = {}
    if c.json is not ABSENT:
        kw["data"] = json.dumps(c.json)
        kw["content_type"] = "application/json"
    elif c.data is not None:
        kw["data"] = c.data
        if c.content_type is not None:
            kw["content_type"] = c.content_type
    return client.open(
        c.path,
        method=c.method,
        query_string=list(c.query if query is None else query),
        headers=headers,
        base_url=BASE,
        **kw,
    )


def answer_body(response) -> object:
    data = response.get_data()
    if response.mimetype == "application/json":
        try:
            return json.loads(data)
        except ValueError:  # Canvas's bare-text "JSON" answers stay bytes
            return data
    return data


def fingerprint(inst) -> tuple:
    """Everything a request could change, the request journal aside."""
    ctl = controls(inst)
    return (
        export_state(inst),
        len(inst.bus.inbox),
        sorted(inst.progresses),
        [f.to_json() for f in ctl.faults.all()],
        [s.describe() for s in registry_for(inst.bus).all()],
        ctl.throttle.config,
    )


def _without_progresses(print_: tuple) -> tuple:
    return print_[:2] + print_[3:]


@pytest.fixture(scope="module")
def world():
    """One app for the module; a case that writes is reset after."""
    app = create_app(seed=1, allowed_hosts=[BASE.removeprefix("http://")])
    inst = app.extensions["mockcanvas"]
    return app, inst, app.test_client()


def test_the_table_is_well_formed():
    ids = [c.id for c in BAD_INPUTS]
    assert len(ids) == len(set(ids))
    assert set(BAD_INPUT_FAMILIES) == {"audit", "rest", "graphql", "control"}
    assert sum(BAD_INPUT_FAMILIES.values()) == len(BAD_INPUTS)
    for c in BAD_INPUTS:
        assert isinstance(c.status, int), c.id
        assert (c.body is None) != (c.same_as is None and c.same_path is None) or c.fields, c.id


def test_every_audit_route_is_in_the_table(world):
    """The 12 audit routes, each tried with at least one bad input."""
    app = world[0]
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith(AUDIT)}
    assert len(routes) == 12
    adapter = app.url_map.bind("canvas.test")
    tried = {
        adapter.match(c.path, method="GET", return_rule=True)[0].rule
        for c in BAD_INPUTS
        if c.family == "audit"
    }
    assert tried == routes, sorted(routes - tried)


@pytest.mark.parametrize("c", BAD_INPUTS, ids=[c.id for c in BAD_INPUTS])
def test_bad_input(world, c: BadInput):
    _, inst, client = world
    store = inst.store
    before = fingerprint(inst)
    progresses = len(inst.progresses)
    try:
        response = send(client, store, c)
        assert response.status_code != 500
        assert response.status_code == c.status, answer_body(response)
        got = answer_body(response)
        if c.same_as is not None or c.same_path is not None:
            twin = send(
                client,
                store,
                BadInput(
                    c.id,
                    c.family,
                    c.method,
                    c.same_path or c.path,
                    c.status,
                    as_=c.as_,
                    headers=c.headers,
                ),
                query=c.same_as if c.same_as is not None else c.query,
            )
            assert twin.status_code == c.status
            assert got == answer_body(twin)
        elif c.fields:
            assert {k: got.get(k) for k, _ in c.fields} == dict(c.fields)
        else:
            assert got == c.body
        for name, value in c.expect_headers:
            assert response.headers.get(name) == value, name
        if response.mimetype == "application/json" or c.status >= 400:
            assert response.headers["Content-Type"] == JSON
        after = fingerprint(inst)
        if c.writes == "progress":
            assert _without_progresses(after) == _without_progresses(before)
            assert len(inst.progresses) == progresses + 1
        elif c.writes:
            assert after != before
        else:
            assert after == before  # an error, or a read: nothing changed
    finally:
        reset(inst)


# -- the body limit through a real server ------------------------------------------------------

CAP = 4096  # a small limit, so the bodies past it stay small


def _http(url: str, method: str, path: str, body: bytes, token: str, *, chunked: bool):
    """One request on its own connection: (status, content type, body)."""
    host, port = url.split("//")[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        if chunked:  # no Content-Length: the body's size shows only as it arrives
            pieces = (body[i : i + 1000] for i in range(0, len(body), 1000))
            connection.request(method, path, body=pieces, headers=headers, encode_chunked=True)
        else:
            connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def _runaway(url: str, path: str, token: str, *, chunked: bool):
    """A PUT whose body is 3x the limit, sent until the server stops listening."""
    host, port = url.split("//")[1].rsplit(":", 1)
    body = b" " * (3 * CAP)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()
    if chunked:
        body = b"".join(
            b"%x\r\n%s\r\n" % (500, body[i : i + 500]) for i in range(0, len(body), 500)
        )
        body += b"0\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # answered and closed
            sock.sendall(head + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Content-Type"), response.read()


@pytest.fixture(scope="module")
def capped():
    app = create_app(seed=1, max_body=CAP)
    inst = app.extensions["mockcanvas"]
    with serve(app) as url:
        yield url, inst


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("family", "method", "path"), BODY_ROUTES, ids=[r[2] for r in BODY_ROUTES])
def test_a_body_past_the_limit_is_413_through_waitress(capped, family, method, path, chunked):
    url, inst = capped
    token = inst.store.token_for(inst.store.landmarks["teacher"])
    before = fingerprint(inst)
    body = b'{"pad": "' + b"x" * CAP + b'"}'
    status, content_type, raw = _http(url, method, path, body, token, chunked=chunked)
    assert (status, content_type, json.loads(raw)) == (413, JSON, TOO_LARGE)
    assert fingerprint(inst) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_waitress_stops_reading_at_twice_the_limit(capped, chunked):
    """Past 2x the limit waitress answers its own plain-text 413 and never calls the app."""
    url, inst = capped
    token = inst.store.token_for(inst.store.landmarks["teacher"])
    before = fingerprint(inst)
    status, content_type, raw = _runaway(url, SUB.format(a=3, u=4), token, chunked=chunked)
    assert (status, content_type) == (413, "text/plain; charset=utf-8")
    assert raw.startswith(b"Request Entity Too Large")
    assert fingerprint(inst) == before


def test_a_body_at_the_limit_is_read(capped):
    url, inst = capped
    token = inst.store.token_for(inst.store.landmarks["teacher"])
    head = b'{"submission": {"posted_grade": "7"}}'
    body = head + b" " * (CAP - len(head))  # exactly the limit: JSON allows trailing spaces
    status, _, raw = _http(url, "PUT", SUB.format(a=3, u=4), body, token, chunked=True)
    try:
        assert status == 200
        assert (json.loads(raw)["score"], json.loads(raw)["grade"]) == (7.0, "7")
    finally:
        reset(inst)


def test_the_default_limit_reads_a_large_bulk_grading_body():
    """10 MiB: a bulk update of the course's students padded to the limit is read and graded."""
    app = create_app(seed=1)
    inst = app.extensions["mockcanvas"]
    store = inst.store
    head = b'{"grade_data": {"4": {"posted_grade": "9"}, "5": {"posted_grade": "8"}}}'
    body = head + b" " * (DEFAULT_MAX_BODY - len(head))
    response = app.test_client().post(
        BULK_ONE,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {store.token_for(store.landmarks['teacher'])}"},
        base_url=BASE,
    )
    assert (response.status_code, response.get_json()["workflow_state"]) == (200, "completed")
    graded = {s.user_id: s.grade for s in store.assignment_submissions(3) if s.user_id in (4, 5)}
    assert graded == {4: "9", 5: "8"}


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_max_body_must_be_a_positive_number_of_bytes(bad):
    with pytest.raises(ValueError, match="max_body must be a positive number of bytes"):
        create_app(max_body=bad)


def test_max_body_none_means_no_limit():
    app = create_app(max_body=None)
    assert app.config["MAX_CONTENT_LENGTH"] is None


def test_the_document_says_413_exactly_where_a_body_is_read():
    doc = build()
    with_body = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert ("requestBody" in op) == ("413" in op["responses"]), (method, path)
            if "requestBody" in op:
                with_body.add((method.upper(), path))
    tested = {
        (method, re.sub(r"/(courses|assignments|submissions)/\d+", r"/\1/{}", path))
        for _, method, path in BODY_ROUTES
    }
    documented = {(method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path in with_body}
    assert tested == documented


def test_serve_takes_max_body():
    assert cli._parser().parse_args(["serve", "--max-body", "2048"]).max_body == 2048
    assert cli._parser().parse_args(["serve"]).max_body == DEFAULT_MAX_BODY
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["serve", "--max-body", "0"])
