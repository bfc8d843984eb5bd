"""The sink fault matrix: one row per fault, each against real parts, and no event ever lost.

Every row runs a fault against a real far side: a raw-socket HTTP/1.1 receiver on 127.0.0.1 that
misbehaves on cue (``FaultReceiver``), moto's SQS server (stopped, restarted on the same port, or
fronted by a throttling proxy), a JSONL file whose directory goes away, or a real ``mockcanvas
serve`` process taking SIGTERM or SIGINT. Each row returns a ``Ledger`` of what was emitted (the
inbox), what the far side holds, and what the subscription recorded; ``assert_nothing_lost``
then checks, for every row alike, that each emitted event was delivered (the far side has it,
deduplicated by event id, its payload intact) or is visibly kept with its payload (dead,
overflowed, undelivered at shutdown), and that the counts add up to what was submitted.

Webhook rows run twice, plain and signed (the JWT checked against the JWKS). ``FAULTS`` is the
table; the README's reliability section counts and names its rows. Waits are causal (a receiver's
event, a log entry appearing, ``wait_idle``); timeouts are only safety nets.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path

import jwt
import pytest
import requests

from mockcanvas import create_app
from mockcanvas.live_server import LiveServer
from mockcanvas.sinks import shutdown, subscribe
from tests.support import CheckedClient, serve_process

WAIT = 15  # seconds any wait may take before the test fails; never reached when things work
# Small policies keep the module fast: every fault plays out in a fraction of a second. The
# timeout is generous, as no row but the slow receiver's waits for it: on a loaded machine a
# healthy answer (moto's above all) can take longer than a short one, and turn a row's exact
# attempts into a retry it did not stage.
POLICY = {
    "timeout": 5.0,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
    "max_attempts": 3,
    "failure_budget": 2,
}
# The slow receiver's row: long enough for the fast second attempt on a loaded machine.
SLOW_TIMEOUT = 1.0
# A retry window far longer than any recovery a row stages (attempts x backoff_max = 50 s).
LONG_WINDOW = {"max_attempts": 1000}
# An attempt that waits for the receiver as long as the test might (the held-delivery rows).
PATIENT = {"timeout": WAIT + 5}
HELD = ("dead", "dropped_overflow", "undelivered_at_shutdown")
FATES = ("delivered", "skipped", *HELD)


# -- a receiver that misbehaves on cue ------------------------------------------------------------


@dataclass
class Request:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    step: object
    answered: int | None  # the status sent (recorded before it is sent); None: no verdict

    @property
    def event_id(self) -> str:
        return self.headers["x-mockcanvas-event-id"]


class FaultReceiver:
    """An HTTP/1.1 server on raw sockets, answering each request with the next step of a script.

    Steps (then 200s): an int status; ``("status", code, headers)``; ``"close_before_body"``
    (close after the headers, body unread); ``"close_after_request"`` (read it all, close without
    a word); ``"reset"`` (read it all, then RST); ``"cut_status_line"`` (``HTTP/1.1 20``, close);
    ``"cut_headers"`` (a 200 status line, half a header, close); ``"cut_chunked_body"`` and
    ``"cut_long_body"`` (a 200 whose body stops half way); ``"hold"`` (wait for ``gate``, then 200).

    Made with ``listening=False`` the port is bound but refuses connections until ``listen()``.
    """

    def __init__(self, *script, listening: bool = True) -> None:
        self.script = deque(script)
        self.requests: list[Request] = []
        self.arrived = 0  # requests read, answered or not yet
        self.changed = threading.Condition()
        self.gate = threading.Event()
        self._connections: list[socket.socket] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        if listening:
            self.listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/canvas"

    def listen(self) -> None:
        self._sock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._sock.accept()
            except OSError:  # stopped
                return
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _record(self, request: Request) -> None:
        with self.changed:
            self.requests.append(request)
            self.changed.notify_all()

    def _serve(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError), connection:
            reader = connection.makefile("rb")
            while True:
                line = reader.readline()
                if not line:
                    return
                path = line.split()[1].decode("ascii")
                headers: dict[str, str] = {}
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                with self.changed:
                    step = self.script.popleft() if self.script else 200
                    self.arrived += 1
                    self.changed.notify_all()
                if step == "close_before_body":
                    self._record(Request(path, headers, b"", step, None))
                    return
                body = reader.read(int(headers.get("content-length", 0)))
                if not self._answer(connection, Request(path, headers, body, step, None)):
                    return

    def _answer(self, connection: socket.socket, request: Request) -> bool:
        """Act out the request's step; False when the connection is done."""
        step = request.step
        if step == "hold":
            self.gate.wait(WAIT)
            step = 200
        if isinstance(step, int):
            step = ("status", step, {})
        if isinstance(step, tuple):
            _, status, extra = step
            request.answered = status
            self._record(request)
            lines = [f"HTTP/1.1 {status} Whatever", "Content-Length: 0"]
            lines += [f"{name}: {value}" for name, value in extra.items()]
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
            return True
        partial = {
            "cut_status_line": (None, b"HTTP/1.1 20"),
            "cut_headers": (200, b"HTTP/1.1 200 OK\r\nContent-Ty"),
            "cut_chunked_body": (
                200,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\nhalf of it",
            ),
            "cut_long_body": (
                200,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 999,
            ),
        }
        if step in partial:
            request.answered, sent = partial[step]
            self._record(request)
            connection.sendall(sent)
            return False
        self._record(request)
        if step == "reset":  # linger 0: close() sends RST instead of FIN
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        assert step == "close_after_request", step
        return False

    def wait_for(self, n: int) -> bool:
        """True once ``n`` requests have arrived (a held one counts while it is held)."""
        with self.changed:
            return self.changed.wait_for(lambda: self.arrived >= n, WAIT)

    def delivered(self) -> list[Request]:
        with self.changed:
            return [r for r in self.requests if r.answered and 200 <= r.answered < 300]

    def stop(self) -> None:
        self.gate.set()
        self._sock.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


