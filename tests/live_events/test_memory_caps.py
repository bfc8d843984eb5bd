"""Memory caps (issue 14, case 8): the inbox, each delivery log, the held payloads and the queue.

Each cap is reached with a small value given through ``create_app``; what goes past it is
counted exactly, reads stay consistent, and a reset clears and counts.
"""

from __future__ import annotations

import bisect
import json
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.events import DEFAULT_INBOX_CAPACITY, Inbox, LiveEvent
from mockcanvas.instance import EXTENSION_KEY
from mockcanvas.sinks.outbox import DeliveryPolicy
from mockcanvas.testing import Events
from tests.support import serve_process
from tests.support.receiver import WAIT, Receiver

# (cap, create_app option, default, the memory it implies at the default: measured, see README)
MEMORY_CAPS = [
    ("inbox", "inbox_capacity", DEFAULT_INBOX_CAPACITY, "1.9 KB per event: ~190 MB (215 MB peak)"),
    ("delivery log", "delivery_log_capacity", DeliveryPolicy.log_capacity,
     "0.8 KB per entry: ~40 MB per subscription"),
    ("held payloads", "held_capacity", DeliveryPolicy.held_capacity,
     "2 KB per event: ~20 MB per subscription"),
    ("queue", "queue_bytes", DeliveryPolicy.queue_bytes,
     "64 MiB of JSON (~55k events of 1.2 KB): 75-180 MB per subscription"),
]  # fmt: skip

GRADE = {"course_id": 1, "assignment_id": 3, "user_id": 4}


def _grade(client, points: int) -> None:
    answer = client.post("/_mockcanvas/grades", json={**GRADE, "posted_grade": str(points)})
    assert answer.status_code == 200, answer.get_json()


def _inbox(client, query: str = "") -> dict:
    answer = client.get(f"/_mockcanvas/live_events{query}")
    assert answer.status_code == 200
    return answer.get_json()


def test_every_cap_is_an_option_with_its_default():
    assert [name for name, *_ in MEMORY_CAPS] == ["inbox", "delivery log", "held payloads", "queue"]
    app = create_app(**{option: default for _, option, default, _ in MEMORY_CAPS})
    assert app.extensions[EXTENSION_KEY].bus.inbox.capacity == DEFAULT_INBOX_CAPACITY


@pytest.mark.parametrize(
    "option, value",
    [("inbox_capacity", 0), ("delivery_log_capacity", 0), ("held_capacity", -1),
     ("queue_bytes", 10), ("delivery_concurrency", 0)],
)  # fmt: skip
def test_a_cap_out_of_range_is_refused(option, value):
    with pytest.raises(ValueError):
        create_app(**{option: value})


