"""The grade change audit log: rows plus ordered indexes, so a page costs O(log n + page size).

Canvas keeps the rows in a table ordered by (created_at, id) with an index per query shape. Here
each row gets one integer sort key, ``(created_at - EPOCH) << 32 | id``, and every combination
of the four query dimensions (course, assignment, student, grader) keeps an ascending list of
those keys per value. A page is a bisect to the newest allowed key and a walk downwards: the
cost does not depend on how many rows the log holds.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from itertools import combinations

from .models import GradeChange

DIMENSIONS = ("course", "assignment", "student", "grader")
# Override rows have no assignment; Canvas queries them with the placeholder assignment id 0.
OVERRIDE_ASSIGNMENT = 0
# Keys count seconds from 2000-01-01 in their high bits: 1932..2068 fit a signed 64-bit key.
EPOCH = 946_684_800
ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
COMBOS: tuple[tuple[str, ...], ...] = tuple(
    combo for size in range(1, len(DIMENSIONS) + 1) for combo in combinations(DIMENSIONS, size)
)


def sort_key(created_at: int, row_id: int) -> int:
    """The position of a row in (created_at, id) order, as one integer."""
    return ((created_at - EPOCH) << ID_BITS) + row_id


def key_for_time(epoch_seconds: int, *, last: bool) -> int:
    """The smallest (or, with ``last``, largest) key a row created at that second can have."""
    return ((epoch_seconds - EPOCH) << ID_BITS) + (ID_MASK if last else 0)


def _dimension_values(row: GradeChange) -> dict[str, int | None]:
    return {
        "course": row.course_id,
        "assignment": OVERRIDE_ASSIGNMENT if row.override else row.assignment_id,
        "student": row.student_id,
        "grader": row.grader_id,
    }


class GradeChangeLog:
    """Append-mostly storage of audit rows with one ordered key list per query shape."""

    def __init__(self) -> None:
        self._rows: list[GradeChange] = []
        self._all: list[int] = []
        self._indexes: dict[tuple[str, ...], dict[tuple[int, ...], list[int]]] = {
            combo: {} for combo in COMBOS
        }
        # Per row id, whatever readers derive from a row and may keep (rows never change once
        # written, so e.g. their rendered JSON); truncate() drops the entries of dropped rows.
        self.memo: dict[int, dict] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def next_id(self) -> int:
        return len(self._rows) + 1

    def get(self, row_id: int) -> GradeChange:
        return self._rows[row_id - 1]

    def rows(self) -> list[GradeChange]:
        """Every row in id order (a copy of the list, not of the rows)."""
        return list(self._rows)

    def append(self, row: GradeChange) -> None:
        if row.id != len(self._rows) + 1:
            raise ValueError(f"audit row id {row.id} is not the next id {len(self._rows) + 1}")
        self._rows.append(row)
        key = sort_key(row.created_at, row.id)
        _add(self._all, key)
        values = _dimension_values(row)
        for combo, index in self._indexes.items():
            parts = tuple(values[d] for d in combo)
            if None in parts:
                continue
            postings = index.get(parts)
            if postings is None:
                index[parts] = [key]
            else:
                _add(postings, key)

    def truncate(self, length: int) -> None:
        """Drop every row with an id above ``length`` (a reset undoing the writes since a baseline).

        Costs O(dropped rows x log n): the rows written since the baseline, not the history.
        """
        if length < 0 or length > len(self._rows):
            raise ValueError(f"cannot truncate {len(self._rows)} audit rows to {length}")
        for row in reversed(self._rows[length:]):
            key = sort_key(row.created_at, row.id)
            _remove(self._all, key)
            values = _dimension_values(row)
            for combo, index in self._indexes.items():
                parts = tuple(values[d] for d in combo)
                if None in parts:
                    continue
                postings = index[parts]
                _remove(postings, key)
                if not postings:
                    del index[parts]
        for row_id in range(length + 1, len(self._rows) + 1):
            self.memo.pop(row_id, None)
        del self._rows[length:]

    def newest_first(
        self,
        conditions: Mapping[str, int],
        *,
        oldest: int | None = None,
        newest: int | None = None,
        before: int | None = None,
        keep: Callable[[GradeChange], bool] | None = None,
    ) -> Iterator[GradeChange]:
        """Rows matching every condition, newest first, within inclusive sort-key bounds.

        ``before`` is an exclusive upper bound (a bookmark); ``keep`` drops rows while walking,
        as Canvas filters override rows before it pages.
        """
        postings = self._postings(conditions)
        high = bisect_right(postings, newest) if newest is not None else len(postings)
        if before is not None:
            high = min(high, bisect_left(postings, before))
        low = bisect_left(postings, oldest) if oldest is not None else 0
        rows = self._rows
        for position in range(high - 1, low - 1, -1):
            row = rows[(postings[position] & ID_MASK) - 1]
            if keep is None or keep(row):
                yield row

    def _postings(self, conditions: Mapping[str, int]) -> list[int]:
        if not conditions:
            return self._all
        combo = tuple(d for d in DIMENSIONS if d in conditions)
        if len(combo) != len(conditions):
            unknown = sorted(set(conditions) - set(DIMENSIONS))
            raise KeyError(f"unknown audit log dimensions: {unknown}")
        return self._indexes[combo].get(tuple(conditions[d] for d in combo), [])


def _add(postings: list[int], key: int) -> None:
    if not postings or postings[-1] < key:
        postings.append(key)
    else:
        insort(postings, key)


def _remove(postings: list[int], key: int) -> None:
    position = bisect_left(postings, key)
    if position == len(postings) or postings[position] != key:
        raise KeyError(f"sort key {key} is not in the index")
    del postings[position]
