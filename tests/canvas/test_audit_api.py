"""The Grade Change Log routes, in process: each test pins one Canvas rule.

Expected results come from brute-force scans of every audit row (tests.support), never from the
indexed code under test.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mockcanvas import create_app
from mockcanvas.grading import percent_string
from mockcanvas.pagination import encode_bookmark
from mockcanvas.timefmt import iso, ruby_to_s, zone
from tests.support import (
    BASE,
    NOT_FOUND,
    UNAUTHENTICATED,
    UNAUTHORIZED,
    CheckedClient,
    newest_first,
    parse_links,
)


def course_rows(store, course):
    rows = [r for r in store.grade_changes.rows() if r.course_id == course.id]
    if not course.allow_final_grade_override:
        rows = [r for r in rows if not r.override]
    return newest_first(rows)


def walk(api, path, as_="admin", **query):
    """Every event id across all pages, following the Link header's next."""
    ids, pages = [], 0
    response = api.get(path, as_=as_, query=query)
    while True:
        assert response.status_code == 200, response.get_json()
        pages += 1
        ids += [e["id"] for e in response.get_json()["events"]]
        nxt = parse_links(response.headers["Link"]).get("next")
        if nxt is None:
            return ids, pages
        response = api.get(nxt.removeprefix(BASE), as_=as_)


# -- shape -----------------------------------------------------------------------------------


def test_course_page_is_a_compound_document_with_templated_links(api, store):
    course_id = store.landmarks["override_course"]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.get_json()
    assert list(body) == ["links", "events", "linked"]
    assert body["links"] == {
        "events.assignment": (
            f"{BASE}/api/v1/courses/{{events.course}}/assignments/{{events.assignment}}"
        ),
        "events.course": f"{BASE}/api/v1/courses/{{events.course}}",
        "events.student": {"href": None, "type": "user"},
        "events.grader": {"href": None, "type": "user"},
        "events.page_view": None,
    }
    assert list(body["linked"]) == ["page_views", "assignments", "courses", "users"]
    assert len(body["events"]) == 10


def test_event_fields_have_canvas_types(api, store):
    course_id = store.landmarks["override_course"]
    events = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}", query={"per_page": 100}
    ).get_json()["events"]
    graded = next(e for e in events if "assignment" in e["links"])
    assert list(graded) == [
        "id", "created_at", "event_type", "grade_before", "grade_after", "excused_before",
        "excused_after", "graded_anonymously", "points_possible_after", "points_possible_before",
        "version_number", "links",
    ]  # fmt: skip
    assert isinstance(graded["version_number"], int)
    assert isinstance(graded["links"]["course"], int)
    assert isinstance(graded["links"]["assignment"], int)
    assert graded["links"]["student"] is None or isinstance(graded["links"]["student"], str)
    assert "request_id" not in graded


def test_linked_collections_hold_each_referenced_record_once(api, store):
    course_id = store.landmarks["override_course"]
    body = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}", query={"per_page": 50}
    ).get_json()
    events = body["events"]
    user_ids = {int(e["links"][k]) for e in events for k in ("student", "grader") if e["links"][k]}
    assert sorted(u["id"] for u in body["linked"]["users"]) == sorted(user_ids)
    assignment_ids = {e["links"]["assignment"] for e in events if "assignment" in e["links"]}
    assert sorted(a["id"] for a in body["linked"]["assignments"]) == sorted(assignment_ids)
    assert [c["id"] for c in body["linked"]["courses"]] == [course_id]
    page_view_ids = {e["links"]["page_view"] for e in events} - {None}
    assert page_view_ids, "the seed stores page views for most rows"
    assert {p["id"] for p in body["linked"]["page_views"]} == page_view_ids


def test_empty_result_has_four_empty_linked_arrays(api, store):
    course_id = store.landmarks["override_course"]
    body = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}",
        query={"start_time": "2090-01-01T00:00:00Z"},
    ).get_json()
    assert body["events"] == []
    assert body["linked"] == {"page_views": [], "assignments": [], "courses": [], "users": []}


