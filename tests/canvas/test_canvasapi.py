"""canvasapi, unchanged, against a real server on a free loopback port.

canvasapi forces ``per_page=100`` after any value of its caller (it sends both; Canvas keeps the
last), so the medium world is used: its largest course needs more than ten pages.
"""

from __future__ import annotations

import pytest
import requests
from canvasapi import Canvas

from mockcanvas import create_app, schemas
from tests.support import newest_first, serve


@pytest.fixture(scope="module")
def server():
    app = create_app(seed=1, size="medium")
    with serve(app) as url:
        yield url, app.extensions["mockcanvas"].store


@pytest.fixture(scope="module")
def canvas(server):
    url, store = server
    return Canvas(url, store.token_for(store.landmarks["admin"]))


def hidden_assignments(store):
    return {a.id for a in store.assignments.values() if a.anonymous_grading and a.muted}


def test_course_history_pages_through_completely(canvas, server):
    _, store = server
    course = store.courses[store.landmarks["override_course"]]
    expected = newest_first(r for r in store.grade_changes.rows() if r.course_id == course.id)
    assert len(expected) > 300, "the course must need several pages of 100"
    events = list(canvas.get_course(course.id).get_grade_change_events())
    assert [e.id for e in events] == [r.uuid for r in expected]
    assert all(isinstance(e.links["course"], int) for e in events)


def test_assignment_history_through_get_assignment(canvas, server):
    _, store = server
    assignment = store.assignments[store.landmarks["points_assignment"]]
    events = list(
        canvas.get_course(assignment.course_id)
        .get_assignment(assignment.id)
        .get_grade_change_events()
    )
    expected = newest_first(
        r for r in store.grade_changes.rows() if r.assignment_id == assignment.id
    )
    assert [e.id for e in events] == [r.uuid for r in expected] and expected


def test_student_and_grader_histories(canvas, server):
    _, store = server
    student = canvas.get_user(store.landmarks["student"])
    hidden = hidden_assignments(store)
    expected = newest_first(
        r
        for r in store.grade_changes.rows()
        if r.student_id == student.id and r.assignment_id not in hidden
    )
    got = [e.id for e in student.get_grade_change_events_for_student()]
    assert got == [r.uuid for r in expected] and expected

    grader = canvas.get_user(store.landmarks["teacher"])
    expected = newest_first(r for r in store.grade_changes.rows() if r.grader_id == grader.id)
    assert len(expected) > 100
    got = [e.id for e in grader.get_grade_change_events_for_grader()]
    assert got == [r.uuid for r in expected]


def test_links_are_built_from_the_host_the_client_used(server):
    url, store = server
    token = store.token_for(store.landmarks["admin"])
    course_id = store.landmarks["override_course"]
    for host in (url, url.replace("127.0.0.1", "localhost")):
        response = requests.get(
            f"{host}/api/v1/audit/grade_change/courses/{course_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200
        schemas.validate("grade_change_compound", response.json())
        assert response.links["next"]["url"].startswith(f"{host}/api/v1/audit/grade_change/")
        assert (
            response.json()["links"]["events.course"] == f"{host}/api/v1/courses/{{events.course}}"
        )
