"""The one write path through Canvas's REST door: ``PUT .../submissions/:user_id``.

Each test grades through HTTP and checks the three things a grade writes: the submission, its
audit row (read back through the audit API) and its Live Events. Every event a test emits must
meet its schema (checked after each test).
"""

from __future__ import annotations

import pytest
import requests
from canvasapi import Canvas

from mockcanvas import create_app, schemas
from tests.support import NOT_FOUND, UNAUTHORIZED, serve
from tests.support.grading import Grading, check_all_events, snapshot


@pytest.fixture
def g(app) -> Grading:
    grading = Grading(app)
    yield grading
    check_all_events(grading.inst)


def submission(g: Grading, assignment: str, student: str = "student"):
    return g.store.submission_for(g.id(assignment), g.id(student))


def bodies(events, name):
    return [e.payload["body"] for e in events if e.name == name]


# -- each grading type, JSON and form --------------------------------------------------------------

GRADES = [
    ("points_assignment", "7.5", "7.5", 7.5),
    ("percent_assignment", "85%", "85%", 85.0),
    ("letter_grade_assignment", "B+", "B+", 44.5),
    ("pass_fail_assignment", "incomplete", "incomplete", 0.0),
]


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
@pytest.mark.parametrize(("assignment", "posted", "grade", "score"), GRADES)
def test_grading_each_type_writes_submission_row_and_events(
    g, assignment, posted, grade, score, form
):
    before = submission(g, assignment)
    old_grade, old_score = before.grade, before.score
    assert old_grade != grade, "the seeded grade must differ for the test to mean anything"
    rows, seq = len(g.audit_rows()), g.last_seq()
    put = g.put_grade_form if form else g.put_grade
    response = put(g.id(assignment), g.id("student"), posted_grade=posted)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    schemas.validate("submission", body)
    assert (body["grade"], body["score"], body["workflow_state"]) == (grade, score, "graded")

    row = g.audit_rows()[-1]
    assert len(g.audit_rows()) == rows + 1
    assert (row.grade_before, row.grade_after) == (old_grade, grade)
    assert (row.score_before, row.score_after) == (old_score, score)
    assert row.grader_id == g.id("teacher")

    events = g.events(after=seq)
    assert [e.name for e in events] == ["grade_change", "course_grade_change"]
    change = events[0].payload["body"]
    assert (change["grade"], change["old_grade"]) == (grade, old_grade)
    assert (change["score"], change["old_score"]) == (score, old_score)
    assert change["grader_id"] == str(10**13 + g.id("teacher"))
    assert change["muted"] is False and change["grading_complete"] is True
    assert change["assignment_name"] == g.store.assignments[g.id(assignment)].name


def test_pass_fail_complete_after_incomplete(g):
    assignment, student = g.id("pass_fail_assignment"), g.id("student")
    assert g.put_grade(assignment, student, posted_grade="incomplete").status_code == 200
    response = g.put_grade(assignment, student, posted_grade="complete")
    assert response.status_code == 200
    assert (response.get_json()["grade"], response.get_json()["score"]) == ("complete", 5.0)
    assert [(r.grade_before, r.grade_after) for r in g.audit_rows()[-2:]] == [
        ("complete", "incomplete"),
        ("incomplete", "complete"),
    ]


def test_excuse_and_unexcuse(g):
    assignment, student = g.id("points_assignment"), g.id("student")
    seq = g.last_seq()
    response = g.put_grade(assignment, student, excuse=True)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["excused"], body["grade"], body["score"]) == (True, None, None)
    row = g.audit_rows()[-1]
    assert (row.excused_before, row.excused_after, row.grade_before, row.grade_after) == (
        False,
        True,
        "14",
        None,
    )
    change = bodies(g.events(after=seq), "grade_change")[0]
    assert (change["grade"], change["old_grade"], change["grading_complete"]) == (None, "14", True)

    seq, rows = g.last_seq(), len(g.audit_rows())
    response = g.put_grade_form(assignment, student, excuse="false")
    assert response.status_code == 200
    assert response.get_json()["excused"] is False
    assert len(g.audit_rows()) == rows + 1
    assert (g.audit_rows()[-1].excused_before, g.audit_rows()[-1].excused_after) == (True, False)
    assert g.events(after=seq)[0].name == "grade_change"


