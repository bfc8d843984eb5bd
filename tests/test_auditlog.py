"""The audit log's own contract: newest-first walks per query shape, bounds, and truncation.

These pin the storage independently of the seed, so a change of representation keeps answering
the same rows in the same order.
"""

from __future__ import annotations

import random

import pytest

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
