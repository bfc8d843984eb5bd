"""The grade change audit log: rows plus ordered indexes, so a page costs O(log n + page size).

Canvas keeps the rows in a table ordered by (created_at, id) with an index per query shape. Here
each row gets one integer sort key, ``(created_at - EPOCH) << 32 | id``, and the query shapes keep
ascending arrays of those keys per value. A page is a bisect to the newest allowed key and a walk
downwards: the cost does not depend on how many rows the log holds.

A seeded world holds a million rows, so they are stored by column (arrays of machine integers,
uuids as 16 bytes, grades and scores as codes into tables of the distinct values) rather than as
a million objects; ``get`` makes a row's ``GradeChange`` when it is asked for and keeps it, so
the same row is the same object while it is kept (readers cache by identity). Fewer indexes than
query shapes are needed: an assignment implies its course, and an assignment with a student is
one submission, whose few rows are chained instead of indexed.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from itertools import combinations
from math import copysign

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
# The shapes with an index of their own. The others are answered by one of these (an assignment
# implies its course) or by the submission chain (an assignment and a student). Course and
# assignment together are indexed only for override rows, whose placeholder assignment 0 spans
# every course.
_C, _A, _S, _G = 1, 2, 4, 8
_INDEXED = (_C, _A, _S, _G, _C | _S, _C | _G, _A | _G, _S | _G, _C | _S | _G)
_OVERRIDE_INDEXED = (_C | _A, _C | _A | _G)

_NONE = -(2**31)  # None in an integer column
_INT_LOW, _INT_HIGH = -(2**31) + 1, 2**31 - 1
_KEY_LOW, _KEY_HIGH = EPOCH - 2**31, EPOCH + 2**31  # created_at whose keys fit 64 bits
_MIXED = -1  # an assignment whose rows name more than one course (never in practice)
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
    CACHES = ("memo", "_objects", "_strings", "_string_codes", "_floats", "_float_codes")

    def __init__(self) -> None:
        # Columns: position i holds row id i + 1.
        self._created = array("q")
        self._root = array("i")
        self._account = array("i")
        self._course = array("i")
        self._assignment = array("i")
        self._submission = array("i")
        self._student = array("i")
        self._grader = array("i")
        self._version = array("i")
        self._period = array("i")
        self._grades = array("I")  # grade_before, grade_after, event_type: codes into _strings
        self._scores = array("I")  # points before/after, score before/after: codes into _floats
        self._flags = array("B")
        self._uuids = bytearray()  # 16 bytes per row
        self._requests = bytearray()
        self._prev = array("i")  # the previous row of the same submission (assignment, student)
        self._strings: list[str | None] = [None]
        self._string_codes: dict[str, int] = {}
        self._floats: list[float | None] = [None]
        self._float_codes: dict[float, int] = {}
        self._aside: dict[int, tuple[str, str]] = {}  # non-canonical (uuid, request id)
        self._odd: dict[int, GradeChange] = {}  # rows kept whole (values the columns cannot hold)
        self._all = array("q")
        self._indexes: dict[int, dict] = {mask: {} for mask in _INDEXED + _OVERRIDE_INDEXED}
        self._last_of: dict[tuple[int, int], int] = {}  # (assignment, student) -> newest row id
        self._course_of: dict[int, int] = {}  # assignment -> its rows' course (or _MIXED)
        self._objects: dict[int, GradeChange] = {}
        # Per row id, whatever readers derive from a row and may keep (rows never change once
        # written, so e.g. their rendered JSON); truncate() drops the entries of dropped rows.
        self.memo: dict[int, dict] = {}

    def __len__(self) -> int:
        return len(self._created)

    def next_id(self) -> int:
        return len(self._created) + 1

    def get(self, row_id: int) -> GradeChange:
        """The row with that id: the same object each time while it is kept."""
        row = self._objects.get(row_id)
        if row is None:
            if not 0 < row_id <= len(self._created):
                raise IndexError(f"no audit row {row_id}")
            row = self._build(row_id)
            if len(self._objects) >= OBJECT_LIMIT:
                self._objects.clear()
            self._objects[row_id] = row
        return row

    def rows(self) -> list[GradeChange]:
        """Every row in id order."""
        objects, build = self._objects, self._build
        return [objects.get(i) or build(i) for i in range(1, len(self._created) + 1)]

    # -- writing -----------------------------------------------------------------------------

    def append(self, row: GradeChange) -> None:
        row_id = len(self._created) + 1
        if row.id != row_id:
            raise ValueError(f"audit row id {row.id} is not the next id {row_id}")
        if type(row.created_at) is not int or not _KEY_LOW <= row.created_at < _KEY_HIGH:
            raise ValueError(f"audit row {row_id}: created_at {row.created_at!r} is not 1932-2068")
        try:
            self._put(row)
        except _Odd:
            self._put_odd(row)
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
        row_id = len(self._created) + 1
        string_codes, strings = self._string_codes, self._strings
        float_codes, floats = self._float_codes, self._floats
        grades = self._grades
        for text in (grade_before, grade_after):
            if text is None:
                grades.append(0)
            else:
                code = string_codes.get(text)
                if code is None:
                    code = string_codes[text] = len(strings)
                    strings.append(text)
                grades.append(code)
        grades.append(self._event_code("grade_change"))
        scores = self._scores
        for value in (points_possible_before, points_possible_after, score_before, score_after):
            if value is None:
                scores.append(0)
            else:
                code = float_codes.get(value)
                if code is None:
                    code = float_codes[value] = len(floats)
                    floats.append(value)
                scores.append(code)
        self._created.append(created_at)
        self._root.append(root_account_id)
        self._account.append(account_id)
        self._course.append(course_id)
        self._assignment.append(_NONE if assignment_id is None else assignment_id)
        self._submission.append(_NONE if submission_id is None else submission_id)
        self._student.append(student_id)
        self._grader.append(_NONE if grader_id is None else grader_id)
        self._version.append(version_number)
        self._period.append(_NONE)
        self._flags.append(
            excused_before | excused_after << 1 | graded_anonymously << 2 | override << 3
        )
        self._uuids += uuid_bits.to_bytes(16, "big")
        self._requests += request_bits.to_bytes(16, "big")
        key = ((created_at - EPOCH) << ID_BITS) + row_id
        self._index(row_id, key, course_id, 0 if override else assignment_id, student_id, grader_id)
        return row_id

    def _event_code(self, text: str) -> int:
        code = self._string_codes.get(text)
        if code is None:
            code = self._string_codes[text] = len(self._strings)
            self._strings.append(text)
        return code

    def _put(self, row: GradeChange) -> None:
        """Encode a row into the columns, or raise _Odd before anything is written."""
        ints = [
            _int(row.root_account_id, False),
            _int(row.account_id, False),
            _int(row.course_id, False),
            _int(row.assignment_id, True),
            _int(row.submission_id, True),
            _int(row.student_id, True),
            _int(row.grader_id, True),
            _int(row.version_number, False),
            _int(row.grading_period_id, True),
        ]
        created = row.created_at
        texts = [_text(row.grade_before), _text(row.grade_after), _text(row.event_type)]
        numbers = [
            _float(row.points_possible_before),
            _float(row.points_possible_after),
            _float(row.score_before),
            _float(row.score_after),
        ]
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
        self._created.append(created)
        for column, value in zip(self._int_columns(), ints, strict=True):
            column.append(value)
        self._grades.extend(self._string_code(t) for t in texts)
        self._scores.extend(self._float_code(f) for f in numbers)
        self._flags.append(flags)
        self._uuids += uuid or bytes(16)
        self._requests += request or bytes(16)
        assignment = OVERRIDE_ASSIGNMENT if row.override else row.assignment_id
        self._index(
            row.id, sort_key(created, row.id), row.course_id, assignment, row.student_id,
            row.grader_id,
        )  # fmt: skip

    def _put_odd(self, row: GradeChange) -> None:
        """Keep a row whole; its columns hold placeholders and its dimensions come from it."""
        self._odd[row.id] = row
        self._created.append(row.created_at)
        for column in self._int_columns():
            column.append(_NONE)
        self._grades.extend((0, 0, 0))
        self._scores.extend((0, 0, 0, 0))
        self._flags.append(0)
        self._uuids += bytes(16)
        self._requests += bytes(16)
        assignment = OVERRIDE_ASSIGNMENT if row.override else row.assignment_id
        self._index(
            row.id, sort_key(row.created_at, row.id), row.course_id, assignment, row.student_id,
            row.grader_id,
        )  # fmt: skip

    def _int_columns(self) -> tuple[array, ...]:
        return (
            self._root, self._account, self._course, self._assignment, self._submission,
            self._student, self._grader, self._version, self._period,
        )  # fmt: skip

    def _string_code(self, text: str | None) -> int:
        if text is None:
            return 0
        code = self._string_codes.get(text)
        if code is None:
            code = self._string_codes[text] = len(self._strings)
            self._strings.append(text)
        return code

    def _float_code(self, value: float | None) -> int:
        if value is None:
            return 0
        code = self._float_codes.get(value)
        if code is None:
            code = self._float_codes[value] = len(self._floats)
            self._floats.append(value)
        return code

    def _index(
        self,
        row_id: int,
        key: int,
        course: int,
        assignment: int | None,
        student: int | None,
        grader: int | None,
    ) -> None:
        """Add a row's key to the arrays of its query shapes, and chain it to its submission."""
        _add(self._all, key)
        indexes = self._indexes
        if course is not None:
            _post(indexes[_C], course, key)
        if assignment is not None:
            _post(indexes[_A], assignment, key)
            if assignment == OVERRIDE_ASSIGNMENT:
                if course is not None:
                    _post(indexes[_C | _A], (course, assignment), key)
                    if grader is not None:
                        _post(indexes[_C | _A | _G], (course, assignment, grader), key)
            else:
                owner = self._course_of.get(assignment)
                if owner is None:
                    self._course_of[assignment] = course
                elif owner != course:
                    self._course_of[assignment] = _MIXED
            if grader is not None:
                _post(indexes[_A | _G], (assignment, grader), key)
            if student is not None:
                pair = (assignment, student)
                self._prev.append(self._last_of.get(pair, 0))
                self._last_of[pair] = row_id
            else:
                self._prev.append(0)
        else:
            self._prev.append(0)
        if student is not None:
            _post(indexes[_S], student, key)
            if course is not None:
                _post(indexes[_C | _S], (course, student), key)
        if grader is not None:
            _post(indexes[_G], grader, key)
            if course is not None:
                _post(indexes[_C | _G], (course, grader), key)
            if student is not None:
                _post(indexes[_S | _G], (student, grader), key)
                if course is not None:
                    _post(indexes[_C | _S | _G], (course, student, grader), key)

    # -- truncation ----------------------------------------------------------------------------

    def truncate(self, length: int) -> None:
        """Drop every row with an id above ``length`` (a reset undoing the writes since a baseline).

        Costs O(dropped rows x log n): the rows written since the baseline, not the history.
        """
        count = len(self._created)
        if length < 0 or length > count:
            raise ValueError(f"cannot truncate {count} audit rows to {length}")
        indexes = self._indexes
        mixed: set[int] = set()
        for row_id in range(count, length, -1):
            course, assignment, student, grader = self._dimensions(row_id)
            key = sort_key(self._created[row_id - 1], row_id)
            _remove(self._all, key)
            if course is not None:
                _unpost(indexes[_C], course, key)
            if assignment is not None:
                if not _unpost(indexes[_A], assignment, key):
                    self._course_of.pop(assignment, None)
                elif self._course_of.get(assignment) == _MIXED:
                    mixed.add(assignment)
                if assignment == OVERRIDE_ASSIGNMENT and course is not None:
                    _unpost(indexes[_C | _A], (course, assignment), key)
                    if grader is not None:
                        _unpost(indexes[_C | _A | _G], (course, assignment, grader), key)
                if grader is not None:
                    _unpost(indexes[_A | _G], (assignment, grader), key)
                if student is not None:
                    previous = self._prev[row_id - 1]
                    if previous:
                        self._last_of[(assignment, student)] = previous
                    else:
                        del self._last_of[(assignment, student)]
            if student is not None:
                _unpost(indexes[_S], student, key)
                if course is not None:
                    _unpost(indexes[_C | _S], (course, student), key)
            if grader is not None:
                _unpost(indexes[_G], grader, key)
                if course is not None:
                    _unpost(indexes[_C | _G], (course, grader), key)
                if student is not None:
                    _unpost(indexes[_S | _G], (student, grader), key)
                    if course is not None:
                        _unpost(indexes[_C | _S | _G], (course, student, grader), key)
            self.memo.pop(row_id, None)
            self._objects.pop(row_id, None)
            self._odd.pop(row_id, None)
            self._aside.pop(row_id, None)
        for column in (self._created, *self._int_columns(), self._flags, self._prev):
            del column[length:]
        del self._grades[3 * length :]
        del self._scores[4 * length :]
        del self._uuids[16 * length :]
        del self._requests[16 * length :]
        for assignment in mixed & self._course_of.keys():  # perhaps one course again
            courses = {self._dimensions(k & ID_MASK)[0] for k in indexes[_A][assignment]}
            self._course_of[assignment] = courses.pop() if len(courses) == 1 else _MIXED

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
        course = conditions.get("course")
        assignment = conditions.get("assignment")
        student = conditions.get("student")
        grader = conditions.get("grader")
        if assignment is not None and student is not None:
            keys = self._submission_keys(assignment, student, course, grader)
            postings, course_check = keys, None
        else:
            postings, course_check = self._postings(course, assignment, grader, student)
        high = bisect_right(postings, newest) if newest is not None else len(postings)
        if before is not None:
            high = min(high, bisect_left(postings, before))
        low = bisect_left(postings, oldest) if oldest is not None else 0
        get = self.get
        for position in range(high - 1, low - 1, -1):
            row_id = postings[position] & ID_MASK
            if course_check is not None and self._dimensions(row_id)[0] != course_check:
                continue
            row = get(row_id)
            if keep is None or keep(row):
                yield row

    def _postings(
        self, course: int | None, assignment: int | None, grader: int | None, student: int | None
    ) -> tuple[array, int | None]:
        """The key array answering a shape without both assignment and student, and the course
        each row must still be checked for (only for an assignment with rows in two courses)."""
        mask = (
            (_C if course is not None else 0)
            | (_A if assignment is not None else 0)
            | (_S if student is not None else 0)
            | (_G if grader is not None else 0)
        )
        if not mask:
            return self._all, None
        check = None
        if mask & _C and mask & _A and assignment != OVERRIDE_ASSIGNMENT:
            owner = self._course_of.get(assignment)
            if owner is None or (owner != course and owner != _MIXED):
                return _EMPTY, None
            if owner == _MIXED:
                check = course
            mask &= ~_C
        values = {_C: course, _A: assignment, _S: student, _G: grader}
        parts = tuple(values[bit] for bit in (_C, _A, _S, _G) if mask & bit)
        key = parts[0] if len(parts) == 1 else parts
        return self._indexes[mask].get(key, _EMPTY), check

    def _submission_keys(
        self, assignment: int, student: int, course: int | None, grader: int | None
    ) -> list[int]:
        """The sort keys of one submission's rows (a short chain), ascending."""
        keys = []
        row_id = self._last_of.get((assignment, student), 0)
        while row_id:
            row_course, _, _, row_grader = self._dimensions(row_id)
            if (course is None or row_course == course) and (
                grader is None or row_grader == grader
            ):
                keys.append(sort_key(self._created[row_id - 1], row_id))
            row_id = self._prev[row_id - 1]
        keys.sort()
        return keys

    def _dimensions(self, row_id: int) -> tuple[int | None, int | None, int | None, int | None]:
        """A row's course, assignment (0 for overrides), student and grader."""
        odd = self._odd.get(row_id) if self._odd else None
        if odd is not None:
            assignment = OVERRIDE_ASSIGNMENT if odd.override else odd.assignment_id
            return odd.course_id, assignment, odd.student_id, odd.grader_id
        i = row_id - 1
        values = (self._course[i], self._assignment[i], self._student[i], self._grader[i])
        course, assignment, student, grader = (None if v == _NONE else v for v in values)
        if self._flags[i] & _OVERRIDE:
            assignment = OVERRIDE_ASSIGNMENT
        return course, assignment, student, grader

    def request_id(self, row_id: int) -> str:
        """A row's request id, without making the row."""
        i = row_id - 1
        flags = self._flags[i]
        if flags & _REQUEST_ASIDE or row_id in self._odd:
            return self._build(row_id).request_id
        return uuid_text(bytes(self._requests[16 * i : 16 * i + 16]))

    def request_bits(self, row_id: int) -> bytes | None:
        """A row's request id as the 16 bytes of its uuid; None when it is not a canonical one."""
        i = row_id - 1
        if self._flags[i] & _REQUEST_ASIDE or row_id in self._odd:
            return None
        return bytes(self._requests[16 * i : 16 * i + 16])

    def facts(self, row_id: int) -> tuple[int, int | None, int | None, int | None, int | None]:
        """A row's created_at, course, assignment (0 for overrides), student and grader."""
        return (self._created[row_id - 1], *self._dimensions(row_id))

    def _build(self, row_id: int) -> GradeChange:
        odd = self._odd.get(row_id)
        if odd is not None:
            return odd
        i = row_id - 1
        strings, floats = self._strings, self._floats
        g, s = 3 * i, 4 * i
        flags = self._flags[i]
        if flags & (_UUID_ASIDE | _REQUEST_ASIDE):
            uuid, request = self._aside[row_id]
        else:
            uuid = request = ""
        if not flags & _UUID_ASIDE:
            uuid = uuid_text(bytes(self._uuids[16 * i : 16 * i + 16]))
        if not flags & _REQUEST_ASIDE:
            request = uuid_text(bytes(self._requests[16 * i : 16 * i + 16]))

        def value(column: array) -> int | None:
            v = column[i]
            return None if v == _NONE else v

        return GradeChange(
            id=row_id,
            uuid=uuid,
            created_at=self._created[i],
            root_account_id=self._root[i],
            account_id=self._account[i],
            course_id=self._course[i],
            assignment_id=value(self._assignment),
            submission_id=value(self._submission),
            student_id=value(self._student),
            grader_id=value(self._grader),
            grade_before=strings[self._grades[g]],
            grade_after=strings[self._grades[g + 1]],
            excused_before=bool(flags & _EXCUSED_BEFORE),
            excused_after=bool(flags & _EXCUSED_AFTER),
            graded_anonymously=bool(flags & _ANONYMOUS),
            points_possible_before=floats[self._scores[s]],
            points_possible_after=floats[self._scores[s + 1]],
            version_number=self._version[i],
            request_id=request,
            score_before=floats[self._scores[s + 2]],
            score_after=floats[self._scores[s + 3]],
            grading_period_id=value(self._period),
            override=bool(flags & _OVERRIDE),
            event_type=strings[self._grades[g + 2]],  # type: ignore[arg-type]
        )


_EMPTY: array = array("q")


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


def _post(index: dict, key: object, sort: int) -> None:
    postings = index.get(key)
    if postings is None:
        index[key] = array("q", (sort,))
    elif postings[-1] < sort:
        postings.append(sort)
    else:
        postings.insert(bisect_left(postings, sort), sort)


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
