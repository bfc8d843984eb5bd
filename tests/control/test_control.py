"""The control API: reset, world, clock, faults, throttle, state export/import, request journal,
and the control token. Every JSON answer, control or Canvas, is checked against its schema
(``tests.support.CheckedClient``), except where a fault sends a body of the test's own making."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from mockcanvas import create_app, state
from mockcanvas.controls import controls
from mockcanvas.seed import build_world
from mockcanvas.services.throttle import Throttle, ThrottleConfig, ruby_float
from tests.support import BASE, CheckedClient

RATE_LIMITED = b"403 Forbidden (Rate Limit Exceeded)\n"
INTERNAL_ERROR = {
    "errors": [{"message": "An error occurred.", "error_code": "internal_server_error"}]
}


class Mock:
    """One app, its instance and clients, speaking as landmark users.

    ``checked`` validates every JSON answer against its schema; ``client`` is Flask's plain client,
    for answers that are not Canvas's or the mock's (a fault's custom body).
    """

    def __init__(self, app) -> None:
        self.app = app
        self.inst = app.extensions["mockcanvas"]
        self.client = app.test_client()
        self.checked = CheckedClient(app, self.inst.store)

    @property
    def store(self):
        return self.inst.store

    def id(self, landmark: str) -> int:
        return self.store.landmarks[landmark]

    def auth(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.store.token_for(self.id(who))}"}

    def grade(self, grade: str = "13", who: str = "teacher", **kw):
        path = (
            f"/api/v1/courses/{self.id('override_course')}/assignments/"
            f"{self.id('points_assignment')}/submissions/{self.id('student')}"
        )
        return self.checked.put(
            path, data={"submission[posted_grade]": grade}, headers=self.auth(who), **kw
        )

    def course_log(self, who: str = "admin", **kw):
        return self.checked.request(
            "GET",
            f"/api/v1/audit/grade_change/courses/{self.id('override_course')}",
            headers=self.auth(who),
            **kw,
        )

    def control(self, method: str, path: str, **kw):
        return self.checked.request(method, f"/_mockcanvas/{path}", **kw)

    def state_bytes(self) -> bytes:
        response = self.control("GET", "state")
        assert response.status_code == 200
        return response.data

    def events(self) -> list[dict]:
        return self.control("GET", "live_events").get_json()["live_events"]


@pytest.fixture
def mock(app) -> Mock:
    return Mock(app)


class FakeTime:
    """A monotonic time source the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- reset -------------------------------------------------------------------------------------


def test_reset_restores_a_world_identical_to_a_fresh_one(mock):
    fresh = Mock(create_app(seed=1)).state_bytes()
    assert mock.state_bytes() == fresh
    store = mock.store
    assert mock.grade("13").status_code == 200
    assert mock.control("POST", "clock", json={"advance": 3600}).status_code == 200
    assert mock.control("POST", "faults", json={"path": "/nowhere"}).status_code == 201
    changed = mock.state_bytes()
    assert changed != fresh
    assert mock.events()

    response = mock.control("POST", "reset", json={})
    assert response.status_code == 200
    body = response.get_json()
    assert body["reset"] is True and body["kept"] == ["subscriptions"]
    assert isinstance(body["took_ms"], float)
    assert mock.state_bytes() == fresh
    assert mock.store is store, "the store keeps its identity; its contents are swapped"
    assert mock.events() == []
    assert mock.control("GET", "faults").get_json() == {"faults": []}
    assert mock.control("GET", "clock").get_json() == {
        "now": "2026-11-02T16:00:00Z",
        "frozen": True,
    }
    journal = mock.control("GET", "requests").get_json()
    # Only what came after the reset: the reset itself is recorded once it has answered.
    assert [r["path"] for r in journal["requests"]] == [
        "/_mockcanvas/reset",
        "/_mockcanvas/state",
        "/_mockcanvas/live_events",
        "/_mockcanvas/faults",
        "/_mockcanvas/clock",
    ]
    assert journal["requests"][0]["seq"] == 1


def test_after_reset_the_same_requests_give_the_same_bytes(mock):
    other = Mock(create_app(seed=1))
    mock.grade("11")
    mock.control("POST", "reset", json={})
    for m in (mock, other):
        assert m.grade("13").status_code == 200
    assert mock.state_bytes() == other.state_bytes()
    assert json.dumps(mock.events()) == json.dumps(other.events())
    assert mock.events()[0]["seq"] == 1
    assert mock.course_log().data == other.course_log().data


def test_reset_keeps_subscriptions_and_drops_progresses(mock, tmp_path):
    spec = {"kind": "jsonl", "path": str(tmp_path / "events.jsonl")}
    created = mock.control("POST", "subscriptions", json=spec)
    assert created.status_code == 201, created.get_json()
    mock.inst.progresses[1] = object()
    mock.control("POST", "reset", json={})
    assert mock.inst.progresses == {}
    [kept] = mock.control("GET", "subscriptions").get_json()["subscriptions"]
    assert kept["id"] == created.get_json()["id"]
    assert mock.grade("13").status_code == 200
    mock.control("POST", f"subscriptions/{kept['id']}/wait", json={})
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["metadata"]["event_name"] == "grade_change"


def test_reset_as_python_for_an_app_around_a_given_store():
    store = build_world(2, "small")
    mock = Mock(create_app(store, seed=2))
    before = mock.state_bytes()
    mock.grade("3")
    assert mock.state_bytes() != before
    took = state.reset(mock.inst)
    assert took >= 0
    assert mock.state_bytes() == before


def test_reset_keeps_the_running_clock_running_from_its_start():
    start = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    from mockcanvas import Clock

    mock = Mock(create_app(seed=1, clock=Clock(start, frozen=False)))
    mock.control("POST", "clock", json={"set": "2027-01-01T00:00:00Z", "freeze": True})
    mock.control("POST", "reset", json={})
    clock = mock.control("GET", "clock").get_json()
    assert clock["frozen"] is False
    assert start <= datetime.fromisoformat(clock["now"]) < start + timedelta(minutes=1)


# -- world -------------------------------------------------------------------------------------


def test_world_lists_everyone_with_roles_and_tokens(mock):
    response = mock.control("GET", "world")
    assert response.status_code == 200
    world = response.get_json()
    users = {u["id"]: u for u in world["users"]}
    assert len(users) == len(mock.store.users)
    admin = users[world["landmarks"]["admin"]]
    assert "AccountAdmin" in admin["roles"]
    assert admin["admin"][0]["view_grade_changes"] is True
    assert admin["token"] == mock.store.token_for(admin["id"])
    teacher = users[world["landmarks"]["teacher"]]
    override_course = world["landmarks"]["override_course"]
    assert {"course_id": override_course, "type": "TeacherEnrollment"}.items() <= next(
        e for e in teacher["enrollments"] if e["course_id"] == override_course
    ).items()
    courses = {c["id"]: c for c in world["courses"]}
    course = courses[override_course]
    assert course["allow_final_grade_override"] is True
    assert len(course["sections"]) >= 2
    assignments = {a["id"]: a for a in course["assignments"]}
    assert assignments[world["landmarks"]["quiz_assignment"]]["quiz"] is True
    assert assignments[world["landmarks"]["deleted_assignment"]]["workflow_state"] == "deleted"
    assert assignments[world["landmarks"]["letter_grade_assignment"]]["grading_type"] == (
        "letter_grade"
    )
    assert world["grade_changes"] == len(mock.store.grade_changes)


# -- clock -------------------------------------------------------------------------------------


def test_clock_freeze_unfreeze_set_advance(mock):
    assert mock.control("GET", "clock").get_json() == {
        "now": "2026-11-02T16:00:00Z",
        "frozen": True,
    }
    moved = mock.control("POST", "clock", json={"advance": 90.5}).get_json()
    assert moved == {"now": "2026-11-02T16:01:30.500000Z", "frozen": True}
    put = mock.control("POST", "clock", json={"set": "2026-11-03T10:00:00Z"}).get_json()
    assert put == {"now": "2026-11-03T10:00:00Z", "frozen": True}
    running = mock.control("POST", "clock", json={"unfreeze": True}).get_json()
    assert running["frozen"] is False
    time.sleep(0.01)
    later = datetime.fromisoformat(mock.control("GET", "clock").get_json()["now"])
    assert later > datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    frozen = mock.control("POST", "clock", json={"freeze": True}).get_json()
    assert frozen["frozen"] is True
    assert mock.control("GET", "clock").get_json() == frozen
    back = mock.control("POST", "clock", json={"set": "2026-11-03T12:00:00+02:00", "advance": -60})
    assert back.get_json()["now"] == "2026-11-03T09:59:00Z"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"jump": 5},
        {"advance": "60"},
        {"advance": True},
        {"advance": 1e300},
        {"set": "tomorrow"},
        {"set": "2026-11-03T10:00:00"},
        {"set": "1900-01-01T00:00:00Z"},
        {"freeze": False},
        {"freeze": True, "unfreeze": True},
        {"set": "2026-11-03T10:00:00Z", "advance": "x"},
        [],
    ],
)
def test_bad_clock_changes_are_400_and_change_nothing(mock, body):
    before = mock.control("GET", "clock").get_json()
    response = mock.control("POST", "clock", json=body)
    assert response.status_code == 400
    assert set(response.get_json()) == {"message"}
    assert mock.control("GET", "clock").get_json() == before


