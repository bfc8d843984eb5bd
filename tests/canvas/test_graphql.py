"""``POST /api/graphql``: the grading mutations, lookups, and Canvas's way of answering errors."""

from __future__ import annotations

import base64

import pytest

from mockcanvas import schemas
from mockcanvas.graphql_schema import relay_id
from tests.support import UNAUTHENTICATED
from tests.support.grading import Grading, check_all_events, snapshot

SET_OVERRIDE = """
mutation Override($enrollment: ID!, $score: Float, $period: ID) {
  setOverrideScore(
    input: {enrollmentId: $enrollment, overrideScore: $score, gradingPeriodId: $period}
  ) {
    grades { customGradeStatusId overrideScore state enrollment { _id type } }
    errors { attribute message }
  }
}
"""

POST_GRADES = """
mutation Post($assignment: ID!, $only: [ID!], $skip: [ID!], $gradedOnly: Boolean) {
  postAssignmentGrades(
    input: {assignmentId: $assignment, onlyStudentIds: $only, skipStudentIds: $skip,
            gradedOnly: $gradedOnly}
  ) {
    progress { _id id state completion message }
    assignment { _id muted }
    errors { attribute message }
  }
}
"""


@pytest.fixture
def g(app) -> Grading:
    grading = Grading(app)
    yield grading
    check_all_events(grading.inst)


def enrollment_of(g: Grading, student: str, course: str):
    return next(
        e
        for e in g.store.user_enrollments(g.id(student))
        if e.course_id == g.id(course) and e.type == "StudentEnrollment"
    )


def ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.get_json()


# -- smoke queries ---------------------------------------------------------------------------------


def test_course_legacy_node_and_node_agree(g):
    course = g.id("override_course")
    body = ok(
        g.graphql(
            """query($id: ID!, $relay: ID!) {
                 course(id: $id) { _id id name }
                 legacyNode(_id: $id, type: Course) { id ... on Course { _id name } }
                 node(id: $relay) { __typename id }
               }""",
            {"id": str(course), "relay": relay_id("Course", course)},
        )
    )
    name = g.store.courses[course].name
    relay = base64.b64encode(f"Course-{course}".encode()).decode()
    assert body == {
        "data": {
            "course": {"_id": str(course), "id": relay, "name": name},
            "legacyNode": {"id": relay, "_id": str(course), "name": name},
            "node": {"__typename": "Course", "id": relay},
        }
    }


def test_a_course_the_caller_cannot_read_is_null_without_error(g):
    other = g.id("no_override_course")
    assert all(e.course_id != other for e in g.store.user_enrollments(g.id("student")))
    body = ok(g.graphql(f'{{ course(id: "{other}") {{ _id }} }}', as_="student"))
    assert body == {"data": {"course": None}}


def test_the_mutations_are_in_the_schema(g):
    body = ok(g.graphql("{ __schema { mutationType { fields { name } } } }"))
    names = {f["name"] for f in body["data"]["__schema"]["mutationType"]["fields"]}
    assert {"setOverrideScore", "postAssignmentGrades"} <= names


# -- setOverrideScore ------------------------------------------------------------------------------


def test_set_override_score_emits_grade_override_and_an_override_audit_row(g):
    enrollment = enrollment_of(g, "student", "override_course")
    score = g.store.course_score(enrollment.id)
    old = score.override_score
    assert old != 91.5
    seq = g.last_seq()
    body = ok(g.graphql(SET_OVERRIDE, {"enrollment": str(enrollment.id), "score": 91.5}))
    assert body == {
        "data": {
            "setOverrideScore": {
                "grades": {
                    "customGradeStatusId": None,
                    "overrideScore": 91.5,
                    "state": "active",
                    "enrollment": {"_id": str(enrollment.id), "type": "StudentEnrollment"},
                },
                "errors": None,
            }
        }
    }
    (event,) = g.events(after=seq)
    assert event.name == "grade_override"
    assert event.payload["body"] == {
        "score_id": str(score.id),
        "enrollment_id": str(enrollment.id),
        "user_id": str(enrollment.user_id),
        "course_id": str(enrollment.course_id),
        "grading_period_id": None,
        "override_score": 91.5,
        "old_override_score": old,
        "updated_at": event.payload["metadata"]["event_time"],
    }
    metadata = event.payload["metadata"]
    assert metadata["event_name"] == "grade_override"
    assert metadata["url"].endswith("/api/graphql") and metadata["http_method"] == "POST"

    course = enrollment.course_id
    audit = g.get(f"/api/v1/audit/grade_change/courses/{course}/assignments/override")
    assert audit.status_code == 200
    schemas.validate("grade_change_compound", audit.get_json())
    newest = audit.get_json()["events"][0]
    assert newest["course_override_grade"] is True
    assert newest["grade_after"] == "91.5%"
    assert newest["links"]["page_view"] == metadata["request_id"]
    assert "assignment" not in newest["links"]
    page_view = g.store.page_views[metadata["request_id"]]
    assert (page_view.controller, page_view.action) == ("graphql", "execute")


