"""The control API's schemas (schemas/control_*.json) against real answers of the mock.

For each schema: an answer the mock really gave meets it, and a corrupted copy (a required key
missing, a value of the wrong type, a key the shape does not have) fails it where the corruption
is. The answers come through ``CheckedClient``, so the path-to-schema map in ``tests.support`` is
exercised too.
"""

from __future__ import annotations

import copy
import socket
import typing
from dataclasses import fields

import pytest

from mockcanvas import create_app, schemas, state
from mockcanvas.sinks import shutdown
from tests.support import CheckedClient, check, schema_for

CONTROL = "/_mockcanvas"
QUICK = {"backoff_base": 0.01, "backoff_max": 0.02, "timeout": 1, "max_attempts": 1}
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")


class Control:
    """A seeded app and a schema-checking client for its control routes."""

    def __init__(self, **options) -> None:
        self.app = create_app(seed=1, **options)
        self.inst = self.app.extensions["mockcanvas"]
        self.client = CheckedClient(self.app, self.inst.store)

    def __call__(self, method: str, path: str, status: int = 200, **kw) -> dict:
        if method != "GET" and "json" not in kw and "data" not in kw:
            kw["json"] = {}  # a change must be JSON (a web page cannot send that cross-site)
        response = self.client.request(method, f"{CONTROL}/{path}", **kw)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def grade(self, grade: str = "13") -> None:
        marks = self.inst.store.landmarks
        path = (
            f"/api/v1/courses/{marks['override_course']}/assignments/"
            f"{marks['points_assignment']}/submissions/{marks['student']}"
        )
        response = self.client.put(
            path,
            data={"submission[posted_grade]": grade},
            headers={"Authorization": f"Bearer {self.client.token('teacher')}"},
        )
        assert response.status_code == 200


