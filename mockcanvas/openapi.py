"""The OpenAPI 3.1 description of every route the mock serves, built from data.

``build(...)`` is a pure function of the settings that change what the routes answer (whether a
control token guards ``/_mockcanvas/``, and the status Canvas gives an unauthorized caller);
``document(app)`` reads them from an app. Bodies are described by ``$ref`` to the JSON Schemas in
``schemas/``, which the app serves next to the document (``/_mockcanvas/schemas/<file>``), so a
relative ``$ref`` resolves against wherever the document was fetched from and nothing is copied.

Parameters say what Canvas really accepts, which is often any string: Canvas ignores a
``start_time`` it cannot parse, clamps ``per_page`` and treats a bad bookmark as the first page, so
the only "invalid" values a tool may generate are those Canvas rejects. ``markdown_table`` renders
the README's endpoint table from the same data, so the two cannot drift:
``python -m mockcanvas.openapi --markdown``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from typing import Any

from . import __version__
from .clock import RANGE_TEXT
from .http.cross_site import REQUEST_HEADER

SCHEMA_DIR = "schemas/"
"""Where ``$ref``s point, relative to the document's own URL (``/_mockcanvas/openapi.json``)."""

DOCUMENT_PATH = "/_mockcanvas/openapi.json"
CONTROL_TOKEN_HEADER = "X-Mockcanvas-Token"

# Canvas's client-side markers, reused by many operations below.
_TEXT_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_ID_FORMS = (
    "an id, a global id (`10000000000012`), `1~12`, or a `sis_*:` form where Canvas takes one"
)


def _ref(name: str) -> dict:
    """A reference to a served schema file (``error.json#/$defs/status`` keeps its fragment)."""
    stem, _, fragment = name.partition("#")
    return {"$ref": f"{SCHEMA_DIR}{stem}.json" + (f"#{fragment}" if fragment else "")}


def _array_of(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


# -- responses --------------------------------------------------------------------------------

_FLOAT_TEXT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]+(e[+-]?[0-9]+)?$"}
_THROTTLE_HEADERS = {
    "X-Request-Cost": {
        "description": "What the request cost Canvas's leaky bucket (a Ruby float, e.g. `0.0`).",
        "schema": _FLOAT_TEXT,
    },
    "X-Rate-Limit-Remaining": {
        "description": "`high_water_mark - bucket`, a Ruby float; on an identified client only.",
        "schema": _FLOAT_TEXT,
    },
}
_LINK_HEADER = {
    "Link": {
        "description": 'Pages as `<url>; rel="current"`, then `next`, `prev`, `first`, `last` '
        "as the collection has them; URLs are built from the host the client called.",
        "required": True,
        "schema": {"type": "string", "pattern": r'^<[^>]+>; rel="current"'},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": 'Sent with "unauthenticated" and token errors: `Bearer realm="canvas-lms"`.',
        "schema": {"const": 'Bearer realm="canvas-lms"'},
    }
}
_THROTTLED_TEXT = {
    "text/plain": {
        "schema": {"const": "403 Forbidden (Rate Limit Exceeded)\n"},
    }
}