def test_grades_after_advance_carry_the_new_time(mock):
    mock.control("POST", "clock", json={"advance": 86_400 + 42})
    expected = datetime(2026, 11, 3, 16, 0, 42, tzinfo=UTC)
    assert mock.grade("13").status_code == 200
    newest = mock.course_log(query_string={"per_page": 1}).get_json()["events"][0]
    assert newest["grade_after"] == "13"
    assert datetime.fromisoformat(newest["created_at"]) == expected
    events = mock.events()
    assert events
    for event in events:
        assert event["event"]["metadata"]["event_time"] == "2026-11-03T16:00:42.000Z"


# -- faults ------------------------------------------------------------------------------------


def add_fault(mock, **spec) -> dict:
    response = mock.control("POST", "faults", json=spec)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_status_fault_answers_with_a_canvas_error_body(mock):
    add_fault(mock, path="/api/v1/audit/grade_change/courses/*")
    response = mock.course_log()
    assert response.status_code == 500
    assert response.content_type == "application/json; charset=utf-8"
    assert response.get_json() == INTERNAL_ERROR
    assert response.headers["X-Request-Cost"] == "0.0"  # the app answered, if badly
    add_fault(mock, path="/api/v1/users/**", status=503, headers={"Retry-After": "1"})
    unavailable = mock.checked.get("/api/v1/users/self")
    assert unavailable.status_code == 503
    assert unavailable.get_json() == {
        "errors": [{"message": "An error occurred.", "error_code": "service_unavailable"}]
    }
    assert unavailable.headers["Retry-After"] == "1"
    add_fault(mock, regex=r"^/api/v1/courses/\d+$", status=404)
    assert mock.checked.get("/api/v1/courses/1", as_=None).get_json() == {
        "errors": [{"message": "The specified resource does not exist."}]
    }
    add_fault(mock, path="/api/v1/courses/*/users", status=422, body={"errors": {"x": ["bad"]}})
    # Not a Canvas body, so the plain client.
    custom = mock.client.get("/api/v1/courses/1/users", base_url=BASE)
    assert (custom.status_code, custom.get_json()) == (422, {"errors": {"x": ["bad"]}})


