"""Audit pages rendered from cached pieces are the bytes a cold, whole rendering gives.

The reference is ``jsonenc.dumps(compound_json(page))``: no cache is involved in it. Each test
compares the HTTP body with it while caches are warm, after writes that change what a page shows
(grades, posting, overrides, a renamed user, a viewer's time zone), after resets that reuse row
ids for different rows, and for viewers in different zones.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockcanvas import create_app
from mockcanvas.jsonenc import dumps
from mockcanvas.presenters import render_cache
from mockcanvas.presenters.grade_change import compound_bytes, compound_json
from mockcanvas.services import audit
from tests.support import BASE
from tests.support.grading import Grading

COURSE_ROUTE = "/api/v1/audit/grade_change/courses/{course}"


@pytest.fixture
def g() -> Grading:
    return Grading(create_app(seed=3, size="small"))


def reference(g: Grading, viewer: str, **query) -> bytes:
    """The page rendered whole, without any cache: what the HTTP body must be."""
    store = g.store
    course = g.id("override_course")
    with g.app.app_context():
        page = audit.for_course(
            store, store.users[g.id(viewer)], str(course), audit.EventQuery(**query)
        )
        return dumps(compound_json(page, store=store, base_url=BASE)).encode()


def fetch(g: Grading, viewer: str, per_page: int = 100, current_grade: bool = False) -> bytes:
    path = COURSE_ROUTE.format(course=g.id("override_course")) + f"?per_page={per_page}"
    if current_grade:
        path += "&include[]=current_grade"
    answer = g.get(path, as_=viewer)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data()


def check(g: Grading, viewer: str, per_page: int = 100, current_grade: bool = False) -> bytes:
    """Fetch twice (cold or warm, then warm) and compare both with the reference."""
    first = fetch(g, viewer, per_page, current_grade)
    second = fetch(g, viewer, per_page, current_grade)
    expected = reference(
        g, viewer, per_page=per_page, include_current_grade=current_grade
    )  # fmt: skip
    assert first == expected
    assert second == expected
    return first


def ungraded(g: Grading) -> tuple[int, int]:
    """An assignment of the override course and a student with no grade on it yet."""
    store = g.store
    course = g.id("override_course")
    for assignment in store.course_assignments(course):
        if assignment.anonymous_grading or assignment.grading_type != "points":
            continue
        for submission in store.assignment_submissions(assignment.id):
            if submission.grade is None and submission.workflow_state != "deleted":
                return assignment.id, submission.user_id
    raise AssertionError("no ungraded submission in the seeded course")


def test_warm_pages_equal_cold_ones_and_the_caches_are_used(g):
    render_cache.LINKED.clear()
    g.store.grade_changes.memo.clear()
    hits = render_cache.LINKED.hits
    for viewer in ("admin", "teacher", "ta", "section_limited_ta"):
        for per_page in (100, 10):
            check(g, viewer, per_page)
            check(g, viewer, per_page, current_grade=True)
    assert render_cache.LINKED.hits > hits
    assert len(g.store.grade_changes.memo) >= 100


def test_viewers_in_different_zones_each_get_their_own_times(g):
    store = g.store
    store.users[g.id("admin")].time_zone = "Pacific/Auckland"
    store.users[g.id("teacher")].time_zone = "America/Denver"
    admin = check(g, "admin")
    teacher = check(g, "teacher")
    assert b"+13:00" in admin or b"+12:00" in admin
    assert b"-07:00" in teacher or b"-06:00" in teacher
    # The same viewer moving to another zone sees the new zone at once.
    store.users[g.id("admin")].time_zone = "America/Denver"
    moved = check(g, "admin")
    assert moved != admin
    assert b"+13:00" not in moved and b"+12:00" not in moved


def test_writes_change_warm_pages_as_they_change_cold_ones(g):
    before = check(g, "teacher", current_grade=True)
    assignment, student = ungraded(g)
    assert g.put_grade(assignment, student, posted_grade="7").status_code == 200
    graded = check(g, "teacher", current_grade=True)
    assert graded != before
    # A new grade on the same submission changes the current grade of every earlier event.
    assert g.put_grade(assignment, student, posted_grade="8").status_code == 200
    regraded = check(g, "teacher", current_grade=True)
    assert b'"grade_current":"8"' in regraded and b'"grade_current":"7"' not in regraded
    # Linked records change in place: a user renamed, an assignment unpublished and muted.
    renamed = g.store.users[student]
    renamed.name = "Ada <Renamed> & Co"
    assert b"Ada \\u003cRenamed\\u003e \\u0026 Co" in check(g, "teacher")
    record = g.store.assignments[assignment]
    record.muted = not record.muted
    check(g, "admin")
    check(g, "teacher")


def test_posting_an_anonymous_assignment_unhides_its_students(g):
    store = g.store
    anonymous = g.id("anonymous_assignment")
    course = store.assignments[anonymous].course_id
    if course != g.id("override_course"):
        pytest.skip("the anonymous assignment is in another course in this world")
    hidden = check(g, "admin")
    answer = g.client.post(
        "/_mockcanvas/post_grades",
        json={"course_id": course, "assignment_id": anonymous},
        base_url=BASE,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert not store.assignments[anonymous].muted
    shown = check(g, "admin")
    assert shown != hidden


def test_a_reset_that_reuses_row_ids_never_serves_the_old_rows(g):
    assignment, student = ungraded(g)
    first_id = g.store.grade_changes.next_id()
    assert g.put_grade(assignment, student, posted_grade="3").status_code == 200
    check(g, "admin", current_grade=True)
    assert first_id in g.store.grade_changes.memo
    assert g.client.post("/_mockcanvas/reset", base_url=BASE, json={}).status_code == 200
    check(g, "admin", current_grade=True)
    # The same ids again, for different rows: another grade by another grader.
    assert g.put_grade(assignment, student, as_="ta", posted_grade="9").status_code == 200
    assert g.store.grade_changes.get(first_id).grade_after == "9"
    body = check(g, "admin", current_grade=True)
    assert b'"grade_after":"9"' in body and b'"grade_after":"3"' not in body


def test_a_memo_entry_made_for_another_row_is_not_served(g):
    """A reader finishing after a reset may store an entry for a dropped row: it is ignored."""
    store = g.store
    warm = check(g, "admin")
    memo = store.grade_changes.memo
    for row_id, entry in list(memo.items()):
        row = store.grade_changes.get(row_id)
        assert entry["row"] is row
        forged = replace(row)  # equal to the row, but not the row itself
        memo[row_id] = {key: b'{"stale":true}' for key in entry} | {"row": forged}
    assert fetch(g, "admin") == warm
    assert all(entry["row"] is store.grade_changes.get(i) for i, entry in memo.items())


def test_compound_bytes_matches_compound_json_for_every_route_shape(g):
    store = g.store
    admin = store.users[g.id("admin")]
    course = str(g.id("override_course"))
    queries = [audit.EventQuery(per_page=p, include_current_grade=c) for p in (1, 7, 100)
               for c in (False, True)]  # fmt: skip
    with g.app.app_context():
        for query in queries:
            for page in (
                audit.for_course(store, admin, course, query),
                audit.for_student(store, admin, str(g.id("student")), query),
                audit.for_grader(store, admin, str(g.id("teacher")), query),
                audit.for_assignment(store, admin, str(g.id("anonymous_assignment")), query),
            ):
                whole = dumps(compound_json(page, store=store, base_url=BASE)).encode()
                for _ in range(2):
                    assert compound_bytes(page, store=store, base_url=BASE) == whole


def test_the_event_memo_stays_bounded(g, monkeypatch):
    monkeypatch.setattr(render_cache, "MEMO_LIMIT", 25)
    check(g, "admin")
    assert 0 < len(g.store.grade_changes.memo) <= 25
    check(g, "admin")  # emptied and refilled: still the same bytes


def test_the_linked_cache_stays_bounded():
    cache = render_cache.RenderCache(limit=3)
    for n in range(10):
        assert cache.get(("k", n), lambda n=n: {"n": n}) == b'{"n":%d}' % n
    assert len(cache) <= 3
    assert cache.get(("k", 9), lambda: {"n": -1}) == b'{"n":9}'
    # An unhashable key part (a list) is rendered, not cached.
    assert cache.get(("k", [1]), lambda: ["<"]) == b'["\\u003c"]'


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON)
def test_jsonenc_writes_what_json_dumps_writes_then_escapes(value):
    """The prebuilt encoder changes the speed, not the text (NaN, 1e-05, big ints included)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    assert dumps(value) == text
