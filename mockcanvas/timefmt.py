"""Canvas times: how Rails prints them and how ``Time.zone.parse`` reads them.

Responses carry times in the request's ``Time.zone`` (the user's zone, else the root account's
default) with an offset and no fractional seconds; a zone that is UTC itself prints ``Z``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import User
from .store import Store

_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})
# Possessive runs: the blanks before an optional zone and after it were two ``\s*`` that split a
# run of n blanks every way before failing on what follows (O(n^2)); a zone never starts with a
# blank and an hour never with T or a blank, so taking every blank at once loses no match.
_DATE_TIME = re.compile(
    r"""\A\s*+
    (?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})
    (?:[T\s]++(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d++))?)?)?
    \s*+(?P<z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?
    \s*+\Z""",
    re.VERBOSE | re.IGNORECASE,
)


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_for(store: Store, user: User | None) -> ZoneInfo:
    """The ``Time.zone`` of a request: the user's zone, else the root account's default."""
    for name in (user.time_zone if user else None, store.root_account.default_time_zone):
        if name:
            try:
                return zone(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return zone("UTC")


def to_datetime(value: datetime | int) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    return value


def iso(value: datetime | int | None, tz: ZoneInfo) -> str | None:
    """``as_json`` of a TimeWithZone with precision 0: ``2012-07-19T15:00:00-06:00``."""
    if value is None:
        return None
    local = to_datetime(value).astimezone(tz)
    if tz.key in _UTC_NAMES:
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


def iso_utc(value: datetime | int | None) -> str | None:
    """A UTC time printed as Canvas prints UTC columns: ``2019-12-04T13:32:21Z``."""
    if value is None:
        return None
    return to_datetime(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ruby_to_s(value: datetime | int, tz: ZoneInfo) -> str:
    """``TimeWithZone#to_s``: ``2026-11-02 09:00:00 -0700``, or ``... UTC`` in a UTC zone."""
    local = to_datetime(value).astimezone(tz)
    stamp = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp} UTC" if tz.key in _UTC_NAMES else f"{stamp} {local.strftime('%z')}"


def parse(text: str | None, tz: ZoneInfo) -> datetime | None:
    """A lenient reading in the spirit of ``Time.zone.parse``; None for what it cannot read.

    Reads dates and date-times with ``-``, ``/`` or ``.`` separators, ``T`` or a space, optional
    seconds and fractions, and ``Z``, ``UTC`` or a numeric offset; times without an offset are in
    ``tz``. Anything else (and impossible dates) gives None, as ``CanvasTime.try_parse`` does.
    """
    if not text:
        return None
    match = _DATE_TIME.match(text)
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["mo"]), int(match["d"]))
        hour, minute = int(match["h"] or 0), int(match["mi"] or 0)
        second = int(match["s"] or 0)
        micro = int((match["f"] or "0")[:6].ljust(6, "0"))
        naive = datetime(day.year, day.month, day.day, hour, minute, min(second, 59), micro)
    except ValueError:
        return None
    try:
        return _aware(naive, match["z"], tz)
    except (ValueError, OverflowError):  # e.g. year 1 with an offset falls before year 1 in UTC
        return None


def _aware(naive: datetime, offset: str | None, tz: ZoneInfo) -> datetime | None:
    if offset is None:
        return naive.replace(tzinfo=tz).astimezone(UTC)
    if offset.upper() in ("Z", "UTC", "GMT"):
        return naive.replace(tzinfo=UTC)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes) * sign
    return naive.replace(tzinfo=timezone(delta)).astimezone(UTC)


def floor_seconds(value: datetime) -> int:
    return math.floor(value.timestamp())


def ceil_seconds(value: datetime) -> int:
    return math.ceil(value.timestamp())
