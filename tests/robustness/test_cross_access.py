"""No token reads another user's data: every route, every role that must be refused.

``CROSS_ACCESS`` is one table of (route, method, actor, target, expected). The route is the Flask
rule as the app routes it, so a new route without a row fails ``test_every_route_has_a_row``. Each
row runs against a real server on 127.0.0.1 and pins the exact status, headers and body; no byte of
the other party's data (names, SIS ids, logins, tokens) may appear in the answer; a refused request
changes nothing (the exported state, the inbox, subscriptions, faults, keys and clock are the same).

"Refused" means the other party's data is withheld: an error where Canvas answers one (401
unauthorized or unauthenticated, 401 invalid token, 404 where Canvas finds nothing), or Canvas's
empty answer where it filters instead (a section-limited TA's audit query for a student of another
section is 200 with no events; its bulk grade for such a student is a Progress that failed to find
them; a GraphQL lookup is null, a mutation "not found").

Actors: seeded landmarks by name; ``deleted_user`` (a deleted user's token), ``unknown_token``,
``no_token``; ``control_token`` / ``control_token_header`` (the control token sent to a Canvas
route as a Bearer token / in ``X-Mockcanvas-Token``); on control routes ``no_control_token``,
``wrong_control_bearer``, ``wrong_control_header``, ``canvas_admin_bearer``,
``canvas_admin_header`` (the seeded admin's Canvas token where the control token belongs).
"""

from __future__ import annotations

import base64
import json
import re
import socket
from dataclasses import dataclass, field

import pytest
import requests

from mockcanvas import create_app, permissions, state
from mockcanvas.controls import controls
from mockcanvas.instance import current_instance
from mockcanvas.live_server import LiveServer
from mockcanvas.sinks import registry as sinks
from tests.support import NOT_FOUND, UNAUTHENTICATED, UNAUTHORIZED, parse_links

CONTROL_TOKEN = "control-secret-for-the-matrix"
WRONG_CONTROL_TOKEN = "not-the-control-token"
UNKNOWN_TOKEN = "1~no-such-token-anywhere"
INVALID_TOKEN = {"errors": [{"message": "Invalid access token."}]}
WWW_AUTHENTICATE = 'Bearer realm="canvas-lms"'

# Routes every caller may fetch: the contract documents, which hold no data (README, openapi.py).
PUBLIC_ROUTES = {
    ("/_mockcanvas/openapi.json", "GET"),
    ("/_mockcanvas/schemas/<name>.json", "GET"),
    # The inspector page and its files hold no data (tests/inspector/test_inspector.py).
    ("/", "GET"),
    ("/_mockcanvas/inspector", "GET"),
    ("/_mockcanvas/inspector/static/<name>", "GET"),
}

# -- the routes, grouped by the rule that refuses ------------------------------------------------

COURSE_READS = [
    "/api/v1/courses/<course_id>",
    "/api/v1/courses/<course_id>/assignments",
    "/api/v1/courses/<course_id>/assignments/<assignment_id>",
    "/api/v1/courses/<course_id>/users",
    "/api/v1/courses/<course_id>/search_users",
    "/api/v1/courses/<course_id>/students",
]
SUBMISSION = "/api/v1/courses/<course_id>/assignments/<assignment_id>/submissions/<user_id>"
BULK_COURSE = "/api/v1/courses/<course_id>/submissions/update_grades"
BULK_ASSIGNMENT = (
    "/api/v1/courses/<course_id>/assignments/<assignment_id>/submissions/update_grades"
)
PROGRESS = "/api/v1/progress/<progress_id>"
USER = "/api/v1/users/<user_id>"
GRAPHQL = "/api/graphql"
LOG = "/api/v1/audit/grade_change"
ADMIN_LOG = [  # admin only: :view_grade_changes on the root account
    LOG + "/assignments/<assignment_id>",
    LOG + "/students/<student_id>",
    LOG + "/graders/<grader_id>",
]
COURSE_LOG = [  # the course check: :manage_grades or :view_all_grades in the course
    LOG + "/courses/<course_id>",
    LOG + "/courses/<course_id>/assignments/<assignment_id>",
    LOG + "/courses/<course_id>/assignments/<assignment_id>/graders/<grader_id>",
    LOG + "/courses/<course_id>/assignments/<assignment_id>/graders/<grader_id>"
    "/students/<student_id>",
    LOG + "/courses/<course_id>/assignments/<assignment_id>/students/<student_id>",
    LOG + "/courses/<course_id>/graders/<grader_id>",
    LOG + "/courses/<course_id>/graders/<grader_id>/students/<student_id>",
    LOG + "/courses/<course_id>/students/<student_id>",
]
STUDENT_LOGS = [r for r in COURSE_LOG if "<student_id>" in r]
OTHER_COURSE_IDS_LOGS = [r for r in COURSE_LOG if r != LOG + "/courses/<course_id>"]

CANVAS_ROUTES = [
    *((r, "GET") for r in COURSE_READS),
    (SUBMISSION, "GET"),
    (SUBMISSION, "PUT"),
    (BULK_COURSE, "POST"),
    (BULK_ASSIGNMENT, "POST"),
    (PROGRESS, "GET"),
    (USER, "GET"),
    (GRAPHQL, "POST"),
    (LOG, "GET"),
    *((r, "GET") for r in ADMIN_LOG + COURSE_LOG),
]

