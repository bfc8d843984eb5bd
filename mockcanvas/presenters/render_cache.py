"""Rendered JSON kept for reuse, under keys that hold everything the rendering reads.

Two kinds of piece, two ways to stay correct without being told about writes:

- audit events: their rows never change once written, so an event's JSON is kept in the audit
  log's per-row ``memo`` under the per-request things it depends on (see ``grade_change``), and
  beside the row object it was made from: an entry made for another row with the same id (after
  a reset dropped the first) is never served;
- page views never change either: kept by identity (``get_frozen``) under the time zone and
  the account they link to;
- other linked records (users, courses, assignments) do change (an assignment's ``muted``,
  a user's name) and depend on the viewer: their key is every field of the record plus every
  outside fact the presenter reads (the viewer's rights, the time zone, the host, submission
  counts). A changed record has a different key, so nothing needs invalidating; old entries just
  stop being asked for, and the cache is emptied when it reaches ``LIMIT`` entries.

The values are the exact bytes ``jsonenc.dumps`` gives, so a document assembled from them is
byte-for-byte the one rendered whole.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import fields
from operator import attrgetter
from typing import Any

from ..jsonenc import dumps

LIMIT = 20_000
# Rows with rendered events kept in the audit log's memo (about 1 KB each) before it is emptied.
MEMO_LIMIT = 100_000
_GETTERS: dict[type, Callable[[Any], tuple]] = {}


def values(entity: object) -> tuple:
    """Every field of a model object, in declaration order: its part of a cache key."""
    getter = _GETTERS.get(type(entity))
    if getter is None:
        names = [f.name for f in fields(entity)]  # type: ignore[arg-type]
        get = attrgetter(*names)
        getter = (lambda e, _get=get: (_get(e),)) if len(names) == 1 else get
        _GETTERS[type(entity)] = getter
    return getter(entity)


def encode(body: object) -> bytes:
    return dumps(body).encode()


class RenderCache:
    """JSON bytes by value key, bounded; safe to share between threads and between apps."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._entries: dict[Hashable, bytes] = {}
        self._frozen: dict[int, tuple[object, dict[Hashable, bytes]]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, render: Callable[..., object]) -> bytes:
        """The bytes cached under ``key``, or ``render()``'s JSON, kept for next time (``render``
        is called without arguments; callers' lambdas bind loop values as defaults)."""
        try:
            found = self._entries.get(key)
        except TypeError:  # an unhashable field value (a list where a tuple belongs)
            return encode(render())
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        rendered = encode(render())
        if len(self._entries) >= self.limit:
            self._entries.clear()
        self._entries[key] = rendered
        return rendered

    def get_frozen(self, obj: object, key: Hashable, render: Callable[..., object]) -> bytes:
        """As ``get``, for an object nobody changes once made (a page view): found by identity,
        so ``key`` holds only what the rendering reads besides the object."""
        held = self._frozen.get(id(obj))
        if held is None or held[0] is not obj:  # the entry keeps obj alive: its id is its own
            held = (obj, {})
            if len(self._frozen) >= self.limit:
                self._frozen.clear()
            self._frozen[id(obj)] = held
        found = held[1].get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        found = held[1][key] = encode(render())
        return found

    def clear(self) -> None:
        self._entries.clear()
        self._frozen.clear()


# One per process: keys are values, so apps (and threads) may share entries safely.
LINKED = RenderCache()