def test_a_rate_limit_fault_answers_exactly_as_canvas_throttles(mock):
    fault = add_fault(mock, kind="rate_limit", path="/api/v1/audit/**", method="get")
    assert fault["method"] == ["GET"]
    response = mock.course_log()
    assert response.status_code == 403
    assert response.data == RATE_LIMITED
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Rate-Limit-Remaining"] == "0.0"
    assert "X-Request-Cost" not in response.headers


def test_a_latency_fault_pauses_then_the_app_answers(mock):
    add_fault(mock, kind="latency", latency_ms=60, path="/api/v1/audit/**")
    started = time.perf_counter()
    response = mock.course_log()
    assert time.perf_counter() - started >= 0.06
    assert response.status_code == 200
    entry = mock.control("GET", "requests?path=/api/v1/audit/**").get_json()["requests"][-1]
    assert entry["duration_ms"] >= 60 and entry["fault_id"] is None


def test_count_limits_how_often_a_fault_fires(mock):
    fault = add_fault(mock, path="/api/v1/audit/**", count=2)
    statuses = [mock.course_log().status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    listed = mock.control("GET", f"faults/{fault['id']}").get_json()
    assert (listed["count"], listed["remaining"], listed["fired"]) == (2, 0, 2)


def _pattern(mock) -> list[int]:
    return [mock.course_log().status_code for _ in range(30)]


def test_probability_draws_from_a_seeded_generator(mock):
    add_fault(mock, path="/api/v1/audit/**", status=502, probability=0.5)
    first = _pattern(mock)
    assert 0 < first.count(502) < 30
    assert set(first) == {200, 502}
    other = Mock(create_app(seed=1))
    add_fault(other, path="/api/v1/audit/**", status=502, probability=0.5)
    assert _pattern(other) == first
    mock.control("POST", "reset", json={})
    add_fault(mock, path="/api/v1/audit/**", status=502, probability=0.5)
    assert _pattern(mock) == first
    never = Mock(create_app(seed=1))
    add_fault(never, path="/api/v1/audit/**", probability=0)
    assert set(_pattern(never)) == {200}


def test_method_filters_and_faults_never_touch_control_routes(mock):
    add_fault(mock, path="**", method=["PUT", "POST"], status=500)
    add_fault(mock, regex=".*", kind="rate_limit", method="DELETE")
    assert mock.course_log().status_code == 200
    assert mock.grade("13").status_code == 500
    assert mock.control("POST", "clock", json={"advance": 1}).status_code == 200
    assert mock.control("DELETE", "live_events", json={}).status_code == 200
    assert mock.control("GET", "health").status_code == 200


def test_a_faulted_grade_writes_nothing(mock):
    before = mock.state_bytes()
    add_fault(mock, path="/api/v1/courses/*/assignments/*/submissions/*", method="PUT")
    response = mock.grade("13")
    assert response.status_code == 500
    assert mock.state_bytes() == before
    assert mock.events() == []
    # ... and it draws no ids: the next real grade stamps what a fresh app's first grade does.
    mock.control("DELETE", "faults", json={})
    other = Mock(create_app(seed=1))
    assert mock.grade("13").status_code == other.grade("13").status_code == 200
    assert mock.state_bytes() == other.state_bytes()


def test_faults_are_listed_and_deleted(mock):
    one = add_fault(mock, path="/a")
    two = add_fault(mock, path="/b", kind="latency", latency_ms=1)
    assert [f["id"] for f in mock.control("GET", "faults").get_json()["faults"]] == [1, 2]
    assert mock.control("DELETE", f"faults/{one['id']}", json={}).get_json() == {"deleted": 1}
    assert mock.control("DELETE", f"faults/{one['id']}", json={}).status_code == 404
    assert mock.control("GET", "faults/x").status_code == 404
    assert mock.control("GET", "faults/%C2%B9").status_code == 404  # "¹": was a 500
    assert mock.control("DELETE", "faults/%C2%B9", json={}).status_code == 404
    assert [f["id"] for f in mock.control("GET", "faults").get_json()["faults"]] == [two["id"]]
    assert mock.control("DELETE", "faults", json={}).get_json() == {"deleted": 1}


def test_whole_numbers_written_as_floats_are_integers(mock):
    # JSON has one number type: 503.0 is the integer 503 to JSON Schema and to every client that
    # writes doubles. The control API used to refuse it where it wants an integer.
    fault = add_fault(mock, path="/api/v1/audit/**", status=503.0, count=2.0)
    assert (fault["status"], fault["count"]) == (503, 2)
    assert mock.course_log().status_code == 503
    ids = {
        "course_id": float(mock.id("override_course")),
        "assignment_id": float(mock.id("points_assignment")),
        "user_id": float(mock.id("student")),
    }
    graded = mock.control("POST", "grades", json={**ids, "posted_grade": "9"})
    assert graded.status_code == 200
    assert graded.get_json()["submission"]["grade"] == "9"
    exported = json.loads(mock.state_bytes())
    exported["root_account_id"] = float(exported["root_account_id"])
    exported["sequences"] = {k: float(v) for k, v in exported["sequences"].items()}
    before = mock.state_bytes()
    body = json.dumps(exported)  # not json=: the test client would sort the keys
    assert mock.control("PUT", "state", data=body, content_type="application/json").status_code == (
        200
    )
    assert mock.state_bytes() == before


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"path": "/a", "regex": "/a"},
        {"path": ""},
        {"regex": "("},
        {"path": "/a", "kind": "explode"},
        {"path": "/a", "status": 200},
        {"path": "/a", "status": "500"},
        {"path": "/a", "kind": "latency"},
        {"path": "/a", "kind": "latency", "latency_ms": 1e9},
        {"path": "/a", "kind": "rate_limit", "status": 500},
        {"path": "/a", "probability": 1.5},
        {"path": "/a", "count": 0},
        {"path": "/a", "method": "G E T"},
        {"path": "/a", "method": "GÉT"},  # str.isalpha() alone took any letter
        {"path": "/a", "status": 500.5},
        {"path": "/a", "headers": {"X": "a\r\nb"}},
        # Accepted once, then every matching answer failed on the wire (latin-1, bad names).
        {"path": "/a", "headers": {"X-A": "\u20ac"}},
        {"path": "/a", "headers": {"X A:": "v"}},
        {"path": "/a", "colour": "red"},
    ],
)
def test_bad_faults_are_400_and_not_added(mock, spec):
    response = mock.control("POST", "faults", json=spec)
    assert response.status_code == 400
    assert set(response.get_json()) == {"message"}
    assert mock.control("GET", "faults").get_json() == {"faults": []}


