"""Declarative worlds: a JSON (or TOML) file of people, courses, assignments and grade histories.

A scenario says who exists and what happened; loading it builds a store the way the running mock
would have built it. The history is replayed through the one grading write path
(``services/grading.py``), each entry at its own time on a private clock, so submissions, audit
rows, page views and course scores are exactly what the API would have produced. The Live Events
of that replay are thrown away: a freshly loaded scenario starts with an empty inbox, numbered
from 1.

Every key (person, course, section, assignment group, assignment) becomes a landmark, so tests find
records by key (``store.landmarks["alice"]``). Ids are handed out in file order and tokens, UUIDs
and request ids come from a generator seeded by the scenario's ``seed``, so a file builds the same
world every time. A bad file raises `ScenarioError`, naming the file and the JSON path of each
problem.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from .. import schemas
from ..resources import data_dir
from ..schemas import Issue
from ..store import Store
from .build import ROLES, Builder
from .checks import Checker, instant
from .errors import ScenarioError

__all__ = ["ROLES", "Scenario", "ScenarioError", "bundled", "load", "resolve"]

SCHEMA = "scenario"
SUFFIXES = (".json", ".toml")


# -- finding and reading -------------------------------------------------------------------------


def _scenario_dir() -> Path:
    return data_dir("fixtures") / "scenarios"


def bundled() -> list[str]:
    """The names of the scenarios shipped with mockcanvas (``fixtures/scenarios/``), sorted."""
    folder = _scenario_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SUFFIXES)


def resolve(spec: str | os.PathLike[str]) -> Path:
    """A scenario file: an existing path, else a bundled scenario of that name."""
    path = Path(spec)
    if path.is_file():
        return path
    name = str(spec)
    if "/" not in name and os.sep not in name:
        for suffix in ("", *SUFFIXES):
            candidate = _scenario_dir() / f"{name}{suffix}"
            if candidate.suffix in SUFFIXES and candidate.is_file():
                return candidate
    known = ", ".join(bundled()) or "none"
    raise ScenarioError(
        name, [Issue("$", f"no such file, and no bundled scenario of that name (bundled: {known})")]
    )


def _plain(value: Any) -> Any:
    """TOML values as JSON would have them: dates and times become ISO 8601 strings."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _read(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioError(str(path), [Issue("$", f"cannot read: {error.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
        if path.suffix == ".toml":
            return _plain(tomllib.loads(text))
        return json.loads(text)
    except UnicodeDecodeError:
        raise ScenarioError(str(path), [Issue("$", "not UTF-8 text")]) from None
    except RecursionError:
        raise ScenarioError(str(path), [Issue("$", "nested too deeply")]) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(str(path), [Issue("$", f"not TOML: {error}")]) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise ScenarioError(str(path), [Issue("$", f"not JSON: {error.msg} ({where})")]) from None


def load(spec: str | os.PathLike[str] | Mapping[str, Any] | Scenario) -> Scenario:
    """A checked scenario from a file path, a bundled name or already-parsed data.

    Raises `ScenarioError` listing every problem the schema and the cross-references find.
    """
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, Mapping):
        source, data = "<data>", _plain(dict(spec))
    else:
        path = resolve(spec)
        source, data = str(path), _read(path)
    found = schemas.issues(SCHEMA, data)
    if not found:
        found = Checker(data).problems()
    if found:
        raise ScenarioError(source, found)
    return Scenario(source=source, data=data)


@dataclass(frozen=True)
class Scenario:
    """A scenario that passed its checks; ``build`` makes a fresh store from it, alike each time."""

    source: str
    data: dict = field(repr=False)

    @property
    def name(self) -> str:
        return Path(self.source).stem if self.source != "<data>" else "scenario"

    @property
    def now(self) -> datetime | None:
        """The clock start the scenario was written for (its ``now``), if it names one."""
        text = self.data.get("now")
        return instant(text) if text else None

    def build(
        self, now: datetime, *, admin_token: str | None = None, validate_events: bool = False
    ) -> Store:
        """The world at ``now``: entities, then the history replayed, then the states of today.

        Raises `ScenarioError` when a history entry lies after ``now``.
        """
        return Builder(
            self.source, self.data, now.astimezone(UTC), admin_token, validate_events
        ).build()