def test_a_blank_grade_clears_the_grade(g):
    assignment, student = g.id("points_assignment"), g.id("student")
    response = g.put_grade(assignment, student, posted_grade="")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["grade"], body["score"]) == (None, None)
    assert body["workflow_state"] != "graded"
    row = g.audit_rows()[-1]
    assert (row.grade_before, row.grade_after, row.score_after) == ("14", None, None)


def test_the_same_grade_twice_writes_one_row_and_one_set_of_events(g):
    assignment, student = g.id("points_assignment"), g.id("student")
    assert g.put_grade(assignment, student, posted_grade="9").status_code == 200
    state = snapshot(g.inst)
    response = g.put_grade(assignment, student, posted_grade="9")
    assert response.status_code == 200
    assert response.get_json()["grade"] == "9"
    assert snapshot(g.inst) == state
    # Un-excusing what is not excused changes nothing either.
    assert g.put_grade(assignment, student, excuse=False).status_code == 200
    assert snapshot(g.inst) == state


# -- request ids, course scores, unposted grades ---------------------------------------------------


def test_the_audit_row_and_its_events_share_the_request_id(g):
    assignment, student = g.id("points_assignment"), g.id("student")
    course = g.store.assignments[assignment].course_id
    seq = g.last_seq()
    assert g.put_grade(assignment, student, posted_grade="11").status_code == 200
    events = g.events(after=seq)
    request_ids = {e.payload["metadata"]["request_id"] for e in events}
    assert len(request_ids) == 1
    response = g.get(
        f"/api/v1/audit/grade_change/courses/{course}/assignments/{assignment}/students/{student}",
        as_="teacher",
    )
    assert response.status_code == 200
    newest = response.get_json()["events"][0]
    assert newest["grade_after"] == "11"
    assert newest["links"]["page_view"] == request_ids.pop()
    metadata = events[0].payload["metadata"]
    assert metadata["http_method"] == "PUT"
    assert metadata["url"].endswith(f"/assignments/{assignment}/submissions/{student}")
    assert metadata["context_role"] == "TeacherEnrollment"


def test_course_grade_change_carries_the_previous_new_values_as_old(g):
    assignment, student = g.id("points_assignment"), g.id("student")
    fields = ("current_score", "final_score", "unposted_current_score", "unposted_final_score")
    seq = g.last_seq()
    for grade in ("3", "17"):
        assert g.put_grade(assignment, student, posted_grade=grade).status_code == 200
    first, second = bodies(g.events(after=seq), "course_grade_change")
    assert {f"old_{f}": first[f] for f in fields} == {
        f"old_{f}": second[f"old_{f}"] for f in fields
    }
    score = g.store.course_score(
        next(
            e.id
            for e in g.store.user_enrollments(student)
            if e.course_id == g.store.assignments[assignment].course_id
        )
    )
    assert {f: second[f] for f in fields} == {f: getattr(score, f) for f in fields}
    assert (first["user_id"], first["course_id"]) == (str(student), "1")


def test_no_course_grade_change_when_no_course_score_moves(g):
    assignment = g.store.assignments[g.id("points_assignment")]
    assignment.omit_from_final_grade = True  # its grades no longer count toward course scores
    # The first grade recomputes the scores without the assignment; the second moves none.
    assert g.put_grade(assignment.id, g.id("student"), posted_grade="2").status_code == 200
    seq = g.last_seq()
    assert g.put_grade(assignment.id, g.id("student"), posted_grade="3").status_code == 200
    assert [e.name for e in g.events(after=seq)] == ["grade_change"]


