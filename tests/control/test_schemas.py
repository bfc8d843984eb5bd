"""The JSON Schemas in schemas/ and the mockcanvas.schemas API that loads and applies them.

The documentation's own examples are the main witnesses: where the docs contradict the Canvas
source, the schemas follow the source, so the examples must fail exactly where the docs are wrong.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockcanvas import schemas
from mockcanvas.resources import data_dir

SCHEMA_DIR = data_dir("schemas")
EXAMPLES = data_dir("fixtures") / "spec_examples"
MINE = ("error", "grade_change_compound", "grade_change_event", "grade_change_event_links")
# Written separately; the compound document refers to them by file name.
LINKED = ("page_view", "assignment", "course", "user")


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def paths(name: str, instance: Any) -> list[str]:
    return [issue.path for issue in schemas.issues(name, instance)]


def schema_files() -> list[Path]:
    return sorted(SCHEMA_DIR.glob("*.json"))


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def all_refs() -> list[tuple[str, str]]:
    return [
        (path.name, ref)
        for path in schema_files()
        for ref in dict.fromkeys(refs_in(json.loads(path.read_text(encoding="utf-8"))))
    ]


def missing_linked() -> list[str]:
    return [f"{stem}.json" for stem in LINKED if not (SCHEMA_DIR / f"{stem}.json").exists()]


needs_linked_schemas = pytest.mark.skipif(
    bool(missing_linked()),
    reason=f"linked-object schemas not written yet: {', '.join(missing_linked())}",
)


def corrected_links() -> dict[str, Any]:
    """The docs' links example with the ids Canvas sends as strings made strings."""
    links = example("grade_change_event_links.json")
    links["student"] = str(links["student"])
    links["grader"] = str(links["grader"])
    return links


def corrected_event() -> dict[str, Any]:
    """The docs' event example made into what the Canvas presenter outputs."""
    event = example("grade_change_event.json")
    event["version_number"] = int(event["version_number"])
    event["links"] = corrected_links()
    del event["request_id"]
    event["points_possible_before"] = 10.0
    event["points_possible_after"] = 10.0
    return event


def override_event() -> dict[str, Any]:
    """A course final-grade-override event: no assignment, version 0, nothing excused."""
    event = corrected_event()
    event.update(
        grade_before="85%",
        grade_after="90%",
        excused_before=False,
        excused_after=False,
        points_possible_before=None,
        points_possible_after=None,
        version_number=0,
        course_override_grade=True,
    )
    del event["links"]["assignment"]
    return event


def compound(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "links": {
            "events.assignment": (
                "http://canvas.test/api/v1/courses/{events.course}/assignments/{events.assignment}"
            ),
            "events.course": "http://canvas.test/api/v1/courses/{events.course}",
            "events.student": {"href": None, "type": "user"},
            "events.grader": {"href": None, "type": "user"},
            "events.page_view": None,
        },
        "events": events,
        "linked": {"page_views": [], "assignments": [], "courses": [], "users": []},
    }


# -- the schema files ------------------------------------------------------------------------------


def test_names_are_the_sorted_file_stems() -> None:
    assert schemas.names() == sorted(path.stem for path in schema_files())
    assert set(MINE) <= set(schemas.names())