# -- order, paging, bookmarks ------------------------------------------------------------------


def test_pages_walk_the_whole_history_newest_first(api, store):
    course = store.courses[store.landmarks["override_course"]]
    ids, pages = walk(api, f"/api/v1/audit/grade_change/courses/{course.id}", per_page=7)
    expected = [r.uuid for r in course_rows(store, course)]
    assert ids == expected
    assert pages == -(-len(expected) // 7)


def test_ties_in_the_same_second_are_ordered_by_id_across_pages(api, store):
    rows = store.grade_changes.rows()
    seconds = {}
    for row in rows:
        seconds.setdefault((row.course_id, row.created_at), []).append(row)
    tied = next(group for group in seconds.values() if len(group) > 1)
    course = store.courses[tied[0].course_id]
    ids, _ = walk(api, f"/api/v1/audit/grade_change/courses/{course.id}", per_page=1)
    assert ids == [r.uuid for r in course_rows(store, course)]


@pytest.mark.parametrize(
    ("per_page", "expected"),
    [(None, 10), ("5", 5), ("1000", 100), ("0", 1), ("-3", 1), ("abc", 1), ("7abc", 7)],
)
def test_per_page_default_and_clamp(api, store, per_page, expected):
    course_id = store.landmarks["override_course"]
    query = {} if per_page is None else {"per_page": per_page}
    response = api.get(f"/api/v1/audit/grade_change/courses/{course_id}", query=query)
    assert len(response.get_json()["events"]) == expected
    assert parse_links(response.headers["Link"])["current"].endswith(f"&per_page={expected}")


def test_repeated_per_page_takes_the_last_value(api, store):
    course_id = store.landmarks["override_course"]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course_id}?per_page=10&per_page=3")
    assert len(response.get_json()["events"]) == 3


def test_link_header_rels_and_urls(api, store):
    course_id = store.landmarks["override_course"]
    token = api.token("admin")
    response = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}?access_token={token}"
        "&include[]=current_grade&per_page=5&start_time=2000-01-01",
        as_=None,
    )
    header = response.headers["Link"]
    links = parse_links(header)
    assert list(links) == ["current", "next", "first"]
    base = (
        f"{BASE}/api/v1/audit/grade_change/courses/{course_id}"
        "?include%5B%5D=current_grade&start_time=2000-01-01&"
    )
    assert links["current"] == base + "page=first&per_page=5"
    assert links["first"] == base + "page=first&per_page=5"
    assert links["next"].startswith(base + "page=bookmark:")
    assert "access_token" not in header
    assert "prev" not in links and "last" not in links


def test_next_link_is_absent_on_the_last_page(api, store):
    course = min(store.courses.values(), key=lambda c: len(course_rows(store, c)))
    total = len(course_rows(store, course))
    assert total <= 100
    response = api.get(f"/api/v1/audit/grade_change/courses/{course.id}", query={"per_page": total})
    assert list(parse_links(response.headers["Link"])) == ["current", "first"]


def test_bookmark_is_created_at_in_request_zone_and_id(api, store):
    course = store.courses[store.landmarks["override_course"]]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course.id}", query={"per_page": 2})
    nxt = parse_links(response.headers["Link"])["next"]
    page = parse_qs(urlsplit(nxt).query)["page"][0]
    second = course_rows(store, course)[1]
    admin = store.users[store.landmarks["admin"]]
    tz = zone(admin.time_zone or store.root_account.default_time_zone)
    assert page == encode_bookmark([ruby_to_s(second.created_at, tz), second.id])
    following = api.get(nxt.removeprefix(BASE)).get_json()["events"]
    assert following[0]["id"] == course_rows(store, course)[2].uuid
    current = parse_links(api.get(nxt.removeprefix(BASE)).headers["Link"])["current"]
    assert parse_qs(urlsplit(current).query)["page"][0] == page


