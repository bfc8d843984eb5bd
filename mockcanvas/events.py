"""Live Events after they are made: the event record, the inbox, and the bus that fans out to sinks.

Every emitted event lands in the inbox first (nothing is dropped unless the user clears it), then is
handed to each subscription's sink. Sinks deliver off the request thread; the bus only enqueues.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class LiveEvent:
    """One emitted event: a sequence number, a stable id to deduplicate on, and the payload.

    ``payload`` is exactly what Canvas sends: ``{"metadata": {...}, "body": {...}}``.
    """

    seq: int
    id: str
    name: str
    payload: dict
    course_id: int | None = None
    user_id: int | None = None  # the user the event is about (student), for filtering

    @property
    def body(self) -> dict:
        return self.payload["body"]

    @property
    def metadata(self) -> dict:
        return self.payload["metadata"]

    def summary(self) -> dict:
        return {"seq": self.seq, "id": self.id, "event_name": self.name, "event": self.payload}


class Sink(Protocol):
    """Where a subscription delivers: implementations queue and deliver on their own threads."""

    def submit(self, event: LiveEvent) -> None: ...

    def close(self, timeout: float = 5.0) -> None: ...


@dataclass
class Inbox:
    """Every event emitted, in order; thread-safe. Watchers (the event stream) wait on it."""

    _events: list[LiveEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _generation: int = 0  # bumped by clear(): a watcher's sequence numbers no longer apply

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    def add(self, event: LiveEvent) -> None:
        with self._lock:
            self._events.append(event)
            self._changed.notify_all()

    def clear(self) -> int:
        with self._lock:
            count = len(self._events)
            self._events.clear()
            self._generation += 1
            self._changed.notify_all()
            return count

    def __len__(self) -> int:
        return len(self._events)

    @property
    def generation(self) -> int:
        return self._generation

    def last_seq(self) -> int:
        with self._lock:
            return self._events[-1].seq if self._events else 0

    def since(self, after: int, limit: int) -> list[LiveEvent]:
        """At most ``limit`` events with ``seq > after``, oldest first: a bisection, not a scan
        (events enter in ``seq`` order), so a watcher of a million-event inbox pays per event."""
        with self._lock:
            start = bisect.bisect_right(self._events, after, key=lambda e: e.seq)
            return self._events[start : start + max(0, limit)]

    def tail(self, count: int) -> list[LiveEvent]:
        """The last ``count`` events, oldest first."""
        with self._lock:
            return self._events[-count:] if count > 0 else []

    def wait(
        self, after: int, generation: int, timeout: float, stop: threading.Event | None = None
    ) -> bool:
        """Wait up to ``timeout`` seconds for an event past ``after``, a clear, or ``stop`` (set,
        then ``wake()``); True if one came. Holds only the inbox's lock, never the instance's."""
        with self._lock:
            return self._changed.wait_for(
                lambda: (
                    (stop is not None and stop.is_set())
                    or self._generation != generation
                    or (bool(self._events) and self._events[-1].seq > after)
                ),
                timeout=timeout,
            )

    def wake(self) -> None:
        """Make every waiter look at its ``stop`` again (a stopping server set them)."""
        with self._lock:
            self._changed.notify_all()

    def select(
        self,
        *,
        names: Iterable[str] = (),
        user_id: int | None = None,
        course_id: int | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[LiveEvent]:
        """Events matching every filter given, oldest first."""
        wanted = set(names)
        with self._lock:
            events = list(self._events)
        found = [
            e
            for e in events
            if (not wanted or e.name in wanted)
            and (user_id is None or e.user_id == user_id)
            and (course_id is None or e.course_id == course_id)
            and (after is None or e.seq > after)
        ]
        return found if limit is None else found[:limit]


class EventBus:
    """Numbers events, keeps them in the inbox and hands them to every subscribed sink."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self._sinks: dict[str, Sink] = {}
        self._lock = threading.Lock()
        self._seq = 0

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def restart_numbering(self) -> None:
        """Number the next event 1 again (a reset replays a fresh server's sequence)."""
        with self._lock:
            self._seq = 0

    def subscribe(self, name: str, sink: Sink) -> None:
        with self._lock:
            if name in self._sinks:
                raise ValueError(f"a subscription named {name!r} exists")
            self._sinks[name] = sink

    def unsubscribe(self, name: str) -> Sink | None:
        with self._lock:
            return self._sinks.pop(name, None)

    def sinks(self) -> dict[str, Sink]:
        with self._lock:
            return dict(self._sinks)

    def publish(self, event: LiveEvent) -> None:
        self.inbox.add(event)
        for sink in self.sinks().values():
            sink.submit(event)

    def close(self, timeout: float = 5.0) -> None:
        for sink in self.sinks().values():
            sink.close(timeout)
