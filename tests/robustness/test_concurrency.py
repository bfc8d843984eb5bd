"""Many threads grading at once over HTTP against the threaded server (issue 6, point 1).

Each writer thread holds its own ``requests.Session`` and writes through one door: REST ``PUT``
(form and JSON), bulk ``update_grades`` (a Progress), GraphQL ``setOverrideScore``, and the control
routes ``/grades``, ``/overrides`` and ``/post_grades``. Several writers hit the same submission
and the same enrollment's override, others their own; readers page the audit API and the inbox
while the writes happen; a webhook and a JSONL subscription are attached half way through.

Nothing asserted depends on the interleaving. The oracle is rebuilt from what each writer sent
and what the server answered: every write is tagged (its ``User-Agent``, or its job's id for the
bulk door), so each Live Event names the write that made it. Per submission (and per override),
the audit rows, taken in id order, must match one for one the events that changed something, in
inbox order, and both must chain from the seeded value to the final one; a write with no event
must have asked for a value the submission held at some point. Course scores must equal a
recomputation from the final store, and every event must be in the inbox once, numbered in order,
and delivered once to each subscription in that order.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import requests

from mockcanvas import create_app, schemas
from mockcanvas.grading import parse_posted_grade, percent_string
from mockcanvas.ids import global_id
from mockcanvas.instance import EXTENSION_KEY
from mockcanvas.live_server import LiveServer
from mockcanvas.scoring import course_scores
from mockcanvas.services.grading import SCORE_FIELDS
from mockcanvas.sinks import shutdown
from mockcanvas.state import export_state
from mockcanvas.testing import AppCache
from tests.support import check
from tests.support.receiver import WAIT, Receiver

# -- the plan: who writes what, through which door ------------------------------------------------

COURSE = "override_course"  # final grade override on, no group weights, an anonymous muted one
# A writer: (door, acting user's landmark, target, values cycled over its rounds). Targets name
# assignments by landmark and students by their place among the course's active students.
PLAN: tuple[tuple[str, str, object, tuple], ...] = (
    # Six doors on one submission: the contested one.
    ("rest_form", "teacher", ("points_assignment", 0), ("4", "8", "12", "16", "8")),
    ("rest_form", "ta", ("points_assignment", 0), ("8", "12", "4")),
    ("rest_json", "teacher", ("points_assignment", 0), ("12", "16")),
    ("control_grade", "ta", ("points_assignment", 0), ("16", "4", "8")),
    ("bulk", "teacher", (("points_assignment", 0), ("points_assignment", 3)), ("4", "12", "20")),
    # Writers on submissions of their own, with repeats (a write that changes nothing).
    ("rest_form", "teacher", ("quiz_assignment", 1), ("5", "10", "10", "15")),
    ("rest_json", "ta", ("percent_assignment", 2), ("80%", "90%", "90%", "70%")),
    ("control_grade", "teacher", ("letter_grade_assignment", 4), ("A", "B", "B", "C")),
    ("bulk", "ta", (("percent_assignment", 8), ("points_assignment", 8)), ("50%", "75%")),
    # Grading an assignment that posts manually while its grades are being posted.
    ("rest_form", "teacher", ("anonymous_assignment", 5), ("10", "20", "30")),
    ("rest_json", "teacher", ("anonymous_assignment", 6), ("15", "25")),
    ("control_grade", "ta", ("anonymous_assignment", 5), ("20", "25")),
    ("control_post", "teacher", "anonymous_assignment", (None,)),
    # Final grade overrides: two doors on one enrollment, one on its own.
    ("graphql_override", "teacher", 0, (91.5, 80.0, 72.25)),
    ("control_override", "ta", 0, (80.0, 95.0, None)),
    ("graphql_override", "ta", 7, (60.0, 60.0, 65.5)),
)
ROUNDS = 10  # writes per writer, one HTTP request each
WRITERS = len(PLAN)
WRITES_HELD = WRITERS * ROUNDS
# Readers running beside the writers: the audit API (a single and a combined index) and the inbox.
READERS = ("audit_course", "audit_combined", "live_events")
AUDIT_PER_PAGE = 25
EVENTS_LIMIT = 40
# The subscriptions are attached once this many writes are answered; every writer waits for
# them before its second half, so events are emitted both before and after.
SUBSCRIBE_AFTER = WRITES_HELD // 4

SET_OVERRIDE = (
    "mutation($e: ID!, $s: Float) { setOverrideScore(input: {enrollmentId: $e, overrideScore: $s})"
    " { grades { overrideScore } errors { attribute message } } }"
)


def test_the_plan_is_what_the_figures_say():
    assert WRITERS == 16 and WRITES_HELD == 160
    doors = {door for door, *_ in PLAN}
    assert doors == {
        "rest_form", "rest_json", "bulk", "graphql_override", "control_grade",
        "control_override", "control_post",
    }  # fmt: skip


# -- the world --------------------------------------------------------------------------------


@dataclass
class World:
    """The served app, its instance, and the ids and tokens the writers need."""

    inst: object
    url: str
    course: int
    students: list[int]
    marks: dict[str, int]

    def token(self, landmark: str) -> str:
        return self.inst.store.token_for(self.marks[landmark])

    def enrollment(self, student: int):
        return next(
            e
            for e in self.inst.store.user_enrollments(student)
            if e.course_id == self.course and e.type == "StudentEnrollment"
        )


def world_of(app, url: str) -> World:
    inst = app.extensions[EXTENSION_KEY]
    store = inst.store
    course = store.landmarks[COURSE]
    students = [
        e.user_id
        for e in store.course_enrollments(course)
        if e.type == "StudentEnrollment" and e.workflow_state == "active"
    ]
    return World(inst, url, course, students, dict(store.landmarks))


# Threads switch every 5 ms by default; a shorter interval makes the writers, readers and resets
# interleave far more often (the races fixed here were found this way), at a small cost in speed.
SWITCH_INTERVAL = 1e-4


@pytest.fixture(autouse=True)
def interleave_often():
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def served():
    app = create_app(seed=1)
    server = LiveServer(app).start()
    try:
        yield app, server.url
    finally:
        server.stop()
        shutdown(app.extensions[EXTENSION_KEY].bus, timeout=2)


def json_of(response: requests.Response, path: str) -> object:
    """The answer's JSON, checked against the schema of its route."""
    body = response.json()
    check(path, response.status_code, body)
    return body