# -- throttle ----------------------------------------------------------------------------------


def test_token_requests_carry_the_throttle_headers(mock):
    response = mock.course_log()
    assert response.status_code == 200
    assert response.headers["X-Request-Cost"] == "0.0"
    assert response.headers["X-Rate-Limit-Remaining"] == "600.0"
    assert "X-Request-Cost" not in mock.control("GET", "health").headers
    settings = mock.control("GET", "throttle").get_json()
    assert settings["enabled"] is False
    assert (settings["high_water_mark"], settings["outflow"], settings["up_front_cost"]) == (
        600.0,
        10.0,
        50.0,
    )
    [bucket] = settings["buckets"]
    assert bucket["user_id"] == mock.id("admin") and bucket["remaining"] == 600.0


def test_the_throttle_refuses_the_nth_request_then_recovers_after_draining(mock):
    clock = FakeTime()
    controls(mock.inst).throttle.time_source = clock
    small = {
        "enabled": True,
        "high_water_mark": 100,
        "up_front_cost": 50,
        "outflow": 0.001,
        "extra_cost": 30,
    }
    assert mock.control("POST", "throttle", json=small).status_code == 200
    first, second = mock.course_log("teacher"), mock.course_log("teacher")
    assert (first.status_code, second.status_code) == (200, 200)
    assert [r.headers["X-Request-Cost"] for r in (first, second)] == ["30.0", "30.0"]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in (first, second)] == ["70.0", "40.0"]

    before = mock.state_bytes()
    refused = mock.grade("13")  # 60 in the bucket + 50 up front >= 100
    assert refused.status_code == 403
    assert refused.data == RATE_LIMITED
    assert refused.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "X-Request-Cost" not in refused.headers
    # Canvas then sets the header to the bucket's remaining capacity (request_throttle.rb).
    assert refused.headers["X-Rate-Limit-Remaining"] == "40.0"
    assert mock.state_bytes() == before
    assert mock.course_log("teacher").status_code == 403
    assert mock.course_log("admin").status_code == 200  # another token has its own bucket

    clock.now += 5_000  # drains 5 of the 60: 55 + 50 is still >= 100
    refused_again = mock.course_log("teacher")
    assert refused_again.status_code == 403
    assert refused_again.headers["X-Rate-Limit-Remaining"] == "45.0"
    clock.now += 15_000  # 15 more: 40 + 50 < 100
    recovered = mock.course_log("teacher")
    assert recovered.status_code == 200
    assert recovered.headers["X-Rate-Limit-Remaining"] == "30.0"  # 40 + 30 charged
    journal = mock.control("GET", "requests?path=/api/v1/**").get_json()["requests"]
    assert [e["throttled"] for e in journal] == [False, False, True, True, False, True, False]
    assert [e["status"] for e in journal] == [200, 200, 403, 403, 200, 403, 200]


