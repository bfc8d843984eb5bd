"""The store's page views by request id: a mapping that holds most of a seeded world's views as
facts of their audit rows instead of as objects.

A seeded view is the request that wrote one audit row: its id, time, user (the grader, or the
student of an automatic grade) and course are the row's; its route is its assignment's (or, for a
final grade override, its course's); the browser and address are its user's. So a view costs a
row id and its render time, and its ``PageView`` is made when it is asked for (and kept while
readers may hold it: caches key page views by identity). Views added any other way are stored as
they are. Both behave as one dict in insertion order, seeded views first.
"""

from __future__ import annotations

from array import array
from collections.abc import ItemsView, Iterator, Mapping, MutableMapping, ValuesView
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar, overload

from .auditlog import OVERRIDE_ASSIGNMENT, GradeChangeLog
from .models import PageView

_T = TypeVar("_T")

# Made page views kept at most; past it the cache starts again.
OBJECT_LIMIT = 50_000
# (http method, url, controller, action, participated): how a seeded request reached Canvas.
Route = tuple[str, str, str, str, bool]


@dataclass
class SeededRequests:
    """What a seed knows about its requests beyond the audit rows."""

    users: dict[int, tuple[str, str]] = field(default_factory=dict)  # user agent, remote ip
    assignment_routes: dict[int, Route] = field(default_factory=dict)
    override_routes: dict[int, Route] = field(default_factory=dict)  # by course


