"""Pins: how a caller fixes part of what a strategy generates.

Two kinds, the same on every strategy:

- **Fact pins** are keyword arguments in the models' vocabulary (``course_id=5``,
  ``grader_id=None``, ``time_zone="Asia/Tokyo"``): local integer ids, aware datetimes, IANA zone
  names. They are set on the model objects *before* the presenters run, so the pinned fact shows
  everywhere the payload carries it, in that payload's form (a global id string in
  ``grade_change``, a local id string in ``course_grade_change``, an integer in audit ``links``).
- **Merge pins** (``merge={...}``) are exact JSON, deep-merged into the rendered payload: objects
  merge key by key, anything else replaces. Live Event strategies also take ``metadata={...}`` and
  ``body={...}``, short for ``merge={"metadata": ...}`` and ``merge={"body": ...}``. A merged
  payload is checked against its schema, so a valid strategy never yields an invalid payload.

Any pin, or any leaf of a merge pin, may be a Hypothesis strategy instead of a value: it is drawn
once per example. A plain value that cannot be right (``course_id=0``) is a ValueError at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .. import schemas, timefmt
from ..ids import SHARD_FACTOR


class _Unset:
    """The default of every fact pin: "not pinned", distinct from a pinned None."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()
"""Marks a fact pin as not given (None is a value some facts take: ``grader_id=None``)."""

SCHEMA_ATTRIBUTE = "mockcanvas_schema"


def is_set(pin: object) -> bool:
    return pin is not UNSET


def local_id(name: str, value: object, *, nullable: bool = False) -> None:
    """Raise ValueError unless ``value`` can be a local id (or None when ``nullable``)."""
    if value is None and nullable:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < SHARD_FACTOR:
        kind = "a local id (an int from 1 to 10**13 - 1)" + (" or None" if nullable else "")
        raise ValueError(f"{name} must be {kind}, not {value!r}")


def one_of(name: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed!r}, not {value!r}")


def boolean(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {value!r}")


def aware(name: str, value: object, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, not {value!r}")


def zone_name(name: str, value: object) -> None:
    try:
        timefmt.zone(value)
    except Exception:
        raise ValueError(f"{name} must be an IANA time zone name, not {value!r}") from None


Check = Callable[[str, object], None]


def checked(name: str, pin: object, check: Check) -> object:
    """Check a plain pin now (a strategy is checked as it is drawn) and give it back."""
    if is_set(pin) and not isinstance(pin, SearchStrategy):
        check(name, pin)
    return pin


def pick(draw, name: str, pin: object, default: SearchStrategy, check: Check | None = None):
    """The pinned value, a draw from a pinned strategy, or a draw from ``default``."""
    if not is_set(pin):
        return draw(default)
    if isinstance(pin, SearchStrategy):
        value = draw(pin)
        if check is not None:
            check(name, value)
        return value
    return pin


def given(draw, name: str, pin: object, check: Check | None = None):
    """The value of a pin known to be set: the value itself, or a draw from its strategy."""
    if isinstance(pin, SearchStrategy):
        value = draw(pin)
        if check is not None:
            check(name, value)
        return value
    return pin


def combine_merges(merge: Mapping | None, **sections: Mapping | None) -> Mapping | None:
    """``merge`` plus the section shorthands (``body=...``) as one merge pin."""
    for key, section in sections.items():
        if section is None:
            continue
        if not isinstance(section, Mapping):
            raise ValueError(f"{key}= must be a mapping, not {type(section).__name__}")
        merge = {**(merge or {}), key: {**((merge or {}).get(key) or {}), **section}}
    if merge is not None and not isinstance(merge, Mapping):
        raise ValueError(f"merge= must be a mapping, not {type(merge).__name__}")
    return merge


def _drawn(draw, value: object) -> object:
    if isinstance(value, SearchStrategy):
        return draw(value)
    if isinstance(value, Mapping):
        return {key: _drawn(draw, item) for key, item in value.items()}
    return value


def _merge_into(target: object, patch: object) -> object:
    if isinstance(target, dict) and isinstance(patch, Mapping):
        for key, value in patch.items():
            target[key] = _merge_into(target.get(key), value)
        return target
    return patch


def apply_merge(draw, payload: dict, merge: Mapping | None, schema: str) -> dict:
    """Deep-merge a merge pin into a rendered payload; a result off its schema is a ValueError."""
    if not merge:
        return payload
    _merge_into(payload, _drawn(draw, merge))
    found = schemas.issues(schema, payload)
    if found:
        listing = "; ".join(str(issue) for issue in found)
        raise ValueError(f"the merge pin makes the payload break {schema!r}: {listing}")
    return payload


def tagged(strategy: SearchStrategy, schema: str | Callable[[dict], str]) -> SearchStrategy:
    """Record which schema a strategy's payloads meet, so ``invalid(strategy)`` can break them."""
    setattr(strategy, SCHEMA_ATTRIBUTE, schema)
    return strategy


def schema_of(strategy: SearchStrategy) -> str | Callable[[dict], str] | None:
    return getattr(strategy, SCHEMA_ATTRIBUTE, None)


def strategy_for(value: object) -> SearchStrategy:
    """A pin as a strategy: strategies stay, values become ``just``."""
    return value if isinstance(value, SearchStrategy) else st.just(value)