def test_parallel_requests_fill_the_bucket_with_their_up_front_cost():
    clock = FakeTime()
    throttle = Throttle(ThrottleConfig(enabled=True), time_source=clock)
    in_flight = [throttle.begin("token:a") for _ in range(12)]
    assert [r.throttled for r in in_flight] == [False] * 11 + [True]
    clock.now += 2.5  # each request took 2.5 s; the bucket leaked 25 meanwhile
    for reservation in in_flight:
        throttle.end(reservation)
    # 600 in the bucket, 25 leaked, then 12 times: 50 refunded, 2.5 charged.
    assert in_flight[-1].remaining == 600 - (600 - 25 - 12 * 47.5)
    assert in_flight[0].cost == 2.5
    assert not throttle.begin("token:a").throttled
    assert ThrottleConfig().updated({"high_water_mark": 1000}).maximum == 1200.0


def test_create_app_throttle_on_with_canvas_defaults():
    mock = Mock(create_app(seed=1, throttle=True))
    settings = mock.control("GET", "throttle").get_json()
    assert {k: settings[k] for k in ("enabled", "high_water_mark", "maximum", "outflow")} == {
        "enabled": True,
        "high_water_mark": 600.0,
        "maximum": 800.0,
        "outflow": 10.0,
    }
    response = mock.course_log()
    assert response.status_code == 200
    assert float(response.headers["X-Request-Cost"]) > 0  # time is measured when on
    mock.control("POST", "throttle", json={"enabled": False})
    mock.control("POST", "reset", json={})
    assert mock.control("GET", "throttle").get_json()["enabled"] is True


