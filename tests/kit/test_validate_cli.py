"""``mockcanvas validate``: payload files checked against the schemas, with CI exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from mockcanvas import cli, create_app, payloads
from mockcanvas.presenters.caliper import caliper_envelope
from mockcanvas.resources import data_dir
from mockcanvas.state import export_state

EXAMPLES = data_dir("fixtures") / "spec_examples"
SCENARIOS = data_dir("fixtures") / "scenarios"


def validate(capsys, *args: str) -> tuple[int, list[str], str]:
    code = cli.main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict:
    """Real payloads of a running mock: a graded submission's events (also as JSON Lines, from
    the JSONL sink), an audit page, a Progress, an error and the state export."""
    folder = tmp_path_factory.mktemp("served")
    app = create_app(seed=1)
    inst = app.extensions["mockcanvas"]
    store = inst.store
    client = app.test_client()
    lines = folder / "events.jsonl"
    subscription = client.post(
        "/_mockcanvas/subscriptions", json={"kind": "jsonl", "path": str(lines)}
    ).get_json()
    ids = store.landmarks
    auth = {"Authorization": f"Bearer {store.token_for(ids['teacher'])}"}
    course, assignment = ids["override_course"], ids["points_assignment"]
    progress = client.post(
        f"/api/v1/courses/{course}/assignments/{assignment}/submissions/update_grades",
        data={f"grade_data[{ids['student']}][posted_grade]": "3"},
        headers=auth,
    ).get_json()
    wait = client.post(f"/_mockcanvas/subscriptions/{subscription['id']}/wait?timeout=10", json={})
    assert wait.get_json()["idle"]
    page = client.get(f"/api/v1/audit/grade_change/courses/{course}", headers=auth).get_json()
    events = [event.payload for event in inst.bus.inbox.select()]
    grade_change = next(e for e in inst.bus.inbox.select() if e.name == "grade_change")
    envelope = caliper_envelope(grade_change, store, "canvas.test")
    return {
        "folder": folder,
        "jsonl": lines,
        "events": events,
        "compound": page,
        "audit_event": page["events"][0],
        "links": page["events"][0]["links"],
        "progress": progress,
        "error": client.get("/api/v1/audit/grade_change/courses/1").get_json(),
        "caliper": envelope,
        "caliper_event": envelope["data"][0],
        "state": export_state(inst),
    }


def write(folder, name: str, payload) -> str:
    path = folder / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


# -- the documentation's examples --------------------------------------------------------------


def test_what_validate_says_about_the_documentations_examples(capsys):
    """The doc examples carry Canvas doc mistakes (fixtures/spec_examples/README.md); validate
    names each one, and only those."""
    files = [
        "grade_change_event.json",
        "grade_change_event_links.json",
        "live_events/course_grade_change.json",
        "live_events/grade_change.json",
    ]
    code, lines, err = validate(capsys, *(str(EXAMPLES / name) for name in files))
    assert (code, err) == (1, "")
    event, links, course_grade, grade = (str(EXAMPLES / name) for name in files)
    assert lines == [
        f"{event}: $: 'points_possible_after' is a required property (grade_change_event)",
        f"{event}: $: 'points_possible_before' is a required property (grade_change_event)",
        f"{event}: $.links: None is not of type 'object' (grade_change_event)",
        f"{event}: $.request_id: 'request_id' was unexpected (additional properties are not "
        "allowed) (grade_change_event)",
        f"{event}: $.version_number: '1' is not of type 'integer' (grade_change_event)",
        f"{links}: $.grader: 2319 is not of type 'string', 'null' (grade_change_event_links)",
        f"{links}: $.student: 2319 is not of type 'string', 'null' (grade_change_event_links)",
        f"{course_grade}: ok (live_event_course_grade_change)",
        f"{grade}: $.body: 'assignment_name' is a required property (live_event_grade_change)",
        "4 payloads: 1 valid, 3 invalid",
    ]


def test_the_grade_override_examples_wrong_event_name(capsys):
    """The doc's grade_override example says ``event_name: grade_change``: detection believes it
    and the body fails the grade_change schema; forced to grade_override, the only problem left
    is the event name."""
    path = str(EXAMPLES / "live_events" / "grade_override.json")
    code, lines, _ = validate(capsys, path)
    assert code == 1
    assert {line.rsplit(" (", 1)[1] for line in lines[:-1]} == {"live_event_grade_change)"}
    assert (
        f"{path}: $.body: 'assignment_name' is a required property (live_event_grade_change)"
        in lines
    )
    code, lines, _ = validate(capsys, "--schema", "live_event_grade_override", path)
    assert code == 1
    assert lines == [
        f"{path}: $.metadata.event_name: 'grade_override' was expected (live_event_grade_override)",
        "1 payload: 0 valid, 1 invalid",
    ]
    code, lines, _ = validate(capsys, "--schema", "live_event", path)
    assert (code, lines) == (0, [f"{path}: ok (live_event)", "1 payload: 1 valid, 0 invalid"])


# -- detecting what a payload is -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "schema"),
    [
        ("compound", "grade_change_compound"),
        ("audit_event", "grade_change_event"),
        ("links", "grade_change_event_links"),
        ("progress", "progress"),
        ("error", "error"),
        ("caliper", "caliper_grade_event"),
        ("caliper_event", "caliper_grade_event.json#/$defs/grade_event"),
        ("state", "control_state"),
    ],
)
def test_the_shape_names_the_schema(served, capsys, key, schema):
    path = write(served["folder"], f"{key}.json", served[key])
    code, lines, _ = validate(capsys, path)
    assert (code, lines) == (0, [f"{path}: ok ({schema})", "1 payload: 1 valid, 0 invalid"])


def test_a_json_array_of_live_events_is_one_result_per_item(served, capsys):
    path = write(served["folder"], "events.json", served["events"])
    code, lines, _ = validate(capsys, path)
    assert code == 0
    assert lines == [
        f"{path}[0]: ok (live_event_grade_change)",
        f"{path}[1]: ok (live_event_course_grade_change)",
        "2 payloads: 2 valid, 0 invalid",
    ]


def test_the_jsonl_sinks_file_validates_line_by_line(served, capsys):
    path = str(served["jsonl"])
    code, lines, _ = validate(capsys, path)
    assert code == 0
    assert lines == [
        f"{path}:1: ok (live_event_grade_change)",
        f"{path}:2: ok (live_event_course_grade_change)",
        "2 payloads: 2 valid, 0 invalid",
    ]


def test_json_lines_without_the_suffix_and_a_broken_item(served, capsys):
    broken = json.loads(json.dumps(served["events"][0]))
    broken["body"]["score"] = "ten"
    del broken["metadata"]["producer"]
    text = "\n".join(json.dumps(p) for p in [served["events"][1], broken]) + "\n\n"
    path = served["folder"] / "mixed.log"
    path.write_text(text, encoding="utf-8")
    code, lines, _ = validate(capsys, str(path))
    assert code == 1
    assert lines == [
        f"{path}:1: ok (live_event_course_grade_change)",
        f"{path}:2: $.body.score: 'ten' is not of type 'number', 'null' (live_event_grade_change)",
        f"{path}:2: $.metadata: 'producer' is a required property (live_event_grade_change)",
        "2 payloads: 1 valid, 1 invalid",
    ]


def test_quiet_prints_problems_only(served, capsys):
    broken = dict(served["progress"], workflow_state="exploded")
    items = [served["progress"], broken, {"hello": "world"}]
    path = write(served["folder"], "quiet.json", items)
    code, lines, _ = validate(capsys, "--quiet", path)
    assert code == 1
    assert lines == [
        f"{path}[1]: $.workflow_state: 'exploded' is not one of ['queued', 'running', "
        "'completed', 'failed'] (progress)",
        f"{path}[2]: cannot tell which schema applies; give --schema NAME",
    ]


def test_a_forced_schema_applies_to_every_item(served, capsys):
    path = write(served["folder"], "forced.json", [served["error"], served["progress"]])
    code, lines, _ = validate(capsys, "--schema", "error.json#/$defs/status", path)
    assert code == 1
    assert lines[0] == f"{path}[0]: ok (error.json#/$defs/status)"
    assert lines[1].startswith(f"{path}[1]: $: ") and lines[1].endswith(
        "(error.json#/$defs/status)"
    )


def test_a_scenario_gets_its_cross_reference_checks(served, capsys):
    data = json.loads((SCENARIOS / "tiny.json").read_text())
    good = write(served["folder"], "scenario.json", data)
    data["history"][0]["student"] = "zed"
    bad = write(served["folder"], "bad_scenario.json", data)
    code, lines, _ = validate(capsys, good, bad)
    assert code == 1
    assert lines == [
        f"{good}: ok (scenario)",
        f"{bad}: $.history[0].student: no person with key 'zed' (scenario)",
        "2 payloads: 1 valid, 1 invalid",
    ]


def test_stdin(served, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(served["compound"])))
    code, lines, _ = validate(capsys, "-")
    assert (code, lines) == (0, ["-: ok (grade_change_compound)", "1 payload: 1 valid, 0 invalid"])


# -- usage errors and unreadable files ----------------------------------------------------------


def test_unreadable_files_exit_2_after_checking_the_rest(served, capsys):
    folder = served["folder"]
    good = write(folder, "good.json", served["error"])
    (folder / "not.json").write_text("{'single': 'quotes'}", encoding="utf-8")
    (folder / "empty.json").write_text("\n", encoding="utf-8")
    (folder / "latin1.json").write_bytes(b'{"name": "Jos\xe9"}')
    (folder / "bad.jsonl").write_text('{"a": 1}\n{"b": \n', encoding="utf-8")
    names = ["nowhere.json", "not.json", "empty.json", "latin1.json", "bad.jsonl"]
    code, lines, err = validate(capsys, good, *(str(folder / name) for name in names))
    assert code == 2
    assert lines == [f"{good}: ok (error)", "1 payload: 1 valid, 0 invalid; 5 files unreadable"]
    assert err.splitlines() == [
        f"{folder / 'nowhere.json'}: cannot read: No such file or directory",
        f"{folder / 'not.json'}: not JSON: Expecting property name enclosed in double quotes "
        "(line 1 column 2)",
        f"{folder / 'empty.json'}: empty",
        f"{folder / 'latin1.json'}: not UTF-8 text",
        f"{folder / 'bad.jsonl'}:2: not JSON: Expecting value (line 1 column 7)",
    ]


def test_an_unknown_schema_is_a_usage_error(served, capsys):
    path = write(served["folder"], "any.json", served["error"])
    code, lines, err = validate(capsys, "--schema", "grade_chnage_event", path)
    assert (code, lines) == (2, [])
    assert err.startswith(
        "mockcanvas validate: error: no schema named 'grade_chnage_event' (known: assignment, "
    )
    code, _, err = validate(capsys, "-", "-")
    assert (code, err) == (2, "mockcanvas validate: error: standard input (-) can be read once\n")


def test_no_files_is_an_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["validate"])
    assert exit_.value.code == 2
    assert "the following arguments are required: FILE" in capsys.readouterr().err


def test_the_exit_status_of_the_real_command(served):
    """As CI runs it: a process, a pipe, an exit status."""
    broken = dict(served["audit_event"], version_number="1")
    result = subprocess.run(
        [sys.executable, "-m", "mockcanvas", "validate", "--quiet", "-"],
        input=json.dumps([served["audit_event"], broken]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == (
        "-[1]: $.version_number: '1' is not of type 'integer' (grade_change_event)\n"
    )


def test_detect_says_nothing_about_shapes_it_does_not_know():
    for payload in ([], "text", 3, None, {"id": 1}, {"metadata": {"event_name": 7}}):
        assert payloads.detect(payload) is None
    unknown_event = {"metadata": {"event_name": "submission_created"}, "body": {}}
    assert payloads.detect(unknown_event) == "live_event"
