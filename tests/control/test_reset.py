"""Reset undoes every kind of write exactly: a reset world is indistinguishable from a fresh one.

For each door a write can come through (Canvas REST as JSON and as a form, excusing, bulk grading,
the GraphQL mutations, the control API's grading routes), on the seeded world and on a scenario:
write, reset, then require the export to equal a fresh app's, the store (indexes and id sequences
included) to equal the fresh store, and the same writes again to answer the same bytes and emit
the same events as on the fresh app. Also: imports (as a baseline or not), references held across
a reset, the store's own adds, and the reset check that catches a write the journal missed.
"""

from __future__ import annotations

import copy
import json

import pytest

from mockcanvas import create_app, state
from mockcanvas.controls import ResetMismatch, controls, store_differences
from mockcanvas.models import Section, User
from mockcanvas.testing import AppCache
from tests.support import BASE

SET_OVERRIDE = """
mutation Override($enrollment: ID!, $score: Float) {
  setOverrideScore(input: {enrollmentId: $enrollment, overrideScore: $score}) {
    grades { overrideScore state }
    errors { attribute message }
  }
}
"""
POST_GRADES = """
mutation Post($assignment: ID!) {
  postAssignmentGrades(input: {assignmentId: $assignment}) {
    progress { _id state completion }
    assignment { _id muted }
    errors { attribute message }
  }
}
"""


class Writer:
    """One app, written to as landmark users; every answer kept as (status, headers, bytes)."""

    def __init__(self, app) -> None:
        self.app = app
        self.inst = app.extensions["mockcanvas"]
        self.client = app.test_client()
        self.answers: list[tuple[int, dict, bytes]] = []

    @property
    def store(self):
        return self.inst.store

    def id(self, landmark: str) -> int:
        return self.store.landmarks[landmark]

    def auth(self, who: str | int = "teacher") -> dict[str, str]:
        user_id = self.id(who) if isinstance(who, str) else who
        return {"Authorization": f"Bearer {self.store.token_for(user_id)}"}

    def keep(self, response) -> None:
        assert response.status_code < 400, response.get_data(as_text=True)
        self.answers.append((response.status_code, dict(response.headers), response.data))

    def submission_path(self, assignment: int, student: int) -> str:
        course = self.store.assignments[assignment].course_id
        return f"/api/v1/courses/{course}/assignments/{assignment}/submissions/{student}"

    def put_json(self, assignment: int, student: int, who="teacher", **submission) -> None:
        path = self.submission_path(assignment, student)
        self.keep(
            self.client.put(
                path, json={"submission": submission}, headers=self.auth(who), base_url=BASE
            )
        )

    def put_form(self, assignment: int, student: int, who="teacher", **submission) -> None:
        data = {f"submission[{key}]": value for key, value in submission.items()}
        path = self.submission_path(assignment, student)
        self.keep(self.client.put(path, data=data, headers=self.auth(who), base_url=BASE))

    def graphql(self, query: str, variables: dict, who="teacher") -> None:
        body = {"query": query, "variables": variables}
        self.keep(
            self.client.post("/api/graphql", json=body, headers=self.auth(who), base_url=BASE)
        )

    def control(self, path: str, body: dict) -> None:
        self.keep(self.client.post(f"/_mockcanvas/{path}", json=body))

    def student_enrollment(self, student: str, course: str) -> int:
        return next(
            e.id
            for e in self.store.user_enrollments(self.id(student))
            if e.course_id == self.id(course) and e.type == "StudentEnrollment"
        )

    def events(self) -> list[tuple]:
        return [(e.seq, e.id, e.name, e.payload) for e in self.inst.bus.inbox.select()]

    def reads(self) -> list[bytes]:
        """Pages that show what writes change: the audit log, a submission, the course."""
        course = self.id("override_course") if "override_course" in self.store.landmarks else 1
        paths = [
            f"/api/v1/audit/grade_change/courses/{course}?per_page=50",
            f"/api/v1/courses/{course}/students",
        ]
        admin = self.auth("admin")
        return [self.client.get(p, headers=admin, base_url=BASE).data for p in paths]