def _json(description: str, schema: dict, headers: dict | None = None) -> dict:
    response: dict = {"description": description, "content": {_TEXT_JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _canvas_errors(
    *, unauthorized_status: int, not_found: str | None, unauthorized: str | None
) -> dict[str, dict]:
    """The error answers every Canvas route shares: token problems, rights, throttling, 404."""
    auth_errors = {"anyOf": [_ref("error#/$defs/status"), _ref("error#/$defs/errors")]}
    unauthenticated = (
        'No token: `{"status": "unauthenticated", ...}`; an unknown token: '
        '`{"errors": [{"message": "Invalid access token."}]}`; both with `WWW-Authenticate`.'
    )
    rights = (
        '`{"status": "unauthorized", ...}`: ' + unauthorized if unauthorized is not None else None
    )
    responses: dict[str, dict] = {}
    if unauthorized_status == 401 and rights:
        responses["401"] = _json(f"{unauthenticated} {rights}", auth_errors, _WWW_AUTHENTICATE)
    else:
        responses["401"] = _json(unauthenticated, auth_errors, _WWW_AUTHENTICATE)
    throttled = (
        "Canvas's request throttle refused the request (`serve --throttle`, "
        "`POST /_mockcanvas/throttle`, or a `rate_limit` fault): the text body below, "
        "`X-Rate-Limit-Remaining`, no `X-Request-Cost`."
    )
    forbidden: dict = {
        "description": throttled,
        "headers": {"X-Rate-Limit-Remaining": _THROTTLE_HEADERS["X-Rate-Limit-Remaining"]},
        "content": dict(_THROTTLED_TEXT),
    }
    if unauthorized_status == 403 and rights:
        forbidden["description"] = (
            f"{rights} (the `api_auth_error_updates` variant); or {throttled}"
        )
        forbidden["content"] = {
            _TEXT_JSON: {"schema": _ref("error#/$defs/status")},
            **_THROTTLED_TEXT,
        }
    responses["403"] = forbidden
    if not_found is not None:
        responses["404"] = _json(not_found, _ref("error#/$defs/errors"))
    return responses


def _control_errors(guarded: bool, *, bad_request: str | None, not_found: str | None) -> dict:
    responses: dict[str, dict] = {}
    if bad_request is not None:
        responses["400"] = _json(bad_request, _ref("error#/$defs/message"))
    if guarded:
        responses["401"] = _json(
            "The control token is missing (`unauthenticated`) or wrong (`Invalid access token.`).",
            {"anyOf": [_ref("error#/$defs/status"), _ref("error#/$defs/errors")]},
            _WWW_AUTHENTICATE,
        )
    if not_found is not None:
        responses["404"] = _json(not_found, _ref("error#/$defs/errors"))
    return responses


# -- parameters -------------------------------------------------------------------------------


def _path(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _query_list(name: str, description: str) -> dict:
    return {
        **_query(name, description, {"type": "array", "items": {"type": "string"}}),
        "style": "form",
        "explode": True,
    }


def _digits(pattern: str) -> dict:
    """A control API query number as the ASCII text it must be; empty counts as not sent. The
    ``not`` keeps a Python-minded generator from ending a value with a newline ``$`` allows."""
    return {"type": "string", "pattern": f"^({pattern})?$", "not": {"pattern": "\\n"}}


_CONTROL_INTEGER = _digits("-?[0-9]+")
_CONTROL_COUNT = _digits("[0-9]+")

_AUDIT_QUERY = [
    _query(
        "start_time",
        "Oldest `created_at` to include (inclusive). Read like Ruby's `Time.zone.parse`, in the "
        "caller's zone when it has no offset; Canvas ignores a value it cannot parse, so any "
        "string is accepted.",
    ),
    _query("end_time", "Newest `created_at` to include (inclusive); read like `start_time`."),
    _query(
        "per_page",
        "Page size: default 10, clamped to 1..100; read like Ruby's `to_i`, so any string is "
        "accepted, and the last value wins when repeated.",
    ),
    _query(
        "page",
        "`first` or a `bookmark:` token from a `Link` header. An undecodable bookmark is the first "
        "page; a number above 1 is 404 (Canvas raises `InvalidPage` on bookmarked collections).",
    ),
    _query_list("include[]", "`current_grade` adds `grade_current` to each event."),
]
_NUMBERED_PAGES = [
    _query(
        "page",
        "Page number from 1, read like Ruby's `to_i`; below 1 is 404, past the end an empty list.",
    ),
    _query("per_page", "Page size: default 10, clamped to 1..100, read like Ruby's `to_i`."),
]


# -- operations -------------------------------------------------------------------------------

_CANVAS = "canvas"
_CONTROL = "control"
_PUBLIC = "public"  # the document and the schema files: no token, ever


def _op(
    method: str,
    path: str,
    *,
    operation_id: str,
    summary: str,
    kind: str,
    responses: dict,
    who: str = "",
    notes: str = "",
    parameters: list | None = None,
    body: dict | None = None,
    tags: tuple[str, ...] = (),
) -> dict:
    return {
        "method": method,
        "path": path,
        "operationId": operation_id,
        "summary": summary,
        "kind": kind,
        "who": who,
        "notes": notes,
        "parameters": parameters or [],
        "body": body,
        "responses": responses,
        "tags": list(tags),
    }


_AUDIT_WHO_COURSE = "admins with the grade change log right; the course's teachers and TAs"
_COMPOUND = "The page: `{links, events, linked}`, newest first, and a `Link` header."


def _audit_operations(unauthorized_status: int) -> Iterator[dict]:
    base = "/api/v1/audit/grade_change"
    course_param = _path(
        "course_id",
        "The course, read as `Course.find` reads it: digits (`12abc` is 12), a global id; no SIS "
        "ids. A missing course is 404 for admins and 401 for others.",
    )
    assignment_param = _path(
        "assignment_id", "An assignment id, or `override` for final grade override rows."
    )
    grader_param = _path("grader_id", "The grader: " + _ID_FORMS + ".")
    student_param = _path("student_id", "The student: " + _ID_FORMS + ".")

    def audit(
        suffix: str,
        operation_id: str,
        summary: str,
        params: list,
        *,
        who: str,
        notes: str,
        extra: dict | None = None,
        unauthorized: str,
    ) -> dict:
        responses = {
            "200": _json(
                _COMPOUND,
                _ref("grade_change_compound"),
                {**_LINK_HEADER, **_THROTTLE_HEADERS},
            ),
            **(extra or {}),
            **_canvas_errors(
                unauthorized_status=unauthorized_status,
                not_found="Canvas's not-found body: an unknown or deleted record, or `page=2`.",
                unauthorized=unauthorized,
            ),
        }
        return _op(
            "get",
            base + suffix,
            operation_id=operation_id,
            summary=summary,
            kind=_CANVAS,
            who=who,
            notes=notes,
            parameters=[*params, *_AUDIT_QUERY],
            responses=dict(sorted(responses.items())),
            tags=("Grade Change Log",),
        )

    course_rule = "the caller is not an admin with the right, nor a teacher or TA of the course"
    admin_rule = "the caller is not an admin with the grade change log right"
    yield audit(
        "/assignments/{assignment_id}",
        "grade_change_for_assignment",
        "Grade changes of an assignment",
        [_path("assignment_id", "The assignment: " + _ID_FORMS + "; deleted ones are 404.")],
        who="admins",
        notes="deleted assignments are 404",
        unauthorized=admin_rule,
    )
    yield audit(
        "/courses/{course_id}",
        "grade_change_for_course",
        "Grade changes in a course",
        [course_param],
        who=_AUDIT_WHO_COURSE,
        notes="`Course.find`: a missing course is 404 for admins, 401 for others",
        unauthorized=course_rule,
    )
    yield audit(
        "/students/{student_id}",
        "grade_change_for_student",
        "Grade changes of a student",
        [student_param],
        who="admins",
        notes="deleted users 404; anonymous and muted rows are dropped",
        unauthorized=admin_rule,
    )
    yield audit(
        "/graders/{grader_id}",
        "grade_change_for_grader",
        "Grade changes by a grader",
        [grader_param],
        who="admins",
        notes="deleted users 404",
        unauthorized=admin_rule,
    )
    yield audit(
        "",
        "grade_change_query",
        "Grade changes matching any combination of course, assignment, student and grader",
        [
            _query("course_id", "A course: " + _ID_FORMS + " (`sis_course_id:`)."),
            _query("assignment_id", "An assignment id, or `override` for override rows."),
            _query("student_id", "A student (looked up in the course when one is given)."),
            _query("grader_id", "A grader."),
        ],
        who="admins; with `course_id`, the course's teachers and TAs",
        notes='no condition at all is 400 `{"message"}` (no `errors` array)',
        extra={
            "400": _json(
                '`{"message": "Must specify at least one query condition"}`.',
                _ref("error#/$defs/message"),
            )
        },
        unauthorized="without `course_id`, " + admin_rule + "; with it, " + course_rule,
    )
    combined = [
        ("/assignments/{assignment_id}", "assignment", [assignment_param]),
        (
            "/assignments/{assignment_id}/graders/{grader_id}",
            "assignment_grader",
            [assignment_param, grader_param],
        ),
        (
            "/assignments/{assignment_id}/graders/{grader_id}/students/{student_id}",
            "assignment_grader_student",
            [assignment_param, grader_param, student_param],
        ),
        (
            "/assignments/{assignment_id}/students/{student_id}",
            "assignment_student",
            [assignment_param, student_param],
        ),
        ("/graders/{grader_id}", "grader", [grader_param]),
        (
            "/graders/{grader_id}/students/{student_id}",
            "grader_student",
            [grader_param, student_param],
        ),
        ("/students/{student_id}", "student", [student_param]),
    ]
    for suffix, name, params in combined:
        yield audit(
            "/courses/{course_id}" + suffix,
            f"grade_change_for_course_and_{name}",
            "Grade changes in a course, narrowed by " + name.replace("_", ", "),
            [course_param, *params],
            who="as the course route",
            notes="undocumented Canvas route"
            + ("; `:assignment_id` may be `override`" if "assignment" in name else ""),
            unauthorized=course_rule,
        )


def _rest_operations(unauthorized_status: int) -> Iterator[dict]:
    def errors(
        unauthorized: str | None, not_found: str | None = "An unknown or unreadable record."
    ) -> dict:
        return _canvas_errors(
            unauthorized_status=unauthorized_status,
            not_found=not_found,
            unauthorized=unauthorized,
        )

    course = _path("course_id", "The course: " + _ID_FORMS + " (`sis_course_id:`).")
    assignment = _path("assignment_id", "The assignment's id (or global id).")
    user = _path("user_id", "The user: " + _ID_FORMS + " (`sis_user_id:`, `sis_login_id:`).")
    ok_headers = dict(_THROTTLE_HEADERS)
    paged_headers = {**_LINK_HEADER, **_THROTTLE_HEADERS}
    not_enrolled = "the caller may not read the course"
    yield _op(
        "get",
        "/api/v1/courses/{course_id}",
        operation_id="get_course",
        summary="A course",
        kind=_CANVAS,
        who="admins, anyone enrolled",
        notes="SIS and global ids",
        parameters=[course],
        responses={
            "200": _json("The Course.", _ref("course"), ok_headers),
            **errors(not_enrolled),
        },
        tags=("Courses",),
    )
    yield _op(
        "get",
        "/api/v1/courses/{course_id}/assignments",
        operation_id="list_assignments",
        summary="A course's assignments, in position order",
        kind=_CANVAS,
        who="course readers",
        notes="numbered pages",
        parameters=[course, *_NUMBERED_PAGES],
        responses={
            "200": _json("One page of Assignments.", _array_of("assignment"), paged_headers),
            **errors(not_enrolled, "An unknown course, or `page` below 1."),
        },
        tags=("Courses",),
    )
    yield _op(
        "get",
        "/api/v1/courses/{course_id}/assignments/{assignment_id}",
        operation_id="get_assignment",
        summary="An assignment",
        kind=_CANVAS,
        who="course readers",
        notes="deleted assignments are 404",
        parameters=[course, assignment],
        responses={
            "200": _json("The Assignment.", _ref("assignment"), ok_headers),
            **errors(not_enrolled + ", or the assignment is unpublished and they cannot grade"),
        },
        tags=("Courses",),
    )
    users_params = [
        course,
        _query_list(
            "enrollment_type[]",
            "Short enrollment types (`student`, `teacher`, `ta`, `observer`, `designer`); "
            "unknown ones match nobody, blank ones filter nothing.",
        ),
        _query_list("enrollment_type", "The same filter sent without brackets."),
        *_NUMBERED_PAGES,
    ]
    for path, operation_id, summary in (
        ("/users", "list_course_users", "The course's users, by sortable name"),
        ("/search_users", "search_course_users", "Canvas's alias of `/users` (canvasapi uses it)"),
    ):
        yield _op(
            "get",
            "/api/v1/courses/{course_id}" + path,
            operation_id=operation_id,
            summary=summary,
            kind=_CANVAS,
            who="anyone enrolled, admins",
            notes="`enrollment_type[]` filter; section-limited callers see their sections",
            parameters=users_params,
            responses={
                "200": _json("One page of Users.", _array_of("user"), paged_headers),
                **errors(not_enrolled, "An unknown course, or `page` below 1."),
            },
            tags=("Courses",),
        )
    yield _op(
        "get",
        "/api/v1/courses/{course_id}/students",
        operation_id="list_course_students",
        summary="The course's current students (deprecated in Canvas; not paginated)",
        kind=_CANVAS,
        who="anyone enrolled, admins",
        notes="not paginated, as in Canvas",
        parameters=[course],
        responses={
            "200": _json("Every current student.", _array_of("user"), ok_headers),
            **errors(not_enrolled),
        },
        tags=("Courses",),
    )
    yield _op(
        "get",
        "/api/v1/users/{user_id}",
        operation_id="get_user",
        summary="A user's profile (`self` is the caller)",
        kind=_CANVAS,
        who="the user, admins, graders sharing a course",
        notes="SIS and login ids; `self`",
        parameters=[user],
        responses={
            "200": _json("The User with its profile fields.", _ref("user"), ok_headers),
            **errors("the caller may not see this user"),
        },
        tags=("Users",),
    )
    submission_params = [course, assignment, user]
    yield _op(
        "get",
        "/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions/{user_id}",
        operation_id="get_submission",
        summary="A student's submission",
        kind=_CANVAS,
        who="the student, the course's graders, admins",
        parameters=submission_params,
        responses={
            "200": _json("The Submission.", _ref("submission"), ok_headers),
            **errors("the caller may not see this submission"),
        },
        tags=("Submissions",),
    )
    yield _op(
        "put",
        "/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions/{user_id}",
        operation_id="grade_submission",
        summary="Grade or excuse a submission through the one write path",
        kind=_CANVAS,
        who="the course's teachers and TAs (a section-limited TA: their sections), admins",
        notes="writes an audit row and Live Events when the grade changes",
        parameters=submission_params,
        body=_grade_body(),
        responses={
            "200": _json("The Submission after grading.", _ref("submission"), ok_headers),
            "400": _json(
                "A grade that means nothing for the assignment's grading type, or a body of the "
                'wrong shape: `{"message": ...}`; nothing changes.',
                _ref("error#/$defs/message"),
            ),
            **errors(
                "the caller may not grade this student",
                "An unknown course, user or student; a deleted assignment; a student not in "
                "the course.",
            ),
        },
        tags=("Submissions",),
    )
    bulk_responses = {
        "200": _json(
            "The Progress of the job (the mock finishes it before answering).",
            _ref("progress"),
            ok_headers,
        ),
        "400": {
            "description": "Canvas's bare text `'grade_data' parameter required` when `grade_data` "
            "is missing or empty, sent as `application/json` although it is not JSON (Rails' "
            "`render json:` of a string), or Canvas's generic JSON error "
            '`{"errors": [{"message": "An error occurred.", "error_code": "bad_request"}]}` '
            "for a body Rails cannot parse. The media type cannot tell them apart, so no schema "
            "is given.",
            "content": {_TEXT_JSON: {}},
        },
        **errors(
            "the caller may not manage grades in the course, or an assignment is unpublished",
            "An unknown course, or an assignment not active in it.",
        ),
    }
    yield _op(
        "post",
        "/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions/update_grades",
        operation_id="bulk_update_assignment_grades",
        summary="Grade many students of one assignment (a Progress)",
        kind=_CANVAS,
        who="as grading",
        notes="`grade_data[<student_id>][posted_grade|excuse]`",
        parameters=[course, assignment],
        body=_bulk_body(nested_by_assignment=False),
        responses=dict(sorted(bulk_responses.items())),
        tags=("Submissions",),
    )
    yield _op(
        "post",
        "/api/v1/courses/{course_id}/submissions/update_grades",
        operation_id="bulk_update_course_grades",
        summary="Grade many students across assignments (a Progress)",
        kind=_CANVAS,
        who="as grading",
        notes="`grade_data[<assignment_id>][<student_id>][posted_grade|excuse]`",
        parameters=[course],
        body=_bulk_body(nested_by_assignment=True),
        responses=dict(sorted(bulk_responses.items())),
        tags=("Submissions",),
    )
    yield _op(
        "get",
        "/api/v1/progress/{progress_id}",
        operation_id="get_progress",
        summary="A Progress again",
        kind=_CANVAS,
        who="whoever started it, the course's graders, admins",
        notes="an unknown id is 404 even without a token: the Progress is looked up first",
        parameters=[_path("progress_id", "The Progress id, read like `Progress.find`.")],
        responses={
            "200": _json("The Progress.", _ref("progress"), ok_headers),
            **errors("the caller neither started the job nor grades in its course"),
        },
        tags=("Submissions",),
    )
    yield _op(
        "post",
        "/api/graphql",
        operation_id="graphql",
        summary="Canvas's GraphQL endpoint (a subset of its schema)",
        kind=_CANVAS,
        who="any user with a token",
        notes="GraphQL errors are 200 with `errors`, as graphql-ruby answers",
        body=_graphql_body(),
        responses={
            "200": _json(
                "A GraphQL result. Syntax and validation errors come without `data`; execution "
                "errors with `data` holding nulls; a missing query is `No query string was "
                "present`. Canvas's limits answer the same way before anything runs: over 5,000 "
                "tokens or 128 KiB `This query is too large to execute.`, more than 20 aliases "
                "or 5 directives `max query aliases exceeded` / `max query directives "
                "exceeded`, depth over 15 and complexity over 375,000 graphql-ruby's `Query has "
                "depth of N, which exceeds max depth of 15` and `Query has complexity of N, "
                "which exceeds max complexity of 375000`.",
                _GRAPHQL_RESULT,
                ok_headers,
            ),
            "400": _json(
                "A body that is not the JSON its content type says: Canvas's generic "
                "`bad_request` error.",
                _ref("error#/$defs/errors"),
            ),
            **errors(None, None),
        },
        tags=("GraphQL",),
    )


_GRAPHQL_ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["line", "column"],
                "properties": {"line": {"type": "integer"}, "column": {"type": "integer"}},
            },
        },
        "path": {"type": "array", "items": {"type": ["string", "integer"]}},
        "extensions": {"type": "object"},
    },
}
_GRAPHQL_RESULT = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "data": {"type": ["object", "null"]},
        "errors": {"type": "array", "minItems": 1, "items": _GRAPHQL_ERROR},
    },
}


