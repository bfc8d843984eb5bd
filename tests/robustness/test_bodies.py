"""Every route that reads a JSON body answers a bad one with a Canvas-shaped 4xx, never a 500."""

from __future__ import annotations

import pytest

from mockcanvas import create_app, schemas

DEEP = "[" * 100_000
ROUTES = [
    ("PUT", "/api/v1/courses/1/assignments/3/submissions/4"),
    ("POST", "/api/v1/courses/1/submissions/update_grades"),
    ("POST", "/api/graphql"),
    ("POST", "/_mockcanvas/grades"),
    ("POST", "/_mockcanvas/clock"),
    ("POST", "/_mockcanvas/faults"),
    ("PUT", "/_mockcanvas/state"),
]


@pytest.mark.parametrize("body", [DEEP, "{not json", "[1, 2]"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_bad_json_bodies_are_client_errors(method, path, body):
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    token = store.token_for(store.landmarks["teacher"])
    rows = len(store.grade_changes)
    response = app.test_client().open(
        path,
        method=method,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    status = response.status_code
    if path == "/api/graphql" and status == 200:
        # graphql-ruby's way with a JSON body that carries no query: 200 and an errors list.
        assert response.get_json()["errors"]
    else:
        assert 400 <= status < 500, (status, response.get_data()[:200])
    payload = response.get_json(silent=True)
    if payload is not None:
        assert schemas.is_valid("error", payload) or "errors" in payload
    assert len(store.grade_changes) == rows