@pytest.mark.parametrize(
    "body",
    [{}, {"enabled": "yes"}, {"outflow": -1}, {"hwm": 5}, {"maximum": 10}, {"high_water_mark": 0}],
)
def test_bad_throttle_settings_are_400(mock, body):
    before = mock.control("GET", "throttle").get_json()
    assert mock.control("POST", "throttle", json=body).status_code == 400
    assert mock.control("GET", "throttle").get_json() == before


def test_ruby_float_strings():
    assert [ruby_float(v) for v in (0, 600, 41.25, 1e-05, 2.5e-07, 1e20)] == [
        "0.0",
        "600.0",
        "41.25",
        "1.0e-05",
        "2.5e-07",
        "1.0e+20",
    ]


# -- state -------------------------------------------------------------------------------------


def test_state_round_trip_is_byte_identical(mock):
    mock.grade("13")
    exported = mock.state_bytes()
    data = json.loads(exported)
    assert data["format"] == "mockcanvas-state" and data["version"] == 1
    assert len(data["grade_changes"]) == len(mock.store.grade_changes)
    assert data["clock"] == {"now": "2026-11-02T16:00:00Z", "frozen": True}
    other = Mock(create_app(seed=7))
    response = other.control("PUT", "state", data=exported, content_type="application/json")
    assert response.status_code == 200, response.get_json()
    assert other.state_bytes() == exported
    # The imported world works: its audit log answers as the exporter's does.
    assert other.course_log().data == mock.course_log().data


def test_import_as_baseline_makes_reset_come_back_to_it(mock):
    mock.grade("13")
    exported = mock.state_bytes()
    other = Mock(create_app(seed=7))
    other.control("PUT", "state?baseline=true", data=exported, content_type="application/json")
    other.grade("2")
    assert other.state_bytes() != exported
    other.control("POST", "reset", json={})
    assert other.state_bytes() == exported


