"""The audit log's own contract: newest-first walks per query shape, bounds, and truncation.

These pin the storage independently of the seed, so a change of representation keeps answering
the same rows in the same order.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from mockcanvas import auditlog
from mockcanvas.auditlog import COMBOS, GradeChangeLog, key_for_time, sort_key
from mockcanvas.models import GradeChange


def _row(row_id: int, created_at: int, course: int, assignment: int | None, student: int,
         grader: int | None) -> GradeChange:  # fmt: skip
    return GradeChange(
        id=row_id, uuid=f"u{row_id}", created_at=created_at, root_account_id=1, account_id=1,
        course_id=course, assignment_id=assignment, submission_id=row_id, student_id=student,
        grader_id=grader, grade_before=None, grade_after=str(row_id), excused_before=False,
        excused_after=False, graded_anonymously=False, points_possible_before=10.0,
        points_possible_after=10.0, version_number=1, request_id=f"r{row_id}",
        override=assignment is None,
    )  # fmt: skip


def _random_rows(count: int, seed: int = 3) -> list[GradeChange]:
    rng = random.Random(seed)
    moment = 1_700_000_000
    rows = []
    for row_id in range(1, count + 1):
        # Times mostly grow but sometimes step back, as rows written under a moved clock do.
        moment += rng.choice((0, 0, 1, 5, 60, -30))
        course = rng.randrange(1, 4)
        assignment = None if rng.random() < 0.1 else course * 10 + rng.randrange(3)
        grader = None if rng.random() < 0.05 else rng.randrange(100, 103)
        rows.append(_row(row_id, moment, course, assignment, 1000 + rng.randrange(6), grader))
    return rows


def _expected(rows, conditions, **bounds):
    def value(row, dimension):
        if dimension == "assignment":
            return 0 if row.override else row.assignment_id
        return getattr(row, f"{dimension}_id")

    chosen = [r for r in rows if all(value(r, d) == v for d, v in conditions.items())]
    chosen.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    newest, oldest, before = bounds.get("newest"), bounds.get("oldest"), bounds.get("before")
    return [
        r.id
        for r in chosen
        if (newest is None or sort_key(r.created_at, r.id) <= newest)
        and (oldest is None or sort_key(r.created_at, r.id) >= oldest)
        and (before is None or sort_key(r.created_at, r.id) < before)
    ]


def _log(rows) -> GradeChangeLog:
    log = GradeChangeLog()
    for row in rows:
        log.append(row)
    return log


def _conditions(rng: random.Random, combo: tuple[str, ...]) -> dict[str, int]:
    pools = {
        "course": [1, 2, 3, 9],
        "assignment": [0, 10, 11, 21, 32, 99],
        "student": [1000, 1003, 1005],
        "grader": [100, 102],
    }
    return {d: rng.choice(pools[d]) for d in combo}


def test_every_query_shape_walks_newest_first_within_bounds():
    rows = _random_rows(600)
    log = _log(rows)
    rng = random.Random(9)
    for combo in ((), *COMBOS):
        for _ in range(8):
            conditions = _conditions(rng, combo)
            middle = rows[rng.randrange(len(rows))]
            bounds = rng.choice(
                (
                    {},
                    {"newest": key_for_time(middle.created_at, last=True)},
                    {"oldest": key_for_time(middle.created_at, last=False)},
                    {"before": sort_key(middle.created_at, middle.id)},
                )
            )
            got = [r.id for r in log.newest_first(conditions, **bounds)]
            assert got == _expected(rows, conditions, **bounds), (conditions, bounds)


def test_truncate_gives_the_log_it_had_at_that_length():
    rows = _random_rows(400)
    log = _log(rows)
    log.memo[250] = {"kept": True}
    log.memo[251] = {"dropped": True}
    log.truncate(250)
    assert log.memo == {250: {"kept": True}}
    fresh = _log(rows[:250])
    assert len(log) == 250 and log.next_id() == 251
    assert [r.id for r in log.rows()] == list(range(1, 251))
    rng = random.Random(4)
    for combo in ((), *COMBOS):
        conditions = _conditions(rng, combo)
        assert [r.id for r in log.newest_first(conditions)] == [
            r.id for r in fresh.newest_first(conditions)
        ]
    # Ids continue from the truncation point, and the new rows are found.
    log.append(rows[250])
    course = {"course": rows[250].course_id}
    assert 251 in [r.id for r in log.newest_first(course)]
    assert [r.id for r in log.newest_first(course)] == _expected(rows[:251], course)


@pytest.mark.parametrize("length", [-1, 401])
def test_truncate_refuses_lengths_outside_the_log(length):
    log = _log(_random_rows(400))
    with pytest.raises(ValueError, match="cannot truncate 400 audit rows"):
        log.truncate(length)
    assert len(log) == 400


def test_append_refuses_an_id_out_of_sequence():
    log = _log(_random_rows(3))
    with pytest.raises(ValueError, match="is not the next id 4"):
        log.append(_row(7, 1_700_000_000, 1, 10, 1000, 100))
    assert len(log) == 3


# -- the representation: records, values kept whole, made rows, combinations built on demand -----


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def test_rows_come_back_equal_whatever_their_values():
    rng = random.Random(5)
    plain = _row(1, 1_700_000_000, 1, 10, 1000, 100)
    canonical = replace(
        _row(2, 1_700_000_001, 1, 10, 1000, None), uuid=_uuid(rng), request_id=_uuid(rng),
        score_before=7.5, score_after=None, grade_before="B-", grading_period_id=4,
        event_type="grade_change_test",
    )  # fmt: skip
    odd = [  # values a record cannot hold: kept whole
        replace(_row(3, 1_700_000_002, 1, 10, 1000, 100), score_after=8),  # an int score
        replace(_row(4, 1_700_000_003, 1, 10, 1000, 100), course_id=2**40),
        replace(_row(5, 1_700_000_004, 1, 10, 1000, 100), score_after=-0.0),
        replace(_row(6, 1_700_000_005, 1, 10, 1000, 100), excused_after=1),
    ]
    upper = replace(_row(7, 1_700_000_006, 1, 10, 1000, 100), request_id=_uuid(rng).upper())
    rows = [plain, canonical, *odd, upper]
    log = _log(rows)
    log._objects.clear()  # made again from what the log holds
    for row in rows:
        made = log.get(row.id)
        assert made == row
        assert (made is row) == (row in odd)  # the others are made from their record
        assert repr(made.score_after) == repr(row.score_after)
        assert type(made.excused_after) is type(row.excused_after)
    assert log.rows() == rows
    assert [r.id for r in log.newest_first({"course": 2**40})] == [4]
    assert log.request_id(2) == canonical.request_id and log.request_id(7) == upper.request_id


def test_get_gives_the_same_object_while_it_is_kept(monkeypatch):
    log = _log(_random_rows(50))
    log._objects.clear()
    first = log.get(7)
    assert log.get(7) is first
    assert next(r for r in log.newest_first({}) if r.id == 7) is first
    monkeypatch.setattr(auditlog, "OBJECT_LIMIT", 5)
    for row_id in range(1, 20):
        log.get(row_id)
    assert len(log._objects) <= 5
    assert log.get(7) == first
    with pytest.raises(IndexError):
        log.get(51)


def test_add_writes_the_row_append_would():
    rng = random.Random(8)
    by_add, by_append = GradeChangeLog(), GradeChangeLog()
    for row_id in range(1, 200):
        request, uuid = rng.getrandbits(128), rng.getrandbits(128)
        override = rng.random() < 0.1
        values = dict(
            created_at=1_700_000_000 + row_id // 3, root_account_id=1, account_id=2,
            course_id=rng.randrange(1, 4),
            assignment_id=None if override else rng.randrange(10, 13),
            submission_id=None if override else row_id, student_id=rng.randrange(1000, 1004),
            grader_id=None if rng.random() < 0.1 else rng.randrange(100, 102),
            grade_before=rng.choice((None, "A", "7")), grade_after=rng.choice(("B", "8.5")),
            excused_before=rng.random() < 0.1, excused_after=False,
            graded_anonymously=rng.random() < 0.2,
            points_possible_before=None if override else 10.0,
            points_possible_after=None if override else 20.0, version_number=row_id,
            score_before=rng.choice((None, 1.5)), score_after=rng.choice((None, 9.0, 0.0)),
        )  # fmt: skip
        by_add.add(request_bits=request, uuid_bits=uuid, override=override, **values)
        hexed = [f"{bits:032x}" for bits in (request, uuid)]
        request_id, row_uuid = (f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexed)
        by_append.append(
            GradeChange(
                id=row_id, uuid=row_uuid, request_id=request_id, override=override, **values
            )
        )
    assert by_add.rows() == by_append.rows()
    for combo in ((), *COMBOS):
        for conditions in (_conditions(rng, combo) for _ in range(5)):
            got = [r.id for r in by_add.newest_first(conditions)]
            assert got == [r.id for r in by_append.newest_first(conditions)]


def test_combinations_built_on_demand_follow_later_writes_and_truncation():
    rows = _random_rows(900, seed=11)
    log = _log(rows[:300])
    rng = random.Random(12)
    shapes = [(combo, _conditions(rng, combo)) for combo in COMBOS for _ in range(6)]
    for _combo, conditions in shapes:  # builds every combination's array that has rows
        assert [r.id for r in log.newest_first(conditions)] == _expected(rows[:300], conditions)
    for row in rows[300:]:  # later rows, some of them earlier in time than rows already there
        log.append(row)
    for _combo, conditions in shapes:
        assert [r.id for r in log.newest_first(conditions)] == _expected(rows, conditions)
    log.truncate(450)
    for _combo, conditions in shapes:
        assert [r.id for r in log.newest_first(conditions)] == _expected(rows[:450], conditions)
    fresh = _log(rows[:450])
    state = {k: v for k, v in vars(log).items() if k not in GradeChangeLog.CACHES}
    assert state == {k: v for k, v in vars(fresh).items() if k not in GradeChangeLog.CACHES}


def test_created_at_outside_the_keys_range_is_refused():
    log = _log(_random_rows(3))
    with pytest.raises(ValueError, match="created_at"):
        log.append(_row(4, 2**33, 1, 10, 1000, 100))
    assert len(log) == 3


def test_a_thawed_copy_of_a_log_is_independent():
    from mockcanvas.snapshot import Snapshot
    from mockcanvas.store import Store

    store = Store()
    rows = _random_rows(60)
    for row in rows[:40]:
        store.add_grade_change(row)
    snapshot = Snapshot(store)
    thawed = snapshot.thaw()
    for row in rows[40:]:
        thawed.add_grade_change(row)
    again = snapshot.thaw()
    assert len(store.grade_changes) == len(again.grade_changes) == 40
    assert [r.id for r in again.grade_changes.newest_first({"course": 1})] == _expected(
        rows[:40], {"course": 1}
    )
    assert [r.id for r in thawed.grade_changes.newest_first({"course": 1})] == _expected(
        rows, {"course": 1}
    )