# -- the writes, one kind each -------------------------------------------------------------------


def rest_json(w: Writer) -> None:
    assignment = w.id("points_assignment")
    w.put_json(assignment, w.id("student"), posted_grade="7")
    w.put_json(assignment, w.id("student_no_sis"), posted_grade="3.5")
    w.put_json(assignment, w.id("student"), posted_grade="9")  # the same submission again


def rest_form(w: Writer) -> None:
    w.put_form(w.id("letter_grade_assignment"), w.id("student"), posted_grade="B-")
    w.put_form(w.id("pass_fail_assignment"), w.id("student"), posted_grade="incomplete")


def excuse(w: Writer) -> None:
    assignment = w.id("percent_assignment")
    w.put_json(assignment, w.id("student"), excuse=True)
    w.put_form(assignment, w.id("student_no_sis"), excuse="true")
    w.put_json(assignment, w.id("student"), excuse=False, posted_grade="80%")


def bulk(w: Writer) -> None:
    assignment = w.id("points_assignment")
    course = w.store.assignments[assignment].course_id
    student, other = w.id("student"), w.id("student_no_sis")
    data = {
        f"grade_data[{student}][posted_grade]": "11",
        f"grade_data[{other}][excuse]": "true",
        "grade_data[999999][posted_grade]": "1",  # not found: the Progress fails, others graded
    }
    path = f"/api/v1/courses/{course}/assignments/{assignment}/submissions/update_grades"
    w.keep(w.client.post(path, data=data, headers=w.auth(), base_url=BASE))
    progress = json.loads(w.answers[-1][2])["id"]
    w.keep(w.client.get(f"/api/v1/progress/{progress}", headers=w.auth(), base_url=BASE))


def graphql_override(w: Writer) -> None:
    enrollment = w.student_enrollment("student", "override_course")
    w.graphql(SET_OVERRIDE, {"enrollment": str(enrollment), "score": 91.5})
    w.graphql(SET_OVERRIDE, {"enrollment": str(enrollment), "score": None})


def graphql_post(w: Writer) -> None:
    assignment = w.id("anonymous_assignment")
    w.graphql(POST_GRADES, {"assignment": str(assignment)})


def control_grades(w: Writer) -> None:
    course, assignment = w.id("override_course"), w.id("points_assignment")
    w.control("grades", {"course_id": course, "assignment_id": assignment,
                         "user_id": w.id("student"), "posted_grade": "4"})  # fmt: skip
    w.control("grades", {"course_id": course, "assignment_id": assignment,
                         "user_id": w.id("student_no_sis"), "excuse": True})  # fmt: skip


def control_overrides(w: Writer) -> None:
    body = {"course_id": w.id("override_course"), "user_id": w.id("student")}
    w.control("overrides", {**body, "override_score": 77.25})


def control_post_grades(w: Writer) -> None:
    assignment = w.id("anonymous_assignment")
    course = w.store.assignments[assignment].course_id
    w.control("post_grades", {"course_id": course, "assignment_id": assignment})


def everything(w: Writer) -> None:
    """Every kind above in one test, then the clock moved and the same again."""
    for write in SEEDED[:-1]:
        write(w)
    w.keep(w.client.post("/_mockcanvas/clock", json={"advance": 3600}))
    for write in SEEDED[:-1]:
        write(w)


SEEDED = [
    rest_json, rest_form, excuse, bulk, graphql_override, graphql_post, control_grades,
    control_overrides, control_post_grades, everything,
]  # fmt: skip


def unsubmitted(w: Writer) -> None:
    """Gradebook scenario: students with no submission yet get one (a new id) when graded."""
    token = {"Authorization": "Bearer 1~gradebook-teacher-token"}
    for assignment, student in ((8, 8), (6, 10), (8, 10)):
        assert w.store.submission_for(assignment, student) is None
        path = f"/api/v1/courses/1/assignments/{assignment}/submissions/{student}"
        w.keep(
            w.client.put(path, data={"submission[posted_grade]": "1"}, headers=token, base_url=BASE)
        )