@pytest.fixture
def ctl():
    control = Control()
    yield control
    shutdown(control.inst.bus, timeout=2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def corrupt(body, *path, value=None, delete: bool = False):
    """A deep copy of ``body`` with the item at ``path`` set to ``value`` (or deleted)."""
    copied = copy.deepcopy(body)
    target = copied
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


def valid(name: str, body) -> None:
    schemas.validate(name, body)


def fails_at(name: str, body, where: str) -> None:
    """``body`` fails ``name``, and the failure points at ``where`` (a JSON path)."""
    found = schemas.issues(name, body)
    assert found, f"{name} accepted a corrupted body"
    assert where in [issue.path for issue in found], [str(issue) for issue in found]


# -- health, reset, clock, deleted -------------------------------------------------------------


def test_health(ctl):
    body = ctl("GET", "health")
    valid("control_health", body)
    fails_at("control_health", corrupt(body, "now", delete=True), "$")
    fails_at("control_health", corrupt(body, "seed", value="1"), "$.seed")
    fails_at("control_health", corrupt(body, "status", value="down"), "$.status")
    fails_at("control_health", corrupt(body, "uptime", value=1), "$.uptime")


def test_reset(ctl):
    body = ctl("POST", "reset")
    valid("control_reset", body)
    fails_at("control_reset", corrupt(body, "took_ms", delete=True), "$")
    fails_at("control_reset", corrupt(body, "took_ms", value="3ms"), "$.took_ms")
    fails_at("control_reset", corrupt(body, "kept", value=["faults"]), "$.kept[0]")


def test_clock(ctl):
    valid("control_clock", ctl("GET", "clock"))
    body = ctl("POST", "clock", json={"advance": 90.5, "unfreeze": True})
    valid("control_clock", body)
    fails_at("control_clock", corrupt(body, "frozen", delete=True), "$")
    fails_at("control_clock", corrupt(body, "frozen", value="no"), "$.frozen")
    # The control API writes UTC with Z; an offset, or no zone at all, is not its format.
    fails_at("control_clock", corrupt(body, "now", value="2026-11-02T16:00:00+00:00"), "$.now")
    fails_at("control_clock", corrupt(body, "now", value="2026-11-02T16:00:00"), "$.now")


def test_deleted(ctl):
    ctl("POST", "faults", 201, json={"path": "/a"})
    for path in ("live_events", "faults", "throttle", "requests"):
        valid("control_deleted", ctl("DELETE", path))
    ctl("POST", "faults", 201, json={"path": "/b"})
    body = ctl("DELETE", "faults/2")
    assert body == {"deleted": 1}
    valid("control_deleted", body)
    fails_at("control_deleted", {}, "$")
    fails_at("control_deleted", {"deleted": "1"}, "$.deleted")
    fails_at("control_deleted", {"deleted": -1}, "$.deleted")


# -- world -------------------------------------------------------------------------------------


def test_world(ctl):
    body = ctl("GET", "world")
    valid("control_world", body)
    fails_at("control_world", corrupt(body, "users", 0, "token", delete=True), "$.users[0]")
    fails_at(
        "control_world",
        corrupt(body, "users", 3, "enrollments", 0, "course_id", value="1"),
        "$.users[3].enrollments[0].course_id",
    )
    fails_at(
        "control_world",
        corrupt(body, "courses", 0, "assignments", 0, "grading_type", value="stars"),
        "$.courses[0].assignments[0].grading_type",
    )
    fails_at("control_world", corrupt(body, "landmarks", "admin", value="1"), "$.landmarks.admin")
    fails_at("control_world", corrupt(body, "courses", 0, "term", value=1), "$.courses[0].term")


# -- faults ------------------------------------------------------------------------------------


def test_fault_of_each_kind(ctl):
    made = [
        ctl("POST", "faults", 201, json={"path": "/api/v1/**", "status": 503, "count": 2}),
        ctl("POST", "faults", 201, json={"regex": "^/x$", "kind": "rate_limit", "method": "get"}),
        ctl("POST", "faults", 201, json={"path": "/y", "kind": "latency", "latency_ms": 5}),
    ]
    for fault in made:
        valid("control_fault", fault)
        valid("control_fault", ctl("GET", f"faults/{fault['id']}"))
    status, rate_limit, latency = made
    fails_at("control_fault", corrupt(status, "fired", delete=True), "$")
    fails_at("control_fault", corrupt(status, "status", value="503"), "$.status")
    fails_at("control_fault", corrupt(status, "regex", value="^/api"), "$.regex")
    fails_at("control_fault", corrupt(status, "remaining", value=None), "$.remaining")
    fails_at("control_fault", corrupt(rate_limit, "status", value=500), "$.status")
    fails_at("control_fault", corrupt(rate_limit, "method", value=["get"]), "$.method[0]")
    fails_at("control_fault", corrupt(latency, "latency_ms", value=0), "$.latency_ms")
    fails_at("control_fault", corrupt(latency, "kind", value="explode"), "$.kind")


def test_faults_list(ctl):
    ctl("POST", "faults", 201, json={"path": "/a"})
    body = ctl("GET", "faults")
    valid("control_faults", body)
    valid("control_faults", {"faults": []})
    fails_at(
        "control_faults",
        corrupt(body, "faults", 0, "probability", value=2),
        "$.faults[0].probability",
    )
    fails_at("control_faults", {}, "$")


# -- throttle ----------------------------------------------------------------------------------


def test_throttle(ctl):
    ctl.client.get("/api/v1/users/self")  # a token request: one bucket
    body = ctl("GET", "throttle")
    assert body["buckets"]
    valid("control_throttle", body)
    valid("control_throttle", ctl("POST", "throttle", json={"enabled": True, "extra_cost": 5}))
    fails_at("control_throttle", corrupt(body, "buckets", delete=True), "$")
    fails_at("control_throttle", corrupt(body, "enabled", value="yes"), "$.enabled")
    fails_at(
        "control_throttle",
        corrupt(body, "buckets", 0, "client", value="abc"),
        "$.buckets[0].client",
    )
    fails_at(
        "control_throttle", corrupt(body, "buckets", 0, "count", value=None), "$.buckets[0].count"
    )


# -- state -------------------------------------------------------------------------------------


def test_state_export_and_import(ctl):
    ctl.grade()
    body = ctl("GET", "state")
    valid("control_state", body)
    fails_at("control_state", corrupt(body, "submissions", delete=True), "$")
    fails_at("control_state", corrupt(body, "version", value=2), "$.version")
    fails_at(
        "control_state", corrupt(body, "users", 0, "shoe_size", value=44), "$.users[0].shoe_size"
    )
    fails_at(
        "control_state",
        corrupt(body, "submissions", 0, "score", value="ten"),
        "$.submissions[0].score",
    )
    fails_at(
        "control_state", corrupt(body, "assignments", 0, "name", delete=True), "$.assignments[0]"
    )
    fails_at(
        "control_state",
        corrupt(body, "grade_changes", 0, "created_at", value="2026-07-17T14:09:15Z"),
        "$.grade_changes[0].created_at",
    )
    fails_at(
        "control_state",
        corrupt(body, "courses", 0, "created_at", value="2026"),
        "$.courses[0].created_at",
    )

    imported = ctl("PUT", "state?baseline=true", json=body)
    valid("control_state_import", imported)
    fails_at("control_state_import", corrupt(imported, "clock", delete=True), "$")
    fails_at("control_state_import", corrupt(imported, "users", value=True), "$.users")


def test_state_rows_have_exactly_the_model_fields():
    """A model field added without its schema would make every export fail; this says where."""
    document = schemas.load("control_state")
    for table in state.TABLES:
        row = document["$defs"][table.name]
        names = [f.name for f in fields(table.model)]
        assert list(row["properties"]) == names, table.name
        assert row["required"] == names, table.name
        assert row["additionalProperties"] is False
        hints = typing.get_type_hints(table.model)
        for name in names:
            nullable = type(None) in typing.get_args(hints[name])
            accepts_null = schemas.is_valid(
                f"control_state#/$defs/{table.name}/properties/{name}", None
            )
            assert accepts_null == nullable, f"{table.name}.{name}"


# -- the request journal -----------------------------------------------------------------------


def test_requests(ctl):
    ctl.grade()
    ctl.client.get("/api/v1/nowhere", as_=None)
    body = ctl("GET", "requests")
    assert len(body["requests"]) == 2
    valid("control_requests", body)
    fails_at("control_requests", corrupt(body, "capacity", delete=True), "$")
    fails_at(
        "control_requests",
        corrupt(body, "requests", 0, "status", value="200"),
        "$.requests[0].status",
    )
    fails_at(
        "control_requests",
        corrupt(body, "requests", 1, "method", value="get"),
        "$.requests[1].method",
    )
    fails_at(
        "control_requests", corrupt(body, "requests", 0, "request_id", delete=True), "$.requests[0]"
    )


# -- live events -------------------------------------------------------------------------------


def test_live_events(ctl):
    ctl.grade()
    body = ctl("GET", "live_events")
    assert [e["event_name"] for e in body["live_events"]] == ["grade_change", "course_grade_change"]
    valid("control_live_events", body)
    fails_at(
        "control_live_events",
        corrupt(body, "live_events", 0, "event", delete=True),
        "$.live_events[0]",
    )
    fails_at(
        "control_live_events",
        corrupt(body, "live_events", 0, "id", value="event-1"),
        "$.live_events[0].id",
    )
    # The item's name and its payload's must agree.
    renamed = corrupt(body, "live_events", 0, "event_name", value="course_grade_change")
    assert not schemas.is_valid("control_live_events", renamed)
    fails_at(
        "control_live_events",
        corrupt(body, "live_events", 1, "event", "body", "user_id", value=4),
        "$.live_events[1].event.body.user_id",
    )


# -- subscriptions -----------------------------------------------------------------------------


def test_subscription_of_each_kind(ctl, tmp_path):
    made = [
        ctl(
            "POST", "subscriptions", 201, json={"kind": "jsonl", "path": str(tmp_path / "e.jsonl")}
        ),
        ctl(
            "POST",
            "subscriptions",
            201,
            json={"kind": "webhook", "url": "http://127.0.0.1:9/hook", "signed": True, **QUICK},
        ),
    ]
    pytest.importorskip("boto3")
    made.append(
        ctl("POST", "subscriptions", 201, json={"kind": "sqs", "queue_url": "http://127.0.0.1:9/q"})
    )
    for subscription in made:
        valid("control_subscription", subscription)
    jsonl, webhook, sqs = made
    fails_at("control_subscription", corrupt(jsonl, "url", value="http://x/"), "$.url")
    fails_at("control_subscription", corrupt(jsonl, "signed", value=True), "$.kind")
    fails_at("control_subscription", corrupt(webhook, "url", delete=True), "$")
    fails_at("control_subscription", corrupt(sqs, "region", delete=True), "$")
    fails_at("control_subscription", corrupt(jsonl, "counts", "dead", delete=True), "$.counts")
    fails_at("control_subscription", corrupt(jsonl, "state", value="paused"), "$.state")
    fails_at(
        "control_subscription",
        corrupt(jsonl, "deactivated_at", value="2026-11-02T16:00:00.000Z"),
        "$.deactivated_at",
    )
    fails_at("control_subscription", corrupt(jsonl, "colour", value="red"), "$")

    listed = ctl("GET", "subscriptions")
    valid("control_subscriptions", listed)
    shown = ctl("GET", f"subscriptions/{jsonl['id']}")
    # A list holds subscriptions without their logs.
    assert not schemas.is_valid("control_subscriptions", {"subscriptions": [shown]})
    fails_at(
        "control_subscriptions",
        corrupt(listed, "subscriptions", 0, "id", value="1"),
        "$.subscriptions[0].id",
    )

    closed = ctl("DELETE", f"subscriptions/{jsonl['id']}")
    assert closed["state"] == "closed"
    valid("control_subscription", closed)


def test_subscription_detail_wait_reactivate_and_redeliver(ctl):
    spec = {"kind": "webhook", "url": f"http://127.0.0.1:{free_port()}/", "failure_budget": 1}
    created = ctl("POST", "subscriptions", 201, json={**spec, **QUICK})
    base = f"subscriptions/{created['id']}"
    ctl.grade()  # nothing listens: the first event is dead, the budget is spent, the second too
    waited = ctl("POST", f"{base}/wait?timeout=10")
    assert waited["idle"] is True
    valid("control_wait", waited)
    fails_at("control_wait", corrupt(waited, "counts", "submitted", delete=True), "$.counts")
    fails_at("control_wait", corrupt(waited, "idle", value=1), "$.idle")

    shown = ctl("GET", f"{base}?limit=1")
    assert shown["state"] == "deactivated" and shown["next_after"] == 1
    valid("control_subscription_detail", shown)
    [entry] = shown["log"]
    assert entry["outcome"] == "dead" and "event" in entry
    fails_at(
        "control_subscription_detail", corrupt(shown, "log", 0, "event", delete=True), "$.log[0]"
    )
    fails_at("control_subscription_detail", corrupt(shown, "next_after", value="1"), "$.next_after")
    fails_at("control_subscription_detail", corrupt(shown, "log", delete=True), "$")
    fails_at(
        "control_subscription_detail",
        corrupt(shown, "log", 0, "outcome", value="delivered"),
        "$.log[0].event",
    )
    fails_at(
        "control_subscription_detail",
        corrupt(shown, "log", 0, "time", value="2026-11-02T16:00:00Z"),
        "$.log[0].time",
    )
    fails_at(
        "control_subscription_detail",
        corrupt(shown, "deactivated_at", value=None),
        "$.deactivated_at",
    )

    reactivated = ctl("POST", f"{base}/reactivate")
    valid("control_subscription", reactivated)
    redelivered = ctl("POST", f"{base}/redeliver")
    assert redelivered["requeued"] == 2
    valid("control_subscription_redeliver", redelivered)
    fails_at("control_subscription_redeliver", corrupt(redelivered, "requeued", delete=True), "$")
    fails_at(
        "control_subscription_redeliver", corrupt(redelivered, "requeued", value=-1), "$.requeued"
    )


# -- jwks --------------------------------------------------------------------------------------


def test_jwks_and_rotation(ctl):
    body = ctl("GET", "jwks")
    assert len(body["keys"]) == 2
    valid("control_jwks", body)
    rotated = ctl("POST", "jwks/rotate")
    valid("control_jwks_rotate", rotated)
    valid("control_jwks", ctl("GET", "jwks"))
    fails_at("control_jwks", corrupt(body, "keys", 0, "kty", value="oct"), "$.keys[0].kty")
    fails_at("control_jwks", corrupt(body, "keys", 0, "n", delete=True), "$.keys[0]")
    fails_at("control_jwks", {"keys": []}, "$.keys")
    fails_at(
        "control_jwks_rotate", corrupt(rotated, "kids", "current", value=None), "$.kids.current"
    )
    fails_at("control_jwks_rotate", corrupt(rotated, "keys", delete=True), "$")


@pytest.mark.parametrize("member", PRIVATE_JWK_MEMBERS)
def test_jwks_never_carry_a_private_key_member(ctl, member):
    body = ctl("GET", "jwks")
    fails_at("control_jwks", corrupt(body, "keys", 1, member, value="AQAB"), f"$.keys[1].{member}")
    rotated = ctl("POST", "jwks/rotate")
    fails_at(
        "control_jwks_rotate",
        corrupt(rotated, "keys", 0, member, value="AQAB"),
        f"$.keys[0].{member}",
    )


# -- errors and the path map -------------------------------------------------------------------


def test_control_errors_are_canvas_error_bodies(ctl):
    for method, path, status in [
        ("POST", "clock", 400),
        ("GET", "faults/x", 404),
        ("GET", "no/such/route", 404),
        ("POST", "subscriptions/99/wait", 404),
    ]:
        body = ctl(method, path, status, json={})
        valid("error", body)
    guarded = Control(control_token="s3cret")
    valid("error#/$defs/status", guarded("GET", "health", 401))
    valid("error#/$defs/errors", guarded("GET", "health", 401, headers={"X-Mockcanvas-Token": "x"}))


def test_control_paths_map_to_their_schemas_whatever_the_method():
    assert schema_for("/_mockcanvas/health", 200) == "control_health"
    assert schema_for("/_mockcanvas/faults", 201) == "control_faults|control_fault|control_deleted"
    assert schema_for("/_mockcanvas/subscriptions/3/wait", 200) == "control_wait"
    assert schema_for("/_mockcanvas/clock", 400) == "error"
    # Any one of a path's shapes passes; a body that meets none fails with the closest.
    check("/_mockcanvas/faults", 200, {"deleted": 2})
    with pytest.raises(schemas.PayloadInvalid) as failure:
        check("/_mockcanvas/faults", 200, {"deleted": "2"})
    assert failure.value.schema == "control_deleted"
    with pytest.raises(AssertionError, match="no schema known"):
        check("/_mockcanvas/unmapped", 200, {})
