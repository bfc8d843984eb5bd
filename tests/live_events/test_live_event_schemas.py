"""The Live Event, Caliper and Progress schemas, against the docs' examples and the presenters.

The docs' three Live Event examples are the witnesses: each must fail exactly where the docs
contradict the Canvas source, and pass once that one mistake is corrected.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from jsonschema import Draft202012Validator

from mockcanvas import create_app, schemas
from mockcanvas.events import LiveEvent
from mockcanvas.presenters import live_events
from mockcanvas.presenters.caliper import caliper_envelope
from mockcanvas.presenters.progress import progress_json
from mockcanvas.resources import data_dir
from mockcanvas.services import progress as progresses
from mockcanvas.services.context import RequestContext

EXAMPLES = data_dir("fixtures") / "spec_examples" / "live_events"
MINE = (
    "live_event",
    "live_event_grade_change",
    "live_event_course_grade_change",
    "live_event_grade_override",
    "caliper_grade_event",
    "progress",
)


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def issues(schema: str, payload) -> list[tuple[str, str]]:
    return [(i.path, i.message) for i in schemas.issues(schema, payload)]


@pytest.mark.parametrize("name", MINE)
def test_each_schema_is_2020_12_with_its_file_id(name):
    document = json.loads((data_dir("schemas") / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"{schemas.SCHEMA_BASE}{name}.json"


# -- the docs' examples ----------------------------------------------------------------------------


def test_doc_grade_change_example_fails_only_for_the_missing_assignment_name():
    payload = example("grade_change")
    assert issues("live_event_grade_change", payload) == [
        ("$.body", "'assignment_name' is a required property")
    ]
    payload["body"]["assignment_name"] = "Quiz 1"
    assert issues("live_event_grade_change", payload) == []


def test_doc_grade_override_example_fails_only_for_its_event_name():
    payload = example("grade_override")
    assert issues("live_event_grade_override", payload) == [
        ("$.metadata.event_name", "'grade_override' was expected")
    ]
    payload["metadata"]["event_name"] = "grade_override"
    assert issues("live_event_grade_override", payload) == []


def test_doc_course_grade_change_example_passes():
    assert issues("live_event_course_grade_change", example("course_grade_change")) == []


@pytest.mark.parametrize("name", ["grade_change", "course_grade_change", "grade_override"])
def test_every_doc_example_is_a_valid_envelope_with_request_metadata(name):
    payload = example(name)
    assert issues("live_event", payload) == []
    assert issues("live_event.json#/$defs/request_metadata", payload["metadata"]) == []


@pytest.mark.parametrize(
    ("name", "other"),
    [("grade_change", "course_grade_change"), ("course_grade_change", "grade_override")],
)
def test_an_event_does_not_pass_for_another(name, other):
    assert issues(f"live_event_{other}", example(name))


# -- what the schemas reject -----------------------------------------------------------------------


def corrected(name: str) -> dict:
    payload = example(name)
    payload["metadata"]["event_name"] = name
    if name == "grade_change":
        payload["body"]["assignment_name"] = "Quiz 1"
    return payload


MUTATIONS = [
    ("grade_change", ("body", "assignment_id"), 21070000000000355, "$.body.assignment_id"),
    ("grade_change", ("body", "muted"), "false", "$.body.muted"),
    ("grade_change", ("body", "late"), False, "$.body.late"),
    ("course_grade_change", ("body", "user_id"), 2, "$.body.user_id"),
    ("course_grade_change", ("body", "created_at"), "yesterday", "$.body.created_at"),
    ("grade_override", ("body", "score_id"), 43, "$.body.score_id"),
    ("grade_change", ("metadata", "event_time"), "2019-11-01T19:11:05Z", "$.metadata.event_time"),
    ("grade_change", ("metadata", "producer"), "lti", "$.metadata.producer"),
    ("grade_change", ("metadata", "context_id"), 21070000000000565, "$.metadata.context_id"),
]


@pytest.mark.parametrize(("name", "where", "value", "path"), MUTATIONS)
def test_schemas_reject_what_canvas_never_sends(name, where, value, path):
    payload = corrected(name)
    part, key = where
    payload[part][key] = value
    found = issues(f"live_event_{name}", payload)
    assert found and all(p == path for p, _ in found), found


def test_metadata_cannot_mix_request_and_job_fields():
    payload = corrected("grade_change")
    payload["metadata"]["job_id"] = "1"
    assert issues("live_event_grade_change", payload)


# -- presenters meet the schemas -------------------------------------------------------------------


@pytest.fixture
def world():
    app = create_app(seed=1)
    return app.extensions["mockcanvas"]


def test_job_metadata_from_the_presenter_validates_and_has_no_request_fields(world):
    store = world.store
    course = store.courses[store.landmarks["override_course"]]
    teacher = store.users[store.landmarks["teacher"]]
    progress = progresses.create(
        world, tag="submissions_update", context_id=course.id, user=teacher
    )
    ctx = progresses.job_context(progress, progresses.BULK_UPDATE_JOB_TAG, teacher)
    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    metadata = live_events.metadata(store, ctx, course, "grade_change", now)
    assert issues("live_event.json#/$defs/job_metadata", metadata) == []
    assert metadata["event_time"] == "2026-01-02T03:04:05.678Z"
    assert metadata["job_tag"] == "Submission.process_bulk_update"
    request = RequestContext(request_id="r-1", user=teacher, http_method="PUT")
    metadata = live_events.metadata(store, request, course, "grade_change", now)
    assert issues("live_event.json#/$defs/request_metadata", metadata) == []
    assert issues("live_event.json#/$defs/job_metadata", metadata)


def test_progress_json_meets_its_schema_in_every_state(world):
    store = world.store
    teacher = store.users[store.landmarks["teacher"]]
    progress = progresses.create(world, tag="submissions_update", context_id=1, user=teacher)
    for state in ("queued", "running", "completed", "failed"):
        progress.workflow_state = state
        body = progress_json(progress, store=store, viewer=teacher, base_url="http://canvas.test")
        assert issues("progress", body) == []
    body["workflow_state"] = "done"
    assert issues("progress", body) == [
        ("$.workflow_state", "'done' is not one of ['queued', 'running', 'completed', 'failed']")
    ]


# -- Caliper ---------------------------------------------------------------------------------------


def doc_event(name: str = "grade_change") -> LiveEvent:
    return LiveEvent(
        seq=1,
        id="319f0132-0584-4efd-9489-4959b7101731",
        name=name,
        payload=corrected(name),
    )


def test_caliper_form_of_the_doc_grade_change_example():
    envelope = caliper_envelope(doc_event(), None, "oxana.instructure.com")
    assert issues("caliper_grade_event", envelope) == []
    assert envelope["sensor"] == "http://oxana.instructure.com/"
    assert envelope["sendTime"] == "2019-11-01T19:11:05.222Z"
    assert envelope["dataVersion"] == "http://purl.imsglobal.org/ctx/caliper/v1p1"
    (event,) = envelope["data"]
    user, course = "urn:instructure:canvas:user:", "urn:instructure:canvas:course:"
    assert event["id"] == "urn:uuid:319f0132-0584-4efd-9489-4959b7101731"
    assert (event["type"], event["action"]) == ("GradeEvent", "Graded")
    assert event["actor"] == {"id": f"{user}21070000000000987", "type": "Person"}
    obj = event["object"]
    assert obj["id"] == "urn:instructure:canvas:submission:21070000000011086"
    assert obj["extensions"]["com.instructure.canvas"] == {
        "grade": "5",
        "entity_id": "21070000000011086",
    }
    assert obj["assignee"]["extensions"]["com.instructure.canvas"] == {"sis_id": "ABC.123"}
    assert obj["assignable"]["id"] == "urn:instructure:canvas:assignment:21070000000000355"
    generated = event["generated"]
    assert (generated["maxScore"], generated["scoreGiven"], generated["scoredBy"]) == (
        1,
        5,
        f"{user}21070000000000987",
    )
    assert "entity_id" not in generated["attempt"]["extensions"]["com.instructure.canvas"]
    assert event["referrer"] == "https://oxana.instructure.com/courses/565/gradebook"
    assert event["group"]["id"] == f"{course}21070000000000565"
    assert event["membership"]["roles"] == ["Instructor"]
    assert event["membership"]["id"] == f"{course}21070000000000565:Instructor:21070000000000987"
    assert (
        event["session"]["id"] == "urn:instructure:canvas:session:ef686f8ed684abf78cbfa1f6a58112b5"
    )
    assert event["extensions"]["com.instructure.canvas"] == {
        "hostname": "oxana.instructure.com",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "user_agent": corrected("grade_change")["metadata"]["user_agent"],
        "client_ip": "93.184.216.34",
        "request_url": corrected("grade_change")["metadata"]["url"],
        "version": "1.0.0",
    }


@pytest.mark.parametrize("name", ["course_grade_change", "grade_override"])
def test_only_grade_change_has_a_caliper_form(name):
    assert caliper_envelope(doc_event(name), None, "canvas.test") is None


def test_caliper_of_a_job_event_names_the_job_and_the_grader():
    event = doc_event()
    payload = copy.deepcopy(event.payload)
    metadata = payload["metadata"]
    for key in list(metadata):
        if key.startswith("user_") or key in (
            "time_zone", "context_role", "request_id", "session_id", "hostname", "http_method",
            "user_agent", "client_ip", "url", "referrer",
        ):  # fmt: skip
            del metadata[key]
    metadata.update(job_id="10000000000001", job_tag="Submission.process_bulk_update")
    assert issues("live_event_grade_change", payload) == []
    job = LiveEvent(seq=2, id=event.id, name="grade_change", payload=payload)
    envelope = caliper_envelope(job, None, "https://canvas.test/", send_time="2020-01-01T00:00:00Z")
    assert issues("caliper_grade_event", envelope) == []
    (data,) = envelope["data"]
    assert envelope["sensor"] == data["edApp"]["id"] == "https://canvas.test/"
    assert envelope["sendTime"] == "2020-01-01T00:00:00Z"
    assert data["actor"]["id"] == "urn:instructure:canvas:user:21070000000000987"
    assert not {"membership", "session", "referrer"} & set(data)
    assert data["extensions"]["com.instructure.canvas"] == {
        "job_id": "10000000000001",
        "job_tag": "Submission.process_bulk_update",
        "version": "1.0.0",
    }