# -- one write per door -----------------------------------------------------------------------


@dataclass
class Write:
    """One request a writer sent and what came back."""

    writer: int
    round: int
    door: str
    tag: str  # the User-Agent sent; for the bulk door, the job id of the answer
    status: int = 0
    body: object = None
    # What it asked for: (assignment id, student id) -> (score, grade), or enrollment id -> score.
    grades: dict = field(default_factory=dict)
    override: tuple | None = None


def send(w: World, session: requests.Session, writer: int, rnd: int) -> Write:
    door, acting, target, values = PLAN[writer]
    value = values[rnd % len(values)]
    store = w.inst.store
    tag = f"concurrency/{writer}/{rnd}"
    write = Write(writer, rnd, door, tag)
    headers = {"User-Agent": tag, "Authorization": f"Bearer {w.token(acting)}"}
    grader = w.marks[acting]

    def wanted(assignment_id: int, student: int) -> None:
        a = store.assignments[assignment_id]
        write.grades[(assignment_id, student)] = parse_posted_grade(
            a.grading_type, value, a.points_possible
        )

    if door in ("rest_form", "rest_json", "control_grade"):
        landmark, place = target
        assignment, student = w.marks[landmark], w.students[place]
        wanted(assignment, student)
        if door == "control_grade":
            path = "/_mockcanvas/grades"
            body = {
                "course_id": w.course, "assignment_id": assignment, "user_id": student,
                "posted_grade": value, "grader_id": grader,
            }  # fmt: skip
            response = session.post(w.url + path, json=body, headers={"User-Agent": tag})
        else:
            path = f"/api/v1/courses/{w.course}/assignments/{assignment}/submissions/{student}"
            if door == "rest_form":
                form = {"submission[posted_grade]": value}
                response = session.put(w.url + path, data=form, headers=headers)
            else:
                nested = {"submission": {"posted_grade": value}}
                response = session.put(w.url + path, json=nested, headers=headers)
    elif door == "bulk":
        path = f"/api/v1/courses/{w.course}/submissions/update_grades"
        form = {}
        for landmark, place in target:
            assignment, student = w.marks[landmark], w.students[place]
            wanted(assignment, student)
            form[f"grade_data[{assignment}][{student}][posted_grade]"] = value
        response = session.post(w.url + path, data=form, headers=headers)
    elif door in ("graphql_override", "control_override"):
        enrollment = w.enrollment(w.students[target])
        write.override = (enrollment.id, value)
        if door == "graphql_override":
            path = "/api/graphql"
            query = {"query": SET_OVERRIDE, "variables": {"e": str(enrollment.id), "s": value}}
            response = session.post(w.url + path, json=query, headers=headers)
        else:
            path = "/_mockcanvas/overrides"
            body = {
                "course_id": w.course, "user_id": enrollment.user_id, "override_score": value,
                "grader_id": grader,
            }  # fmt: skip
            response = session.post(w.url + path, json=body, headers={"User-Agent": tag})
    else:  # control_post
        path = "/_mockcanvas/post_grades"
        body = {"course_id": w.course, "assignment_id": w.marks[target], "grader_id": grader}
        response = session.post(w.url + path, json=body, headers={"User-Agent": tag})
    write.status = response.status_code
    if door in ("graphql_override", "bulk"):
        write.body = response.json()
    else:
        write.body = json_of(response, path)
    if door == "bulk" and response.status_code == 200:
        schemas.validate("progress", write.body)
        write.tag = str(global_id(write.body["id"]))  # the job's events carry its id
    return write