# -- what each row hands back, and the check every row passes ------------------------------------


@dataclass
class Ledger:
    """One row's outcome: emitted events, what reached the far side, and the subscription's word.

    ``delivered`` maps event id to the payload the far side holds. For a subscription in this
    process ``counts``, ``log`` and ``unfinished`` are its own; for a ``serve`` process,
    ``written_out`` holds the lines of its undelivered file and ``reported`` its delivered count.
    """

    emitted: list[tuple[str, dict]]
    delivered: dict[str, dict]
    counts: dict | None = None
    log: list[dict] = field(default_factory=list)
    unfinished: list[dict] = field(default_factory=list)
    written_out: dict[str, dict] | None = None
    reported: int | None = None


def assert_nothing_lost(ledger: Ledger) -> None:
    ids = [event_id for event_id, _ in ledger.emitted]
    assert ids and len(set(ids)) == len(ids)
    payloads = dict(ledger.emitted)
    for event_id, payload in ledger.delivered.items():  # the far side holds exactly what was sent
        assert payloads[event_id] == payload
    if ledger.counts is None:  # a serve process: delivered + written out == emitted, disjoint
        written = ledger.written_out or {}
        assert not set(written) & set(ledger.delivered)
        assert sorted([*written, *ledger.delivered]) == sorted(ids)
        assert ledger.reported == len(ledger.delivered)
        for event_id, line in written.items():
            assert line["event"] == payloads[event_id]
            assert line["status"] == "undelivered_at_shutdown"
        return
    counts = ledger.counts
    assert counts["submitted"] == len(ids)
    assert counts["queued"] == counts["sending"] == 0
    assert sum(counts[fate] for fate in FATES) == len(ids)
    fate: dict[str, dict] = {}
    for entry in ledger.log:  # an event's fate is its last entry that is not a retry
        if entry["outcome"] != "retrying":
            fate[entry["event_id"]] = entry
    assert set(fate) == set(ids)
    tally = Counter(entry["outcome"] for entry in fate.values())
    assert {name: tally[name] for name in FATES} == {name: counts[name] for name in FATES}
    kept = {item["event_id"]: item for item in ledger.unfinished}
    lost = []
    for event_id, payload in ledger.emitted:
        entry = fate[event_id]
        if entry["outcome"] == "delivered":
            if event_id not in ledger.delivered:
                lost.append(event_id)
        elif entry["outcome"] in HELD:
            assert entry["event"] == payload  # visibly dead-lettered: with its payload
            assert kept[event_id]["event"] == payload and kept[event_id]["status"] in HELD
        else:
            lost.append(event_id)
    assert lost == [], f"events lost: {lost}"
    assert set(kept) == {i for i, e in fate.items() if e["outcome"] in HELD}


# -- the rig: an app, a grader, sinks and far sides -----------------------------------------------