CONTROL_ROUTES = [
    ("/_mockcanvas/clock", "GET"),
    ("/_mockcanvas/clock", "POST"),
    ("/_mockcanvas/faults", "GET"),
    ("/_mockcanvas/faults", "POST"),
    ("/_mockcanvas/faults", "DELETE"),
    ("/_mockcanvas/faults/<fault_id>", "GET"),
    ("/_mockcanvas/faults/<fault_id>", "DELETE"),
    ("/_mockcanvas/grades", "POST"),
    ("/_mockcanvas/health", "GET"),
    ("/_mockcanvas/jwks", "GET"),
    ("/_mockcanvas/jwks/rotate", "POST"),
    ("/_mockcanvas/live_events", "GET"),
    ("/_mockcanvas/live_events", "DELETE"),
    ("/_mockcanvas/live_events/deliveries", "GET"),
    ("/_mockcanvas/live_events/stream", "GET"),
    ("/_mockcanvas/overrides", "POST"),
    ("/_mockcanvas/post_grades", "POST"),
    ("/_mockcanvas/requests", "GET"),
    ("/_mockcanvas/requests", "DELETE"),
    ("/_mockcanvas/reset", "POST"),
    ("/_mockcanvas/state", "GET"),
    ("/_mockcanvas/state", "PUT"),
    ("/_mockcanvas/subscriptions", "GET"),
    ("/_mockcanvas/subscriptions", "POST"),
    ("/_mockcanvas/subscriptions/<subscription_id>", "GET"),
    ("/_mockcanvas/subscriptions/<subscription_id>", "DELETE"),
    ("/_mockcanvas/subscriptions/<subscription_id>/reactivate", "POST"),
    ("/_mockcanvas/subscriptions/<subscription_id>/redeliver", "POST"),
    ("/_mockcanvas/subscriptions/<subscription_id>/wait", "POST"),
    ("/_mockcanvas/throttle", "GET"),
    ("/_mockcanvas/throttle", "POST"),
    ("/_mockcanvas/throttle", "DELETE"),
    ("/_mockcanvas/world", "GET"),
    ("/_mockcanvas/world/courses", "GET"),
    ("/_mockcanvas/world/courses/<course_id>", "GET"),
]

# -- expectations ------------------------------------------------------------------------------

UNAUTH = "unauthorized"  # 401 (403 with unauthorized_status=403) "user not authorized"
NO_USER = "unauthenticated"  # 401 "user authorization required", WWW-Authenticate
BAD_TOKEN = "invalid_token"  # 401 "Invalid access token.", WWW-Authenticate
MISSING = "not_found"  # 404 "The specified resource does not exist."
NO_EVENTS = "no_events"  # 200, an audit page with no events and nothing linked
UNFOUND_STUDENT = "progress_unfound_student"  # 200, a failed Progress: the student is not found
GQL_NULL = "graphql_null"  # 200 {"data": {field: null}}
GQL_NOT_FOUND = "graphql_not_found"  # 200, data {field: null}, errors [{"message": "not found"}]

# Actors with no right in course A (override_course), and what each holds elsewhere.
OUTSIDERS = ("other_teacher", "no_grade_log_admin", "deleted_enrollment_student")
# Actors with no right in course B (no_override_course): members of other courses.
FOREIGNERS = ("student", "teacher", "ta", "section_limited_ta")
TOKEN_ACTORS = {
    "deleted_user": BAD_TOKEN,
    "unknown_token": BAD_TOKEN,
    "no_token": NO_USER,
    "control_token": BAD_TOKEN,
    "control_token_header": NO_USER,  # X-Mockcanvas-Token means nothing to a Canvas route
    "control_token_param": BAD_TOKEN,  # ?access_token=<control token>
}
CONTROL_ACTORS = {
    "no_control_token": NO_USER,
    "wrong_control_bearer": BAD_TOKEN,
    "wrong_control_header": BAD_TOKEN,
    "canvas_admin_bearer": BAD_TOKEN,
    "canvas_admin_header": BAD_TOKEN,
    "control_token_param": NO_USER,  # the control token is never read from the URL
}

# GraphQL documents: target name -> (document template, field, expected). Templates take the
# target's ids; ``{enrollment}`` is the target student's enrollment in the target course.
GRAPHQL_DOCS = {
    "course_b_course": ('{legacyNode(_id: "{course_id}", type: Course) {id}}', "legacyNode"),
    "course_b_course_relay": ('{node(id: "{course_relay}") {id}}', "node"),
    "course_b_course_field": ('{course(id: "{course_id}") {_id name sisId}}', "course"),
    "course_b_assignment": (
        '{legacyNode(_id: "{assignment_id}", type: Assignment) {id}}',
        "legacyNode",
    ),
    "course_b_assignment_field": ('{assignment(id: "{assignment_id}") {_id name}}', "assignment"),
    "course_b_section": ('{legacyNode(_id: "{section_id}", type: Section) {id}}', "legacyNode"),
    "course_b_user": (
        '{legacyNode(_id: "{student_id}", type: User) {... on User {name}}}',
        "legacyNode",
    ),
    "course_b_enrollment": (
        '{legacyNode(_id: "{enrollment}", type: Enrollment)'
        " {... on Enrollment {user {name} grades {currentScore}}}}",
        "legacyNode",
    ),
    "course_b_override": (
        'mutation {setOverrideScore(input: {enrollmentId: "{enrollment}", overrideScore: 12})'
        " {grades {overrideScore}}}",
        "setOverrideScore",
    ),
    "course_b_post_grades": (
        'mutation {postAssignmentGrades(input: {assignmentId: "{assignment_id}"})'
        " {progress {_id}}}",
        "postAssignmentGrades",
    ),
    "teachers_progress": ('{legacyNode(_id: "{progress_id}", type: Progress) {id}}', "legacyNode"),
}
GRAPHQL_MUTATIONS = {"course_b_override", "course_b_post_grades"}