# -- readers ----------------------------------------------------------------------------------


def walk_audit(w: World, session: requests.Session, path: str) -> list[str]:
    """One walk of an audit route from its first page along ``Link rel="next"``: event ids."""
    headers = {"Authorization": f"Bearer {w.token('admin')}"}
    url = f"{w.url}{path}?per_page={AUDIT_PER_PAGE}"
    seen: list[str] = []
    while url:
        response = session.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = json_of(response, path)
        seen.extend(event["id"] for event in body["events"])
        links = requests.utils.parse_header_links(response.headers["Link"])
        url = next((link["url"] for link in links if link["rel"] == "next"), None)
    return seen


def poll_events(w: World, session: requests.Session, after: int) -> list[dict]:
    """The inbox after a sequence number, a page at a time until none is left."""
    got: list[dict] = []
    while True:
        response = session.get(
            f"{w.url}/_mockcanvas/live_events", params={"after": after, "limit": EVENTS_LIMIT}
        )
        assert response.status_code == 200, response.text
        page = json_of(response, "/_mockcanvas/live_events")["live_events"]
        # Contiguous: the inbox holds events in the order they were numbered, none skipped.
        assert [e["seq"] for e in page] == list(range(after + 1, after + 1 + len(page)))
        got.extend(page)
        if len(page) < EVENTS_LIMIT:
            return got
        after = page[-1]["seq"]


class Run:
    """Threads, their failures, and the count of answered writes the coordinator waits on."""

    def __init__(self) -> None:
        self.failures: list[BaseException] = []
        self.answered = 0
        self.changed = threading.Condition()
        self.writers_done = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, target, *args) -> None:
        def body() -> None:
            try:
                target(*args)
            except BaseException as error:  # reported by the test, not lost in the thread
                self.failures.append(error)
                with self.changed:
                    self.changed.notify_all()

        thread = threading.Thread(target=body, daemon=True)
        self.threads.append(thread)
        thread.start()

    def count(self) -> None:
        with self.changed:
            self.answered += 1
            self.changed.notify_all()

    def wait_answered(self, n: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.answered >= n or self.failures, WAIT)
        assert not self.failures, self.failures

    def join(self, threads: list[threading.Thread]) -> None:
        for thread in threads:
            thread.join(WAIT * 2)
            assert not thread.is_alive(), "a thread did not finish"