@pytest.mark.parametrize("path", schema_files(), ids=lambda path: path.name)
def test_schema_file_is_a_valid_2020_12_schema_with_its_own_id(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == schemas.SCHEMA_BASE + path.name
    assert document.get("title")
    assert document.get("description")


@pytest.mark.parametrize(("file", "ref"), all_refs(), ids=lambda value: value)
def test_every_ref_resolves_through_the_registry(file: str, ref: str) -> None:
    target = ref.partition("#")[0]
    if target in {f"{stem}.json" for stem in LINKED} and target in missing_linked():
        pytest.skip(f"{target} is not written yet")
    resolver = schemas.registry().resolver(base_uri=schemas.SCHEMA_BASE + file)
    assert resolver.lookup(ref).contents is not None


def test_the_registry_holds_every_file_under_its_id() -> None:
    registry = schemas.registry()
    for path in schema_files():
        assert registry.contents(schemas.SCHEMA_BASE + path.name) == json.loads(
            path.read_text(encoding="utf-8")
        )
    assert schemas.registry() is registry


# -- links -----------------------------------------------------------------------------------------


def test_docs_links_example_fails_only_on_student_and_grader_types() -> None:
    found = schemas.issues("grade_change_event_links", example("grade_change_event_links.json"))
    assert [issue.path for issue in found] == ["$.grader", "$.student"]
    assert all("is not of type" in issue.message for issue in found)


def test_docs_links_example_passes_with_string_ids() -> None:
    assert schemas.issues("grade_change_event_links", corrected_links()) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"student": "12a"}, "$.student"),
        ({"grader": ""}, "$.grader"),
        ({"course": "2319"}, "$.course"),
        ({"page_view": "E2B76430-27A5-0131-3CA1-48E0EB13F29B"}, "$.page_view"),
        ({"request_id": "x"}, "$.request_id"),
    ],
)
def test_links_reject_what_canvas_never_sends(change: dict[str, Any], path: str) -> None:
    assert set(paths("grade_change_event_links", {**corrected_links(), **change})) == {path}


def test_links_allow_null_student_grader_and_page_view() -> None:
    links = {**corrected_links(), "student": None, "grader": None, "page_view": None}
    assert schemas.is_valid("grade_change_event_links", links)


# -- events ----------------------------------------------------------------------------------------


def test_docs_event_example_fails_exactly_where_the_docs_are_wrong() -> None:
    found = [
        (issue.path, issue.message)
        for issue in schemas.issues("grade_change_event", example("grade_change_event.json"))
    ]
    assert found == [
        # Not in the docs, but the presenter always outputs them.
        ("$", "'points_possible_after' is a required property"),
        ("$", "'points_possible_before' is a required property"),
        ("$.links", "None is not of type 'object'"),
        ("$.request_id", "'request_id' was unexpected (additional properties are not allowed)"),
        ("$.version_number", "'1' is not of type 'integer'"),
    ]


def test_docs_event_example_passes_once_corrected() -> None:
    assert schemas.issues("grade_change_event", corrected_event()) == []


def test_override_event_passes_without_an_assignment() -> None:
    assert schemas.issues("grade_change_event", override_event()) == []


def test_override_event_with_an_assignment_fails() -> None:
    event = override_event()
    event["links"]["assignment"] = 2319
    assert paths("grade_change_event", event) == ["$.links.assignment"]


def test_override_event_is_never_excused() -> None:
    event = {**override_event(), "excused_after": True}
    assert paths("grade_change_event", event) == ["$.excused_after"]


def test_assignment_event_needs_an_assignment_link() -> None:
    event = corrected_event()
    del event["links"]["assignment"]
    found = schemas.issues("grade_change_event", event)
    assert [(issue.path, issue.message) for issue in found] == [
        ("$.links", "'assignment' is a required property")
    ]


def test_course_override_grade_is_only_ever_true() -> None:
    assert paths("grade_change_event", {**override_event(), "course_override_grade": False}) == [
        "$.course_override_grade"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("grade_current", "B+"),
        ("graded_anonymously", None),
        ("grade_before", None),
        ("grade_after", None),
        ("points_possible_after", 7.5),
    ],
)
def test_event_accepts_what_canvas_may_send(field: str, value: Any) -> None:
    assert schemas.is_valid("grade_change_event", {**corrected_event(), field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("grade_current", ""),
        ("grade_current", "  "),
        ("event_type", "grade_override"),
        ("version_number", -1),
        ("version_number", 1.5),
        ("excused_before", None),
        ("id", 42),
        ("id", "E2B76430-27A5-0131-3CA1-48E0EB13F29B"),
    ],
)
def test_event_rejects_what_canvas_never_sends(field: str, value: Any) -> None:
    assert set(paths("grade_change_event", {**corrected_event(), field: value})) == {f"$.{field}"}


@pytest.mark.parametrize(
    "created_at", ["2012-07-19T15:00:00-06:00", "2012-07-19T21:00:00Z", "2026-11-02T16:00:00+05:30"]
)
def test_created_at_in_canvas_form_passes(created_at: str) -> None:
    assert schemas.is_valid("grade_change_event", {**corrected_event(), "created_at": created_at})


