"""The test kit's handle (mockcanvas.testing) and in-process routing of ``requests``, directly."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
import requests

from mockcanvas import ids
from mockcanvas.live_server import HTTP_URL_WARNING, LiveServer
from mockcanvas.requests_routing import normalize_base_url, route_requests
from mockcanvas.testing import AppCache, MockCanvas, MockCanvasError
from tests.support import NOT_FOUND, parse_links


@pytest.fixture(scope="module")
def cache():
    apps = AppCache()
    yield apps
    apps.close()


@pytest.fixture
def mock(cache) -> MockCanvas:
    return MockCanvas(cache.fresh(seed=1, size="small"))


def test_world_gives_landmarks_as_records_of_their_kind(mock):
    world, store = mock.world, mock.store
    tables = {
        "User": store.users,
        "Course": store.courses,
        "Assignment": store.assignments,
        "Section": store.sections,
        "Account": store.accounts,
    }
    for name, record_id in store.landmarks.items():
        record = getattr(world, name)
        assert tables[type(record).__name__][record_id] is record, name
    assert [c.id for c in world.courses] == sorted(store.courses)
    assert [u.id for u in world.users] == sorted(store.users)
    course = world.override_course
    assert world.student in world.students(course)
    assert world.completed_student not in world.students(course)
    assert world.deleted_assignment not in world.assignments(course)
    assert [a.position for a in world.assignments(course)] == sorted(
        a.position for a in world.assignments(course)
    )
    assert world.teachers(course) == [world.teacher]
    assert world.course("override_course") is course is world.course(course.id)
    with pytest.raises(AttributeError, match="no landmark 'studnet'; landmarks: root_account, "):
        _ = world.studnet
    with pytest.raises(LookupError, match="no course 999 in this world"):
        world.course(999)


def test_grading_helpers_take_the_one_write_path(mock):
    world = mock.world
    written = mock.grade(world.student, world.points_assignment.id, 12)
    assert written.submission is world.submission(world.student, world.points_assignment)
    assert (written.submission.grade, written.submission.score) == ("12", 12.0)
    assert [e.name for e in written.events] == ["grade_change", "course_grade_change"]
    assert written.events[0].metadata["url"] == "https://canvas.test/_mockcanvas/grades"
    assert written.events[0].metadata["user_id"] == str(ids.global_id(world.teacher.id))
    row = mock.store.grade_changes.rows()[-1]
    assert (row.uuid, row.grade_after) == (written.grade_change_event_id, "12")

    again = mock.grade(world.student, world.points_assignment, "12", grader=world.ta)
    assert (again.grade_change_event_id, again.events) == (None, [])  # nothing changed

    excused = mock.excuse(world.student, world.points_assignment, grader=world.ta)
    assert excused.submission.excused is True
    assert excused.events[0].metadata["user_id"] == str(ids.global_id(world.ta.id))

    override = mock.override(world.student, world.override_course, 91.5)
    assert override.score is world.score(world.student, world.override_course)
    assert override.score.override_score == 91.5
    assert [e.name for e in override.events] == ["grade_override"]

    hidden = world.anonymous_assignment
    graded = mock.grade(world.student, hidden, "20")
    assert graded.events[0].body["muted"] is True
    posted = mock.post_grades(hidden)
    changes = [e for e in posted.events if e.name == "grade_change"]
    assert changes and all(e.body["muted"] is False for e in changes)
    assert posted.submission is None and posted.grade_change_event_id is None  # no audit row


def test_refusals_are_errors_that_change_nothing(mock):
    world = mock.world
    before = len(mock.store.grade_changes)
    with pytest.raises(MockCanvasError) as refused:
        mock.grade(world.student, world.points_assignment, "9" * 400)  # Infinity as a float
    assert refused.value.status == 400
    assert refused.value.body == {
        "message": f"{'9' * 400!r} is not a grade for a points assignment"
    }
    with pytest.raises(MockCanvasError) as missing:
        mock.grade(world.student, world.deleted_assignment, "1")
    assert (missing.value.status, missing.value.body) == (404, NOT_FOUND)
    with pytest.raises(LookupError, match="no assignment 99999 in this world"):
        mock.grade(world.student, 99999, "1")
    with pytest.raises(TypeError, match="give a user or its id, not 'student'"):
        mock.grade("student", world.points_assignment, "1")
    with pytest.raises(ValueError, match="timezone-aware"):
        mock.clock.set(datetime(2027, 1, 1))
    assert len(mock.store.grade_changes) == before
    assert len(mock.events) == 0


def test_events_filter_by_name_and_fields(mock):
    world = mock.world
    mock.grade(world.student, world.points_assignment, "5")
    mark = mock.events.mark()
    mock.grade(world.student_no_sis, world.points_assignment, "6")
    assert mock.events.names() == ["grade_change", "course_grade_change"] * 2
    assert [e.seq for e in mock.events.filter("grade_change")] == [1, 3]
    assert [e.seq for e in mock.events.filter(student_id=world.student_no_sis)] == [3]
    assert [e.seq for e in mock.events.filter(student_id=world.student_no_sis.id)] == [3]
    assert [e.seq for e in mock.events.filter(grade=lambda g: g in ("5", "6"))] == [1, 3]
    assert [e.seq for e in mock.events.filter(after=mark)] == [3, 4]
    assert mock.events.filter("grade_change", nothing_like_this=1) == []
    assert mock.events.wait_for("course_grade_change", after=mark).seq == 4
    assert mock.events.clear() == 4
    assert list(mock.events) == []


def test_clock_and_faults_go_through_the_control_api(mock):
    start = mock.clock.now()
    assert mock.clock.frozen
    assert mock.clock.advance(timedelta(hours=1)) == start + timedelta(hours=1)
    target = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert mock.clock.set(target) == target
    written = mock.grade(mock.world.student, mock.world.points_assignment, "1")
    assert written.events[0].metadata["event_time"] == "2027-01-02T03:04:05.000Z"
    mock.clock.unfreeze()
    assert not mock.clock.frozen
    with pytest.raises(MockCanvasError, match="answered 400"):
        mock.clock.advance(10**12)

    fault = mock.faults.add({"path": "/api/v1/courses/*"}, status=503, count=1)
    assert (fault["id"], fault["status"], fault["remaining"]) == (1, 503, 1)
    assert [f["id"] for f in mock.faults.all()] == [1]
    with route_requests(mock.app, mock.base_url):
        assert requests.get(mock.url("/api/v1/courses/1"), headers=mock.headers()).status_code == (
            503
        )
        assert requests.get(mock.url("/api/v1/courses/1"), headers=mock.headers()).status_code == (
            200
        )
    mock.faults.remove(fault)
    assert mock.faults.clear() == 0
    with pytest.raises(MockCanvasError, match="answered 400"):
        mock.faults.add(path="/x", regex="y")
    assert mock.reset() > 0
    assert mock.clock.now() == start and mock.clock.frozen


def test_requests_are_served_in_process_with_every_part(mock):
    course = mock.world.override_course
    with route_requests(mock.app, "HTTPS://Canvas.Test:443/") as routed:
        reply = requests.get(
            mock.url(f"/api/v1/audit/grade_change/courses/{course.id}"),
            params={"per_page": 2, "include[]": "current_grade"},
            headers=mock.headers(),
        )
        assert reply.status_code == 200
        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        links = parse_links(reply.headers["Link"])
        assert links["next"].startswith(
            f"https://canvas.test/api/v1/audit/grade_change/courses/{course.id}?"
        )
        assert len(reply.json()["events"]) == 2
        following = requests.get(links["next"], headers=mock.headers())
        assert following.json()["events"][0]["id"] != reply.json()["events"][0]["id"]
        # A form body and a JSON body both arrive as sent.
        student, assignment = mock.world.student, mock.world.letter_grade_assignment
        path = f"/api/v1/courses/{course.id}/assignments/{assignment.id}/submissions/{student.id}"
        form = requests.put(mock.url(path), data={"submission[posted_grade]": "A-"},
                            headers=mock.headers())  # fmt: skip
        assert (form.status_code, form.json()["grade"]) == (200, "A-")
        as_json = requests.put(mock.url(path), json={"submission": {"posted_grade": "C"}},
                               headers=mock.headers())  # fmt: skip
        assert (as_json.status_code, as_json.json()["grade"]) == (200, "C")
        head = requests.head(mock.url("/api/v1/courses/1"), headers=mock.headers())
        assert (head.status_code, head.content) == (200, b"")
        unknown = requests.get(mock.url("/api/v1/nothing"), headers=mock.headers())
        assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
        with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
            requests.get("https://canvas.test.example/api/v1/courses/1")
        routed.get("https://other.test/ping", json={"pong": True})  # stubs for other hosts
        assert requests.get("https://other.test/ping").json() == {"pong": True}
    assert [e.body["grade"] for e in mock.events.filter("grade_change")] == ["A-", "C"]


def test_base_urls_are_checked():
    assert normalize_base_url("http://LOCALHOST:80/") == "http://localhost"
    assert normalize_base_url("https://canvas.test:8443") == "https://canvas.test:8443"
    for bad in ("canvas.test", "ftp://canvas.test", "https://canvas.test/api/v1", "https://"):
        with pytest.raises(ValueError, match="base URL must be"):
            normalize_base_url(bad)


def test_live_server_and_canvasapi_without_the_http_warning(mock):
    with LiveServer(mock.app) as server:
        live = MockCanvas(mock.app, server.url)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client = live.canvasapi(live.world.teacher)
        assert client.get_current_user().id == live.world.teacher.id
        with pytest.warns(UserWarning, match=HTTP_URL_WARNING):
            from canvasapi import Canvas

            Canvas(server.url, live.admin_token)
        other = MockCanvas(MockCanvas(AppCache().fresh(seed=2)).app)
        server.app = other.app  # the same server, another world
        reply = requests.get(f"{server.url}/api/v1/users/self", headers=other.headers())
        assert reply.json()["name"] == other.world.admin.name != live.world.admin.name
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/api/v1/users/self", timeout=5)
    with pytest.raises(LookupError, match="has no access token"):
        mock.token_for(10**6)