# -- the main test ----------------------------------------------------------------------------


def test_concurrent_writers_keep_audit_events_scores_and_deliveries_exact(served, tmp_path):
    app, url = served
    w = world_of(app, url)
    store = w.inst.store
    inbox = w.inst.bus.inbox
    first_new_row = len(store.grade_changes) + 1
    seeded_grades = {
        key: (sub.score, sub.grade) if (sub := store.submission_for(*key)) else (None, None)
        for key in _targets(w)
    }
    seeded_scores = {
        e.id: {name: getattr(store.course_score(e.id), name) for name in SCORE_FIELDS}
        for s in w.students
        if (e := w.enrollment(s))
    }
    seeded_overrides = {e: store.course_score(e).override_score for e in seeded_scores}
    assert len(inbox) == 0

    run = Run()
    subscribed = threading.Event()
    writes: list[Write] = []
    walks: dict[str, list[list[str]]] = defaultdict(list)
    polled: list[dict] = []

    def writer(index: int) -> None:
        with requests.Session() as session:
            for rnd in range(ROUNDS):
                if rnd == ROUNDS // 2:
                    assert subscribed.wait(WAIT)
                writes.append(send(w, session, index, rnd))
                run.count()

    course_path = f"/api/v1/audit/grade_change/courses/{w.course}"
    # Combined routes build their index on first use: taken in turn while the writers write.
    combined = [f"{course_path}/students/{s}" for s in w.students]
    combined += [f"{course_path}/assignments/{a}" for a, _ in sorted(_targets(w))]
    combined += [f"{course_path}/graders/{w.marks[g]}" for g in ("teacher", "ta")]

    def reader(kind: str) -> None:
        with requests.Session() as session:
            turn = 0
            while True:
                last = run.writers_done.is_set()
                if kind == "live_events":
                    polled.extend(poll_events(w, session, polled[-1]["seq"] if polled else 0))
                else:
                    path = course_path if kind == "audit_course" else combined[turn % len(combined)]
                    walks[path].append(walk_audit(w, session, path))
                    turn += 1
                if last:
                    return

    for kind in READERS:
        run.start(reader, kind)
    writer_threads_from = len(run.threads)
    for index in range(WRITERS):
        run.start(writer, index)

    # Half way in, while the writers write: a webhook to a real receiver and a JSONL file.
    receiver = Receiver()
    jsonl = tmp_path / "events.jsonl"
    try:
        run.wait_answered(SUBSCRIBE_AFTER)
        with requests.Session() as control:
            subscriptions = []
            for spec in (
                {"kind": "webhook", "url": receiver.url, "backoff_base": 0.01, "timeout": 5},
                {"kind": "jsonl", "path": str(jsonl)},
            ):
                response = control.post(f"{url}/_mockcanvas/subscriptions", json=spec)
                assert response.status_code == 201, response.text
                subscriptions.append(json_of(response, "/_mockcanvas/subscriptions")["id"])
            subscribed.set()
            run.join(run.threads[writer_threads_from:])
            run.writers_done.set()
            run.join(run.threads[:writer_threads_from])
            assert not run.failures, run.failures
            waited = []
            for number in subscriptions:
                path = f"/_mockcanvas/subscriptions/{number}/wait"
                response = control.post(f"{url}{path}", params={"timeout": WAIT}, json={})
                waited.append(json_of(response, path))
        delivered_by_hook = [
            (r.headers["X-Mockcanvas-Event-Id"], json.loads(r.body)) for r in receiver.delivered()
        ]
        requests_received = len(receiver.requests)
    finally:
        receiver.stop()

    # Every write was answered 200 and is one of the plan's.
    assert len(writes) == WRITES_HELD
    assert Counter(x.status for x in writes) == {200: WRITES_HELD}
    assert sorted((x.writer, x.round) for x in writes) == [
        (i, r) for i in range(WRITERS) for r in range(ROUNDS)
    ]
    events = inbox.select()

    # Each event once, numbered in the order the inbox holds them; the polling reader saw exactly
    # the inbox, page after page.
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.id for e in events}) == len(events)
    assert [(e["seq"], e["id"]) for e in polled] == [(e.seq, e.id) for e in events]
    assert [e["event"] for e in polled] == [e.payload for e in events]

    by_tag = {x.tag: x for x in writes}
    assert len(by_tag) == WRITES_HELD  # tags (and bulk job ids) name one write each
    events_of = defaultdict(list)
    for event in events:
        metadata = event.metadata
        tag = metadata.get("job_id") or metadata.get("user_agent")
        assert tag in by_tag, f"event {event.seq} names no write: {tag}"
        events_of[tag].append(event)

    rows = [store.grade_changes.get(i) for i in range(first_new_row, len(store.grade_changes) + 1)]
    accounted_rows = _check_submissions(w, writes, events, rows, seeded_grades)
    accounted_rows += _check_overrides(w, writes, events, rows, seeded_overrides)
    assert accounted_rows == len(rows)  # no audit row that no change explains

    # The control routes and GraphQL answered what they did: their events, their row, their value.
    for x in writes:
        if x.door.startswith("control_"):
            mine = events_of[x.tag]
            assert [e["id"] for e in x.body["live_events"]] == [e.id for e in mine]
            made = [r for r in rows if mine and r.request_id == mine[0].metadata["request_id"]]
            assert len(made) <= 1 and x.body["grade_change_event_id"] == (
                made[0].uuid if made else None
            ), x.tag
        if x.door in ("rest_form", "rest_json", "control_grade"):
            ((score, grade),) = x.grades.values()
            answered = x.body["submission"] if x.door == "control_grade" else x.body
            assert (answered["score"], answered["grade"]) == (score, grade), x.tag
        if x.door == "graphql_override":
            grades = x.body["data"]["setOverrideScore"]["grades"]
            assert grades["overrideScore"] == x.override[1], x.tag
        if x.door == "control_override":
            assert x.body["score"]["override_score"] == x.override[1], x.tag
        if x.door == "bulk":
            assert x.body["workflow_state"] == "completed", x.body

    # Course scores: each student's four equal a recomputation from the final store, and their
    # course_grade_change events chain from the seeded values to those.
    for student in w.students:
        enrollment = w.enrollment(student)
        score = store.course_score(enrollment.id)
        fresh = course_scores(store, w.course, student)
        final = {name: getattr(score, name) for name in SCORE_FIELDS}
        assert final == {name: getattr(fresh, name) for name in SCORE_FIELDS}, student
        values = seeded_scores[enrollment.id]
        for event in events:
            if event.name == "course_grade_change" and event.body["user_id"] == str(student):
                assert {name: event.body[f"old_{name}"] for name in SCORE_FIELDS} == values
                values = {name: event.body[name] for name in SCORE_FIELDS}
                assert values != {name: event.body[f"old_{name}"] for name in SCORE_FIELDS}
        assert values == final, student
    assert {e.name for e in events} <= {"grade_change", "course_grade_change", "grade_override"}

    # Each subscription got the events emitted since it was attached, once each; events about one
    # student in inbox order (deliveries about different students may overlap: concurrency).
    for number, result, delivered in (
        (subscriptions[0], waited[0], [event_id for event_id, _ in delivered_by_hook]),
        (subscriptions[1], waited[1], None),
    ):
        counts = result["counts"]
        assert result["idle"] is True
        emitted = counts["submitted"]
        suffix = events[len(events) - emitted :]
        assert 0 < emitted < len(events)  # attached in the middle of the run
        lost = emitted - counts["delivered"]
        assert lost == 0, counts
        assert counts["dead"] == counts["dropped_overflow"] == counts["skipped"] == 0
        if delivered is not None:
            assert sorted(delivered) == sorted(e.id for e in suffix), number
            bodies = dict(delivered_by_hook)
            for user in {e.user_id for e in suffix}:
                theirs = [e for e in suffix if e.user_id == user]
                assert [i for i in delivered if i in {e.id for e in theirs}] == [
                    e.id for e in theirs
                ], (number, user)
            assert [bodies[e.id] for e in suffix] == [e.payload for e in suffix]
            assert requests_received == emitted  # no retries, so no duplicates on the wire
        else:
            lines = jsonl.read_text(encoding="utf-8").splitlines()
            assert [json.loads(line) for line in lines] == [e.payload for e in suffix]

    # The readers never saw a torn walk: newest first, no repeats, and exactly the rows that
    # existed below its first page's top row (later rows are newer and land above it). Rows of
    # the anonymous assignment are left out of the comparison: posting unmutes it during the
    # run, which rightly changes whether the combined route shows its students' rows.
    rows_by_uuid = {row.uuid: row for row in store.grade_changes.rows()}
    order = {u: (row.created_at, row.id) for u, row in rows_by_uuid.items()}
    anonymous = w.marks["anonymous_assignment"]
    assert course_path in walks and len(walks) > 1
    for path, taken in walks.items():
        final = _walk_now(w, path)
        for walk in taken:
            keys = [order[u] for u in walk]
            assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys), path
            expected = [u for u in final if order[u] <= keys[0]] if walk else []
            if path == course_path:
                assert walk == expected
            else:
                steady = [u for u in walk if rows_by_uuid[u].assignment_id != anonymous]
                assert steady == [u for u in expected if rows_by_uuid[u].assignment_id != anonymous]


