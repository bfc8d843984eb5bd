"""The grade change audit log: rows plus ordered indexes, so a page costs O(log n + page size).

Canvas keeps the rows in a table ordered by (created_at, id) with an index per query shape. Here
each row gets one integer sort key, ``(created_at - EPOCH) << 32 | id``, and the query shapes keep
ascending arrays of those keys per value. A page is a bisect to the newest allowed key and a walk
downwards: the cost does not depend on how many rows the log holds.

A seeded world holds a million rows, so each is a 97-byte record in one byte array (integers,
uuids as 16 bytes, grades and scores as codes into tables of the distinct values) rather than an
object; ``get`` makes a row's ``GradeChange`` when it is asked for and keeps it, so the same row
is the same object while it is kept (readers cache by identity). Only the four
single-dimension shapes are indexed as rows arrive; a combination (a course and a grader, an
assignment and a student...) gets its array the first time it is asked for, from the shortest
of its dimensions' arrays, and is kept up to date from then on.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from itertools import combinations
from math import copysign
from struct import Struct

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
# Dimension bits: a query shape is a mask of them.
_C, _A, _S, _G = 1, 2, 4, 8
_BITS = ((_C, "course"), (_A, "assignment"), (_S, "student"), (_G, "grader"))
_SINGLE = (_C, _A, _S, _G)
_COMBINED = tuple(m for m in range(1, 16) if m not in _SINGLE)
# Built combination arrays are kept up to date by writers and built by readers: one lock for both.
_COMBINED_LOCK = threading.Lock()

_NONE = -(2**31)  # None in an integer column
_INT_LOW, _INT_HIGH = -(2**31) + 1, 2**31 - 1
_KEY_LOW, _KEY_HIGH = EPOCH - 2**31, EPOCH + 2**31  # created_at whose keys fit 64 bits
# The first and last second a row can be created at: the clock's range is derived from these
# (mockcanvas/clock.py), so no write can reach a time this log cannot hold.
FIRST_SECOND, LAST_SECOND = _KEY_LOW, _KEY_HIGH - 1
# A row's record: created_at; root account, account, course, assignment, submission, student,
# grader, version; codes of grade before/after; codes of points possible before/after and score
# before/after; flags; uuid; request id.
_RECORD = Struct("<q8i6IB16s16s")
_SIZE = _RECORD.size
_DIMENSIONS_AT = 16  # course, assignment, submission, student, grader
_DIMENSIONS = Struct("<5i")
_FLAGS_AT = 64
_REQUEST_AT = 81
# Flag bits of a row.
_EXCUSED_BEFORE, _EXCUSED_AFTER, _ANONYMOUS, _OVERRIDE = 1, 2, 4, 8
_UUID_ASIDE, _REQUEST_ASIDE = 16, 32  # the id is not a canonical uuid: kept as a string aside
# Materialized rows kept at most; past it the cache starts again (rows are rebuilt on demand).
OBJECT_LIMIT = 50_000


def sort_key(created_at: int, row_id: int) -> int:
    """The position of a row in (created_at, id) order, as one integer."""
    return ((created_at - EPOCH) << ID_BITS) + row_id


def key_for_time(epoch_seconds: int, *, last: bool) -> int:
    """The smallest (or, with ``last``, largest) key a row created at that second can have."""
    return ((epoch_seconds - EPOCH) << ID_BITS) + (ID_MASK if last else 0)


def uuid_text(bits: bytes) -> str:
    """The canonical string of a uuid held as 16 bytes."""
    h = bits.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid_bytes(text: object) -> bytes | None:
    """16 bytes for a canonical (lower-case, hyphenated) uuid string; None for anything else."""
    if type(text) is not str or len(text) != 36:
        return None
    try:
        bits = bytes.fromhex(text.replace("-", ""))
    except ValueError:
        return None
    return bits if len(bits) == 16 and uuid_text(bits) == text else None


class _Odd(Exception):
    """A row value the columns cannot hold exactly; the row is kept whole instead."""


class GradeChangeLog:
    """Append-mostly storage of audit rows with ordered key arrays per query shape."""

    # Attributes that are caches (of rows, of their rendered JSON, of distinct values), not the
    # log's contents: two logs with the same rows may differ in them.
    CACHES = (
        "memo", "_objects", "_combined", "_any_combined", "_strings", "_string_codes", "_floats",
        "_float_codes",
    )  # fmt: skip

    def __init__(self) -> None:
        self._records = bytearray()  # row id i at [(i - 1) * _SIZE, i * _SIZE)
        self._strings: list[str | None] = [None]
        self._string_codes: dict[str | None, int] = {None: 0}
        self._floats: list[float | None] = [None]
        self._float_codes: dict[float | None, int] = {None: 0}
        # Values almost every row has, kept only where a row differs.
        self._periods: dict[int, int] = {}  # grading_period_id, where not None
        self._event_types: dict[int, str] = {}  # where not "grade_change"
        self._aside: dict[int, tuple[str, str]] = {}  # non-canonical (uuid, request id)
        self._odd: dict[int, GradeChange] = {}  # rows kept whole (values a record cannot hold)
        self._all = array("q")
        self._by_course: dict[int, array] = {}
        self._by_assignment: dict[int, array] = {}
        self._by_student: dict[int, array] = {}
        self._by_grader: dict[int, array] = {}
        # Per combination mask, the arrays built so far, by their values in DIMENSIONS order.
        self._combined: dict[int, dict[tuple, array]] = {mask: {} for mask in _COMBINED}
        self._any_combined = False
        self._objects: dict[int, GradeChange] = {}
        # Per row id, whatever readers derive from a row and may keep (rows never change once
        # written, so e.g. their rendered JSON); truncate() drops the entries of dropped rows.
        self.memo: dict[int, dict] = {}

    def __len__(self) -> int:
        return len(self._records) // _SIZE

    def next_id(self) -> int:
        return len(self._records) // _SIZE + 1

    def get(self, row_id: int) -> GradeChange:
        """The row with that id: the same object each time while it is kept."""
        row = self._objects.get(row_id)
        if row is None:
            if not 0 < row_id <= len(self):
                raise IndexError(f"no audit row {row_id}")
            row = self._build(row_id)
            if len(self._objects) >= OBJECT_LIMIT:
                self._objects.clear()
            self._objects[row_id] = row
        return row

    def rows(self) -> list[GradeChange]:
        """Every row in id order."""
        objects, build = self._objects, self._build
        return [objects.get(i) or build(i) for i in range(1, len(self) + 1)]

    # -- writing -----------------------------------------------------------------------------

    def append(self, row: GradeChange) -> None:
        row_id = len(self) + 1
        if row.id != row_id:
            raise ValueError(f"audit row id {row.id} is not the next id {row_id}")
        if type(row.created_at) is not int or not _KEY_LOW <= row.created_at < _KEY_HIGH:
            raise ValueError(f"audit row {row_id}: created_at {row.created_at!r} is not 1932-2068")
        try:
            record = self._encode(row)
        except _Odd:  # kept whole; its record holds only its time
            self._odd[row_id] = row
            record = _RECORD.pack(row.created_at, *[_NONE] * 8, 0, 0, 0, 0, 0, 0, 0, b"", b"")
        self._records += record
        assignment = OVERRIDE_ASSIGNMENT if row.override else row.assignment_id
        self._index(
            sort_key(row.created_at, row_id), row.course_id, assignment, row.student_id,
            row.grader_id,
        )  # fmt: skip
        self._objects[row_id] = row

    def add(
        self,
        created_at: int,
        root_account_id: int,
        account_id: int,
        course_id: int,
        assignment_id: int | None,
        submission_id: int | None,
        student_id: int,
        grader_id: int | None,
        grade_before: str | None,
        grade_after: str | None,
        excused_before: bool,
        excused_after: bool,
        graded_anonymously: bool,
        points_possible_before: float | None,
        points_possible_after: float | None,
        version_number: int,
        request_bits: int,
        uuid_bits: int,
        score_before: float | None,
        score_after: float | None,
        override: bool = False,
    ) -> int:
        """Append a row from its values without making its object (the seed's million rows).

        The caller vouches for the types: ids fit 32 bits, scores are floats, uuids are given
        as 128-bit integers. Returns the row's id.
        """
        row_id = len(self._records) // _SIZE + 1
        strings, floats = self._string_codes, self._float_codes
        try:
            record = _RECORD.pack(
                created_at,
                root_account_id,
                account_id,
                course_id,
                _NONE if assignment_id is None else assignment_id,
                _NONE if submission_id is None else submission_id,
                student_id,
                _NONE if grader_id is None else grader_id,
                version_number,
                strings[grade_before],
                strings[grade_after],
                floats[points_possible_before],
                floats[points_possible_after],
                floats[score_before],
                floats[score_after],
                excused_before | excused_after << 1 | graded_anonymously << 2 | override << 3,
                uuid_bits.to_bytes(16, "big"),
                request_bits.to_bytes(16, "big"),
            )
        except KeyError:  # a grade or score not seen before: give it a code, then again
            self._string_code(grade_before)
            self._string_code(grade_after)
            for value in (points_possible_before, points_possible_after, score_before, score_after):
                self._float_code(value)
            return self.add(
                created_at, root_account_id, account_id, course_id, assignment_id, submission_id,
                student_id, grader_id, grade_before, grade_after, excused_before, excused_after,
                graded_anonymously, points_possible_before, points_possible_after, version_number,
                request_bits, uuid_bits, score_before, score_after, override,
            )  # fmt: skip
        self._records += record
        key = ((created_at - EPOCH) << ID_BITS) + row_id
        assignment = OVERRIDE_ASSIGNMENT if override else assignment_id
        everything = self._all
        if everything and everything[-1] > key:  # written out of time order (a moved clock)
            self._index(key, course_id, assignment, student_id, grader_id)
            return row_id
        # The usual row, later than every other: its key goes at the end of each array.
        everything.append(key)
        index = self._by_course
        (index.get(course_id) or _new(index, course_id)).append(key)
        if assignment is not None:
            index = self._by_assignment
            (index.get(assignment) or _new(index, assignment)).append(key)
        index = self._by_student
        (index.get(student_id) or _new(index, student_id)).append(key)
        if grader_id is not None:
            index = self._by_grader
            (index.get(grader_id) or _new(index, grader_id)).append(key)
        if self._any_combined:
            self._post_combined(key, (course_id, assignment, student_id, grader_id))
        return row_id

    def _encode(self, row: GradeChange) -> bytes:
        """A row's record, or _Odd when a value does not fit one."""
        ints = [
            _int(row.root_account_id, False),
            _int(row.account_id, False),
            _int(row.course_id, False),
            _int(row.assignment_id, True),
            _int(row.submission_id, True),
            _int(row.student_id, True),
            _int(row.grader_id, True),
            _int(row.version_number, False),
        ]
        texts = [_text(row.grade_before), _text(row.grade_after)]
        numbers = [
            _float(row.points_possible_before),
            _float(row.points_possible_after),
            _float(row.score_before),
            _float(row.score_after),
        ]
        period = _int(row.grading_period_id, True)
        if type(row.event_type) is not str:
            raise _Odd
        flags = 0
        for bit, value in (
            (_EXCUSED_BEFORE, row.excused_before),
            (_EXCUSED_AFTER, row.excused_after),
            (_ANONYMOUS, row.graded_anonymously),
            (_OVERRIDE, row.override),
        ):
            if type(value) is not bool:
                raise _Odd
            if value:
                flags |= bit
        uuid, request = _uuid_bytes(row.uuid), _uuid_bytes(row.request_id)
        if uuid is None or request is None:
            if type(row.uuid) is not str or type(row.request_id) is not str:
                raise _Odd
            self._aside[row.id] = (row.uuid, row.request_id)
            flags |= _UUID_ASIDE if uuid is None else 0
            flags |= _REQUEST_ASIDE if request is None else 0
        # Nothing below raises: the row goes in whole.
        if period != _NONE:
            self._periods[row.id] = period
        if row.event_type != "grade_change":
            self._event_types[row.id] = row.event_type
        return _RECORD.pack(
            row.created_at,
            *ints,
            *map(self._string_code, texts),
            *map(self._float_code, numbers),
            flags,
            uuid or b"",
            request or b"",
        )

    def _string_code(self, text: str | None) -> int:
        code = self._string_codes.get(text)
        if code is None:
            code = self._string_codes[text] = len(self._strings)
            self._strings.append(text)
        return code

    def _float_code(self, value: float | None) -> int:
        code = self._float_codes.get(value)
        if code is None:
            code = self._float_codes[value] = len(self._floats)
            self._floats.append(value)
        return code

    def _single(self) -> tuple[dict[int, array], ...]:
        """The single-dimension indexes, in DIMENSIONS order."""
        return (self._by_course, self._by_assignment, self._by_student, self._by_grader)

    def _index(
        self,
        key: int,
        course: int | None,
        assignment: int | None,
        student: int | None,
        grader: int | None,
    ) -> None:
        """Add a row's key to the arrays of its values."""
        _add(self._all, key)
        values = (course, assignment, student, grader)
        for index, value in zip(self._single(), values, strict=True):
            if value is not None:
                postings = index.get(value)
                if postings is None:
                    index[value] = array("q", (key,))
                else:
                    _add(postings, key)
        if self._any_combined:
            self._post_combined(key, values)

    def _post_combined(self, key: int, values: tuple) -> None:
        """Add a key to the combination arrays built so far that it belongs to."""
        with _COMBINED_LOCK:
            for mask, built in self._combined.items():
                if built:
                    postings = built.get(_parts(mask, values))
                    if postings is not None and not _holds(postings, key):
                        _add(postings, key)

    # -- truncation ----------------------------------------------------------------------------

    def truncate(self, length: int) -> None:
        """Drop every row with an id above ``length`` (a reset undoing the writes since a baseline).

        Costs O(dropped rows x log n): the rows written since the baseline, not the history.
        """
        count = len(self)
        if length < 0 or length > count:
            raise ValueError(f"cannot truncate {count} audit rows to {length}")
        single = self._single()
        with _COMBINED_LOCK:
            for row_id in range(count, length, -1):
                values = self._dimensions(row_id)
                key = sort_key(self._created(row_id), row_id)
                _remove(self._all, key)
                for index, value in zip(single, values, strict=True):
                    if value is not None:
                        _unpost(index, value, key)
                if self._any_combined:
                    for mask, built in self._combined.items():
                        parts = _parts(mask, values)
                        if built and parts in built:
                            _unpost(built, parts, key)
                for held in (
                    self.memo, self._objects, self._odd, self._aside, self._periods,
                    self._event_types,
                ):  # fmt: skip
                    held.pop(row_id, None)
        del self._records[length * _SIZE :]

    # -- reading -------------------------------------------------------------------------------

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
        unknown = set(conditions) - set(DIMENSIONS)
        if unknown:
            raise KeyError(f"unknown audit log dimensions: {sorted(unknown)}")
        postings = self._postings(conditions)
        high = bisect_right(postings, newest) if newest is not None else len(postings)
        if before is not None:
            high = min(high, bisect_left(postings, before))
        low = bisect_left(postings, oldest) if oldest is not None else 0
        get = self.get
        for position in range(high - 1, low - 1, -1):
            row = get(postings[position] & ID_MASK)
            if keep is None or keep(row):
                yield row

    def _postings(self, conditions: Mapping[str, int]) -> array:
        """The ascending key array of the rows matching every condition."""
        if not conditions:
            return self._all
        mask = 0
        for bit, name in _BITS:
            if name in conditions:
                mask |= bit
        if mask in _SINGLE:
            (name,) = conditions
            return self._single()[_SINGLE.index(mask)].get(conditions[name], _EMPTY)
        values = tuple(conditions.get(name) for _bit, name in _BITS)
        parts = _parts(mask, values)
        postings = self._combined[mask].get(parts)
        if postings is not None:
            return postings
        return self._build_combined(mask, parts, values)

    def _build_combined(self, mask: int, parts: tuple, values: tuple) -> array:
        """A combination's array, from the shortest array of its dimensions (walked once)."""
        with _COMBINED_LOCK:
            built = self._combined[mask]
            postings = built.get(parts)
            if postings is not None:  # another reader was first
                return postings
            # Before the walk: a writer that read the flag unset has already indexed its row
            # where the walk below finds it; one that reads it set posts to this array too.
            self._any_combined = True
            candidates = [
                index.get(value, _EMPTY)
                for index, (bit, _name), value in zip(self._single(), _BITS, values, strict=True)
                if mask & bit
            ]
            shortest = min(candidates, key=len)
            wanted = [(i, values[i]) for i, (bit, _name) in enumerate(_BITS) if mask & bit]
            dimensions = self._dimensions
            postings = array(
                "q",
                (
                    key
                    for key in shortest
                    if all(dimensions(key & ID_MASK)[i] == v for i, v in wanted)
                ),
            )
            if postings:  # an empty one is not kept: writers only extend arrays that exist
                built[parts] = postings
            return postings

    def _created(self, row_id: int) -> int:
        return _CREATED.unpack_from(self._records, (row_id - 1) * _SIZE)[0]

    def _dimensions(self, row_id: int) -> tuple[int | None, int | None, int | None, int | None]:
        """A row's course, assignment (0 for overrides), student and grader."""
        odd = self._odd.get(row_id) if self._odd else None
        if odd is not None:
            assignment = OVERRIDE_ASSIGNMENT if odd.override else odd.assignment_id
            return odd.course_id, assignment, odd.student_id, odd.grader_id
        at = (row_id - 1) * _SIZE
        course, assignment, _, student, grader = _DIMENSIONS.unpack_from(
            self._records, at + _DIMENSIONS_AT
        )
        if self._records[at + _FLAGS_AT] & _OVERRIDE:
            assignment = OVERRIDE_ASSIGNMENT
        elif assignment == _NONE:
            assignment = None
        return (
            course,
            assignment,
            None if student == _NONE else student,
            None if grader == _NONE else grader,
        )

    def request_id(self, row_id: int) -> str:
        """A row's request id, without making the row."""
        bits = self.request_bits(row_id)
        return self._build(row_id).request_id if bits is None else uuid_text(bits)

    def request_bits(self, row_id: int) -> bytes | None:
        """A row's request id as the 16 bytes of its uuid; None when it is not a canonical one."""
        at = (row_id - 1) * _SIZE
        if self._records[at + _FLAGS_AT] & _REQUEST_ASIDE or row_id in self._odd:
            return None
        return bytes(self._records[at + _REQUEST_AT : at + _SIZE])

    def facts(self, row_id: int) -> tuple[int, int | None, int | None, int | None, int | None]:
        """A row's created_at, course, assignment (0 for overrides), student and grader."""
        return (self._created(row_id), *self._dimensions(row_id))

    def _build(self, row_id: int) -> GradeChange:
        odd = self._odd.get(row_id)
        if odd is not None:
            return odd
        (
            created_at, root, account, course, assignment, submission, student, grader, version,
            grade_before, grade_after, points_before, points_after, score_before, score_after,
            flags, uuid, request,
        ) = _RECORD.unpack_from(self._records, (row_id - 1) * _SIZE)  # fmt: skip
        strings, floats = self._strings, self._floats
        if flags & (_UUID_ASIDE | _REQUEST_ASIDE):
            aside_uuid, aside_request = self._aside[row_id]
        return GradeChange(
            id=row_id,
            uuid=aside_uuid if flags & _UUID_ASIDE else uuid_text(uuid),
            created_at=created_at,
            root_account_id=root,
            account_id=account,
            course_id=course,
            assignment_id=None if assignment == _NONE else assignment,
            submission_id=None if submission == _NONE else submission,
            student_id=None if student == _NONE else student,
            grader_id=None if grader == _NONE else grader,
            grade_before=strings[grade_before],
            grade_after=strings[grade_after],
            excused_before=bool(flags & _EXCUSED_BEFORE),
            excused_after=bool(flags & _EXCUSED_AFTER),
            graded_anonymously=bool(flags & _ANONYMOUS),
            points_possible_before=floats[points_before],
            points_possible_after=floats[points_after],
            version_number=version,
            request_id=aside_request if flags & _REQUEST_ASIDE else uuid_text(request),
            score_before=floats[score_before],
            score_after=floats[score_after],
            grading_period_id=self._periods.get(row_id),
            override=bool(flags & _OVERRIDE),
            event_type=self._event_types.get(row_id, "grade_change"),
        )


_EMPTY: array = array("q")
_CREATED = Struct("<q")


def _int(value: object, nullable: bool) -> int:
    if value is None and nullable:
        return _NONE
    if type(value) is not int or not _INT_LOW <= value <= _INT_HIGH:
        raise _Odd
    return value


def _text(value: object) -> str | None:
    if value is not None and type(value) is not str:
        raise _Odd
    return value


def _float(value: object) -> float | None:
    """Scores are kept as codes of distinct values: only floats that compare as themselves."""
    if value is None:
        return None
    if type(value) is not float or value != value or (value == 0 and copysign(1, value) < 0):
        raise _Odd
    return value


def _parts(mask: int, values: tuple) -> tuple:
    """A combination's key: the values of its dimensions, in DIMENSIONS order."""
    return tuple(v for (bit, _name), v in zip(_BITS, values, strict=True) if mask & bit)


def _holds(postings: array, key: int) -> bool:
    position = bisect_left(postings, key)
    return position < len(postings) and postings[position] == key


def _new(index: dict, key: object) -> array:
    postings = index[key] = array("q")
    return postings


def _unpost(index: dict, key: object, sort: int) -> bool:
    """Remove a key from one array; False when the array is gone with it."""
    postings = index[key]
    _remove(postings, sort)
    if not postings:
        del index[key]
        return False
    return True


def _add(postings: array, key: int) -> None:
    if not postings or postings[-1] < key:
        postings.append(key)
    else:
        postings.insert(bisect_left(postings, key), key)


def _remove(postings: array, key: int) -> None:
    if postings and postings[-1] == key:
        postings.pop()
        return
    position = bisect_left(postings, key)
    if position == len(postings) or postings[position] != key:
        raise KeyError(f"sort key {key} is not in the index")
    del postings[position]
