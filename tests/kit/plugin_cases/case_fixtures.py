"""Inner test module for tests/kit/test_pytest_plugin.py (run by pytester, not collected directly).

The outer run gives ``mockcanvas_seed = 3`` and ``mockcanvas_base_url = https://ini.canvas.test`` in
the ini file and ``--mockcanvas-seed 4`` on the command line, under ``-W error``. Tests here run in
file order: the second checks that the first one's writes are gone.
"""

import json
import subprocess
import sys

import pytest
import requests

from mockcanvas import create_app, ids, state
from mockcanvas.scenario import resolve


def export(app_or_canvas):
    app = getattr(app_or_canvas, "app", app_or_canvas)
    return json.dumps(state.export_state(app.extensions["mockcanvas"]), sort_keys=True)


def test_grading_through_canvas_rest_emits_grade_change(canvas, canvas_events):
    student, assignment = canvas.world.student, canvas.world.points_assignment
    url = canvas.url(
        f"/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
        f"/submissions/{student.id}"
    )
    reply = requests.put(url, data={"submission[posted_grade]": "17"}, headers=canvas.headers())
    assert reply.status_code == 200
    assert reply.json()["grade"] == "17"
    event = canvas_events.wait_for("grade_change", student_id=student, grade="17")
    assert event.metadata["hostname"] == "ini.canvas.test"
    assert event.body["assignment_id"] == str(ids.global_id(assignment.id))
    assert canvas.world.submission(student, assignment).grade == "17"
    # The helper takes the same write path: a second change, its audit row, its events.
    written = canvas.grade(student, assignment, "18")
    assert written.submission.grade == "18"
    assert [e.name for e in written.events] == ["grade_change", "course_grade_change"]
    page = requests.get(
        canvas.url(f"/api/v1/audit/grade_change/courses/{assignment.course_id}"),
        params={"per_page": 1},
        headers=canvas.headers(),
    ).json()
    assert page["events"][0]["id"] == written.grade_change_event_id
    assert page["events"][0]["grade_after"] == "18"


def test_the_previous_tests_writes_are_gone(canvas, canvas_events):
    assert list(canvas_events) == []
    assert canvas.world.submission(canvas.world.student, canvas.world.points_assignment).grade != (
        "18"
    )
    assert export(canvas) == export(create_app(seed=4))


def test_command_line_beats_ini_and_ini_sets_the_base_url(canvas):
    assert canvas.base_url == "https://ini.canvas.test"
    assert canvas.app.extensions["mockcanvas"].settings.seed == 4
    assert export(canvas) != export(create_app(seed=3))
    with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
        requests.get("https://canvas.test/api/v1/courses/1", headers=canvas.headers())


@pytest.mark.mockcanvas(seed=5)
def test_marker_seed_changes_the_world(canvas):
    assert export(canvas) == export(create_app(seed=5))
    assert (
        canvas.world.student.name
        != create_app(seed=4).extensions["mockcanvas"].store.users[canvas.world.student.id].name
    )


@pytest.mark.mockcanvas(scenario="tiny")
def test_marker_scenario_builds_the_world_from_the_file(canvas, canvas_events):
    people = {p["key"]: p for p in json.loads(resolve("tiny").read_text())["people"]}
    assert canvas.world.alice.name == people["alice"]["name"]
    assert canvas.world.hw1.name == "Homework 1"
    canvas.grade(canvas.world.bob, canvas.world.hw1, "7")
    assert canvas_events.wait_for("grade_change", student_id=canvas.world.bob).body["grade"] == "7"


def test_a_grade_canvas_cannot_read_clears_the_grade(canvas):
    assert canvas.app.extensions["mockcanvas"].settings.strict_grades is False
    written = canvas.grade(canvas.world.student, canvas.world.points_assignment, "banana")
    assert (written.submission.grade, written.submission.score) == (None, None)


@pytest.mark.mockcanvas(strict_grades=True)
def test_marker_strict_grades_refuses_it(canvas):
    from mockcanvas.testing import MockCanvasError

    before = export(canvas)
    with pytest.raises(MockCanvasError) as refused:
        canvas.grade(canvas.world.student, canvas.world.points_assignment, "banana")
    assert (refused.value.status, refused.value.body) == (
        400,
        {"message": "'banana' is not a grade for a points assignment"},
    )
    assert export(canvas) == before


@pytest.mark.mockcanvas(sede=5)
def test_a_misspelt_marker_is_an_error(canvas):
    raise AssertionError("the fixture should have refused the marker")


def test_canvasapi_in_process(canvas):
    written = canvas.grade(canvas.world.student, canvas.world.letter_grade_assignment, "B+")
    course = canvas.canvasapi().get_course(canvas.world.override_course.id)
    newest = next(iter(course.get_grade_change_events()))
    assert newest.id == written.grade_change_event_id
    assert newest.grade_after == "B+"


def test_other_hosts_are_refused_and_loopback_passes(canvas, canvas_server):
    with pytest.raises(requests.ConnectionError):
        requests.get("https://example.org/")
    reply = requests.get(canvas_server.url("/api/v1/users/self"), headers=canvas_server.headers())
    assert reply.status_code == 200
    assert reply.json()["name"] == canvas_server.world.admin.name


CLIENT = """
import json, sys, urllib.parse, urllib.request
base, token, path, grade = sys.argv[1:5]
body = urllib.parse.urlencode({"submission[posted_grade]": grade}).encode()
request = urllib.request.Request(base + path, data=body, method="PUT",
                                 headers={"Authorization": "Bearer " + token})
with urllib.request.urlopen(request) as reply:
    print(reply.status, json.load(reply)["grade"])
"""


def test_live_server_answers_another_process(canvas_server, canvas_events):
    student, assignment = canvas_server.world.student, canvas_server.world.pass_fail_assignment
    path = (
        f"/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
        f"/submissions/{student.id}"
    )
    before = canvas_server.store.submission_for(assignment.id, student.id)
    grade = "incomplete" if before is not None and before.grade == "complete" else "complete"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            CLIENT,
            canvas_server.base_url,
            canvas_server.admin_token,
            path,
            grade,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.split() == ["200", grade], run.stderr
    event = canvas_events.wait_for("grade_change", student_id=student, assignment_id=assignment)
    assert event.metadata["hostname"] == "127.0.0.1"
    assert event.body["grade"] == grade


def test_canvasapi_against_the_live_server(canvas_server):
    from canvasapi import Canvas

    # Built directly: the plugin's filterwarnings mark lets canvasapi's http warning pass -W error.
    direct = Canvas(canvas_server.base_url, canvas_server.admin_token)
    course_id = canvas_server.world.override_course.id
    assert direct.get_course(course_id).name == canvas_server.world.override_course.name
    written = canvas_server.grade(
        canvas_server.world.student, canvas_server.world.quiz_assignment, 4
    )
    events = canvas_server.canvasapi().get_course(course_id).get_grade_change_events()
    assert next(iter(events)).id == written.grade_change_event_id


def test_wait_for_lists_what_arrived(canvas, canvas_events):
    student, other = canvas.world.student, canvas.world.student_no_sis
    canvas.excuse(student, canvas.world.points_assignment)
    with pytest.raises(AssertionError) as failure:
        canvas_events.wait_for("grade_change", timeout=0, student_id=other, excused=True)
    assert str(failure.value).splitlines() == [
        f"no grade_change with student_id=<User {other.id}>, excused=True arrived within 0 s;"
        " 2 event(s) arrived",
        f"  #1 grade_change: student_id='{ids.global_id(student.id)}', excused=(absent)",
        "  #2 course_grade_change: student_id=(absent), excused=(absent)",
    ]