def _grade_body() -> dict:
    grade = {
        "description": "Read per grading type: points `7.5` (or `85%`), percent `85%`, a letter "
        "(`B+`), GPA `3.7`, `complete`/`incomplete`; blank clears the grade.",
        "type": ["string", "number", "null"],
    }
    excuse = {
        "description": "Canvas's `value_to_boolean`: `true`, `1`, `yes`, `on` excuse (and win over "
        "a grade); `false`, `0`, `no`, `off`, blank un-excuse; anything else is ignored.",
    }
    return {
        "required": False,
        "description": "`submission[posted_grade]` and `submission[excuse]`, form-encoded (or in "
        "the query string), or the same nested in a JSON object.",
        "content": {
            _TEXT_JSON: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "submission": {
                            "type": "object",
                            "properties": {"posted_grade": grade, "excuse": excuse},
                        }
                    },
                }
            },
            _FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "submission[posted_grade]": {"type": "string"},
                        "submission[excuse]": {"type": "string"},
                    },
                }
            },
        },
    }


def _bulk_body(*, nested_by_assignment: bool) -> dict:
    grade = {
        "type": "object",
        "description": "`posted_grade` (read as in single grading) and/or `excuse`.",
        "properties": {"posted_grade": {}, "excuse": {}},
    }
    by_student = {"type": "object", "minProperties": 1, "additionalProperties": grade}
    grade_data = (
        {"type": "object", "minProperties": 1, "additionalProperties": by_student}
        if nested_by_assignment
        else by_student
    )
    keys = (
        r"^grade_data\[[^\[\]]+\]\[[^\[\]]+\]\[(posted_grade|excuse)\]$"
        if nested_by_assignment
        else r"^grade_data\[[^\[\]]+\]\[(posted_grade|excuse)\]$"
    )
    shape = (
        "`grade_data[<assignment_id>][<student_id>][posted_grade]`"
        if nested_by_assignment
        else "`grade_data[<student_id>][posted_grade]`"
    )
    return {
        "required": False,
        "description": f"{shape} (or `[excuse]`), form-encoded or in the query string, or the "
        "same nesting in a JSON object. Every assignment must be active in the course (404) and "
        "published (401); grades that mean nothing fail the job, which the Progress shows.",
        "content": {
            _TEXT_JSON: {
                "schema": {
                    "type": "object",
                    "required": ["grade_data"],
                    "properties": {"grade_data": grade_data},
                }
            },
            _FORM: {
                "schema": {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": keys, **_ONE_LINE},
                    "additionalProperties": {"type": "string"},
                }
            },
        },
    }