def _graphql_rows(actor: str, course: str, docs: list[str]) -> list[tuple]:
    """Rows for GraphQL documents aimed at ``course`` ("course_b" ids, or course A's)."""
    rows = []
    for doc in docs:
        expected = GQL_NOT_FOUND if doc in GRAPHQL_MUTATIONS else GQL_NULL
        target = doc if course == "course_b" else doc.replace("course_b", course, 1)
        rows.append((GRAPHQL, "POST", actor, target, expected))
    return rows


def _rows() -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []

    def add(route: str, method: str, actors, target: str, expected: str) -> None:
        for actor in actors:
            rows.append((route, method, actor, target, expected))

    # Every Canvas route refuses deleted users, unknown tokens, no token and the control token.
    for route, method in CANVAS_ROUTES:
        for actor, expected in TOKEN_ACTORS.items():
            target = "teachers_progress" if route == PROGRESS else "course_a"
            if route == GRAPHQL:
                target = "course_a_course"
            rows.append((route, method, actor, target, expected))

    # A course's reads: members of other courses, and people with no standing in it.
    for route in COURSE_READS:
        add(route, "GET", FOREIGNERS, "course_b", UNAUTH)
        add(route, "GET", OUTSIDERS, "course_a", UNAUTH)

    # One student's submission: another student may not; graders elsewhere do not find them.
    add(SUBMISSION, "GET", ["student"], "other_student", UNAUTH)
    add(SUBMISSION, "GET", ["section_limited_ta"], "other_section", MISSING)
    add(SUBMISSION, "GET", FOREIGNERS, "course_b", MISSING)
    add(SUBMISSION, "GET", OUTSIDERS, "course_a", MISSING)
    # Grading: only the course's graders, and a section-limited one only in their sections. A
    # single grade looks the student up among those the caller sees before it checks the right
    # to grade (not found); bulk grading checks the course right first, then skips the students
    # its caller does not see.
    for method, route in (("PUT", SUBMISSION), ("POST", BULK_COURSE), ("POST", BULK_ASSIGNMENT)):
        add(route, method, ["student"], "other_student", UNAUTH)
        add(route, method, ["student"], "self", UNAUTH)
        elsewhere = MISSING if route == SUBMISSION else UNAUTH
        add(route, method, FOREIGNERS, "course_b", elsewhere)
        add(route, method, OUTSIDERS, "course_a", elsewhere)
        limited = MISSING if route == SUBMISSION else UNFOUND_STUDENT
        add(route, method, ["section_limited_ta"], "other_section", limited)
    # A Progress: its starter, admins and the context's graders.
    add(PROGRESS, "GET", ["student", *OUTSIDERS], "teachers_progress", UNAUTH)
    # A profile: oneself, admins, and graders of a course the user is in.
    add(USER, "GET", ["student"], "other_student", UNAUTH)
    add(USER, "GET", ["teacher", "ta", "section_limited_ta"], "course_b", UNAUTH)
    add(USER, "GET", OUTSIDERS, "course_a", UNAUTH)

    # The audit log: admin-only routes refuse everyone without :view_grade_changes.
    graders = ["teacher", "ta", "section_limited_ta", "other_teacher", "no_grade_log_admin"]
    for route in ADMIN_LOG:
        add(route, "GET", ["student", *graders], "course_a", UNAUTH)
    add(LOG + "/students/<student_id>", "GET", ["student"], "self", UNAUTH)
    add(LOG + "/students/<student_id>", "GET", ["student"], "own_id", UNAUTH)
    add(LOG, "GET", ["student", *graders], "log_without_course", UNAUTH)
    # ... and course routes refuse students (even in their own course) and other courses' staff.
    for route in [LOG, *COURSE_LOG]:
        add(route, "GET", ["student", "student_no_sis"], "course_a", UNAUTH)
        add(route, "GET", FOREIGNERS, "course_b", UNAUTH)
        add(route, "GET", OUTSIDERS, "course_a", UNAUTH)
    # A course's grader naming another course's assignment, grader or student: not found.
    for route in [LOG, *OTHER_COURSE_IDS_LOGS]:
        add(route, "GET", ["teacher"], "course_b_ids_in_course_a", MISSING)
    # A section-limited TA asking for a student of another section: filtered to nothing.
    for route in [LOG, *STUDENT_LOGS]:
        add(route, "GET", ["section_limited_ta"], "other_section", NO_EVENTS)

    # GraphQL: lookups of what the caller may not read are null; mutations "not found".
    everything = list(GRAPHQL_DOCS)
    everything.remove("teachers_progress")
    for actor in ("teacher", "ta", "section_limited_ta", "student"):
        rows += _graphql_rows(actor, "course_b", everything)
    for actor in ("other_teacher", "no_grade_log_admin"):
        rows += _graphql_rows(actor, "course_a", everything)
    for actor in ("student", "section_limited_ta"):
        aimed = "other_student" if actor == "student" else "other_section"
        docs = ["course_b_user", "course_b_enrollment", "course_b_override"]
        if actor == "section_limited_ta":
            docs.remove("course_b_user")  # a grader of the student's course reads their profile
            # Mutations::SetOverrideScore checks only the course-level right: see
            # test_a_section_limited_ta_overrides_another_sections_student_as_canvas_lets_it.
            docs.remove("course_b_override")
        rows += _graphql_rows(actor, aimed, docs)
    rows += _graphql_rows("student", "own", ["course_b_override", "course_b_post_grades"])
    add(GRAPHQL, "POST", ["student", "other_teacher"], "teachers_progress", GQL_NULL)

    # The control API: with a control token set, nothing but the token opens it.
    for route, method in CONTROL_ROUTES:
        for actor, expected in CONTROL_ACTORS.items():
            rows.append((route, method, actor, "control", expected))
    return rows