@pytest.mark.parametrize(
    "page", ["bookmark:%%%", "bookmark:bm90IGpzb24", "bookmark:WzFd", "nope", "1"]
)
def test_invalid_bookmark_means_the_first_page(api, store, page):
    course = store.courses[store.landmarks["override_course"]]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course.id}", query={"page": page})
    assert response.status_code == 200
    assert response.get_json()["events"][0]["id"] == course_rows(store, course)[0].uuid
    assert "page=first&" in parse_links(response.headers["Link"])["current"]


def test_numbered_page_beyond_one_is_not_found(api, store):
    course_id = store.landmarks["override_course"]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course_id}", query={"page": "2"})
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_legacy_timestamp_bookmark_pages_strictly_before_it(api, store):
    course = store.courses[store.landmarks["override_course"]]
    rows = course_rows(store, course)
    pivot = rows[3]
    page = encode_bookmark(iso(pivot.created_at, zone("UTC")))
    events = api.get(
        f"/api/v1/audit/grade_change/courses/{course.id}", query={"page": page, "per_page": 100}
    ).get_json()["events"]
    expected = [r.uuid for r in rows if r.created_at < pivot.created_at][:100]
    assert [e["id"] for e in events] == expected


# -- time filters and zones ----------------------------------------------------------------------


def test_start_and_end_time_are_inclusive(api, store):
    course = store.courses[store.landmarks["override_course"]]
    rows = course_rows(store, course)
    newest, oldest = rows[2], rows[6]
    events = api.get(
        f"/api/v1/audit/grade_change/courses/{course.id}",
        query={
            "start_time": iso(oldest.created_at, zone("UTC")),
            "end_time": iso(newest.created_at, zone("UTC")),
            "per_page": 100,
        },
    ).get_json()["events"]
    expected = [r.uuid for r in rows if oldest.created_at <= r.created_at <= newest.created_at]
    assert [e["id"] for e in events] == expected
    assert rows[2].uuid in expected and rows[6].uuid in expected


def test_unparseable_times_are_ignored(api, store):
    course_id = store.landmarks["override_course"]
    plain = api.get(f"/api/v1/audit/grade_change/courses/{course_id}").get_json()
    junk = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}",
        query={"start_time": "yesterday", "end_time": "2024-13-45"},
    ).get_json()
    assert junk == plain


def test_times_without_offset_are_in_the_callers_zone(api, store):
    course = store.courses[store.landmarks["override_course"]]
    admin = store.users[store.landmarks["admin"]]
    tz = zone(admin.time_zone or store.root_account.default_time_zone)
    pivot = course_rows(store, course)[4]
    local = iso(pivot.created_at, tz)[:19]  # no offset: read in the caller's zone
    events = api.get(
        f"/api/v1/audit/grade_change/courses/{course.id}",
        query={"end_time": local, "per_page": 1},
    ).get_json()["events"]
    assert events[0]["id"] == pivot.uuid


def test_created_at_is_in_the_callers_zone_without_fractions(api, store):
    course = store.courses[store.landmarks["override_course"]]
    row = course_rows(store, course)[0]
    admin = store.users[store.landmarks["admin"]]
    tz = zone(admin.time_zone or store.root_account.default_time_zone)
    event = api.get(f"/api/v1/audit/grade_change/courses/{course.id}").get_json()["events"][0]
    assert event["created_at"] == iso(row.created_at, tz)
    assert len(event["created_at"]) in (20, 25)  # ...Z or ...+HH:MM, never fractional


# -- authentication and rights -------------------------------------------------------------------