def _graphql_body() -> dict:
    return {
        "required": False,
        "description": "`query` and `variables` (an object, or a JSON string of one) from a JSON "
        "body, a form, or the query string; `operationName` is ignored, as Canvas passes only "
        "the query and the variables. graphql-ruby answers anything else with 200 and `errors` "
        "rather than rejecting it, so no value is invalid here.",
        "content": {
            _TEXT_JSON: {
                "schema": {
                    "properties": {
                        "query": {"description": "The GraphQL document."},
                        "variables": {"description": "An object, or a JSON string of one."},
                        "operationName": {"description": "Ignored."},
                    },
                },
                "examples": {
                    "course": {
                        "value": {
                            "query": "query($id: ID!) { course(id: $id) { _id name } }",
                            "variables": {"id": "1"},
                        }
                    }
                },
            }
        },
    }


# -- the control API --------------------------------------------------------------------------


_LONG_WAITS_TAKEN = _json(
    "Every long-wait slot is taken: event streams and subscription waits share a few (each holds "
    "a server worker thread; the rest stay free for other requests). Try again after "
    "`Retry-After` seconds.",
    _ref("error#/$defs/message"),
    {"Retry-After": {"description": "Seconds.", "schema": {"type": "string"}}},
)


def _control_operations(guarded: bool) -> Iterator[dict]:
    def errors(bad_request: str | None = None, not_found: str | None = None) -> dict:
        return _control_errors(guarded, bad_request=bad_request, not_found=not_found)

    def control(method: str, path: str, operation_id: str, summary: str, ok: dict, **kw) -> dict:
        extra = kw.pop("errors", {})
        responses = dict(sorted({**ok, **extra}.items()))
        return _op(
            method,
            "/_mockcanvas" + path,
            operation_id=operation_id,
            summary=summary,
            kind=_CONTROL,
            responses=responses,
            tags=kw.pop("tags", ("Control",)),
            **kw,
        )

    integer = "An integer (digits, optionally `-`)."
    yield control(
        "get",
        "/health",
        "control_health",
        "Up, with seed, size, counts and clock",
        {"200": _json("Health.", _ref("control_health"))},
        errors=errors(),
    )
    yield control(
        "post",
        "/reset",
        "control_reset",
        "Back to the seeded world (subscriptions stay)",
        {"200": _json("Done, with how long it took.", _ref("control_reset"))},
        errors=errors(),
    )
    yield control(
        "get",
        "/world",
        "control_world",
        "Landmarks, courses, users with their tokens",
        {"200": _json("The world.", _ref("control_world"))},
        errors=errors(),
    )
    yield control(
        "get",
        "/live_events",
        "control_live_events",
        "The Live Events inbox, oldest first",
        {"200": _json("Matching events.", _ref("control_live_events"))},
        parameters=[
            _query_list("event_name", "Only these event names (repeatable)."),
            _query_list("event_name[]", "The same, Rails-style."),
            _query("user_id", "Only events about this user. " + integer, _CONTROL_INTEGER),
            _query("course_id", "Only events in this course. " + integer, _CONTROL_INTEGER),
            _query("after", "Only events with a larger `seq`. " + integer, _CONTROL_INTEGER),
            _query("limit", "At most this many.", _CONTROL_COUNT),
        ],
        errors=errors('A parameter that is not an integer: `{"message": ...}`.'),
    )
    yield control(
        "delete",
        "/live_events",
        "control_clear_live_events",
        "Empty the inbox",
        {"200": _json("How many were removed.", _ref("control_deleted"))},
        errors=errors(),
    )
    yield control(
        "get",
        "/clock",
        "control_clock",
        "The mock's clock",
        {"200": _json("`{now, frozen}`.", _ref("control_clock"))},
        errors=errors(),
    )
    yield control(
        "post",
        "/clock",
        "control_set_clock",
        "Set, advance, freeze or unfreeze the clock",
        {"200": _json("The clock after the change.", _ref("control_clock"))},
        body=_required_json(_CLOCK_BODY),
        notes="`set`, `advance`, `freeze`, `unfreeze` apply in that order; the clock stays "
        f"within {RANGE_TEXT}, the times the audit log can hold",
        errors=errors(
            f"A body of the wrong shape, or a change that would take the clock out of {RANGE_TEXT} "
            "(which depends on where the clock stands)."
        ),
    )
    yield control(
        "get",
        "/faults",
        "control_faults",
        "Faults, in the order they are tried",
        {"200": _json("The faults.", _ref("control_faults"))},
        errors=errors(),
    )
    yield control(
        "post",
        "/faults",
        "control_add_fault",
        "Make Canvas routes fail on purpose",
        {"201": _json("The fault, with its id.", _ref("control_fault"))},
        body=_required_json(_FAULT_BODY),
        notes="control routes are never faulted",
        errors=errors("A fault of the wrong shape, or a `regex` Python cannot compile."),
    )
    yield control(
        "delete",
        "/faults",
        "control_clear_faults",
        "Remove every fault",
        {"200": _json("How many were removed.", _ref("control_deleted"))},
        errors=errors(),
    )
    fault_id = _path("fault_id", "The fault's id.")
    yield control(
        "get",
        "/faults/{fault_id}",
        "control_fault",
        "One fault with its counts",
        {"200": _json("The fault.", _ref("control_fault"))},
        parameters=[fault_id],
        errors=errors(not_found="No such fault."),
    )
    yield control(
        "delete",
        "/faults/{fault_id}",
        "control_delete_fault",
        "Remove one fault",
        {"200": _json('`{"deleted": 1}`.', _ref("control_deleted"))},
        parameters=[fault_id],
        errors=errors(not_found="No such fault."),
    )
    yield control(
        "get",
        "/throttle",
        "control_throttle",
        "Throttle settings and buckets",
        {"200": _json("Settings and buckets.", _ref("control_throttle"))},
        errors=errors(),
    )
    yield control(
        "post",
        "/throttle",
        "control_configure_throttle",
        "Change throttle settings",
        {"200": _json("The new settings (buckets emptied).", _ref("control_throttle"))},
        body=_required_json(_THROTTLE_BODY),
        errors=errors(
            "Unknown settings, wrong types, negative numbers, or a `maximum` below the "
            "`high_water_mark` (the one sent or the current one)."
        ),
    )
    yield control(
        "delete",
        "/throttle",
        "control_empty_buckets",
        "Empty every throttle bucket",
        {"200": _json("How many buckets were emptied.", _ref("control_deleted"))},
        errors=errors(),
    )
    yield control(
        "get",
        "/state",
        "control_export_state",
        "Export everything the store holds",
        {"200": _json("The state document.", _ref("control_state"))},
        errors=errors(),
    )
    yield control(
        "put",
        "/state",
        "control_import_state",
        "Replace the world with an export",
        {"200": _json("What was imported.", _ref("control_state_import"))},
        parameters=[
            _query(
                "baseline",
                "`true` makes the import what reset restores (case-insensitive).",
                {
                    "type": "string",
                    "not": {"pattern": "[^A-Za-z]"},
                    "anyOf": [
                        {"pattern": "^[Tt][Rr][Uu][Ee]", "maxLength": 4},
                        {"pattern": "^[Ff][Aa][Ll][Ss][Ee]", "maxLength": 5},
                    ],
                },
            )
        ],
        body=_required_json(_ref("control_state")),
        notes="every table, reference and sequence is checked before anything changes",
        errors=errors(
            "Anything wrong in the document, named by its place "
            "(`submissions[3].score must be a finite number`), including what a schema cannot "
            "say: unique ids, references between tables, sequences above the ids in use."
        ),
    )
    yield control(
        "get",
        "/requests",
        "control_requests",
        "The request journal, oldest first",
        {"200": _json("Entries and counts.", _ref("control_requests"))},
        parameters=[
            _query("after", "Only entries with a larger `seq`. " + integer, _CONTROL_INTEGER),
            _query("limit", "At most this many.", _CONTROL_COUNT),
            _query("path", "A glob on the path (`*`, `**`, `?`)."),
            _query("method", "Only this HTTP method (any case)."),
        ],
        errors=errors("A parameter that is not an integer, or a negative limit."),
    )
    yield control(
        "delete",
        "/requests",
        "control_clear_requests",
        "Empty the journal",
        {"200": _json("How many entries were removed.", _ref("control_deleted"))},
        errors=errors(),
    )
    grading_404 = "An unknown course, assignment, user or grader."
    yield control(
        "post",
        "/grades",
        "control_grade",
        "Grade through the one write path",
        {
            "200": _json(
                "The submission, the audit row id and the events.", _ref("control_write_result")
            )
        },
        body=_required_json(_GRADE_BODY),
        notes="acts as `grader_id`, by default the course's first active teacher",
        errors=errors(
            "Unknown fields, wrong types, a grade that means nothing for the grading type, or a "
            "course without an active teacher and no `grader_id`.",
            grading_404,
        ),
        tags=("Control grading",),
    )
    yield control(
        "post",
        "/overrides",
        "control_override",
        "Set a final grade override",
        {"200": _json("The score, the audit row id and the events.", _ref("control_write_result"))},
        body=_required_json(_OVERRIDE_BODY),
        errors=errors(
            "Unknown fields, wrong types, a course that does not allow overrides, or no active "
            "teacher and no `grader_id`.",
            grading_404,
        ),
        tags=("Control grading",),
    )
    yield control(
        "post",
        "/post_grades",
        "control_post_grades",
        "Post an assignment's unposted grades",
        {"200": _json("What was posted and the events.", _ref("control_write_result"))},
        body=_required_json(_POST_GRADES_BODY),
        errors=errors(
            "Unknown fields, wrong types, or no active teacher and no `grader_id`.", grading_404
        ),
        tags=("Control grading",),
    )
    yield from _subscription_operations(control, errors)
    yield from _inspector_operations(control, errors)


