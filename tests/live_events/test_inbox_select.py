"""The inbox's indexed ``select`` against a brute-force filter of the same events, and
``GET /_mockcanvas/live_events`` against the events a graded world really emitted.

``select`` walks a per-name, per-user or per-course index from a bisection, or, for two or more
filters, combination lists built on first use and kept in step by ``add()``; the oracle here
scans every event the test added, so an index that missed an event, kept one past a ``clear()``,
or walked out of ``seq`` order gives a different answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockcanvas import create_app
from mockcanvas.events import _COURSE, _NAME, _USER, Inbox, LiveEvent
from tests.support import CheckedClient

NAMES = ("grade_change", "course_grade_change", "grade_override")
USERS = (None, 4, 5, 18)
COURSES = (None, 1, 2, 3)


# -- the property: select() equals a scan ----------------------------------------------------


@dataclass(frozen=True)
class Query:
    names: tuple[str, ...]
    user_id: int | None
    course_id: int | None
    after: int | None
    limit: int | None

    def args(self) -> dict:
        return {
            "names": self.names,
            "user_id": self.user_id,
            "course_id": self.course_id,
            "after": self.after,
            "limit": self.limit,
        }


def brute_force(events: list[LiveEvent], q: Query) -> list[LiveEvent]:
    found = [
        e
        for e in events
        if (not q.names or e.name in q.names)
        and (q.user_id is None or e.user_id == q.user_id)
        and (q.course_id is None or e.course_id == q.course_id)
        and (q.after is None or e.seq > q.after)
    ]
    return found if q.limit is None else found[: q.limit]


queries = st.builds(
    Query,
    # Repeated and unknown names too: any of them matches, an unknown one matches nothing.
    names=st.lists(st.sampled_from((*NAMES, "submission_created")), max_size=4).map(tuple),
    user_id=st.sampled_from(USERS),
    course_id=st.sampled_from(COURSES),
    after=st.none() | st.integers(-2, 80),
    limit=st.none() | st.integers(0, 12),
)
# A run of events: (name, user, course, the gap to the next seq: after= falls between events too).
adds = st.tuples(
    st.just("add"),
    st.lists(
        st.tuples(
            st.sampled_from(NAMES),
            st.sampled_from(USERS),
            st.sampled_from(COURSES),
            st.integers(1, 3),
        ),
        min_size=1,
        max_size=16,
    ),
)
# Two or more filters: what the combination lists answer (when the walk is long enough).
combined_queries = st.builds(
    Query,
    names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(tuple),
    user_id=st.sampled_from(USERS[1:]),
    course_id=st.sampled_from(COURSES),
    after=st.none() | st.integers(-2, 40),
    limit=st.none() | st.integers(1, 12),
) | st.builds(
    Query,
    names=st.just(()),
    user_id=st.sampled_from(USERS[1:]),
    course_id=st.sampled_from(COURSES[1:]),
    after=st.none() | st.integers(-2, 40),
    limit=st.none() | st.integers(1, 12),
)
# A clear either keeps numbering (DELETE /live_events) or restarts it at 1 (a reset).
clears = st.tuples(st.just("clear"), st.booleans())
operations = st.lists(
    st.one_of(
        adds,
        clears,
        st.tuples(st.just("query"), queries),
        st.tuples(st.just("query"), combined_queries),
    ),
    min_size=8,
    max_size=30,
)


# combine_over 0 builds a combination list for every query of two or more filters that has
# anything to walk; 2 mixes short checked walks with built lists (some names built, some not);
# 64 (the default) never builds on inboxes this small.
@settings(max_examples=300, deadline=None)
@given(operations, st.lists(queries, min_size=1, max_size=8), st.sampled_from((0, 2, 64)))
def test_select_equals_a_scan_of_the_same_events(ops, final, combine_over):
    inbox = Inbox(combine_over=combine_over)
    model: list[LiveEvent] = []
    seq = cleared = 0
    asked: list[Query] = []
    for op in ops:
        if op[0] == "add":
            for name, user, course, gap in op[1]:
                seq += gap
                event = LiveEvent(seq, f"id-{seq}", name, {}, course_id=course, user_id=user)
                inbox.add(event)
                model.append(event)
        elif op[0] == "clear":
            assert inbox.clear() == len(model)
            model = []
            cleared += 1
            if op[1]:
                seq = 0
        else:
            assert inbox.select(**op[1].args()) == brute_force(model, op[1]), op[1]
            asked.append(op[1])
    # Every query again, after the adds and clears that followed it: lists built then must have
    # kept in step (or have been dropped by a clear).
    for q in [*asked, *final]:
        assert inbox.select(**q.args()) == brute_force(model, q), q
    # The unindexed readers see the same events.
    assert inbox.select() == model
    assert (len(inbox), inbox.generation) == (len(model), cleared)
    assert inbox.last_seq() == (model[-1].seq if model else 0)
    assert inbox.since(model[0].seq if model else 0, 5) == model[1:6]
    assert inbox.tail(3) == model[-3:]


def test_an_inbox_made_with_events_indexes_them():
    events = [
        LiveEvent(s, str(s), NAMES[s % 3], {}, course_id=s % 2, user_id=s % 5)
        for s in (1, 2, 4, 7, 9, 10)
    ]
    inbox = Inbox(_events=list(events))
    assert [e.seq for e in inbox.select(names=["grade_change", "grade_override"])] == [2, 9]
    assert [e.seq for e in inbox.select(names=["grade_change", "grade_override"], after=2)] == [9]
    assert [e.seq for e in inbox.select(user_id=4, course_id=1)] == [9]
    assert [e.seq for e in inbox.select(course_id=0, limit=2)] == [2, 4]


def test_a_negative_limit_is_a_value_error_and_limit_0_answers_nothing():
    inbox = Inbox()
    inbox.add(LiveEvent(1, "a", "grade_change", {}, course_id=1, user_id=4))
    with pytest.raises(ValueError, match="limit must be >= 0"):
        inbox.select(limit=-1)
    assert inbox.select(limit=0) == []
    assert [e.seq for e in inbox.select(limit=1)] == [1]


@pytest.mark.parametrize("combine_over", [0, 64])
def test_readers_see_ordered_matching_answers_while_events_arrive_and_clear(combine_over):
    """select() walks outside the lock: an add or clear during a walk must not corrupt it."""
    inbox = Inbox(combine_over=combine_over)
    done = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not done.is_set():
            for kw in ({"user_id": 4}, {"names": NAMES[:2], "course_id": 1}, {"limit": 7}):
                got = inbox.select(**kw, after=3)
                seqs = [e.seq for e in got]
                if seqs != sorted(set(seqs)) or any(s <= 3 for s in seqs):
                    problems.append(f"{kw}: {seqs}")
                if any(
                    e.user_id != kw.get("user_id", e.user_id)
                    or e.course_id != kw.get("course_id", e.course_id)
                    or e.name not in kw.get("names", NAMES)
                    for e in got
                ) or len(got) > kw.get("limit", len(got)):
                    problems.append(f"{kw}: {got}")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for seq in range(1, 6_001):
            if seq % 997 == 0:
                inbox.clear()
            inbox.add(
                LiveEvent(seq, str(seq), NAMES[seq % 3], {}, course_id=seq % 2, user_id=seq % 5)
            )
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert problems == []


def test_readers_building_combinations_while_a_writer_adds_see_a_prefix_of_the_answer():
    """Readers ask for combinations (new users keep appearing, so lists are built while events
    arrive); every answer must be the first events of what the whole history answers: a list
    built from a single index must not miss an event added during or after its build."""
    total = 6_000

    def make(seq: int) -> LiveEvent:
        user = 10 * (seq // 500) + seq % 7  # seven new users every 500 events
        return LiveEvent(seq, str(seq), NAMES[seq % 3], {}, course_id=seq % 3, user_id=user)

    history = [make(seq) for seq in range(1, total + 1)]
    inbox = Inbox(combine_over=0)
    done = threading.Event()
    problems: list[str] = []
    asked: list[Query] = []

    def shapes(user: int, course: int, after: int, step: int) -> list[Query]:
        limit = None if step % 2 else 5
        return [
            Query((), user, course, after, limit),
            Query((NAMES[0],), user, None, after, limit),
            Query(NAMES[:2], user, course, after, limit),
            Query((NAMES[2],), None, course, None, limit),
        ]

    def read(offset: int) -> None:
        step = 0
        while not done.is_set():
            step += 1
            last = inbox.last_seq()
            user = 10 * (last // 500) + (step + offset) % 7
            for q in shapes(user, step % 3, max(0, last - 700) if step % 3 else None, step):
                got = inbox.select(**q.args())
                whole = brute_force(history, q)
                if got != whole[: len(got)]:
                    problems.append(f"{q}: {[e.seq for e in got]}")
                asked.append(q)

    readers = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for reader in readers:
        reader.start()
    try:
        for event in history:
            inbox.add(event)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert problems == []
    assert len(asked) > 8  # the readers ran while events arrived
    # Now every list built during the writes must answer the whole history.
    for q in asked:
        assert inbox.select(**q.args()) == brute_force(history, q), q


def test_combination_lists_are_built_for_keys_asked_with_long_walks_only():
    """Memory: a list per key a query asked for, none for a short walk; clear() drops them all;
    a pair that never happened is kept (empty, grown by add) rather than rebuilt."""
    inbox = Inbox(combine_over=4)
    for seq in range(1, 41):
        inbox.add(LiveEvent(seq, str(seq), NAMES[seq % 3], {}, course_id=seq % 4, user_id=seq % 2))
    # Course 1 has 2 events past 30 (the narrowest), checked one by one: nothing built.
    assert [e.seq for e in inbox.select(user_id=1, course_id=1, after=30)] == [33, 37]
    assert inbox._combined == {}
    # User 1 is never in course 2: the pair is kept empty.
    assert inbox.select(user_id=1, course_id=2) == []
    assert [e.seq for e in inbox.select(names=NAMES[:2], user_id=1, course_id=1)] == [
        1, 9, 13, 21, 25, 33, 37,
    ]  # fmt: skip
    assert {shape: sorted(built) for shape, built in inbox._combined.items()} == {
        _USER | _COURSE: [(1, 2)],
        _NAME | _USER | _COURSE: [(NAMES[1], 1, 1), (NAMES[0], 1, 1)],
    }
    inbox.add(LiveEvent(41, "41", NAMES[2], {}, course_id=2, user_id=1))
    assert inbox._combined[_USER | _COURSE][(1, 2)] == [inbox.tail(1)[0]]
    assert [e.seq for e in inbox.select(user_id=1, course_id=2)] == [41]
    inbox.clear()
    assert inbox._combined == {}


def test_combine_over_must_be_a_non_negative_int():
    for bad in (-1, 1.5, True, None):
        with pytest.raises(ValueError, match="combine_over must be an int >= 0"):
            Inbox(combine_over=bad)


# -- the HTTP route on a graded world ---------------------------------------------------------


class Graded:
    """One app graded through the control API: two students in course 1, one of them in course 2
    too, grades and overrides interleaved, so every index holds events of several writes.
    ``emitted`` is what each write answered, with the course and student it was about."""

    def __init__(self) -> None:
        self.app = create_app(seed=1)
        self.client = CheckedClient(self.app, self.app.extensions["mockcanvas"].store)
        self.emitted: list[tuple[int, int, dict]] = []  # (course_id, user_id, event summary)
        for round_ in range(3):
            self.write("grades", 1, 4, assignment_id=3, posted_grade=str(5 + round_))
            self.write("grades", 1, 18, assignment_id=3, posted_grade=str(8 - round_))
            self.write("grades", 2, 18, assignment_id=11, posted_grade=str(3 + round_))
            self.write("overrides", 1, 18, override_score=70.0 + round_)
            self.write("overrides", 1, 4, override_score=90.0 - round_)

    def write(self, route: str, course_id: int, user_id: int, **body) -> None:
        answer = self.client.post(
            f"/_mockcanvas/{route}", json={"course_id": course_id, "user_id": user_id, **body}
        )
        assert answer.status_code == 200, answer.get_json()
        for event in answer.get_json()["live_events"]:
            self.emitted.append((course_id, user_id, event))

    def get(self, query: list[tuple[str, object]]) -> list[dict]:
        answer = self.client.get(f"/_mockcanvas/live_events?{urlencode(query)}")
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["live_events"]

    def expected(self, names=(), user_id=None, course_id=None, after=None, limit=None) -> list:
        found = [
            event
            for course, user, event in self.emitted
            if (not names or event["event_name"] in names)
            and (user_id is None or user == user_id)
            and (course_id is None or course == course_id)
            and (after is None or event["seq"] > after)
        ]
        return found if limit is None else found[:limit]


@pytest.fixture(scope="module")
def graded() -> Graded:
    return Graded()


def test_the_graded_world_emitted_all_three_names_in_seq_order(graded):
    seqs = [event["seq"] for _, _, event in graded.emitted]
    assert seqs == list(range(1, len(seqs) + 1))
    assert {event["event_name"] for _, _, event in graded.emitted} == set(NAMES)
    # The unfiltered route lists exactly what the writes answered.
    assert graded.get([]) == [event for _, _, event in graded.emitted]


@pytest.mark.parametrize(
    "filters",
    [
        {"names": ("grade_change", "grade_override"), "user_id": 18, "course_id": 1},
        {"names": ("grade_change", "grade_override"), "user_id": 18, "course_id": 1, "after": 9},
        {"names": ("grade_override",), "user_id": 4},
        {"names": ("course_grade_change", "grade_change"), "course_id": 2, "limit": 2},
        {"user_id": 18, "after": 12, "limit": 4},
        {"course_id": 1, "after": 20},
        {"names": ("grade_change", "grade_change"), "after": 5, "limit": 3},
        {"user_id": 4, "course_id": 2},  # student 4 is not in course 2: nothing
    ],
)
def test_live_events_filters_match_what_the_writes_emitted(graded, filters):
    query = [("event_name", name) for name in filters.get("names", ())]
    query += [
        (key, filters[key]) for key in ("user_id", "course_id", "after", "limit") if key in filters
    ]
    expected = graded.expected(**filters)
    assert graded.get(query) == expected
    # The bracketed form of the repeated name is the same query.
    bracketed = [("event_name[]" if key == "event_name" else key, v) for key, v in query]
    assert graded.get(bracketed) == expected


def test_the_combined_query_is_a_strict_subset_that_limit_cuts(graded):
    """The expectations above are not vacuous: the combined filters pick some events, not all."""
    every = graded.expected(names=("grade_change", "grade_override"), user_id=18, course_id=1)
    assert 0 < len(every) < len(graded.emitted)
    assert {e["event_name"] for e in every} == {"grade_change", "grade_override"}
    query = [
        ("event_name", "grade_change"),
        ("event_name", "grade_override"),
        ("user_id", 18),
        ("course_id", 1),
        ("after", every[0]["seq"]),
        ("limit", 2),
    ]
    assert graded.get(query) == every[1:3]
