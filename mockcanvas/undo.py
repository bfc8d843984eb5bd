"""The undo journal: what changed in a store since its baseline, so a reset costs what a test did.

A reset used to copy the whole baseline back (a second per 100k-event world); the journal instead
remembers, from the moment the baseline is fixed, the prior values of whatever the write path
changes, and ``undo()`` puts them back newest first:

- entities: their fields before their first change (``Store.touch``), restored in place, so
  references held by fixtures and sinks stay good;
- mappings and index lists the store's ``add_*`` and ``set_token`` change: the key's prior value
  (or its absence), the appended list entry;
- the audit log and the page views, which only grow: their lengths, cut back (audit rows with
  ``GradeChangeLog.truncate``); id sequences: a copy.

The same journal, opened for one write, is a savepoint (``Store.savepoint``): a write that
raises is undone the same way, and the reset journal forgets what it recorded for it.

Only changes made through the store's methods and ``touch`` are recorded. Code that assigns to an
entity's fields must ``touch`` it first; the reset check (``MOCKCANVAS_CHECK_RESET=1``, on in this
project's test suite) compares every reset world with an untouched copy and names what was missed.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import fields
from operator import attrgetter
from typing import Any

_MISSING = object()
# Per entity class: its field names and a getter returning their values as a tuple.
_LAYOUTS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple]]] = {}


def _layout(kind: type) -> tuple[tuple[str, ...], Callable[[Any], tuple]]:
    layout = _LAYOUTS.get(kind)
    if layout is None:
        names = tuple(f.name for f in fields(kind))
        getter = attrgetter(*names)
        if len(names) == 1:  # attrgetter of one name returns the value, not a tuple
            layout = (names, lambda entity, _get=getter: (_get(entity),))
        else:
            layout = (names, getter)
        _LAYOUTS[kind] = layout
    return layout


def _put_fields(saved: tuple[Any, tuple[str, ...], tuple]) -> None:
    entity, names, values = saved
    for name, value in zip(names, values, strict=True):
        setattr(entity, name, value)


def _put_key(saved: tuple[MutableMapping, Any, Any]) -> None:
    mapping, key, value = saved
    if value is _MISSING:
        del mapping[key]
    else:
        mapping[key] = value


def _pop_last(saved: tuple[dict, Any]) -> None:
    index, key = saved
    ids = index[key]
    ids.pop()
    if not ids:
        del index[key]


def _put_mapping(saved: tuple[dict, dict]) -> None:
    mapping, copy = saved
    mapping.clear()
    mapping.update(copy)


def _put_attribute(saved: tuple[object, str, Any]) -> None:
    owner, name, value = saved
    setattr(owner, name, value)


class UndoJournal:
    """The way back to one state of a store: undo steps, newest last."""

    __slots__ = ("_seen", "_steps", "log_length", "page_views", "sequences")

    def __init__(self, sequences: dict[str, int], log_length: int, page_views: int) -> None:
        self._steps: list[tuple[Callable[[Any], None], Any]] = []
        self._seen: set[int] = set()  # id() of the entities whose fields are already saved
        # Append-only parts are undone by cutting back to their length: a long run of writes
        # adds no steps for its audit rows and page views, only for each record's first change.
        self.sequences = sequences
        self.log_length = log_length
        self.page_views = page_views

    def __len__(self) -> int:
        return len(self._steps)

    def touch(self, entity: object) -> None:
        """Save an entity's fields, the first time it is about to change."""
        key = id(entity)
        if key in self._seen:
            return
        self._seen.add(key)  # the saved step holds the entity, so its id stays its own
        names, getter = _layout(type(entity))
        self._steps.append((_put_fields, (entity, names, getter(entity))))

    def keys(self, *pairs: tuple[MutableMapping, Any]) -> None:
        """Save what each ``(mapping, key)`` holds (or that it holds nothing) before a set."""
        for mapping, key in pairs:
            self._steps.append((_put_key, (mapping, key, mapping.get(key, _MISSING))))

    def mapping(self, mapping: dict) -> None:
        """Save a whole (small) mapping before a change that a key-wise undo would reorder."""
        self._steps.append((_put_mapping, (mapping, dict(mapping))))

    def appended(self, index: dict, key: Any) -> None:
        """``index[key]`` (a list) is about to get one more entry at its end."""
        self._steps.append((_pop_last, (index, key)))

    def attribute(self, owner: object, name: str) -> None:
        """Save an attribute of a non-entity (the store's root account id) before a set."""
        self._steps.append((_put_attribute, (owner, name, getattr(owner, name))))

    def mark(self) -> int:
        """Where the journal stands now, for ``forget_after``."""
        return len(self._steps)

    def forget_after(self, mark: int) -> None:
        """Drop the steps recorded since ``mark`` without running them: a savepoint inside this
        journal's span was rolled back, so what they would put back is already back. Entities
        first saved by a dropped step are saved again at their next change."""
        steps = self._steps
        while len(steps) > mark:
            step, saved = steps.pop()
            if step is _put_fields:
                self._seen.discard(id(saved[0]))

    def undo(self) -> int:
        """Run every step, newest first, and forget them; returns how many there were."""
        steps = self._steps
        count = len(steps)
        while steps:
            step, saved = steps.pop()
            step(saved)
        self._seen.clear()
        return count