_PAGE_NUMBER = _digits("[0-9]+")
# Where a stream resumes: an id it sent (`<generation>-<seq>`) or a bare seq (the older form).
_STREAM_ID = _digits("([0-9]+-)?[0-9]+")
# One server-sent event of the stream, as a client parses it.
_SSE_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"enum": ["live_event", "reset"]},
        "id": {"type": "string", "pattern": "^[0-9]+-[0-9]+$"},
        "data": {"type": "string", "minLength": 2},
        "retry": {"type": "integer"},
    },
}


def _text_response(description: str, *types: str) -> dict:
    return {
        "description": description,
        "content": {kind: {"schema": {"type": "string"}} for kind in types},
    }


def _inspector_operations(control, errors) -> Iterator[dict]:
    """The routes the inspector page reads: slices of the world, deliveries, the event stream."""
    tags = ("Inspector",)
    yield control(
        "get",
        "/world/courses",
        "control_world_courses",
        "Courses a page at a time, with the seeded admin",
        {
            "200": _json(
                "`{courses, next_page, total, admin: {id, name, token}}`.",
                {"type": "object", "required": ["courses", "next_page", "total", "admin"]},
            )
        },
        parameters=[
            _query("page", "Page number (from 1).", _PAGE_NUMBER),
            _query("per_page", "Courses per page (default 50; clamped to 1..100).", _PAGE_NUMBER),
        ],
        errors=errors("`page` or `per_page` is not a whole number."),
        tags=tags,
    )
    yield control(
        "get",
        "/world/courses/{course_id}",
        "control_world_course",
        "A course: assignments, graders, a page of people with roles and tokens",
        {
            "200": _json(
                "`{course, assignments, graders, people, total_people, next_page}`.",
                {
                    "type": "object",
                    "required": [
                        "course",
                        "assignments",
                        "graders",
                        "people",
                        "total_people",
                        "next_page",
                    ],
                },
            )
        },
        parameters=[
            _path("course_id", "The course's id."),
            _query("page", "Page of people (from 1).", _PAGE_NUMBER),
            _query("per_page", "People per page (default 100; clamped to 1..500).", _PAGE_NUMBER),
        ],
        errors=errors("`page` or `per_page` is not a whole number.", "No such course."),
        tags=tags,
    )
    yield control(
        "get",
        "/live_events/deliveries",
        "control_live_event_deliveries",
        "Each event's latest delivery outcome per subscription",
        {
            "200": _json(
                "`{deliveries: {event_id: [{subscription_id, subscription_name, outcome, "
                "attempts, status, error, time}]}}`.",
                {"type": "object", "required": ["deliveries"]},
            )
        },
        parameters=[
            {
                **_query(
                    "event_id",
                    "An event's `id` (repeatable, at most 100).",
                    {"type": "array", "items": {"type": "string"}, "maxItems": 100},
                ),
                "style": "form",
                "explode": True,
            }
        ],
        errors=errors("More than 100 `event_id` values."),
        tags=tags,
    )
    yield control(
        "get",
        "/live_events/stream",
        "control_live_event_stream",
        "The Live Events inbox as server-sent events",
        {
            "200": {
                "description": "First `retry: 2000` with `id:` where the stream starts; per "
                "event `id: <generation>-<seq>` (`generation`: how often the inbox was emptied "
                "since the server started), `event: live_event`, `data:` the inbox entry of "
                "`GET /_mockcanvas/live_events`; `event: reset` with `id: <generation>-0` when the "
                "inbox was emptied (numbering starts over) or the resume id is from another "
                "history, then that history from its start; a comment every second while idle.",
                "content": {"text/event-stream": {"schema": _SSE_EVENT}},
            },
            "503": _LONG_WAITS_TAKEN,
        },
        parameters=[
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "description": "Resume after this id (EventSource sends the last one on "
                "reconnecting): `<generation>-<seq>` of the current generation resumes after "
                "`seq`; another generation, or a `seq` not reached yet, gets `event: reset` and "
                "the whole new history. A bare `<seq>` is taken as the current generation's (it "
                "cannot see a reset it missed). A restarted server counts from generation 0 "
                "again: `0-<seq>` at or below its last seq resumes after it.",
                "schema": _STREAM_ID,
            },
            _query("after", "As `Last-Event-ID` (the header wins).", _STREAM_ID),
            _query(
                "backlog",
                "Without either: start with the last this many events (default 50, at most 500).",
                _PAGE_NUMBER,
            ),
            _query(
                "timeout",
                "Seconds to stay open (default and at most 30) for an `Accept: "
                "text/event-stream` client; any other gets what there is at once.",
                _digits("[0-9]+([.][0-9]+)?"),
            ),
        ],
        notes="a stream ends after `timeout`; EventSource reconnects with `Last-Event-ID`",
        errors=errors(
            "`Last-Event-ID` or `after` not of the form `<generation>-<seq>` or `<seq>`, or "
            "another parameter not a number."
        ),
        tags=tags,
    )