CROSS_ACCESS: list[tuple[str, str, str, str, str]] = _rows()


# -- the world and the server ------------------------------------------------------------------


@dataclass
class World:
    app: object
    inst: object
    url: str
    session: requests.Session
    targets: dict[str, dict]
    jsonl_path: object
    unchanged: dict = field(default_factory=dict)  # the last fingerprint known to be current

    @property
    def store(self):
        return self.inst.store

    def token(self, landmark: str) -> str:
        return self.store.token_for(self.store.landmarks[landmark])


def _first(items):
    return next(iter(items))


def _targets(inst, progress_id: int, fault_id: int, subscription_id: int) -> dict[str, dict]:
    store = inst.store
    marks = store.landmarks
    course_a, course_b = marks["override_course"], marks["no_override_course"]
    assignment_b = _first(
        a.id
        for a in store.course_assignments(course_b)
        if a.active and a.workflow_state == "published"
    )
    member_courses = {
        e.course_id for name in FOREIGNERS for e in store.user_enrollments(marks[name])
    }
    assert course_b not in member_courses
    student_b = _first(
        e.user_id
        for e in store.course_enrollments(course_b)
        if e.type == "StudentEnrollment"
        and e.workflow_state == "active"
        and {x.course_id for x in store.user_enrollments(e.user_id)} == {course_b}
    )
    teacher_b = _first(
        e.user_id for e in store.course_enrollments(course_b) if e.type == "TeacherEnrollment"
    )
    other = marks["student_no_sis"]  # in course A's second section, in no course of other_teacher
    assert not {e.course_id for e in store.user_enrollments(other)} & {
        e.course_id for e in store.user_enrollments(marks["other_teacher"])
    }
    course_a_ids = {
        "course_id": course_a,
        "assignment_id": marks["points_assignment"],
        "student_id": other,
        "user_id": other,
        "grader_id": marks["teacher"],
    }
    course_b_ids = {
        "course_id": course_b,
        "assignment_id": assignment_b,
        "student_id": student_b,
        "user_id": student_b,
        "grader_id": teacher_b,
    }
    own = marks["student"]
    targets = {
        "course_a": course_a_ids,
        "course_b": course_b_ids,
        "other_student": course_a_ids,
        "other_section": course_a_ids,
        "self": {**course_a_ids, "student_id": "self", "user_id": "self", "grader_id": "self"},
        "own_id": {**course_a_ids, "student_id": own, "user_id": own},
        "own": {**course_a_ids, "student_id": own, "user_id": own},
        "log_without_course": {"query": {"student_id": other}},
        "course_b_ids_in_course_a": {**course_b_ids, "course_id": course_a},
        "teachers_progress": {"progress_id": progress_id},
        "control": {"fault_id": fault_id, "subscription_id": subscription_id},
    }
    for ids in targets.values():
        if "course_id" in ids:
            ids.setdefault("section_id", _first(store.course_sections(ids["course_id"])).id)
            enrollments = (
                [
                    e.id
                    for e in store.user_enrollments(ids["user_id"])
                    if e.course_id == ids["course_id"]
                ]
                if isinstance(ids["user_id"], int)
                else []
            )
            ids.setdefault("enrollment", enrollments[0] if enrollments else 0)
            ids["course_relay"] = _relay("Course", ids["course_id"])
    targets["course_a_course"] = targets["course_a"]
    targets["control"]["course_id"] = course_a  # GET /_mockcanvas/world/courses/<course_id>
    return targets


def _relay(type_name: str, legacy: int) -> str:
    return base64.b64encode(f"{type_name}-{legacy}".encode()).decode()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = create_app(control_token=CONTROL_TOKEN)
    with app.app_context():
        inst = current_instance()
    server = LiveServer(app).start()
    session = requests.Session()
    control = {"Authorization": f"Bearer {CONTROL_TOKEN}"}
    store = inst.store
    teacher = store.token_for(store.landmarks["teacher"])
    # A Progress of the teacher's (a real bulk grade), a fault that matches nothing, and a
    # subscription: things a refused control request must leave as they are.
    bulk = session.post(
        f"{server.url}/api/v1/courses/{store.landmarks['override_course']}/submissions/update_grades",
        data={
            f"grade_data[{store.landmarks['points_assignment']}][{store.landmarks['student']}]"
            "[posted_grade]": "7"
        },
        headers={"Authorization": f"Bearer {teacher}"},
        timeout=10,
    )
    assert bulk.status_code == 200, bulk.text
    fault = session.post(
        f"{server.url}/_mockcanvas/faults",
        json={"path": "/api/v1/never/**", "status": 500},
        headers=control,
        timeout=10,
    )
    assert fault.status_code == 201, fault.text
    jsonl = tmp_path_factory.mktemp("matrix") / "events.jsonl"
    subscription = session.post(
        f"{server.url}/_mockcanvas/subscriptions",
        json={"kind": "jsonl", "path": str(jsonl)},
        headers=control,
        timeout=10,
    )
    assert subscription.status_code == 201, subscription.text
    targets = _targets(inst, bulk.json()["id"], fault.json()["id"], subscription.json()["id"])
    try:
        yield World(app, inst, server.url, session, targets, jsonl)
    finally:
        session.close()
        server.stop()
        sinks.shutdown(inst.bus, timeout=5)


