"""Bulk grading (``.../submissions/update_grades``) and ``GET /api/v1/progress/:id``."""

from __future__ import annotations

import pytest

from mockcanvas import create_app, schemas
from mockcanvas.services.progress import JOB_REQUEST_ID
from tests.support import BASE, NOT_FOUND, UNAUTHENTICATED, UNAUTHORIZED
from tests.support.grading import Grading, check_all_events, snapshot


@pytest.fixture
def g(app) -> Grading:
    grading = Grading(app)
    yield grading
    check_all_events(grading.inst)


def course_of(g: Grading, assignment: str) -> int:
    return g.store.assignments[g.id(assignment)].course_id


def post_assignment(g: Grading, assignment: str, data=None, as_="teacher", **kw):
    path = (
        f"/api/v1/courses/{course_of(g, assignment)}/assignments/{g.id(assignment)}"
        "/submissions/update_grades"
    )
    return g.client.post(path, data=data, headers=g.headers(as_), base_url=BASE, **kw)


def post_course(g: Grading, course: int, as_="teacher", **kw):
    path = f"/api/v1/courses/{course}/submissions/update_grades"
    return g.client.post(path, headers=g.headers(as_), base_url=BASE, **kw)


def progress_of(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    schemas.validate("progress", body)
    return body


def test_assignment_scoped_form_grades_everyone_in_a_job(g):
    assignment, student, other = g.id("points_assignment"), g.id("student"), g.id("student_no_sis")
    seq, rows = g.last_seq(), len(g.audit_rows())
    response = post_assignment(
        g,
        "points_assignment",
        {f"grade_data[{student}][posted_grade]": "11", f"grade_data[{other}][posted_grade]": "12%"},
    )
    progress = progress_of(response)
    assert progress["tag"] == "submissions_update"
    assert (progress["workflow_state"], progress["completion"], progress["message"]) == (
        "completed",
        100.0,
        None,
    )
    assert (progress["context_type"], progress["context_id"]) == ("Course", 1)
    assert progress["user_id"] == g.id("teacher")
    assert progress["url"] == f"{BASE}/api/v1/progress/{progress['id']}"
    assert g.store.submission_for(assignment, student).grade == "11"
    assert g.store.submission_for(assignment, other).score == 2.4

    new_rows = g.audit_rows()[rows:]
    assert [(r.student_id, r.grade_after) for r in new_rows] == [(student, "11"), (other, "2.4")]
    assert {r.request_id for r in new_rows} == {JOB_REQUEST_ID}
    assert {r.grader_id for r in new_rows} == {g.id("teacher")}

    events = g.events(after=seq)
    assert [e.name for e in events].count("grade_change") == 2
    for event in events:
        metadata = event.payload["metadata"]
        assert metadata["job_tag"] == "Submission.process_bulk_update"
        assert metadata["job_id"].isdigit()
        for key in ("request_id", "user_id", "user_login", "http_method", "url", "session_id"):
            assert key not in metadata
    assert events[0].payload["body"]["grader_id"] == str(10**13 + g.id("teacher"))

    again = g.get(f"/api/v1/progress/{progress['id']}", as_="teacher")
    assert progress_of(again) == progress


def test_course_scoped_json_grades_several_assignments_and_excuses(g):
    points, percent, student = (
        g.id("points_assignment"),
        g.id("percent_assignment"),
        g.id("student"),
    )
    response = post_course(
        g,
        1,
        json={
            "grade_data": {
                str(points): {str(student): {"posted_grade": 6}},
                str(percent): {str(student): {"excuse": "true"}},
            }
        },
    )
    assert progress_of(response)["workflow_state"] == "completed"
    assert g.store.submission_for(points, student).grade == "6"
    assert g.store.submission_for(percent, student).excused is True


def test_students_may_be_named_by_sis_id(g):
    student = g.store.users[g.id("student")]
    assert student.sis_user_id
    response = post_assignment(
        g,
        "points_assignment",
        {f"grade_data[sis_user_id:{student.sis_user_id}][posted_grade]": "4"},
    )
    assert progress_of(response)["workflow_state"] == "completed"
    assert g.store.submission_for(g.id("points_assignment"), student.id).grade == "4"


def test_a_grade_canvas_cannot_read_clears_that_grade_and_the_job_completes(g):
    student, other = g.id("student"), g.id("student_no_sis")
    assignment = g.id("letter_grade_assignment")
    assert g.store.submission_for(assignment, other).grade is not None  # a grade to clear
    response = post_assignment(
        g,
        "letter_grade_assignment",
        {f"grade_data[{student}][posted_grade]": "A", f"grade_data[{other}][posted_grade]": "Q"},
    )
    progress = progress_of(response)
    assert (progress["workflow_state"], progress["message"]) == ("completed", None)
    assert g.store.submission_for(assignment, student).grade == "A"
    cleared = g.store.submission_for(assignment, other)
    assert (cleared.grade, cleared.score) == (None, None)


def test_with_strict_grades_one_unreadable_grade_fails_the_job_and_changes_nothing():
    g = Grading(create_app(strict_grades=True))
    student, other = g.id("student"), g.id("student_no_sis")
    state = snapshot(g.inst)
    response = post_assignment(
        g,
        "letter_grade_assignment",
        {f"grade_data[{student}][posted_grade]": "A", f"grade_data[{other}][posted_grade]": "Q"},
    )
    progress = progress_of(response)
    assert progress["workflow_state"] == "failed"
    assert progress["completion"] is None
    assert progress["message"] == (
        f"Invalid grade(s), nothing was changed: 'Q' for User with API id '{other}'"
    )
    assert snapshot(g.inst) == state


def test_missing_students_fail_the_progress_after_the_others_are_graded(g):
    student = g.id("student")
    response = post_assignment(
        g,
        "points_assignment",
        {
            f"grade_data[{student}][posted_grade]": "13",
            "grade_data[999999][posted_grade]": "1",
            "grade_data[sis_user_id:nobody][posted_grade]": "1",
        },
    )
    progress = progress_of(response)
    assert progress["workflow_state"] == "failed"
    assert progress["message"] == (
        "Couldn't find User(s) with API ids '999999', 'sis_user_id:nobody'"
    )
    assert g.store.submission_for(g.id("points_assignment"), student).grade == "13"


def test_a_section_limited_ta_cannot_find_students_of_other_sections(g):
    seen, unseen = g.id("student"), g.id("student_no_sis")
    response = post_assignment(
        g,
        "points_assignment",
        {f"grade_data[{seen}][posted_grade]": "1", f"grade_data[{unseen}][posted_grade]": "1"},
        as_="section_limited_ta",
    )
    progress = progress_of(response)
    assert progress["message"] == f"Couldn't find User(s) with API ids '{unseen}'"
    assert g.store.submission_for(g.id("points_assignment"), seen).grade == "1"
    assert g.store.submission_for(g.id("points_assignment"), unseen).grade != "1"


def test_missing_grade_data_is_400_with_canvas_bare_text(g):
    state = snapshot(g.inst)
    for response in (
        post_assignment(g, "points_assignment"),
        post_course(g, 1, json={"grade_data": {}}),
        # JSON `null` parses: it is a body without grade_data, not one Rails cannot read.
        post_course(g, 1, data="null", content_type="application/json"),
    ):
        assert response.status_code == 400
        assert response.get_data(as_text=True) == "'grade_data' parameter required"
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(
    "kw",
    [
        {"data": "[" * 100_000, "content_type": "application/json"},
        {"data": "{not json", "content_type": "application/json"},
        {"data": {"grade_data[3][4][posted_grade]": "1", "grade_data[3][4][posted_grade][x]": "2"}},
    ],
    ids=["deep", "broken", "conflicting"],
)
def test_parameters_rails_cannot_parse_are_400(g, kw):
    state = snapshot(g.inst)
    response = post_course(g, 1, **kw)
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": [{"message": "An error occurred.", "error_code": "bad_request"}]
    }
    assert snapshot(g.inst) == state