def _walk_now(w: World, path: str) -> list[str]:
    with requests.Session() as session:
        return walk_audit(w, session, path)


def _targets(w: World) -> set[tuple[int, int]]:
    """Every (assignment, student) a grading writer aims at, and those a post may touch."""
    keys = set()
    for door, _acting, target, _values in PLAN:
        if door in ("rest_form", "rest_json", "control_grade"):
            keys.add((w.marks[target[0]], w.students[target[1]]))
        elif door == "bulk":
            keys |= {(w.marks[landmark], w.students[place]) for landmark, place in target}
    return keys


def _check_submissions(w, writes, events, rows, seeded) -> int:
    """Per submission: rows and the events that changed it match one for one, in order, and chain
    from the seeded grade to the final one; every write changed it once or found it as asked.
    Returns how many rows this accounts for."""
    store = w.inst.store
    gid_to_key = {}
    for key in seeded:
        submission = store.submission_for(*key)
        assert submission is not None  # every target was graded at least once
        gid_to_key[str(global_id(submission.id))] = key
    writes_of = defaultdict(list)
    for x in writes:
        for key, wanted in x.grades.items():
            writes_of[key].append((x, wanted))
    posts = {x.tag for x in writes if x.door == "control_post"}
    by_tag = {x.tag: x for x in writes}
    accounted = 0
    for key, (score, grade) in seeded.items():
        submission = store.submission_for(*key)
        mine = [r for r in rows if not r.override and r.submission_id == submission.id]
        changes = []
        state = (score, grade)
        states = {state}
        for event in events:
            body = event.body
            if event.name != "grade_change" or gid_to_key.get(body["submission_id"]) != key:
                continue
            assert (body["old_score"], body["old_grade"]) == state, event.seq  # the chain
            state = (body["score"], body["grade"])
            states.add(state)
            tag = event.metadata.get("job_id") or event.metadata.get("user_agent")
            if state == (body["old_score"], body["old_grade"]):
                assert tag in posts, event.seq  # no change: only posting emits one
                assert event.metadata["event_time"] and submission.posted_at is not None
                continue
            changes.append((tag, event))
        assert state == (submission.score, submission.grade), key
        # One row per change, in the same order, made by the same request.
        assert len(mine) == len(changes), key
        for row, (tag, event) in zip(mine, changes, strict=True):
            body = event.body
            assert row.grader_id == w.marks[PLAN[by_tag[tag].writer][1]]  # who sent it
            assert (row.score_before, row.grade_before) == (body["old_score"], body["old_grade"])
            assert (row.score_after, row.grade_after) == (body["score"], body["grade"])
            assert row.request_id == event.metadata.get("request_id", "MISSING")
        versions = [row.version_number for row in mine]
        assert versions == list(range(versions[0], versions[0] + len(versions)) if mine else [])
        # Each write changed the submission at most once, to what it asked for; one that changed
        # nothing asked for a value the submission held at some point.
        changed_by = Counter(tag for tag, _ in changes)
        for x, wanted in writes_of[key]:
            made = changed_by.pop(x.tag, 0)
            assert made <= 1, x.tag
            if made:
                (event,) = [e for t, e in changes if t == x.tag]
                assert (event.body["score"], event.body["grade"]) == wanted, x.tag
            else:
                assert wanted in states, (x.tag, wanted, states)
        assert not changed_by, f"changes by writes that did not aim here: {changed_by}"
        accounted += len(mine)
    return accounted


