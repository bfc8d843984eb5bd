"""A state import takes only values every later read and write can handle (issue 14, case 10).

Each bad value is put into an export of the seeded world and sent to ``PUT /_mockcanvas/state``
on a real server: the answer is 400 naming the field, and the world is unchanged. Each value at
the edge of what is allowed is imported, and then every route family is read (and a grade and an
override written): none answers 500.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.live_server import LiveServer

RANGE = "1970-01-02T00:00:00Z to 2068-01-19T03:14:07Z"
MAX_ID = 10**13 - 1
STUDENT, TEACHER, COURSE, ASSIGNMENT = 4, 36, 1, 3


def _row(data: dict, table: str, **match) -> dict:
    return next(r for r in data[table] if all(r[k] == v for k, v in match.items()))


# (table, row to change (field values), field, value, the 400's message)
IMPORT_VALUES: list[tuple[str, dict, str, object, str]] = [
    ("users", {"id": STUDENT}, "created_at", "9999-12-31T00:00:00Z",
     f"users[3].created_at is out of range ({RANGE})"),
    ("users", {"id": STUDENT}, "created_at", "0001-01-01T00:00:00Z",
     f"users[3].created_at is out of range ({RANGE})"),
    ("courses", {"id": COURSE}, "created_at", "0001-01-01T00:00:00Z",
     f"courses[0].created_at is out of range ({RANGE})"),
    ("assignments", {"id": ASSIGNMENT}, "due_at", "0001-01-01T00:00:00Z",
     f"assignments[2].due_at is out of range ({RANGE})"),
    ("grade_changes", {"id": 1}, "created_at", -62135596800,
     f"grade_changes[0].created_at must be a time in seconds ({RANGE})"),
    ("grade_changes", {"id": 1}, "created_at", 3094168448,
     f"grade_changes[0].created_at must be a time in seconds ({RANGE})"),
    ("submissions", {"id": 1}, "score", int("9" * 4000),
     "submissions[0].score must be 0 or a number of magnitude 1e-06 to 1e+15"),
    ("submissions", {"id": 1}, "score", 1e16,
     "submissions[0].score must be 0 or a number of magnitude 1e-06 to 1e+15"),
    ("assignments", {"id": ASSIGNMENT}, "points_possible", 1e-300,
     "assignments[2].points_possible must be 0 or a number of magnitude 1e-06 to 1e+15"),
    ("users", {"id": STUDENT}, "id", 10**13,
     f"users[3].id must be an id between {-MAX_ID} and {MAX_ID}"),
    ("submissions", {"id": 1}, "version_number", 2**31,
     "submissions[0].version_number must be an integer between -2147483648 and 2147483647"),
    ("users", {"id": STUDENT}, "name", "x" * 65_536,
     "users[3].name must be at most 65535 characters, without NUL"),
    ("users", {"id": STUDENT}, "name", "nul\x00",
     "users[3].name must be at most 65535 characters, without NUL"),
    ("users", {"id": STUDENT}, "time_zone", "x" * 65_535,
     "users[3].time_zone must be an IANA time zone name"),
    ("users", {"id": STUDENT}, "time_zone", "Mars/Olympus_Mons",
     "users[3].time_zone must be an IANA time zone name"),
    ("courses", {"id": COURSE}, "workflow_state", "zzz",
     "courses[0].workflow_state must be one of available, claimed, completed, created, deleted"),
    ("assignments", {"id": ASSIGNMENT}, "grading_type", "zzz",
     "assignments[2].grading_type must be one of gpa_scale, letter_grade, not_graded, "
     "pass_fail, percent, points"),
    ("enrollments", {"id": 1}, "type", "zzz",
     "enrollments[0].type must be one of DesignerEnrollment, ObserverEnrollment, "
     "StudentEnrollment, StudentViewEnrollment, TaEnrollment, TeacherEnrollment"),
    ("enrollments", {"id": 1}, "workflow_state", "zzz",
     "enrollments[0].workflow_state must be one of active, completed, creation_pending, "
     "deleted, inactive, invited, rejected"),
    ("sequences", {}, "submissions", 10**13,
     f"sequences.submissions must be between 1 and {MAX_ID}"),
    ("landmarks", {}, "student", int("9" * 4000),
     f"landmarks.student must be between {-MAX_ID} and {MAX_ID}"),
]  # fmt: skip

# Values at the edge of each range: imported, and then nothing breaks.
EDGE_VALUES: list[tuple[str, dict, str, object]] = [
    ("users", {"id": STUDENT}, "created_at", "1970-01-02T00:00:00Z"),
    ("users", {"id": STUDENT}, "created_at", "2068-01-19T03:14:07Z"),
    ("users", {"id": STUDENT}, "time_zone", "Pacific/Kiritimati"),
    ("courses", {"id": COURSE}, "created_at", "1970-01-02T00:00:00Z"),
    ("assignments", {"id": ASSIGNMENT}, "due_at", "2068-01-19T03:14:07Z"),
    ("assignments", {"id": ASSIGNMENT}, "points_possible", 1e-6),
    ("submissions", {"assignment_id": ASSIGNMENT, "user_id": STUDENT}, "score", 1e15),
    ("grade_changes", {"id": 1}, "created_at", 86400),
    ("grade_changes", {"id": 1}, "grader_id", -MAX_ID),
    ("users", {"id": STUDENT}, "name", "x" * 65_535),
]


@pytest.fixture(scope="module")
def server():
    app = create_app(seed=1)
    live = LiveServer(app).start()
    session = requests.Session()
    session.headers["Host"] = "127.0.0.1"
    original = session.get(f"{live.url}/_mockcanvas/state").json()
    yield app, live.url, session, original
    live.stop()
    session.close()


def changed(original: dict, table: str, match: dict, name: str, value: object) -> dict:
    data = copy.deepcopy(original)
    if table in ("sequences", "landmarks"):
        data[table][name] = value
    else:
        _row(data, table, **match)[name] = value
    return data


def put_state(session, url: str, data: dict) -> requests.Response:
    # json.dumps of a 4,000-digit int needs no str() limit; Python's parser takes up to 4,300.
    body = json.dumps(data)
    return session.put(
        f"{url}/_mockcanvas/state", data=body, headers={"Content-Type": "application/json"}
    )


def read_everything(app, url: str, session) -> dict[str, int]:
    """Every route family, as the admin and as the student, plus a grade and an override."""
    store = app.extensions["mockcanvas"].store
    statuses: dict[str, int] = {}
    enrollment = next(
        e.id
        for e in store.user_enrollments(STUDENT)
        if e.course_id == COURSE and e.type == "StudentEnrollment"
    )
    query = (
        "{ course(id: 1) { _id name state } assignment(id: 3) { _id pointsPossible gradingType "
        f'state }} e: legacyNode(_id: "{enrollment}", type: Enrollment) {{ ... on '
        "Enrollment { type state user { name } grades { currentScore overrideScore } } } }"
    )
    for who in (1, STUDENT):
        auth = {"Authorization": f"Bearer {store.token_for(who)}"}
        for path in (
            "/api/v1/users/self",
            f"/api/v1/users/{STUDENT}",
            f"/api/v1/courses/{COURSE}",
            f"/api/v1/courses/{COURSE}/assignments",
            f"/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}",
            f"/api/v1/courses/{COURSE}/students",
            f"/api/v1/courses/{COURSE}/users",
            f"/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/{STUDENT}",
            f"/api/v1/audit/grade_change/courses/{COURSE}",
            f"/api/v1/audit/grade_change/students/{STUDENT}",
            f"/api/v1/audit/grade_change/graders/{TEACHER}",
            f"/api/v1/audit/grade_change/assignments/{ASSIGNMENT}",
            f"/api/v1/audit/grade_change?course_id={COURSE}",
        ):
            statuses[f"{who} {path}"] = session.get(url + path, headers=auth).status_code
        answer = session.post(f"{url}/api/graphql", json={"query": query}, headers=auth)
        statuses[f"{who} graphql"] = answer.status_code if "errors" not in answer.json() else 599
    for path in ("/_mockcanvas/world", "/_mockcanvas/state", "/_mockcanvas/live_events"):
        statuses[path] = session.get(url + path).status_code
    teacher = {"Authorization": f"Bearer {store.token_for(TEACHER)}"}
    statuses["grade"] = session.put(
        f"{url}/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/{STUDENT}",
        json={"submission": {"posted_grade": "7"}},
        headers=teacher,
    ).status_code
    statuses["override"] = session.post(
        f"{url}/_mockcanvas/overrides",
        json={"course_id": COURSE, "user_id": STUDENT, "override_score": 50},
    ).status_code
    return statuses


@pytest.mark.parametrize(
    ("table", "match", "name", "value", "message"),
    IMPORT_VALUES,
    ids=[f"{t}.{n}-{i}" for i, (t, _, n, _, _) in enumerate(IMPORT_VALUES)],
)
def test_an_import_value_that_would_break_a_read_is_refused(
    server, table, match, name, value, message
):
    app, url, session, original = server
    assert put_state(session, url, original).status_code == 200
    before = session.get(f"{url}/_mockcanvas/state").content
    answer = put_state(session, url, changed(original, table, match, name, value))
    assert (answer.status_code, answer.json()) == (400, {"message": message})
    assert session.get(f"{url}/_mockcanvas/state").content == before
    statuses = read_everything(app, url, session)
    assert {k: v for k, v in statuses.items() if v >= 500} == {}


@pytest.mark.parametrize(
    ("table", "match", "name", "value"),
    EDGE_VALUES,
    ids=[f"{t}.{n}-{i}" for i, (t, _, n, _) in enumerate(EDGE_VALUES)],
)
def test_a_value_at_the_edge_imports_and_breaks_nothing(server, table, match, name, value):
    app, url, session, original = server
    answer = put_state(session, url, changed(original, table, match, name, value))
    assert answer.status_code == 200, answer.text
    statuses = read_everything(app, url, session)
    assert {k: v for k, v in statuses.items() if v >= 500} == {}
    assert (statuses["grade"], statuses["override"]) == (200, 200)
    assert put_state(session, url, original).status_code == 200


# -- one range for every door to the clock -------------------------------------------------------

# Past the audit log's last second, and the other side of the range.
OUTSIDE_CLOCK = ["2068-01-19T03:14:08Z", "8999-01-01T00:00:00Z", "1970-01-01T23:59:59Z"]
SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "tiny.json"


def _mockcanvas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mockcanvas", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("instant", OUTSIDE_CLOCK)
def test_serve_now_refuses_what_the_clock_refuses(instant):
    done = _mockcanvas("serve", "--port", "0", f"--now={instant}")
    assert done.returncode == 2
    assert done.stderr.endswith(f"error: argument --now: give a time from {RANGE}\n")


@pytest.mark.parametrize("instant", OUTSIDE_CLOCK)
def test_a_scenario_now_refuses_what_the_clock_refuses(instant, tmp_path):
    data = json.loads(SCENARIO.read_text(encoding="utf-8"))
    data["now"] = instant
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = _mockcanvas("world", "--scenario", str(path))
    assert done.returncode == 2
    assert f"  $.now: {instant!r} is out of range ({RANGE})\n" in done.stderr


def test_the_last_second_is_taken_everywhere(tmp_path):
    last = "2068-01-19T03:14:07Z"
    assert _mockcanvas("world", f"--now={last}").returncode == 0
    data = json.loads(SCENARIO.read_text(encoding="utf-8"))
    data["now"] = last
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert _mockcanvas("world", "--scenario", str(path)).returncode == 0