# -- running one row ---------------------------------------------------------------------------


def _url(world: World, route: str, ids: dict) -> str:
    def fill(match: re.Match) -> str:
        return str(ids[match.group(1)])

    path = re.sub(r"<([a-z_]+)>", fill, route)
    if route.startswith(LOG + "/"):
        path += "?include[]=current_grade"  # the current grades are refused with the rest
    if route == LOG:
        query = ids.get("query") or {
            "course_id": ids["course_id"],
            "student_id": ids["student_id"],
            **({"assignment_id": ids["assignment_id"]} if "assignment_id" in ids else {}),
        }
        query = {**query, "include[]": "current_grade"}
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return world.url + path


def _headers(world: World, actor: str) -> dict[str, str]:
    if actor in ("no_token", "no_control_token", "control_token_param"):
        return {}
    token = {
        "deleted_user": lambda: world.token("deleted_user"),
        "unknown_token": lambda: UNKNOWN_TOKEN,
        "control_token": lambda: CONTROL_TOKEN,
        "wrong_control_bearer": lambda: WRONG_CONTROL_TOKEN,
        "canvas_admin_bearer": lambda: world.token("admin"),
    }.get(actor)
    if token is not None:
        return {"Authorization": f"Bearer {token()}"}
    if actor == "control_token_header":
        return {"X-Mockcanvas-Token": CONTROL_TOKEN}
    if actor == "wrong_control_header":
        return {"X-Mockcanvas-Token": WRONG_CONTROL_TOKEN}
    if actor == "canvas_admin_header":
        return {"X-Mockcanvas-Token": world.token("admin")}
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _body(world: World, route: str, target: str, ids: dict) -> dict:
    """What a row sends: a request that, were it allowed, would read or change something."""
    store = world.store
    marks = store.landmarks
    if route == SUBMISSION:
        return {"data": {"submission[posted_grade]": "1"}}
    if route == BULK_COURSE:
        key = f"grade_data[{ids['assignment_id']}][{ids['user_id']}][posted_grade]"
        return {"data": {key: "1"}}
    if route == BULK_ASSIGNMENT:
        return {"data": {f"grade_data[{ids['user_id']}][posted_grade]": "1"}}
    if route == GRAPHQL:
        doc_name = target if target in GRAPHQL_DOCS else _graphql_doc_name(target)
        template, _ = GRAPHQL_DOCS[doc_name]
        return {"json": {"query": _format(template, ids)}}
    control = {
        "/_mockcanvas/clock": {"advance": 3600},
        "/_mockcanvas/faults": {"path": "/api/v1/**", "status": 500},
        "/_mockcanvas/grades": {
            "course_id": marks["override_course"],
            "assignment_id": marks["points_assignment"],
            "user_id": marks["student"],
            "posted_grade": "1",
        },
        "/_mockcanvas/overrides": {
            "course_id": marks["override_course"],
            "user_id": marks["student"],
            "override_score": 50,
        },
        "/_mockcanvas/post_grades": {
            "course_id": marks["override_course"],
            "assignment_id": marks["points_assignment"],
        },
        "/_mockcanvas/state": {**state.export_state(world.inst), "landmarks": {}},
        "/_mockcanvas/subscriptions": {"kind": "webhook", "url": "http://127.0.0.1:9/x"},
        "/_mockcanvas/throttle": {"enabled": True},
    }
    return {"json": control[route]} if route in control else {}


def _graphql_doc_name(target: str) -> str:
    for prefix in ("course_a", "other_student", "other_section", "own"):
        if target.startswith(prefix + "_"):
            return "course_b_" + target[len(prefix) + 1 :]
    raise KeyError(target)


def _graphql_ids(target: str) -> str:
    if target in GRAPHQL_DOCS:
        return "teachers_progress" if target == "teachers_progress" else "course_b"
    return _first(
        p
        for p in ("course_a", "other_student", "other_section", "own")
        if target.startswith(p + "_")
    )


def _format(template: str, ids: dict) -> str:
    """Fill the quoted ``"{name}"`` placeholders (GraphQL's own braces stay)."""
    return re.sub(r'"\{([a-z_]+)\}"', lambda m: f'"{ids[m.group(1)]}"', template)


