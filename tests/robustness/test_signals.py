"""``mockcanvas serve`` stops on SIGINT and SIGTERM, whatever it inherited and whatever is stuck.

A script that runs ``mockcanvas serve &`` without job control starts it with SIGINT ignored,
and Python leaves an ignored SIGINT ignored: ``serve`` installs its own handlers. A request stuck
under the write lock must not hold up the shutdown either: after ``--shutdown-timeout`` it is
abandoned, the pending deliveries are still written out, and the process exits 0.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from mockcanvas import create_app
from tests.support import process_group, serve_process

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30  # a safety net for a process that should exit, not a target
SHUTDOWN_TIMEOUT = 1
# How much longer than --shutdown-timeout a stuck shutdown may take to exit: wide, yet shorter
# than the two fixed 5 s waits for stuck workers the shutdown used to add.
EXIT_MARGIN = 7
STOP_SIGNALS = [signal.SIGTERM, signal.SIGINT]
# The suite's tests that run `mockcanvas serve` as a process and stop it with a signal: they must
# pass when pytest itself was started with SIGINT ignored, and leave no process behind.
SERVE_PROCESS_TESTS = [
    "tests/kit/test_cli.py::test_serve_on_a_free_port_with_a_known_admin_token",
    "tests/kit/test_cli.py::test_serve_reads_grades_as_canvas_does_unless_strict_grades",
    "tests/world/test_scenarios.py::test_serve_a_bundled_scenario_over_http",
    "tests/robustness/test_security.py::test_serve_binds_loopback_by_default",
    "tests/robustness/test_security.py::"
    "test_serve_bound_elsewhere_without_a_control_token_warns_that_the_control_api_is_open",
    "tests/robustness/test_security.py::"
    "test_serve_bound_elsewhere_with_a_control_token_does_not_warn_of_an_open_control_api",
    "tests/robustness/test_security.py::test_serve_prints_and_writes_no_private_key",
    "tests/kit/test_servers.py::test_serve_prints_its_port_and_stops_on_sigterm",
    "tests/live_events/test_sinks.py::test_serve_delivers_to_a_jsonl_file_and_flushes_on_sigterm",
]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `cmd &` in a non-interactive shell does


def _dead_port() -> int:
    """A loopback port nothing listens on: a webhook there is down (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("kind", ["waitress", "werkzeug"])
def test_serve_started_with_sigint_ignored_still_stops_on_each_signal(kind, signum):
    with serve_process("--port", "0", "--server", kind, preexec_fn=_ignore_sigint) as process:
        url = process.stdout.readline().strip().split(" serving ")[1]
        assert requests.get(url + "/_mockcanvas/health", timeout=WAIT).status_code == 200
        process.send_signal(signum)
        assert process.wait(timeout=WAIT) == 0


def _processes_marked(marker: str) -> list[int]:
    """The processes whose environment carries ``marker`` (this user's, from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours
        if marker.encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def test_the_serve_process_tests_pass_with_sigint_ignored_and_leave_nothing_running():
    """The serve-process tests in a child pytest started as ``bash -c 'pytest ... & wait'``
    (SIGINT ignored, as for ``bash .ci/run & wait``): all pass, and no process they started is
    left once it ends."""
    marker = f"MOCKCANVAS_SIGNALS_RUN={uuid.uuid4().hex}"
    name, value = marker.split("=")
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command = shlex.join([*pytest, *SERVE_PROCESS_TESTS])
    env = {**os.environ, name: value, "PYTHONUNBUFFERED": "1"}
    with process_group(
        ["bash", "-c", f"{command} & wait $!"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as run:
        output, _ = run.communicate(timeout=600)
        left = _processes_marked(marker)
        for pid in left:  # ours: started by the child run above
            os.kill(pid, signal.SIGKILL)
    assert run.returncode == 0, output
    assert f"{len(SERVE_PROCESS_TESTS) + 1} passed" in output, output  # two server kinds
    assert left == []


@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_request_stuck_under_the_write_lock_does_not_stop_the_shutdown(tmp_path, signum):
    """SIGTERM or SIGINT while requests wait on a write lock that is never released: the process
    exits 0 soon after the shutdown timeout (the one timed check here, with a wide margin), and
    the events the webhook never got are written out."""
    out_dir = tmp_path / "undelivered"
    flags = ["--port", "0", "--webhook", f"http://127.0.0.1:{_dead_port()}/events"]
    flags += ["--shutdown-timeout", str(SHUTDOWN_TIMEOUT), "--undelivered-dir", str(out_dir)]
    world = create_app(seed=1).extensions["mockcanvas"].store  # the world the process serves
    marks = world.landmarks
    grade_path = (
        f"/api/v1/courses/{marks['override_course']}/assignments/"
        f"{marks['points_assignment']}/submissions/{marks['student']}"
    )
    teacher = {"Authorization": f"Bearer {world.token_for(marks['teacher'])}"}
    command = [sys.executable, str(ROOT / "tests" / "support" / "stuck_serve.py"), *flags]
    with process_group(
        command,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        url = process.stdout.readline().strip().split(" serving ")[1]
        banner = [process.stdout.readline().strip() for _ in range(4)]
        assert banner[2].startswith("live events -> subscription 1: webhook")
        answer = requests.put(
            url + grade_path, data={"submission[posted_grade]": "11"}, headers=teacher, timeout=WAIT
        )
        assert answer.status_code == 200
        inbox = requests.get(url + "/_mockcanvas/live_events", timeout=WAIT).json()
        emitted = {entry["id"] for entry in inbox["live_events"]}
        assert len(emitted) == 2  # grade_change and submission_updated, both still pending

        process.stdin.write("hold\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "holding the write lock"
        # Three grading requests, each stuck on the lock in a worker; the fourth worker is free.
        stuck = []
        body = b"submission[posted_grade]=12"
        head = (
            f"PUT {grade_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {teacher['Authorization']}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        port = int(url.rsplit(":", 1)[1])
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            sock.sendall(head + body)
            stuck.append(sock)
        health = requests.get(url + "/_mockcanvas/health", timeout=WAIT)
        assert health.status_code == 200  # answered after the three were taken up

        process.send_signal(signum)
        assert process.wait(timeout=SHUTDOWN_TIMEOUT + EXIT_MARGIN) == 0
        report = process.stdout.read()
        errors = process.stderr.read()
        for sock in stuck:
            assert sock.recv(65536) == b""  # abandoned: closed without an answer
            sock.close()
    target = out_dir / "subscription-1-undelivered.jsonl"
    assert "0 of 2 events delivered" in report
    assert f"subscription 1: 2 undelivered events written to {target}" in report
    written = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert {item["event_id"] for item in written} == emitted
    assert f"request(s) still running after {SHUTDOWN_TIMEOUT} s, abandoned" in errors
