"""Live Events after they are made: the event record, the inbox, and the bus that fans out to sinks.

Every emitted event lands in the inbox first, then is handed to each subscription's sink. The inbox
keeps the newest ``capacity`` events (default ``DEFAULT_INBOX_CAPACITY``); older ones are evicted
and counted, never dropped silently. Sinks deliver off the request thread; the bus only enqueues.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Protocol

# Events the inbox keeps by default: about 1.9 KB each (tracemalloc, grade_change and
# course_grade_change alike), so about 190 MB at the cap, 215 MB with the evicted eighth that
# waits for a compaction.
DEFAULT_INBOX_CAPACITY = 100_000


@dataclass(frozen=True, slots=True)
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


_seq = attrgetter("seq")  # a LiveEvent's sort key, read in C


# The filters of a query, as bits: a query's shape is the mask of the filters it names.
_NAME, _USER, _COURSE = 1, 2, 4
_FILTERS = (_NAME, _USER, _COURSE)
# Per shape of two or more filters, the key of an event's combination list: its values of those
# filters, in (name, user_id, course_id) order.
_KEY = {
    shape: itemgetter(*(i for i, bit in enumerate(_FILTERS) if shape & bit))
    for shape in (_NAME | _USER, _NAME | _COURSE, _USER | _COURSE, _NAME | _USER | _COURSE)
}


@dataclass
class Inbox:
    """Every event emitted, in order; thread-safe. Watchers (the event stream) wait on it.

    Events enter in ``seq`` order (the write path numbers and publishes under the instance's write
    lock), so the whole list and every per-key index below are sorted by ``seq`` and bisect on it.
    The lists only grow until ``clear()`` or a compaction replaces them (never empties them in
    place): a reader that took a list and its length under the lock can walk that prefix after
    releasing it.

    Bounded: past ``capacity`` events the oldest is evicted (``evicted`` counts them): ``floor``
    becomes its seq, and every read starts past ``floor``. The evicted events stay in the lists
    until an eighth of ``capacity`` (at least 1,024) have gathered; then every list is copied
    without them, an amortized constant per event.

    A query naming two or more filters whose narrowest single index holds more than
    ``combine_over`` events past ``after`` gets a combination list per key it asks for (one per
    name: ``(name, user_id, course_id)``, ``(user_id, course_id)``...), built then from that
    index and kept in step by ``add()`` until ``clear()``. Only keys asked for are built; one
    costs an 8-byte list slot per event it holds (each event is in at most four: one per shape),
    and about 160 bytes when it holds none (a pair that never happened, kept so it is not
    rebuilt).
    """

    _events: list[LiveEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _generation: int = 0  # bumped by clear(): a watcher's sequence numbers no longer apply
    # The same events by name, by user_id and by course_id (None is not a key: it never filters).
    _by_name: dict[str, list[LiveEvent]] = field(init=False, repr=False)
    _by_user: dict[int, list[LiveEvent]] = field(init=False, repr=False)
    _by_course: dict[int, list[LiveEvent]] = field(init=False, repr=False)
    # Combination lists built so far: per shape (a mask of _NAME, _USER, _COURSE), per key.
    _combined: dict[int, dict[tuple, list[LiveEvent]]] = field(init=False, repr=False)
    # At most this many events to walk: checking them beats building a combination list.
    combine_over: int = field(default=64, kw_only=True)
    # At most this many events are kept; older ones are evicted (counted in ``evicted``).
    capacity: int = field(default=DEFAULT_INBOX_CAPACITY, kw_only=True)
    _floor: int = field(default=0, init=False)  # the newest evicted seq: reads start past it
    _dead: int = field(default=0, init=False)  # evicted events still at the front of _events
    _evicted: int = field(default=0, init=False)  # since the last clear()
    _added: int = field(default=0, init=False)  # since the last clear()
    _cleared: int = field(default=0, init=False)  # by every clear(), in all

    def __post_init__(self) -> None:
        if type(self.combine_over) is not int or self.combine_over < 0:
            raise ValueError(f"combine_over must be an int >= 0, not {self.combine_over!r}")
        if type(self.capacity) is not int or self.capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, not {self.capacity!r}")
        self._added = len(self._events)
        self._changed = threading.Condition(self._lock)
        self._by_name, self._by_user, self._by_course = {}, {}, {}
        self._combined = {}
        for event in self._events:
            self._index(event)

    def _index(self, event: LiveEvent) -> None:
        self._by_name.setdefault(event.name, []).append(event)
        if event.user_id is not None:
            self._by_user.setdefault(event.user_id, []).append(event)
        if event.course_id is not None:
            self._by_course.setdefault(event.course_id, []).append(event)
        if self._combined:
            values = (event.name, event.user_id, event.course_id)
            # A key holding None is never built (None does not filter), so it is never found.
            for shape, built in self._combined.items():
                postings = built.get(_KEY[shape](values))
                if postings is not None:
                    postings.append(event)

    def add(self, event: LiveEvent) -> None:
        with self._lock:
            self._events.append(event)
            self._index(event)
            self._added += 1
            if len(self._events) - self._dead > self.capacity:
                self._floor = self._events[self._dead].seq
                self._dead += 1
                self._evicted += 1
                if self._dead >= max(1024, self.capacity // 8):
                    self._compact()
            self._changed.notify_all()

    def _compact(self) -> None:
        """Copy every list without its evicted events (new lists: readers keep the old ones);
        keys left with none go. Called under the lock."""
        floor = self._floor
        self._events = self._events[self._dead :]
        self._dead = 0

        def kept(index: dict) -> dict:
            fresh = {}
            for key, events in index.items():
                start = bisect.bisect_right(events, floor, key=_seq)
                if start < len(events):
                    fresh[key] = events[start:] if start else events
            return fresh

        self._by_name, self._by_user, self._by_course = (
            kept(self._by_name),
            kept(self._by_user),
            kept(self._by_course),
        )
        self._combined = {shape: kept(built) for shape, built in self._combined.items()}

    def clear(self) -> int:
        """Empty the inbox; returns how many events it held (``cleared`` adds them up)."""
        with self._lock:
            count = len(self._events) - self._dead
            # New lists, not emptied ones: a select() walking the old ones after the lock keeps
            # the events it was answering from.
            self._events = []
            self._by_name, self._by_user, self._by_course = {}, {}, {}
            self._combined = {}
            self._floor = self._dead = self._evicted = self._added = 0
            self._cleared += count
            self._generation += 1
            self._changed.notify_all()
            return count

    def __len__(self) -> int:
        return len(self._events) - self._dead

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def floor(self) -> int:
        """The newest evicted seq (0: none): events at or below it are gone."""
        return self._floor

    @property
    def evicted(self) -> int:
        """Events evicted past ``capacity`` since the inbox was last emptied."""
        return self._evicted

    @property
    def total(self) -> int:
        """Events added since the inbox was last emptied (evicted ones included)."""
        return self._added

    @property
    def cleared(self) -> int:
        """Events emptied out by ``clear()`` (resets, imports, DELETE), in all."""
        return self._cleared

    def resize(self, capacity: int) -> None:
        """Keep at most ``capacity`` events from now on; the oldest beyond it are evicted."""
        if type(capacity) is not int or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, not {capacity!r}")
        with self._lock:
            self.capacity = capacity
            extra = len(self._events) - self._dead - capacity
            if extra > 0:
                self._dead += extra
                self._evicted += extra
                self._floor = self._events[self._dead - 1].seq
                self._compact()

    def last_seq(self) -> int:
        with self._lock:
            return self._events[-1].seq if len(self._events) > self._dead else self._floor

    def since(self, after: int, limit: int) -> list[LiveEvent]:
        """At most ``limit`` events with ``seq > after`` (and past ``floor``), oldest first: a
        bisection, not a scan, so a watcher of a million-event inbox pays per event."""
        with self._lock:
            start = bisect.bisect_right(self._events, max(after, self._floor), key=_seq)
            return self._events[start : start + max(0, limit)]

    def tail(self, count: int) -> list[LiveEvent]:
        """The last ``count`` events kept, oldest first."""
        with self._lock:
            if count <= 0:
                return []
            return self._events[max(self._dead, len(self._events) - count) :]

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

        One filter kind (or none) walks its index from ``after`` (bisected) to ``limit``: every
        event there matches. Two or more walk their combination lists (one per name, merged by
        ``seq``) the same way, building any missing ones first under the lock, unless the
        narrowest single index holds at most ``combine_over`` events past ``after``: then that
        short walk, checking the other filters, is the answer. Either way the cost is the answer
        plus a bounded walk, never the size of the history. The lock is held to find (or build)
        the lists, bisect and take their lengths; the walk runs after it.
        """
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if limit == 0:
            return []
        wanted = frozenset(names)
        shape = (
            (_NAME if wanted else 0)
            | (_USER if user_id is not None else 0)
            | (_COURSE if course_id is not None else 0)
        )
        with self._lock:
            if self._floor:
                after = self._floor if after is None else max(after, self._floor)
            present = [n for n in wanted if n in self._by_name]
            if not shape:
                choices = [[self._events]]
            else:
                choices = []
                if wanted:
                    choices.append([self._by_name[n] for n in present])
                if user_id is not None:
                    choices.append([self._by_user.get(user_id, [])])
                if course_id is not None:
                    choices.append([self._by_course.get(course_id, [])])
            spans = min(
                ([(lst, _start(lst, after), len(lst)) for lst in lists] for lists in choices),
                key=lambda spans: sum(end - start for _, start, end in spans),
            )
            exact = len(choices) == 1  # one filter kind: its lists hold only matching events
            if not exact:
                combined = self._combination(shape, present, user_id, course_id, spans)
                if combined is not None:
                    spans = [(lst, _start(lst, after), len(lst)) for lst in combined]
                    exact = True
        if exact:
            cut = [lst[start:end] if limit is None else lst[start : min(end, start + limit)]
                   for lst, start, end in spans]  # fmt: skip
            if len(cut) == 1:
                return cut[0]
            # Sorted runs: the sort merges them in C, faster than heapq.merge at this size.
            merged = [event for run in cut for event in run]
            merged.sort(key=_seq)
            return merged if limit is None else merged[:limit]
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

    def _combination(
        self,
        shape: int,
        names: list[str],
        user_id: int | None,
        course_id: int | None,
        narrowest: list[tuple[list[LiveEvent], int, int]],
    ) -> list[list[LiveEvent]] | None:
        """The combination lists of a query of two or more filters (one per name it names that
        has events), building the missing ones; None when one is missing and the narrowest
        single index's walk (``narrowest``, past ``after``) is ``combine_over`` events or fewer.
        Called under the lock."""
        built = self._combined.get(shape)
        if built is None:
            built = {}
        keyed = [
            _KEY[shape]((name, user_id, course_id))
            for name in (names if shape & _NAME else (None,))
        ]
        lists = [built.get(key) for key in keyed]
        if all(lst is not None for lst in lists):
            return lists  # type: ignore[return-value]
        if sum(end - start for _, start, end in narrowest) <= self.combine_over:
            return None
        self._combined[shape] = built
        for i, key in enumerate(keyed):
            if lists[i] is None:
                name = key[0] if shape & _NAME else None
                lists[i] = built[key] = self._build(shape, name, user_id, course_id)
        return lists  # type: ignore[return-value]

    def _build(
        self, shape: int, name: str | None, user_id: int | None, course_id: int | None
    ) -> list[LiveEvent]:
        """The events of one combination key, in seq order: the shortest of its single indexes,
        filtered. add() takes the same lock, so no event can arrive between this walk and the
        list being registered (the audit log's writers check for built lists without a lock,
        hence its "mark built before the walk"; here the lock covers both)."""
        candidates: list = []
        if shape & _NAME:
            candidates.append(self._by_name.get(name, ()))  # type: ignore[arg-type]
        if shape & _USER:
            candidates.append(self._by_user.get(user_id, ()))  # type: ignore[arg-type]
        if shape & _COURSE:
            candidates.append(self._by_course.get(course_id, ()))  # type: ignore[arg-type]
        shortest = min(candidates, key=len)
        start = _start(shortest, self._floor or None)
        return [
            event
            for event in shortest[start:]
            if (not shape & _NAME or event.name == name)
            and (not shape & _USER or event.user_id == user_id)
            and (not shape & _COURSE or event.course_id == course_id)
        ]


def _start(events: list[LiveEvent], after: int | None) -> int:
    """Where the events with ``seq > after`` begin in a seq-ordered list."""
    return 0 if after is None else bisect.bisect_right(events, after, key=_seq)


class EventBus:
    """Numbers events, keeps them in the inbox and hands them to every subscribed sink."""

    def __init__(self, inbox_capacity: int = DEFAULT_INBOX_CAPACITY) -> None:
        self.inbox = Inbox(capacity=inbox_capacity)
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

    def rewind(self, seq: int) -> None:
        """Number the next event ``seq + 1`` again: a write that failed before publishing gives
        back the numbers it took (services/grading.py ``atomic``). Call under the write lock."""
        with self._lock:
            self._seq = seq

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
