"""The store's page views: a dict by request id, whose seeded part is derived from audit rows.

A seeded world keeps most page views as facts of their audit rows; these pin that what readers
get is what the seed used to store (a PageView per request), and that the mapping behaves as the
dict it replaces: insertion order, overwriting in place, deleting, popping the newest, equality.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockcanvas.models import PageView
from mockcanvas.pageviews import PageViews
from mockcanvas.seed import build_world
from mockcanvas.snapshot import Snapshot


@pytest.fixture(scope="module")
def world():
    return build_world(3, "small")


def _view(request_id: str, user: int = 1) -> PageView:
    return PageView(
        request_id=request_id, user_id=user, url="/x", controller="c", action="a",
        http_method="GET", context_type="Course", context_id=1,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def test_each_seeded_view_is_the_request_of_its_audit_row(world):
    views = world.page_views
    rows = {r.request_id: r for r in world.grade_changes.rows()}
    assert 0 < len(views) < len(rows)
    for request_id, view in views.items():
        row = rows[request_id]
        assert view.request_id == request_id
        assert view.user_id == (row.grader_id if row.grader_id is not None else row.student_id)
        assert view.context_type == "Course" and view.context_id == row.course_id
        assert view.created_at == datetime.fromtimestamp(row.created_at, UTC)
        assert view.http_method == "POST"
        if row.override:
            assert (view.url, view.controller, view.action) == (
                "/api/graphql",
                "graphql",
                "execute",
            )
        else:
            assignment = world.assignments[row.assignment_id]
            quiz = assignment.quiz_id is not None
            assert view.participated is quiz
            assert view.url.startswith(f"/courses/{row.course_id}/")
        assert 0.05 <= view.render_time <= 0.45 and round(view.render_time, 3) == view.render_time
        assert views[request_id] == view
        assert views[request_id] is views[request_id]  # the same object while it is kept


def test_lookups_by_other_keys_find_nothing(world):
    views = world.page_views
    some = next(iter(views))
    for key in (some.upper(), some.replace("-", ""), some[:-1] + "g", "", 7, None, some + " "):
        assert key not in views
        assert views.get(key, "none") == "none"
    without = [r.request_id for r in world.grade_changes.rows() if r.request_id not in views]
    assert without and all(views.get(k) is None for k in without)
    with pytest.raises(KeyError):
        views[without[0]]


def test_it_behaves_as_the_dict_it_replaces(world):
    views = Snapshot(world).thaw().page_views
    plain = dict(views.items())
    assert views == plain and list(views) == list(plain)
    first, second = list(plain)[:2]
    for mapping in (views, plain):
        mapping[first] = _view(first, user=99)  # overwriting keeps the place
        del mapping[second]
        mapping["added"] = _view("added")
    assert list(views) == list(plain) and views == plain and len(views) == len(plain)
    assert views[first].user_id == 99 and second not in views
    assert views.popitem() == plain.popitem()  # the newest first: the added one
    assert views.popitem() == plain.popitem()  # then the newest seeded one
    assert views == plain
    del views[first]
    del plain[first]
    views[first] = plain[first] = _view(first, user=5)  # deleted and added again: at the end
    assert list(views) == list(plain)
    views.clear()
    assert len(views) == 0 and list(views) == [] and first not in views


def test_a_thawed_store_has_its_own_views(world):
    snapshot = Snapshot(world)
    thawed = snapshot.thaw()
    key = next(iter(thawed.page_views))
    del thawed.page_views[key]
    thawed.page_views["new"] = _view("new")
    again = snapshot.thaw()
    assert key in again.page_views and "new" not in again.page_views
    assert again.page_views == world.page_views != thawed.page_views


def test_views_added_to_an_empty_log_are_stored():
    from mockcanvas.auditlog import GradeChangeLog

    views = PageViews(GradeChangeLog())
    views["r1"] = _view("r1")
    views["r2"] = _view("r2")
    assert list(views) == ["r1", "r2"] and views["r2"].request_id == "r2"
    assert views.popitem()[0] == "r2" and len(views) == 1
    with pytest.raises(KeyError):
        PageViews(GradeChangeLog()).popitem()