def test_set_override_score_takes_a_relay_id_and_clears_with_null(g):
    enrollment = enrollment_of(g, "student", "override_course")
    relay = relay_id("Enrollment", enrollment.id)
    ok(g.graphql(SET_OVERRIDE, {"enrollment": relay, "score": 70}))
    body = ok(g.graphql(SET_OVERRIDE, {"enrollment": relay, "score": None}))
    assert body["data"]["setOverrideScore"]["grades"]["overrideScore"] is None
    assert g.store.course_score(enrollment.id).override_score is None
    assert g.audit_rows()[-1].grade_after is None


def test_the_same_override_twice_changes_nothing_the_second_time(g):
    enrollment = enrollment_of(g, "student", "override_course")
    ok(g.graphql(SET_OVERRIDE, {"enrollment": str(enrollment.id), "score": 66.0}))
    state = snapshot(g.inst)
    ok(g.graphql(SET_OVERRIDE, {"enrollment": str(enrollment.id), "score": 66.0}))
    assert snapshot(g.inst) == state


def test_override_in_a_course_without_final_grade_override_is_refused(g):
    course = g.id("no_override_course")
    enrollment = next(
        e for e in g.store.course_enrollments(course) if e.type == "StudentEnrollment"
    )
    teacher = next(
        e.user_id for e in g.store.course_enrollments(course) if e.type == "TeacherEnrollment"
    )
    state = snapshot(g.inst)
    body = ok(g.graphql(SET_OVERRIDE, {"enrollment": str(enrollment.id), "score": 80}, teacher))
    payload = body["data"]["setOverrideScore"]
    assert payload["grades"] is None
    assert payload["errors"] == [
        {
            "attribute": "overrideScore",
            "message": "final grade override is not enabled for this course",
        }
    ]
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(
    ("as_", "variables"),
    [
        ("teacher", {"enrollment": "999999", "score": 1}),
        ("teacher", {"enrollment": "not-an-id", "score": 1}),
        ("teacher", {"enrollment": "GRADING_PERIOD", "score": 1, "period": "1"}),
        ("student", {"enrollment": "OWN", "score": 100}),
    ],
    ids=["unknown", "malformed", "grading-period", "student"],
)
def test_override_failures_are_not_found_errors(g, as_, variables):
    enrollment = enrollment_of(g, "student", "override_course")
    if variables["enrollment"] in ("GRADING_PERIOD", "OWN"):
        variables = {**variables, "enrollment": str(enrollment.id)}
    state = snapshot(g.inst)
    body = ok(g.graphql(SET_OVERRIDE, variables, as_))
    assert body["data"] == {"setOverrideScore": None}
    (error,) = body["errors"]
    assert error["message"] == "not found"
    assert error["path"] == ["setOverrideScore"]
    assert error["locations"]
    assert snapshot(g.inst) == state


# -- postAssignmentGrades --------------------------------------------------------------------------


def unposted(g, assignment):
    return [
        s for s in g.store.assignment_submissions(assignment) if s.graded and s.posted_at is None
    ]


def test_posting_emits_grade_change_muted_false_from_a_job_and_no_audit_row(g):
    assignment = g.id("anonymous_assignment")
    waiting = unposted(g, assignment)
    assert waiting and g.store.assignments[assignment].muted
    rows, seq = len(g.audit_rows()), g.last_seq()
    body = ok(g.graphql(POST_GRADES, {"assignment": str(assignment)}))
    payload = body["data"]["postAssignmentGrades"]
    assert payload["assignment"] == {"_id": str(assignment), "muted": False}
    assert payload["errors"] is None
    progress = payload["progress"]
    assert (progress["state"], progress["completion"], progress["message"]) == (
        "completed",
        100,
        None,
    )
    assert progress["id"] == relay_id("Progress", int(progress["_id"]))

    assert len(g.audit_rows()) == rows
    events = g.events(after=seq)
    changes = [e for e in events if e.name == "grade_change"]
    assert sorted(int(e.payload["body"]["user_id"]) - 10**13 for e in changes) == sorted(
        s.user_id for s in waiting
    )
    for event in changes:
        body = event.payload["body"]
        assert body["muted"] is False
        assert body["grade"] == body["old_grade"] and body["score"] == body["old_score"]
    for event in events:
        metadata = event.payload["metadata"]
        assert metadata["job_tag"] == "Assignment#post_submissions"
        assert "request_id" not in metadata and "user_id" not in metadata
    scores = [e.payload["body"] for e in events if e.name == "course_grade_change"]
    assert scores and all(s["current_score"] != s["old_current_score"] for s in scores)
    assert not unposted(g, assignment)