def test_no_token_is_unauthenticated_with_www_authenticate(api, store):
    course_id = store.landmarks["override_course"]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course_id}", as_=None)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_unknown_token_is_invalid(api, store):
    course_id = store.landmarks["override_course"]
    response = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}",
        as_=None,
        headers={"Authorization": "Bearer 1~nope"},
    )
    assert response.status_code == 401
    assert response.get_json() == {"errors": [{"message": "Invalid access token."}]}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_access_token_parameter_authenticates(api, store):
    course_id = store.landmarks["override_course"]
    token = api.token("teacher")
    response = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}", as_=None, query={"access_token": token}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("who", "route", "status"),
    [
        ("teacher", "courses/{override_course}", 200),
        ("ta", "courses/{override_course}", 200),
        ("other_teacher", "courses/{override_course}", 401),
        ("student", "courses/{override_course}", 401),
        ("no_grade_log_admin", "courses/{override_course}", 401),
        ("teacher", "students/{student}", 401),
        ("teacher", "graders/{teacher}", 401),
        ("teacher", "assignments/{points_assignment}", 401),
        ("student", "students/{student}", 401),
        ("no_grade_log_admin", "students/{student}", 401),
        ("admin", "students/{student}", 200),
        ("admin", "graders/{teacher}", 200),
        ("admin", "assignments/{points_assignment}", 200),
    ],
)
def test_who_may_read_which_log(api, store, who, route, status):
    path = "/api/v1/audit/grade_change/" + route.format(**store.landmarks)
    response = api.get(path, as_=who)
    assert response.status_code == status
    if status == 401:
        assert response.get_json() == UNAUTHORIZED
        assert "WWW-Authenticate" not in response.headers


def test_unauthorized_can_answer_403_as_with_the_feature_flag():
    app = create_app(seed=1, unauthorized_status=403)
    store = app.extensions["mockcanvas"].store
    api = CheckedClient(app, store)
    response = api.get(
        f"/api/v1/audit/grade_change/courses/{store.landmarks['override_course']}", as_="student"
    )
    assert response.status_code == 403
    assert response.get_json() == UNAUTHORIZED


@pytest.mark.parametrize(
    ("who", "route", "status"),
    [
        ("admin", "courses/999999", 404),
        ("teacher", "courses/999999", 401),
        ("admin", "courses/sis_course_id:anything", 404),
        ("admin", "assignments/{deleted_assignment}", 404),
        ("admin", "assignments/999999", 404),
        ("admin", "students/{deleted_user}", 404),
        ("admin", "graders/999999", 404),
        ("admin", "students/abc", 404),
    ],
)
def test_missing_records(api, store, who, route, status):
    response = api.get("/api/v1/audit/grade_change/" + route.format(**store.landmarks), as_=who)
    assert response.status_code == status
    assert response.get_json() == (NOT_FOUND if status == 404 else UNAUTHORIZED)


def test_course_route_casts_ids_like_rails_find(api, store):
    course_id = store.landmarks["override_course"]
    plain = api.get(f"/api/v1/audit/grade_change/courses/{course_id}").get_json()
    cast = api.get(f"/api/v1/audit/grade_change/courses/{course_id}abc").get_json()
    glob = api.get(f"/api/v1/audit/grade_change/courses/{10**13 + course_id}").get_json()
    assert cast == plain == glob


def test_unknown_routes_and_methods_answer_canvas_json(api, store):
    for method, path in [
        ("GET", "/api/v1/audit/grade_change/nothing/here"),
        ("POST", f"/api/v1/audit/grade_change/courses/{store.landmarks['override_course']}"),
        ("DELETE", "/api/v1/audit/grade_change"),
        ("GET", "/not/canvas"),
        # Rails routes no OPTIONS (Flask would answer 200 with Allow), nor Flask's /static.
        ("OPTIONS", f"/api/v1/audit/grade_change/courses/{store.landmarks['override_course']}"),
        ("OPTIONS", "/_mockcanvas/health"),
        ("GET", "/static/app.js"),
    ]:
        response = api.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.get_json() == NOT_FOUND
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"


# -- the advanced query -------------------------------------------------------------------------


def test_query_without_conditions_is_400_with_a_bare_message(api):
    response = api.get("/api/v1/audit/grade_change", query={"start_time": "2020-01-01"})
    assert response.status_code == 400
    assert response.get_json() == {"message": "Must specify at least one query condition"}


