"""Scenario files: loading, replay through the write path, reset, determinism and clear errors."""

from __future__ import annotations

import copy
import json
import signal
from datetime import UTC, datetime

import pytest
import requests

from mockcanvas import cli, create_app, scenario, schemas
from mockcanvas.resources import data_dir
from mockcanvas.state import export_state, reset
from tests.support import BASE, CheckedClient, parse_links, serve, serve_process

SCENARIOS = data_dir("fixtures") / "scenarios"
TINY_ADMIN = "1~tiny-admin-token"
TINY_TEACHER = "1~tiny-teacher-token"
# What the scenarios mark as the state of today rather than as history.
FINAL_STATE_FIELDS = ("deleted", "state")


def tiny_data() -> dict:
    return json.loads((SCENARIOS / "tiny.json").read_text())


def gradebook_data() -> dict:
    return json.loads((SCENARIOS / "gradebook.json").read_text())


@pytest.fixture(scope="module")
def tiny():
    return create_app(scenario="tiny")


@pytest.fixture(scope="module")
def gradebook():
    return create_app(scenario="gradebook")


def inst_of(app):
    return app.extensions["mockcanvas"]


def store_of(app):
    return inst_of(app).store


def dumped(app) -> str:
    return json.dumps(export_state(inst_of(app)), sort_keys=True)


# -- what a scenario builds ----------------------------------------------------------------------


def test_the_bundled_scenarios_are_listed_and_valid():
    assert scenario.bundled() == ["gradebook", "tiny"]
    for name in scenario.bundled():
        assert (
            schemas.issues("scenario", json.loads((SCENARIOS / f"{name}.json").read_text())) == []
        )


def test_keys_become_landmarks_and_ids_follow_file_order(tiny):
    store = store_of(tiny)
    assert store.landmarks == {
        "root_account": 1,
        "admin": 1,
        "teacher": 2,
        "alice": 3,
        "bob": 4,
        "bio101": 1,
        "hw1": 1,
        "essay": 2,
    }
    assert store.users[3].name == "Alice Adams" and store.users[3].sortable_name == "Adams, Alice"
    assert store.users[3].login_id == "alice@canvas.example.edu"
    assert store.token_for(1) == TINY_ADMIN and store.token_for(2) == TINY_TEACHER
    assert store.courses[1].sis_course_id == "BIO101-F26"
    assert [s.name for s in store.course_sections(1)] == ["Introduction to Biology"]