@pytest.mark.parametrize(
    "created_at",
    [
        "2012-07-19T15:00:00.123-06:00",  # Canvas never sends fractional seconds
        "2012-07-19T21:00:00.000Z",
        "yesterday",
        "2012-07-19 21:00:00Z",
        "2012-07-19T21:00:00",  # no offset
        "2012-07-19T21:00:00+0000",
        "2012-02-30T21:00:00Z",  # Canvas's form, but no such day: only the format check sees it
        1342731600,
    ],
)
def test_created_at_outside_canvas_form_fails(created_at: Any) -> None:
    assert set(paths("grade_change_event", {**corrected_event(), "created_at": created_at})) == {
        "$.created_at"
    }


# -- format checking ----------------------------------------------------------------------------


def test_validators_really_check_formats() -> None:
    checker = schemas.validator("grade_change_event").format_checker
    assert checker is not None
    assert not checker.conforms("yesterday", "date-time")
    assert checker.conforms("2012-07-19T15:00:00-06:00", "date-time")
    assert not checker.conforms("e2b76430-27a5-0131-3ca1-48e0eb13f29", "uuid")
    assert checker.conforms("e2b76430-27a5-0131-3ca1-48e0eb13f29b", "uuid")
    assert not checker.conforms("canvas.test/api/v1", "uri")
    assert checker.conforms("https://canvas.test/api/v1/courses/1", "uri")


def test_a_non_uuid_fails_the_uuid_format() -> None:
    event = {**corrected_event(), "id": "e2b76430-27a5-0131-3ca1-48e0eb13f29"}
    messages = [issue.message for issue in schemas.issues("grade_change_event", event)]
    assert "'e2b76430-27a5-0131-3ca1-48e0eb13f29' is not a 'uuid'" in messages


def test_import_fails_clearly_without_date_time_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(Draft202012Validator.FORMAT_CHECKER.checkers, "date-time")
    spec = importlib.util.spec_from_file_location("mockcanvas_schemas_probe", schemas.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(ImportError, match=r"rfc3339-validator and rfc3986-validator"):
        spec.loader.exec_module(module)


# -- compound document ------------------------------------------------------------------------


def test_compound_document_with_events_passes() -> None:
    document = compound([corrected_event(), override_event()])
    assert schemas.issues("grade_change_compound", document) == []


def test_compound_document_without_events_passes() -> None:
    assert schemas.is_valid("grade_change_compound", compound([]))


def test_compound_issue_paths_point_into_the_events() -> None:
    events = [corrected_event() for _ in range(5)]
    events[3]["links"]["student"] = 48
    assert paths("grade_change_compound", compound(events)) == ["$.events[3].links.student"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("events.assignment", "http://canvas.test/api/v1/courses/1/assignments/2"),
        ("events.course", "http://canvas.test/api/v1/courses/{events.course}/"),
        ("events.student", {"href": "http://canvas.test/api/v1/users/1", "type": "user"}),
        ("events.grader", {"href": None, "type": "User"}),
        ("events.page_view", {"href": None, "type": "page_view"}),
    ],
)
def test_compound_links_are_fixed_templates(key: str, value: Any) -> None:
    document = compound([])
    document["links"][key] = value
    assert not schemas.is_valid("grade_change_compound", document)
    assert all(
        path.startswith(f'$.links["{key}"]') for path in paths("grade_change_compound", document)
    )


def test_compound_has_exactly_its_top_level_and_linked_keys() -> None:
    document = compound([])
    document["meta"] = {}
    del document["linked"]["users"]
    document["linked"]["sections"] = []
    assert paths("grade_change_compound", document) == ["$.linked", "$.linked.sections", "$.meta"]


@needs_linked_schemas
@pytest.mark.parametrize("key", ["page_views", "assignments", "courses", "users"])
def test_compound_linked_items_are_checked_against_their_schemas(key: str) -> None:
    document = compound([])
    document["linked"][key] = ["not an object"]
    assert paths("grade_change_compound", document) == [f"$.linked.{key}[0]"]