def test_query_blank_conditions_count_as_missing(api):
    response = api.get("/api/v1/audit/grade_change", query={"course_id": " ", "student_id": ""})
    assert response.status_code == 400


def test_query_by_sis_course_id_matches_the_course_route(api, store):
    course = next(c for c in store.courses.values() if c.sis_course_id)
    by_sis = api.get(
        "/api/v1/audit/grade_change",
        query={"course_id": f"sis_course_id:{course.sis_course_id}", "per_page": 100},
    ).get_json()
    by_route = api.get(
        f"/api/v1/audit/grade_change/courses/{course.id}", query={"per_page": 100}
    ).get_json()
    assert by_sis["events"] == by_route["events"]


def test_query_without_course_needs_the_admin_right(api, store):
    response = api.get(
        "/api/v1/audit/grade_change",
        as_="teacher",
        query={"student_id": store.landmarks["student"]},
    )
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED


def test_query_teacher_with_course_and_student(api, store):
    course = store.courses[store.landmarks["override_course"]]
    student_id = store.landmarks["student"]
    events = api.get(
        "/api/v1/audit/grade_change",
        as_="teacher",
        query={"course_id": course.id, "student_id": student_id, "per_page": 100},
    ).get_json()["events"]
    expected = [
        r.uuid
        for r in course_rows(store, course)
        if r.student_id == student_id
        and not (
            r.assignment_id
            and store.assignments[r.assignment_id].anonymous_grading
            and store.assignments[r.assignment_id].muted
        )
    ]
    assert [e["id"] for e in events] == expected and expected


def test_query_student_outside_the_course_is_not_found(api, store):
    course_id = store.landmarks["override_course"]
    outsider = store.landmarks["other_teacher"]
    response = api.get(
        "/api/v1/audit/grade_change", query={"course_id": course_id, "student_id": outsider}
    )
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_query_assignment_override_selects_only_override_rows(api, store):
    events = api.get(
        "/api/v1/audit/grade_change", query={"assignment_id": "override", "per_page": 100}
    ).get_json()["events"]
    expected = [r.uuid for r in newest_first(store.grade_changes.rows()) if r.override][:100]
    assert [e["id"] for e in events] == expected and expected
    assert all(e.get("course_override_grade") is True for e in events)


# -- override rows -------------------------------------------------------------------------------


def test_override_events_have_their_own_shape(api, store):
    course_id = store.landmarks["override_course"]
    events = api.get(
        f"/api/v1/audit/grade_change/courses/{course_id}/assignments/override",
        query={"per_page": 100},
    ).get_json()["events"]
    assert events
    for event in events:
        assert event["course_override_grade"] is True
        assert "assignment" not in event["links"]
        assert event["version_number"] == 0
        assert event["excused_before"] is False and event["excused_after"] is False


def test_course_without_overrides_hides_override_rows_before_paging(api, store):
    course = store.courses[store.landmarks["no_override_course"]]
    assert not course.allow_final_grade_override
    hidden = [r for r in store.grade_changes.rows() if r.course_id == course.id and r.override]
    assert hidden, "the seed keeps override rows in the course that no longer allows them"
    ids, _ = walk(api, f"/api/v1/audit/grade_change/courses/{course.id}", per_page=10)
    assert ids == [r.uuid for r in course_rows(store, course)]
    assert not {r.uuid for r in hidden} & set(ids)


def test_admin_routes_without_a_course_keep_override_rows(api, store):
    course = store.courses[store.landmarks["no_override_course"]]
    row = next(r for r in store.grade_changes.rows() if r.course_id == course.id and r.override)
    ids, _ = walk(api, f"/api/v1/audit/grade_change/students/{row.student_id}", per_page=50)
    assert row.uuid in ids


# -- visibility and anonymity --------------------------------------------------------------------