def test_a_huge_number_is_an_invalid_grade(g):
    state = snapshot(g.inst)
    response = post_assignment(
        g, "points_assignment", {f"grade_data[{g.id('student')}][posted_grade]": "9" * 400}
    )
    assert progress_of(response)["workflow_state"] == "failed"
    assert snapshot(g.inst) == state


@pytest.mark.parametrize("which", ["deleted", "other_course", "unknown"])
def test_assignments_that_are_not_live_in_the_course_are_not_found(g, which):
    raw = {
        "deleted": g.id("deleted_assignment"),
        "other_course": next(
            a.id for a in g.store.assignments.values() if a.course_id != 1 and a.active
        ),
        "unknown": 999999,
    }[which]
    state = snapshot(g.inst)
    response = post_course(g, 1, data={f"grade_data[{raw}][{g.id('student')}][posted_grade]": "1"})
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert snapshot(g.inst) == state


def test_an_unknown_course_is_not_found(g):
    response = post_course(g, 999999, data={"grade_data[1][1][posted_grade]": "1"})
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)


def test_an_unpublished_assignment_is_unauthorized(g):
    g.store.assignments[g.id("points_assignment")].workflow_state = "unpublished"
    state = snapshot(g.inst)
    response = post_assignment(
        g, "points_assignment", {f"grade_data[{g.id('student')}][posted_grade]": "1"}
    )
    assert (response.status_code, response.get_json()) == (401, UNAUTHORIZED)
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(("as_", "expected"), [("student", UNAUTHORIZED), (None, UNAUTHENTICATED)])
def test_callers_who_cannot_grade_are_refused(g, as_, expected):
    state = snapshot(g.inst)
    response = post_assignment(
        g, "points_assignment", {f"grade_data[{g.id('student')}][posted_grade]": "1"}, as_=as_
    )
    assert (response.status_code, response.get_json()) == (401, expected)
    assert snapshot(g.inst) == state


def test_progress_is_readable_by_its_starter_and_graders_only(g):
    progress = progress_of(
        post_assignment(g, "points_assignment", {f"grade_data[{g.id('student')}][excuse]": "1"})
    )
    path = f"/api/v1/progress/{progress['id']}"
    assert g.get(path, as_="ta").status_code == 200
    assert g.get(path, as_="admin").status_code == 200
    assert (g.get(path, as_="student").status_code, g.get(path, as_="student").get_json()) == (
        401,
        UNAUTHORIZED,
    )
    assert g.get(path, as_=None).get_json() == UNAUTHENTICATED
    missing = g.get("/api/v1/progress/999", as_="teacher")
    assert (missing.status_code, missing.get_json()) == (404, NOT_FOUND)