def _check_overrides(w, writes, events, rows, seeded) -> int:
    """The same for final grade overrides, per enrollment: rows, grade_override events, writes."""
    store = w.inst.store
    accounted = 0
    for enrollment_id, seeded_value in seeded.items():
        enrollment = store.enrollments[enrollment_id]
        mine = [r for r in rows if r.override and r.student_id == enrollment.user_id]
        ours = [x for x in writes if x.override and x.override[0] == enrollment_id]
        value, states, changes = seeded_value, {seeded_value}, []
        for event in events:
            if event.name != "grade_override" or event.body["enrollment_id"] != str(enrollment_id):
                continue
            assert event.body["old_override_score"] == value, event.seq
            value = event.body["override_score"]
            assert value != event.body["old_override_score"]
            states.add(value)
            changes.append(event)
        assert value == store.course_score(enrollment_id).override_score
        assert len(mine) == len(changes), enrollment_id
        by_tag = {x.tag: x for x in ours}
        for row, event in zip(mine, changes, strict=True):
            new = event.body["override_score"]
            assert row.grade_after == (None if new is None else percent_string(new))
            assert row.request_id == event.metadata["request_id"]
            writer = by_tag[event.metadata["user_agent"]].writer
            assert row.grader_id == w.marks[PLAN[writer][1]]
        # The rows chain too (the first starts from the seeded grade: a letter or a percent).
        assert [r.grade_before for r in mine[1:]] == [r.grade_after for r in mine[:-1]]
        changed_by = Counter(e.metadata["user_agent"] for e in changes)
        for x in ours:
            made = changed_by.pop(x.tag, 0)
            assert made <= 1, x.tag
            if not made:
                assert x.override[1] in states, x.tag
            else:
                (event,) = [e for e in changes if e.metadata["user_agent"] == x.tag]
                assert event.body["override_score"] == x.override[1]
        assert not changed_by, changed_by
        accounted += len(mine)
    return accounted


