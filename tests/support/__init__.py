"""Test helpers: a client that checks every response against the schemas, and brute-force oracles.

The oracles re-derive Canvas's rules by scanning every audit row, independently of the indexed
code paths they check.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from mockcanvas import schemas
from mockcanvas.live_server import serve  # noqa: F401  (the tests import it from here)
from mockcanvas.requests_routing import allow_base_url
from mockcanvas.store import Store

BASE = "http://canvas.test"
NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}
UNAUTHORIZED = {
    "status": "unauthorized",
    "errors": [{"message": "user not authorized to perform that action"}],
}
UNAUTHENTICATED = {
    "status": "unauthenticated",
    "errors": [{"message": "user authorization required"}],
}


_SCHEMA_BY_PATH = [
    (re.compile(r"^/api/v1/audit/grade_change(/|$)"), "grade_change_compound"),
    (re.compile(r"^/api/v1/courses/[^/]+/assignments/[^/]+/submissions/[^/]+$"), "submission"),
    (re.compile(r"^/api/v1/courses/[^/]+/assignments/[^/]+$"), "assignment"),
    (re.compile(r"^/api/v1/courses/[^/]+/assignments$"), "assignment[]"),
    (re.compile(r"^/api/v1/courses/[^/]+/(users|students)$"), "user[]"),
    (re.compile(r"^/api/v1/courses/[^/]+$"), "course"),
    (re.compile(r"^/api/v1/users/[^/]+$"), "user"),
    # Control routes: one path may answer several shapes (by method), so "a|b" means either.
    (re.compile(r"^/_mockcanvas/health$"), "control_health"),
    (re.compile(r"^/_mockcanvas/(grades|overrides|post_grades)$"), "control_write_result"),
    (re.compile(r"^/_mockcanvas/reset$"), "control_reset"),
    (re.compile(r"^/_mockcanvas/world$"), "control_world"),
    (re.compile(r"^/_mockcanvas/clock$"), "control_clock"),
    (re.compile(r"^/_mockcanvas/live_events$"), "control_live_events|control_deleted"),
    (re.compile(r"^/_mockcanvas/faults$"), "control_faults|control_fault|control_deleted"),
    (re.compile(r"^/_mockcanvas/faults/[^/]+$"), "control_fault|control_deleted"),
    (re.compile(r"^/_mockcanvas/throttle$"), "control_throttle|control_deleted"),
    (re.compile(r"^/_mockcanvas/state$"), "control_state|control_state_import"),
    (re.compile(r"^/_mockcanvas/requests$"), "control_requests|control_deleted"),
    (re.compile(r"^/_mockcanvas/jwks$"), "control_jwks"),
    (re.compile(r"^/_mockcanvas/jwks/rotate$"), "control_jwks_rotate"),
    (re.compile(r"^/_mockcanvas/subscriptions$"), "control_subscriptions|control_subscription"),
    (
        re.compile(r"^/_mockcanvas/subscriptions/[^/]+$"),
        "control_subscription_detail|control_subscription",
    ),
    (re.compile(r"^/_mockcanvas/subscriptions/[^/]+/reactivate$"), "control_subscription"),
    (re.compile(r"^/_mockcanvas/subscriptions/[^/]+/redeliver$"), "control_subscription_redeliver"),
    (re.compile(r"^/_mockcanvas/subscriptions/[^/]+/wait$"), "control_wait"),
]


def schema_for(path: str, status: int) -> str | None:
    if status >= 400:
        return "error"
    for pattern, name in _SCHEMA_BY_PATH:
        if pattern.match(path):
            return name
    return None


def check(path: str, status: int, body: object) -> None:
    name = schema_for(path, status)
    assert name is not None, f"no schema known for {status} {path}"
    if name.endswith("[]"):
        assert isinstance(body, list)
        for item in body:
            schemas.validate(name[:-2], item)
    elif "|" in name:
        validate_any(name.split("|"), body)
    else:
        schemas.validate(name, body)


def validate_any(names: list[str], body: object) -> None:
    """The body must meet one of the schemas; if none, raise the closest one's failure."""
    failures = []
    for name in names:
        found = schemas.issues(name, body)
        if not found:
            return
        failures.append(schemas.PayloadInvalid(name, found))
    raise min(failures, key=lambda failure: len(failure.issues))


# -- real processes -------------------------------------------------------------------------------


@contextmanager
def process_group(command: list[str], **popen) -> Iterator[subprocess.Popen]:
    """``command`` in a process group of its own; on the way out, whatever still runs in that
    group is killed and the process reaped, so a failing test leaves no server behind."""
    process = subprocess.Popen(command, start_new_session=True, **popen)
    try:
        yield process
    finally:
        with suppress(ProcessLookupError, PermissionError):  # the group is gone already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def serve_process(*flags: str, **popen) -> Iterator[subprocess.Popen]:
    """``python -m mockcanvas serve *flags`` with text pipes for stdout and stderr (unbuffered),
    in a process group that is killed at the end (see ``process_group``)."""
    options = {
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        "env": {**os.environ, "PYTHONUNBUFFERED": "1"},
        **popen,
    }
    with process_group([sys.executable, "-m", "mockcanvas", "serve", *flags], **options) as child:
        yield child


class CheckedClient:
    """Flask's test client with a token helper; JSON answers must meet their schema."""

    def __init__(self, app, store: Store) -> None:
        self.client = app.test_client()
        self.store = store
        # Its control calls go to BASE, a name the control API's Host check must be told of.
        allow_base_url(app, BASE)

    def token(self, landmark_or_user_id: str | int) -> str:
        user_id = (
            self.store.landmarks[landmark_or_user_id]
            if isinstance(landmark_or_user_id, str)
            else landmark_or_user_id
        )
        token = self.store.token_for(user_id)
        assert token, f"user {user_id} has no token"
        return token

    def get(self, path: str, as_: str | int | None = "admin", query=None, headers=None, **kw):
        headers = dict(headers or {})
        if as_ is not None:
            headers.setdefault("Authorization", f"Bearer {self.token(as_)}")
        response = self.client.get(path, query_string=query, headers=headers, base_url=BASE, **kw)
        if response.mimetype == "application/json":
            check(path.split("?")[0], response.status_code, response.get_json())
        return response

    def request(self, method: str, path: str, **kw):
        response = self.client.open(path, method=method, base_url=BASE, **kw)
        if response.mimetype == "application/json":
            check(path.split("?")[0], response.status_code, response.get_json())
        return response

    def post(self, path: str, **kw):
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)


def parse_links(header: str) -> dict[str, str]:
    """``Link`` header -> {rel: url}, keeping order in the dict."""
    links = {}
    for part in header.split(","):
        match = re.match(r'^<([^>]+)>; rel="([^"]+)"$', part.strip())
        assert match, f"malformed link {part!r}"
        links[match.group(2)] = match.group(1)
    return links


def newest_first(rows):
    return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)


def check_live_event(payload: dict) -> None:
    """A Live Event must meet its event's schema (live_event_<event_name>.json), which includes
    the envelope and the metadata form (request or job)."""
    schemas.validate(f"live_event_{payload['metadata']['event_name']}", payload)