def test_serve_refuses_a_bad_cap_before_starting():
    done = subprocess.run(
        [sys.executable, "-m", "mockcanvas", "serve", "--port", "0", "--inbox-capacity", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--inbox-capacity: must be a whole number >= 1, not '0'" in done.stderr


def test_the_inbox_keeps_the_newest_and_counts_the_evicted():
    app = create_app(inbox_capacity=5)
    client = app.test_client()
    for points in range(1, 9):
        _grade(client, points)
    events = app.extensions[EXTENSION_KEY].bus.inbox
    total = events.total
    assert total >= 8  # a grade_change each, a course_grade_change when the score moved
    shown = _inbox(client)
    assert [e["seq"] for e in shown["live_events"]] == list(range(total - 4, total + 1))
    assert (shown["total"], shown["evicted"], shown["cleared"], shown["capacity"]) == (
        total, total - 5, 0, 5,
    )  # fmt: skip
    # Filters and cursors see only what is kept.
    grades = _inbox(client, "?event_name=grade_change")["live_events"]
    assert all(e["seq"] > total - 5 for e in grades) and grades
    assert _inbox(client, "?after=0&limit=2")["live_events"] == shown["live_events"][:2]
    assert _inbox(client, f"?after={total - 1}")["live_events"] == shown["live_events"][-1:]
    assert client.get("/_mockcanvas/health").get_json()["live_events"] == 5


def test_a_reset_empties_the_inbox_and_counts_what_it_cleared():
    app = create_app(inbox_capacity=3)
    client = app.test_client()
    for points in range(1, 4):
        _grade(client, points)
    assert client.post("/_mockcanvas/reset", json={}).status_code == 200
    shown = _inbox(client)
    assert (shown["live_events"], shown["total"], shown["evicted"], shown["cleared"]) == (
        [], 0, 0, 3,
    )  # fmt: skip
    _grade(client, 7)
    assert _inbox(client)["live_events"][0]["seq"] == 1  # numbering starts over


def test_the_test_kit_marks_and_waits_past_evictions():
    app = create_app(inbox_capacity=2)
    client = app.test_client()
    events = Events(app.extensions[EXTENSION_KEY])
    _grade(client, 1)
    mark = events.mark()
    for points in range(2, 6):
        _grade(client, points)
    assert len(events) == 2 and events.mark() > mark
    found = events.wait_for("grade_change", after=mark, timeout=0.5)
    assert found.seq > mark and found.body["score"] == 5.0
    with pytest.raises(AssertionError) as missed:
        events.wait_for("grade_change", after=mark, timeout=0.05, score=2.0)
    assert "evicted" in str(missed.value)


def _event(seq: int) -> LiveEvent:
    return LiveEvent(
        seq=seq, id=f"e{seq}", name=("grade_change", "course_grade_change")[seq % 2],
        payload={"seq": seq}, course_id=seq % 3 + 1, user_id=seq % 7 + 1,
    )  # fmt: skip


# (capacity, events added): within the first compaction, right at it, and several past it.
INBOX_SIZES = [(5, 40), (1, 1024), (1, 1025), (100, 3000), (2000, 9000)]


@pytest.mark.parametrize("capacity, added", INBOX_SIZES)
def test_every_inbox_query_answers_from_the_kept_events_only(capacity, added):
    inbox = Inbox(capacity=capacity, combine_over=0)  # combination lists built at once
    for seq in range(1, added + 1):
        inbox.add(_event(seq))
        if seq == added // 2:  # lists built mid-way must be kept in step through compactions
            inbox.select(names=["grade_change"], user_id=3, course_id=2)
    kept = [_event(seq) for seq in range(max(1, added - capacity + 1), added + 1)]
    assert (len(inbox), inbox.evicted, inbox.total) == (len(kept), added - len(kept), added)
    assert inbox.floor == added - len(kept)
    assert inbox.select() == kept and inbox.tail(capacity + 5) == kept
    assert inbox.since(0, 10) == kept[:10] and inbox.last_seq() == added
    for names, user, course in [(["grade_change"], 3, 2), ([], 3, None), (["x"], None, 1),
                                (["grade_change", "course_grade_change"], None, 2)]:  # fmt: skip
        for after in (None, 0, added - 3):
            want = [
                e for e in kept
                if (not names or e.name in names) and user in (None, e.user_id)
                and course in (None, e.course_id) and (after is None or e.seq > after)
            ]  # fmt: skip
            got = inbox.select(names=names, user_id=user, course_id=course, after=after)
            assert got == want, (names, user, course, after)
    start = bisect.bisect_right([e.seq for e in kept], added - 2)
    assert inbox.select(after=added - 2, limit=1) == kept[start : start + 1]


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on leaving: connections are refused


def _subscribe(client, **spec) -> dict:
    answer = client.post("/_mockcanvas/subscriptions", json=spec)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _settled(client, number: int) -> dict:
    waited = client.post(f"/_mockcanvas/subscriptions/{number}/wait?timeout={WAIT}", json={})
    assert waited.get_json()["idle"] is True
    return client.get(f"/_mockcanvas/subscriptions/{number}?limit=1000").get_json()


def test_a_delivery_log_keeps_its_newest_entries_and_counts_the_rest(tmp_path):
    app = create_app(delivery_log_capacity=3)
    client = app.test_client()
    sub = _subscribe(client, kind="jsonl", path=str(tmp_path / "events.jsonl"))
    assert sub["policy"]["log_capacity"] == 3
    for points in range(1, 5):
        _grade(client, points)
    shown = _settled(client, sub["id"])
    made = shown["counts"]["submitted"]
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert shown["counts"]["delivered"] == len(lines) == made  # the cap drops no event
    assert [e["n"] for e in shown["log"]] == [made - 2, made - 1, made]
    assert shown["memory"]["log"] == {"size": 3, "capacity": 3, "evicted": made - 3, "cleared": 0}
    assert shown["log_size"] == 3
    after = client.get(f"/_mockcanvas/subscriptions/{sub['id']}?after={made - 1}").get_json()
    assert [e["n"] for e in after["log"]] == [made]
    # A subscription's own spec overrides the app's default.
    own = _subscribe(client, kind="jsonl", path=str(tmp_path / "b.jsonl"), log_capacity=7)
    assert own["policy"]["log_capacity"] == 7


def _dead_letters(app, held: int, events: int) -> tuple:
    client = app.test_client()
    sub = _subscribe(
        client, kind="webhook", url=f"http://127.0.0.1:{_dead_port()}/hook", max_attempts=1,
        failure_budget=1000, held_capacity=held, concurrency=1,
    )  # fmt: skip
    for points in range(1, events + 1):
        _grade(client, points)
    return client, sub["id"], _settled(client, sub["id"])


def test_held_payloads_keep_the_newest_and_the_rest_are_counted():
    client, number, shown = _dead_letters(create_app(), held=2, events=3)
    dead = shown["counts"]["dead"]
    assert dead == shown["counts"]["submitted"] >= 3
    assert shown["memory"]["held"] == {"size": 2, "capacity": 2, "evicted": dead - 2, "cleared": 0}
    with_payload = [e["seq"] for e in shown["log"] if "event" in e]
    assert with_payload == [e["seq"] for e in shown["log"]][-2:]  # the evicted lost theirs
    redone = client.post(f"/_mockcanvas/subscriptions/{number}/redeliver", json={}).get_json()
    assert redone["requeued"] == 2


def test_a_reset_clears_logs_and_held_payloads_keeps_subscriptions_and_counts():
    client, number, shown = _dead_letters(create_app(), held=100, events=2)
    entries, held = shown["memory"]["log"]["size"], shown["memory"]["held"]["size"]
    assert entries == held == shown["counts"]["dead"] >= 2
    assert client.post("/_mockcanvas/reset", json={}).status_code == 200
    after = client.get(f"/_mockcanvas/subscriptions/{number}").get_json()
    assert after["log"] == [] and after["counts"] == shown["counts"]  # totals stay
    assert after["memory"]["log"] == {"size": 0, "capacity": 50_000, "evicted": 0,
                                      "cleared": entries}  # fmt: skip
    assert after["memory"]["held"] == {"size": 0, "capacity": 100, "evicted": 0, "cleared": held}
    _grade(client, 9)
    later = _settled(client, number)
    assert later["log"][0]["n"] == entries + 1  # numbering goes on: after= cursors hold


def test_the_queue_is_bounded_by_payload_bytes():
    release = threading.Event()
    receiver = Receiver(("hold", release, WAIT))
    try:
        app = create_app()
        client = app.test_client()
        sub = _subscribe(client, kind="webhook", url=receiver.url, queue_bytes=1024)
        _grade(client, 1)
        # Causal, not timed: the first event must be in the receiver's hands (held) before more
        # arrive, or it could still be queued when they do and the split would be a race.
        deadline = time.monotonic() + WAIT
        path = f"/_mockcanvas/subscriptions/{sub['id']}"
        while client.get(path).get_json()["counts"]["sending"] != 1:
            assert time.monotonic() < deadline, "the first delivery never started"
            time.sleep(0.01)
        for points in range(2, 4):
            _grade(client, points)
        shown = client.get(f"/_mockcanvas/subscriptions/{sub['id']}").get_json()
        counts = shown["counts"]
        # One in flight (held), one queued (alone it may pass the bound), the rest overflowed.
        assert (counts["sending"], counts["queued"]) == (1, 1)
        assert counts["dropped_overflow"] == counts["submitted"] - 2 >= 1
        queue = shown["memory"]["queue"]
        assert queue["size"] == 1 and queue["bytes"] > 1024 and queue["capacity_bytes"] == 1024
        payload = json.loads(json.dumps(shown["log"][0]["event"]))
        assert payload["metadata"]["event_name"] in ("grade_change", "course_grade_change")
    finally:
        release.set()
        receiver.stop()


def test_serve_passes_its_caps_to_the_app(tmp_path):
    flags = [
        "--port", "0", "--inbox-capacity", "2", "--delivery-log-capacity", "4",
        "--held-capacity", "3", "--queue-bytes", "2048", "--delivery-concurrency", "1",
        "--jsonl", str(tmp_path / "events.jsonl"),
    ]  # fmt: skip
    with serve_process(*flags) as process:
        base = process.stdout.readline().split(" serving ")[1].strip()
        for points in range(1, 4):
            answer = requests.post(
                f"{base}/_mockcanvas/grades",
                json={**GRADE, "posted_grade": str(points)},
                timeout=WAIT,
            )
            assert answer.status_code == 200
        shown = requests.get(f"{base}/_mockcanvas/live_events", timeout=WAIT).json()
        assert (len(shown["live_events"]), shown["capacity"]) == (2, 2)
        assert shown["evicted"] == shown["total"] - 2 >= 1
        policy = requests.get(f"{base}/_mockcanvas/subscriptions/1", timeout=WAIT).json()["policy"]
        assert {k: policy[k] for k in ("log_capacity", "held_capacity", "queue_bytes")} == {
            "log_capacity": 4, "held_capacity": 3, "queue_bytes": 2048,
        }  # fmt: skip
        assert policy["concurrency"] == 1
        process.send_signal(signal.SIGTERM)  # serve's own handler: stops like Ctrl-C
        assert process.wait(timeout=30) == 0
