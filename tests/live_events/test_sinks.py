"""Live Events delivery against real receivers: a local HTTP server, files, the control API, CLI.

The faults (receivers down, slow, failing or cutting connections, SQS outages, unwritable files,
overflow, signals to ``serve``) are a table of their own in
``tests/robustness/test_sink_faults.py``. Every scenario checks that no event is lost: each
emitted event ends delivered or dead-lettered
(or, where the scenario makes them, skipped, overflowed or undelivered at shutdown), and the
counts add up to what the inbox holds. Every JSON answer of the mock, control routes included, is
checked against its schema (``tests.support.CheckedClient``).
"""

from __future__ import annotations

import json
import signal
import threading
from itertools import count

import jwt
import pytest
import requests

from mockcanvas import create_app, schemas
from mockcanvas.events import LiveEvent
from mockcanvas.sinks import DeliveryPolicy, Outbox, shutdown, subscribe
from tests.support import CheckedClient, serve_process
from tests.support.receiver import WAIT, Received, Receiver

FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 2}
_grades = count(3)


# -- a real webhook receiver: tests/support/receiver.py ------------------------------------


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(*script, port: int = 0) -> Receiver:
        receiver = Receiver(*script, port=port)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()


@pytest.fixture
def inst(app):
    instance = app.extensions["mockcanvas"]
    yield instance
    shutdown(instance.bus, timeout=2)


@pytest.fixture
def client(app, store) -> CheckedClient:
    return CheckedClient(app, store)


