"""The inspector: a page for people running ``mockcanvas serve``, and the routes only it needs.

``GET /_mockcanvas/inspector`` is the page, ``/_mockcanvas/inspector/static/<file>`` its script and
style (files of ``mockcanvas/inspector/``, shipped in the wheel), and ``GET /`` redirects to it.
The page and its files hold no data, so they are served without the control token (a browser
cannot send a header when it follows a link); everything the page shows comes from routes that
need it: the page takes ``?token=`` once, keeps it in sessionStorage and sends it as
``X-Mockcanvas-Token``.

``GET /_mockcanvas/live_events/stream`` sends the inbox as server-sent events. A stream holds one
of the WSGI server's worker threads while it is open (waitress has a fixed pool: four), so at most
``MAX_LONG_WAITS`` streams and subscription waits together are open at once (503 past that),
each stream ends after ``timeout`` seconds (30 at most; EventSource reconnects by itself with
``Last-Event-ID``), and a stopping ``LiveServer`` ends them at once. It waits on the inbox's
own condition, never under the instance's write lock. Its ids are ``<generation>-<seq>`` (see
``live_event_stream``) so that a client resuming across a reset it did not see is told so
instead of silently missing the new history's first events.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, redirect, request
from werkzeug.wsgi import ClosingIterator

from ..errors import BadRequest, NotFound
from ..events import Inbox
from ..instance import current_instance
from ..jsonenc import dumps
from ..live_server import THREADS
from ..presenters import inspector as present
from ..resources import _PACKAGE
from ..sinks import registry as sinks
from .reading import consistent
from .responses import canvas_json

blueprint = Blueprint("inspector", __name__)

PAGE_PATH = "/_mockcanvas/inspector"
STATIC_PREFIX = PAGE_PATH + "/static/"
FILES = _PACKAGE / "inspector"
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
_FILE_NAME = re.compile(r"[A-Za-z0-9_-]+\.(js|css|png)")
_DIGITS = re.compile(r"[0-9]+")
# A resume point: ``<generation>-<seq>`` as the stream sends it, or a bare ``<seq>`` (older form).
_RESUME = re.compile(r"(?:([0-9]+)-)?([0-9]+)")
# Past 18 digits a number is above any real seq, generation or count: kept as this, since int()
# refuses a string past 4,300 digits and a header may hold far more.
_BEYOND = 10**18

# Long waits (these streams and ``POST /_mockcanvas/subscriptions/<id>/wait``) share one pool of
# slots: of waitress's THREADS workers, two always stay free for every other request.
MAX_LONG_WAITS = max(1, THREADS - 2)
MAX_STREAMS = MAX_LONG_WAITS  # the older name: streams have no slots of their own
STREAM_TIMEOUT_MAX = 30.0
# Seconds between comments on an idle stream. They keep proxies from dropping a quiet
# connection, and they are how a closed client is noticed: waitress does not read a connection
# while its request runs, so only a write that fails tells it the page was closed or reloaded
# (the second write after the close; until then the stream holds its slot and its worker).
KEEPALIVE = 1.0
BACKLOG_DEFAULT = 50
BACKLOG_MAX = 500
_BATCH = 200
EXTENSION = "mockcanvas_streams"
COURSES_PER_PAGE_MAX = 100
PEOPLE_PER_PAGE_MAX = 500
DELIVERIES_MAX_EVENTS = 100


def is_public(path: str) -> bool:
    """The page and its files: no data in them, so no control token needed."""
    return path == PAGE_PATH or path.startswith(STATIC_PREFIX)


# -- the page ----------------------------------------------------------------------------------


def _file(name: str) -> Response:
    path = FILES / name
    if not path.is_file():
        raise NotFound()
    response = Response(path.read_bytes(), content_type=_CONTENT_TYPES[path.suffix])
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get(PAGE_PATH)
def page() -> Response:
    response = _file("index.html")
    # Only this server's own files run; no inline script, no framing by other sites.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return response


@blueprint.get(STATIC_PREFIX + "<name>")
def static_file(name: str) -> Response:
    if not _FILE_NAME.fullmatch(name):
        raise NotFound()
    return _file(name)


def claim_root(app: Flask) -> None:
    """``GET /`` redirects to the page, unless a route already answers ``/``."""
    if any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        return
    app.add_url_rule("/", "inspector_root", lambda: redirect(PAGE_PATH, 302), methods=["GET"])


# -- the world, a slice at a time --------------------------------------------------------------


def _count(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not _DIGITS.fullmatch(text):
        raise BadRequest(f"{name} must be a positive integer")
    return min(max(_whole(text), low), high)


def _whole(digits: str) -> int:
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 18 else _BEYOND


@blueprint.get("/_mockcanvas/world/courses")
@consistent
def world_courses() -> Response:
    """Courses in id order, a page at a time, with the seeded admin (the audit log's reader)."""
    store = current_instance().store
    page = _count("page", 1, 1, 2**31)
    per_page = _count("per_page", 50, 1, COURSES_PER_PAGE_MAX)
    ordered = list(store.courses)  # the order GET /world lists them in
    start = (page - 1) * per_page
    courses = [store.courses[i] for i in ordered[start : start + per_page]]
    more = page + 1 if start + per_page < len(ordered) else None
    return canvas_json(present.course_list_json(store, courses, more))


@blueprint.get("/_mockcanvas/world/courses/<course_id>")
@consistent
def world_course(course_id: str) -> Response:
    """One course: its assignments, graders, and a page of its people with roles and tokens."""
    store = current_instance().store
    course = store.courses.get(_whole(course_id)) if _DIGITS.fullmatch(course_id) else None
    if course is None:
        raise NotFound()
    page = _count("page", 1, 1, 2**31)
    per_page = _count("per_page", 100, 1, PEOPLE_PER_PAGE_MAX)
    return canvas_json(present.course_detail_json(store, course, page, per_page))


# -- deliveries --------------------------------------------------------------------------------


@blueprint.get("/_mockcanvas/live_events/deliveries")
def deliveries() -> Response:
    """Each ``event_id``'s fate per subscription (its latest log entry), for the feed."""
    ids = request.args.getlist("event_id")
    if len(ids) > DELIVERIES_MAX_EVENTS:
        raise BadRequest(f"at most {DELIVERIES_MAX_EVENTS} event_id values")
    subscriptions = sinks.registry_for(current_instance().bus).all()
    found = {i: [(s, s.event_log(i)) for s in subscriptions] for i in dict.fromkeys(ids)}
    return canvas_json(present.deliveries_json(found))


# -- the event stream --------------------------------------------------------------------------


class Streams:
    """The long waits open in one app (event streams, subscription waits): a cap, and a way to
    end them all."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._lock = threading.Lock()
        self._open: set[threading.Event] = set()

    def open(self) -> threading.Event | None:
        with self._lock:
            if len(self._open) >= self.cap:
                return None
            stop = threading.Event()
            self._open.add(stop)
            return stop

    def close(self, stop: threading.Event) -> None:
        with self._lock:
            self._open.discard(stop)

    def count(self) -> int:
        with self._lock:
            return len(self._open)

    def stop_all(self) -> None:
        with self._lock:
            for stop in self._open:
                stop.set()


def busy(cap: int) -> Response:
    """The answer when every long-wait slot is taken: try again soon."""
    return canvas_json(
        {
            "message": f"too many long waits open (event streams and subscription waits share "
            f"{cap} slots, so that the server always keeps workers free); close one or try "
            "again shortly"
        },
        503,
        {"Retry-After": "5"},
    )


def streams_of(app: Flask) -> Streams:
    streams = app.extensions.get(EXTENSION)
    if streams is None:
        streams = app.extensions.setdefault(EXTENSION, Streams(MAX_STREAMS))
    return streams


def stop_streams(app: Flask) -> None:
    """End every open stream of ``app`` now (a server is stopping: its workers must come free)."""
    streams = app.extensions.get(EXTENSION)
    if streams is None:
        return
    streams.stop_all()
    inst = app.extensions.get("mockcanvas")
    if inst is not None:
        inst.bus.inbox.wake()


def _seconds(name: str, default: float) -> float:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise BadRequest(f"{name} must be a number of seconds")
    return min(float(text), STREAM_TIMEOUT_MAX)


def _message(generation: int, event) -> str:
    entry = dumps(present.stream_entry(event))
    return f"id: {generation}-{event.seq}\nevent: live_event\ndata: {entry}\n\n"


def _reset_message(generation: int) -> str:
    # Its id is the new history's start: a client that drops right after it resumes from there
    # rather than being told of the same reset again.
    return f'id: {generation}-0\nevent: reset\ndata: {{"reset":true}}\n\n'


def _evicted_message(generation: int, after: int, first_kept: int) -> str:
    # The inbox is bounded: events between the client's last one and the oldest kept are gone.
    # Say how many and go on past them, so a gap is told, never silent.
    missed = first_kept - 1 - after
    data = f'{{"evicted":{missed},"after":{after},"first":{first_kept}}}'
    return f"id: {generation}-{first_kept - 1}\nevent: evicted\ndata: {data}\n\n"


def _resume_point(name: str, text: str) -> tuple[int | None, int]:
    """``(generation or None for a bare seq, seq)`` of a ``Last-Event-ID`` or ``?after=``."""
    found = _RESUME.fullmatch(text)
    if found is None:
        raise BadRequest(f"{name} must be an id the stream sent (generation-seq, as 0-7) or a seq")
    generation, seq = found.groups()
    return (None if generation is None else _whole(generation)), _whole(seq)


def _start(
    inbox: Inbox, generation: int, resume: tuple[int | None, int] | None, backlog: int
) -> int | None:
    """The seq to send after, or None when the client's numbering is not this inbox's (reset)."""
    if resume is None:
        first = inbox.tail(backlog)
        return first[0].seq - 1 if first else inbox.last_seq()
    seen_generation, seq = resume
    if seen_generation is not None and seen_generation != generation:
        return None  # numbered in an inbox emptied since (or in another server's)
    if seq > inbox.last_seq():
        return None  # a seq this history has not reached: numbered before a reset or restart
    return seq


def _stream(
    inbox: Inbox,
    resume: tuple[int | None, int] | None,
    backlog: int,
    timeout: float,
    stop: threading.Event,
    streams: Streams,
) -> Iterator[str]:
    try:
        deadline = time.monotonic() + timeout
        generation = inbox.generation
        after = _start(inbox, generation, resume, backlog)
        # retry: EventSource reconnects two seconds after the stream ends. The id is where this
        # stream starts, so a client that drops before any event resumes here, not at a backlog.
        if after is None:
            yield "retry: 2000\n\n"
            yield _reset_message(generation)
            after = 0
        else:
            yield f"retry: 2000\nid: {generation}-{after}\n\n"
        while not stop.is_set():
            now_generation = inbox.generation
            if now_generation != generation:  # cleared under us: numbering starts over
                generation, after = now_generation, 0
                yield _reset_message(generation)
            batch = inbox.since(after, _BATCH)
            if inbox.generation != generation:
                continue  # cleared while read: the batch may be either history's; go round
            if batch and batch[0].seq > after + 1:  # numbering has no gaps: these were evicted
                yield _evicted_message(generation, after, batch[0].seq)
            for event in batch:
                yield _message(generation, event)
                after = event.seq
            if len(batch) == _BATCH:
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return
            woke = inbox.wait(after, generation, min(KEEPALIVE, left), stop)
            if not woke and deadline - time.monotonic() > 0:
                yield ": keep-alive\n\n"
    finally:
        streams.close(stop)


@blueprint.get("/_mockcanvas/live_events/stream")
def live_event_stream() -> Response:
    """Server-sent events: ``id: <generation>-<seq>``, ``event: live_event``, ``data:`` the inbox
    entry. ``generation`` counts how often the inbox was emptied (reset, import, ``DELETE
    /_mockcanvas/live_events``) since the server started; after a reset ``seq`` starts at 1 again,
    so a seq alone cannot say which history it belongs to. The stream's first message (``retry:``)
    carries the id it starts after, and ``event: reset`` carries ``<new generation>-0``.

    Starts after ``Last-Event-ID`` (or, without one, ``?after=``), else with the last ``backlog``
    events. An id of the current generation resumes right after its seq; one of another
    generation, or with a seq the inbox has not reached, gets ``event: reset`` and then the whole
    new history. A bare ``<seq>`` (the older form) is taken as the current generation's: a reset
    the client did not see goes unnoticed unless the seq is above the last one.

    A server restart (or a new event bus: the test fixtures' ``close_subscriptions``) counts from
    generation 0 again; same seed and requests, same bytes, so nothing in an id tells two servers
    apart (a random or time-based epoch would break that). A resuming id of a generation above 0,
    or with a seq the new server has not reached, gets the reset; ``0-<seq>`` with seq at or below
    the new last resumes after it: events 1..seq of the new server are not sent. A client that
    knows the server restarted must drop its id.

    The inbox is bounded (``inbox_capacity``): when events after the client's id were evicted
    before it got them, ``event: evicted`` says so (``{"evicted": n, "after": seq, "first": seq}``,
    its id just before the oldest kept) and the stream goes on from the oldest kept event.

    Stays open ``timeout`` seconds (default 30 for ``Accept: text/event-stream``, else 0: a plain
    client gets what there is and the end)."""
    inbox = current_instance().bus.inbox
    header = request.headers.get("Last-Event-ID") or None
    after_text = request.args.get("after") or None
    if header is not None:
        resume = _resume_point("Last-Event-ID", header)
    elif after_text is not None:
        resume = _resume_point("after", after_text)
    else:
        resume = None
    backlog = _count("backlog", BACKLOG_DEFAULT, 0, BACKLOG_MAX)
    wants_stream = "text/event-stream" in request.headers.get("Accept", "")
    timeout = _seconds("timeout", STREAM_TIMEOUT_MAX if wants_stream else 0.0)
    streams = streams_of(current_app)
    stop = streams.open()
    if stop is None:
        return busy(streams.cap)
    # The slot comes free when the server closes the body, even one never started.
    body = ClosingIterator(
        # str chunks: werkzeug passes them through and Response encodes them (its annotation
        # says bytes)
        _stream(inbox, resume, backlog, timeout, stop, streams),  # type: ignore[arg-type]
        [lambda: streams.close(stop)],
    )
    return Response(
        body,
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