def test_the_audit_api_serves_the_replayed_history(tiny):
    api = CheckedClient(tiny, store_of(tiny))
    response = api.get("/api/v1/audit/grade_change/courses/1?per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    # The admin has no time zone: the account's America/Denver (-06:00 in October).
    assert [
        (e["created_at"], e["grade_before"], e["grade_after"], e["excused_after"])
        for e in body["events"]
    ] == [
        ("2026-10-20T08:05:00-06:00", None, None, True),
        ("2026-10-20T08:00:00-06:00", None, "B+", False),
    ]
    assert body["events"][1]["links"] == {
        "assignment": 2,
        "course": 1,
        "student": "3",
        "grader": "2",
        "page_view": body["linked"]["page_views"][1]["id"],
    }
    assert body["linked"]["page_views"][1]["url"] == (
        "https://canvas.example.edu/api/v1/courses/1/assignments/2/submissions/3"
    )
    assert set(parse_links(response.headers["Link"])) == {"current", "next", "first"}
    # The student's view: the regrade of Homework 1 carries the grade before it.
    student = api.get("/api/v1/audit/grade_change/students/3").get_json()
    assert [(e["grade_before"], e["grade_after"]) for e in student["events"]] == [
        (None, "B+"),
        ("8", "9"),
        (None, "8"),
    ]


def test_scores_and_submissions_are_the_write_paths(tiny):
    store = store_of(tiny)
    alice_hw = store.submission_for(1, 3)
    assert (alice_hw.grade, alice_hw.score, alice_hw.version_number) == ("9", 9.0, 2)
    assert alice_hw.graded_at == datetime(2026, 10, 3, 9, 30, tzinfo=UTC)
    assert alice_hw.posted_at == datetime(2026, 10, 1, 15, 0, tzinfo=UTC)
    bob_essay = store.submission_for(2, 4)
    assert bob_essay.excused and bob_essay.workflow_state == "graded"
    alice, bob = (store.course_score(e.id) for e in store.course_enrollments(1)[1:])
    assert (alice.current_score, alice.final_score) == (89.09, 89.09)  # (9 + 89) / 110
    assert (bob.current_score, bob.final_score) == (65.0, 65.0)  # the essay is excused


def test_a_loaded_scenario_starts_with_an_empty_inbox_numbered_from_1():
    app = create_app(scenario="tiny")
    inst = inst_of(app)
    assert len(inst.bus.inbox) == 0
    response = app.test_client().put(
        "/api/v1/courses/1/assignments/1/submissions/4",
        data={"submission[posted_grade]": "7"},
        headers={"Authorization": f"Bearer {TINY_TEACHER}"},
        base_url=BASE,
    )
    assert response.status_code == 200
    assert [(e.seq, e.name) for e in inst.bus.inbox.select()] == [
        (1, "grade_change"),
        (2, "course_grade_change"),
    ]
    assert store_of(app).grade_changes.rows()[-1].grade_before == "6.5"


def test_the_clock_starts_at_the_scenarios_now_unless_given():
    assert inst_of(create_app(scenario="tiny")).clock.now() == datetime(2026, 11, 2, 16, tzinfo=UTC)
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert inst_of(create_app(scenario="tiny", now=later)).clock.now() == later


def test_reset_comes_back_to_the_scenario():
    app = create_app(scenario="gradebook")
    before = dumped(app)
    client = app.test_client()
    auth = {"Authorization": "Bearer 1~gradebook-teacher-token"}
    response = client.put(
        "/api/v1/courses/1/assignments/2/submissions/7",
        data={"submission[posted_grade]": "2"},
        headers=auth,
    )
    assert response.status_code == 200
    assert dumped(app) != before
    reset(inst_of(app))
    assert dumped(app) == before
    assert len(inst_of(app).bus.inbox) == 0
    assert client.post("/_mockcanvas/reset", json={}).status_code == 200
    assert dumped(app) == before


def test_the_same_scenario_builds_the_same_bytes_and_seed_only_seeds_the_runtime():
    one, two, other_seed = (
        create_app(scenario="gradebook"),
        create_app(scenario=SCENARIOS / "gradebook.json"),
        create_app(scenario="gradebook", seed=7),
    )
    assert dumped(one) == dumped(two) == dumped(other_seed)
    request_ids = []
    for app in (one, other_seed):
        app.test_client().put(
            "/api/v1/courses/1/assignments/2/submissions/7",
            data={"submission[posted_grade]": "3"},
            headers={"Authorization": "Bearer 1~gradebook-teacher-token"},
        )
        request_ids.append(store_of(app).grade_changes.rows()[-1].request_id)
    assert request_ids[0] != request_ids[1]


def test_the_scenario_seed_draws_the_tokens_uuids_and_request_ids():
    data = tiny_data()
    default = store_of(create_app(scenario=data))
    data["seed"] = 2
    reseeded = store_of(create_app(scenario=data))
    assert default.token_for(3) != reseeded.token_for(3)
    assert default.token_for(3).startswith("1~") and len(default.token_for(3)) == 66
    assert default.token_for(1) == reseeded.token_for(1) == TINY_ADMIN  # given, not drawn
    assert default.grade_changes.get(1).uuid != reseeded.grade_changes.get(1).uuid


def test_a_toml_scenario_builds_what_its_json_twin_builds(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(
        """
format = "mockcanvas-scenario"
version = 1
now = 2026-11-02T16:00:00Z
people = [
  {key = "admin", name = "Ada Admin", token = "1~tiny-admin-token"},
  {key = "teacher", name = "Terry Teacher", token = "1~tiny-teacher-token"},
  {key = "alice", name = "Alice Adams", sis_user_id = "S-1001", time_zone = "America/New_York"},
  {key = "bob", name = "Bob Brown", sis_user_id = "S-1002"},
]
admins = [{person = "admin"}]
description = "One course, one teacher, two students, two assignments and a short grade history."

[[courses]]
key = "bio101"
name = "Introduction to Biology"
course_code = "BIO 101"
sis_course_id = "BIO101-F26"
enrollments = [
  {person = "teacher", role = "teacher"},
  {person = "alice", role = "student"},
  {person = "bob", role = "student"},
]
assignments = [
  {key = "hw1", name = "Homework 1", points_possible = 10},
  {key = "essay", name = "Essay", grading_type = "letter_grade", points_possible = 100},
]

[[history]]
at = 2026-10-01T15:00:00Z
assignment = "hw1"
student = "alice"
grade = "8"
[[history]]
at = 2026-10-01T15:02:00Z
assignment = "hw1"
student = "bob"
grade = "6.5"
[[history]]
at = 2026-10-03T09:30:00Z
assignment = "hw1"
student = "alice"
grade = "9"
[[history]]
at = 2026-10-20T14:00:00Z
assignment = "essay"
student = "alice"
grade = "B+"
[[history]]
at = 2026-10-20T14:05:00Z
assignment = "essay"
student = "bob"
excuse = true
"""
    )
    assert dumped(create_app(scenario=path)) == dumped(create_app(scenario="tiny"))


# -- the replay is the API ---------------------------------------------------------------------


OVERRIDE = """mutation($e: ID!, $s: Float) { setOverrideScore(input: {enrollmentId: $e,
  overrideScore: $s}) { errors { message } } }"""
POST = """mutation($a: ID!) { postAssignmentGrades(input: {assignmentId: $a}) {
  errors { message } } }"""


def _history_only(data: dict) -> dict:
    """The scenario without its states of today (they are not history the API could replay)."""
    data = copy.deepcopy(data)
    for person in data["people"]:
        person.pop("deleted", None)
    for course in data["courses"]:
        for item in course.get("enrollments", []) + course.get("assignments", []):
            for name in FINAL_STATE_FIELDS:
                item.pop(name, None)
    return data


def test_replaying_the_history_gives_what_the_canvas_api_gives():
    """Every entry of the gradebook scenario, sent as the requests a grader would send (REST
    grades, GraphQL overrides and posting) at the entry's time, writes the same audit rows,
    submissions and scores as loading the scenario does."""
    data = _history_only(gradebook_data())
    loaded = create_app(scenario=data)
    blank = copy.deepcopy(data)
    blank["history"] = []
    blank["created_at"] = "2026-09-07T00:00:00Z"  # what the full scenario's creation defaults to
    by_api = create_app(scenario=blank)
    inst, store = inst_of(by_api), store_of(by_api)
    client = by_api.test_client()
    ids = store.landmarks
    entries = sorted(enumerate(data["history"]), key=lambda pair: (pair[1]["at"], pair[0]))
    for _, entry in entries:
        inst.clock.set(datetime.fromisoformat(entry["at"]))
        target = entry.get("assignment") or entry.get("post")
        course = store.assignments[ids[target]].course_id if target else ids[entry["course"]]
        grader = entry.get("grader") or ("teacher" if course == 1 else "history_teacher")
        auth = {"Authorization": f"Bearer {store.token_for(ids[grader])}"}
        if "override" in entry:
            enrollment = next(
                e
                for e in store.user_enrollments(ids[entry["student"]])
                if e.course_id == course and e.type == "StudentEnrollment"
            )
            variables = {"e": str(enrollment.id), "s": entry["override"]}
            response = client.post(
                "/api/graphql", json={"query": OVERRIDE, "variables": variables}, headers=auth
            )
            assert response.get_json()["data"]["setOverrideScore"]["errors"] is None
        elif "post" in entry:
            variables = {"a": str(ids[entry["post"]])}
            response = client.post(
                "/api/graphql", json={"query": POST, "variables": variables}, headers=auth
            )
            assert response.get_json()["data"]["postAssignmentGrades"]["errors"] is None
        else:
            submission = {}
            if "grade" in entry:
                grade = entry["grade"]
                submission["posted_grade"] = "" if grade is None else str(grade)
            if "excuse" in entry:
                submission["excuse"] = entry["excuse"]
            response = client.put(
                f"/api/v1/courses/{course}/assignments/{ids[entry['assignment']]}"
                f"/submissions/{ids[entry['student']]}",
                json={"submission": submission},
                headers=auth,
            )
        assert response.status_code == 200, response.get_data(as_text=True)

    expected, actual = export_state(inst), export_state(inst_of(loaded))
    for row in expected["grade_changes"] + actual["grade_changes"]:
        del row["uuid"], row["request_id"]  # drawn from different generators
    assert len(actual["grade_changes"]) == 41
    for table in ("grade_changes", "submissions", "scores", "assignments", "enrollments"):
        assert actual[table] == expected[table], table


def test_audit_rows_and_page_views_share_the_request_id(gradebook):
    store = store_of(gradebook)
    rows = store.grade_changes.rows()
    without = [row.id for row in rows if row.request_id not in store.page_views]
    assert without == [35]  # the entry with "page_view": false
    overrides = [row for row in rows if row.override]
    assert [store.page_views[row.request_id].url for row in overrides[:1]] == [
        "https://northfield.example.edu/api/graphql"
    ]


# -- the gradebook scenario, through the API ----------------------------------------------------


@pytest.fixture(scope="module")
def book(gradebook) -> CheckedClient:
    return CheckedClient(gradebook, store_of(gradebook))


def events(book: CheckedClient, path: str, as_: str = "admin") -> list[dict]:
    response = book.get(path, as_=as_, query={"per_page": 100})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["events"]


def test_override_rows_set_change_and_clear(book):
    rows = events(book, "/api/v1/audit/grade_change/courses/1/assignments/override")
    assert [(e["links"]["student"], e["grade_before"], e["grade_after"]) for e in rows] == [
        ("7", "95%", None),
        ("8", "88.5%", "90%"),
        ("8", None, "88.5%"),
        ("7", None, "95%"),
    ]
    assert {e["course_override_grade"] for e in rows} == {True}
    assert rows[1]["links"]["grader"] == "1"  # the admin changed it


def test_pass_fail_excused_and_multi_grader_history(book):
    reading = book.store.landmarks["chem_reading"]
    rows = events(book, f"/api/v1/audit/grade_change/assignments/{reading}")
    assert [
        (e["links"]["student"], e["links"]["grader"], e["grade_after"], e["excused_after"])
        for e in reversed(rows)
    ] == [
        ("7", "3", "complete", False),
        ("8", "3", "incomplete", False),
        ("9", "5", "complete", False),
        ("10", "5", "incomplete", False),
        ("8", "3", None, True),
    ]
    hw1 = book.store.landmarks["chem_hw1"]
    graders = {
        e["links"]["grader"] for e in events(book, f"/api/v1/audit/grade_change/assignments/{hw1}")
    }
    assert graders == {"3", "4", "5"}


def test_letter_gpa_and_unexcused_grades_read_as_canvas_writes_them(book):
    ids = book.store.landmarks
    project = events(book, f"/api/v1/audit/grade_change/assignments/{ids['chem_project']}")
    assert [e["grade_after"] for e in reversed(project)] == ["A-", "B+", "C", "B", "C+"]
    dee = events(book, f"/api/v1/audit/grade_change/courses/1/students/{ids['dee']}")
    essay = [e for e in dee if e["links"]["assignment"] == ids["chem_essay"]]
    assert [(e["excused_before"], e["excused_after"], e["grade_after"]) for e in essay] == [
        (True, False, "80%"),
        (False, True, None),
    ]
    assert dee[0]["grade_before"] == "2.3" and dee[0]["grade_after"] is None  # cleared


def test_states_of_today_apply_after_the_history(book):
    store, ids = book.store, book.store.landmarks
    syllabus = ids["chem_syllabus"]
    assert book.get(f"/api/v1/audit/grade_change/assignments/{syllabus}").status_code == 404
    assert book.get(f"/api/v1/audit/grade_change/students/{ids['gus']}").status_code == 404
    fay = next(e for e in store.user_enrollments(ids["fay"]))
    assert (
        fay.workflow_state == "deleted" and store.course_score(fay.id).workflow_state == "deleted"
    )
    assert [e.workflow_state for e in store.user_enrollments(ids["gus"])] == ["deleted"]
    # Ana's score no longer counts the deleted syllabus quiz.
    ana = next(e for e in store.user_enrollments(ids["ana"]) if e.course_id == 1)
    assert store.course_score(ana.id).updated_at == datetime(2026, 11, 2, 16, tzinfo=UTC)


def test_the_anonymous_manually_posted_assignment(book):
    store, ids = book.store, book.store.landmarks
    peer = store.assignments[ids["chem_peer"]]
    assert peer.post_manually and not peer.muted  # posted on 2026-10-14
    assert {s.posted_at for s in store.assignment_submissions(peer.id)} == {
        datetime(2026, 10, 14, 9, tzinfo=UTC)
    }
    rows = [r for r in store.grade_changes.rows() if r.assignment_id == peer.id]
    assert [r.graded_anonymously for r in rows] == [True, True, True]


# -- bad scenarios -------------------------------------------------------------------------------


def _set(*path_and_value):
    *path, value = path_and_value

    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _drop(*path):
    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


def _append_history(entry):
    return lambda data: data["history"].append(entry)


BAD = [
    (
        _set("courses", 0, "assignments", 0, "grading_type", "letter"),
        "$.courses[0].assignments[0].grading_type: 'letter' is not one of ['points', 'percent', "
        "'letter_grade', 'gpa_scale', 'pass_fail', 'not_graded']",
    ),
    (_set("history", 0, "student", "zed"), "$.history[0].student: no person with key 'zed'"),
    (
        _set("history", 1, "assignment", "hw9"),
        "$.history[1].assignment: no assignment with key 'hw9'",
    ),
    (
        _set("courses", 0, "key", "alice"),
        "$.courses[0].key: duplicate key 'alice' (already a person)",
    ),
    (
        _set("history", 3, "grade", "Q"),
        "$.history[3].grade: 'Q' is not a grade for a letter_grade assignment",
    ),
    (
        _set("history", 0, "grader", "bob"),
        "$.history[0].grader: 'bob' is not an admin, teacher or TA of course 'bio101'",
    ),
    (
        _append_history(
            {"at": "2026-10-21T00:00:00Z", "course": "bio101", "student": "alice", "override": 90}
        ),
        "$.history[5].course: course 'bio101' does not allow final grade overrides "
        '(set "allow_final_grade_override": true)',
    ),
    (
        _set("history", 0, "at", "2026-12-01T00:00:00Z"),
        "$.history[0].at: 2026-12-01T00:00:00Z is after the scenario's now (2026-11-02T16:00:00Z)",
    ),
    (
        _set("history", 0, "at", "yesterday"),
        "$.history[0].at: 'yesterday' is not a 'date-time'",
    ),
    (
        _set("history", 0, "override", 3),
        "$.history[0]: give exactly one of grade/excuse, override or post (found grade, override)",
    ),
    (_drop("people", 0, "name"), "$.people[0]: 'name' is a required property"),
    (
        _set("people", 0, "nmae", "x"),
        "$.people[0].nmae: 'nmae' was unexpected (additional properties are not allowed)",
    ),
    (
        _set("people", 2, "time_zone", "Mars/Olympus"),
        "$.people[2].time_zone: unknown time zone 'Mars/Olympus'",
    ),
    (_set("admins", []), "$.admins: [] should be non-empty"),
    (_set("people", 1, "token", TINY_ADMIN), "$.people[1].token: the same token as 'admin'"),
    (
        _set("courses", 0, "enrollments", 0, "section", "nowhere"),
        "$.courses[0].enrollments[0].section: no section 'nowhere' in course 'bio101'",
    ),
    (
        _set("admins", 0, "person", "teacher"),
        "$.admins: the key 'admin' must name a person who is one of the admins",
    ),
    (
        _set("courses", 0, "key", "root_account"),
        "$.courses[0].key: 'root_account' is reserved (it names the root account)",
    ),
    (_set("format", "something"), "$.format: 'mockcanvas-scenario' was expected"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_a_bad_scenario_names_the_file_and_the_json_path(tmp_path, change, message):
    data = tiny_data()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(scenario.ScenarioError) as caught:
        create_app(scenario=path)
    assert str(caught.value) == f"scenario {path} is invalid:\n  {message}"
    assert [str(p) for p in caught.value.problems] == [message]


def test_every_problem_is_reported_at_once():
    data = tiny_data()
    data["history"][0]["student"] = "zed"
    data["history"][2]["grader"] = "alice"
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load(data)
    assert [str(p) for p in caught.value.problems] == [
        "$.history[0].student: no person with key 'zed'",
        "$.history[2].grader: 'alice' is not an admin, teacher or TA of course 'bio101'",
    ]
    assert str(caught.value).startswith("scenario <data> is invalid:\n")


def test_a_section_limited_ta_grades_only_their_sections():
    data = gradebook_data()
    data["history"].append(
        {"at": "2026-10-01T00:00:00Z", "assignment": "chem_hw1", "student": "ana",
         "grade": "1", "grader": "section_ta"}
    )  # fmt: skip
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load(data)
    assert [str(p) for p in caught.value.problems] == [
        "$.history[42].grader: 'section_ta' may grade only their own sections' students"
    ]


def test_history_after_the_apps_clock_is_refused():
    with pytest.raises(scenario.ScenarioError) as caught:
        create_app(scenario="tiny", now=datetime(2026, 10, 2, tzinfo=UTC))
    assert str(caught.value) == (
        f"scenario {SCENARIOS / 'tiny.json'} is invalid:\n"
        "  $.history[2].at: 2026-10-03T09:30:00Z is after the clock's start (2026-10-02T00:00:00Z)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "not JSON: Expecting property name enclosed in double quotes (line 1 column 2)",
        ),
        ("[]", "[] is not of type 'object'"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_unreadable_files_are_one_clear_problem(tmp_path, content, message):
    path = tmp_path / "broken.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load(path)
    assert str(caught.value) == f"scenario {path}: {message}"


def test_an_unknown_name_lists_the_bundled_scenarios():
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load("no-such-scenario")
    assert str(caught.value) == (
        "scenario no-such-scenario: no such file, and no bundled scenario of that name "
        "(bundled: gradebook, tiny)"
    )


def test_a_store_and_a_scenario_together_are_refused(tiny):
    with pytest.raises(ValueError, match="give a store or a scenario, not both"):
        create_app(store_of(tiny), scenario="tiny")


def test_changing_the_data_after_loading_changes_nothing():
    data = tiny_data()
    app = create_app(scenario=data)
    before = dumped(app)
    data["history"].clear()
    reset(inst_of(app))
    assert dumped(app) == before


# -- the command line ----------------------------------------------------------------------------


def test_serve_refuses_a_bad_scenario_with_exit_2_and_no_traceback(tmp_path, capsys):
    data = tiny_data()
    data["history"][0]["student"] = "zed"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    assert cli.main(["serve", "--port", "0", "--scenario", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"mockcanvas serve: error: scenario {path} is invalid:\n"
        "  $.history[0].student: no person with key 'zed'\n"
    )
    early = ["--now", "2026-10-02T00:00Z", "--frozen-clock"]
    assert cli.main(["serve", "--port", "0", "--scenario", "tiny", *early]) == 2
    assert capsys.readouterr().err == (
        f"mockcanvas serve: error: scenario {SCENARIOS / 'tiny.json'} is invalid:\n"
        "  $.history[2].at: 2026-10-03T09:30:00Z is after the clock's start "
        "(2026-10-02T00:00:00Z)\n"
    )


def test_serve_a_bundled_scenario_over_http():
    with serve_process("--port", "0", "--scenario", "tiny") as process:
        url = process.stdout.readline().strip().split(" serving ")[1]
        assert process.stdout.readline().strip() == f"admin token: {TINY_ADMIN}"
        assert process.stdout.readline().strip() == (
            f"seed 1, scenario {SCENARIOS / 'tiny.json'}, 5 grade changes"
        )
        response = requests.get(
            f"{url}/api/v1/audit/grade_change/courses/BIO101-F26",
            headers={"Authorization": f"Bearer {TINY_ADMIN}"},
            timeout=10,
        )
        assert response.status_code == 404  # Course.find routes take no SIS ids
        response = requests.get(
            f"{url}/api/v1/audit/grade_change",
            params={"course_id": "sis_course_id:BIO101-F26"},
            headers={"Authorization": f"Bearer {TINY_ADMIN}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert [e["grade_after"] for e in response.json()["events"]] == [
            None,
            "B+",
            "9",
            "6.5",
            "8",
        ]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_world_prints_a_scenarios_landmarks_and_tokens(capsys):
    assert cli.main(["world", "--scenario", "tiny"]) == 0
    world = json.loads(capsys.readouterr().out)
    assert world["landmarks"]["bio101"] == 1 and world["grade_changes"] == 5
    assert [u["token"] for u in world["users"][:2]] == [TINY_ADMIN, TINY_TEACHER]


def test_a_live_server_on_a_scenario_app(tiny):
    with serve(tiny) as url:
        response = requests.get(
            f"{url}/api/v1/users/self",
            headers={"Authorization": f"Bearer {TINY_TEACHER}"},
            timeout=10,
        )
    assert response.status_code == 200
    assert response.json()["name"] == "Terry Teacher"