def test_an_unposted_grade_changes_only_the_unposted_scores(g):
    assignment, student = g.id("anonymous_assignment"), g.id("student")
    assert submission(g, "anonymous_assignment").posted_at is None
    seq, rows = g.last_seq(), len(g.audit_rows())
    response = g.put_grade(assignment, student, posted_grade="29")
    assert response.status_code == 200
    assert len(g.audit_rows()) == rows + 1
    assert g.audit_rows()[-1].graded_anonymously is True
    change, course = g.events(after=seq)
    assert change.payload["body"]["muted"] is True
    body = course.payload["body"]
    assert body["current_score"] == body["old_current_score"]
    assert body["final_score"] == body["old_final_score"]
    assert body["unposted_current_score"] != body["old_unposted_current_score"]
    assert submission(g, "anonymous_assignment").posted_at is None


# -- refusals change nothing -----------------------------------------------------------------------

# Posted grades Canvas cannot read, and what it stores: `compute_grade_and_score` finds no score,
# and the submission's `infer_values` drops the grade with it (`grade = nil unless score`): the
# grade is cleared, with its audit row and grade_change. Pass/fail reads it as no points.
UNREADABLE = [
    ("points_assignment", "abc", None, None),
    ("points_assignment", "5.", None, None),
    ("percent_assignment", "ten percent", None, None),
    ("percent_assignment", "1e3", None, None),
    ("letter_grade_assignment", "Z+", None, None),
    ("pass_fail_assignment", "maybe", "incomplete", 0.0),
]


@pytest.mark.parametrize(("assignment", "posted", "grade", "score"), UNREADABLE)
def test_a_grade_canvas_cannot_read_is_stored_as_canvas_stores_it(
    g, assignment, posted, grade, score
):
    before = submission(g, assignment)
    old_grade, old_score = before.grade, before.score
    assert old_grade is not None and old_grade != grade, "the seeded grade must be there to clear"
    rows, seq = len(g.audit_rows()), g.last_seq()
    response = g.put_grade(g.id(assignment), g.id("student"), posted_grade=posted)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    schemas.validate("submission", body)
    assert (body["grade"], body["score"]) == (grade, score)
    assert len(g.audit_rows()) == rows + 1
    row = g.audit_rows()[-1]
    assert (row.grade_before, row.grade_after) == (old_grade, grade)
    assert (row.score_before, row.score_after) == (old_score, score)
    events = g.events(after=seq)
    assert [e.name for e in events][:1] == ["grade_change"]
    change = events[0].payload["body"]
    assert (change["grade"], change["score"]) == (grade, score)
    assert (change["old_grade"], change["old_score"]) == (old_grade, old_score)


def test_an_unreadable_grade_on_an_ungraded_submission_changes_nothing(g):
    assignment, student = g.id("points_assignment"), g.id("student")
    assert g.put_grade(assignment, student, posted_grade="").status_code == 200
    state, seq = snapshot(g.inst), g.last_seq()
    response = g.put_grade(assignment, student, posted_grade="abc")
    assert response.status_code == 200
    assert (response.get_json()["grade"], response.get_json()["score"]) == (None, None)
    assert g.events(after=seq) == []
    assert snapshot(g.inst) == state


# Refused in either mode: a grade that is not text or a number, and a number too big to carry.
INVALID = [
    ("points_assignment", ["9"]),
    ("points_assignment", "9" * 400),  # a float too large for JSON (Canvas fails on Infinity)
]


@pytest.mark.parametrize("strict", [False, True], ids=["canvas", "strict"])
@pytest.mark.parametrize(("assignment", "posted"), INVALID)
def test_an_invalid_grade_is_400_and_changes_nothing(assignment, posted, strict):
    g = Grading(create_app(strict_grades=strict))
    state = snapshot(g.inst)
    response = g.put_grade(g.id(assignment), g.id("student"), posted_grade=posted)
    assert response.status_code == 400
    schemas.validate("error", response.get_json())
    assert set(response.get_json()) == {"message"}
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(("assignment", "posted", "grade", "score"), UNREADABLE)
def test_strict_grades_refuse_what_canvas_would_clear(assignment, posted, grade, score):
    g = Grading(create_app(strict_grades=True))
    kind = g.store.assignments[g.id(assignment)].grading_type
    state = snapshot(g.inst)
    response = g.put_grade(g.id(assignment), g.id("student"), posted_grade=posted)
    assert (response.status_code, response.get_json()) == (
        400,
        {"message": f"{posted!r} is not a grade for a {kind} assignment"},
    )
    assert snapshot(g.inst) == state


