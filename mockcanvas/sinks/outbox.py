"""The delivery worker every sink is built on: a bounded queue, worker threads, retries and a log.

An outbox never blocks the thread that publishes: ``submit`` renders the event and enqueues it (or
records why it could not), and ``concurrency`` daemon threads per subscription deliver it. Events
about one student (``user_id``) are delivered one at a time in emission order; events about
different students may be in flight together (a receiver that needs one total order sets
``concurrency`` to 1). Every attempt and every fate is written to the delivery log, so no event
disappears silently:

- ``delivered``: the transport accepted it;
- ``retrying``: an attempt failed with a retryable error (connection error, timeout, 5xx, 408, 429);
  the next attempt follows after an exponential backoff;
- ``dead``: the event failed for good (attempts exhausted, a non-retryable answer, or the
  subscription is deactivated); it is kept with its payload and can be redelivered;
- ``skipped``: the subscription's format has no form for this event (Caliper covers
  ``grade_change`` only);
- ``dropped_overflow``: the queue was full (``queue_bytes`` of JSON payloads, or ``queue_size``
  events, waiting); kept with its payload and can be redelivered;
- ``undelivered_at_shutdown``: still pending when ``close`` ran out of time.

After ``failure_budget`` events in a row have gone ``dead`` the subscription is deactivated, the
mock's version of Canvas's "repeated failures within 24 hours deactivate the subscription": later
events are dead-lettered without an attempt until ``reactivate()``; ``redeliver()`` requeues the
dead and overflowed ones.

Memory is bounded: the log keeps its newest ``log_capacity`` entries and the held payloads (dead,
overflowed, undelivered) their newest ``held_capacity``; what goes is counted (``memory()``), and
``clear_history()`` (a reset) empties both, counted too.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, cast

from ..events import LiveEvent
from ..jsonenc import dumps

log = logging.getLogger("mockcanvas.sinks")

Render = Callable[[LiveEvent], "dict | None"]

# An event's fate, as counted by ``counts()``: one of these at any time.
STATUSES = (
    "queued",
    "sending",
    "delivered",
    "dead",
    "skipped",
    "dropped_overflow",
    "undelivered_at_shutdown",
)
# What ``redeliver()`` requeues.
REDELIVERABLE = frozenset({"dead", "dropped_overflow"})
# Fates that keep the payload in the log and in ``unfinished()``.
HELD = frozenset({"dead", "dropped_overflow", "undelivered_at_shutdown"})
# How many queued events an outbox that encodes ahead (signed webhooks) prepares in advance.
ENCODE_AHEAD = 32
_ENCODING = object()  # a ticket the encoder thread is working on
# How far into the queue a free worker looks for an event whose student has none in flight.
PICK_AHEAD = 64


@dataclass(frozen=True)
class DeliveryPolicy:
    """How an outbox queues and retries; the defaults are what ``mockcanvas serve`` uses."""

    queue_size: int = 1_000_000  # new events waiting at most; beyond it: dropped_overflow
    queue_bytes: int = 64 * 1024 * 1024  # ... and JSON bytes of their payloads waiting at most
    concurrency: int = 4  # deliveries in flight at once (one per student: see Outbox)
    log_capacity: int = 50_000  # delivery log entries kept; the oldest beyond are evicted
    held_capacity: int = 10_000  # dead/overflowed/undelivered payloads kept for redelivery
    timeout: float = 5.0  # seconds per attempt (connect and each read)
    backoff_base: float = 0.5  # seconds before the 2nd attempt; doubles each retry ...
    backoff_max: float = 30.0  # ... up to this
    max_attempts: int = 5  # attempts per event before it is dead
    failure_budget: int = 10  # dead events in a row that deactivate the subscription

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)

    def as_dict(self) -> dict:
        return asdict(self)


class DeliveryError(Exception):
    """A failed attempt: the text logged, the status if one came back, and whether to retry."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class SinkStateError(RuntimeError):
    """An operation the subscription's state does not allow (e.g. redeliver while deactivated)."""


