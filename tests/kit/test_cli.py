"""The ``mockcanvas`` command as users run it: a real process, a real port."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.support import serve_process

TOKEN = "1~known-admin-token-for-the-cli-test"


@contextmanager
def serving(*flags: str) -> Iterator[subprocess.Popen]:
    """``mockcanvas serve --port 0 --admin-token TOKEN *flags`` as a real process; SIGINT at the
    end must exit 0 (even when this test runs with SIGINT ignored, as ``cmd &`` in a script
    starts it), and nothing of it outlives the test."""
    with serve_process("--port", "0", "--admin-token", TOKEN, *flags) as process:
        yield process
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_serve_on_a_free_port_with_a_known_admin_token():
    with serving() as process:
        banner = process.stdout.readline().strip()
        assert banner.startswith("mockcanvas ") and " serving http://127.0.0.1:" in banner
        url = banner.split(" serving ")[1]
        assert not url.endswith(":0") and not url.endswith(":8080")
        assert process.stdout.readline().strip() == f"admin token: {TOKEN}"
        response = requests.get(
            f"{url}/api/v1/audit/grade_change/courses/1",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert len(response.json()["events"]) == 10


def test_world_lists_landmarks_and_tokens():
    result = subprocess.run(
        [sys.executable, "-m", "mockcanvas", "world", "--seed", "3", "--admin-token", TOKEN],
        capture_output=True,
        text=True,
        check=True,
    )
    world = json.loads(result.stdout)
    admin_id = world["landmarks"]["admin"]
    [admin] = [u for u in world["users"] if u["id"] == admin_id]
    assert admin["token"] == TOKEN
    assert "AccountAdmin" in admin["roles"]
    assert world["grade_changes"] > 300
    again = subprocess.run(
        [sys.executable, "-m", "mockcanvas", "world", "--seed", "3", "--admin-token", TOKEN],
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout == result.stdout


def _graded(url: str, posted: str) -> tuple[int, dict]:
    response = requests.put(
        f"{url}/api/v1/courses/1/assignments/3/submissions/4",
        json={"submission": {"posted_grade": posted}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    return response.status_code, response.json()


def test_serve_reads_grades_as_canvas_does_unless_strict_grades():
    """Canvas clears a grade it cannot read; ``--strict-grades`` answers 400 instead."""
    answers = {}
    for flags in ([], ["--strict-grades"]):
        with serving(*flags) as process:
            url = process.stdout.readline().strip().split(" serving ")[1]
            answers[tuple(flags)] = (_graded(url, "A++"), _graded(url, "7"))
    (status, body), (then, seven) = answers[()]
    assert (status, body["grade"], body["score"]) == (200, None, None)
    assert (then, seven["grade"], seven["score"]) == (200, "7", 7.0)
    (status, body), (then, seven) = answers[("--strict-grades",)]
    assert (status, body) == (400, {"message": "'A++' is not a grade for a points assignment"})
    assert (then, seven["grade"], seven["score"]) == (200, "7", 7.0)