# -- resets among the writers -------------------------------------------------------------------

# Writers of the plan that keep writing while resets run: one per door.
RESET_WRITERS = tuple(
    next(i for i, (door, *_) in enumerate(PLAN) if door == wanted)
    for wanted in (
        "rest_form", "rest_json", "bulk", "graphql_override", "control_grade",
        "control_override", "control_post",
    )
)  # fmt: skip
RESET_ROUNDS = 8
# Spread over the run: the n-th once n/(RESETS + 1) of the writes are answered; every other one
# after a state import (of the seeded world, not as a baseline).
RESETS = 6
RESET_READERS = ("audit_course", "assignments", "live_events")


def test_resets_among_writers_and_readers_never_fail_and_end_at_the_seeded_world(served):
    app, url = served
    w = world_of(app, url)
    baseline = export_state(w.inst)
    total = len(RESET_WRITERS) * RESET_ROUNDS
    run = Run()
    writes: list[Write] = []
    resets: list[dict] = []

    def writer(index: int) -> None:
        with requests.Session() as session:
            for rnd in range(RESET_ROUNDS):
                writes.append(send(w, session, index, rnd))
                run.count()

    def resetter() -> None:
        with requests.Session() as session:
            seeded = session.get(f"{url}/_mockcanvas/state").content
            for n in range(1, RESETS + 1):
                run.wait_answered(n * total // (RESETS + 1))
                if n % 2:  # a state import replaces the whole world under the writers too
                    response = session.put(
                        f"{url}/_mockcanvas/state",
                        data=seeded,
                        headers={"Content-Type": "application/json"},
                    )
                    assert response.status_code == 200, response.text
                    json_of(response, "/_mockcanvas/state")
                response = session.post(f"{url}/_mockcanvas/reset", json={})
                assert response.status_code == 200, response.text
                resets.append(json_of(response, "/_mockcanvas/reset"))

    def reader(kind: str) -> None:
        path = f"/api/v1/audit/grade_change/courses/{w.course}"
        assignments = f"/api/v1/courses/{w.course}/assignments"
        admin = {"Authorization": f"Bearer {w.token('admin')}"}
        with requests.Session() as session:
            while True:
                last = run.writers_done.is_set()
                if kind == "assignments":  # submission counts walk the submissions a reset drops
                    response = session.get(f"{url}{assignments}", headers=admin)
                    assert response.status_code == 200, response.text
                    json_of(response, assignments)
                elif kind == "live_events":
                    response = session.get(f"{url}/_mockcanvas/live_events", params={"after": 0})
                    assert response.status_code == 200, response.text
                    page = json_of(response, "/_mockcanvas/live_events")["live_events"]
                    # A reset empties the inbox and numbers from 1 again, never half of it.
                    assert [e["seq"] for e in page] == list(range(1, len(page) + 1))
                else:
                    walk_audit(w, session, path)  # every page 200 and valid, across resets
                if last:
                    return

    for kind in RESET_READERS:
        run.start(reader, kind)
    readers = list(run.threads)
    for index in RESET_WRITERS:
        run.start(writer, index)
    run.start(resetter)
    run.join(run.threads[len(readers) :])
    run.writers_done.set()
    run.join(readers)
    assert not run.failures, run.failures

    assert len(writes) == total and {x.status for x in writes} == {200}
    assert len(resets) == RESETS and all(r["reset"] is True for r in resets)
    response = requests.post(f"{url}/_mockcanvas/reset", json={})
    assert response.status_code == 200, response.text
    assert export_state(w.inst) == baseline
    assert len(w.inst.bus.inbox) == 0


# -- the test kit's app cache among requests ----------------------------------------------------

SWAPS = 4  # state imports that make a new baseline, each followed by AppCache.fresh()


def test_the_app_cache_restores_its_baseline_while_requests_are_served():
    """``AppCache.fresh`` sets an imported baseline aside (undoing its journal) while a live
    server may still be answering a request of the test before: it must hold the write lock."""
    cache = AppCache()
    app = cache.fresh(seed=1)
    inst = app.extensions[EXTENSION_KEY]
    pristine = export_state(inst)
    server = LiveServer(app).start()
    try:
        w = world_of(app, server.url)
        writers = RESET_WRITERS[:4]
        total = len(writers) * RESET_ROUNDS
        run = Run()
        writes: list[Write] = []

        def writer(index: int) -> None:
            with requests.Session() as session:
                for rnd in range(RESET_ROUNDS):
                    writes.append(send(w, session, index, rnd))
                    run.count()

        for index in writers:
            run.start(writer, index)
        with requests.Session() as control:
            for n in range(1, SWAPS + 1):
                run.wait_answered(n * total // (SWAPS + 1))
                exported = control.get(f"{server.url}/_mockcanvas/state")
                assert exported.status_code == 200
                response = control.put(
                    f"{server.url}/_mockcanvas/state",
                    params={"baseline": "true"},
                    data=exported.content,
                    headers={"Content-Type": "application/json"},
                )
                assert response.status_code == 200, response.text
                assert cache.fresh(seed=1) is app  # the reset check runs here (conftest)
        run.join(run.threads)
        assert not run.failures, run.failures
        assert len(writes) == total and {x.status for x in writes} == {200}
        assert cache.fresh(seed=1) is app
        assert export_state(inst) == pristine
    finally:
        server.stop()
        cache.close()
