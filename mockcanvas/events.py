"""Live Events after they are made: the event record, the inbox, and the bus that fans out to sinks.

Every emitted event lands in the inbox first (nothing is dropped unless the user clears it), then is
handed to each subscription's sink. Sinks deliver off the request thread; the bus only enqueues.
"""

from __future__ import annotations

import bisect
import heapq
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


def _seq(event: LiveEvent) -> int:
    return event.seq


@dataclass
class Inbox:
    """Every event emitted, in order; thread-safe. Watchers (the event stream) wait on it.

    Events enter in ``seq`` order (the write path numbers and publishes under the instance's write
    lock), so the whole list and every per-key index below are sorted by ``seq`` and bisect on it.
    The lists only grow until ``clear()`` replaces them (never empties them in place): a reader
    that took a list and its length under the lock can walk that prefix after releasing it.
    """

    _events: list[LiveEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _generation: int = 0  # bumped by clear(): a watcher's sequence numbers no longer apply
    # The same events by name, by user_id and by course_id (None is not a key: it never filters).
    _by_name: dict[str, list[LiveEvent]] = field(init=False, repr=False)
    _by_user: dict[int, list[LiveEvent]] = field(init=False, repr=False)
    _by_course: dict[int, list[LiveEvent]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)
        self._by_name, self._by_user, self._by_course = {}, {}, {}
        for event in self._events:
            self._index(event)

    def _index(self, event: LiveEvent) -> None:
        self._by_name.setdefault(event.name, []).append(event)
        if event.user_id is not None:
            self._by_user.setdefault(event.user_id, []).append(event)
        if event.course_id is not None:
            self._by_course.setdefault(event.course_id, []).append(event)

    def add(self, event: LiveEvent) -> None:
        with self._lock:
            self._events.append(event)
            self._index(event)
            self._changed.notify_all()

    def clear(self) -> int:
        with self._lock:
            count = len(self._events)
            # New lists, not emptied ones: a select() walking the old ones after the lock keeps
            # the events it was answering from.
            self._events = []
            self._by_name, self._by_user, self._by_course = {}, {}, {}
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
            start = bisect.bisect_right(self._events, after, key=_seq)
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
        """Events matching every filter given, oldest first; several ``names`` match any of them.

        Walks the narrowest index among the filters given (counted past ``after``) from ``after``
        on, checks the other filters, and stops at ``limit``: the cost is the answer plus the
        events of that index the other filters reject, never the inbox's size. The lock is held
        only to bisect and take each list's length; the walk runs after it.
        """
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if limit == 0:
            return []
        wanted = frozenset(names)
        with self._lock:
            choices = [[self._events]]
            if wanted:
                choices.append([self._by_name[n] for n in wanted if n in self._by_name])
            if user_id is not None:
                choices.append([self._by_user.get(user_id, [])])
            if course_id is not None:
                choices.append([self._by_course.get(course_id, [])])
            spans = min(
                ([(lst, _start(lst, after), len(lst)) for lst in lists] for lists in choices),
                key=lambda spans: sum(end - start for _, start, end in spans),
            )
        walks = [map(lst.__getitem__, range(start, end)) for lst, start, end in spans]
        walk = walks[0] if len(walks) == 1 else heapq.merge(*walks, key=_seq)
        found: list[LiveEvent] = []
        for event in walk:
            if (
                (not wanted or event.name in wanted)
                and (user_id is None or event.user_id == user_id)
                and (course_id is None or event.course_id == course_id)
            ):
                found.append(event)
                if len(found) == limit:
                    break
        return found


def _start(events: list[LiveEvent], after: int | None) -> int:
    """Where the events with ``seq > after`` begin in a seq-ordered list."""
    return 0 if after is None else bisect.bisect_right(events, after, key=_seq)


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