# -- the checks ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def used() -> Writer:
    """One app for the whole module: every test writes to it and resets it."""
    return Writer(create_app(seed=1))


@pytest.fixture(scope="module")
def pristine() -> dict:
    return state.export_state(create_app(seed=1).extensions["mockcanvas"])


def assert_like_fresh(used: Writer, fresh: Writer, write) -> None:
    assert store_differences(used.store, fresh.store) == []
    assert state.export_state(used.inst) == state.export_state(fresh.inst)
    assert used.events() == fresh.events() == []
    assert used.reads() == fresh.reads()
    # The same writes now: the same answers (ids, UUIDs and times included), events and world.
    used.answers.clear()
    write(used)
    write(fresh)
    assert used.answers == fresh.answers
    assert used.events() == fresh.events()
    assert used.events()  # the writes did something
    assert state.export_state(used.inst) == state.export_state(fresh.inst)


@pytest.mark.parametrize("write", SEEDED, ids=lambda f: f.__name__)
def test_a_reset_after_each_kind_of_write_is_a_fresh_world(used, pristine, write):
    state.reset(used.inst)
    write(used)
    assert state.export_state(used.inst) != pristine
    took = state.reset(used.inst)
    assert took >= 0
    assert state.export_state(used.inst) == pristine
    assert_like_fresh(used, Writer(create_app(seed=1)), write)


def test_a_reset_scenario_world_is_a_fresh_one_and_new_submissions_go():
    used = Writer(create_app(scenario="gradebook"))
    count, sequences = len(used.store.submissions), used.store.sequences()
    unsubmitted(used)
    assert len(used.store.submissions) == count + 3
    used.keep(used.client.post("/_mockcanvas/reset", json={}))
    assert (len(used.store.submissions), used.store.sequences()) == (count, sequences)
    assert_like_fresh(used, Writer(create_app(scenario="gradebook")), unsubmitted)


def test_references_held_across_a_reset_see_the_baseline_again(used):
    state.reset(used.inst)
    assignment, student = used.id("points_assignment"), used.id("student")
    submission = used.store.submission_for(assignment, student)
    enrollment = used.student_enrollment("student", "override_course")
    score = used.store.course_score(enrollment)
    before = (copy.copy(submission), copy.copy(score))
    rest_json(used)
    control_overrides(used)
    assert (submission, score) != before
    state.reset(used.inst)
    assert used.store.submission_for(assignment, student) is submission
    assert used.store.course_score(enrollment) is score
    assert (submission, score) == before


def test_a_state_import_that_is_no_baseline_is_undone_by_reset(used, pristine):
    state.reset(used.inst)
    rest_json(used)  # journaled writes on the baseline, then a whole other world over them
    other = create_app(seed=5)
    state.import_state(used.inst, state.export_state(other.extensions["mockcanvas"]))
    assert state.export_state(used.inst)["users"] != pristine["users"]
    rest_json(used)  # writes on the imported world are not journaled; reset drops them
    state.import_state(used.inst, state.export_state(other.extensions["mockcanvas"]))  # again
    state.reset(used.inst)
    assert state.export_state(used.inst) == pristine
    assert controls(used.inst).baseline().held is None and used.store.recording
    assert_like_fresh(used, Writer(create_app(seed=1)), everything)
    state.reset(used.inst)
    assert state.export_state(used.inst) == pristine


def test_an_imported_baseline_missing_a_score_gets_one_made_and_undone(pristine):
    used = Writer(create_app(seed=1))
    enrollment = used.student_enrollment("student", "override_course")
    data = copy.deepcopy(pristine)
    data["scores"] = [s for s in data["scores"] if s["enrollment_id"] != enrollment]
    state.import_state(used.inst, data, baseline=True)
    assert used.store.course_score(enrollment) is None
    rest_json(used)  # rescoring the student makes a new Score row
    assert used.store.course_score(enrollment) is not None
    state.reset(used.inst)
    assert state.export_state(used.inst) == data
    assert used.store.course_score(enrollment) is None
    fresh = Writer(create_app(seed=1))
    state.import_state(fresh.inst, data, baseline=True)
    assert_like_fresh(used, fresh, rest_json)


