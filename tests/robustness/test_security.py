"""Security defaults, as users meet them: a real ``serve`` process, real sockets, real receivers.

- ``serve`` binds 127.0.0.1 unless told otherwise; bound elsewhere without ``--control-token`` it
  warns on stderr that the control API is open and how to guard it (with a token: only a note that
  seeded tokens are predictable).
- With a control token, every ``/_mockcanvas/`` route needs it but the contract documents
  (``openapi.json`` and ``schemas/*.json``), which hold no data.
- Private signing keys are never served, logged or written: not by any route, not in the state,
  the inbox, the journal, the delivery logs, JSONL or undelivered files, nor on stdout/stderr.
- Webhooks go only where the user pointed them: redirects are not followed, a state import cannot
  add subscriptions or make the server call anything, and URLs with credentials or other schemes
  are refused when subscribing.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
import requests
from jwt.algorithms import RSAAlgorithm

from mockcanvas import create_app, state
from mockcanvas.cli import exposure_warning
from mockcanvas.http.inspector import STATIC_PREFIX
from mockcanvas.http.inspector import is_public as inspector_page
from mockcanvas.http.openapi import is_public
from mockcanvas.instance import current_instance
from mockcanvas.live_server import LiveServer
from mockcanvas.openapi import build
from mockcanvas.schemas import names as schema_names
from mockcanvas.sinks import registry as sinks
from tests.support import UNAUTHENTICATED
from tests.support.receiver import Receiver

CONTROL_TOKEN = "security-control-token"
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 2}
JWK_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")
PUBLIC_JWK_MEMBERS = {"kty", "kid", "use", "alg", "n", "e"}
WAIT = 15


# -- a real `serve` process --------------------------------------------------------------------


class Served:
    """``python -m mockcanvas serve ...`` until stopped; stdout and stderr kept whole."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockcanvas", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.head: list[str] = []
        for _ in range(20):
            line = self.process.stdout.readline()
            assert line, f"serve exited: {self.process.stderr.read()}"
            self.head.append(line)
            match = re.search(r" serving http://(\S+):(\d+)$", line.strip())
            if match:
                self.host, self.port = match.group(1), int(match.group(2))
                break
        else:  # pragma: no cover
            raise AssertionError(f"no banner in {self.head}")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> tuple[str, str]:
        """SIGINT (Ctrl-C), then everything it wrote."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, err
        return "".join(self.head) + out, err


def listening_addresses(port: int) -> set[str]:
    """The local addresses of sockets LISTENing on ``port``, read from /proc/net/tcp{,6}."""
    found = set()
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, _, status = line.split()[1:4]
            address, port_hex = local.split(":")
            if status != "0A" or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_serve_binds_loopback_by_default():
    served = Served()
    try:
        assert served.host == "127.0.0.1"
        assert listening_addresses(served.port) == {"127.0.0.1"}
        assert requests.get(served.url + "/_mockcanvas/health", timeout=10).status_code == 200
    finally:
        _, err = served.stop()
    assert "warning" not in err and "note" not in err


def test_serve_bound_elsewhere_without_a_control_token_warns_that_the_control_api_is_open():
    served = Served("--host", "0.0.0.0")
    try:
        assert listening_addresses(served.port) == {"0.0.0.0"}
        # What the warning says: anyone reaching the port drives the control API.
        assert requests.get(served.url + "/_mockcanvas/state", timeout=10).status_code == 200
    finally:
        _, err = served.stop()
    warning = exposure_warning("0.0.0.0", None)
    assert warning is not None and warning in err.splitlines()
    assert warning.startswith("warning: serving on 0.0.0.0 without --control-token: ")
    assert "control API (/_mockcanvas/" in warning and "--control-token TOKEN" in warning


def test_serve_bound_elsewhere_with_a_control_token_does_not_warn_of_an_open_control_api():
    served = Served("--host", "0.0.0.0", "--control-token", CONTROL_TOKEN)
    try:
        health = served.url + "/_mockcanvas/health"
        refused = requests.get(health, timeout=10)
        assert (refused.status_code, refused.json()) == (401, UNAUTHENTICATED)
        allowed = requests.get(health, headers={"X-Mockcanvas-Token": CONTROL_TOKEN}, timeout=10)
        assert allowed.status_code == 200
    finally:
        out, err = served.stop()
    assert "warning" not in err
    note = exposure_warning("0.0.0.0", CONTROL_TOKEN)
    assert note is not None and note in err.splitlines()
    assert note.startswith("note: serving on 0.0.0.0: the control API needs the control token")
    assert "seeded tokens follow from the seed" in note
    assert CONTROL_TOKEN not in out + err  # the token is never echoed


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("canvas.example.test", False),
    ],
)
def test_only_loopback_hosts_are_quiet(host, loopback):
    assert (exposure_warning(host, None) is None) is loopback
    assert (exposure_warning(host, CONTROL_TOKEN) is None) is loopback


# -- the control token -------------------------------------------------------------------------


def _control_rules(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/_mockcanvas")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def _fill(rule: str) -> str:
    if rule.startswith(STATIC_PREFIX):
        return STATIC_PREFIX + "inspector.js"
    return re.sub(r"<([a-z_]+)>", lambda m: "error" if m.group(1) == "name" else "1", rule)


def _public(path: str) -> bool:
    return is_public(path) or inspector_page(path)


def test_with_a_control_token_only_the_contract_documents_are_open():
    """Every control route answers 401 without the token, except ``openapi.json``, the schema
    files and the inspector page's files (no data in any); the OpenAPI document says the same
    (no security on exactly those)."""
    app = create_app(control_token=CONTROL_TOKEN)
    opened = set()
    with LiveServer(app) as server, requests.Session() as session:
        for rule, method in _control_rules(app):
            response = session.request(method, server.url + _fill(rule), timeout=10)
            if response.status_code != 401:
                opened.add((rule, method))
                assert response.status_code == 200
            else:
                assert response.json() == UNAUTHENTICATED
                assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    assert opened == {
        ("/_mockcanvas/openapi.json", "GET"),
        ("/_mockcanvas/schemas/<name>.json", "GET"),
        ("/_mockcanvas/inspector", "GET"),
        ("/_mockcanvas/inspector/static/<name>", "GET"),
    }
    doc = build(control_token=True)
    for path, item in doc["paths"].items():
        if not path.startswith("/_mockcanvas"):
            continue
        for method, operation in item.items():
            served_path = re.sub(r"\{([a-z_]+)\}", "x", path)
            assert (operation["security"] == []) is _public(served_path), (method, path)


def test_without_a_control_token_the_control_api_is_open_as_documented():
    with LiveServer(create_app()) as server:
        assert requests.get(server.url + "/_mockcanvas/health", timeout=10).status_code == 200


# -- private signing keys ----------------------------------------------------------------------


def _b64url_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def private_forms(private_key) -> list[str]:
    """Every form the private half could leak in: d, p, q, dp, dq and qi as decimal, hex,
    base64url (a JWK's form) and base64 (inside a PEM or DER body they are not aligned to
    base64 boundaries, and a PEM body also holds the public modulus, so those are covered by the
    "PRIVATE KEY" header check). A 48-character prefix is unmistakable."""
    numbers = private_key.private_numbers()
    values = [numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp]
    forms = []
    for value in values:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        forms += [str(value), format(value, "x"), _b64url_int(value)]
        forms.append(base64.b64encode(raw).decode())
    return [f[:48] for f in forms]


def check_public_jwks(jwks: dict) -> None:
    assert jwks["keys"], "a JWKS with keys"
    for key in jwks["keys"]:
        assert set(key) == PUBLIC_JWK_MEMBERS
        assert not set(key) & set(JWK_PRIVATE_MEMBERS)


def _ring_keys(inst) -> list:
    ring = sinks.registry_for(inst.bus).keys
    return [k for k in (ring._previous, ring._current, ring._next) if k is not None]


def _teacher_grade(session, url: str, store, grade: str) -> None:
    marks = store.landmarks
    response = session.put(
        f"{url}/api/v1/courses/{marks['override_course']}/assignments/"
        f"{marks['points_assignment']}/submissions/{marks['student']}",
        data={"submission[posted_grade]": grade},
        headers={"Authorization": f"Bearer {store.token_for(marks['teacher'])}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_private_keys_are_never_served_logged_or_written(tmp_path, caplog):
    """A signed webhook delivers, keys rotate twice, a dead receiver leaves undelivered events;
    then every GET route, the exported state, the receiver's bodies, the JSONL and undelivered
    files and every log record are searched for any form of the three private keys."""
    caplog.set_level(logging.DEBUG)
    receiver = Receiver()
    app = create_app(control_token=CONTROL_TOKEN)
    with app.app_context():
        inst = current_instance()
    store = inst.store
    control = {"Authorization": f"Bearer {CONTROL_TOKEN}"}
    blobs: dict[str, bytes] = {}
    jsonl = tmp_path / "events.jsonl"
    dead_url = f"http://127.0.0.1:{_closed_port()}/gone"
    try:
        with LiveServer(app) as server, requests.Session() as session:
            for spec in (
                {"kind": "webhook", "url": receiver.url, "signed": True, **FAST},
                {"kind": "webhook", "url": dead_url, "signed": True, "max_attempts": 1, **FAST},
                {"kind": "jsonl", "path": str(jsonl)},
            ):
                made = session.post(
                    server.url + "/_mockcanvas/subscriptions",
                    json=spec,
                    headers=control,
                    timeout=10,
                )
                assert made.status_code == 201, made.text
            for n, grade in enumerate(("3", "4", "5")):
                _teacher_grade(session, server.url, store, grade)
                if n < 2:
                    rotated = session.post(
                        server.url + "/_mockcanvas/jwks/rotate",
                        headers=control,
                        timeout=10,
                        json={},
                    )
                    assert rotated.status_code == 200
                    check_public_jwks(rotated.json())
                    blobs[f"rotate {n}"] = rotated.content
            for subscription in sinks.registry_for(inst.bus).all():
                assert subscription.wait_idle(WAIT)
            for rule, method in _control_rules(app):
                if method != "GET":
                    continue
                paths = [_fill(rule)]
                if "<subscription_id>" in rule:
                    paths = [rule.replace("<subscription_id>", str(i)) for i in (1, 2, 3)]
                if "<name>" in rule:
                    paths = [rule.replace("<name>", name) for name in schema_names()]
                for path in paths:
                    got = session.get(server.url + path, headers=control, timeout=10)
                    assert got.status_code in (200, 404), path
                    blobs[path] = got.content
            for path in ("/api/v1/audit/grade_change/courses/1", "/api/v1/users/self"):
                got = session.get(
                    server.url + path,
                    headers={
                        "Authorization": f"Bearer {store.token_for(store.landmarks['admin'])}"
                    },
                    timeout=10,
                )
                blobs[path] = got.content
            check_public_jwks(json.loads(blobs["/_mockcanvas/jwks"]))
            keys = _ring_keys(inst)
        subscriptions = sinks.shutdown(inst.bus, timeout=5)
        written = sinks.write_undelivered(subscriptions, tmp_path / "undelivered")
        assert written, "the dead receiver left events to write out"
    finally:
        receiver.stop()
    assert len(keys) == 3
    public = {k["kid"]: k for k in json.loads(blobs["/_mockcanvas/jwks"])["keys"]}
    assert set(public) == {k.kid for k in keys}

    jwts = [r.body for r in receiver.requests]
    assert jwts, "the receiver got signed events"
    kids = {jwt.get_unverified_header(token.decode())["kid"] for token in jwts}
    assert len(kids) == 3, "events were signed with each of the three keys in turn"
    for token in jwts:  # signed with the private keys the search below looks for
        kid = jwt.get_unverified_header(token.decode())["kid"]
        key = jwt.PyJWK(public[kid]) if kid in public else None
        if key is not None:
            jwt.decode(token, key.key, algorithms=["RS256"])
    blobs["receiver"] = b"\n".join(jwts)
    blobs["state"] = json.dumps(state.export_state(inst)).encode()
    blobs["jsonl"] = jsonl.read_bytes()
    for _, path, _ in written:
        blobs[str(path)] = path.read_bytes()
    blobs["log"] = caplog.text.encode()
    blobs["reprs"] = repr(keys).encode() + repr(sinks.registry_for(inst.bus).keys).encode()

    secrets = [form for key in keys for form in private_forms(key.private)]
    assert len(secrets) == 3 * 6 * 4
    # The search finds a private key where there is one: a private JWK of the current key.
    leaked = json.dumps(RSAAlgorithm.to_jwk(keys[1].private, as_dict=True)).encode()
    numbers = keys[1].private.private_numbers()
    for value in (numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp):
        assert _b64url_int(value)[:48].encode() in leaked
    for where, blob in blobs.items():
        assert b"PRIVATE KEY" not in blob, where
        for secret in secrets:
            assert secret.encode() not in blob, f"private key material in {where}"
        for match in re.finditer(rb'"(d|p|q|dp|dq|qi)"\s*:\s*"[A-Za-z0-9_-]{40,}"', blob):
            raise AssertionError(f"a JWK private member in {where}: {match.group(0)[:20]!r}")


def test_serve_prints_and_writes_no_private_key(tmp_path):
    """The same through a ``serve`` process: its stdout, stderr, JSONL and undelivered files hold
    no private key, and its JWKS (served, and after a rotation) only public members."""
    receiver = Receiver()
    jsonl, undelivered = tmp_path / "events.jsonl", tmp_path / "undelivered"
    dead_url = f"http://127.0.0.1:{_closed_port()}/gone"
    served = Served(
        "--control-token", CONTROL_TOKEN,
        "--webhook-signed", receiver.url,
        "--webhook-signed", dead_url,
        "--jsonl", str(jsonl),
        "--undelivered-dir", str(undelivered),
        "--shutdown-timeout", "1",
    )  # fmt: skip
    control = {"X-Mockcanvas-Token": CONTROL_TOKEN}
    served_jwks = []
    try:
        with requests.Session() as session:
            marks = session.get(
                served.url + "/_mockcanvas/world", headers=control, timeout=10
            ).json()["landmarks"]
            for grade in ("6", "7"):
                graded = session.post(
                    served.url + "/_mockcanvas/grades",
                    json={
                        "course_id": marks["override_course"],
                        "assignment_id": marks["points_assignment"],
                        "user_id": marks["student"],
                        "posted_grade": grade,
                    },
                    headers=control,
                    timeout=10,
                )
                assert graded.status_code == 200, graded.text
                rotated = session.post(
                    served.url + "/_mockcanvas/jwks/rotate", headers=control, timeout=10, json={}
                )
                assert rotated.status_code == 200
                served_jwks.append(rotated.json())
            served_jwks.append(
                session.get(served.url + "/_mockcanvas/jwks", headers=control, timeout=10).json()
            )
            assert receiver.wait_for(1)
    finally:
        out, err = served.stop()
        receiver.stop()
    files = {
        "stdout": out.encode(),
        "stderr": err.encode(),
        "jsonl": jsonl.read_bytes(),
        **{str(p): p.read_bytes() for p in sorted(undelivered.glob("*"))},
        "receiver": b"\n".join(r.body for r in receiver.requests),
    }
    assert any(name.endswith("-undelivered.jsonl") for name in files), "dead events written out"
    for where, blob in files.items():
        assert b"PRIVATE KEY" not in blob, where
        assert not re.search(rb'"(d|p|q|dp|dq|qi)"\s*:\s*"[A-Za-z0-9_-]{40,}"', blob), where
    for jwks in served_jwks:
        check_public_jwks(jwks)
    assert CONTROL_TOKEN not in out + err


# -- webhooks go only where the user pointed them ----------------------------------------------


class Redirector:
    """A receiver that answers every POST with ``status`` and ``Location: <elsewhere>``."""

    def __init__(self, status: int, location: str) -> None:
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(handler) -> None:  # the handler; self is the Redirector
                handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
                self.hits += 1
                handler.send_response(status)
                handler.send_header("Location", location)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Canary:
    """A listening socket that only counts who connects to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/canary"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_event_is_dead_lettered(status):
    target = Receiver()
    redirector = Redirector(status, target.url)
    app = create_app()
    with app.app_context():
        inst = current_instance()
    try:
        with LiveServer(app) as server, requests.Session() as session:
            made = session.post(
                server.url + "/_mockcanvas/subscriptions",
                json={"kind": "webhook", "url": redirector.url, "max_attempts": 3, **FAST},
                timeout=10,
            )
            assert made.status_code == 201
            subscription = sinks.registry_for(inst.bus).get(made.json()["id"])
            _teacher_grade(session, server.url, inst.store, "9")
            assert subscription.wait_idle(WAIT)
        emitted = len(inst.bus.inbox)
        counts = subscription.counts()
        assert emitted > 0
        assert (counts["submitted"], counts["dead"], counts["delivered"]) == (emitted, emitted, 0)
        assert counts["attempts"] == emitted  # final at once: a redirect is not retried either
        assert redirector.hits == emitted
        assert target.requests == []
        outcomes = {(e["outcome"], e["status"]) for e in subscription.log()}
        assert outcomes == {("dead", status)}
    finally:
        sinks.shutdown(inst.bus, timeout=2)
        redirector.stop()
        target.stop()