def stamp(moment: datetime) -> str:
    """UTC with milliseconds, as Live Events' ``event_time``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Ticket:
    """One event's passage through the outbox."""

    __slots__ = (
        "attempts",
        "encoded",
        "event",
        "message",
        "number",
        "round_attempts",
        "size",
        "status",
        "wire",
    )

    def __init__(
        self, number: int, event: LiveEvent, message: dict | None, wire: str | None = None
    ) -> None:
        self.number = number
        self.event = event
        self.message = message
        self.wire = wire  # the message as JSON, made once on submit (sizes the queue)
        self.size = len(wire) if wire is not None else 0
        self.status = "new"
        self.attempts = 0  # over the event's whole life, redeliveries included
        self.round_attempts = 0  # since it was last queued
        self.encoded: object = None  # the wire form made ahead of the first attempt, if any


class Outbox:
    """Base of every sink: subclasses implement ``send`` (and ``release`` if they hold resources).

    ``send(message, event, attempt)`` delivers one rendered message; it returns the status code
    the other side answered (or None where there is none) and raises ``DeliveryError`` (or any
    exception, taken as retryable) when the attempt failed.

    A subclass that sets ``takes_wire`` gets the message's JSON text (made once, on submit, to
    size the queue) as ``encoded``. One with ``max_concurrency`` runs at most that many workers
    (a file appends from one). A subclass whose wire form is costly to make (an RS256 signature
    takes about a millisecond) sets ``encodes_ahead`` and implements ``encode``: a second thread
    then encodes the next queued events while the worker waits on the network, and ``send`` gets
    the result as ``encoded`` on an event's first attempt (retries encode afresh).
    """

    kind = "outbox"
    encodes_ahead = False
    takes_wire = False
    max_concurrency: int | None = None

    def __init__(
        self,
        *,
        policy: DeliveryPolicy | None = None,
        now: Callable[[], datetime] | None = None,
        render: Render | None = None,
        name: str = "outbox",
    ) -> None:
        self.policy = policy or DeliveryPolicy()
        self.name = name
        self._now = now or (lambda: datetime.now(UTC))
        self._render = render or (lambda event: event.payload)
        self._cond = threading.Condition(threading.RLock())
        self._queue: deque[_Ticket] = deque()
        self._queued_bytes = 0  # JSON bytes of the queued tickets' messages
        self._inflight: dict[int, _Ticket] = {}  # being delivered, by ticket number
        self._busy: set[int | None] = set()  # the students (user_id) with an event in flight
        # dead, overflowed, undelivered: by ticket number, in the order they were held
        self._held: OrderedDict[int, _Ticket] = OrderedDict()
        self._log: deque[dict] = deque()  # the newest entries; entry n is at n - _log_first
        self._log_first = 1
        self._log_by_event: dict[str, list[int]] = {}  # event id -> its log entries' numbers
        self._log_evicted = self._log_cleared = 0
        self._held_evicted = self._held_cleared = 0
        self._counts: Counter[str] = Counter()
        self._attempts = 0
        self._tickets = 0
        self._state = "active"
        self._failures = 0  # dead events in a row
        self._deactivated_at: str | None = None
        self._stopped = False
        workers = self.policy.concurrency
        if self.max_concurrency is not None:
            workers = min(workers, self.max_concurrency)
        self._threads = [
            threading.Thread(target=self._run, name=f"mockcanvas-sink-{name}-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        self._running = len(self._threads)
        for thread in self._threads:
            thread.start()
        self._encoder: threading.Thread | None = None
        if self.encodes_ahead:
            self._encoder = threading.Thread(
                target=self._encode_ahead, name=f"mockcanvas-encode-{name}", daemon=True
            )
            self._encoder.start()

    # -- what subclasses provide ----------------------------------------------------------------

    def send(
        self, message: dict, event: LiveEvent, attempt: int, encoded: Any = None
    ) -> int | None:
        """Deliver once; ``encoded`` is the wire form (see ``takes_wire`` and ``encode``)."""
        raise NotImplementedError

    def encode(self, message: dict, event: LiveEvent) -> object:
        """The wire form of a message, made ahead of sending (only if ``encodes_ahead``)."""
        raise NotImplementedError

    def release(self) -> None:
        """Free files, clients and sockets; called once, on the last worker thread to end."""

    # -- the Sink protocol ----------------------------------------------------------------------

    def submit(self, event: LiveEvent) -> None:
        """Queue an event for delivery; never blocks on delivery and never raises."""
        error = None
        try:
            message = self._render(event)
        except Exception as exc:  # a formatting bug must not fail the grading request
            log.exception("sink %s could not render event %s", self.name, event.id)
            message, error = None, f"render failed: {type(exc).__name__}: {exc}"
        wire = None
        if message is not None and error is None:
            try:
                wire = dumps(message)
            except Exception as exc:
                message, error = None, f"render failed: {type(exc).__name__}: {exc}"
        with self._cond:
            self._tickets += 1
            ticket = _Ticket(self._tickets, event, message, wire)
            if self._state == "closed":
                self._settle(ticket, "undelivered_at_shutdown", error="subscription closed")
            elif error is not None:
                self._settle(ticket, "dead", error=error)
            elif message is None:
                self._settle(ticket, "skipped", error="no form for this event in this format")
            elif self._state == "deactivated":
                self._settle(ticket, "dead", error="subscription deactivated")
            else:
                self._enqueue(ticket)

    def close(self, timeout: float = 5.0) -> None:
        """Flush for at most ``timeout`` seconds, then record what is left as undelivered."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            self._cond.wait_for(self._idle, timeout=max(0.0, deadline - time.monotonic()))
            if self._state == "closed":
                return
            self._stopped = True
            self._state = "closed"
            left = list(self._queue)
            self._queue.clear()
            self._queued_bytes = 0
            sending = [t for _, t in sorted(self._inflight.items()) if t.status == "sending"]
            left[:0] = sending
            for ticket in left:
                self._settle(ticket, "undelivered_at_shutdown", error="still pending at shutdown")
            self._cond.notify_all()
        if left:
            log.warning(
                "sink %s closed with %d events undelivered (kept in its delivery log)",
                self.name,
                len(left),
            )
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- control --------------------------------------------------------------------------------

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once every queued event has been delivered or dead-lettered (or after close)."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout=timeout)

    def wait_room(self, limit: int, timeout: float | None = None) -> bool:
        """True once fewer than ``limit`` events are queued (or the outbox stopped delivering).

        For a producer that paces itself to the sink (``mockcanvas simulate`` at full speed);
        grading itself never waits.
        """
        with self._cond:
            return self._cond.wait_for(
                lambda: len(self._queue) < limit or self._state != "active", timeout=timeout
            )

    def queued(self) -> int:
        """Events waiting in the queue now (not counting the one being sent)."""
        with self._cond:
            return len(self._queue)

    def reactivate(self) -> None:
        """Deliver again after a deactivation; dead events stay dead until ``redeliver()``."""
        with self._cond:
            if self._state == "closed":
                raise SinkStateError("the subscription is closed")
            self._state = "active"
            self._failures = 0
            self._deactivated_at = None

    def redeliver(self, event_id: str | None = None) -> int:
        """Requeue every dead and overflowed event (or only the one with ``event_id``), oldest
        first; returns how many were queued.

        The queue's bound does not apply: these events are held in memory already, and a
        redelivery cut short by the bound would only overflow (and log) them again.
        """
        with self._cond:
            if self._state != "active":
                raise SinkStateError(f"the subscription is {self._state}; reactivate it first")
            queued = 0
            for number in sorted(self._held):
                ticket = self._held[number]
                if ticket.status in REDELIVERABLE and event_id in (None, ticket.event.id):
                    ticket.round_attempts = 0
                    ticket.encoded = None  # sign afresh: the key may have rotated since
                    if ticket.wire is None and ticket.message is not None:
                        ticket.wire = dumps(ticket.message)
                        ticket.size = len(ticket.wire)
                    queued += self._enqueue(ticket, bounded=False)
            return queued

    # -- inspection -----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``active``, ``deactivated`` (after the failure budget) or ``closed``."""
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    @property
    def deactivated_at(self) -> str | None:
        return self._deactivated_at

    def counts(self) -> dict[str, int]:
        """Events by current fate (they add up to ``submitted``), plus attempts made."""
        with self._cond:
            counts = {status: self._counts[status] for status in STATUSES}
            counts["submitted"] = self._tickets
            counts["attempts"] = self._attempts
            return counts

    def log(self, after: int = 0, limit: int | None = None) -> list[dict]:
        """Delivery log entries with ``n > after`` still kept, oldest first."""
        with self._cond:
            start = max(0, after + 1 - self._log_first)
            end = len(self._log) if limit is None else start + max(0, limit)
            return [dict(entry) for entry in itertools.islice(self._log, start, end)]

    def event_log(self, event_id: str) -> list[dict]:
        """The kept log entries of one event, oldest first: an index lookup, not a scan of the
        log (after a reset, event ids repeat, so an id may gather entries of both events)."""
        with self._cond:
            first = self._log_first
            return [dict(self._log[n - first]) for n in self._log_by_event.get(event_id, ())]

    def log_size(self) -> int:
        with self._cond:
            return len(self._log)

    def memory(self) -> dict:
        """What the outbox holds against its caps, and what left them (evicted past a cap,
        cleared by a reset): the log, the held payloads and the queue."""
        with self._cond:
            policy = self.policy
            return {
                "log": {
                    "size": len(self._log),
                    "capacity": policy.log_capacity,
                    "evicted": self._log_evicted,
                    "cleared": self._log_cleared,
                },
                "held": {
                    "size": len(self._held),
                    "capacity": policy.held_capacity,
                    "evicted": self._held_evicted,
                    "cleared": self._held_cleared,
                },
                "queue": {
                    "size": len(self._queue),
                    "bytes": self._queued_bytes,
                    "capacity_bytes": policy.queue_bytes,
                    "capacity": policy.queue_size,
                    "in_flight": len(self._inflight),
                },
            }

    def clear_history(self) -> dict[str, int]:
        """Forget the log and the held payloads (a reset); returns how many of each went.

        Queued and in-flight events are kept and still delivered: they were emitted. Entry
        numbers go on, so ``after=`` cursors stay valid. The fates in ``counts()`` are totals and
        stay; a dead or overflowed event cleared here can no longer be redelivered.
        """
        with self._cond:
            entries, held = len(self._log), len(self._held)
            self._log_first += entries
            self._log = deque()
            self._log_by_event = {}
            self._held = OrderedDict()
            self._log_cleared += entries
            self._held_cleared += held
            return {"log_entries": entries, "held_payloads": held}

    def unfinished(self) -> list[dict]:
        """Events not delivered (dead, overflowed, undelivered), oldest first, with payloads."""
        with self._cond:
            return [
                {
                    "seq": t.event.seq,
                    "event_id": t.event.id,
                    "event_name": t.event.name,
                    "status": t.status,
                    "attempts": t.attempts,
                    "event": t.event.payload,
                }
                for _, t in sorted(self._held.items())
            ]

    # -- internals ------------------------------------------------------------------------------

    def _idle(self) -> bool:
        return not self._queue and not any(t.status == "sending" for t in self._inflight.values())

    def _move(self, ticket: _Ticket, status: str) -> None:
        if ticket.status in self._counts:
            self._counts[ticket.status] -= 1
        ticket.status = status
        self._counts[status] += 1
        if status in HELD:
            ticket.wire = None  # made again if it is redelivered
            self._held[ticket.number] = ticket
            while len(self._held) > self.policy.held_capacity:
                _, gone = self._held.popitem(last=False)
                self._held_evicted += 1
                first = self._log_first
                for n in self._log_by_event.get(gone.event.id, ()):
                    entry = self._log[n - first]
                    if entry["seq"] == gone.event.seq:
                        entry.pop("event", None)  # the payload goes with the held ticket
        else:
            self._held.pop(ticket.number, None)

    def _enqueue(self, ticket: _Ticket, *, bounded: bool = True) -> int:
        policy = self.policy
        if bounded and (
            len(self._queue) >= policy.queue_size
            # one event larger than the bound still queues alone: it is not overflow
            or (self._queue and self._queued_bytes + ticket.size > policy.queue_bytes)
        ):
            self._settle(ticket, "dropped_overflow", error="queue full")
            overflowed = self._counts["dropped_overflow"]
            if overflowed == 1 or overflowed % 1000 == 0:
                log.warning(
                    "sink %s: queue full (%d events, %d bytes); events recorded as "
                    "dropped_overflow (%d so far)",
                    self.name,
                    len(self._queue),
                    self._queued_bytes,
                    overflowed,
                )
            return 0
        self._move(ticket, "queued")
        self._queue.append(ticket)
        self._queued_bytes += ticket.size
        self._cond.notify_all()
        return 1

    def _settle(
        self,
        ticket: _Ticket,
        outcome: str,
        *,
        attempt: int = 0,
        status: int | None = None,
        error: str | None = None,
        latency_ms: float | None = None,
    ) -> None:
        """Write a log entry and, unless it is ``retrying``, give the ticket that fate."""
        entry = {
            "n": 0,  # numbered below
            "seq": ticket.event.seq,
            "event_id": ticket.event.id,
            "event_name": ticket.event.name,
            "attempt": attempt,
            "time": stamp(self._now()),
            "wall_time": stamp(datetime.now(UTC)),
            "outcome": outcome,
            "status": status,
            "error": error,
            "latency_ms": latency_ms,
        }
        if outcome in HELD:
            entry["event"] = ticket.event.payload
        n = entry["n"] = self._log_first + len(self._log)
        self._log_by_event.setdefault(ticket.event.id, []).append(n)
        self._log.append(entry)
        if len(self._log) > self.policy.log_capacity:
            gone = self._log.popleft()
            self._log_first += 1
            self._log_evicted += 1
            numbers = self._log_by_event[gone["event_id"]]
            del numbers[0]  # the oldest entry of its event: numbers only grow
            if not numbers:
                del self._log_by_event[gone["event_id"]]
        if outcome != "retrying":
            self._move(ticket, outcome)

    def _pick(self) -> int | None:
        """The queue position of the next event whose student has nothing in flight (events
        of one student go out one at a time, in order), looking ``PICK_AHEAD`` deep. While the
        receiver is failing, one delivery at a time: the failure budget counts attempts exactly."""
        busy = self._busy
        if not busy:
            return 0 if self._queue else None
        if self._failures:
            return None  # a failing receiver gets one attempt at a time, until one succeeds
        for i, ticket in enumerate(itertools.islice(self._queue, PICK_AHEAD)):
            if ticket.event.user_id not in busy:
                return i
        return None

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopped or self._pick() is not None)
                    if self._stopped:
                        return
                    at = self._pick()
                    assert at is not None
                    ticket = self._queue[at]
                    del self._queue[at]
                    self._queued_bytes -= ticket.size
                    self._move(ticket, "sending")
                    self._inflight[ticket.number] = ticket
                    key = ticket.event.user_id
                    self._busy.add(key)
                try:
                    self._deliver(ticket)
                finally:
                    with self._cond:
                        self._inflight.pop(ticket.number, None)
                        self._busy.discard(key)
                        self._cond.notify_all()
        finally:
            with self._cond:
                self._running -= 1
                last = self._running == 0
            if last:
                try:
                    self.release()
                except Exception:
                    log.exception("sink %s: releasing its resources failed", self.name)

    def _deliver(self, ticket: _Ticket) -> None:
        policy = self.policy
        while True:
            with self._cond:
                if ticket.status != "sending":  # closed under us: already settled
                    return
                if self._state == "deactivated":
                    self._settle(ticket, "dead", error="subscription deactivated")
                    return
                ticket.attempts += 1
                ticket.round_attempts += 1
                attempt = ticket.attempts
                self._attempts += 1
                encoded: object = ticket.wire if self.takes_wire else None
                if self._encoder is not None:
                    # the encoder may be busy on this very ticket: wait rather than do it twice
                    self._cond.wait_for(lambda: ticket.encoded is not _ENCODING or self._stopped)
                    encoded, ticket.encoded = ticket.encoded, None
            status, error, retryable, retry_after = None, None, True, None
            message = cast(dict, ticket.message)  # only tickets with a message are queued
            started = time.perf_counter()
            try:
                if encoded is None or encoded is _ENCODING:
                    status = self.send(message, ticket.event, attempt)
                else:
                    status = self.send(message, ticket.event, attempt, encoded=encoded)
            except DeliveryError as exc:
                status, error = exc.status, exc.message
                retryable, retry_after = exc.retryable, exc.retry_after
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            latency = round((time.perf_counter() - started) * 1000, 1)
            with self._cond:
                settled = ticket.status != "sending"  # close() gave up on it meanwhile
                if error is None:
                    self._settle(
                        ticket, "delivered", attempt=attempt, status=status, latency_ms=latency
                    )
                    if not settled:
                        self._failures = 0
                    return
                final = (
                    settled
                    or not retryable
                    or ticket.round_attempts >= policy.max_attempts
                    or self._stopped
                )
                outcome = "dead" if final else "retrying"
                if settled:
                    outcome = "undelivered_at_shutdown"
                self._settle(
                    ticket, outcome, attempt=attempt, status=status, error=error, latency_ms=latency
                )
                if final:
                    if outcome == "dead":
                        self._count_failure()
                    return
                delay = policy.backoff(ticket.round_attempts)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, policy.backoff_max))
                self._cond.wait_for(lambda: self._stopped, timeout=delay)

    def _next_to_encode(self) -> _Ticket | None:
        for ticket in itertools.islice(self._queue, ENCODE_AHEAD):
            if ticket.encoded is None and ticket.round_attempts == 0:
                return ticket
        return None

    def _encode_ahead(self) -> None:
        """The encoder thread: prepare the wire form of the next few queued events."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopped or self._next_to_encode() is not None)
                if self._stopped:
                    return
                ticket = self._next_to_encode()
                assert ticket is not None
                ticket.encoded = _ENCODING
            try:
                # only tickets with a message are queued
                encoded = self.encode(cast(dict, ticket.message), ticket.event)
            except Exception:  # the worker encodes it again and records the error
                encoded = None
            with self._cond:
                ticket.encoded = encoded
                self._cond.notify_all()

    def _count_failure(self) -> None:
        self._failures += 1
        if self._state != "active" or self._failures < self.policy.failure_budget:
            return
        self._state = "deactivated"
        self._deactivated_at = stamp(self._now())
        log.warning(
            "sink %s deactivated after %d failed events in a row; later events are dead-lettered",
            self.name,
            self._failures,
        )
        while self._queue:
            self._settle(self._queue.popleft(), "dead", error="subscription deactivated")
        self._queued_bytes = 0
        self._cond.notify_all()
