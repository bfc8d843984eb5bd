"""Every write is all-or-nothing (issue 14, case 3).

A fault is injected at one step of a write (the k-th call of the audit log's append, the course
score computation, the page-view add, the schema check, the bus publish) through each door, over
HTTP to a real server. Whatever step fails, the exported state, the inbox, the Progress objects
and the subscriptions' delivery logs must be byte-identical to before, and the answer a
Canvas-shaped error (a job's answer is its failed Progress, as Canvas's is). Then the same write
without the fault must take the numbers it takes on a server that never saw the fault: the event
numbers and ids the failed write took were given back.

Monkeypatching here only injects the fault; everything else is the real server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from mockcanvas import create_app, schemas, simulate, state
from mockcanvas.auditlog import GradeChangeLog
from mockcanvas.events import EventBus
from mockcanvas.live_server import LiveServer
from mockcanvas.services import grading
from mockcanvas.store import Store

# Landmarks of the small seeded world (seed 1).
COURSE, ASSIGNMENT, STUDENT, OTHER = 1, 3, 4, 5
POSTABLE = 7  # "Peer-Reviewed Essay": posted manually, with graded unposted submissions
INTERNAL_ERROR = {
    "errors": [{"message": "An error occurred.", "error_code": "internal_server_error"}]
}
UNEXPECTED = "Unexpected error, ID: unknown"

SET_OVERRIDE = """
mutation Set($enrollment: ID!, $score: Float) {
  setOverrideScore(input: {enrollmentId: $enrollment, overrideScore: $score}) {
    grades { overrideScore }
    errors { attribute message }
  }
}
"""


class Fault(Exception):
    """The injected failure."""


@dataclass
class World:
    """A seeded app served on a free port, with a JSONL subscription."""

    app: object
    server: LiveServer
    session: requests.Session
    subscription: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def inst(self):
        return self.app.extensions["mockcanvas"]

    def token(self, landmark: str) -> str:
        store = self.inst.store
        return store.token_for(store.landmarks[landmark])

    def as_(self, landmark: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(landmark)}"}

    def enrollment(self) -> int:
        return next(
            e.id
            for e in self.inst.store.user_enrollments(STUDENT)
            if e.course_id == COURSE and e.type == "StudentEnrollment"
        )

    def observe(self) -> tuple[bytes, ...]:
        """Everything a write may change, as the server answers it (delivery settled first)."""
        s, url = self.session, self.url
        waited = s.post(f"{url}/_mockcanvas/subscriptions/{self.subscription}/wait", json={})
        assert waited.json()["idle"] is True
        return (
            s.get(f"{url}/_mockcanvas/state").content,
            s.get(f"{url}/_mockcanvas/live_events").content,
            s.get(f"{url}/_mockcanvas/subscriptions").content,
            json.dumps(
                [{k: str(v) for k, v in vars(p).items()} for p in self.inst.progresses.values()]
            ).encode(),
        )


def serve(tmp_path: Path) -> World:
    app = create_app(seed=1, validate_events=True)
    server = LiveServer(app).start()
    session = requests.Session()
    # One host for every server, so URLs recorded in page views do not differ by port.
    session.headers["Host"] = "127.0.0.1"
    made = session.post(
        f"{server.url}/_mockcanvas/subscriptions",
        json={"kind": "jsonl", "path": str(tmp_path / f"events-{server.port}.jsonl")},
    )
    assert made.status_code == 201, made.text
    return World(app, server, session, str(made.json()["id"]))


# -- the doors ---------------------------------------------------------------------------------


def rest_json(w: World, grade: str = "7") -> requests.Response:
    return w.session.put(
        f"{w.url}/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/{STUDENT}",
        json={"submission": {"posted_grade": grade}},
        headers=w.as_("teacher"),
    )


def rest_form(w: World, grade: str = "7") -> requests.Response:
    return w.session.put(
        f"{w.url}/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/{STUDENT}",
        data={"submission[posted_grade]": grade},
        headers=w.as_("teacher"),
    )


def bulk(w: World, grade: str = "7") -> requests.Response:
    return w.session.post(
        f"{w.url}/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/update_grades",
        data={
            f"grade_data[{STUDENT}][posted_grade]": grade,
            f"grade_data[{OTHER}][posted_grade]": "8",
        },
        headers=w.as_("teacher"),
    )


def graphql_override(w: World, score: float = 91.5) -> requests.Response:
    return w.session.post(
        f"{w.url}/api/graphql",
        json={
            "query": SET_OVERRIDE,
            "variables": {"enrollment": str(w.enrollment()), "score": score},
        },
        headers=w.as_("teacher"),
    )


def control_grade(w: World, grade: str = "7") -> requests.Response:
    body = {"course_id": COURSE, "assignment_id": ASSIGNMENT, "user_id": STUDENT}
    return w.session.post(f"{w.url}/_mockcanvas/grades", json={**body, "posted_grade": grade})


def control_override(w: World, score: float = 91.5) -> requests.Response:
    body = {"course_id": COURSE, "user_id": STUDENT, "override_score": score}
    return w.session.post(f"{w.url}/_mockcanvas/overrides", json=body)


def control_post(w: World, grader: int | None = None) -> requests.Response:
    body = {"course_id": COURSE, "assignment_id": POSTABLE}
    if grader is not None:
        body["grader_id"] = grader
    return w.session.post(f"{w.url}/_mockcanvas/post_grades", json=body)


@dataclass(frozen=True)
class Door:
    write: Callable[[World], requests.Response]
    job: bool = False  # answers with a Progress


DOORS: dict[str, Door] = {
    "rest_json": Door(rest_json),
    "rest_form": Door(rest_form),
    "bulk_update_grades": Door(bulk, job=True),
    "graphql_set_override_score": Door(graphql_override),
    "control_grades": Door(control_grade),
    "control_overrides": Door(control_override),
    "control_post_grades": Door(control_post),
}

# The steps a fault is injected at: (owner, attribute) whose k-th call raises.
STEPS: dict[str, tuple[object, str]] = {
    "audit_row": (GradeChangeLog, "append"),
    "page_view": (Store, "add_page_view"),
    "course_scores": (grading, "course_scores"),
    "schema_check": (schemas, "validate"),
    "publish": (EventBus, "publish"),
}

# (door, step, k): every step each door reaches, at its first call and, where a write makes
# several, a later one (the second student of a bulk job, the course_grade_change event...).
WRITE_STEPS: list[tuple[str, str, int]] = [
    *[(door, step, 1) for door in ("rest_json", "rest_form", "control_grades") for step in STEPS],
    ("rest_json", "schema_check", 2),
    *[
        (door, step, 1)
        for door in ("graphql_set_override_score", "control_overrides")
        for step in ("audit_row", "page_view", "schema_check", "publish")
    ],
    ("bulk_update_grades", "audit_row", 1),
    ("bulk_update_grades", "audit_row", 2),
    ("bulk_update_grades", "course_scores", 2),
    ("bulk_update_grades", "schema_check", 3),
    ("bulk_update_grades", "publish", 1),
    ("control_post_grades", "course_scores", 1),
    ("control_post_grades", "course_scores", 3),
    ("control_post_grades", "schema_check", 2),
    ("control_post_grades", "publish", 1),
]


def inject(monkeypatch, step: str, k: int) -> list[int]:
    """Make the k-th call of the step raise Fault; returns the call counter."""
    owner, name = STEPS[step]
    original = getattr(owner, name)
    calls = [0]

    def faulty(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            raise Fault(f"{step} call {k}")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, faulty)
    return calls


@pytest.fixture
def worlds(tmp_path):
    made: list[World] = []

    def make() -> World:
        world = serve(tmp_path)
        made.append(world)
        return world

    yield make
    for world in made:
        world.server.stop()
        world.session.close()


@pytest.mark.parametrize(("door", "step", "k"), WRITE_STEPS)
def test_a_write_failing_at_any_step_changes_nothing(worlds, monkeypatch, door, step, k):
    spec = DOORS[door]
    w = worlds()
    before = w.observe()
    with monkeypatch.context() as patch:
        calls = inject(patch, step, k)
        answer = spec.write(w)
        assert calls[0] >= k, f"the write never reached {step} call {k}"
    if spec.job:  # Canvas answers a job with its Progress; the job then fails, having done nothing
        assert answer.status_code == 200, answer.text
        assert (answer.json()["workflow_state"], answer.json()["message"]) == (
            "failed",
            UNEXPECTED,
        )
        after = w.observe()
        assert after[:3] == before[:3]
        assert [p.workflow_state for p in w.inst.progresses.values()] == ["failed"]
    elif door.startswith("graphql"):
        assert answer.status_code == 200
        assert answer.json() == {
            "data": {"setOverrideScore": None},
            "errors": [
                {
                    # graphql-core's message for a resolver's exception (http/graphql.py)
                    "message": f"{step} call {k}",
                    "locations": [{"line": 3, "column": 3}],
                    "path": ["setOverrideScore"],
                }
            ],
        }
        assert w.observe() == before
    else:
        assert (answer.status_code, answer.json()) == (500, INTERNAL_ERROR)
        assert w.observe() == before

    # The same write without the fault takes the numbers a server that never failed gives it:
    # event sequence numbers, audit row ids, every table's id sequence.
    assert spec.write(w).status_code == 200
    clean = worlds()
    assert spec.write(clean).status_code == 200
    assert numbers(w) == numbers(clean)
    # The reset journal forgot the failed write: a reset (checked against an untouched copy of
    # the baseline, MOCKCANVAS_CHECK_RESET=1) gives back the world as it was.
    assert w.session.post(f"{w.url}/_mockcanvas/reset", json={}).status_code == 200
    assert w.session.get(f"{w.url}/_mockcanvas/state").content == before[0]


def numbers(w: World) -> tuple:
    state = w.session.get(f"{w.url}/_mockcanvas/state").json()
    events = w.session.get(f"{w.url}/_mockcanvas/live_events").json()["live_events"]
    return (
        state["sequences"],
        [(row["id"], row["student_id"], row["grade_after"]) for row in state["grade_changes"]],
        [(e["seq"], e["event_name"]) for e in events],
    )


# -- the clock's range is the audit log's ------------------------------------------------------

RANGE = "1970-01-02T00:00:00Z to 2068-01-19T03:14:07Z"
# Instants the clock, scenarios, serve --now and state import refuse (the docs once allowed
# 1970-9000; the audit log's sort key holds 1932-2068), and the last one they take.
OUT_OF_RANGE = ["2069-01-01T00:00:00Z", "2068-01-19T03:14:08Z", "8999-01-01T00:00:00Z"]
LAST = "2068-01-19T03:14:07Z"


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
def test_the_clock_refuses_a_time_the_audit_log_cannot_hold(worlds, instant):
    w = worlds()
    before = w.observe()
    answer = w.session.post(f"{w.url}/_mockcanvas/clock", json={"set": instant})
    assert (answer.status_code, answer.json()) == (
        400,
        {"message": f"the clock would leave {RANGE}"},
    )
    assert w.observe() == before
    graded = rest_json(w)
    assert graded.status_code == 200
    assert w.inst.store.grade_changes.rows()[-1].grade_after == "7"


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
def test_a_state_import_refuses_a_clock_the_audit_log_cannot_hold(worlds, instant):
    w = worlds()
    before = w.observe()
    data = json.loads(before[0])
    data["clock"]["now"] = instant
    answer = w.session.put(f"{w.url}/_mockcanvas/state", json=data)
    assert (answer.status_code, answer.json()) == (
        400,
        {"message": f"clock.now is out of range ({RANGE})"},
    )
    assert w.observe() == before


def test_a_grade_at_the_last_second_lands_whole(worlds):
    w = worlds()
    s, url = w.session, w.url
    assert s.post(f"{url}/_mockcanvas/clock", json={"set": LAST}).status_code == 200
    rows, seq = len(w.inst.store.grade_changes), w.inst.bus.inbox.last_seq()
    assert rest_json(w).status_code == 200
    row = w.inst.store.grade_changes.rows()[-1]
    assert (len(w.inst.store.grade_changes), row.created_at) == (rows + 1, 3_094_168_447)
    names = [
        e["event_name"]
        for e in s.get(f"{url}/_mockcanvas/live_events?after={seq}").json()["live_events"]
    ]
    assert names == ["grade_change", "course_grade_change"]
    later = s.post(f"{url}/_mockcanvas/clock", json={"advance": 1})
    assert (later.status_code, later.json()) == (400, {"message": f"the clock would leave {RANGE}"})


def test_a_publish_failing_after_the_first_leaves_the_write_whole(worlds, monkeypatch):
    """Past the first publish the write has been seen: it stands, and the other events still
    go out, so the audit log and the events agree; the error is still reported (500)."""
    w = worlds()
    rows, seq = len(w.inst.store.grade_changes), w.inst.bus.inbox.last_seq()
    with monkeypatch.context() as patch:
        inject(patch, "publish", 2)
        answer = rest_json(w)
    assert (answer.status_code, answer.json()) == (500, INTERNAL_ERROR)
    assert len(w.inst.store.grade_changes) == rows + 1
    assert [e.name for e in w.inst.bus.inbox.since(seq, 10)] == ["grade_change"]


def test_a_running_clock_past_the_last_second_refuses_a_write_cleanly(worlds):
    w = worlds()
    moved = w.session.post(f"{w.url}/_mockcanvas/clock", json={"set": LAST, "unfreeze": True})
    assert moved.status_code == 200
    before = w.observe()
    answer = rest_json(w)  # the clock has run past LAST by the time the write reads it
    assert (answer.status_code, answer.json()) == (
        400,
        {"message": f"the clock stands outside {RANGE}: set it with /_mockcanvas/clock"},
    )
    assert w.observe()[1:] == before[1:]  # the state's clock moved on; nothing else did


# The simulator's operations (KINDS), each failed at its first grade-changing step in-process.
SIMULATED_KINDS = ["grade", "excuse", "override", "post"]


@pytest.mark.parametrize("kind", SIMULATED_KINDS)
def test_a_simulated_write_failing_changes_nothing(monkeypatch, kind):
    app = create_app(seed=1)
    inst = app.extensions["mockcanvas"]
    simulator = simulate.Simulator(inst, mix={kind: 1})
    before = _world(inst)
    with monkeypatch.context() as patch:
        calls = inject(patch, "publish", 1)
        with pytest.raises(Fault) if kind != "post" else nullcontext():
            simulator.step()  # a post runs as a job: its Progress fails instead
        assert calls[0] == 1
    assert _world(inst) == before
    if kind == "post":
        assert list(inst.progresses.values())[-1].message == UNEXPECTED


def _world(inst) -> tuple:
    data = state.export_state(inst)
    del data["clock"]  # the simulator moves the clock on before each operation
    events = [e.summary() for e in inst.bus.inbox.select()]
    return json.dumps(data), json.dumps(events)