def test_a_state_import_cannot_add_subscriptions_or_send_the_server_anywhere():
    """PUT /_mockcanvas/state refuses a ``subscriptions`` key; a state full of a canary's URL (in
    names, emails, page view URLs) imports, yet nothing ever connects to the canary, while the
    configured receiver gets every event."""
    canary, receiver = Canary(), Receiver()
    app = create_app()
    with app.app_context():
        inst = current_instance()
    try:
        with LiveServer(app) as server, requests.Session() as session:
            made = session.post(
                server.url + "/_mockcanvas/subscriptions",
                json={"kind": "webhook", "url": receiver.url, **FAST},
                timeout=10,
            )
            assert made.status_code == 201
            exported = session.get(server.url + "/_mockcanvas/state", timeout=10).json()
            spec = {"kind": "webhook", "url": canary.url}
            sneaky = session.put(
                server.url + "/_mockcanvas/state",
                json={**exported, "subscriptions": [spec]},
                timeout=10,
            )
            assert (sneaky.status_code, sneaky.json()) == (
                400,
                {"message": "the state's keys: unknown subscriptions"},
            )
            assert [s.id for s in sinks.registry_for(inst.bus).all()] == [made.json()["id"]]

            planted = _plant(exported, canary.url)
            assert planted > 50
            imported = session.put(server.url + "/_mockcanvas/state", json=exported, timeout=10)
            assert imported.status_code == 200, imported.text
            headers = {"Referer": canary.url, "X-Forwarded-Host": canary.url, "Origin": canary.url}
            _teacher_grade(session, server.url, inst.store, "8")
            admin = inst.store.token_for(inst.store.landmarks["admin"])
            for path in ("/api/v1/audit/grade_change/courses/1", "/api/v1/courses/1/users"):
                got = session.get(
                    server.url + path,
                    headers={**headers, "Authorization": f"Bearer {admin}"},
                    timeout=10,
                )
                assert got.status_code == 200
            subscription = sinks.registry_for(inst.bus).get(made.json()["id"])
            assert subscription.wait_idle(WAIT)
        counts = subscription.counts()
        assert counts["delivered"] == counts["submitted"] == len(inst.bus.inbox) > 0
        assert canary.connections == 0
    finally:
        sinks.shutdown(inst.bus, timeout=2)
        receiver.stop()
        canary.stop()