def _secrets(world: World, actor: str, target: str, ids: dict) -> list[str]:
    """Bytes of the other party that must not appear: names, SIS ids, logins, emails, tokens."""
    store = world.store
    found = [CONTROL_TOKEN]
    if actor not in ("canvas_admin_bearer", "canvas_admin_header"):
        found.append(world.token("admin"))
    for key in ("user_id", "student_id"):
        user_id = ids.get(key)
        if not isinstance(user_id, int) or user_id == store.landmarks.get(actor):
            continue
        user = store.users[user_id]
        found += [user.name, user.sortable_name, store.token_for(user_id) or ""]
        found += [v for v in (user.sis_user_id, user.login_id, user.email) if v]
    if "query" in ids:
        user = store.users[ids["query"]["student_id"]]
        found += [user.name, user.sortable_name]
    course_id = ids.get("course_id")
    if course_id is not None and (target.startswith("course_b") or actor in OUTSIDERS):
        course = store.courses[course_id]
        found += [course.name] + ([course.sis_course_id] if course.sis_course_id else [])
    return [s for s in found if s]


def fingerprint(inst) -> dict:
    """Everything a refused request must leave as it was."""
    ctl = controls(inst)
    registry = sinks.registry_for(inst.bus)
    return {
        "state": state.export_state(inst),
        "inbox": len(inst.bus.inbox),
        "subscriptions": [(s.id, s.state) for s in registry.all()],
        "faults": [f.to_json()["id"] for f in ctl.faults.all()],
        "throttle": ctl.throttle.config,
        "kids": registry.keys.kids(),
        "progresses": sorted(inst.progresses),
    }


def cheap_fingerprint(inst) -> dict:
    return {"rows": len(inst.store.grade_changes), "inbox": len(inst.bus.inbox)}


def check_answer(response: requests.Response, expected: str, ids: dict, route: str, target: str):
    status = response.status_code
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    challenge = response.headers.get("WWW-Authenticate")
    if expected == UNAUTH:
        assert (status, body, challenge) == (401, UNAUTHORIZED, None)
    elif expected == NO_USER:
        assert (status, body, challenge) == (401, UNAUTHENTICATED, WWW_AUTHENTICATE)
    elif expected == BAD_TOKEN:
        assert (status, body, challenge) == (401, INVALID_TOKEN, WWW_AUTHENTICATE)
    elif expected == MISSING:
        assert (status, body, challenge) == (404, NOT_FOUND, None)
    elif expected == NO_EVENTS:
        assert status == 200
        assert body["events"] == []
        assert body["linked"] == {"page_views": [], "assignments": [], "courses": [], "users": []}
    elif expected == UNFOUND_STUDENT:
        assert status == 200
        assert (body["workflow_state"], body["message"]) == (
            "failed",
            f"Couldn't find User(s) with API ids '{ids['user_id']}'",
        )
    elif expected in (GQL_NULL, GQL_NOT_FOUND):
        doc = target if target in GRAPHQL_DOCS else _graphql_doc_name(target)
        field = GRAPHQL_DOCS[doc][1]
        assert status == 200
        assert body["data"] == {field: None}
        if expected == GQL_NULL:
            assert "errors" not in body
        else:
            assert [e["message"] for e in body["errors"]] == ["not found"]
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(expected)


def _ids(world: World, target: str) -> dict:
    if target in world.targets:
        return world.targets[target]
    return world.targets[_graphql_ids(target)]


def send(world: World, route: str, method: str, actor: str, target: str, base_url=None):
    ids = _ids(world, target)
    url = _url(world, route, ids)
    if base_url is not None:
        url = base_url + url[len(world.url) :]
    body = {} if method == "GET" else _body(world, route, target, ids)
    if actor == "control_token_param":
        url += ("&" if "?" in url else "?") + f"access_token={CONTROL_TOKEN}"
    return url, ids, body, _headers(world, actor)


@pytest.mark.parametrize(
    ("route", "method", "actor", "target", "expected"),
    CROSS_ACCESS,
    ids=[f"{m} {r} as {a} on {t}" for r, m, a, t, _ in CROSS_ACCESS],
)
def test_refused(world, route, method, actor, target, expected):
    url, ids, body, headers = send(world, route, method, actor, target)
    writes = method != "GET" or route == GRAPHQL
    # Refused requests change nothing, so the last passing write row's "after" is this "before".
    known = world.unchanged.pop("fingerprint", None)
    before = (known or fingerprint(world.inst)) if writes else cheap_fingerprint(world.inst)
    response = world.session.request(method, url, headers=headers, timeout=10, **body)
    check_answer(response, expected, ids, route, target)
    sent = response.content + "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    for secret in _secrets(world, actor, target, ids):
        assert secret.encode() not in sent, f"{secret!r} leaked"
    after = fingerprint(world.inst) if writes else cheap_fingerprint(world.inst)
    if expected == UNFOUND_STUDENT:  # the failed job is a new Progress; nothing else changed
        assert len(after.pop("progresses")) == len(before.pop("progresses")) + 1
    assert after == before
    if writes and expected != UNFOUND_STUDENT:
        world.unchanged["fingerprint"] = after


# -- the table covers the app ------------------------------------------------------------------


def served_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(world):
    covered = {(route, method) for route, method, *_ in CROSS_ACCESS}
    served = served_routes(world.app)
    assert served - PUBLIC_ROUTES - covered == set(), "routes without a cross-access row"
    assert covered - served == set(), "rows for routes the app does not serve"
    assert served >= PUBLIC_ROUTES