def _page_operations() -> Iterator[dict]:
    tags = ("Inspector",)
    yield _op(
        "get",
        "/",
        operation_id="root",
        summary="Redirects to the inspector page",
        kind=_PUBLIC,
        notes="only when nothing else answers `/`",
        responses={
            "302": {
                "description": "To `/_mockcanvas/inspector`.",
                "headers": {"Location": {"schema": {"type": "string"}}},
            }
        },
        tags=tags,
    )
    yield _op(
        "get",
        "/_mockcanvas/inspector",
        operation_id="inspector_page",
        summary="The inspector: the world, the audit log, grading, Live Events, controls",
        kind=_PUBLIC,
        notes="the page holds no data: everything it shows comes from routes that need the "
        "control token (give it once as `?token=`)",
        responses={"200": _text_response("The page.", "text/html")},
        tags=tags,
    )
    yield _op(
        "get",
        "/_mockcanvas/inspector/static/{name}",
        operation_id="inspector_static",
        summary="The inspector's script and style",
        kind=_PUBLIC,
        parameters=[_path("name", "A file name, e.g. `inspector.js`.")],
        responses={
            "200": _text_response("The file.", "text/javascript", "text/css"),
            "404": _json("No such file.", _ref("error#/$defs/errors")),
        },
        tags=tags,
    )


def _subscription_operations(control, errors) -> Iterator[dict]:
    tags = ("Live Events delivery",)
    subscription_id = _path("subscription_id", "The subscription's id.")
    missing = "No such subscription."
    yield control(
        "get",
        "/subscriptions",
        "control_subscriptions",
        "Every subscription with its counts",
        {"200": _json("The subscriptions.", _ref("control_subscriptions"))},
        errors=errors(),
        tags=tags,
    )
    yield control(
        "post",
        "/subscriptions",
        "control_subscribe",
        "Deliver Live Events to a sink",
        {"201": _json("The subscription.", _ref("control_subscription"))},
        body=_required_json(_SUBSCRIPTION_BODY),
        notes="the server writes to the path or calls the URL it is given",
        errors=errors(
            "Unknown fields, wrong types, `backoff_max` below `backoff_base`, a JSONL path that "
            "cannot be opened for appending, or an SQS sink without boto3."
        ),
        tags=tags,
    )
    page = [
        _query("after", "Log entries after this `n`.", _CONTROL_COUNT),
        _query(
            "limit",
            "Entries per page (default 100; clamped to 1..1000).",
            _CONTROL_COUNT,
        ),
    ]
    yield control(
        "get",
        "/subscriptions/{subscription_id}",
        "control_subscription",
        "A subscription and a page of its delivery log",
        {"200": _json("The subscription and log entries.", _ref("control_subscription_detail"))},
        parameters=[subscription_id, *page],
        errors=errors("`after` or `limit` is not a non-negative integer.", missing),
        tags=tags,
    )
    yield control(
        "delete",
        "/subscriptions/{subscription_id}",
        "control_unsubscribe",
        "Detach and close a subscription",
        {"200": _json("The closed subscription.", _ref("control_subscription"))},
        parameters=[subscription_id],
        errors=errors(not_found=missing),
        tags=tags,
    )
    yield control(
        "post",
        "/subscriptions/{subscription_id}/reactivate",
        "control_reactivate",
        "Reactivate a deactivated subscription",
        {"200": _json("The subscription.", _ref("control_subscription"))},
        parameters=[subscription_id],
        errors=errors("The subscription is closed.", missing),
        tags=tags,
    )
    yield control(
        "post",
        "/subscriptions/{subscription_id}/redeliver",
        "control_redeliver",
        "Requeue dead and overflowed events",
        {"200": _json("How many were requeued.", _ref("control_subscription_redeliver"))},
        parameters=[
            subscription_id,
            _query("event_id", "Only this event (its `id`), if it is dead or overflowed."),
        ],
        errors=errors("The subscription is closed or deactivated.", missing),
        tags=tags,
    )
    yield control(
        "post",
        "/subscriptions/{subscription_id}/wait",
        "control_wait",
        "Wait until nothing is queued or in flight",
        {
            "200": _json("Whether it went idle in time, and the counts.", _ref("control_wait")),
            "503": _LONG_WAITS_TAKEN,
        },
        parameters=[
            subscription_id,
            _query(
                "timeout",
                "Seconds to wait (default 5, at most 60).",
                _digits("[0-9]+([.][0-9]+)?([eE][+-]?[0-9]+)?"),
            ),
        ],
        errors=errors("`timeout` is not a non-negative number of seconds.", missing),
        tags=tags,
    )
    yield control(
        "get",
        "/jwks",
        "control_jwks",
        "The public keys signed webhooks use",
        {"200": _json("Previous, current and next keys.", _ref("control_jwks"))},
        errors=errors(),
        tags=tags,
    )
    yield control(
        "post",
        "/jwks/rotate",
        "control_rotate_jwks",
        "Make the next key current",
        {"200": _json("The keys after rotating.", _ref("control_jwks_rotate"))},
        errors=errors(),
        tags=tags,
    )


def _document_operations() -> Iterator[dict]:
    yield _op(
        "get",
        DOCUMENT_PATH,
        operation_id="openapi_document",
        summary="This OpenAPI 3.1 document",
        kind=_PUBLIC,
        notes="needs no token, so tools can fetch it and the schemas it refers to",
        responses={
            "200": _json(
                "The document.",
                {"type": "object", "required": ["openapi", "info", "paths"]},
            )
        },
        tags=("Contract",),
    )
    yield _op(
        "get",
        "/_mockcanvas/schemas/{name}.json",
        operation_id="json_schema",
        summary="One of the JSON Schemas the document refers to",
        kind=_PUBLIC,
        notes="the files of `schemas/`, byte for byte",
        parameters=[_path("name", "A schema's file name without `.json`, e.g. `error`.")],
        responses={
            "200": _json(
                "The JSON Schema (2020-12), with its `$id`.",
                {"type": "object", "required": ["$schema", "$id"]},
            ),
            "404": _json("No such schema.", _ref("error#/$defs/errors")),
        },
        tags=("Contract",),
    )


# -- request bodies of the control API ----------------------------------------------------------

_POSITIVE_ID = {"type": "integer", "minimum": 1}


def _required_json(schema: dict) -> dict:
    return {"required": True, "content": {_TEXT_JSON: {"schema": schema}}}


_CLOCK_BODY = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "set": {"type": "string", "format": "date-time", "description": "With an offset or `Z`."},
        "advance": {
            "type": "number",
            "description": "Seconds, may be negative or fractional; at most 200 years.",
            "minimum": -200 * 366 * 86_400,
            "maximum": 200 * 366 * 86_400,
        },
        "freeze": {"const": True},
        "unfreeze": {"const": True},
    },
    "not": {"required": ["freeze", "unfreeze"]},
}