def _plant(data: dict, url: str) -> int:
    """Put ``url`` into every name, email, URL and referrer string of the exported world."""
    planted = 0
    for table in ("users", "courses", "assignments", "page_views"):
        for row in data[table]:
            for key in list(row):
                if isinstance(row[key], str) and re.search(
                    r"name|email|url|referrer|user_agent", key
                ):
                    row[key] = url
                    planted += 1
    return planted


BAD_TARGETS = [
    ("http://user:secret@127.0.0.1:9/hook", "must not hold credentials"),
    ("http://user@127.0.0.1:9/hook", "must not hold credentials"),
    ("https://:secret@127.0.0.1/hook", "must not hold credentials"),
    ("file:///etc/passwd", "must be an http:// or https:// URL"),
    ("ftp://127.0.0.1/pub", "must be an http:// or https:// URL"),
    ("gopher://127.0.0.1:70/_x", "must be an http:// or https:// URL"),
    ("javascript:alert(1)", "must be an http:// or https:// URL"),
    ("//127.0.0.1/hook", "must be an http:// or https:// URL"),
    ("http:///hook", "must name a host"),
    ("http://127.0.0.1:99999/hook", "has an invalid port"),
]


@pytest.mark.parametrize(("url", "problem"), BAD_TARGETS)
@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "webhook", "url": None},
        {"kind": "webhook", "signed": True, "url": None},
        {"kind": "sqs", "queue_url": None},
        {"kind": "sqs", "queue_url": "http://127.0.0.1:9/q", "endpoint_url": None},
    ],
    ids=["webhook", "signed", "sqs-queue", "sqs-endpoint"],
)
def test_urls_with_credentials_or_other_schemes_are_refused_when_subscribing(url, problem, spec):
    app = create_app()
    with app.app_context():
        inst = current_instance()
    key = next(k for k, v in spec.items() if v is None)
    with LiveServer(app) as server:
        response = requests.post(
            server.url + "/_mockcanvas/subscriptions", json={**spec, key: url}, timeout=10
        )
    assert (response.status_code, response.json()) == (400, {"message": f"{key} {problem}"})
    assert b"secret" not in response.content
    assert sinks.registry_for(inst.bus).all() == []


@pytest.mark.parametrize("flag", ["--webhook", "--webhook-signed"])
def test_serve_refuses_such_a_url_before_serving(flag):
    result = subprocess.run(
        [sys.executable, "-m", "mockcanvas", "serve", "--port", "0", flag, "file:///etc/passwd"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "mockcanvas serve: error: url must be an http:// or https:// URL"
    )
    assert " serving " not in result.stdout
