"""The whole path, with real parts: canvasapi grades on a live server, a signed webhook receives
both events, the signature checks out against the served JWKS, and the audit log agrees.

Also the control API's grading door, which must write exactly what the Canvas doors write.
"""

from __future__ import annotations

import json

import jwt
import pytest
import requests
from canvasapi import Canvas

from mockcanvas import create_app, schemas
from tests.support import CheckedClient, check_live_event, serve
from tests.support.receiver import Receiver


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.stop()


def test_canvasapi_grade_reaches_a_signed_webhook_and_the_audit_log(receiver):
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    landmarks = store.landmarks
    with serve(app) as url:
        created = requests.post(
            f"{url}/_mockcanvas/subscriptions",
            json={"kind": "webhook", "url": receiver.url, "signed": True},
            timeout=10,
        )
        assert created.status_code in (200, 201), created.text
        canvas = Canvas(url, store.token_for(landmarks["teacher"]))
        submission = (
            canvas.get_course(landmarks["override_course"])
            .get_assignment(landmarks["points_assignment"])
            .get_submission(landmarks["student"])
        )
        edited = submission.edit(submission={"posted_grade": "9"})
        assert edited.grade == "9" and edited.score == 9.0

        assert receiver.wait_for(2), "both events reach the webhook"
        jwks = jwt.PyJWKSet.from_dict(requests.get(f"{url}/_mockcanvas/jwks", timeout=10).json())
        claims = []
        for received in receiver.delivered():
            assert received.headers["Content-Type"].startswith("application/jwt")
            token = received.body.decode()
            kid = jwt.get_unverified_header(token)["kid"]
            claims.append(jwt.decode(token, jwks[kid].key, algorithms=["RS256"]))
        names = [c["metadata"]["event_name"] for c in claims]
        assert names == ["grade_change", "course_grade_change"]
        inbox = requests.get(f"{url}/_mockcanvas/live_events", timeout=10).json()["live_events"]
        for claim, listed in zip(claims, inbox, strict=True):
            assert {"metadata": claim["metadata"], "body": claim["body"]} == listed["event"]
            check_live_event(listed["event"])

        grade_change = claims[0]
        assert grade_change["body"]["grade"] == "9"
        assert grade_change["metadata"]["http_method"] == "PUT"
        assert grade_change["metadata"]["user_agent"].startswith("python-canvasapi/")
        audit = requests.get(
            f"{url}/api/v1/audit/grade_change/courses/{landmarks['override_course']}",
            headers={"Authorization": f"Bearer {store.token_for(landmarks['admin'])}"},
            params={"per_page": 1},
            timeout=10,
        ).json()
        schemas.validate("grade_change_compound", audit)
        [event] = audit["events"]
        assert event["grade_after"] == "9"
        assert event["links"]["page_view"] == grade_change["metadata"]["request_id"]
        assert event["links"]["student"] == str(landmarks["student"])


# -- the control API's grading door ---------------------------------------------------------------


@pytest.fixture
def app():
    return create_app(seed=1)


def _post(app, path, body):
    """POST through the schema-checking client: 2xx bodies must be control_write_result."""
    client = CheckedClient(app, app.extensions["mockcanvas"].store)
    response = client.post(path, json=body)
    return response.status_code, response.get_json()


def test_control_grade_writes_what_rest_writes(app):
    store = app.extensions["mockcanvas"].store
    landmarks = store.landmarks
    rows = len(store.grade_changes)
    status, body = _post(
        app,
        "/_mockcanvas/grades",
        {
            "course_id": landmarks["override_course"],
            "assignment_id": landmarks["letter_grade_assignment"],
            "user_id": landmarks["student"],
            "posted_grade": "B+",
        },
    )
    assert status == 200
    schemas.validate("submission", body["submission"])
    assert body["submission"]["grade"] == "B+"
    assert len(store.grade_changes) == rows + 1
    row = store.grade_changes.get(rows + 1)
    assert body["grade_change_event_id"] == row.uuid
    teacher = landmarks["teacher"]
    assert row.grader_id == teacher
    names = [e["event_name"] for e in body["live_events"]]
    assert names[0] == "grade_change"
    for event in body["live_events"]:
        check_live_event(event["event"])
        assert event["event"]["metadata"]["request_id"] == row.request_id


def test_control_override_and_post_grades(app):
    store = app.extensions["mockcanvas"].store
    landmarks = store.landmarks
    status, body = _post(
        app,
        "/_mockcanvas/overrides",
        {"course_id": landmarks["override_course"], "user_id": landmarks["student"],
         "override_score": 93.5},
    )  # fmt: skip
    assert status == 200
    assert body["score"]["override_score"] == 93.5
    [event] = body["live_events"]
    assert event["event_name"] == "grade_override"
    assert event["event"]["body"]["override_score"] == 93.5
    row = store.grade_changes.get(len(store.grade_changes))
    assert row.override and row.grade_after == "93.5%"

    status, body = _post(
        app,
        "/_mockcanvas/post_grades",
        {"course_id": landmarks["override_course"],
         "assignment_id": landmarks["anonymous_assignment"]},
    )  # fmt: skip
    assert status == 200
    posted = [e for e in body["live_events"] if e["event_name"] == "grade_change"]
    assert posted and all(e["event"]["body"]["muted"] is False for e in posted)
    assert store.grade_changes.get(len(store.grade_changes)) is row  # posting writes no row


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"course_id": "1", "assignment_id": 3, "user_id": 4, "posted_grade": "1"}, 400),
        ({"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": True}, 400),
        ({"course_id": 1, "assignment_id": 3, "user_id": 4, "excuse": "yes"}, 400),
        ({"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": "9" * 400}, 400),
        ({"course_id": 1, "assignment_id": 3, "user_id": 4, "surprise": 1}, 400),
        ({"course_id": 999, "assignment_id": 3, "user_id": 4, "posted_grade": "1"}, 404),
        ({"course_id": 1, "assignment_id": 3, "user_id": 999, "posted_grade": "1"}, 404),
        ({"course_id": 1, "assignment_id": 3, "user_id": 4, "posted_grade": "1",
          "grader_id": 999}, 404),
    ],
)  # fmt: skip
def test_control_grade_rejects_bad_input_and_changes_nothing(app, body, status):
    store = app.extensions["mockcanvas"].store
    assert store.landmarks["points_assignment"] == 3 and store.landmarks["student"] == 4
    before = (len(store.grade_changes), len(app.extensions["mockcanvas"].bus.inbox))
    submission = store.submission_for(3, 4)
    snapshot = json.dumps([submission.grade, submission.score, submission.version_number])
    got, _ = _post(app, "/_mockcanvas/grades", body)
    assert got == status
    assert (len(store.grade_changes), len(app.extensions["mockcanvas"].bus.inbox)) == before
    assert json.dumps([submission.grade, submission.score, submission.version_number]) == snapshot


def test_control_grade_as_a_student_is_unauthorized(app):
    store = app.extensions["mockcanvas"].store
    landmarks = store.landmarks
    status, body = _post(
        app,
        "/_mockcanvas/grades",
        {"course_id": landmarks["override_course"], "assignment_id": landmarks["points_assignment"],
         "user_id": landmarks["student"], "posted_grade": "1",
         "grader_id": landmarks["student_no_sis"]},
    )  # fmt: skip
    assert status == 401
    assert body["status"] == "unauthorized"