def test_strict_grades_still_take_every_grade_canvas_reads():
    g = Grading(create_app(strict_grades=True))
    for assignment, posted, grade, score in GRADES:
        response = g.put_grade(g.id(assignment), g.id("student"), posted_grade=posted)
        assert response.status_code == 200, response.get_json()
        assert (response.get_json()["grade"], response.get_json()["score"]) == (grade, score)


def test_a_deleted_assignment_is_not_found(g):
    state = snapshot(g.inst)
    response = g.put_grade(g.id("deleted_assignment"), g.id("student"), posted_grade="1")
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert snapshot(g.inst) == state


def test_a_student_not_in_the_course_is_not_found(g):
    outsider = next(
        u for u in g.store.users if all(e.course_id != 1 for e in g.store.user_enrollments(u))
    )
    state = snapshot(g.inst)
    response = g.put_grade(g.id("points_assignment"), outsider, posted_grade="1")
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(
    ("grader", "student"),
    [
        ("student", "student"),
        ("student", "student_no_sis"),  # students see the roster: found, then refused
    ],
)
def test_graders_without_the_right_are_unauthorized(g, grader, student):
    state = snapshot(g.inst)
    response = g.put_grade(g.id("points_assignment"), g.id(student), as_=grader, posted_grade="1")
    assert (response.status_code, response.get_json()) == (401, UNAUTHORIZED)
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(
    ("grader", "student"),
    [
        ("section_limited_ta", "student_no_sis"),  # another section's student
        ("other_teacher", "student"),  # a teacher of another course
        ("no_grade_log_admin", "student"),  # an account role without the roster right
    ],
)
def test_a_student_the_grader_cannot_see_is_not_found(g, grader, student):
    """Canvas's update looks the student up in ``students_visible_to(grader)`` before it asks
    for the right to grade, so a student out of the grader's sight is a 404, not a 401."""
    state = snapshot(g.inst)
    response = g.put_grade(g.id("points_assignment"), g.id(student), as_=grader, posted_grade="1")
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert snapshot(g.inst) == state


def test_a_section_limited_ta_grades_their_own_section(g):
    seq = g.last_seq()
    response = g.put_grade(
        g.id("points_assignment"), g.id("student"), as_="section_limited_ta", posted_grade="5"
    )
    assert response.status_code == 200
    assert g.audit_rows()[-1].grader_id == g.id("section_limited_ta")
    assert g.events(after=seq)[0].payload["metadata"]["context_role"] == "TaEnrollment"


# -- canvasapi, end to end -------------------------------------------------------------------------


def test_canvasapi_submission_edit_emits_both_events():
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    course_id = store.landmarks["override_course"]
    assignment_id, student = store.landmarks["points_assignment"], store.landmarks["student"]
    with serve(app) as url:
        canvas = Canvas(url, store.token_for(store.landmarks["teacher"]))
        sub = canvas.get_course(course_id).get_assignment(assignment_id).get_submission(student)
        sub.edit(submission={"posted_grade": "9"})
        assert (sub.grade, sub.score) == ("9", 9.0)
        feed = requests.get(f"{url}/_mockcanvas/live_events", timeout=10).json()
    events = [e["event"] for e in feed["live_events"]]
    assert [e["metadata"]["event_name"] for e in events] == ["grade_change", "course_grade_change"]
    assert events[0]["body"]["grade"] == "9"
    assert events[0]["metadata"]["url"].startswith(url)
    check_all_events(app.extensions["mockcanvas"])