class Rig:
    """What a row works with: the app, its subscriptions, and the real far sides it starts."""

    def __init__(self, app, signed: bool, tmp_path: Path, sqs_env: Callable) -> None:
        self.app = app
        self.inst = app.extensions["mockcanvas"]
        self.store = self.inst.store
        self.client = CheckedClient(app, self.store)
        self.signed = signed
        self.tmp_path = tmp_path
        self._sqs_env = sqs_env
        self._grades = count(1)
        self.receivers: list[FaultReceiver] = []
        self.servers: list = []

    # the write path

    def grade(self, times: int = 1, via: str | None = None) -> None:
        """Grade through the write path (the Canvas route); two events each time."""
        marks = self.store.landmarks
        path = (
            f"/api/v1/courses/{marks['override_course']}/assignments/"
            f"{marks['points_assignment']}/submissions/{marks['student']}"
        )
        headers = {"Authorization": f"Bearer {self.store.token_for(marks['teacher'])}"}
        for _ in range(times):
            before = len(self.inst.bus.inbox)
            data = {"submission[posted_grade]": str(next(self._grades) % 20)}
            if via is None:
                response = self.client.put(path, data=data, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
            else:
                answer = requests.put(via + path, data=data, headers=headers, timeout=WAIT)
                assert answer.status_code == 200, answer.text
            assert len(self.inst.bus.inbox) == before + 2

    def emitted(self) -> list[tuple[str, dict]]:
        return [(event.id, event.payload) for event in self.inst.bus.inbox.select()]

    # sinks

    def subscribe(self, spec: dict, **policy):
        if spec["kind"] == "webhook":
            spec = {**spec, "signed": self.signed}
        return subscribe(self.inst, {**spec, **POLICY, **policy})

    def settle(self, subscription) -> None:
        assert subscription.wait_idle(WAIT)

    def ledger(self, subscription, delivered: dict[str, dict]) -> Ledger:
        return Ledger(
            emitted=self.emitted(),
            delivered=delivered,
            counts=subscription.counts(),
            log=subscription.log(),
            unfinished=subscription.unfinished(),
        )

    # webhooks

    def receiver(self, *script, listening: bool = True) -> FaultReceiver:
        made = FaultReceiver(*script, listening=listening)
        self.receivers.append(made)
        return made

    def received(self, receiver: FaultReceiver) -> dict[str, dict]:
        """The payloads a receiver accepted, by event id (retries and redeliveries folded)."""
        keys = None
        if self.signed:
            keys = jwt.PyJWKSet.from_dict(self.client.get("/_mockcanvas/jwks").get_json())
        got: dict[str, dict] = {}
        for request in receiver.delivered():
            if keys is None:
                assert request.headers["content-type"] == "application/json"
                payload = json.loads(request.body)
            else:
                assert request.headers["content-type"] == "application/jwt"
                token = request.body.decode("ascii")
                key = keys[jwt.get_unverified_header(token)["kid"]].key
                claims = jwt.decode(token, key, algorithms=["RS256"])
                assert claims.pop("jti") == request.event_id
                claims.pop("iat")
                payload = claims
            assert got.setdefault(request.event_id, payload) == payload
        return got

    def webhook(self, receiver: FaultReceiver, **policy):
        return self.subscribe({"kind": "webhook", "url": receiver.url}, **policy)

    def close(self) -> None:
        for receiver in self.receivers:
            receiver.gate.set()
        shutdown(self.inst.bus, timeout=2)
        for receiver in self.receivers:
            receiver.stop()
        for server in self.servers:
            with contextlib.suppress(Exception):  # already stopped by the row
                server.stop()

    # SQS

    def moto(self, port: int = 0):
        server_module = pytest.importorskip("moto.server")
        self._sqs_env()
        server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        self.servers.append(server)
        return server

    def sqs_client(self, endpoint: str):
        import boto3

        return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")

    def queue(self, sqs, name: str) -> str:
        return sqs.create_queue(QueueName=f"{name}-{os.getpid()}-{next(_queues)}")["QueueUrl"]

    def sqs(self, queue_url: str, endpoint: str, **policy):
        spec = {"kind": "sqs", "queue_url": queue_url, "endpoint_url": endpoint}
        return self.subscribe({**spec, "region": "us-east-1"}, **policy)

    def drained(self, sqs, queue_url: str, n: int) -> dict[str, dict]:
        """The queue's messages, at least ``n`` of them, by event id (matched on the payload)."""
        by_payload = {json.dumps(p, sort_keys=True): i for i, p in self.emitted()}
        got: dict[str, dict] = {}
        deadline = time.monotonic() + WAIT
        while len(got) < n and time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            for message in answer.get("Messages", []):
                payload = json.loads(message["Body"])
                got[by_payload[json.dumps(payload, sort_keys=True)]] = payload
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return got


_queues = count(1)


def until(predicate: Callable[[], bool]) -> bool:
    """Poll a condition the test cannot be told about (a log entry appearing)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def attempts(subscription, event_id: str) -> list[tuple]:
    return [
        (e["attempt"], e["outcome"], e["status"])
        for e in subscription.log()
        if e["event_id"] == event_id
    ]


def first_id(rig: Rig) -> str:
    return rig.inst.bus.inbox.select()[0].id


# -- webhook rows ---------------------------------------------------------------------------------


def refused(rig: Rig) -> Ledger:
    receiver = rig.receiver(listening=False)
    sub = rig.webhook(receiver)
    rig.grade()
    rig.settle(sub)
    for event_id, _ in rig.emitted():
        assert attempts(sub, event_id) == [
            (1, "retrying", None),
            (2, "retrying", None),
            (3, "dead", None),
        ]
    assert all("ConnectionRefusedError" in e["error"] for e in sub.log())
    assert sub.state == "deactivated"  # two dead in a row: the failure budget of 2
    assert receiver.requests == []
    return rig.ledger(sub, rig.received(receiver))


def down_then_back(rig: Rig) -> Ledger:
    receiver = rig.receiver(listening=False)
    sub = rig.webhook(receiver, **LONG_WINDOW)
    rig.grade()
    assert until(lambda: any(e["outcome"] == "retrying" for e in sub.log()))
    receiver.listen()  # the receiver comes back within the retry window
    rig.settle(sub)
    assert "ConnectionRefusedError" in sub.log()[0]["error"]
    assert sub.counts()["delivered"] == 2 and sub.state == "active"
    return rig.ledger(sub, rig.received(receiver))


def slower_than_timeout(rig: Rig) -> Ledger:
    receiver = rig.receiver("hold")  # holds the first attempt past the timeout
    sub = rig.webhook(receiver, timeout=SLOW_TIMEOUT)
    rig.grade()
    rig.settle(sub)
    receiver.gate.set()
    entries = [e for e in sub.log() if e["event_id"] == first_id(rig)]
    assert [(e["attempt"], e["outcome"]) for e in entries] == [(1, "retrying"), (2, "delivered")]
    assert entries[0]["error"] == f"timed out after {SLOW_TIMEOUT:g} s"
    return rig.ledger(sub, rig.received(receiver))


def retried_status(*script, status: int) -> Callable[[Rig], Ledger]:
    def row(rig: Rig) -> Ledger:
        receiver = rig.receiver(*script)
        sub = rig.webhook(receiver)
        rig.grade()
        rig.settle(sub)
        assert attempts(sub, first_id(rig)) == [(1, "retrying", status), (2, "delivered", 200)]
        assert [r.headers["x-mockcanvas-delivery-attempt"] for r in receiver.requests[:2]] == [
            "1",
            "2",
        ]
        return rig.ledger(sub, rig.received(receiver))

    return row


def retried_without_answer(step: str, *errors: str) -> Callable[[Rig], Ledger]:
    def row(rig: Rig) -> Ledger:
        receiver = rig.receiver(step)
        sub = rig.webhook(receiver)
        rig.grade()
        rig.settle(sub)
        entries = [e for e in sub.log() if e["event_id"] == first_id(rig)]
        assert [(e["attempt"], e["outcome"], e["status"]) for e in entries] == [
            (1, "retrying", None),
            (2, "delivered", 200),
        ]
        assert any(error in entries[0]["error"] for error in errors), entries[0]["error"]
        assert receiver.requests[0].step == step and receiver.requests[0].answered is None
        return rig.ledger(sub, rig.received(receiver))

    return row


def verdict_then_cut(step: str) -> Callable[[Rig], Ledger]:
    """A 200 whose connection dies after the status line: delivered once, not sent again."""

    def row(rig: Rig) -> Ledger:
        receiver = rig.receiver(step)
        sub = rig.webhook(receiver)
        rig.grade()
        rig.settle(sub)
        assert attempts(sub, first_id(rig)) == [(1, "delivered", 200)]
        assert [r.event_id for r in receiver.requests] == [e for e, _ in rig.emitted()]
        return rig.ledger(sub, rig.received(receiver))

    return row


def final_status(status: int, headers: dict) -> Callable[[Rig], Ledger]:
    def row(rig: Rig) -> Ledger:
        receiver = rig.receiver(("status", status, headers))
        sub = rig.webhook(receiver)
        rig.grade()
        rig.settle(sub)
        assert attempts(sub, first_id(rig)) == [(1, "dead", status)]
        # One request per event: a redirect's Location is never visited.
        assert [r.path for r in receiver.requests] == ["/hooks/canvas"] * 2
        assert sub.counts()["dead"] == 1 and sub.counts()["delivered"] == 1
        return rig.ledger(sub, rig.received(receiver))

    return row


def past_the_budget(rig: Rig) -> Ledger:
    receiver = rig.receiver(listening=False)
    sub = rig.webhook(receiver)
    base = f"/_mockcanvas/subscriptions/{sub.id}"
    rig.grade()
    rig.settle(sub)
    shown = rig.client.get(base).get_json()
    assert shown["state"] == "deactivated" and shown["deactivated_at"]
    rig.grade()  # deactivated: dead-lettered at once, with no attempt
    rig.settle(sub)
    later = [(e["attempt"], e["outcome"], e["error"]) for e in sub.log()[6:]]
    assert later == [(0, "dead", "subscription deactivated")] * 2
    assert sub.counts()["dead"] == 4 and sub.counts()["attempts"] == 6
    refused = rig.client.post(f"{base}/redeliver", json={})
    assert refused.status_code == 400 and "reactivate" in refused.get_json()["message"]

    receiver.listen()
    assert rig.client.post(f"{base}/reactivate", json={}).get_json()["state"] == "active"
    assert rig.client.post(f"{base}/redeliver", json={}).get_json()["requeued"] == 4
    assert rig.client.post(f"{base}/wait?timeout={WAIT}", json={}).get_json()["idle"]
    got = rig.received(receiver)
    assert list(got) == [e for e, _ in rig.emitted()]  # every one, in emission order
    assert sub.counts()["delivered"] == 4
    return rig.ledger(sub, got)


def overflow(rig: Rig, caplog) -> Ledger:
    receiver = rig.receiver("hold")
    sub = rig.webhook(receiver, queue_size=3, **PATIENT)
    with caplog.at_level(logging.WARNING, logger="mockcanvas.sinks"):
        rig.grade()
        assert receiver.wait_for(1)  # event 1 is held at the receiver; event 2 waits in the queue
        rig.grade(3)  # six more: two fit the queue (3), four overflow
    counts = sub.counts()
    assert (counts["sending"], counts["queued"], counts["dropped_overflow"]) == (1, 3, 4)
    dropped = [e for e in sub.log() if e["outcome"] == "dropped_overflow"]
    assert [(e["seq"], e["event"]) for e in dropped] == [
        (event.seq, event.payload) for event in rig.inst.bus.inbox.select()[4:]
    ]
    assert any("queue full" in r.getMessage() for r in caplog.records)  # never silent
    receiver.gate.set()
    rig.settle(sub)
    assert sub.counts()["delivered"] == 4
    assert sub.redeliver() == 4
    rig.settle(sub)
    assert sub.counts()["delivered"] == 8
    return rig.ledger(sub, rig.received(receiver))


def slow_sink_never_slows_the_api(rig: Rig) -> Ledger:
    receiver = rig.receiver("hold")
    sub = rig.webhook(receiver, **PATIENT)
    writes = 10
    with LiveServer(rig.app) as server:
        rig.grade(writes, via=server.url)  # each PUT answered 200 over real HTTP
    # Every write has answered while the receiver still holds the first delivery: the API never
    # waited for the sink (it would be stuck at the first PUT otherwise).
    assert not receiver.gate.is_set()
    assert receiver.wait_for(1) and receiver.arrived == 1 and receiver.requests == []
    counts = sub.counts()
    assert (counts["delivered"], counts["sending"], counts["queued"]) == (0, 1, 2 * writes - 1)
    receiver.gate.set()
    rig.settle(sub)
    assert sub.counts()["delivered"] == 2 * writes
    return rig.ledger(sub, rig.received(receiver))


# -- SQS rows -------------------------------------------------------------------------------------


def sqs_comes_back(rig: Rig) -> Ledger:
    server = rig.moto()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    sqs = rig.sqs_client(endpoint)
    queue_url = rig.queue(sqs, "comes-back")
    sub = rig.sqs(queue_url, endpoint, **LONG_WINDOW)
    rig.grade()  # a round trip while the endpoint is up
    rig.settle(sub)
    before = rig.drained(sqs, queue_url, 2)
    assert set(before) == {e for e, _ in rig.emitted()}
    server.stop()  # the endpoint disappears ...
    rig.grade()
    assert until(lambda: any(e["outcome"] == "retrying" for e in sub.log()))
    rig.moto(port)  # ... and comes back on the same port, the queue still there
    rig.settle(sub)
    retried = [e for e in sub.log() if e["outcome"] == "retrying"]
    assert all(e["status"] is None and "EndpointConnectionError" in e["error"] for e in retried)
    assert sub.counts()["delivered"] == 4 and sub.counts()["dead"] == 0
    return rig.ledger(sub, {**before, **rig.drained(sqs, queue_url, 2)})


def sqs_never_comes_back(rig: Rig) -> Ledger:
    server = rig.moto()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    queue_url = rig.queue(rig.sqs_client(endpoint), "gone")
    sub = rig.sqs(queue_url, endpoint)
    server.stop()
    rig.grade()
    rig.settle(sub)
    assert [(e["attempt"], e["outcome"]) for e in sub.log()] == [
        (1, "retrying"),
        (2, "retrying"),
        (3, "dead"),
    ] * 2
    assert sub.state == "deactivated" and sub.counts()["dead"] == 2
    return rig.ledger(sub, {})


def sqs_queue_deleted(rig: Rig) -> Ledger:
    server = rig.moto()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    sqs = rig.sqs_client(endpoint)
    queue_url = rig.queue(sqs, "deleted")
    sub = rig.sqs(queue_url, endpoint)
    sqs.delete_queue(QueueUrl=queue_url)
    rig.grade()
    rig.settle(sub)
    log = sub.log()
    assert [(e["attempt"], e["outcome"], e["status"]) for e in log] == [(1, "dead", 400)] * 2
    assert "NonExistentQueue" in log[0]["error"] or "QueueDoesNotExist" in log[0]["error"]
    # Recreated, the same queue URL takes the redelivered events.
    assert sqs.create_queue(QueueName=queue_url.rsplit("/", 1)[1])["QueueUrl"] == queue_url
    sub.reactivate()
    assert sub.redeliver() == 2
    rig.settle(sub)
    return rig.ledger(sub, rig.drained(sqs, queue_url, 2))


class ThrottlingProxy:
    """A real HTTP hop in front of moto that answers the first ``n`` SendMessage calls with SQS's
    throttling error (moto itself never throttles), and forwards everything else."""

    def __init__(self, upstream: str, n: int) -> None:
        self.left = n
        self.throttled = 0
        proxy = self
        host, port = upstream.removeprefix("http://").split(":")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("X-Amz-Target", "").endswith(".SendMessage") and proxy.left:
                    proxy.left -= 1
                    proxy.throttled += 1
                    answer = (
                        b'{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}'
                    )
                    self.send_response(400)
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                    self.send_header("x-amzn-query-error", "RequestThrottled;Sender")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                upstream_connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
                try:
                    upstream_connection.request("POST", self.path, body, dict(self.headers))
                    reply = upstream_connection.getresponse()
                    data = reply.read()
                finally:
                    upstream_connection.close()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sqs_throttled(rig: Rig) -> Ledger:
    server = rig.moto()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    sqs = rig.sqs_client(endpoint)
    queue_url = rig.queue(sqs, "throttled")
    proxy = ThrottlingProxy(endpoint, 2)
    rig.servers.append(proxy)
    sub = rig.sqs(queue_url, proxy.url)
    rig.grade()
    rig.settle(sub)
    assert proxy.throttled == 2
    assert attempts(sub, first_id(rig)) == [
        (1, "retrying", 400),
        (2, "retrying", 400),
        (3, "delivered", 200),
    ]
    assert sub.log()[0]["error"] == "RequestThrottled: Rate exceeded"
    return rig.ledger(sub, rig.drained(sqs, queue_url, 2))


# -- JSONL rows -----------------------------------------------------------------------------------


def lines_of(*paths: Path, rig: Rig) -> dict[str, dict]:
    by_payload = {json.dumps(p, sort_keys=True): i for i, p in rig.emitted()}
    got: dict[str, dict] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            payload = json.loads(line)  # every line whole: no half line left by a failed write
            got[by_payload[json.dumps(payload, sort_keys=True)]] = payload
    return got


def jsonl_directory_removed(rig: Rig) -> Ledger:
    directory = rig.tmp_path / "events"
    directory.mkdir()
    path = directory / "events.jsonl"
    sub = rig.subscribe({"kind": "jsonl", "path": str(path)})
    rig.grade()
    rig.settle(sub)
    before = lines_of(path, rig=rig)
    shutil.rmtree(directory)
    rig.grade()  # nowhere to write: retried, then dead with the payload, never "delivered"
    rig.settle(sub)
    dead = [e for e in sub.log() if e["outcome"] == "dead"]
    assert len(dead) == 2 and all("FileNotFoundError" in e["error"] for e in dead)
    assert sub.state == "deactivated"
    directory.mkdir()  # the directory is back: reactivate and redeliver into a new file
    sub.reactivate()
    assert sub.redeliver() == 2
    rig.settle(sub)
    after = lines_of(path, rig=rig)
    assert len(before) == len(after) == 2
    return rig.ledger(sub, {**before, **after})


def jsonl_directory_replaced_by_a_file(rig: Rig) -> Ledger:
    directory = rig.tmp_path / "events"
    directory.mkdir()
    path = directory / "events.jsonl"
    sub = rig.subscribe({"kind": "jsonl", "path": str(path)})
    shutil.rmtree(directory)
    directory.write_text("not a directory\n")  # the path can never be written now
    rig.grade()
    rig.settle(sub)
    dead = [e for e in sub.log() if e["outcome"] == "dead"]
    assert len(dead) == 2 and all("NotADirectoryError" in e["error"] for e in dead)
    return rig.ledger(sub, {})


def jsonl_swapped_for_a_device(rig: Rig) -> Ledger:
    """A device is refused as a JSONL path (regular files only), and so is one swapped in later:
    the sink follows the path, finds /dev/full there and writes nothing to it."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    path = rig.tmp_path / "events.jsonl"
    sub = rig.subscribe({"kind": "jsonl", "path": str(path)})
    path.unlink()
    path.symlink_to("/dev/full")
    rig.grade()
    rig.settle(sub)
    dead = [e for e in sub.log() if e["outcome"] == "dead"]
    assert len(dead) == 2 and all("not a regular file" in e["error"] for e in dead)
    return rig.ledger(sub, {})


def jsonl_file_rotated(rig: Rig) -> Ledger:
    path = rig.tmp_path / "events.jsonl"
    sub = rig.subscribe({"kind": "jsonl", "path": str(path)})
    rig.grade()
    rig.settle(sub)
    rotated = path.rename(rig.tmp_path / "events.jsonl.1")  # as logrotate does
    rig.grade()
    rig.settle(sub)
    old, new = lines_of(rotated, rig=rig), lines_of(path, rig=rig)
    ids = [e for e, _ in rig.emitted()]
    assert (list(old), list(new)) == (ids[:2], ids[2:])  # the new lines follow the path
    return rig.ledger(sub, {**old, **new})


# A process of its own, since a file size limit holds for the whole process: grade twice, then let
# a JSONL sink write the two events under a limit that ends half way through the second line.
SIZE_LIMIT_CHILD = """
import json, resource, signal, sys
from mockcanvas import create_app
from mockcanvas.jsonenc import dumps
from mockcanvas.sinks import DeliveryPolicy
from mockcanvas.sinks.jsonl import JsonlSink
from tests.support import CheckedClient

path, policy = sys.argv[1], json.loads(sys.argv[2])
app = create_app(seed=1)
store = app.extensions["mockcanvas"].store
marks = store.landmarks
answer = CheckedClient(app, store).put(
    f"/api/v1/courses/{marks['override_course']}/assignments/{marks['points_assignment']}"
    f"/submissions/{marks['student']}",
    data={"submission[posted_grade]": "13"},
    headers={"Authorization": f"Bearer {store.token_for(marks['teacher'])}"},
)
assert answer.status_code == 200
events = app.extensions["mockcanvas"].bus.inbox.select()
first, second = (len(dumps(e.payload).encode()) + 1 for e in events)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit: EFBIG, not death
resource.setrlimit(resource.RLIMIT_FSIZE, (first + second // 2, resource.RLIM_INFINITY))
sink = JsonlSink(path, policy=DeliveryPolicy(**policy))
for event in events:
    sink.submit(event)
assert sink.wait_idle(15)
print(json.dumps({
    "emitted": [[e.id, e.payload] for e in events],
    "counts": sink.counts(),
    "log": sink.log(),
    "unfinished": sink.unfinished(),
}))
"""


def jsonl_size_limit_mid_line(rig: Rig) -> Ledger:
    path = rig.tmp_path / "events.jsonl"
    child = subprocess.run(
        [sys.executable, "-c", SIZE_LIMIT_CHILD, str(path), json.dumps(POLICY)],
        capture_output=True,
        text=True,
        timeout=WAIT * 4,  # a safety net
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert child.returncode == 0, child.stderr
    told = json.loads(child.stdout)
    dead = [e for e in told["log"] if e["outcome"] == "dead"]
    assert [(e["seq"], e["attempt"]) for e in dead] == [(told["log"][-1]["seq"], 3)]
    assert "File too large" in dead[0]["error"]
    # Each failed attempt wrote half a line and cut it off again: only whole lines remain.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [told["emitted"][0][1]]
    emitted = [(event_id, payload) for event_id, payload in told["emitted"]]
    return Ledger(
        emitted=emitted,
        delivered={emitted[0][0]: json.loads(lines[0])},
        counts=told["counts"],
        log=told["log"],
        unfinished=told["unfinished"],
    )


# -- serve rows: a real process, a real signal ----------------------------------------------------


def serve_signal(signum: int, receiver_state: str) -> Callable[[Rig], Ledger]:
    def row(rig: Rig) -> Ledger:
        if receiver_state == "down":
            receiver = rig.receiver(listening=False)
        else:  # the first event is answered, the second held until the test ends
            receiver = rig.receiver(200, "hold")
        out_dir = rig.tmp_path / "undelivered"
        flags = ("--port", "0", "--webhook", receiver.url, "--shutdown-timeout", "0.5")
        with serve_process(
            *flags, "--undelivered-dir", str(out_dir), stderr=subprocess.DEVNULL
        ) as process:
            url = process.stdout.readline().strip().split(" serving ")[1]
            banner = [process.stdout.readline().strip() for _ in range(3)]
            assert banner[2].startswith("live events -> subscription 1: webhook")
            world = create_app(seed=1).extensions["mockcanvas"].store  # the one it serves
            marks = world.landmarks
            for grade in ("11", "12"):
                answer = requests.put(
                    f"{url}/api/v1/courses/{marks['override_course']}/assignments/"
                    f"{marks['points_assignment']}/submissions/{marks['student']}",
                    data={"submission[posted_grade]": grade},
                    headers={"Authorization": f"Bearer {world.token_for(marks['teacher'])}"},
                    timeout=WAIT,
                )
                assert answer.status_code == 200
            inbox = requests.get(f"{url}/_mockcanvas/live_events", timeout=WAIT).json()
            emitted = [(e["id"], e["event"]) for e in inbox["live_events"]]
            assert len(emitted) == 4
            if receiver_state == "holding":
                assert receiver.wait_for(2)  # event 1 delivered, event 2 held, 3 and 4 queued
            process.send_signal(signum)
            assert process.wait(timeout=WAIT) == 0  # a safety net, not a target
            report = process.stdout.read()
        # What the receiver accepted while the process lived (the held request is still held).
        got = {r.event_id: json.loads(r.body) for r in receiver.delivered()}
        receiver.gate.set()
        target = out_dir / "subscription-1-undelivered.jsonl"
        written = {}
        for line in target.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            written[item["event_id"]] = item
        reported = int(report.split("): ")[1].split(" of ")[0])
        assert " of 4 events delivered" in report
        assert f"subscription 1: {len(written)} undelivered events written to {target}" in report
        assert len(got) == (0 if receiver_state == "down" else 1)
        return Ledger(emitted=emitted, delivered=got, written_out=written, reported=reported)

    return row


# -- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    name: str
    run: Callable
    signable: bool = False  # a webhook row: runs plain and signed
    wants_caplog: bool = False


FAULTS: list[Fault] = [
    Fault("webhook: connection refused (nothing listening)", refused, True),
    Fault("webhook: receiver down, back within the retry window", down_then_back, True),
    Fault("webhook: slower than the timeout, then fast", slower_than_timeout, True),
    Fault("webhook: 500, then 200", retried_status(500, status=500), True),
    Fault(
        "webhook: 503 with Retry-After",
        retried_status(("status", 503, {"Retry-After": "1"}), status=503),
        True,
    ),
    Fault(
        "webhook: 429 with Retry-After as a date",
        retried_status(
            ("status", 429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), status=429
        ),
        True,
    ),
    Fault(
        "webhook: connection closed before the body was read",
        retried_without_answer(
            "close_before_body", "RemoteDisconnected", "BrokenPipeError", "ConnectionResetError"
        ),
        True,
    ),
    Fault(
        "webhook: connection closed after the request, no answer",
        retried_without_answer("close_after_request", "RemoteDisconnected"),
        True,
    ),
    Fault(
        "webhook: connection closed mid status line",
        retried_without_answer("cut_status_line", "BadStatusLine"),
        True,
    ),
    Fault(
        "webhook: connection reset (RST)",
        retried_without_answer("reset", "ConnectionResetError"),
        True,
    ),
    Fault("webhook: 200, then closed mid headers", verdict_then_cut("cut_headers"), True),
    Fault("webhook: 200, then closed mid chunked body", verdict_then_cut("cut_chunked_body"), True),
    Fault("webhook: 200, then closed mid long body", verdict_then_cut("cut_long_body"), True),
    Fault(
        "webhook: redirect (302) not followed, dead-lettered",
        final_status(302, {"Location": "/elsewhere"}),
        True,
    ),
    Fault("webhook: 404 is final, dead-lettered", final_status(404, {}), True),
    Fault(
        "webhook: down past the failure budget, then reactivate and redeliver",
        past_the_budget,
        True,
    ),
    Fault("webhook: queue full behind a blocked receiver (overflow)", overflow, True, True),
    Fault(
        "webhook: a receiver holding a delivery never slows the API",
        slow_sink_never_slows_the_api,
        True,
    ),
    Fault("sqs: endpoint disappears and comes back on the same port", sqs_comes_back),
    Fault("sqs: endpoint never comes back, dead-lettered", sqs_never_comes_back),
    Fault("sqs: queue deleted (final), recreated and redelivered", sqs_queue_deleted),
    Fault("sqs: throttled (RequestThrottled), then accepted", sqs_throttled),
    Fault("jsonl: directory removed, then back and redelivered", jsonl_directory_removed),
    Fault("jsonl: directory replaced by a file (not writable)", jsonl_directory_replaced_by_a_file),
    Fault("jsonl: path swapped for a device (/dev/full)", jsonl_swapped_for_a_device),
    Fault("jsonl: file rotated away mid-stream", jsonl_file_rotated),
    Fault("jsonl: file size limit hit mid-line (EFBIG)", jsonl_size_limit_mid_line),
    Fault("serve: SIGTERM with the webhook down", serve_signal(signal.SIGTERM, "down")),
    Fault("serve: SIGINT with the webhook down", serve_signal(signal.SIGINT, "down")),
    Fault(
        "serve: SIGTERM with the webhook holding a delivery",
        serve_signal(signal.SIGTERM, "holding"),
    ),
    Fault(
        "serve: SIGINT with the webhook holding a delivery", serve_signal(signal.SIGINT, "holding")
    ),
]

CASES = [
    pytest.param(fault, signed, id=f"{fault.name}{' [signed]' if signed else ''}")
    for fault in FAULTS
    for signed in ((False, True) if fault.signable else (False,))
]


@pytest.fixture
def sqs_env(monkeypatch):
    def apply() -> None:
        pytest.importorskip("boto3")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)

    return apply


@pytest.mark.parametrize(("fault", "signed"), CASES)
def test_fault_loses_no_event(fault, signed, app, tmp_path, sqs_env, caplog):
    rig = Rig(app, signed, tmp_path, sqs_env)
    try:
        ledger = fault.run(rig, caplog) if fault.wants_caplog else fault.run(rig)
    finally:
        rig.close()
    assert_nothing_lost(ledger)


def test_the_table_names_each_fault_once():
    names = [fault.name for fault in FAULTS]
    assert len(set(names)) == len(names) == len(FAULTS)
    assert {name.split(":")[0] for name in names} == {"webhook", "sqs", "jsonl", "serve"}
