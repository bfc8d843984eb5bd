"""The one clock every timestamp comes from, so tests can freeze and move time.

A clock starts at an instant. Frozen, it stays there until set or advanced; running, it moves with
the machine's monotonic clock from that instant. Either way two apps built with the same start and
frozen clocks stamp the same times.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

DEFAULT_NOW = datetime(2026, 11, 2, 16, 0, 0, tzinfo=UTC)


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