# Unanchored on purpose: a Python-style "$" would let a generator end a value with a newline.
_ONE_LINE = {"not": {"pattern": "[\r\n]"}}
_HEADER_TEXT = {"type": "string", "pattern": "^[\\t -~]*$", **_ONE_LINE}
_HEADER_NAME = {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", **_ONE_LINE}
_LETTERS = {"type": "string", "minLength": 1, "not": {"pattern": "[^A-Za-z]"}}
_FAULT_COMMON = {
    "path": {"type": ["string", "null"], "minLength": 1, "description": "A glob on the path."},
    "regex": {
        "type": ["string", "null"],
        "minLength": 1,
        "format": "regex",
        "description": "A regular expression (Python's syntax) searched in the path.",
    },
    "method": {
        "description": "An HTTP method or a list of them (ASCII letters, any case); null is none.",
        "anyOf": [
            {"type": "null"},
            _LETTERS,
            {
                "type": "array",
                "minItems": 1,
                "items": _LETTERS,
            },
        ],
    },
    "latency_ms": {"type": "number", "minimum": 0, "maximum": 60_000},
    "probability": {"type": "number", "minimum": 0, "maximum": 1},
    "count": {"type": ["integer", "null"], "minimum": 1},
}
_FAULT_BODY = {
    "type": "object",
    "description": "Exactly one of `path` and `regex`. A `status` fault (the default kind) "
    "answers `status` with `body` (default: Canvas's error for that status) and `headers`; a "
    "`rate_limit` fault answers Canvas's throttled 403; a `latency` fault waits `latency_ms` "
    "(above 0) and lets the request through.",
    "oneOf": [
        {"required": ["path"], "properties": {"path": {"type": "string"}}},
        {"required": ["regex"], "properties": {"regex": {"type": "string"}}},
    ],
    "anyOf": [
        {
            "properties": {
                **_FAULT_COMMON,
                "kind": {"const": "status"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "body": {"description": "Any JSON value."},
                "headers": {
                    "type": "object",
                    "propertyNames": _HEADER_NAME,
                    "additionalProperties": _HEADER_TEXT,
                },
            },
            "additionalProperties": False,
        },
        {
            "required": ["kind"],
            "properties": {**_FAULT_COMMON, "kind": {"const": "rate_limit"}},
            "additionalProperties": False,
        },
        {
            "required": ["kind", "latency_ms"],
            "properties": {
                **_FAULT_COMMON,
                "kind": {"const": "latency"},
                "latency_ms": {"type": "number", "exclusiveMinimum": 0, "maximum": 60_000},
            },
            "additionalProperties": False,
        },
    ],
}

_THROTTLE_BODY = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "high_water_mark": {"type": "number", "exclusiveMinimum": 0},
        "maximum": {"type": "number", "minimum": 0},
        "outflow": {"type": "number", "minimum": 0},
        "up_front_cost": {"type": "number", "minimum": 0},
        "extra_cost": {"type": "number", "minimum": 0},
    },
}

_GRADE_BODY = {
    "type": "object",
    "required": ["course_id", "assignment_id", "user_id"],
    "additionalProperties": False,
    "properties": {
        "course_id": _POSITIVE_ID,
        "assignment_id": _POSITIVE_ID,
        "user_id": _POSITIVE_ID,
        "grader_id": _POSITIVE_ID,
        "posted_grade": {"type": ["string", "number", "null"]},
        "excuse": {"type": ["boolean", "null"]},
    },
}
_OVERRIDE_BODY = {
    "type": "object",
    "required": ["course_id", "user_id"],
    "additionalProperties": False,
    "properties": {
        "course_id": _POSITIVE_ID,
        "user_id": _POSITIVE_ID,
        "grader_id": _POSITIVE_ID,
        "override_score": {"type": ["number", "null"]},
    },
}
_POST_GRADES_BODY = {
    "type": "object",
    "required": ["course_id", "assignment_id"],
    "additionalProperties": False,
    "properties": {
        "course_id": _POSITIVE_ID,
        "assignment_id": _POSITIVE_ID,
        "grader_id": _POSITIVE_ID,
    },
}

_POLICY = {
    "queue_size": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "queue_bytes": {"type": "integer", "minimum": 1024, "maximum": 2**34},
    "concurrency": {"type": "integer", "minimum": 1, "maximum": 64},
    "log_capacity": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
    "held_capacity": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
    "timeout": {"type": "number", "minimum": 0.001, "maximum": 300},
    "backoff_base": {"type": "number", "minimum": 0.001, "maximum": 3600},
    "backoff_max": {"type": "number", "minimum": 0.001, "maximum": 86_400},
    "max_attempts": {"type": "integer", "minimum": 1, "maximum": 1000},
    "failure_budget": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
}
# A character Python's str.strip() keeps: the sinks refuse text that strips to nothing.
_NOT_BLANK = (
    "[^\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
_TEXT = {"type": "string", "pattern": _NOT_BLANK}
_PORT = "([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_HTTP_URL = {
    "type": "string",
    "description": "An http:// or https:// URL naming a host, without credentials, in printable "
    "ASCII. A bracketed IPv6 host (`http://[::1]:9000/`) is accepted too; the pattern leaves it "
    "out because a regular expression cannot tell a valid IPv6 address.",
    # Printable ASCII only (http.client sends nothing else); the host is what urlsplit reads as one.
    "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"
    "[\\x21\\x22\\x24-\\x2e\\x30-\\x39\\x3b-\\x3e\\x41-\\x5a\\x5c\\x5e-\\x7e]+"
    f"(:({_PORT})?)?([/?#][!-~]*)?$",
    "not": {"pattern": "[^!-~]"},
}
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# botocore takes an endpoint only if its host is DNS labels (an IPv4 address is four of them).
_ENDPOINT_URL = {
    "type": "string",
    "description": "An http:// or https:// URL whose host is a DNS name or IPv4 address, as "
    "botocore requires of an endpoint (a bracketed IPv6 host is accepted too, as for `url`).",
    "pattern": f"^[Hh][Tt][Tt][Pp][Ss]?://({_LABEL}\\.)*{_LABEL}\\.?(:({_PORT})?)?([/?#][!-~]*)?$",
}
_SUBSCRIPTION_COMMON = {
    "name": {"type": ["string", "null"], "maxLength": 255, "pattern": _NOT_BLANK},
    "format": {"enum": ["canvas", "caliper"]},
    **_POLICY,
}
_SUBSCRIPTION_BODY = {
    "type": "object",
    "description": "A sink and how to deliver to it. Mind that the server writes to `path` and "
    "calls `url`: keep it on loopback or guard the control API.",
    "oneOf": [
        {
            "required": ["kind", "url"],
            "additionalProperties": False,
            "properties": {
                "kind": {"const": "webhook"},
                "url": _HTTP_URL,
                "signed": {"type": "boolean"},
                **_SUBSCRIPTION_COMMON,
            },
        },
        {
            "required": ["kind", "queue_url"],
            "additionalProperties": False,
            "properties": {
                "kind": {"const": "sqs"},
                "queue_url": _HTTP_URL,
                "region": {
                    "description": "An AWS region name (a host label, not all digits); by "
                    "default the queue URL's, the environment's, or `us-east-1`.",
                    "type": ["string", "null"],
                    "pattern": "^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$",
                    "not": {"type": "string", "pattern": "[^a-zA-Z0-9-]|^[0-9]+$"},
                },
                "endpoint_url": {"anyOf": [_ENDPOINT_URL, {"type": "null"}]},
                "signed": {"const": False},
                **_SUBSCRIPTION_COMMON,
            },
        },
        {
            "required": ["kind", "path"],
            "additionalProperties": False,
            "properties": {
                "kind": {"const": "jsonl"},
                "path": {**_TEXT, "description": "A file the server appends to."},
                "signed": {"const": False},
                **_SUBSCRIPTION_COMMON,
            },
        },
    ],
}


# -- the document -----------------------------------------------------------------------------


def operations(*, control_token: bool = False, unauthorized_status: int = 401) -> list[dict]:
    """Every operation as data: method, path, summary, who, notes, parameters and responses."""
    if unauthorized_status not in (401, 403):
        raise ValueError("unauthorized_status must be 401 or 403")
    return [
        *_audit_operations(unauthorized_status),
        *_rest_operations(unauthorized_status),
        *_control_operations(control_token),
        *_document_operations(),
        *_page_operations(),
    ]


_WHO = {
    (_CONTROL, False): "anyone (the control token's holder, when one is set)",
    (_CONTROL, True): "the control token's holder",
    (_PUBLIC, False): "anyone, even with a control token set",
    (_PUBLIC, True): "anyone, even with a control token set",
}


def _security(kind: str, control_token: bool) -> list[dict]:
    if kind == _CANVAS:
        return [{"canvasToken": []}, {"accessTokenParameter": []}]
    if kind == _CONTROL and control_token:
        return [{"controlToken": []}, {"controlTokenHeader": []}]
    return []


_TOO_LARGE = _json(
    "A body longer than the server's limit (`create_app(max_body=...)`, `serve --max-body`; "
    "10 MiB by default): Canvas's generic error with `error_code` `request_entity_too_large`. "
    "Nothing is read or changed.",
    _ref("error#/$defs/errors"),
)


def _link(operation_id: str, description: str, **parameters: str) -> dict:
    return {"operationId": operation_id, "description": description, "parameters": parameters}


