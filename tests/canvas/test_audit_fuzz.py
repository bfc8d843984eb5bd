"""Hostile input never crashes the audit routes: every answer is a Canvas status and shape."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockcanvas import create_app
from mockcanvas.pagination import encode_bookmark
from tests.support import CheckedClient

APP = create_app(seed=1)
API = CheckedClient(APP, APP.extensions["mockcanvas"].store)

ids = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(string.digits + "~_-+: abcsis", max_size=30),
    st.sampled_from(["self", "override", "sis_course_id:SIS-C-1", "1~1", "10000000000001"]),
    st.text(max_size=20).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
)
times = st.one_of(
    st.none(),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(string.digits + "-:TZ+ ./", max_size=30),
)
pages = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(min_value=-5, max_value=10**25).map(str),
    st.tuples(st.text(max_size=30), st.integers()).map(lambda t: encode_bookmark(list(t))),
    st.sampled_from(["first", "bookmark:", "bookmark:%%%", "bookmark:WyJ4Il0"]),
)
routes = st.sampled_from(
    [
        "courses/{a}",
        "assignments/{a}",
        "students/{a}",
        "graders/{a}",
        "courses/{a}/assignments/{b}",
        "courses/{a}/graders/{b}/students/{c}",
        "courses/{a}/assignments/{b}/graders/{c}/students/{a}",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=routes,
    a=ids,
    b=ids,
    c=ids,
    start=times,
    end=times,
    page=pages,
    per_page=st.one_of(st.none(), st.text(max_size=8), st.integers().map(str)),
    who=st.sampled_from(["admin", "teacher", "section_limited_ta", "student", None]),
)
def test_audit_routes_answer_canvas_statuses_for_any_input(
    route, a, b, c, start, end, page, per_page, who
):
    query = {
        k: v
        for k, v in {
            "start_time": start,
            "end_time": end,
            "page": page,
            "per_page": per_page,
        }.items()
        if v is not None
    }
    path = "/api/v1/audit/grade_change/" + route.format(a=a, b=b, c=c)
    response = API.get(path, as_=who, query=query)
    assert response.status_code in (200, 400, 401, 404), response.get_data(as_text=True)


@settings(max_examples=100, deadline=None)
@given(
    course=st.one_of(st.none(), ids),
    assignment=st.one_of(st.none(), ids),
    student=st.one_of(st.none(), ids),
    grader=st.one_of(st.none(), ids),
    who=st.sampled_from(["admin", "teacher", "student"]),
)
def test_advanced_query_answers_canvas_statuses_for_any_input(
    course, assignment, student, grader, who
):
    query = {
        k: v
        for k, v in {
            "course_id": course,
            "assignment_id": assignment,
            "student_id": student,
            "grader_id": grader,
        }.items()
        if v is not None
    }
    response = API.get("/api/v1/audit/grade_change", as_=who, query=query)
    assert response.status_code in (200, 400, 401, 404), response.get_data(as_text=True)