def test_the_table_names_known_actors_and_expectations(world):
    marks = world.store.landmarks
    for _, _, actor, _, expected in CROSS_ACCESS:
        assert actor in marks or actor in TOKEN_ACTORS or actor in CONTROL_ACTORS
        assert expected in {
            UNAUTH,
            NO_USER,
            BAD_TOKEN,
            MISSING,
            NO_EVENTS,
            UNFOUND_STUDENT,
            GQL_NULL,
            GQL_NOT_FOUND,
        }
    assert len(set(CROSS_ACCESS)) == len(CROSS_ACCESS), "duplicate rows"


# -- the same refusals with unauthorized_status=403 ---------------------------------------------


def test_unauthorized_rows_answer_403_when_configured(world):
    """``create_app(unauthorized_status=403)`` (Canvas's api_auth_error_updates flag): the same
    rows, the same body, status 403; unauthenticated and bad-token answers stay 401."""
    rows = [row for row in CROSS_ACCESS if row[4] in (UNAUTH, NO_USER)]
    settings = world.inst.settings
    settings.unauthorized_status = 403
    try:
        for route, method, actor, target, expected in rows:
            url, _, body, headers = send(world, route, method, actor, target)
            response = world.session.request(method, url, headers=headers, timeout=10, **body)
            want = (403, UNAUTHORIZED) if expected == UNAUTH else (401, UNAUTHENTICATED)
            assert (response.status_code, response.json()) == want, (route, method, actor)
    finally:
        settings.unauthorized_status = 401


# -- the matrix is not refusing everyone ---------------------------------------------------------


def test_the_rightful_callers_get_what_the_matrix_refuses_others(world):
    """The same requests from those who may make them succeed: the refusals are about who."""
    a, b = world.targets["course_a"], world.targets["course_b"]

    def get(path: str, actor: str, **kw) -> requests.Response:
        return world.session.get(world.url + path, headers=_headers(world, actor), timeout=10, **kw)

    assert get(f"/api/v1/courses/{a['course_id']}", "student").status_code == 200
    assert get(f"/api/v1/courses/{b['course_id']}", "admin").status_code == 200
    own = f"/api/v1/courses/{a['course_id']}/assignments/{a['assignment_id']}/submissions/self"
    assert get(own, "student").status_code == 200
    other = own.replace("/self", f"/{a['user_id']}")
    assert get(other, "teacher").status_code == 200
    assert get(f"/api/v1/audit/grade_change/courses/{a['course_id']}", "teacher").status_code == 200
    assert get(f"/api/v1/audit/grade_change/students/{a['student_id']}", "admin").status_code == 200
    assert get(f"/api/v1/users/{a['user_id']}", "teacher").status_code == 200
    for headers in (
        {"Authorization": f"Bearer {CONTROL_TOKEN}"},
        {"X-Mockcanvas-Token": CONTROL_TOKEN},
    ):
        response = world.session.get(world.url + "/_mockcanvas/health", headers=headers, timeout=10)
        assert response.status_code == 200
    for path in ("/_mockcanvas/openapi.json", "/_mockcanvas/schemas/error.json"):
        response = world.session.get(world.url + path, timeout=10)
        assert response.status_code == 200
        for secret in (CONTROL_TOKEN, world.token("admin"), world.token("student")):
            assert secret.encode() not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/_mockcanvas/schemas/../state",
        "/_mockcanvas/schemas/%2e%2e/state",
        "/_mockcanvas/schemas/..%2fstate",
        "/_mockcanvas/schemas/error.json/../../world",
        "/_mockcanvas/schemas//_mockcanvas/state",
    ],
)
def test_the_public_prefix_opens_no_other_control_route(world, path):
    """The schema files are public; a path that starts like one but means another route is not."""
    host, port = world.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split()[:2] == [b"HTTP/1.1", b"404"]
    assert json.loads(body) == NOT_FOUND
    assert world.token("admin").encode() not in answer


def test_a_section_limited_ta_overrides_another_sections_student_as_canvas_lets_it(world):
    """Canvas's setOverrideScore asks for ``:manage_grades`` on the course and nothing about
    sections, so the mock lets a section-limited TA override a student it cannot otherwise see."""
    url, ids, body, headers = send(
        world, GRAPHQL, "POST", "section_limited_ta", "other_section_override"
    )
    enrollment = world.inst.store.enrollments[int(ids["enrollment"])]
    assert not permissions.can_see_student(
        world.inst.store,
        world.inst.store.users[world.inst.store.landmarks["section_limited_ta"]],
        world.inst.store.courses[enrollment.course_id],
        enrollment.user_id,
    )
    try:
        response = world.session.post(url, headers=headers, timeout=10, **body)
        assert response.status_code == 200
        assert response.json()["data"]["setOverrideScore"]["grades"]["overrideScore"] == 12.0
        assert world.inst.store.course_score(enrollment.id).override_score == 12.0
    finally:
        state.reset(world.inst)
        world.unchanged.pop("fingerprint", None)


# -- leaks through the side ----------------------------------------------------------------------


def _section_students(store, course_id: int, section_ids: set[int]) -> set[int]:
    return {
        e.user_id
        for e in store.course_enrollments(course_id)
        if e.type == "StudentEnrollment" and e.section_id in section_ids
    }


def _all_pages(world: World, path: str, actor: str) -> list[dict]:
    pages = []
    url = world.url + path
    while url:
        response = world.session.get(url, headers=_headers(world, actor), timeout=10)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = parse_links(response.headers["Link"]).get("next")
    return pages