def _broken(data: dict, how: str) -> object:
    if how == "not an object":
        return [data]
    if how == "format":
        data["format"] = "other"
    elif how == "missing table":
        del data["submissions"]
    elif how == "unknown key":
        data["extras"] = []
    elif how == "unknown field":
        data["users"][0]["shoe_size"] = 44
    elif how == "wrong type":
        data["submissions"][0]["score"] = "ten"
    elif how == "bad time":
        data["courses"][0]["created_at"] = "2026-13-45"
    elif how == "naive time":
        data["courses"][0]["created_at"] = "2026-01-01T00:00:00"
    elif how == "dangling reference":
        data["enrollments"][0]["course_id"] = 99_999
    elif how == "duplicate id":
        data["users"].append(dict(data["users"][0]))
    elif how == "duplicate submission":
        data["submissions"].append({**data["submissions"][0], "id": 99_999})
    elif how == "audit ids out of order":
        data["grade_changes"].reverse()
    elif how == "token for nobody":
        data["tokens"]["1~nobody"] = 99_999
    elif how == "sequence too low":
        data["sequences"]["submissions"] = 1
    elif how == "bad clock":
        data["clock"] = {"now": "later", "frozen": True}
    elif how == "missing field":
        del data["assignments"][0]["name"]
    elif how == "object as root account":
        data["root_account_id"] = {}  # used to crash (an unhashable dict looked up as an id)
    elif how == "true as version":
        data["version"] = True
    return data


@pytest.mark.parametrize(
    "how",
    [
        "not an object",
        "format",
        "missing table",
        "unknown key",
        "unknown field",
        "wrong type",
        "bad time",
        "naive time",
        "dangling reference",
        "duplicate id",
        "duplicate submission",
        "audit ids out of order",
        "token for nobody",
        "sequence too low",
        "bad clock",
        "missing field",
        "object as root account",
        "true as version",
    ],
)
def test_bad_imports_are_400_and_change_nothing(mock, how):
    before = mock.state_bytes()
    body = json.dumps(_broken(json.loads(before), how))
    response = mock.control("PUT", "state", data=body, content_type="application/json")
    assert response.status_code == 400, how
    assert set(response.get_json()) == {"message"}
    assert mock.state_bytes() == before


def test_import_of_something_that_is_not_json_is_400(mock):
    before = mock.state_bytes()
    response = mock.control("PUT", "state", data="{", content_type="application/json")
    assert response.status_code == 400
    assert mock.state_bytes() == before


def test_export_covers_every_table_of_the_store(mock):
    tables = {t.name for t in state.TABLES} | set(state.SCALARS)
    public = {name for name in vars(mock.store) if not name.startswith("_")}
    assert public == tables, "a new store table needs a place in mockcanvas.state.TABLES"


# -- request journal ---------------------------------------------------------------------------


def test_the_journal_records_canvas_and_control_requests(mock):
    mock.course_log(query_string={"per_page": 2})
    mock.grade("13")
    mock.checked.get("/api/v1/nowhere", as_=None)
    mock.control("GET", "health")
    body = mock.control("GET", "requests").get_json()
    assert (body["total"], body["evicted"], body["capacity"]) == (4, 0, 10_000)
    log, grade, missing, health = body["requests"]
    assert [e["seq"] for e in body["requests"]] == [1, 2, 3, 4]
    assert (log["method"], log["query"], log["status"]) == ("GET", "per_page=2", 200)
    assert log["user_id"] == mock.id("admin") and log["request_id"] is None
    assert (grade["method"], grade["status"], grade["user_id"]) == ("PUT", 200, mock.id("teacher"))
    assert grade["request_id"] == mock.events()[0]["event"]["metadata"]["request_id"]
    assert grade["time"] == "2026-11-02T16:00:00Z"
    assert (missing["status"], missing["user_id"]) == (404, None)
    assert health["path"] == "/_mockcanvas/health"
    assert all(isinstance(e["duration_ms"], float) for e in body["requests"])


