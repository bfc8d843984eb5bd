"""Inner test module for tests/kit/test_pytest_plugin.py, run under ``-p xdist -n 2 --dist each``
(every test on both workers) and ``-W error``.

Each test grades on a fresh world and records which worker served it from which base URL.
"""

import os
from pathlib import Path

import pytest
import requests


def record(request, kind, canvas):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    name = worker + "-" + request.node.name.replace("[", "-").replace("]", "")
    Path(os.environ["MOCKCANVAS_CASE_LOG"], name).write_text(f"{worker} {kind} {canvas.base_url}")


def grade_over_http(canvas, grade):
    student, assignment = canvas.world.student, canvas.world.percent_assignment
    assert canvas.world.submission(student, assignment).grade != grade  # else no event
    reply = requests.put(
        canvas.url(
            f"/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
            f"/submissions/{student.id}"
        ),
        json={"submission": {"posted_grade": grade}},
        headers=canvas.headers(canvas.world.teacher),
    )
    assert reply.status_code == 200, reply.text
    return student


@pytest.mark.parametrize("grade", ["60.5%", "61.5%", "62.5%", "63.5%", "64.5%", "65.5%"])
def test_in_process(request, canvas, canvas_events, grade):
    record(request, "canvas", canvas)
    assert len(canvas_events) == 0
    student = grade_over_http(canvas, grade)
    event = canvas_events.wait_for("grade_change", student_id=student, grade=grade)
    assert event.seq == 1


@pytest.mark.parametrize("grade", ["70.5%", "71.5%", "72.5%", "73.5%", "74.5%", "75.5%"])
def test_live_server(request, canvas_server, canvas_events, grade):
    record(request, "canvas_server", canvas_server)
    assert len(canvas_events) == 0
    student = grade_over_http(canvas_server, grade)
    event = canvas_events.wait_for("grade_change", student_id=student, grade=grade)
    assert event.seq == 1