def _people(pages: list[dict]) -> tuple[set[int], set[int], set[int]]:
    """(event students, event graders, linked users) over every page."""
    students, graders, linked = set(), set(), set()
    for page in pages:
        for event in page["events"]:
            if event["links"]["student"] is not None:
                students.add(int(event["links"]["student"]))
            if event["links"]["grader"] is not None:
                graders.add(int(event["links"]["grader"]))
        linked |= {u["id"] for u in page["linked"]["users"]}
    return students, graders, linked


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/audit/grade_change/courses/{course}?per_page=100&include[]=current_grade",
        "/api/v1/audit/grade_change?course_id={course}&per_page=100&include[]=current_grade",
        "/api/v1/audit/grade_change?course_id={course}&assignment_id=override&per_page=100",
        "/api/v1/audit/grade_change/courses/{course}/graders/{teacher}?per_page=100",
    ],
)
def test_a_section_limited_ta_sees_only_its_sections_through_every_course_query(world, query):
    """Events, linked users, page views and current grades: nothing of the other sections'
    students, while an unlimited TA of the same course does see them (so the filter is real)."""
    store = world.store
    marks = store.landmarks
    course = marks["override_course"]
    path = query.format(course=course, teacher=marks["teacher"])
    limited_sections = {
        e.section_id
        for e in store.user_enrollments(marks["section_limited_ta"])
        if e.course_id == course
    }
    mine = _section_students(store, course, limited_sections)
    others = _section_students(store, course, {s.id for s in store.course_sections(course)})
    others -= mine
    assert others

    pages = _all_pages(world, path, "section_limited_ta")
    students, graders, linked = _people(pages)
    assert students <= mine
    assert linked == students | graders
    requests_seen = {e["links"]["page_view"] for p in pages for e in p["events"]} - {None}
    for page in pages:
        assert {v["id"] for v in page["linked"]["page_views"]} <= requests_seen
        assert {c["id"] for c in page["linked"]["courses"]} <= {course}
    text = json.dumps(pages)
    for user_id in others:
        user = store.users[user_id]
        for secret in (user.name, user.sortable_name, user.sis_user_id, user.login_id):
            if secret:
                assert secret not in text, f"{secret!r} of another section leaked"

    ta_students, _, _ = _people(_all_pages(world, path, "ta"))
    assert ta_students & others, "the unlimited TA sees the other sections' students"


@pytest.mark.parametrize(
    ("viewer", "course"),
    [
        ("admin", "override_course"),
        ("teacher", "override_course"),
        ("ta", "override_course"),
        ("section_limited_ta", "override_course"),
        ("other_teacher", "weighted_course"),
    ],
)
def test_linked_users_are_exactly_the_people_of_the_events_shown(world, viewer, course):
    """The compound document links no user beyond the students and graders of its own events,
    and every student shown is one the viewer may see in that course."""
    store = world.store
    course_id = store.landmarks[course]
    # students_visible_to(include: :priors_and_deleted): every student enrollment, any state.
    visible = {
        e.user_id for e in store.course_enrollments(course_id) if e.type == "StudentEnrollment"
    }
    if viewer == "section_limited_ta":
        sections = {
            e.section_id
            for e in store.user_enrollments(store.landmarks[viewer])
            if e.course_id == course_id
        }
        visible = _section_students(store, course_id, sections)
    pages = _all_pages(
        world, f"/api/v1/audit/grade_change/courses/{course_id}?per_page=100", viewer
    )
    students, graders, linked = _people(pages)
    assert students, "the course has events"
    assert students <= visible
    assert linked == students | graders


def test_a_student_reads_no_audit_route_not_even_their_own(world):
    """Canvas's audit API is for graders and admins: ``students/self`` is admin only (for_student),
    so a student gets 401 and none of their own rows either."""
    store = world.store
    student = store.landmarks["student"]
    for path in (
        "/api/v1/audit/grade_change/students/self",
        f"/api/v1/audit/grade_change/students/{student}",
        f"/api/v1/audit/grade_change?student_id={student}",
        f"/api/v1/audit/grade_change/courses/{store.landmarks['override_course']}"
        f"/students/{student}",
    ):
        response = world.session.get(
            world.url + path, headers=_headers(world, "student"), timeout=10
        )
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED), path


def test_graphql_enrollment_grades_follow_section_limits(world):
    """Through GraphQL, a section-limited TA reads its own sections' grades and not the others'."""
    store = world.store
    marks = store.landmarks
    course = marks["override_course"]

    def enrollment_of(user: str) -> int:
        return next(e.id for e in store.user_enrollments(marks[user]) if e.course_id == course)

    def grades(enrollment: int, actor: str):
        doc = (
            f'{{legacyNode(_id: "{enrollment}", type: Enrollment)'
            " {... on Enrollment {grades {currentScore}}}}"
        )
        response = world.session.post(
            world.url + GRAPHQL, json={"query": doc}, headers=_headers(world, actor), timeout=10
        )
        assert response.status_code == 200
        return response.json()["data"]["legacyNode"]

    assert grades(enrollment_of("student"), "section_limited_ta") is not None
    assert grades(enrollment_of("student_no_sis"), "section_limited_ta") is None
    assert grades(enrollment_of("student_no_sis"), "ta") is not None
    assert grades(enrollment_of("student_no_sis"), "student_no_sis") is not None