def test_journal_filters(mock):
    for _ in range(3):
        mock.course_log()
    mock.grade("13")
    mock.control("GET", "health")
    get = mock.control
    assert [e["seq"] for e in get("GET", "requests?after=2").get_json()["requests"]] == [3, 4, 5]
    assert [e["seq"] for e in get("GET", "requests?limit=2").get_json()["requests"]] == [1, 2]
    audit = get("GET", "requests?path=/api/v1/audit/**").get_json()["requests"]
    assert [e["seq"] for e in audit] == [1, 2, 3]
    puts = get("GET", "requests?method=put").get_json()["requests"]
    assert [e["seq"] for e in puts] == [4]
    assert get("GET", "requests?path=/_mockcanvas/health").get_json()["requests"][0]["seq"] == 5
    assert get("GET", "requests?after=x").status_code == 400
    # Only ASCII digits: str.isdigit() took "²" and strip() took " 2 ".
    for value in ("%C2%B2", "%202%20", "--2", "2.0"):
        assert get("GET", f"requests?after={value}").status_code == 400, value
        assert get("GET", f"live_events?limit={value}").status_code == 400, value
    assert get("GET", "requests?after=").status_code == 200  # empty is not sent


def test_inbox_filters_and_a_negative_limit_is_400(mock):
    mock.grade("13")
    mock.grade("14")
    names = [e["event_name"] for e in mock.events()]
    assert names == ["grade_change", "course_grade_change"] * 2
    get = mock.control
    assert [e["seq"] for e in get("GET", "live_events?limit=3").get_json()["live_events"]] == [
        1,
        2,
        3,
    ]
    after = get("GET", "live_events?after=2&event_name=grade_change").get_json()["live_events"]
    assert [e["seq"] for e in after] == [3]
    # A negative limit used to drop events from the end; like the journal's, it is a mistake.
    negative = get("GET", "live_events?limit=-1")
    assert negative.status_code == 400
    assert negative.get_json() == {"message": "limit must be >= 0"}


def test_the_journal_is_bounded_and_counts_what_it_evicts(mock):
    journal = controls(mock.inst).journal
    journal.resize(3)
    for _ in range(5):
        mock.control("GET", "health")
    body = mock.control("GET", "requests").get_json()
    assert [e["seq"] for e in body["requests"]] == [3, 4, 5]
    assert (body["total"], body["evicted"], body["capacity"]) == (5, 2, 3)
    assert mock.control("DELETE", "requests", json={}).get_json() == {"deleted": 3}
    after = mock.control("GET", "requests").get_json()
    # Sequence numbers go on after a clear, so after= cursors stay good.
    assert [e["seq"] for e in after["requests"]] == [7]
    assert after["evicted"] == 3  # the DELETE pushed one more out while the journal was full


# -- control token -----------------------------------------------------------------------------


def test_a_control_token_guards_every_control_route():
    mock = Mock(create_app(seed=1, control_token="s3cret"))
    missing = mock.control("GET", "health")
    assert missing.status_code == 401
    assert missing.get_json() == {
        "status": "unauthenticated",
        "errors": [{"message": "user authorization required"}],
    }
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    wrong = mock.control("POST", "reset", headers={"Authorization": "Bearer nope"}, json={})
    assert wrong.status_code == 401
    assert wrong.get_json() == {"errors": [{"message": "Invalid access token."}]}
    assert mock.control("GET", "nowhere").status_code == 401
    assert mock.control(
        "GET", "health", headers={"Authorization": "Bearer s3cret"}
    ).status_code == (200)
    assert mock.control("GET", "clock", headers={"X-Mockcanvas-Token": "s3cret"}).status_code == 200
    assert mock.course_log().status_code == 200  # Canvas routes are not affected


def test_unknown_control_routes_are_canvas_404s(mock):
    for method in ("GET", "POST", "DELETE"):
        response = mock.control(method, "no/such/thing")
        assert response.status_code == 404
        assert response.get_json() == {
            "errors": [{"message": "The specified resource does not exist."}]
        }
