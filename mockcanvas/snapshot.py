"""A frozen copy of a store that thaws into a fresh, independent store in milliseconds.

Reset no longer needs one (it undoes a journal, mockcanvas/undo.py); the reset check
(controls.py) copies a baseline it cannot rebuild from a seed, scenario or import this way.

The copy is pickle bytes, with two shortcuts:

- objects that nothing changes once they exist (datetimes, audit rows, page views: Canvas only
  ever appends those) are not copied but shared between the snapshot and every store thawed
  from it;
- the audit log, whose lists only ever grow by such rows and their integer sort keys, is thawed
  by copying its lists and dicts and sharing what they hold, instead of unpickling one integer
  per index entry (the larger part of a thaw otherwise).

Audit rows and page views are never changed once written (Canvas only appends them).
"""

from __future__ import annotations

import gc
import io
import pickle
from array import array
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .auditlog import GradeChangeLog
from .models import GradeChange, PageView
from .store import Store

SHARED_TYPES: tuple[type, ...] = (datetime, date, timedelta, GradeChange, PageView)
# Objects whose lists and dicts hold only immutable things: thawed by copying the containers.
LEAF_SHARING_TYPES: tuple[type, ...] = (GradeChangeLog,)
_IMMUTABLE_DEFAULTS = (int, float, str, bytes, bool, type(None), tuple, frozenset)


@dataclass(frozen=True)
class _Constant:
    """A picklable stand-in for ``defaultdict(lambda: <constant>)`` factories."""

    value: Any

    def __call__(self) -> Any:
        return self.value


def _defaultdict(factory: Any, items: dict) -> defaultdict:
    result: defaultdict = defaultdict(factory)
    result.update(items)
    return result


class _Frozen:
    """A private copy of a leaf-sharing object, kept beside the pickle bytes."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def _clone(value: Any) -> Any:
    """Copies of the lists and dicts in ``value``; everything else is shared."""
    kind = type(value)
    if kind is list or kind is array or kind is bytearray:  # the audit log's columns: arrays
        return value.copy() if kind is list else value[:]
    if kind is dict:
        return {key: _clone(item) for key, item in value.items()}
    return value


def _clone_object(obj: Any) -> Any:
    copy = object.__new__(type(obj))
    vars(copy).update({name: _clone(value) for name, value in vars(obj).items()})
    return copy


def _thaw_frozen(frozen: _Frozen) -> Any:
    return _clone_object(frozen.value)


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared: list[object] = []
        self._positions: dict[int, int] = {}

    def persistent_id(self, obj: object) -> int | None:
        if not isinstance(obj, SHARED_TYPES) and type(obj) is not _Frozen:
            return None
        position = self._positions.get(id(obj))
        if position is None:
            position = self._positions[id(obj)] = len(self.shared)
            self.shared.append(obj)
        return position

    def reducer_override(self, obj: object) -> Any:
        if type(obj) in LEAF_SHARING_TYPES:
            return _thaw_frozen, (_Frozen(_clone_object(obj)),)
        if type(obj) is defaultdict and _is_local(obj.default_factory):
            return _defaultdict, (_portable_factory(obj.default_factory), dict(obj))
        return NotImplemented


def _is_local(factory: object) -> bool:
    name = getattr(factory, "__qualname__", "")
    return "<lambda>" in name or "<locals>" in name


def _portable_factory(factory: Any) -> Any:
    sample = factory()
    if isinstance(sample, _IMMUTABLE_DEFAULTS):
        return _Constant(sample)
    if type(sample) in (list, dict, set) and not sample:
        return type(sample)
    raise TypeError(f"cannot snapshot a defaultdict whose factory makes {sample!r}")


@contextmanager
def _no_cyclic_gc():
    # Thawing makes thousands of containers and no garbage: the cyclic collector would only
    # rescan them (a third of the time of a medium world).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Snapshot:
    """The state of a store at one moment; ``thaw()`` gives a new store equal to it."""

    def __init__(self, store: Store) -> None:
        buffer = io.BytesIO()
        pickler = _Pickler(buffer)
        with _no_cyclic_gc():
            pickler.dump(store)
        self._data = buffer.getvalue()
        self._shared = pickler.shared

    @property
    def size(self) -> int:
        """Bytes held apart from the shared objects."""
        return len(self._data)

    def thaw(self) -> Store:
        unpickler = pickle.Unpickler(io.BytesIO(self._data))
        # a C call per shared object; pickle documents setting this attribute on an Unpickler
        unpickler.persistent_load = self._shared.__getitem__  # type: ignore[method-assign]
        with _no_cyclic_gc():
            store = unpickler.load()
        if not isinstance(store, Store):
            raise TypeError("the snapshot does not hold a store")
        return store


def restore_into(target: Store, source: Store) -> None:
    """Make ``target`` hold exactly what ``source`` holds, keeping ``target``'s identity.

    Anything that kept a reference to the store (a test fixture, a sink) sees the new state.
    """
    fresh = vars(source)
    current = vars(target)
    for name in [name for name in current if name not in fresh]:
        del current[name]
    current.update(fresh)