def test_posting_only_some_students_keeps_the_assignment_muted(g):
    assignment = g.id("anonymous_assignment")
    first = unposted(g, assignment)[0]
    body = ok(g.graphql(POST_GRADES, {"assignment": str(assignment), "only": [str(first.user_id)]}))
    assert body["data"]["postAssignmentGrades"]["assignment"]["muted"] is True
    assert first.posted_at is not None
    assert all(s.user_id != first.user_id for s in unposted(g, assignment))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"gradedOnly": True}, "Anonymous assignments cannot be posted by graded only"),
        (
            {"only": ["1"], "skip": ["2"]},
            "only_student_ids and skip_student_ids cannot be used together",
        ),
    ],
)
def test_posting_refusals_are_execution_errors(g, variables, message):
    state = snapshot(g.inst)
    body = ok(
        g.graphql(POST_GRADES, {"assignment": str(g.id("anonymous_assignment")), **variables})
    )
    assert body["data"] == {"postAssignmentGrades": None}
    assert [e["message"] for e in body["errors"]] == [message]
    assert snapshot(g.inst) == state


@pytest.mark.parametrize(
    ("as_", "assignment"), [("student", "anonymous_assignment"), ("teacher", "deleted_assignment")]
)
def test_posting_without_the_right_or_a_live_assignment_is_not_found(g, as_, assignment):
    state = snapshot(g.inst)
    body = ok(g.graphql(POST_GRADES, {"assignment": str(g.id(assignment))}, as_))
    assert body["data"] == {"postAssignmentGrades": None}
    assert [e["message"] for e in body["errors"]] == ["not found"]
    assert snapshot(g.inst) == state


# -- the endpoint's own errors ---------------------------------------------------------------------


def test_no_token_is_401_unauthenticated(g):
    response = g.graphql('{ course(id: "1") { _id } }', as_=None)
    assert (response.status_code, response.get_json()) == (401, UNAUTHENTICATED)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_a_bad_token_is_401_invalid_access_token(g):
    response = g.client.post(
        "/api/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.get_json() == {"errors": [{"message": "Invalid access token."}]}


@pytest.mark.parametrize("text", ["{not json", "[" * 100_000])
def test_a_body_that_is_not_json_is_400(g, text):
    response = g.client.post(
        "/api/graphql",
        data=text,
        content_type="application/json",
        headers=g.headers("teacher"),
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": [{"message": "An error occurred.", "error_code": "bad_request"}]
    }


@pytest.mark.parametrize("body", [{}, {"query": ""}, {"query": None}, {"variables": {}}])
def test_a_missing_query_is_a_graphql_error(g, body):
    response = g.client.post("/api/graphql", json=body, headers=g.headers("teacher"))
    assert ok(response) == {"errors": [{"message": "No query string was present"}]}


@pytest.mark.parametrize("text", ["null", "[null, null]", "5"])
def test_json_that_is_not_an_object_has_no_query_rather_than_a_bad_body(g, text):
    # Rails parses any JSON (a non-object lands in params[:_json]); `null` used to be taken for
    # a body that does not parse, a 400.
    response = g.client.post(
        "/api/graphql", data=text, content_type="application/json", headers=g.headers("teacher")
    )
    assert ok(response) == {"errors": [{"message": "No query string was present"}]}


def test_syntax_and_validation_errors_have_no_data(g):
    for query in ("{ course(id: ", "{ nope }", "mutation { setOverrideScore { grades { x } } }"):
        body = ok(g.graphql(query))
        assert set(body) == {"errors"}
        assert all(e["message"] and e["locations"] for e in body["errors"])


def test_variables_may_be_a_json_string_and_form_fields_work(g):
    course = g.id("override_course")
    response = g.client.post(
        "/api/graphql",
        data={
            "query": "query($id: ID) { course(id: $id) { _id } }",
            "variables": f'{{"id": "{course}"}}',
        },
        headers=g.headers("teacher"),
    )
    assert ok(response) == {"data": {"course": {"_id": str(course)}}}
    response = g.client.post(
        "/api/graphql",
        json={"query": "{ __typename }", "variables": [1]},
        headers=g.headers("teacher"),
    )
    assert ok(response) == {"errors": [{"message": "Variables must be a JSON object"}]}


def test_a_section_limited_ta_posts_only_their_sections_grades(g):
    assignment = g.id("anonymous_assignment")
    sections = {e.user_id: e.section_id for e in g.store.course_enrollments(1)}
    ta_sections = {
        e.section_id
        for e in g.store.user_enrollments(g.id("section_limited_ta"))
        if e.course_id == 1
    }
    waiting = unposted(g, assignment)
    assert {sections[s.user_id] in ta_sections for s in waiting} == {True, False}
    ok(g.graphql(POST_GRADES, {"assignment": str(assignment)}, "section_limited_ta"))
    left = unposted(g, assignment)
    assert left and all(sections[s.user_id] not in ta_sections for s in left)
    assert g.store.assignments[assignment].muted is True
