"""The one clock every timestamp comes from, so tests can freeze and move time.

A clock starts at an instant. Frozen, it stays there until set or advanced; running, it moves with
the machine's monotonic clock from that instant. Either way two apps built with the same start and
frozen clocks stamp the same times.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from .auditlog import LAST_SECOND

DEFAULT_NOW = datetime(2026, 11, 2, 16, 0, 0, tzinfo=UTC)
# The instants the clock may stand at, and so every time a write stamps or a state import holds:
# from 1970-01-02 (every time zone conversion of it still works) to the last second the audit
# log's sort key can hold (2068-01-19T03:14:07Z). The control API, ``serve --now``, scenarios and
# state import all check against these two, and their messages quote RANGE_TEXT.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime.fromtimestamp(LAST_SECOND, UTC)
RANGE_TEXT = f"{EARLIEST:%Y-%m-%dT%H:%M:%SZ} to {LATEST:%Y-%m-%dT%H:%M:%SZ}"


def in_range(instant: datetime) -> bool:
    """Whether an aware instant is one the clock may stand at (both ends included)."""
    return EARLIEST <= instant <= LATEST


class Clock:
    """An injectable clock: ``now()`` is timezone-aware UTC."""

    def __init__(self, start: datetime = DEFAULT_NOW, *, frozen: bool = True) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware start time")
        self._lock = threading.Lock()
        self._base = start.astimezone(UTC)
        self._frozen = frozen
        self._since = time.monotonic()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._frozen:
            return self._base
        return self._base + timedelta(seconds=time.monotonic() - self._since)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware time")
        with self._lock:
            self._base = instant.astimezone(UTC)
            self._since = time.monotonic()

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._base = self._now_locked() + timedelta(seconds=seconds)
            self._since = time.monotonic()
            return self._base

    def freeze(self) -> None:
        with self._lock:
            self._base = self._now_locked()
            self._frozen = True

    def unfreeze(self) -> None:
        with self._lock:
            self._base = self._now_locked()
            self._since = time.monotonic()
            self._frozen = False