def test_section_limited_ta_sees_only_their_sections_students(api, store):
    course = store.courses[store.landmarks["override_course"]]
    ta = store.landmarks["section_limited_ta"]
    sections = {e.section_id for e in store.user_enrollments(ta) if e.course_id == course.id}
    visible = {
        e.user_id
        for e in store.course_enrollments(course.id)
        if e.type == "StudentEnrollment" and e.section_id in sections
    }
    ids, _ = walk(api, f"/api/v1/audit/grade_change/courses/{course.id}", as_=ta, per_page=10)
    expected = [r.uuid for r in course_rows(store, course) if r.student_id in visible]
    assert ids == expected
    assert len(expected) < len(course_rows(store, course))


def test_filtered_page_can_be_short_and_still_have_next(api, store):
    course = store.courses[store.landmarks["override_course"]]
    ta = store.landmarks["section_limited_ta"]
    response = api.get(
        f"/api/v1/audit/grade_change/courses/{course.id}", as_=ta, query={"per_page": 10}
    )
    shorts = []
    while True:
        events = response.get_json()["events"]
        nxt = parse_links(response.headers["Link"]).get("next")
        if nxt is None:
            break
        shorts.append(len(events) < 10)
        response = api.get(nxt.removeprefix(BASE), as_=ta)
    assert any(shorts)


def test_anonymous_muted_assignment_blanks_students_on_course_routes(api, store):
    assignment = store.assignments[store.landmarks["anonymous_assignment"]]
    assert assignment.anonymous_grading and assignment.muted
    body = api.get(
        f"/api/v1/audit/grade_change/courses/{assignment.course_id}/assignments/{assignment.id}",
        query={"per_page": 100},
    ).get_json()
    assert body["events"]
    assert all(e["links"]["student"] is None for e in body["events"])
    students = {
        r.student_id for r in store.grade_changes.rows() if r.assignment_id == assignment.id
    }
    assert not students & {u["id"] for u in body["linked"]["users"]}


def test_anonymous_muted_assignment_rows_are_dropped_for_student_queries(api, store):
    assignment = store.assignments[store.landmarks["anonymous_assignment"]]
    row = next(r for r in store.grade_changes.rows() if r.assignment_id == assignment.id)
    ids, _ = walk(api, f"/api/v1/audit/grade_change/students/{row.student_id}", per_page=100)
    expected = [
        r.uuid
        for r in newest_first(store.grade_changes.rows())
        if r.student_id == row.student_id and r.assignment_id != assignment.id
    ]
    assert ids == expected
    combined, _ = walk(
        api,
        f"/api/v1/audit/grade_change/courses/{assignment.course_id}/students/{row.student_id}",
        per_page=100,
    )
    assert row.uuid not in combined


def test_grader_route_blanks_rather_than_drops(api, store):
    assignment = store.assignments[store.landmarks["anonymous_assignment"]]
    row = next(
        r for r in store.grade_changes.rows() if r.assignment_id == assignment.id and r.grader_id
    )
    events = api.get(
        f"/api/v1/audit/grade_change/graders/{row.grader_id}", query={"per_page": 100}
    ).get_json()["events"]
    [event] = [e for e in events if e["id"] == row.uuid] or [None]
    if event is None:  # the row may sit past the first 100 of this grader's history
        ids, _ = walk(api, f"/api/v1/audit/grade_change/graders/{row.grader_id}", per_page=100)
        assert row.uuid in ids
    else:
        assert event["links"]["student"] is None


def test_autograded_rows_have_no_grader(api, store):
    quiz = store.assignments[store.landmarks["quiz_assignment"]]
    events = api.get(
        f"/api/v1/audit/grade_change/assignments/{quiz.id}", query={"per_page": 100}
    ).get_json()["events"]
    assert events
    assert all(e["links"]["grader"] is None for e in events)


