"""Delivery keeps up (issue 14, case 9): a healthy receiver gets every event, none overflowed.

A small version of ``benchmarks/delivery_load.py``: a real waitress server, a real keep-alive
receiver, writer threads over the three grading routes and reader threads; then every event in
the inbox reached the receiver once, events about one student in order, and ``dropped_overflow``
is 0. Counts are asserted, never time.
"""

from __future__ import annotations

import threading

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.events import LiveEvent
from mockcanvas.instance import EXTENSION_KEY
from mockcanvas.live_server import LiveServer
from tests.support.receiver import WAIT, Receiver

TOKEN = "load-admin-token"
# (writers, writes each, readers): writers take the three routes in turn.
LOADS = [(6, 15, 3)]
# Events published while the receiver holds the first: past the old 10,000-event queue bound,
# well under the 64 MiB byte bound.
BURSTS = [12_000]


def _write(session: requests.Session, base: str, route: int, student: int, grade: str) -> int:
    if route == 0:
        url = f"{base}/api/v1/courses/1/assignments/3/submissions/{student}"
        return session.put(
            url, json={"submission": {"posted_grade": grade}}, timeout=WAIT
        ).status_code
    if route == 1:
        body = {"course_id": 1, "assignment_id": 3, "user_id": student, "posted_grade": grade}
        return session.post(f"{base}/_mockcanvas/grades", json=body, timeout=WAIT).status_code
    url = f"{base}/api/v1/courses/1/assignments/2/submissions/update_grades"
    data = {f"grade_data[{student}][posted_grade]": grade}
    return session.post(url, data=data, timeout=WAIT).status_code


@pytest.mark.parametrize("writers, each, readers", LOADS)
def test_a_healthy_receiver_gets_every_event_under_load(writers, each, readers):
    receiver = Receiver()
    app = create_app(admin_token=TOKEN)
    inst = app.extensions[EXTENSION_KEY]
    server = LiveServer(app).start()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    statuses: list[int] = []
    lock = threading.Lock()
    try:
        base = server.url
        made = requests.post(
            f"{base}/_mockcanvas/subscriptions", json={"kind": "webhook", "url": receiver.url},
            timeout=WAIT,
        )  # fmt: skip
        assert made.status_code == 201
        number = made.json()["id"]
        students = (4, 5, 10, 11, 18, 20)  # active in course 1

        def writer(n: int) -> None:
            with requests.Session() as session:
                session.headers.update(headers)
                for i in range(each):
                    status = _write(session, base, n % 3, students[(n + i) % 6], str(i % 20))
                    with lock:
                        statuses.append(status)

        def reader(n: int) -> None:
            with requests.Session() as session:
                session.headers.update(headers)
                for _ in range(each):
                    got = session.get(f"{base}/_mockcanvas/live_events?limit=20", timeout=WAIT)
                    with lock:
                        statuses.append(got.status_code)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * ((writers + readers) * each)
        waited = requests.post(
            f"{base}/_mockcanvas/subscriptions/{number}/wait?timeout={WAIT}", json={},
            timeout=WAIT + 5,
        ).json()  # fmt: skip
        assert waited["idle"] is True
    finally:
        server.stop()
        receiver.stop()
    events = inst.bus.inbox.select()
    counts = waited["counts"]
    assert counts["dropped_overflow"] == counts["dead"] == 0
    assert counts["submitted"] == counts["delivered"] == len(events) >= writers * each
    got = [r.headers["X-Mockcanvas-Event-Id"] for r in receiver.delivered()]
    assert sorted(got) == sorted(e.id for e in events)  # each once
    for student in {e.user_id for e in events}:
        theirs = [e.id for e in events if e.user_id == student]
        assert [i for i in got if i in set(theirs)] == theirs  # one student's in order


@pytest.mark.parametrize("burst", BURSTS)
def test_a_burst_past_ten_thousand_queued_events_does_not_overflow(burst):
    release = threading.Event()
    receiver = Receiver(("hold", release, WAIT))
    app = create_app()
    client = app.test_client()
    inst = app.extensions[EXTENSION_KEY]
    try:
        made = client.post(
            "/_mockcanvas/subscriptions", json={"kind": "webhook", "url": receiver.url}
        )
        number = made.get_json()["id"]
        for seq in range(1, burst + 1):
            payload = {"metadata": {"event_name": "grade_change"}, "body": {"n": seq}}
            inst.bus.publish(
                LiveEvent(seq=seq, id=f"burst-{seq}", name="grade_change", payload=payload)
            )  # user_id None: one key, so one at a time, in order
        held = client.get(f"/_mockcanvas/subscriptions/{number}").get_json()
        assert held["counts"]["dropped_overflow"] == 0
        assert held["counts"]["queued"] + held["counts"]["sending"] == burst
        release.set()
        waited = client.post(
            f"/_mockcanvas/subscriptions/{number}/wait?timeout={WAIT * 4}", json={}
        ).get_json()
        assert waited["idle"] is True
        assert waited["counts"]["delivered"] == burst
        got = [r.headers["X-Mockcanvas-Event-Id"] for r in receiver.delivered()]
        assert got == [f"burst-{seq}" for seq in range(1, burst + 1)]
    finally:
        release.set()
        receiver.stop()
