"""The Canvas REST routes a client needs besides the audit log: courses, assignments, users, roster
and submissions, pinned on a small hand-built world (tests/support/world_small.py).

Every JSON body is validated against its schema, and every presenter is run for every kind of
caller against its schema, so the schemas describe what the mock really sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest

from mockcanvas import create_app, schemas
from mockcanvas.presenters.assignment import assignment_json
from mockcanvas.presenters.course import course_json
from mockcanvas.presenters.page_view import page_view_json
from mockcanvas.presenters.submission import submission_json
from mockcanvas.presenters.user import user_json
from tests.support import NOT_FOUND, UNAUTHENTICATED, UNAUTHORIZED, serve, world_small

BASE = "http://canvas.test"
VIEWERS = (
    "admin",
    "no_grade_log_admin",
    "teacher",
    "ta",
    "section_limited_ta",
    "student",
    "student2",
    "other_teacher",
)
SCHEMA_BY_ROUTE = (
    ("/submissions/", "submission"),
    ("/assignments/", "assignment"),
    ("/assignments", "assignment[]"),
    ("/users/", "user"),
    ("/users", "user[]"),
    ("/students", "user[]"),
    ("/courses/", "course"),
)


def schema_for(path: str) -> str:
    tail = path.removeprefix("/api/v1")
    for marker, name in SCHEMA_BY_ROUTE:
        if marker in tail:
            return name
    raise AssertionError(f"no schema for {path}")


class Client:
    """A test client that sends a landmark user's token and checks every body's schema."""

    def __init__(self, app, store) -> None:
        self.client = app.test_client()
        self.store = store

    def get(self, path: str, as_: str | None = "admin", query=None, token: str | None = None):
        headers = {}
        if as_ is not None or token is not None:
            headers["Authorization"] = f"Bearer {token or world_small.token_for(as_)}"
        response = self.client.get(path, query_string=query, headers=headers, base_url=BASE)
        assert response.content_type == "application/json; charset=utf-8"
        body = response.get_json()
        if response.status_code >= 400:
            schemas.validate("error", body)
        else:
            name = schema_for(path.split("?")[0])
            items = body if name.endswith("[]") else [body]
            assert isinstance(body, list) == name.endswith("[]")
            for item in items:
                schemas.validate(name.removesuffix("[]"), item)
        return response


@pytest.fixture
def world():
    return world_small.build()


@pytest.fixture
def client(world) -> Client:
    return Client(create_app(world), world)


@pytest.fixture
def ids(world) -> dict[str, int]:
    return world.landmarks


def links_of(response) -> dict[str, str]:
    links = {}
    for part in response.headers["Link"].split(","):
        url, _, rel = part.partition("; rel=")
        links[rel.strip('"')] = url.strip("<>")
    return links


def page_and_size(url: str) -> tuple[str, str]:
    query = dict(parse_qsl(urlsplit(url).query))
    return query["page"], query["per_page"]


# -- courses ---------------------------------------------------------------------------------


def test_course_is_readable_by_its_teacher_with_their_enrollment(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}", as_="teacher")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == ids["override_course"]
    assert body["name"] == "History of Rome"
    assert body["sis_course_id"] == "SIS-C-HIST101"
    assert body["enrollments"] == [
        {
            "type": "teacher",
            "role": "TeacherEnrollment",
            "role_id": 4,
            "user_id": ids["teacher"],
            "enrollment_state": "active",
            "limit_privileges_to_course_section": False,
        }
    ]
    assert body["calendar"] == {"ics": f"{BASE}/feeds/calendars/course_hist-101-uuid.ics"}
    assert body["workflow_state"] == "available"


def test_course_times_are_in_the_callers_zone(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}"
    # The teacher lives in New York; the admin has no zone, so the account's Denver applies.
    assert client.get(path, as_="teacher").get_json()["created_at"] == "2026-04-16T12:00:00-04:00"
    assert client.get(path, as_="admin").get_json()["created_at"] == "2026-04-16T10:00:00-06:00"


def test_course_sis_keys_are_absent_for_students_and_present_for_admins(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}"
    student = client.get(path, as_="student").get_json()
    assert "sis_course_id" not in student
    assert "integration_id" not in student
    admin = client.get(path, as_="admin").get_json()
    assert admin["sis_course_id"] == "SIS-C-HIST101"
    assert admin["integration_id"] == "INT-C-HIST101"
    assert admin["enrollments"] == []


@pytest.mark.parametrize("raw", ["sis_course_id:SIS-C-HIST101", "10000000000001", "1~1"])
def test_course_is_found_by_sis_and_global_ids(client, ids, raw):
    response = client.get(f"/api/v1/courses/{raw}", as_="student")
    assert response.status_code == 200
    assert response.get_json()["id"] == ids["override_course"]


@pytest.mark.parametrize("raw", ["999", "sis_course_id:NOPE", "1abc", "sis_user_id:SIS-U-SAM"])
def test_unknown_course_is_not_found(client, raw):
    response = client.get(f"/api/v1/courses/{raw}")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_deleted_course_is_not_found(client, world, ids):
    world.courses[ids["override_course"]].workflow_state = "deleted"
    response = client.get(f"/api/v1/courses/{ids['override_course']}")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_course_of_someone_else_is_unauthorized(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}", as_="other_teacher")
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    assert "WWW-Authenticate" not in response.headers


def test_course_without_a_token_is_unauthenticated(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}", as_=None)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_course_with_a_bad_token_is_an_invalid_token(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}", token="1~nope")
    assert response.status_code == 401
    assert response.get_json() == {"errors": [{"message": "Invalid access token."}]}


def test_unpublished_course_is_hidden_from_students_but_not_teachers(client, world, ids):
    world.courses[ids["override_course"]].workflow_state = "claimed"
    path = f"/api/v1/courses/{ids['override_course']}"
    assert client.get(path, as_="student").status_code == 401
    teacher = client.get(path, as_="teacher")
    assert teacher.status_code == 200
    assert teacher.get_json()["workflow_state"] == "unpublished"


# -- assignments -----------------------------------------------------------------------------


def test_assignments_list_in_group_then_position_order_without_deleted_ones(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}/assignments", as_="teacher")
    assert response.status_code == 200
    assert [a["name"] for a in response.get_json()] == [
        "Quiz 1",
        "Essay 1",
        "Essay 2 (draft)",
        "Blind review",
    ]


def test_students_list_only_published_assignments(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}/assignments", as_="student")
    assert [a["name"] for a in response.get_json()] == ["Quiz 1", "Essay 1", "Blind review"]


def test_assignments_pages_have_numbered_links(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments"
    first = client.get(path, as_="teacher", query={"per_page": 3})
    assert len(first.get_json()) == 3
    links = links_of(first)
    assert list(links) == ["current", "next", "first", "last"]
    assert links["current"] == f"{BASE}{path}?page=1&per_page=3"
    assert links["next"] == f"{BASE}{path}?page=2&per_page=3"
    assert links["last"] == f"{BASE}{path}?page=2&per_page=3"

    second = client.get(path, as_="teacher", query={"per_page": 3, "page": 2})
    assert [a["name"] for a in second.get_json()] == ["Blind review"]
    assert list(links_of(second)) == ["current", "prev", "first", "last"]
    assert page_and_size(links_of(second)["prev"]) == ("1", "3")


def test_a_page_past_the_end_is_empty_without_next_or_last(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments"
    response = client.get(path, as_="teacher", query={"page": 5})
    assert response.status_code == 200
    assert response.get_json() == []
    links = links_of(response)
    assert list(links) == ["current", "prev", "first"]
    assert page_and_size(links["prev"]) == ("4", "10")


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
def test_a_page_below_one_is_not_found(client, ids, page):
    path = f"/api/v1/courses/{ids['override_course']}/assignments"
    response = client.get(path, as_="teacher", query={"page": page})
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ("per_page=1&per_page=2", "2"),  # Rails keeps the last value, as canvasapi relies on
        ("per_page=1000", "100"),
        ("per_page=0", "1"),
        ("per_page=abc", "1"),
        ("per_page=2xyz", "2"),
        ("", "10"),
    ],
)
def test_per_page_is_the_last_value_clamped_to_1_through_100(client, ids, query, size):
    path = f"/api/v1/courses/{ids['override_course']}/assignments"
    response = client.get(f"{path}?{query}", as_="teacher")
    assert page_and_size(links_of(response)["current"]) == ("1", size)
    assert len(response.get_json()) == min(int(size), 4)


def test_links_name_the_course_by_id_and_keep_other_parameters(client, ids):
    path = "/api/v1/courses/sis_course_id:SIS-C-HIST101/assignments"
    query = "per_page=2&order_by=position&access_token=token-teacher&include[]=overrides&page=1"
    response = client.get(f"{path}?{query}", as_=None)
    assert response.status_code == 200
    current = links_of(response)["current"]
    course_path = f"/api/v1/courses/{ids['override_course']}/assignments"
    assert current == (
        f"{BASE}{course_path}?include%5B%5D=overrides&order_by=position&page=1&per_page=2"
    )


def test_assignment_for_a_teacher_has_manager_and_sis_keys(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids['assignment']}"
    body = client.get(path, as_="teacher").get_json()
    assert body["id"] == ids["assignment"]
    assert body["course_id"] == ids["override_course"]
    assert body["name"] == "Essay 1"
    assert body["points_possible"] == 10.0
    assert body["due_at"] == "2026-10-23T12:00:00-04:00"
    assert body["html_url"] == f"{BASE}/courses/{ids['override_course']}/assignments/{body['id']}"
    assert body["submissions_download_url"] == body["html_url"] + "/submissions?zip=1"
    assert body["has_overrides"] is False
    assert body["unpublishable"] is False  # students have submitted
    assert body["needs_grading_count"] == 1  # student2's ungraded essay
    assert body["sis_assignment_id"] == "SIS-A-ESSAY1"
    assert body["integration_data"] == {}
    assert "quiz_id" not in body


def test_assignment_for_a_student_lacks_manager_and_sis_keys(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids['assignment']}"
    body = client.get(path, as_="student").get_json()
    for key in ("has_overrides", "unpublishable", "needs_grading_count", "sis_assignment_id"):
        assert key not in body
    assert body["description"] == "<p>Write about <em>Rome</em> & Carthage.</p>"


def test_assignment_html_is_escaped_as_rails_escapes_it(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids['assignment']}"
    raw = client.get(path, as_="student").get_data(as_text=True)
    assert "\\u003cp\\u003eWrite about \\u003cem\\u003eRome\\u003c/em\\u003e \\u0026" in raw


def test_needs_grading_count_counts_only_the_students_a_limited_ta_sees(client, world, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids['assignment']}"
    # Only student2 has ungraded work, in section B: the TA limited to B counts it.
    assert client.get(path, as_="section_limited_ta").get_json()["needs_grading_count"] == 1
    (enrollment,) = world.user_enrollments(ids["student2"])
    enrollment.section_id = world.user_enrollments(ids["student"])[0].section_id
    assert client.get(path, as_="section_limited_ta").get_json()["needs_grading_count"] == 0
    assert client.get(path, as_="teacher").get_json()["needs_grading_count"] == 1


def test_quiz_assignment_names_its_quiz(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids['quiz_assignment']}"
    body = client.get(path, as_="student").get_json()
    assert body["quiz_id"] == 77
    assert body["anonymous_submissions"] is False
    assert body["is_quiz_assignment"] is True
    assert body["can_duplicate"] is False


def test_unpublished_assignment_is_unauthorized_for_students(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids['unpublished_assignment']}"
    response = client.get(path, as_="student")
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    teacher = client.get(path, as_="teacher").get_json()
    assert teacher["published"] is False
    assert teacher["unpublishable"] is True


@pytest.mark.parametrize("landmark", ["deleted_assignment", "other_assignment"])
def test_deleted_or_foreign_assignment_is_not_found(client, ids, landmark):
    path = f"/api/v1/courses/{ids['override_course']}/assignments/{ids[landmark]}"
    response = client.get(path, as_="admin")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_assignments_of_a_course_the_caller_is_not_in_are_unauthorized(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/assignments"
    assert client.get(path, as_="other_teacher").status_code == 401
    assert client.get(f"{path}/{ids['assignment']}", as_="other_teacher").status_code == 401


# -- users -----------------------------------------------------------------------------------


def test_self_is_the_caller_with_their_locale(client, ids):
    response = client.get("/api/v1/users/self", as_="student")
    assert response.status_code == 200
    assert response.get_json() == {
        "id": ids["student"],
        "name": "Sam Student",
        "created_at": "2026-01-06T09:00:00-07:00",
        "sortable_name": "Student, Sam",
        "short_name": "Sam",
        "locale": "es",
        "effective_locale": "es",
        "permissions": {
            "can_update_name": True,
            "can_update_avatar": False,
            "limit_parent_app_web_access": False,
        },
    }


def test_admins_see_sis_login_and_email(client, ids):
    body = client.get(f"/api/v1/users/{ids['student']}", as_="admin").get_json()
    assert body["sis_user_id"] == "SIS-U-SAM"
    assert body["integration_id"] == "INT-U-SAM"
    assert body["sis_import_id"] is None
    assert body["login_id"] == "student@mock.test"
    assert body["email"] == "student@mock.test"
    assert "effective_locale" not in body


def test_teachers_see_their_students_without_account_only_keys(client, ids):
    body = client.get(f"/api/v1/users/{ids['student']}", as_="teacher").get_json()
    assert body["id"] == ids["student"]
    for key in ("sis_user_id", "login_id", "email", "sis_import_id"):
        assert key not in body


@pytest.mark.parametrize(
    ("raw", "landmark"),
    [
        ("sis_user_id:SIS-U-SAM", "student"),
        ("sis_login_id:STUDENT@mock.test", "student"),
        ("10000000000005", "student"),
        ("self", "admin"),
    ],
)
def test_users_are_found_by_api_ids(client, ids, raw, landmark):
    response = client.get(f"/api/v1/users/{raw}", as_="admin")
    assert response.status_code == 200
    assert response.get_json()["id"] == ids[landmark]


def test_a_deleted_user_still_renders(client, ids):
    response = client.get(f"/api/v1/users/{ids['deleted_user']}", as_="admin")
    assert response.status_code == 200
    assert response.get_json()["name"] == "Dan Deleted"


@pytest.mark.parametrize(
    ("viewer", "landmark"), [("student", "student2"), ("teacher", "other_teacher")]
)
def test_users_outside_ones_courses_are_unauthorized(client, ids, viewer, landmark):
    response = client.get(f"/api/v1/users/{ids[landmark]}", as_=viewer)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED


@pytest.mark.parametrize("raw", ["999", "sis_user_id:NOPE", "abc"])
def test_unknown_user_is_not_found(client, raw):
    response = client.get(f"/api/v1/users/{raw}")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_self_without_a_token_is_unauthenticated(client):
    response = client.get("/api/v1/users/self", as_=None)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHENTICATED


# -- roster ----------------------------------------------------------------------------------


def names(response) -> list[str]:
    return [u["name"] for u in response.get_json()]


@pytest.mark.parametrize("query", ["enrollment_type[]=student", "enrollment_type=student"])
def test_course_users_filter_by_enrollment_type(client, ids, query):
    path = f"/api/v1/courses/{ids['override_course']}/users?{query}"
    # Managers see inactive students; the deleted user and deleted enrollments are gone.
    assert names(client.get(path, as_="teacher")) == ["Bea Bravo", "Ivy Inactive", "Sam Student"]
    assert names(client.get(path, as_="student")) == ["Bea Bravo", "Sam Student"]


def test_course_users_without_filter_list_everyone_by_sortable_name(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}/users", as_="student")
    assert names(response) == [
        "Tom Assistant",
        "Bea Bravo",
        "Lia Limited",
        "Sam Student",
        "Tess Teacher",
    ]
    assert list(links_of(response)) == ["current", "first", "last"]


def test_course_users_of_several_types(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/users"
    query = "enrollment_type[]=teacher&enrollment_type[]=ta"
    response = client.get(f"{path}?{query}", as_="admin")
    assert names(response) == ["Tom Assistant", "Lia Limited", "Tess Teacher"]
    assert links_of(response)["current"] == (
        f"{BASE}{path}?enrollment_type%5B%5D=teacher&enrollment_type%5B%5D=ta&page=1&per_page=10"
    )


def test_a_section_limited_ta_sees_only_their_section(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/users"
    assert names(client.get(path, as_="section_limited_ta")) == ["Bea Bravo", "Lia Limited"]


def test_course_users_show_sis_and_logins_to_graders_only(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/users?enrollment_type[]=student"
    sam = client.get(path, as_="ta").get_json()[-1]
    assert (sam["sis_user_id"], sam["login_id"]) == ("SIS-U-SAM", "student@mock.test")
    assert "sis_import_id" not in sam
    sam = client.get(path, as_="student2").get_json()[-1]
    assert set(sam) == {"id", "name", "created_at", "sortable_name", "short_name"}


def test_course_users_pages(client, ids):
    path = f"/api/v1/courses/{ids['override_course']}/users"
    response = client.get(path, as_="teacher", query={"per_page": 2, "page": 2})
    assert names(response) == ["Ivy Inactive", "Lia Limited"]
    assert page_and_size(links_of(response)["last"]) == ("3", "2")


def test_students_are_current_students_without_pagination(client, ids):
    response = client.get(f"/api/v1/courses/{ids['override_course']}/students", as_="ta")
    assert names(response) == ["Bea Bravo", "Sam Student"]
    assert "Link" not in response.headers


@pytest.mark.parametrize("route", ["users", "students"])
def test_roster_of_a_course_the_caller_is_not_in_is_unauthorized(client, ids, route):
    response = client.get(f"/api/v1/courses/{ids['override_course']}/{route}", as_="other_teacher")
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    missing = client.get(f"/api/v1/courses/999/{route}", as_="other_teacher")
    assert missing.status_code == 404


# -- submissions -----------------------------------------------------------------------------


def submission_path(ids, assignment: str, user: str | int) -> str:
    user_part = ids.get(user, user)
    return (
        f"/api/v1/courses/{ids['override_course']}/assignments/{ids[assignment]}"
        f"/submissions/{user_part}"
    )


def test_a_student_reads_their_own_posted_submission(client, ids):
    response = client.get(submission_path(ids, "assignment", "self"), as_="student")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user_id"] == ids["student"]
    assert (body["score"], body["grade"]) == (8.0, "8")
    assert body["late"] is True
    assert body["seconds_late"] == 86400
    assert body["grader_id"] == ids["teacher"]
    assert body["cached_due_date"] == "2026-10-23T10:00:00-06:00"
    assert body["preview_url"] == (
        f"{BASE}/courses/{ids['override_course']}/assignments/{ids['assignment']}"
        f"/submissions/10000000000005?preview=1&version=2"
    )


def test_an_unposted_grade_is_hidden_from_the_student_only(client, ids):
    path = submission_path(ids, "anonymous_assignment", "student")
    student = client.get(path, as_="student").get_json()
    for key in ("score", "grade", "entered_score", "entered_grade"):
        assert key not in student
    teacher = client.get(path, as_="teacher").get_json()
    assert teacher["score"] == 7.0
    # Students are anonymized while the anonymous assignment's grades are unposted.
    assert "preview_url" not in teacher
    assert "preview_url" not in student


def test_autograded_quiz_submission_keeps_its_negative_grader(client, ids):
    body = client.get(submission_path(ids, "quiz_assignment", "student"), as_="teacher").get_json()
    assert body["grader_id"] == -77


def test_a_student_without_a_submission_gets_an_unsaved_one(client, ids):
    response = client.get(submission_path(ids, "quiz_assignment", "student2"), as_="teacher")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] is None
    assert body["workflow_state"] == "unsubmitted"
    assert body["preview_url"].endswith("/submissions/10000000000006?preview=1")


def test_students_cannot_read_each_others_submissions(client, ids):
    response = client.get(submission_path(ids, "assignment", "student2"), as_="student")
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED


def test_a_section_limited_ta_cannot_find_students_of_other_sections(client, ids):
    assert (
        client.get(
            submission_path(ids, "assignment", "student2"), as_="section_limited_ta"
        ).status_code
        == 200
    )
    response = client.get(submission_path(ids, "assignment", "student"), as_="section_limited_ta")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


@pytest.mark.parametrize(
    ("assignment", "user", "viewer"),
    [
        ("deleted_assignment", "student", "admin"),
        ("other_assignment", "student", "admin"),
        ("assignment", "teacher", "admin"),  # not a student of the course
        ("assignment", "deleted_user", "admin"),
        ("assignment", "999", "admin"),
        ("assignment", "student", "other_teacher"),  # sees no students in this course
    ],
)
def test_submission_lookups_that_are_not_found(client, ids, assignment, user, viewer):
    response = client.get(submission_path(ids, assignment, user), as_=viewer)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_submission_assignment_ids_are_cast_like_rails_find(client, ids):
    path = submission_path(ids, "assignment", "sis_user_id:SIS-U-SAM")
    cast = path.replace(
        f"/assignments/{ids['assignment']}/", f"/assignments/{ids['assignment']}abc/"
    )
    assert client.get(cast, as_="admin").status_code == 200


def test_a_students_own_submission_on_an_unpublished_assignment_is_unauthorized(client, ids):
    response = client.get(submission_path(ids, "unpublished_assignment", "self"), as_="student")
    assert response.status_code == 401


def test_submission_without_a_token_is_unauthenticated(client, ids):
    response = client.get(submission_path(ids, "assignment", "student"), as_=None)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHENTICATED


# -- presenters against their schemas, for every caller ---------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_presenter_output_meets_its_schema(world, viewer):
    who = world.users[world.landmarks[viewer]]
    for assignment in world.assignments.values():
        schemas.validate(
            "assignment", assignment_json(assignment, store=world, viewer=who, base_url=BASE)
        )
    for course in world.courses.values():
        schemas.validate("course", course_json(course, store=world, viewer=who, base_url=BASE))
        for user in world.users.values():
            schemas.validate("user", user_json(user, store=world, viewer=who, context=course))
    for user in world.users.values():
        schemas.validate("user", user_json(user, store=world, viewer=who))
        full = ("locale", "effective_locale", "email", "permissions")
        schemas.validate("user", user_json(user, store=world, viewer=who, includes=full))
    for submission in world.submissions.values():
        schemas.validate(
            "submission", submission_json(submission, store=world, viewer=who, base_url=BASE)
        )
    for page_view in world.page_views.values():
        schemas.validate("page_view", page_view_json(page_view, store=world, viewer=who))


def test_linked_users_in_the_root_account_show_sis_keys_to_admins_only(world):
    student = world.users[world.landmarks["student"]]
    teacher = world.users[world.landmarks["teacher"]]
    admin = world.users[world.landmarks["admin"]]
    assert set(user_json(student, store=world, viewer=teacher)) == {
        "id",
        "name",
        "created_at",
        "sortable_name",
        "short_name",
    }
    assert user_json(student, store=world, viewer=admin) == {
        "id": student.id,
        "name": "Sam Student",
        "created_at": "2026-01-06T09:00:00-07:00",
        "sortable_name": "Student, Sam",
        "short_name": "Sam",
        "sis_user_id": "SIS-U-SAM",
        "integration_id": "INT-U-SAM",
        "sis_import_id": None,
        "login_id": "student@mock.test",
    }


def test_page_view_json(world):
    teacher = world.users[world.landmarks["teacher"]]
    page_view = world.page_views[world_small.PAGE_VIEW_ID]
    body = page_view_json(page_view, store=world, viewer=teacher)
    assert body["id"] == world_small.PAGE_VIEW_ID
    assert body["http_method"] == "post"
    assert body["user_request"] is None
    assert body["contributed"] is False
    assert body["created_at"] == "2026-10-30T12:00:00-04:00"
    course = world.courses[world.landmarks["override_course"]]
    assert body["links"] == {
        "user": teacher.id,
        "context": course.id,
        "asset": None,
        "real_user": None,
        "account": course.account_id,
    }


def test_schemas_reject_what_presenters_never_send(world):
    admin = world.users[world.landmarks["admin"]]
    course = course_json(world.courses[1], store=world, viewer=admin, base_url=BASE)
    assert not schemas.is_valid("course", {**course, "sis_course_id": 5})
    assert not schemas.is_valid("course", {**course, "surprise": True})
    assert not schemas.is_valid("course", {**course, "created_at": "yesterday"})
    user = user_json(world.users[1], store=world, viewer=admin)
    assert not schemas.is_valid("user", {k: v for k, v in user.items() if k != "short_name"})


# -- a real client over a real socket ---------------------------------------------------------


@pytest.fixture
def served_world() -> Iterator[tuple[str, object]]:
    store = world_small.build()
    with serve(create_app(store)) as url:
        yield url, store


def test_canvasapi_reads_courses_assignments_and_users(served_world):
    canvasapi = pytest.importorskip("canvasapi")
    base_url, store = served_world
    ids = store.landmarks
    canvas = canvasapi.Canvas(base_url, world_small.token_for("teacher"))

    course = canvas.get_course(ids["override_course"])
    assert course.name == "History of Rome"
    assert course.sis_course_id == "SIS-C-HIST101"
    assert canvas.get_course("SIS-C-HIST101", use_sis_id=True).id == course.id

    assignment = course.get_assignment(ids["assignment"])
    assert assignment.name == "Essay 1"
    assert assignment.needs_grading_count == 1

    student = canvas.get_user(ids["student"])
    assert student.name == "Sam Student"
    assert canvas.get_current_user().id == ids["teacher"]
    students = course.get_users(enrollment_type=["student"])
    assert [u.name for u in students] == ["Bea Bravo", "Ivy Inactive", "Sam Student"]

    submission = assignment.get_submission(ids["student"])
    assert submission.score == 8.0

    with pytest.raises(canvasapi.exceptions.ResourceDoesNotExist):
        canvas.get_course(999)
    with pytest.raises(canvasapi.exceptions.ResourceDoesNotExist):
        course.get_assignment(ids["deleted_assignment"])
    with pytest.raises(canvasapi.exceptions.Unauthorized):
        canvas.get_user(ids["other_teacher"])


@pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly:UserWarning")
def test_canvasapi_follows_numbered_next_links(served_world):
    canvasapi = pytest.importorskip("canvasapi")
    base_url, store = served_world
    course_id = store.landmarks["override_course"]
    template = store.assignments[store.landmarks["assignment"]]
    for position in range(10, 130):
        store.add_assignment(
            replace(
                template,
                id=store.new_id("assignments"),
                name=f"Drill {position}",
                position=position,
            )
        )
    canvas = canvasapi.Canvas(base_url, world_small.token_for("student"))
    # canvasapi asks for per_page twice (its own 100 last), so 123 assignments take two pages.
    names = [a.name for a in canvas.get_course(course_id).get_assignments(per_page=5)]
    assert len(names) == 123
    assert names[:3] == ["Quiz 1", "Essay 1", "Blind review"]
    assert names[-1] == "Drill 129"


# -- the seeded world ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded() -> Client:
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    return Client(app, store)


def seeded_get(seeded: Client, path: str, viewer: str, **kw):
    token = seeded.store.token_for(seeded.store.landmarks[viewer])
    return seeded.get(path, as_=None, token=token, **kw)


SEEDED_VIEWERS = (
    "admin",
    "no_grade_log_admin",
    "teacher",
    "ta",
    "section_limited_ta",
    "student",
    "other_teacher",
)


@pytest.mark.parametrize("viewer", SEEDED_VIEWERS)
def test_seeded_world_answers_every_route_with_schema_valid_bodies(seeded, viewer):
    store = seeded.store
    is_admin = viewer == "admin"
    readable = []
    for course in store.courses.values():
        base = f"/api/v1/courses/{course.id}"
        shown = seeded_get(seeded, base, viewer)
        assert shown.status_code in (200, 401)
        if shown.status_code != 200:
            assert seeded_get(seeded, f"{base}/assignments", viewer).status_code == 401
            continue
        readable.append(course.id)
        listed = seeded_get(seeded, f"{base}/assignments", viewer, query={"per_page": 100})
        assignment_ids = [a["id"] for a in listed.get_json()]
        deleted = {a.id for a in store.course_assignments(course.id) if not a.active}
        assert not deleted & set(assignment_ids)
        for assignment_id in assignment_ids:
            path = f"{base}/assignments/{assignment_id}"
            assert seeded_get(seeded, path, viewer).status_code == 200
        users = seeded_get(seeded, f"{base}/users", viewer, query={"per_page": 100}).get_json()
        assert users
        students = seeded_get(seeded, f"{base}/students", viewer).get_json()
        assert {u["id"] for u in students} <= {
            e.user_id for e in store.course_enrollments(course.id)
        }
        for student in students[:3]:
            for assignment_id in assignment_ids[:3]:
                path = f"{base}/assignments/{assignment_id}/submissions/{student['id']}"
                status = seeded_get(seeded, path, viewer).status_code
                assert status in (200, 401, 404)
                assert status == 200 or not is_admin
    # A custom account role without course rights reads nothing; admins read everything.
    if viewer == "no_grade_log_admin":
        assert readable == []
    elif is_admin:
        assert readable == list(store.courses)
    else:
        assert readable
    for user_id in list(store.users)[:12]:
        status = seeded_get(seeded, f"/api/v1/users/{user_id}", viewer).status_code
        assert status in (200, 401)
        assert status == 200 or not is_admin


def test_seeded_landmarks_read_as_expected(seeded):
    ids = seeded.store.landmarks
    course = f"/api/v1/courses/{ids['override_course']}"
    deleted = seeded_get(seeded, f"{course}/assignments/{ids['deleted_assignment']}", "admin")
    assert deleted.status_code == 404
    assert seeded_get(seeded, f"/api/v1/users/{ids['deleted_user']}", "admin").status_code == 200
    assert seeded_get(seeded, course, "other_teacher").status_code == 401
    me = seeded_get(seeded, "/api/v1/users/self", "teacher").get_json()
    assert me["id"] == ids["teacher"]