def grade(client, store) -> None:
    """Grade the landmark student's points assignment as the teacher: two events each time."""
    marks = store.landmarks
    response = client.put(
        f"/api/v1/courses/{marks['override_course']}/assignments/{marks['points_assignment']}"
        f"/submissions/{marks['student']}",
        data={"submission[posted_grade]": str(next(_grades) % 20)},
        headers={"Authorization": f"Bearer {store.token_for(marks['teacher'])}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def payloads(inst) -> list[dict]:
    return [event.payload for event in inst.bus.inbox.select()]


def assert_accounted(subscription, inst, **expected) -> None:
    """Every emitted event has exactly one fate; ``expected`` pins some of the counts."""
    counts = subscription.counts()
    emitted = len(inst.bus.inbox)
    assert counts["submitted"] == emitted
    assert counts["queued"] == counts["sending"] == 0
    fates = ("delivered", "dead", "skipped", "dropped_overflow", "undelivered_at_shutdown")
    assert sum(counts[fate] for fate in fates) == emitted
    for fate, number in expected.items():
        assert counts[fate] == number, counts


def create(client, **spec) -> dict:
    response = client.post("/_mockcanvas/subscriptions", json=spec)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- webhooks ---------------------------------------------------------------------------------


def test_webhook_posts_each_event_as_the_inbox_holds_it(inst, client, store, receivers):
    receiver = receivers()
    created = create(client, kind="webhook", url=receiver.url, **FAST)
    assert created["state"] == "active" and created["format"] == "canvas"
    grade(client, store)
    assert client.post(f"/_mockcanvas/subscriptions/{created['id']}/wait", json={}).get_json()[
        "idle"
    ]

    events = inst.bus.inbox.select()
    assert [e.name for e in events] == ["grade_change", "course_grade_change"]
    got = receiver.delivered()
    assert [json.loads(r.body) for r in got] == [e.payload for e in events]
    assert [r.headers["X-Mockcanvas-Event-Id"] for r in got] == [e.id for e in events]
    assert {r.headers["Content-Type"] for r in got} == {"application/json"}
    assert {r.path for r in got} == {"/hooks/canvas"}
    subscription = _subscription(inst, created["id"])
    assert_accounted(subscription, inst, delivered=2, dead=0)
    [first, second] = subscription.log()
    assert (first["seq"], first["outcome"], first["status"], first["attempt"]) == (
        events[0].seq,
        "delivered",
        200,
        1,
    )
    assert second["event_id"] == events[1].id
    assert first["time"] == "2026-11-02T16:00:00.000Z"  # the instance's (frozen) clock
    assert first["wall_time"].endswith("Z") and first["latency_ms"] >= 0


def _subscription(inst, subscription_id: int):
    from mockcanvas.sinks import registry_for

    return registry_for(inst.bus).get(subscription_id)


def test_signed_webhook_verifies_with_the_jwks_and_survives_rotation(
    inst, client, store, receivers
):
    receiver = receivers()
    created = create(client, kind="webhook", url=receiver.url, signed=True, **FAST)
    subscription = _subscription(inst, created["id"])
    grade(client, store)
    assert subscription.wait_idle(WAIT)

    def verify(received: Received, jwks: dict) -> tuple[str, dict]:
        assert received.headers["Content-Type"] == "application/jwt"
        token = received.body.decode("ascii")
        kid = jwt.get_unverified_header(token)["kid"]
        key = jwt.PyJWKSet.from_dict(jwks)[kid]
        return kid, jwt.decode(token, key.key, algorithms=["RS256"])

    jwks = client.get("/_mockcanvas/jwks").get_json()
    assert all("d" not in key and "p" not in key for key in jwks["keys"])  # public halves only
    first_kids = set()
    for received, event in zip(receiver.delivered(), inst.bus.inbox.select(), strict=True):
        kid, claims = verify(received, jwks)
        first_kids.add(kid)
        assert {"metadata": claims["metadata"], "body": claims["body"]} == event.payload
        assert claims["jti"] == event.id == received.headers["X-Mockcanvas-Event-Id"]
        assert set(claims) == {"metadata", "body", "jti", "iat"}
    [old_kid] = first_kids

    rotated = client.post("/_mockcanvas/jwks/rotate", json={}).get_json()
    assert rotated["kids"]["previous"] == old_kid and rotated["kids"]["current"] != old_kid
    jwks = client.get("/_mockcanvas/jwks").get_json()
    listed = [key["kid"] for key in jwks["keys"]]
    assert listed == [old_kid, rotated["kids"]["current"], rotated["kids"]["next"]]

    grade(client, store)
    assert subscription.wait_idle(WAIT)
    later = receiver.delivered()[2:]
    assert len(later) == 2
    for received, event in zip(later, inst.bus.inbox.select()[2:], strict=True):
        kid, claims = verify(received, jwks)
        assert kid == rotated["kids"]["current"]
        assert claims["body"] == event.payload["body"]
    assert_accounted(subscription, inst, delivered=4, dead=0)


# -- files ------------------------------------------------------------------------------------


def test_jsonl_lines_equal_the_inbox_payloads(inst, client, store, tmp_path):
    path = tmp_path / "events.jsonl"
    created = create(client, kind="jsonl", path=str(path))
    assert created["path"] == str(path)
    grade(client, store)
    grade(client, store)
    assert _subscription(inst, created["id"]).wait_idle(WAIT)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == payloads(inst)
    assert all(": " not in line[:40] for line in lines)  # compact
    assert_accounted(_subscription(inst, created["id"]), inst, delivered=4, dead=0)


def test_caliper_format_carries_grade_change_only(inst, client, store, tmp_path):
    caliper = pytest.importorskip("mockcanvas.presenters.caliper")
    path = tmp_path / "caliper.jsonl"
    subscription = subscribe(
        inst, {"kind": "jsonl", "path": str(path), "format": "caliper"}, host="canvas.test"
    )
    grade(client, store)
    assert subscription.wait_idle(WAIT)
    expected = [
        caliper.caliper_envelope(event, store, "canvas.test") for event in inst.bus.inbox.select()
    ]
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [envelope for envelope in expected if envelope is not None]
    assert_accounted(subscription, inst, delivered=1, skipped=1)


# -- the outbox's own policies ------------------------------------------------------------------


class Gate(Outbox):
    """An outbox whose deliveries wait at a gate, to fill its queue on purpose."""

    def __init__(self, **kw) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.sent: list[int] = []
        super().__init__(**kw)

    def send(self, message, event, attempt):
        self.entered.set()
        assert self.opened.wait(WAIT)
        self.sent.append(event.seq)
        return None


def _event(seq: int) -> LiveEvent:
    return LiveEvent(seq=seq, id=f"event-{seq}", name="grade_change", payload={"seq": seq})


def test_close_records_what_is_still_pending_as_undelivered():
    gate = Gate(policy=DeliveryPolicy(backoff_base=0.01))
    try:
        for seq in (1, 2, 3):
            gate.submit(_event(seq))
        assert gate.entered.wait(WAIT)
        gate.close(timeout=0.05)  # event 1 is stuck at the gate, 2 and 3 are queued
        assert gate.state == "closed"
        assert gate.counts()["undelivered_at_shutdown"] == 3
        assert [u["seq"] for u in gate.unfinished()] == [1, 2, 3]
        assert [u["event"] for u in gate.unfinished()] == [{"seq": 1}, {"seq": 2}, {"seq": 3}]
        gate.submit(_event(4))  # after close: recorded, not lost
        assert gate.unfinished()[-1]["seq"] == 4
        assert gate.wait_idle(0) is True
    finally:
        gate.opened.set()


# -- the control endpoints ----------------------------------------------------------------------


def test_subscription_endpoints_create_list_show_page_and_delete(inst, client, store, tmp_path):
    path = tmp_path / "events.jsonl"
    created = create(client, kind="jsonl", path=str(path), name="audit copy")
    listed = client.get("/_mockcanvas/subscriptions").get_json()["subscriptions"]
    assert [(s["id"], s["name"], s["state"]) for s in listed] == [
        (created["id"], "audit copy", "active")
    ]
    grade(client, store)
    grade(client, store)
    base = f"/_mockcanvas/subscriptions/{created['id']}"
    assert client.post(f"{base}/wait?timeout=10", json={}).get_json()["idle"]

    page = client.get(f"{base}?limit=3").get_json()
    assert [e["n"] for e in page["log"]] == [1, 2, 3] and page["next_after"] == 3
    assert page["counts"]["delivered"] == 4 and page["log_size"] == 4
    rest = client.get(f"{base}?after=3&limit=3").get_json()
    assert [e["n"] for e in rest["log"]] == [4] and rest["next_after"] is None
    assert [e["seq"] for e in page["log"] + rest["log"]] == [e.seq for e in inst.bus.inbox.select()]

    deleted = client.delete(base, json={})
    assert deleted.status_code == 200 and deleted.get_json()["state"] == "closed"
    assert client.get(base).status_code == 404
    assert client.get("/_mockcanvas/subscriptions").get_json() == {"subscriptions": []}
    lines = path.read_text(encoding="utf-8").count("\n")
    grade(client, store)
    assert path.read_text(encoding="utf-8").count("\n") == lines  # no longer subscribed


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'{"kind": "ftp", "url": "http://127.0.0.1:9/"}',
        b'{"kind": "webhook"}',
        b'{"kind": "webhook", "url": "ftp://127.0.0.1/"}',
        b'{"kind": "webhook", "url": "http://user:pw@127.0.0.1/"}',
        b'{"kind": "webhook", "url": 5}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "signed": "yes"}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "format": "xml"}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "colour": "red"}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "path": "x.jsonl"}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "max_attempts": 0}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "max_attempts": true}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "timeout": "5"}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "backoff_base": 2, "backoff_max": 1}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "name": ""}',
        b'{"kind": "jsonl", "path": "/nonexistent-directory/x.jsonl"}',
        b'{"kind": "jsonl", "path": "events.jsonl", "signed": true}',
        b'{"kind": "sqs", "queue_url": "not a url"}',
        b'{"kind": {}, "url": "http://127.0.0.1:9/"}',  # was a 500: {} is unhashable
        b'{"kind": "sqs", "queue_url": "http://127.0.0.1:9/q", "region": "0"}',  # was a 500
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/a b"}',  # http.client cannot send it
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/\xc3\xa9"}',
        b'{"kind": "webhook", "url": " http://127.0.0.1:9/"}',
        b'{"kind": "webhook", "url": "http://127.0.0.1:9/", "max_attempts": 1.5}',
    ],
)
def test_bad_subscriptions_are_400_and_make_nothing(inst, client, body):
    response = client.post("/_mockcanvas/subscriptions", data=body, content_type="application/json")
    assert response.status_code == 400
    answer = response.get_json()
    schemas.validate("error", answer)
    assert set(answer) == {"message"} and answer["message"]
    assert client.get("/_mockcanvas/subscriptions").get_json() == {"subscriptions": []}
    assert inst.bus.sinks() == {}