# OpenAPI links: where an answer's ids lead (schemathesis's stateful tests follow them).
_LINKS: dict[tuple[str, str], dict[str, dict]] = {
    ("control_subscribe", "201"): {
        "GetSubscription": _link(
            "control_subscription", "The new subscription.", subscription_id="$response.body#/id"
        ),
        "DeleteSubscription": _link(
            "control_unsubscribe", "Remove it.", subscription_id="$response.body#/id"
        ),
        "WaitForSubscription": _link(
            "control_wait", "Wait for its queue.", subscription_id="$response.body#/id"
        ),
    },
    ("control_add_fault", "201"): {
        "GetFault": _link("control_fault", "The new fault.", fault_id="$response.body#/id"),
        "DeleteFault": _link("control_delete_fault", "Remove it.", fault_id="$response.body#/id"),
    },
    ("grade_submission", "200"): {
        "GetSubmission": _link(
            "get_submission",
            "The submission just graded.",
            course_id="$request.path.course_id",
            assignment_id="$response.body#/assignment_id",
            user_id="$response.body#/user_id",
        ),
        "AuditForAssignment": _link(
            "grade_change_for_assignment",
            "The assignment's audit log, with the row this grade wrote.",
            assignment_id="$response.body#/assignment_id",
        ),
        "AuditForStudent": _link(
            "grade_change_for_student",
            "The student's audit log.",
            student_id="$response.body#/user_id",
        ),
    },
    **{
        (bulk, "200"): {
            "GetProgress": _link("get_progress", "The job again.", progress_id="$response.body#/id")
        }
        for bulk in ("bulk_update_assignment_grades", "bulk_update_course_grades")
    },
}


def _with_links(operation_id: str, responses: dict) -> dict:
    linked = dict(responses)
    for (target, status), links in _LINKS.items():
        if target == operation_id and status in linked:
            linked[status] = {**linked[status], "links": links}
    return linked


_WRONG_HOST = _json(
    "The `Host` header names a host the control API does not answer for (a guard against DNS "
    "rebinding): loopback names, IP addresses and the allowed hosts (`serve --allowed-host`, "
    "`create_app(allowed_hosts=...)`) do. Nothing is read or changed.",
    _ref("error#/$defs/message"),
)
_NOT_JSON = _json(
    "A change sent neither as `application/json` nor, without a body, with the header "
    f"`{REQUEST_HEADER}`: what a web page on another site could send without a CORS "
    "preflight. Nothing is changed.",
    _ref("error#/$defs/message"),
)
_REQUEST_HEADER = {
    "name": REQUEST_HEADER,
    "in": "header",
    "required": True,
    "description": "Any value that is not blank: a change without a body needs it, since a web "
    "page on another site cannot send a custom header without a CORS preflight, which the server "
    "never grants (a change with a body sends it as `application/json` instead).",
    "schema": {"type": "string", "pattern": "\\S"},
}


def _cross_site(op: dict) -> tuple[list, dict]:
    """What every control route adds (``http/cross_site.py``): the Host check's 403 and, on a
    change, the 415 and the header that lets a body-less change through."""
    parameters, responses = list(op["parameters"]), dict(op["responses"])
    if not op["path"].startswith("/_mockcanvas"):
        return parameters, responses
    responses.setdefault("403", _WRONG_HOST)
    if op["method"] in ("post", "put", "patch", "delete"):
        responses["415"] = _NOT_JSON
        if op["body"] is None:
            parameters.append(_REQUEST_HEADER)
    return parameters, dict(sorted(responses.items()))


def build(*, control_token: bool = False, unauthorized_status: int = 401) -> dict[str, Any]:
    """The OpenAPI 3.1 document for an app with these settings."""
    paths: dict[str, dict] = {}
    for op in operations(control_token=control_token, unauthorized_status=unauthorized_status):
        entry: dict[str, Any] = {
            "operationId": op["operationId"],
            "summary": op["summary"],
            "tags": op["tags"],
        }
        description = " ".join(
            part for part in (f"Who: {op['who']}." if op["who"] else "", op["notes"]) if part
        )
        if description:
            entry["description"] = description
        # The README table reads these, so the table and the document cannot drift.
        entry["x-mockcanvas-who"] = op["who"] or _WHO[op["kind"], control_token]
        entry["x-mockcanvas-notes"] = op["notes"]
        parameters, responses = _cross_site(op)
        if parameters:
            entry["parameters"] = parameters
        responses = _with_links(op["operationId"], responses)
        if op["body"] is not None:
            entry["requestBody"] = op["body"]
            responses = dict(sorted({**responses, "413": _TOO_LARGE}.items()))
        entry["responses"] = responses
        entry["security"] = _security(op["kind"], control_token)
        paths.setdefault(op["path"], {})[op["method"]] = entry
    schemes: dict[str, dict] = {
        "canvasToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A Canvas access token (`1~` and 64 letters and digits); every seeded "
            "user has one (`GET /_mockcanvas/world`).",
        },
        "accessTokenParameter": {
            "type": "apiKey",
            "in": "query",
            "name": "access_token",
            "description": "The same token as the `access_token` parameter.",
        },
    }
    if control_token:
        schemes["controlToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The control token (`serve --control-token`).",
        }
        schemes["controlTokenHeader"] = {
            "type": "apiKey",
            "in": "header",
            "name": CONTROL_TOKEN_HEADER,
            "description": "The control token in its own header.",
        }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "mockcanvas",
            "version": __version__,
            "summary": "A mock Canvas LMS: the Grade Change Log audit API, grading, GraphQL and "
            "the mock's own control API.",
            "description": "Routes under `/api` answer as Canvas does; routes under "
            "`/_mockcanvas` belong to the mock. Schemas are referenced, not copied: they live "
            "next to this document at `/_mockcanvas/schemas/<file>`. Unknown routes and wrong "
            "methods answer Canvas's 404 body, as Rails answers routing errors. Faults added with "
            "`POST /_mockcanvas/faults` make Canvas routes answer any status from 400 to 599 "
            "with any body; the statuses listed here are those the routes answer by themselves.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": schemes},
    }


def local_uri() -> str:
    """A ``file:`` URI to load the document "from" in-process, so that its relative ``$ref``s
    reach the shipped schema files (the same bytes the app serves): e.g. set a schemathesis
    schema's ``location`` to it after ``from_wsgi``."""
    from .resources import data_dir

    return (data_dir("schemas").parent / "openapi.json").as_uri()


def document(app) -> dict[str, Any]:
    """The document for this app's settings."""
    from .controls import controls

    inst = app.extensions["mockcanvas"]
    return build(
        control_token=controls(inst).control_token is not None,
        unauthorized_status=inst.settings.unauthorized_status,
    )


# -- the README table -------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(doc: dict[str, Any] | None = None) -> str:
    """The README's endpoint table: every route (Canvas's first), the statuses it answers, who
    may call it, and what it does with its fidelity notes."""
    doc = doc or build()
    rows = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            route = re.sub(r"\{([^}]+)\}", r":\1", path)
            what = op["summary"] + (
                f"; {op['x-mockcanvas-notes']}" if op["x-mockcanvas-notes"] else ""
            )
            cells = [f"`{method.upper()} {route}`", ", ".join(op["responses"])]
            cells += [_cell(op["x-mockcanvas-who"]), _cell(what)]
            rows.append((not path.startswith("/api/"), path, "| " + " | ".join(cells) + " |"))
    lines = ["| route | statuses | who may call | what, and fidelity notes |", "|---|---|---|---|"]
    lines += [row for *_, row in sorted(rows, key=lambda r: r[:2])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mockcanvas.openapi",
        description="Print the OpenAPI document (or the README's endpoint table).",
    )
    parser.add_argument("--markdown", action="store_true", help="print the endpoint table")
    parser.add_argument(
        "--control-token", action="store_true", help="as for a server with a control token"
    )
    parser.add_argument("--unauthorized-status", type=int, choices=(401, 403), default=401)
    args = parser.parse_args(argv)
    doc = build(control_token=args.control_token, unauthorized_status=args.unauthorized_status)
    if args.markdown:
        sys.stdout.write(markdown_table(doc))
    else:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