class PageViews(MutableMapping[str, PageView]):
    """Page views by request id: seeded ones derived from audit rows, then stored ones."""

    def __init__(self, log: GradeChangeLog) -> None:
        self._log = log
        self._stored: dict[str, PageView] = {}
        self.requests = SeededRequests()
        # Seeded views, by position: their audit row and render time in milliseconds.
        self._rows = array("I")
        self._render = array("H")
        # Open addressing on the request id's first 64 bits: position + 1, 0 for a free slot.
        self._table = array("I", bytes(4 * 16))
        self._shift = 64 - 4
        self._hidden: set[int] = set()  # seeded positions deleted
        self._replaced: dict[int, PageView] = {}  # seeded positions set to another view
        self._objects: dict[int, PageView] = {}

    # -- seeded views ----------------------------------------------------------------------------

    def reserve(self, count: int) -> None:
        """Room for ``count`` seeded views without growing the lookup table on the way."""
        bits = max(4, (2 * count).bit_length())
        if bits > 64 - self._shift:
            self._rehash(bits)

    def derive(self, row_id: int, request_bits: int, render_ms: int) -> None:
        """Add the view of audit row ``row_id``, whose request id is ``request_bits`` as an
        integer (the row's), rendered in ``render_ms`` milliseconds."""
        rows, table = self._rows, self._table
        position = len(rows)
        if 2 * position + 2 > len(table):
            self._rehash(64 - self._shift + 1)
            table = self._table
        rows.append(row_id)
        self._render.append(render_ms)
        slot = request_bits >> (64 + self._shift)
        while table[slot]:
            slot = (slot + 1) & (len(table) - 1)
        table[slot] = position + 1

    def _rehash(self, bits: int) -> None:
        self._shift = 64 - bits
        table = self._table = array("I", bytes(4 << bits))
        mask = (1 << bits) - 1
        request_bits = self._log.request_bits
        for position, row_id in enumerate(self._rows):
            slot = int.from_bytes(request_bits(row_id) or bytes(8), "big") >> (self._shift + 64)
            while table[slot]:
                slot = (slot + 1) & mask
            table[slot] = position + 1

    def _find(self, request_id: object) -> int:
        """The position of the seeded view with that request id, or -1."""
        wanted = _uuid_bytes(request_id) if self._rows else None
        if wanted is None:
            return -1
        table, rows, request_bits = self._table, self._rows, self._log.request_bits
        mask = len(table) - 1
        slot = int.from_bytes(wanted[:8], "big") >> self._shift
        count = len(rows)
        while entry := table[slot]:
            position = entry - 1
            if (
                position < count
                and request_bits(rows[position]) == wanted
                and position not in self._hidden
            ):
                return position
            slot = (slot + 1) & mask
        return -1

    def _make(self, position: int) -> PageView:
        replaced = self._replaced.get(position)
        if replaced is not None:
            return replaced
        row_id = self._rows[position]
        created_at, course, assignment, student, grader = self._log.facts(row_id)
        user = grader if grader is not None else student
        # a page view row always has a course, an assignment (0 for overrides) and a user
        assert course is not None and assignment is not None and user is not None
        requests = self.requests
        if assignment == OVERRIDE_ASSIGNMENT:
            method, url, controller, action, participated = requests.override_routes[course]
        else:
            method, url, controller, action, participated = requests.assignment_routes[assignment]
        agent, address = requests.users[user]
        return PageView(
            request_id=self._log.request_id(row_id),
            user_id=user,
            url=url,
            controller=controller,
            action=action,
            http_method=method,
            context_type="Course",
            context_id=course,
            created_at=datetime.fromtimestamp(created_at, UTC),
            user_agent=agent,
            remote_ip=address,
            render_time=self._render[position] / 1000,
            participated=participated,
        )

    def _seeded(self, position: int) -> PageView:
        """The view at a seeded position, the same object while it is kept."""
        view = self._objects.get(position)
        if view is None:
            view = self._make(position)
            if len(self._objects) >= OBJECT_LIMIT:
                self._objects.clear()
            self._objects[position] = view
        return view

    # -- the mapping -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows) - len(self._hidden) + len(self._stored)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._stored or self._find(request_id) >= 0

    def __getitem__(self, request_id: str) -> PageView:
        view = self._stored.get(request_id)
        if view is not None:
            return view
        position = self._find(request_id)
        if position < 0:
            raise KeyError(request_id)
        return self._seeded(position)

    @overload
    def get(self, request_id: str, default: None = None) -> PageView | None: ...
    @overload
    def get(self, request_id: str, default: PageView | _T) -> PageView | _T: ...

    def get(self, request_id: str, default: object = None) -> object:
        try:
            return self[request_id]
        except KeyError:
            return default

    def __setitem__(self, request_id: str, view: PageView) -> None:
        position = -1 if request_id in self._stored else self._find(request_id)
        if position >= 0:  # a seeded key keeps its place, as a dict's does
            self._replaced[position] = view
            self._objects.pop(position, None)
        else:
            self._stored[request_id] = view

    def __delitem__(self, request_id: str) -> None:
        if request_id in self._stored:
            del self._stored[request_id]
            return
        position = self._find(request_id)
        if position < 0:
            raise KeyError(request_id)
        self._hidden.add(position)
        self._replaced.pop(position, None)
        self._objects.pop(position, None)

    def __iter__(self) -> Iterator[str]:
        request_id, rows, hidden = self._log.request_id, self._rows, self._hidden
        for position in range(len(rows)):
            if position not in hidden:
                yield request_id(rows[position])
        yield from self._stored

    def _values(self) -> Iterator[PageView]:
        hidden, objects, make = self._hidden, self._objects, self._make
        for position in range(len(self._rows)):
            if position not in hidden:
                yield objects.get(position) or make(position)
        yield from self._stored.values()

    def _items(self) -> Iterator[tuple[str, PageView]]:
        request_id, rows = self._log.request_id, self._rows
        hidden, objects, make = self._hidden, self._objects, self._make
        for position in range(len(rows)):
            if position not in hidden:
                yield request_id(rows[position]), objects.get(position) or make(position)
        yield from self._stored.items()

    def values(self) -> ValuesView[PageView]:
        return _Values(self)

    def items(self) -> ItemsView[str, PageView]:
        return _Items(self)

    def popitem(self) -> tuple[str, PageView]:
        """The newest view, removed (as ``dict.popitem``; a reset cuts back what was added)."""
        if self._stored:
            return self._stored.popitem()
        while self._rows:
            position = len(self._rows) - 1
            view = None if position in self._hidden else self._seeded(position)
            self._rows.pop()
            self._render.pop()
            self._hidden.discard(position)
            self._replaced.pop(position, None)
            self._objects.pop(position, None)
            if view is not None:
                return view.request_id, view
        raise KeyError("popitem(): no page views")

    def clear(self) -> None:
        self._stored.clear()
        self._table = array("I", bytes(len(self._table) * 4))
        self._rows = array("I")
        self._render = array("H")
        self._hidden.clear()
        self._replaced.clear()
        self._objects.clear()

    def __eq__(self, other: object) -> bool:
        """Equal to another ``PageViews`` holding the same views in the same order, and to any
        mapping holding the same views."""
        if isinstance(other, PageViews):
            return len(self) == len(other) and list(self._items()) == list(other._items())
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"<PageViews: {len(self._rows) - len(self._hidden)} seeded, {len(self._stored)} stored>"
        )


class _Values(ValuesView):
    _mapping: PageViews  # set by ValuesView.__init__; typeshed does not declare it

    def __iter__(self) -> Iterator[PageView]:
        return self._mapping._values()


class _Items(ItemsView):
    _mapping: PageViews  # set by ItemsView.__init__; typeshed does not declare it

    def __iter__(self) -> Iterator[tuple[str, PageView]]:
        return self._mapping._items()


def _uuid_bytes(text: object) -> bytes | None:
    """The 16 bytes of a lower-case, hyphenated uuid string (the only request ids a seed
    derives); None for any other key."""
    if (
        type(text) is not str
        or len(text) != 36
        or not text[8] == text[13] == text[18] == text[23] == "-"
        or text != text.lower()
    ):
        return None
    try:
        bits = bytes.fromhex(text.replace("-", ""))
    except ValueError:
        return None
    return bits if len(bits) == 16 else None