def test_the_plugin_cache_reinstates_the_seeded_baseline_after_an_imported_one(pristine):
    cache = AppCache()
    w = Writer(cache.fresh(seed=1))
    data = copy.deepcopy(pristine)
    data["landmarks"]["imported"] = 1
    w.keep(w.client.put("/_mockcanvas/state?baseline=true", json=data))
    rest_json(w)
    assert cache.fresh(seed=1) is w.app
    assert state.export_state(w.inst) == pristine
    assert controls(w.inst).baseline().held is None
    assert_like_fresh(w, Writer(create_app(seed=1)), rest_json)


def test_the_stores_own_adds_and_token_changes_are_undone(used, pristine):
    state.reset(used.inst)
    store = used.store
    course = store.courses[used.id("override_course")]
    first = store.sections[store.course_sections(course.id)[0].id]
    user = User(
        id=store.new_id("users"), name="New", sortable_name="New", short_name="New",
        login_id="New@Example.com", email="new@example.com", created_at=first.created_at,
        sis_user_id="NEW-1",
    )  # fmt: skip
    store.add_user(user, token="1~new-token")
    store.add_section(
        Section(id=store.new_id("course_sections"), course_id=course.id, name="X",
                created_at=first.created_at)
    )  # fmt: skip
    store.set_token(used.id("student"), "1~replaced")
    assert store.user_for_token("1~new-token") is user
    state.reset(used.inst)
    assert state.export_state(used.inst) == pristine
    assert (
        store.user_id_for_sis("NEW-1") is None
        and store.user_id_for_login("new@example.com") is None
    )
    assert store.user_for_token("1~replaced") is None
    assert_like_fresh(used, Writer(create_app(seed=1)), rest_form)


def test_the_reset_check_names_a_change_the_journal_missed_and_repairs_it(monkeypatch, pristine):
    monkeypatch.setenv("MOCKCANVAS_CHECK_RESET", "1")
    w = Writer(create_app(seed=1))
    assert controls(w.inst).check
    assignment = w.store.assignments[w.id("points_assignment")]
    assignment.name = "changed behind the journal's back"  # no store.touch(): a bug
    rest_json(w)
    with pytest.raises(ResetMismatch, match=rf"assignments: changed {assignment.id}\b"):
        state.reset(w.inst)
    assert state.export_state(w.inst) == pristine
    state.reset(w.inst)  # repaired: the next reset passes
    assert_like_fresh(w, Writer(create_app(seed=1)), rest_json)


def test_without_the_check_a_missed_change_survives_reset(monkeypatch):
    """Why the check exists: the journal only undoes what it was told about."""
    monkeypatch.delenv("MOCKCANVAS_CHECK_RESET", raising=False)
    w = Writer(create_app(seed=1))
    assert not controls(w.inst).check
    assignment = w.store.assignments[w.id("points_assignment")]
    assignment.name = "changed behind the journal's back"
    state.reset(w.inst)
    assert assignment.name == "changed behind the journal's back"


def test_the_journal_grows_with_the_records_changed_not_with_the_writes(used, pristine):
    """A long run (a server under a simulator) adds audit rows and page views by the thousand;
    the journal keeps their counts, and one step per record on its first change."""
    state.reset(used.inst)
    rest_json(used)
    steps = len(used.store._undo)
    rows, views = len(used.store.grade_changes), len(used.store.page_views)
    for grade in range(20):
        used.put_json(used.id("points_assignment"), used.id("student"), posted_grade=str(grade))
    assert len(used.store.grade_changes) == rows + 20 and len(used.store.page_views) == views + 20
    assert len(used.store._undo) == steps
    state.reset(used.inst)
    assert state.export_state(used.inst) == pristine
    assert len(used.store._undo) == 0
