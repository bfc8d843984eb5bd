"""mockcanvas.strategies: valid by schema, pins honoured, links coherent, shrinking, invalid, seeds.

Every property runs the strategy itself and checks what it yields against the JSON Schemas and
against the server: the shapes are compared with what the real app answers and emits.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from faker.providers.person.en_US import Provider as FakerPerson
from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st

from mockcanvas import create_app, grading, schemas
from mockcanvas import strategies as mcst
from mockcanvas.ids import global_id

FIND = settings(
    database=None, derandomize=True, phases=[Phase.generate, Phase.shrink], max_examples=300
)
GLOBAL = re.compile(r"^1000000000\d{4}$|^1\d{13}$")
EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def schema_name(strategy_name: str, payload: dict) -> str:
    if strategy_name == "live_event":
        return f"live_event_{payload['metadata']['event_name']}"
    return strategy_name


def run(strategy, check, *, examples: int = 30, **options) -> None:
    """Run ``check`` on ``examples`` payloads of ``strategy`` (a property test, inline)."""

    @settings(max_examples=examples, deadline=None, database=None, **options)
    @given(strategy)
    def prop(payload):
        check(payload)

    prop()


# -- every strategy yields only valid payloads -----------------------------------------------


@pytest.mark.parametrize("name", sorted(mcst.DEFAULTS))
def test_every_strategy_yields_only_schema_valid_payloads(name):
    examples = 15 if name == "grade_change_compound" else 50
    run(
        mcst.DEFAULTS[name](),
        lambda payload: schemas.validate(schema_name(name, payload), payload),
        examples=examples,
    )


def test_compound_documents_with_many_events_are_valid():
    # A long history draws a few hundred choices per example: slow generation is the point here.
    run(
        mcst.grade_change_compound(min_events=20, max_events=30),
        lambda doc: schemas.validate("grade_change_compound", doc),
        examples=5,
        suppress_health_check=[HealthCheck.too_slow],
    )


# -- shapes are the server's ---------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    """One page of the seeded world's audit log and one grade's Live Events, as the app answers."""
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    client = app.test_client()
    auth = {"Authorization": f"Bearer {store.token_for(store.landmarks['admin'])}"}
    course = store.landmarks["override_course"]
    page = client.get(
        f"/api/v1/audit/grade_change/courses/{course}?per_page=100", headers=auth
    ).get_json()
    written = client.post(
        "/_mockcanvas/grades",
        json={
            "course_id": course,
            "assignment_id": store.landmarks["points_assignment"],
            "user_id": store.landmarks["student"],
            "posted_grade": "3",
        },
    ).get_json()
    events = {e["event_name"]: e["event"] for e in written["live_events"]}
    return page, events


def keys_of(strategy, pick=lambda payload: payload) -> set[frozenset]:
    seen: set[frozenset] = set()
    run(strategy, lambda payload: seen.add(frozenset(pick(payload))), examples=20)
    return seen


def test_audit_events_have_the_keys_the_server_sends(served):
    page, _ = served
    server = {frozenset(e) for e in page["events"]}
    assignment = keys_of(mcst.grade_change_event(override=False), _without_current)
    override = keys_of(mcst.grade_change_event(override=True), _without_current)
    assert assignment | override == server
    assert len(assignment) == len(override) == 1


def _without_current(event: dict) -> dict:
    return {key: value for key, value in event.items() if key != "grade_current"}


@pytest.mark.parametrize("kind", ["assignments", "courses", "users", "page_views"])
def test_compound_linked_objects_have_the_keys_the_server_sends(served, kind):
    page, _ = served
    server = {frozenset(o) for o in page["linked"][kind]}
    drawn: set[frozenset] = set()
    run(
        mcst.grade_change_compound(viewer="admin", min_events=3),
        lambda doc: drawn.update(frozenset(o) for o in doc["linked"][kind]),
        examples=15,
    )
    assert drawn and drawn <= server | _variants(kind, server)


def _variants(kind: str, server: set[frozenset]) -> set[frozenset]:
    """Shapes the seeded course page happens not to show but the same presenter makes."""
    if kind != "assignments":
        return set()
    quiz = {"quiz_id", "anonymous_submissions"}
    return {keys | quiz for keys in server} | {keys - quiz for keys in server}


@pytest.mark.parametrize("name", ["grade_change", "course_grade_change"])
def test_live_events_have_the_keys_the_server_emits(served, name):
    _, events = served
    strategy = {
        "grade_change": mcst.live_grade_change(job=False),
        "course_grade_change": mcst.live_course_grade_change(job=False),
    }[name]
    real = events[name]
    metadata_keys = keys_of(strategy, lambda p: set(p["metadata"]) - {"real_user_id"})
    body_keys = keys_of(strategy, lambda p: p["body"])
    assert metadata_keys == {frozenset(real["metadata"])}
    assert body_keys == {frozenset(real["body"])}


# -- pins ----------------------------------------------------------------------------------------


def test_audit_event_pins_are_rendered_where_the_event_shows_them():
    when = datetime(2026, 3, 1, 12, 30, 5, 999_000, tzinfo=UTC)

    def check(event):
        assert event["links"]["course"] == 5
        assert event["links"]["assignment"] == 8
        assert event["links"]["student"] == "7"
        assert event["links"]["grader"] is None and event["links"]["page_view"] is None
        assert event["created_at"] == "2026-03-01T21:30:05+09:00"
        assert event["points_possible_before"] == event["points_possible_after"] == 20.0

    run(
        mcst.grade_change_event(
            course_id=5, assignment_id=8, student_id=7, grader_id=None, created_at=when,
            time_zone="Asia/Tokyo", grading_type="points", points_possible=20, anonymous=False,
        ),
        check,
    )  # fmt: skip


def test_override_events_have_no_assignment_and_percent_grades():
    def check(event):
        assert "assignment" not in event["links"]
        assert event["course_override_grade"] is True
        assert event["excused_before"] is event["excused_after"] is False
        assert event["version_number"] == 0
        for grade in (event["grade_before"], event["grade_after"]):
            assert grade is None or re.fullmatch(r"\d+(\.\d+)?%", grade)
        assert event["grade_before"] != event["grade_after"]

    run(mcst.grade_change_event(override=True), check)


def test_pins_take_strategies_and_each_example_draws_from_them():
    courses: set[int] = set()
    run(
        mcst.grade_change_event(course_id=st.sampled_from([3, 4])),
        lambda event: courses.add(event["links"]["course"]),
    )
    assert courses == {3, 4}


def test_live_grade_change_pins_use_global_ids_in_metadata_and_body():
    def check(event):
        metadata, body = event["metadata"], event["body"]
        assert metadata["context_id"] == str(global_id(5))
        assert body["student_id"] == body["user_id"] == str(global_id(42))
        assert body["grader_id"] == metadata["user_id"] == str(global_id(9))
        assert body["assignment_id"] == str(global_id(77))
        assert (body["grade"], body["score"], body["grading_complete"]) == (None, None, True)
        assert metadata["time_zone"] == "Europe/London"
        assert "job_id" not in metadata

    run(
        mcst.live_grade_change(
            course_id=5, student_id=42, grader_id=9, assignment_id=77, change="excuse",
            job=False, time_zone="Europe/London",
        ),
        check,
    )  # fmt: skip


def test_body_and_metadata_pins_merge_exact_json():
    def check(event):
        assert event["body"]["assignment_name"] == "Quiz 1"
        assert event["metadata"]["hostname"] == "canvas.example.edu"

    run(
        mcst.live_grade_change(
            job=False,
            body={"assignment_name": "Quiz 1"},
            metadata={"hostname": "canvas.example.edu"},
        ),
        check,
    )


def test_a_merge_pin_that_breaks_the_schema_is_a_clear_error():
    strategy = mcst.live_grade_change(body={"student_id": 42})
    with pytest.raises(ValueError, match=r"\$\.body\.student_id"):
        find(strategy, lambda _: True, settings=FIND)


@pytest.mark.parametrize(
    "make",
    [
        lambda: mcst.grade_change_event(course_id=0),
        lambda: mcst.grade_change_event(time_zone="Mars/Olympus_Mons"),
        lambda: mcst.grade_change_event(created_at=datetime(2026, 1, 1)),
        lambda: mcst.grade_change_event(override=True, assignment_id=3),
        lambda: mcst.live_grade_change(change="regraded"),
        lambda: mcst.live_grade_change(grading_type="stars"),
        lambda: mcst.live_grade_change(change="post", posted=False),
        lambda: mcst.live_event_metadata(event_name="submission_created"),
        lambda: mcst.live_grade_override(grading_period_id=True),
        lambda: mcst.grade_change_compound(student_id=3, grader_id=3),
        lambda: mcst.grade_change_compound(min_events=5, max_events=2),
        lambda: mcst.grade_change_compound(viewer="teacher", student_id=4),
        lambda: mcst.grade_change_compound(viewer="student"),
        lambda: mcst.live_grade_change(merge=["not", "a", "mapping"]),
    ],
)
def test_impossible_pins_are_refused_at_once(make):
    with pytest.raises(ValueError):
        make()


def test_course_grade_change_uses_local_ids_and_moves_a_score():
    names = ("current_score", "final_score", "unposted_current_score", "unposted_final_score")

    def check(event):
        body = event["body"]
        assert (body["course_id"], body["user_id"]) == ("5", "42")
        assert event["metadata"]["context_id"] == str(global_id(5))
        assert any(body[name] != body[f"old_{name}"] for name in names)
        assert body["final_score"] <= body["current_score"]
        assert body["updated_at"] == event["metadata"]["event_time"][:19] + "Z"

    run(mcst.live_course_grade_change(course_id=5, student_id=42), check)


def test_grade_override_uses_local_ids_and_changes_the_override():
    def check(event):
        body = event["body"]
        assert (body["course_id"], body["user_id"]) == ("5", "42")
        assert (body["enrollment_id"], body["score_id"]) == ("11", "12")
        assert body["grading_period_id"] is None
        assert body["override_score"] != body["old_override_score"]
        assert body["updated_at"] == event["metadata"]["event_time"]

    run(
        mcst.live_grade_override(
            course_id=5, student_id=42, enrollment_id=11, score_id=12, grading_period_id=None
        ),
        check,
    )


def test_metadata_forms_follow_the_job_pin():
    request_only = {"user_id", "user_login", "request_id", "time_zone", "context_role"}

    def job(metadata):
        assert {"job_id", "job_tag"} <= set(metadata) and not request_only & set(metadata)
        assert metadata["event_time"] == "2026-11-02T16:00:00.123Z"
        schemas.validate("live_event.json#/$defs/job_metadata", metadata)

    def request(metadata):
        assert request_only <= set(metadata) and "job_id" not in metadata
        assert metadata["context_role"] == "TaEnrollment"
        assert metadata["user_id"] == str(global_id(6))
        assert GLOBAL.match(metadata["root_account_id"]) and EVENT_TIME.match(
            metadata["event_time"]
        )
        schemas.validate("live_event.json#/$defs/request_metadata", metadata)

    when = datetime(2026, 11, 2, 16, 0, 0, 123_456, tzinfo=UTC)
    run(mcst.live_event_metadata(job=True, event_time=when), job)
    run(mcst.live_event_metadata(job=False, context_role="TaEnrollment", user_id=6), request)


def test_caliper_envelope_pins_and_agreement():
    sent = datetime(2026, 5, 1, 10, 0, 0, 500_000, tzinfo=UTC)

    def check(envelope):
        (event,) = envelope["data"]
        assert envelope["sensor"] == event["edApp"]["id"] == "https://canvas.example.edu/"
        assert envelope["sendTime"] == "2026-05-01T10:00:00.500Z"
        assert event["group"]["id"] == f"urn:instructure:canvas:course:{global_id(5)}"
        assert event["object"]["id"] == event["generated"]["id"]
        assert event["object"]["assignee"] == event["generated"]["attempt"]["assignee"]
        assert event["object"]["assignee"]["id"] == f"urn:instructure:canvas:user:{global_id(4)}"

    run(
        mcst.caliper_grade_event(
            course_id=5, student_id=4, host="canvas.example.edu", send_time=sent
        ),
        check,
    )


def test_compound_pins_are_the_query_every_event_matches():
    def check(doc):
        assert (
            doc["links"]["events.course"]
            == "https://canvas.example.edu/api/v1/courses/{events.course}"
        )
        for event in doc["events"]:
            assert event["links"]["course"] == 5
            assert event["links"]["student"] in ("7", None)
        assert [c["id"] for c in doc["linked"]["courses"]] in ([], [5])

    run(
        mcst.grade_change_compound(course_id=5, student_id=7, host="canvas.example.edu"),
        check,
        examples=15,
    )


def test_a_teacher_reading_the_log_sees_no_logins_or_sis_ids_of_users():
    def check(doc):
        for user in doc["linked"]["users"]:
            assert not {"login_id", "sis_user_id", "integration_id"} & set(user)
        for course in doc["linked"]["courses"]:
            assert course["id"] == 5 and "sis_course_id" in course

    run(mcst.grade_change_compound(course_id=5, viewer="teacher", min_events=2), check, examples=10)


# -- coherent values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grading_type", ["points", "percent", "letter_grade", "gpa_scale", "pass_fail"]
)
def test_grades_are_canvas_grades_of_the_scores(grading_type):
    def check(event):
        body = event["body"]
        points = body["points_possible"]
        assert body["old_points_possible"] == points
        for score, grade in (
            (body["score"], body["grade"]),
            (body["old_score"], body["old_grade"]),
        ):
            assert grade == grading.grade_for_score(grading_type, score, points)
        # A change shows in the grade, unless it only excused or un-excused an ungraded one.
        if body["old_grade"] is not None or body["grade"] is not None:
            assert (body["grade"], body["score"]) != (body["old_grade"], body["old_score"])

    run(mcst.live_grade_change(grading_type=grading_type, change=st.sampled_from(
        ["grade", "regrade", "clear", "excuse", "unexcuse"])), check)  # fmt: skip


def test_posting_leaves_the_grade_and_unmutes_it():
    def check(event):
        body = event["body"]
        assert (body["grade"], body["score"]) == (body["old_grade"], body["old_score"])
        assert body["muted"] is False and body["grading_complete"] is True
        assert event["metadata"]["job_tag"] == "Assignment#post_submissions"

    run(mcst.live_grade_change(change="post", job=True), check)


def test_a_change_always_changes_what_the_audit_event_shows():
    def check(event):
        before = (event["grade_before"], event["excused_before"])
        assert before != (event["grade_after"], event["excused_after"])

    run(mcst.grade_change_event(), check, examples=80)


def test_created_at_is_the_instant_in_the_callers_zone():
    when = datetime(2026, 7, 4, 3, 2, 1, tzinfo=UTC)

    def check(pair):
        zone, event = pair
        stamp = event["created_at"]
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")) == when
        offset = when.astimezone(ZoneInfo(zone)).utcoffset()
        assert stamp.endswith("Z") if zone == "UTC" else stamp.endswith(_offset(offset))

    run(
        mcst.time_zones().flatmap(
            lambda zone: st.tuples(
                st.just(zone), mcst.grade_change_event(created_at=when, time_zone=zone)
            )
        ),
        check,
    )


def _offset(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def test_people_have_faker_names():
    first, last = set(FakerPerson.first_names), set(FakerPerson.last_names)

    def check(doc):
        for user in doc["linked"]["users"]:
            given_name, family = user["name"].split(" ", 1)
            assert given_name in first and family in last
            assert user["sortable_name"] == f"{family}, {given_name}"

    run(mcst.grade_change_compound(min_events=2), check, examples=15)


def test_automatic_grades_are_sent_in_the_students_request():
    def check(event):
        metadata, body = event["metadata"], event["body"]
        assert body["grader_id"] is None
        assert metadata["user_id"] == body["student_id"]
        assert metadata["context_role"] == "StudentEnrollment"

    run(mcst.live_grade_change(grader_id=None, job=False), check)


# -- compound documents link what they hold ----------------------------------------------------


def test_every_link_resolves_and_every_linked_object_is_linked():
    def check(doc):
        linked = doc["linked"]
        courses = {c["id"] for c in linked["courses"]}
        assignments = {a["id"]: a for a in linked["assignments"]}
        users = {u["id"] for u in linked["users"]}
        page_views = {p["id"] for p in linked["page_views"]}
        used = {"courses": set(), "assignments": set(), "users": set(), "page_views": set()}
        for event in doc["events"]:
            links = event["links"]
            assert links["course"] in courses
            used["courses"].add(links["course"])
            if "assignment" in links:
                assert links["assignment"] in assignments
                assert assignments[links["assignment"]]["course_id"] == links["course"]
                used["assignments"].add(links["assignment"])
            for who in ("student", "grader"):
                if links[who] is not None:
                    assert int(links[who]) in users
                    used["users"].add(int(links[who]))
            if links["page_view"] is not None:
                assert links["page_view"] in page_views
                used["page_views"].add(links["page_view"])
        assert used == {
            "courses": courses,
            "assignments": set(assignments),
            "users": users,
            "page_views": page_views,
        }

    run(mcst.grade_change_compound(), check, examples=30)


def test_compound_events_are_newest_first_and_chain_per_submission():
    def check(doc):
        times = [
            datetime.fromisoformat(e["created_at"].replace("Z", "+00:00")) for e in doc["events"]
        ]
        assert times == sorted(times, reverse=True)
        last: dict[tuple, tuple] = {}
        for event in reversed(doc["events"]):
            links = event["links"]
            key = (links["course"], links.get("assignment"), links["student"])
            if links["student"] is None:
                continue
            before = (event["grade_before"], event["excused_before"])
            assert last.get(key, (None, False)) == before
            last[key] = (event["grade_after"], event["excused_after"])

    run(mcst.grade_change_compound(min_events=3), check, examples=30)


# -- shrinking -----------------------------------------------------------------------------------


def test_the_simplest_audit_event_is_a_first_grade_at_ids_one_and_two():
    event = find(mcst.grade_change_event(), lambda _: True, settings=FIND)
    assert event["links"] == {
        "assignment": 1,
        "course": 1,
        "student": "1",
        "grader": "2",
        "page_view": None,
    }
    assert event["created_at"] == "2015-01-01T00:00:00Z"
    assert (event["grade_before"], event["grade_after"], event["version_number"]) == (None, "0", 1)


def test_a_wanted_form_shrinks_to_its_simplest():
    event = find(mcst.grade_change_event(), lambda e: "course_override_grade" in e, settings=FIND)
    assert event["links"]["course"] == 1
    assert (event["grade_before"], event["grade_after"]) == (None, "0%")
    automatic = find(
        mcst.live_grade_change(), lambda p: p["body"]["grader_id"] is None, settings=FIND
    )
    assert automatic["body"]["student_id"] == automatic["metadata"]["user_id"] == str(global_id(1))


def test_bodies_shrink_to_ids_one():
    body = find(mcst.live_grade_override_body(), lambda _: True, settings=FIND)
    assert (body["score_id"], body["enrollment_id"], body["user_id"], body["course_id"]) == (
        "1", "1", "1", "1",
    )  # fmt: skip
    assert (body["old_override_score"], body["override_score"]) == (None, 0.0)


def test_a_compound_document_shrinks_to_one_event_and_what_it_links():
    doc = find(
        mcst.grade_change_compound(course_id=1, min_events=1, max_events=1),
        lambda d: len(d["events"]) >= 1,
        settings=FIND,
    )
    (event,) = doc["events"]
    assert event["links"]["assignment"] == event["links"]["course"] == 1
    assert [len(doc["linked"][kind]) for kind in ("courses", "assignments", "users")] == [1, 1, 2]


# -- invalid payloads --------------------------------------------------------------------------


def rejected_only_at_its_path(broken: mcst.Broken) -> None:
    found = schemas.issues(broken.schema, broken.payload)
    assert found, broken
    assert {issue.path for issue in found} == {broken.path}, (broken.detail, found)
    assert broken.rule in mcst.RULES
    assert schemas.json_path(broken.parts) == broken.path
    assert broken.changed.startswith(broken.path)
    assert schemas.is_valid(broken.schema, broken.original)


@pytest.mark.parametrize("name", sorted(mcst.DEFAULTS))
def test_invalid_payloads_are_rejected_at_the_broken_path(name):
    examples = 10 if name == "grade_change_compound" else 30
    run(mcst.invalid(name), rejected_only_at_its_path, examples=examples)


RULE_SOURCES = {
    "required": mcst.grade_change_event,
    "type": mcst.live_grade_change_body,
    "enum": mcst.live_course_grade_change_body,
    "const": mcst.live_grade_change,
    "format": mcst.live_event_metadata,
    "pattern": mcst.grade_change_event,
    "minimum": mcst.grade_change_event,
    "minLength": mcst.live_event_metadata,
    "minItems": mcst.caliper_grade_event,
    "maxItems": mcst.caliper_grade_event,
    "additionalProperties": mcst.live_grade_override,
    "not": lambda: mcst.grade_change_event(override=True),
    "dependentRequired": lambda: mcst.grade_change_compound(min_events=1),
}


def test_every_rule_has_a_source():
    assert set(RULE_SOURCES) == set(mcst.RULES)


@pytest.mark.parametrize("rule", sorted(RULE_SOURCES))
def test_each_rule_can_be_broken_alone(rule):
    def check(broken):
        assert broken.rule == rule
        rejected_only_at_its_path(broken)

    run(mcst.invalid(RULE_SOURCES[rule](), rules=(rule,)), check, examples=15)


def test_a_malformed_timestamp_is_reported_where_it_is():
    broken = find(
        mcst.invalid(mcst.grade_change_event(), rules=("format",)),
        lambda b: b.path == "$.created_at",
        settings=FIND,
    )
    assert broken.path == "$.created_at"
    assert broken.payload["created_at"] == "2015-02-30T00:00:00Z"
    assert broken.original["created_at"] == "2015-01-01T00:00:00Z"


def test_a_missing_field_is_reported_on_its_object():
    broken = find(
        mcst.invalid(mcst.live_grade_change_body(), rules=("required",)),
        lambda b: "grade" not in b.payload,
        settings=settings(FIND, max_examples=3000),  # one field of fifteen: search a while
    )
    assert (broken.path, broken.changed, broken.detail) == ("$", "$.grade", "removed 'grade'")
    assert [i.message for i in schemas.issues(broken.schema, broken.payload)] == [
        "'grade' is a required property"
    ]


def test_invalid_takes_any_strategy_with_its_schema():
    strategy = mcst.live_grade_change().map(lambda payload: payload["metadata"])
    run(
        mcst.invalid(strategy, schema="live_event.json#/$defs/metadata"),
        rejected_only_at_its_path,
        examples=20,
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: mcst.invalid(st.just({})),
        lambda: mcst.invalid("no_such_schema"),
        lambda: mcst.invalid("control_health"),
        lambda: mcst.invalid(mcst.grade_change_event(), rules=("typo",)),
    ],
)
def test_invalid_refuses_what_it_cannot_break(make):
    with pytest.raises((ValueError, LookupError)):
        make()


# -- determinism ---------------------------------------------------------------------------------


def collect(strategy, seed_value: int) -> list[str]:
    out: list[str] = []

    @seed(seed_value)
    @settings(max_examples=15, database=None, deadline=None)
    @given(strategy)
    def gather(payload):
        out.append(json.dumps(payload, sort_keys=True, default=repr))

    gather()
    return out


@pytest.mark.parametrize(
    "make",
    [
        mcst.grade_change_event,
        mcst.live_event,
        mcst.caliper_grade_event,
        lambda: mcst.invalid("live_event_grade_change"),
    ],
)
def test_the_same_seed_gives_the_same_examples(make):
    first = collect(make(), 20261102)
    assert first == collect(make(), 20261102)
    assert first != collect(make(), 7)