def test_whole_number_policies_may_be_written_as_floats(client, tmp_path):
    made = create(client, kind="jsonl", path=str(tmp_path / "x.jsonl"), queue_size=10.0)
    assert made["policy"]["queue_size"] == 10
    assert isinstance(made["policy"]["queue_size"], int)


def test_unknown_subscriptions_are_404_and_bad_paging_is_400(client, tmp_path):
    for method, path in [
        ("GET", "/_mockcanvas/subscriptions/99"),
        ("GET", "/_mockcanvas/subscriptions/abc"),
        ("GET", "/_mockcanvas/subscriptions/%C2%B9"),  # "¹": was a 500
        ("POST", "/_mockcanvas/subscriptions/%C2%B9/wait"),
        ("DELETE", "/_mockcanvas/subscriptions/99"),
        ("POST", "/_mockcanvas/subscriptions/99/reactivate"),
        ("POST", "/_mockcanvas/subscriptions/99/redeliver"),
        ("POST", "/_mockcanvas/subscriptions/99/wait"),
    ]:
        response = client.request(method, path, json={})
        assert response.status_code == 404
        assert response.get_json() == {
            "errors": [{"message": "The specified resource does not exist."}]
        }
    created = create(client, kind="jsonl", path=str(tmp_path / "x.jsonl"))
    base = f"/_mockcanvas/subscriptions/{created['id']}"
    assert client.get(f"{base}?limit=abc").status_code == 400
    assert client.post(f"{base}/wait?timeout=soon", json={}).status_code == 400
    # float() and str.isdigit() took these; the OpenAPI document cannot describe them.
    for timeout in ("inf", "nan", "1_0", "%201", "-1"):
        assert client.post(f"{base}/wait?timeout={timeout}", json={}).status_code == 400, timeout
    for limit in ("%C2%B2", "%201", "1.0"):
        assert client.get(f"{base}?limit={limit}").status_code == 400, limit
    assert client.post(f"{base}/wait?timeout=0.0", json={}).get_json()["idle"] is True
    assert client.get(f"{base}?limit=&after=").status_code == 200


