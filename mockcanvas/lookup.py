"""How Canvas turns an id from a URL into a row: ``Model.find`` versus ``api_find``.

The two differ and clients notice: ``find`` casts like Rails ("12abc" is 12, no SIS ids), while
``api_find`` takes only digits, ``shard~id`` and ``sis_*:`` forms. Both accept global ids of this
shard. Each function returns a local id or None; the caller decides what "missing" means.
"""

from __future__ import annotations

import re

from .ids import SHARD_ID, local_id
from .store import Store

_NUMERIC_START = re.compile(r"\A\s*[+-]?\d", re.ASCII)
_LEADING_INT = re.compile(r"\A\s*([+-]?\d+(?:_\d+)*)", re.ASCII)
_DIGITS = re.compile(r"\A\d+\Z", re.ASCII)
_SHARD_ID = re.compile(r"\A(\d+)~(\d+)\Z", re.ASCII)
# re.ASCII: Ruby's \d and \s are ASCII; Python's would read "\u0661" as 1 and skip "\u2003".
_HEX_SIS = re.compile(r"\Ahex:(sis_\w+):((?:[0-9A-Fa-f]{2})+)\Z", re.ASCII)
_SIS = re.compile(r"\A(sis_\w+):(.+)\Z", re.DOTALL | re.ASCII)


# Bigger than any id or page size; Ruby reads longer numbers as bignums, which match nothing.
_HUGE = 10**19


def _integer(digits: str) -> int:
    """``int()`` that never trips Python's digit limit: very long numbers become a huge value."""
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-").lstrip("0") or "0"
    return sign * (int(digits) if len(digits) <= 19 else _HUGE)


def ruby_to_i(text: str) -> int:
    """Ruby's String#to_i: the leading integer, 0 when there is none."""
    match = _LEADING_INT.match(text)
    return _integer(match.group(1).replace("_", "")) if match else 0


def find_id(raw: str) -> int | None:
    """The id ``Model.find(raw)`` looks up: Rails casts strings that start like a number."""
    if not _NUMERIC_START.match(raw):
        return None
    value = ruby_to_i(raw)
    return local_id(value) if value > 0 else None


def _plain_api_id(raw: str) -> int | None:
    if _DIGITS.match(raw):
        return local_id(_integer(raw))
    shard = _SHARD_ID.match(raw)
    if shard and _integer(shard.group(1)) == SHARD_ID:
        return _integer(shard.group(2))
    return None


def _sis(raw: str) -> tuple[str, str] | None:
    hexed = _HEX_SIS.match(raw)
    if hexed:
        try:
            return hexed.group(1), bytes.fromhex(hexed.group(2)).decode("utf-8")
        except UnicodeDecodeError:
            return None
    plain = _SIS.match(raw)
    return (plain.group(1), plain.group(2)) if plain else None


def api_find_course(store: Store, raw: str) -> int | None:
    """``api_find(Course, raw)``: an id or ``sis_course_id:...``."""
    raw = raw.strip()
    sis = _sis(raw)
    if sis:
        column, value = sis
        return store.course_id_for_sis(value) if column == "sis_course_id" else None
    course_id = _plain_api_id(raw)
    return course_id if course_id in store.courses else None


def api_find_user(store: Store, raw: str, current_user_id: int | None) -> int | None:
    """``api_find(User..., raw)``: an id, ``self``, ``sis_user_id:`` or ``sis_login_id:``."""
    raw = raw.strip()
    if raw == "self":
        return current_user_id
    sis = _sis(raw)
    if sis:
        column, value = sis
        if column == "sis_user_id":
            return store.user_id_for_sis(value)
        if column == "sis_login_id":
            return store.user_id_for_login(value)
        return None
    user_id = _plain_api_id(raw)
    return user_id if user_id in store.users else None


def api_find_assignment(store: Store, raw: str) -> int | None:
    """``api_find(Assignment, raw)``: an id (assignments have no SIS lookup in api_find)."""
    assignment_id = _plain_api_id(raw.strip())
    return assignment_id if assignment_id in store.assignments else None
