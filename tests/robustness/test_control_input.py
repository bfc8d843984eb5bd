"""Control-plane input never 500s nor breaks later, and no control request can tie up the server
(issue 14: cases 7, 10's control half, 11 and 12).

- ``JSONL_PATHS``: JSONL subscription paths that are not regular files (a FIFO, a device, a
  directory) or no file's name (NUL, a lone surrogate, ``~nobody``): 400, at once, nothing made.
- ``HUGE_VALUES``: ids and query values past int()'s 4,300 digits: 404 (ids) or 400 (values).
- ``FAULT_HEADERS``: fault headers the server owns or that break every answer: 400.
- ``REDACTED``: query strings as sent and as the journal keeps them.
- The long-wait pool: waits and event streams together hold at most 2 of the 4 workers.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.controls import controls
from mockcanvas.http.inspector import streams_of
from mockcanvas.live_server import THREADS, LiveServer
from mockcanvas.sinks.registry import registry_for
from tests.support.receiver import Receiver

NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}
NOT_A_FILE = "not a regular file (a directory, FIFO, socket or device)"
HUGE = "9" * 5000  # int() refuses more than 4,300 digits


def message(text: str) -> dict:
    return {"message": text}


@pytest.fixture
def app():
    return create_app(seed=1)


# -- JSONL paths (cases 7 and 10) --------------------------------------------------------------


def _fifo(tmp: Path) -> str:
    path = tmp / "events.fifo"
    os.mkfifo(path)
    return str(path)


def _directory(tmp: Path) -> str:
    return str(tmp)


def _device(_: Path) -> str:
    return os.devnull


def _link_to_fifo(tmp: Path) -> str:
    target = _fifo(tmp)
    link = tmp / "events.jsonl"
    link.symlink_to(target)
    return str(link)


@contextmanager
def unblocking(path: str, after: float = 10.0) -> Iterator[None]:
    """If ``path`` is a FIFO, open it for reading after ``after`` seconds unless the block is
    left first: code that wrongly blocks opening it for writing then fails instead of hanging."""
    done = threading.Event()
    readers: list[int] = []

    def rescue() -> None:
        if not done.wait(after):
            readers.append(os.open(path, os.O_RDONLY | os.O_NONBLOCK))

    helper = None
    if os.path.exists(path) and stat.S_ISFIFO(os.stat(path).st_mode):
        helper = threading.Thread(target=rescue, daemon=True)
        helper.start()
    try:
        yield
    finally:
        done.set()
        if helper is not None:
            helper.join()
        for fd in readers:
            os.close(fd)


JSONL_PATHS = [
    # (id, the path (made in a temporary directory), the answer's message)
    ("fifo", _fifo, lambda p: f"cannot append to {p}: {NOT_A_FILE}"),
    ("symlink-to-fifo", _link_to_fifo, lambda p: f"cannot append to {p}: {NOT_A_FILE}"),
    ("device", _device, lambda p: f"cannot append to {p}: {NOT_A_FILE}"),
    ("directory", _directory, lambda p: f"cannot append to {p}: {NOT_A_FILE}"),
    ("nul", lambda t: str(t / "a\0b.jsonl"), lambda p: "path must not contain a NUL character"),
    (
        "surrogate",
        lambda t: str(t / "\ud800.jsonl"),
        lambda p: "path must be valid Unicode (no lone surrogates)",
    ),
    (
        "unknown-user",
        lambda t: "~no-such-user-here/events.jsonl",
        lambda p: f"cannot expand the ~ in {p!r}: no such user or home",
    ),
]


@pytest.mark.parametrize(("name", "make", "expected"), JSONL_PATHS, ids=[c[0] for c in JSONL_PATHS])
def test_jsonl_paths_that_are_no_regular_file_are_400_and_make_nothing(
    app, tmp_path, name, make, expected
):
    path = make(tmp_path)
    client = app.test_client()
    with unblocking(path):
        response = client.post("/_mockcanvas/subscriptions", json={"kind": "jsonl", "path": path})
    assert (response.status_code, response.get_json()) == (400, message(expected(path)))
    assert registry_for(app.extensions["mockcanvas"].bus).all() == []
    # The refused one used no id: the next subscription is number 1, as on a fresh server.
    good = {"kind": "jsonl", "path": str(tmp_path / "ok.jsonl")}
    assert client.post("/_mockcanvas/subscriptions", json=good).get_json()["id"] == 1
    if name == "fifo":
        assert stat.S_ISFIFO(os.stat(path).st_mode)  # left as it was


def test_four_fifo_subscriptions_do_not_tie_up_the_workers(tmp_path):
    """Each used to block its worker in open() until a reader came: four took every worker."""
    app = create_app(seed=1)
    fifos = []
    for n in range(THREADS):
        os.mkfifo(tmp_path / f"{n}.fifo")
        fifos.append(str(tmp_path / f"{n}.fifo"))
    with LiveServer(app) as server:
        try:
            with ThreadPoolExecutor(THREADS) as pool:
                answers = list(
                    pool.map(
                        lambda path: requests.post(
                            server.url + "/_mockcanvas/subscriptions",
                            json={"kind": "jsonl", "path": path},
                            timeout=10,
                        ),
                        fifos,
                    )
                )
            assert [a.status_code for a in answers] == [400] * THREADS
            health = requests.get(server.url + "/_mockcanvas/health", timeout=10)
            assert health.status_code == 200
        finally:
            for path in fifos:  # free any worker still stuck in open() (the old behaviour)
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                os.close(fd)


def _run_cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mockcanvas", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize("command", ["serve", "simulate"])
def test_serve_and_simulate_refuse_a_fifo_sink_at_once(tmp_path, command):
    fifo = _fifo(tmp_path)
    argv = ["--port", "0"] if command == "serve" else ["--count", "1"]
    try:
        done = _run_cli(command, *argv, "--jsonl", fifo)
    except subprocess.TimeoutExpired:  # blocked in open(): the old behaviour
        pytest.fail(f"mockcanvas {command} --jsonl FIFO blocked")
    assert done.returncode == 2
    assert f"mockcanvas {command}: error: cannot append to {fifo}: {NOT_A_FILE}" in done.stderr


def test_a_regular_file_still_takes_the_events(app, tmp_path):
    path = tmp_path / "events.jsonl"
    client = app.test_client()
    made = client.post("/_mockcanvas/subscriptions", json={"kind": "jsonl", "path": str(path)})
    assert made.status_code == 201
    store = app.extensions["mockcanvas"].store
    graded = client.post(
        "/_mockcanvas/grades",
        json={"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": "9"},
    )
    assert graded.status_code == 200
    waited = client.post(f"/_mockcanvas/subscriptions/{made.get_json()['id']}/wait", json={})
    assert waited.get_json()["idle"] is True
    assert len(path.read_text().splitlines()) == len(graded.get_json()["live_events"]) > 0
    assert store is app.extensions["mockcanvas"].store


# -- absurd ids and values (case 10) -----------------------------------------------------------


HUGE_VALUES = [
    # (method, path, status, body)
    ("GET", f"/_mockcanvas/faults/{HUGE}", 404, NOT_FOUND),
    ("DELETE", f"/_mockcanvas/faults/{HUGE}", 404, NOT_FOUND),
    ("GET", f"/_mockcanvas/faults/0{'0' * 30}1", 200, None),  # leading zeros: still fault 1
    ("GET", f"/_mockcanvas/faults/{'1' * 19}", 404, NOT_FOUND),
    ("GET", f"/_mockcanvas/subscriptions/{HUGE}", 404, NOT_FOUND),
    ("DELETE", f"/_mockcanvas/subscriptions/{HUGE}", 404, NOT_FOUND),
    ("POST", f"/_mockcanvas/subscriptions/{HUGE}/wait", 404, NOT_FOUND),
    ("POST", f"/_mockcanvas/subscriptions/{HUGE}/redeliver", 404, NOT_FOUND),
    ("POST", f"/_mockcanvas/subscriptions/{HUGE}/reactivate", 404, NOT_FOUND),
    (
        "GET",
        f"/_mockcanvas/subscriptions/1?after={HUGE}",
        400,
        message("after must be a non-negative integer of at most 18 digits"),
    ),
    (
        "GET",
        f"/_mockcanvas/subscriptions/1?limit={HUGE}",
        400,
        message("limit must be a non-negative integer of at most 18 digits"),
    ),
    ("GET", f"/_mockcanvas/subscriptions/1?after={'0' * 5000}", 200, None),
    ("POST", f"/_mockcanvas/subscriptions/1/wait?timeout={HUGE}", 400, None),
    ("GET", f"/_mockcanvas/live_events?after={HUGE}", 200, None),
    ("GET", f"/_mockcanvas/requests?after={HUGE}", 200, None),
]


@pytest.mark.parametrize(("method", "path", "status", "body"), HUGE_VALUES)
def test_absurd_ids_and_values_are_404_or_400_never_500(app, tmp_path, method, path, status, body):
    client = app.test_client()
    made = client.post(
        "/_mockcanvas/subscriptions", json={"kind": "jsonl", "path": str(tmp_path / "e.jsonl")}
    )
    assert made.get_json()["id"] == 1
    assert client.post("/_mockcanvas/faults", json={"path": "/nothing"}).get_json()["id"] == 1
    before = ([s.describe() for s in registry_for(app.extensions["mockcanvas"].bus).all()],)
    response = client.open(path, method=method, json={} if method != "GET" else None)
    assert response.status_code == status
    if body is not None:
        assert response.get_json() == body
    if status >= 400:
        after = ([s.describe() for s in registry_for(app.extensions["mockcanvas"].bus).all()],)
        assert after == before


FAULT_HEADERS = [
    "Transfer-Encoding",
    "Content-Length",
    "Connection",
    "Keep-Alive",
    "Upgrade",
    "TE",
    "Trailer",
    "Proxy-Authenticate",
    "Proxy-Connection",
    "content-encoding",
]


@pytest.mark.parametrize("name", FAULT_HEADERS)
def test_faults_cannot_set_headers_the_server_owns(name):
    app = create_app(seed=1)
    client = app.test_client()
    spec = {"path": "/api/**", "status": 503, "headers": {name: "chunked", "X-Ok": "1"}}
    response = client.post("/_mockcanvas/faults", json=spec)
    assert response.status_code == 400
    assert response.get_json() == message(
        f"headers cannot set {name}: the server frames the answer itself (hop-by-hop and framing "
        "headers, and Content-Encoding, since the body is never encoded), and a fault answer "
        "that set them would fail or corrupt every answer it matched"
    )
    assert controls(app.extensions["mockcanvas"]).faults.all() == []


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\0b", "caf\u00e9"])
def test_fault_header_values_with_cr_lf_nul_or_non_ascii_are_400(app, value):
    spec = {"path": "/api/**", "status": 503, "headers": {"X-Why": value}}
    response = app.test_client().post("/_mockcanvas/faults", json=spec)
    assert response.status_code == 400
    assert response.get_json() == message(
        "headers must map header names (HTTP tokens) to printable ASCII values"
    )


def test_a_fault_with_its_own_headers_answers_on_a_real_server():
    """What is allowed goes out on the wire intact (the refused ones used to make every matched
    answer a 500, or a truncated body)."""
    app = create_app(seed=1)
    with LiveServer(app) as server:
        spec = {"path": "/api/**", "status": 503, "headers": {"Retry-After": "7", "X-Why": "test"}}
        assert requests.post(server.url + "/_mockcanvas/faults", json=spec, timeout=10).ok
        answer = requests.get(server.url + "/api/v1/users/self", timeout=10)
        assert (answer.status_code, answer.headers["Retry-After"], answer.headers["X-Why"]) == (
            503,
            "7",
            "test",
        )
        assert answer.json() == {
            "errors": [{"message": "An error occurred.", "error_code": "service_unavailable"}]
        }


# -- long waits (case 11) ----------------------------------------------------------------------


def test_waits_beyond_the_pool_are_503_and_the_api_still_answers():
    """Four waits on a stalled receiver used to hold all four workers for their whole timeout."""
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    release = threading.Event()
    receiver = Receiver(("hold", release, 60))
    try:
        with LiveServer(app) as server:
            made = requests.post(
                server.url + "/_mockcanvas/subscriptions",
                json={"kind": "webhook", "url": receiver.url},
                timeout=10,
            ).json()
            graded = requests.post(
                server.url + "/_mockcanvas/grades",
                json={"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": "8"},
                timeout=10,
            )
            assert graded.status_code == 200
            wait_url = f"{server.url}/_mockcanvas/subscriptions/{made['id']}/wait?timeout=60"
            with ThreadPoolExecutor(THREADS) as pool:
                waits = [
                    pool.submit(requests.post, wait_url, json={}, timeout=90)
                    for _ in range(THREADS)
                ]
                # Two of the four waits hold the pool's slots; the other two are turned away.
                turned_away = _first_done(waits, 2)
                for answer in (w.result() for w in turned_away):
                    assert answer.status_code == 503
                    assert answer.headers["Retry-After"] == "5"
                    assert answer.json() == message(
                        "too many long waits open (event streams and subscription waits share 2 "
                        "slots, so that the server always keeps workers free); close one or try "
                        "again shortly"
                    )
                # With the pool full, the control API and Canvas routes answer at once.
                health = requests.get(server.url + "/_mockcanvas/health", timeout=10)
                assert health.status_code == 200
                token = store.token_for(store.landmarks["teacher"])
                me = requests.get(
                    server.url + "/api/v1/users/self",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert me.status_code == 200
                stream = requests.get(
                    server.url + "/_mockcanvas/live_events/stream?timeout=0", timeout=10
                )
                assert stream.status_code == 503  # the streams share the same slots
                release.set()
                held = [w.result(timeout=60) for w in waits if w not in turned_away]
            assert [(h.status_code, h.json()["idle"]) for h in held] == [(200, True)] * 2
    finally:
        release.set()
        receiver.stop()


def _first_done(futures, count):
    """The first ``count`` futures to finish (the refused waits answer at once)."""
    done: set = set()
    pending = set(futures)
    while len(done) < count:
        finished, pending = wait(pending, timeout=30, return_when=FIRST_COMPLETED)
        assert finished, "no wait was answered within 30 s"
        done |= finished
    return [f for f in futures if f in done][:count]


def test_a_wait_with_nothing_pending_needs_no_slot(app, tmp_path):
    client = app.test_client()
    made = client.post(
        "/_mockcanvas/subscriptions", json={"kind": "jsonl", "path": str(tmp_path / "e.jsonl")}
    ).get_json()
    streams = streams_of(app)
    taken = [streams.open() for _ in range(streams.cap)]
    try:
        answer = client.post(f"/_mockcanvas/subscriptions/{made['id']}/wait?timeout=5", json={})
        assert (answer.status_code, answer.get_json()["idle"]) == (200, True)
    finally:
        for stop in taken:
            streams.close(stop)


# -- the journal keeps no secrets (case 12) ----------------------------------------------------


REDACTED = [
    # (query as sent, as journaled)
    ("token=control-secret", "token=[FILTERED]"),
    ("access_token=1~abc&per_page=5", "access_token=[FILTERED]&per_page=5"),
    (
        "per_page=5&ACCESS_TOKEN=x&access_token=y",
        "per_page=5&ACCESS_TOKEN=[FILTERED]&access_token=[FILTERED]",
    ),
    ("user%5Bpassword%5D=hunter2&a=1", "user%5Bpassword%5D=[FILTERED]&a=1"),
    ("api_key=k&client_secret=s", "api_key=[FILTERED]&client_secret=[FILTERED]"),
    ("page=2&event_name=grade_change", "page=2&event_name=grade_change"),
    ("token", "token"),  # no value, nothing to hide
]


@pytest.mark.parametrize(("sent", "kept"), REDACTED)
def test_the_journal_filters_secret_query_values(sent, kept):
    app = create_app(seed=1, control_token="control-secret")
    client = app.test_client()
    client.get(f"/_mockcanvas/inspector?{sent}")
    client.get(f"/api/v1/users/self?{sent}")
    journal = client.get(
        "/_mockcanvas/requests", headers={"X-Mockcanvas-Token": "control-secret"}
    ).get_json()
    queries = [(e["path"], e["query"]) for e in journal["requests"]]
    assert queries == [("/_mockcanvas/inspector", kept), ("/api/v1/users/self", kept)]
    for secret in ("control-secret", "1~abc", "hunter2"):
        assert secret not in str(journal["requests"])


def test_a_real_canvas_token_in_the_query_is_filtered_and_still_works():
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    token = store.token_for(store.landmarks["teacher"])
    with LiveServer(app) as server:
        me = requests.get(server.url + "/api/v1/users/self", params={"access_token": token})
        assert me.status_code == 200
        entries = requests.get(server.url + "/_mockcanvas/requests", timeout=10).json()
    (entry,) = [e for e in entries["requests"] if e["path"] == "/api/v1/users/self"]
    assert entry["query"] == "access_token=[FILTERED]"
    assert entry["user_id"] == store.landmarks["teacher"]
    assert token not in str(entries)
