"""No web page can drive or read the control API (issue 14, case 4).

A page on another site can make a browser send a POST with a ``text/plain``, form-encoded or
multipart body, or no body at all, without a CORS preflight; and a DNS-rebinding page reaches the
server under a host name of its own. ``CROSS_SITE`` lists such attempts: each is refused (415 for
a change that is not JSON, 403 for a host the server was not told about) and changes nothing,
in-process and against a real server. Canvas routes still answer any host.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.controls import controls
from mockcanvas.live_server import LiveServer
from mockcanvas.requests_routing import route_requests
from mockcanvas.sinks.registry import registry_for
from mockcanvas.state import export_state
from mockcanvas.testing import MockCanvas
from tests.support import serve_process

NOT_JSON = {
    "message": "a control request that changes something must send Content-Type: "
    "application/json (without a body, the header X-Mockcanvas-Request: 1 will do): a web page "
    "on another site cannot send either without a CORS preflight, which this server never "
    "grants, so it cannot drive the control API. Nothing was changed."
}


def wrong_host(host: str) -> dict:
    return {
        "message": f"the control API does not answer for host {host!r}: only loopback names, IP "
        "addresses and the allowed hosts do, so that a web page cannot reach it through a DNS "
        "name of its own (DNS rebinding). To allow this name, start the server with "
        "--allowed-host NAME (create_app(allowed_hosts=[...]); * allows any)"
    }


SUBSCRIBE = json.dumps({"kind": "webhook", "url": "http://10.0.0.1/steal"})
GRADE = json.dumps({"course_id": 1, "assignment_id": 1, "user_id": 4, "posted_grade": "1"})
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=x"
MULTIPART_BODY = '--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\njsonl\r\n--x--\r\n'


@dataclass(frozen=True)
class Attempt:
    """One request a hostile page could make: how it is sent and what it must get."""

    id: str
    method: str
    path: str
    content_type: str | None = None  # None: no Content-Type header at all
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    host: str | None = None  # the Host header; None: the server's own address
    status: int = 415


CROSS_SITE = [
    # Bodies a page sends without a preflight (a "simple" request).
    Attempt("subscribe-text-plain", "POST", "/_mockcanvas/subscriptions", "text/plain", SUBSCRIBE),
    Attempt("subscribe-form", "POST", "/_mockcanvas/subscriptions", FORM, "kind=jsonl&path=/x"),
    Attempt("subscribe-multipart", "POST", "/_mockcanvas/subscriptions", MULTIPART, MULTIPART_BODY),
    Attempt("subscribe-no-type", "POST", "/_mockcanvas/subscriptions", None, SUBSCRIBE),
    Attempt("grade-text-plain", "POST", "/_mockcanvas/grades", "text/plain", GRADE),
    Attempt("clock-text-plain", "POST", "/_mockcanvas/clock", "text/plain", '{"advance": 9}'),
    Attempt("faults-form", "POST", "/_mockcanvas/faults", FORM, "path=/api/**&status=500"),
    Attempt("throttle-text-plain", "POST", "/_mockcanvas/throttle", "text/plain", '{"maximum":1}'),
    Attempt("state-text-plain", "PUT", "/_mockcanvas/state", "text/plain", '{"users": []}'),
    # No body: a bare POST or DELETE, as a form or fetch(..., {mode: "no-cors"}) sends.
    Attempt("reset-bare", "POST", "/_mockcanvas/reset"),
    Attempt("rotate-bare", "POST", "/_mockcanvas/jwks/rotate"),
    Attempt("reset-form-empty", "POST", "/_mockcanvas/reset", FORM, ""),
    Attempt("clear-inbox-bare", "DELETE", "/_mockcanvas/live_events"),
    Attempt("clear-faults-bare", "DELETE", "/_mockcanvas/faults"),
    Attempt("clear-journal-bare", "DELETE", "/_mockcanvas/requests"),
    Attempt("empty-buckets-bare", "DELETE", "/_mockcanvas/throttle"),
    Attempt("wait-bare", "POST", "/_mockcanvas/subscriptions/1/wait"),
    # The custom header lets only a body-less change through, and only with a value.
    Attempt(
        "reset-blank-header", "POST", "/_mockcanvas/reset", headers=(("X-Mockcanvas-Request", ""),)
    ),
    Attempt(
        "subscribe-header-and-text",
        "POST",
        "/_mockcanvas/subscriptions",
        "text/plain",
        SUBSCRIBE,
        (("X-Mockcanvas-Request", "1"),),
    ),
    # DNS rebinding: the page's own name pointed at 127.0.0.1. Reads are refused too.
    Attempt("world-rebound", "GET", "/_mockcanvas/world", host="evil.example", status=403),
    Attempt("state-rebound", "GET", "/_mockcanvas/state", host="evil.example:8080", status=403),
    Attempt("requests-rebound", "GET", "/_mockcanvas/requests", host="rebind.test", status=403),
    Attempt(
        "world-course-rebound", "GET", "/_mockcanvas/world/courses/1", host="a.b.c", status=403
    ),
    Attempt(
        "localhost-prefix", "GET", "/_mockcanvas/world", host="localhost.evil.example", status=403
    ),
    Attempt("ip-looking-name", "GET", "/_mockcanvas/world", host="127.0.0.1.nip.io", status=403),
    Attempt(
        "reset-rebound-json",
        "POST",
        "/_mockcanvas/reset",
        "application/json",
        "{}",
        host="evil.example",
        status=403,
    ),
]
CROSS_SITE_IDS = [a.id for a in CROSS_SITE]


def expected_body(attempt: Attempt) -> dict:
    if attempt.status == 415:
        return NOT_JSON
    assert attempt.host is not None
    return wrong_host(attempt.host.split(":")[0])


def fingerprint(app) -> tuple:
    """Everything a control request could change, the request journal aside."""
    inst = app.extensions["mockcanvas"]
    ctl = controls(inst)
    return (
        export_state(inst),
        inst.clock.now(),
        len(inst.bus.inbox),
        [f.to_json() for f in ctl.faults.all()],
        [s.describe() for s in registry_for(inst.bus).all()],
        ctl.throttle.config,
        registry_for(inst.bus).keys.jwks(),
    )


@pytest.fixture(scope="module")
def app():
    return create_app(seed=1)


def _headers(attempt: Attempt) -> dict[str, str]:
    headers = dict(attempt.headers)
    if attempt.content_type is not None:
        headers["Content-Type"] = attempt.content_type
    return headers


@pytest.mark.parametrize("attempt", CROSS_SITE, ids=CROSS_SITE_IDS)
def test_in_process_each_attempt_is_refused_and_changes_nothing(app, attempt):
    client = app.test_client()
    ctl = controls(app.extensions["mockcanvas"])
    before = fingerprint(app)
    journal_before = ctl.journal.total
    response = client.open(
        attempt.path,
        method=attempt.method,
        data=attempt.body.encode() if attempt.body is not None else None,
        headers=_headers(attempt),
        base_url=f"http://{attempt.host or 'localhost'}",
    )
    assert (response.status_code, response.get_json()) == (attempt.status, expected_body(attempt))
    assert ctl.journal.total == journal_before + 1  # refused requests are still journaled
    assert fingerprint(app) == before


def test_against_a_real_server_every_attempt_is_refused_and_changes_nothing():
    app = create_app(seed=1)
    with LiveServer(app) as server:
        before = fingerprint(app)
        with requests.Session() as session:
            for attempt in CROSS_SITE:
                headers = _headers(attempt)
                if attempt.host is not None:
                    headers["Host"] = attempt.host
                request = requests.Request(
                    attempt.method,
                    server.url + attempt.path,
                    data=attempt.body.encode() if attempt.body is not None else None,
                    headers=headers,
                )
                prepared = session.prepare_request(request)
                if attempt.content_type is None:
                    prepared.headers.pop("Content-Type", None)
                response = session.send(prepared, timeout=10)
                assert (response.status_code, response.json()) == (
                    attempt.status,
                    expected_body(attempt),
                ), attempt.id
        assert fingerprint(app) == before


# -- what is still let through -----------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST:8080",
        "localhost.",
        "inspector.localhost",
        "127.0.0.1:5000",
        "10.1.2.3",
        "[::1]:8080",
        "[fe80::1]",
    ],
)
def test_loopback_names_and_ip_literals_may_read(app, host):
    response = app.test_client().get("/_mockcanvas/health", headers={"Host": host})
    assert response.status_code == 200


def test_allowed_hosts_add_names_and_star_allows_any():
    named = create_app(seed=1, allowed_hosts=["Mock.Internal."]).test_client()
    assert named.get("/_mockcanvas/health", headers={"Host": "mock.internal:9"}).status_code == 200
    refused = named.get("/_mockcanvas/health", headers={"Host": "other.internal"})
    assert (refused.status_code, refused.get_json()) == (403, wrong_host("other.internal"))
    anything = create_app(seed=1, allowed_hosts=["*"]).test_client()
    assert anything.get("/_mockcanvas/world", headers={"Host": "x.example"}).status_code == 200


@pytest.mark.parametrize("bad", ["", "a b", "mock.internal", [""], [3]])
def test_allowed_hosts_must_be_a_list_of_names(bad):
    with pytest.raises(ValueError, match="allowed"):
        create_app(allowed_hosts=bad)


def test_canvas_routes_answer_any_host_they_need_a_token_anyway(app):
    store = app.extensions["mockcanvas"].store
    token = store.token_for(store.landmarks["admin"])
    client = app.test_client()
    answered = client.get(
        "/api/v1/users/self",
        headers={"Host": "evil.example", "Authorization": f"Bearer {token}"},
    )
    assert answered.status_code == 200
    anonymous = client.get("/api/v1/users/self", headers={"Host": "evil.example"})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("POST", "/_mockcanvas/reset", {"json": {}}),
        ("POST", "/_mockcanvas/reset", {"headers": {"X-Mockcanvas-Request": "1"}}),
        ("POST", "/_mockcanvas/jwks/rotate", {"headers": {"X-Mockcanvas-Request": "yes"}}),
        ("DELETE", "/_mockcanvas/live_events", {"headers": {"X-Mockcanvas-Request": "1"}}),
        ("POST", "/_mockcanvas/clock", {"json": {"advance": 0}}),
        (
            "POST",
            "/_mockcanvas/throttle",
            {"data": '{"enabled": false}', "content_type": "application/json; charset=utf-8"},
        ),
    ],
)
def test_json_or_the_custom_header_gets_through(app, method, path, kw):
    assert app.test_client().open(path, method=method, **kw).status_code == 200


def test_unknown_routes_and_methods_stay_404(app):
    for method in ("POST", "DELETE"):
        response = app.test_client().open("/_mockcanvas/nothing", method=method)
        assert response.status_code == 404


def test_the_test_handle_and_routed_requests_allow_their_own_base_url():
    app = create_app(seed=1)
    handle = MockCanvas(app, "https://canvas.test")
    assert handle.control("POST", "/_mockcanvas/reset")["reset"] is True  # body-less: the header
    assert handle.control("GET", "/_mockcanvas/health")["status"] == "ok"
    with route_requests(app, "https://lms.example:8443"):
        world = requests.get("https://lms.example:8443/_mockcanvas/world", timeout=10)
        assert world.status_code == 200
        reset = requests.post("https://lms.example:8443/_mockcanvas/reset", json={}, timeout=10)
        assert reset.status_code == 200
    other = app.test_client().get("/_mockcanvas/world", headers={"Host": "elsewhere.example"})
    assert other.status_code == 403


# -- serve --allowed-host ----------------------------------------------------------------------


def test_serve_allows_its_own_host_and_allowed_hosts_only():
    flags = ("--port", "0", "--allowed-host", "mock.internal", "--allowed-host", "ci.example")
    with serve_process(*flags) as process:
        url = process.stdout.readline().strip().split(" serving ")[1]
        for host, status in [
            ("mock.internal", 200),
            ("CI.example:80", 200),
            ("127.0.0.1", 200),
            ("localhost", 200),
            ("evil.example", 403),
        ]:
            got = requests.get(url + "/_mockcanvas/world", headers={"Host": host}, timeout=10)
            assert got.status_code == status, host
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_serve_refuses_a_bad_allowed_host():
    done = subprocess.run(
        [sys.executable, "-m", "mockcanvas", "serve", "--port", "0", "--allowed-host", "a b"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--allowed-host: not a host name (or *): 'a b'" in done.stderr