# -- errors ----------------------------------------------------------------------------------------

ERROR_CASES = example("canvas_errors.json")
VARIANTS = ("errors", "status", "message")


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda case: case["case"])
def test_canvas_error_bodies_match_error_json_and_their_variant(case: dict[str, Any]) -> None:
    body = case["body"]
    assert schemas.issues("error", body) == []
    assert schemas.issues(f"error.json#/$defs/{case['variant']}", body) == []
    for other in VARIANTS:
        if other != case["variant"]:
            assert not schemas.is_valid(f"error#/$defs/{other}", body)


def test_error_cases_cover_the_bodies_canvas_sends() -> None:
    messages = {
        (case["http_status"], case["body"].get("status"), json.dumps(case["body"]))
        for case in ERROR_CASES
    }
    expected = [
        (404, None, "The specified resource does not exist."),
        (401, None, "Invalid access token."),
        (401, "unauthenticated", "user authorization required"),
        (401, "unauthorized", "user not authorized to perform that action"),
        (400, None, "Must specify at least one query condition"),
    ]
    for status, kind, text in expected:
        assert any(s == status and k == kind and text in body for s, k, body in messages)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"status": "forbidden", "errors": [{"message": "no"}]}, "$.status"),
        ({"errors": [{"message": "x", "code": 1}]}, "$.errors[0].code"),
        ({"errors": []}, "$.errors"),
        ({"errors": [{"message": "x", "expired_at": "yesterday"}]}, "$.errors[0].expired_at"),
        ({"message": ""}, "$.message"),
        (5, "$"),
    ],
)
def test_malformed_error_bodies_fail_where_they_go_wrong(body: Any, path: str) -> None:
    assert path in paths("error", body)


# -- the module API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "grade_change_event",
        "grade_change_event.json",
        schemas.SCHEMA_BASE + "grade_change_event.json",
    ],
)
def test_names_work_with_or_without_json(name: str) -> None:
    assert schemas.load(name)["title"] == "GradeChangeEvent"
    assert schemas.validator(name) is schemas.validator("grade_change_event")
    assert schemas.is_valid(name, corrected_event())
    assert not schemas.is_valid(name, example("grade_change_event.json"))


def test_fragments_name_part_of_a_schema() -> None:
    assert schemas.load("error#/$defs/message")["title"] == "Message"
    assert schemas.validator("error.json#/$defs/status") is schemas.validator("error#/$defs/status")


def test_unknown_names_and_fragments_raise_lookup_error() -> None:
    with pytest.raises(LookupError, match="no schema named 'nope'"):
        schemas.validator("nope")
    with pytest.raises(LookupError, match="nothing at that fragment"):
        schemas.load("error.json#/$defs/nope")


def test_load_returns_a_copy() -> None:
    schemas.load("error")["title"] = "changed"
    assert schemas.load("error")["title"] == "CanvasError"


def test_validate_raises_payload_invalid_listing_each_path() -> None:
    with pytest.raises(schemas.PayloadInvalid) as raised:
        schemas.validate("grade_change_event_links", example("grade_change_event_links.json"))
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.schema == "grade_change_event_links"
    assert [issue.path for issue in error.issues] == ["$.grader", "$.student"]
    assert "$.grader: 2319 is not of type 'string', 'null'" in str(error)
    assert "$.student: " in str(error)


def test_validate_returns_quietly_for_a_valid_payload() -> None:
    schemas.validate("grade_change_event", corrected_event())


def test_issue_is_frozen_and_prints_as_path_and_message() -> None:
    issue = schemas.Issue("$.links", "bad")
    assert str(issue) == "$.links: bad"
    with pytest.raises(AttributeError):
        issue.path = "$"  # type: ignore[misc]


def test_keys_that_are_not_identifiers_are_bracketed_in_paths() -> None:
    document = compound([])
    document["links"]["events.course"] = 5
    assert paths("grade_change_compound", document) == ['$.links["events.course"]']


def test_issues_do_not_change_the_payload() -> None:
    event = example("grade_change_event.json")
    before = copy.deepcopy(event)
    schemas.issues("grade_change_event", event)
    assert event == before