# -- the command line ---------------------------------------------------------------------------


def test_serve_delivers_to_a_jsonl_file_and_flushes_on_sigterm(tmp_path):
    path = tmp_path / "events.jsonl"
    world = create_app(seed=1).extensions["mockcanvas"].store  # the CLI seeds the same world
    marks = world.landmarks
    with (
        (tmp_path / "stderr.txt").open("w") as log,
        serve_process("--port", "0", "--jsonl", str(path), stderr=log) as process,
    ):
        url = process.stdout.readline().strip().split(" serving ")[1]
        banner = [process.stdout.readline().strip() for _ in range(3)]
        assert banner[2] == f"live events -> subscription 1: jsonl {path} (canvas)"
        response = requests.put(
            f"{url}/api/v1/courses/{marks['override_course']}/assignments/"
            f"{marks['points_assignment']}/submissions/{marks['student']}",
            data={"submission[posted_grade]": "11"},
            headers={"Authorization": f"Bearer {world.token_for(marks['teacher'])}"},
            timeout=10,
        )
        assert response.status_code == 200
        emitted = requests.get(f"{url}/_mockcanvas/live_events", timeout=10).json()
        schemas.validate("control_live_events", emitted)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT) == 0
        report = process.stdout.read()
    expected = [e["event"] for e in emitted["live_events"]]
    assert [e["event_name"] for e in emitted["live_events"]] == [
        "grade_change",
        "course_grade_change",
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert "2 of 2 events delivered" in report and "undelivered" not in report