def test_deleted_assignment_history_is_readable_through_the_course(api, store):
    assignment = store.assignments[store.landmarks["deleted_assignment"]]
    body = api.get(
        f"/api/v1/audit/grade_change/courses/{assignment.course_id}/assignments/{assignment.id}",
        query={"per_page": 100},
    ).get_json()
    assert body["events"]
    assert [a["id"] for a in body["linked"]["assignments"]] == [assignment.id]


# -- include[]=current_grade ---------------------------------------------------------------------


def test_current_grade_only_when_asked(api, store):
    course = store.courses[store.landmarks["override_course"]]
    path = f"/api/v1/audit/grade_change/courses/{course.id}"
    plain = api.get(path, query={"per_page": 100}).get_json()["events"]
    assert all("grade_current" not in e for e in plain)
    events = api.get(path, query={"per_page": 100, "include[]": "current_grade"}).get_json()[
        "events"
    ]
    rows = {r.uuid: r for r in store.grade_changes.rows()}
    checked = 0
    for event in events:
        row = rows[event["id"]]
        if row.override:
            continue
        grade = store.submissions[row.submission_id].grade
        assert event.get("grade_current") == (grade or None)
        checked += 1
    assert checked


def test_current_grade_of_override_events_is_the_override_now(api, store):
    course = store.courses[store.landmarks["override_course"]]
    events = api.get(
        f"/api/v1/audit/grade_change/courses/{course.id}/assignments/override",
        query={"per_page": 100, "include[]": "current_grade"},
    ).get_json()["events"]
    assert events
    for event in events:
        student = int(event["links"]["student"])
        enrollment = next(e for e in store.user_enrollments(student) if e.course_id == course.id)
        score = store.course_score(enrollment.id)
        expected = score.override_grade or (
            percent_string(score.override_score) if score.override_score is not None else None
        )
        assert event.get("grade_current") == expected


# -- the seven combined routes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "dims",
    [
        ("assignment",),
        ("assignment", "grader"),
        ("assignment", "grader", "student"),
        ("assignment", "student"),
        ("grader",),
        ("grader", "student"),
        ("student",),
    ],
)
def test_combined_course_routes_filter_and_link_to_themselves(api, store, dims):
    course = store.courses[store.landmarks["override_course"]]
    rows = [r for r in course_rows(store, course) if not r.override and r.grader_id]
    hidden = {a.id for a in store.assignments.values() if a.anonymous_grading and a.muted}
    sample = next(r for r in rows if r.assignment_id not in hidden)
    values = {
        "assignment": sample.assignment_id,
        "grader": sample.grader_id,
        "student": sample.student_id,
    }
    path = f"/api/v1/audit/grade_change/courses/{course.id}" + "".join(
        f"/{d}s/{values[d]}" for d in dims
    )
    response = api.get(path, query={"per_page": 100})
    assert response.status_code == 200
    expected = [
        r.uuid
        for r in course_rows(store, course)
        if all(getattr(r, f"{d}_id") == values[d] for d in dims)
        and not ("student" in dims and r.assignment_id in hidden)
    ]
    assert [e["id"] for e in response.get_json()["events"]] == expected[:100]
    assert parse_links(response.headers["Link"])["current"].startswith(f"{BASE}{path}?page=")


def test_combined_route_rejects_users_outside_the_course(api, store):
    course_id = store.landmarks["override_course"]
    outsider = store.landmarks["other_teacher"]
    response = api.get(f"/api/v1/audit/grade_change/courses/{course_id}/graders/{outsider}")
    assert response.status_code == 404


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes():
    bodies = []
    for _ in range(2):
        app = create_app(seed=7)
        store = app.extensions["mockcanvas"].store
        client = app.test_client()
        token = store.token_for(store.landmarks["admin"])
        response = client.get(
            f"/api/v1/audit/grade_change/courses/{store.landmarks['override_course']}",
            query_string={"per_page": 50, "include[]": "current_grade"},
            headers={"Authorization": f"Bearer {token}"},
        )
        bodies.append((response.data, response.headers["Link"]))
    assert bodies[0] == bodies[1]
