"""Checking payload files against the schemas: ``mockcanvas validate FILE...``, for any CI.

A file holds one JSON payload, a JSON array of payloads or JSON Lines (one payload a line); each
payload is checked on its own against the schema ``--schema`` names or, without it, the one its
shape gives away (`detect`). Every problem is printed as ``item: $.json.path: reason (schema)``.
Exit status: 0 when every payload is valid, 1 when any is not (or its schema cannot be told),
2 for a usage error or a file that cannot be read as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import schemas
from .schemas import Issue

__all__ = ["Item", "Result", "Unreadable", "check", "detect", "items", "read_items"]

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
_LINK_KEYS = frozenset({"assignment", "course", "student", "grader", "page_view"})


def detect(payload: Any) -> str | None:
    """The schema a payload's shape says it should meet, or None when the shape says nothing."""
    if not isinstance(payload, dict):
        return None
    metadata = payload.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("event_name"), str):
        name = f"live_event_{metadata['event_name']}"
        return name if name in schemas.names() else "live_event"
    if "@context" in payload and "type" in payload:
        return "caliper_grade_event.json#/$defs/grade_event"
    if "dataVersion" in payload and "data" in payload:
        return "caliper_grade_event"
    if "events" in payload and "linked" in payload:
        return "grade_change_compound"
    if "event_type" in payload and ("links" in payload or "grade_after" in payload):
        return "grade_change_event"
    if payload.get("format") == "mockcanvas-scenario":
        return "scenario"
    if payload.get("format") == "mockcanvas-state":
        return "control_state"
    if {"tag", "workflow_state", "completion"} <= payload.keys():
        return "progress"
    if "course" in payload and payload.keys() <= _LINK_KEYS:
        return "grade_change_event_links"
    if "errors" in payload or payload.keys() == {"message"}:
        return "error"
    return None


@dataclass(frozen=True)
class Item:
    """One payload to check and where it came from: ``file``, ``file[3]`` or ``file:12``."""

    label: str
    payload: Any


@dataclass(frozen=True)
class Result:
    """What checking one payload found: the schema used (None: not told) and the issues."""

    label: str
    schema: str | None
    issues: tuple[Issue, ...]

    @property
    def valid(self) -> bool:
        return self.schema is not None and not self.issues

    def lines(self) -> list[str]:
        if self.schema is None:
            return [f"{self.label}: cannot tell which schema applies; give --schema NAME"]
        if not self.issues:
            return [f"{self.label}: ok ({self.schema})"]
        return [f"{self.label}: {issue} ({self.schema})" for issue in self.issues]


class Unreadable(ValueError):
    """A file that is not JSON, JSON Lines or UTF-8 text; the message says where it broke."""


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable(
            f"{where}: not JSON: {error.msg} (line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise Unreadable(f"{where}: not JSON: nested too deeply") from None


def _json_lines(text: str, name: str) -> Iterator[Item]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield Item(f"{name}:{number}", _parse(line, f"{name}:{number}"))


def read_items(text: str, name: str, *, json_lines: bool = False) -> list[Item]:
    """The payloads of one file's text: a document, an array's items, or JSON Lines."""
    if not text.strip():
        raise Unreadable(f"{name}: empty")
    if json_lines:
        return list(_json_lines(text, name))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            raise Unreadable(
                f"{name}: not JSON: {error.msg} (line {error.lineno} column {error.colno})"
            ) from None
        return list(_json_lines(text, name))  # more than one document: JSON Lines
    except RecursionError:
        raise Unreadable(f"{name}: not JSON: nested too deeply") from None
    if isinstance(document, list):
        return [Item(f"{name}[{index}]", item) for index, item in enumerate(document)]
    return [Item(name, document)]


def items(path: str, stdin: TextIO | None = None) -> list[Item]:
    """The payloads of a file (``-`` is standard input); raises Unreadable."""
    if path == "-":
        source = stdin if stdin is not None else sys.stdin
        return read_items(source.read(), "-")
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise Unreadable(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(f"{path}: not UTF-8 text") from None
    return read_items(text, path, json_lines=file.suffix in JSON_LINES_SUFFIXES)


def check(item: Item, schema: str | None = None) -> Result:
    """Check one payload against ``schema`` or, without one, the schema its shape names.

    A scenario also gets the cross-reference checks its loader makes (unknown keys, grades).
    """
    name = schema if schema is not None else detect(item.payload)
    if name is None:
        return Result(item.label, None, ())
    found = schemas.issues(name, item.payload)
    if not found and name.partition("#")[0].removesuffix(".json") == "scenario":
        from .scenario import ScenarioError, load

        try:
            load(item.payload)
        except ScenarioError as error:
            found = list(error.problems)
    return Result(item.label, name, tuple(found))


# -- the command -----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="JSON, JSON array or JSON Lines files; - is stdin"
    )
    parser.add_argument(
        "--schema",
        metavar="NAME",
        help="check every payload against this schema (a name from schemas/, optionally with a "
        "#fragment) instead of the one its shape gives away",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print only problems, no ok lines or summary"
    )


def run(args: argparse.Namespace) -> int:
    """``mockcanvas validate``: 0 all valid, 1 any invalid, 2 usage error or unreadable file."""
    out, err = sys.stdout, sys.stderr
    if args.schema is not None:
        try:
            schemas.validator(args.schema)
        except LookupError as error:
            print(f"mockcanvas validate: error: {error}", file=err)
            return 2
    if args.files.count("-") > 1:
        print("mockcanvas validate: error: standard input (-) can be read once", file=err)
        return 2
    checked = invalid = unreadable = 0
    for path in args.files:
        try:
            found = items(path)
        except Unreadable as error:
            print(error, file=err)
            unreadable += 1
            continue
        for item in found:
            result = check(item, args.schema)
            checked += 1
            if not result.valid:
                invalid += 1
            if not (args.quiet and result.valid):
                for line in result.lines():
                    print(line, file=out)
    if not args.quiet:
        summary = f"{_count(checked, 'payload')}: {checked - invalid} valid, {invalid} invalid"
        if unreadable:
            summary += f"; {_count(unreadable, 'file')} unreadable"
        print(summary, file=out)
    return 2 if unreadable else 1 if invalid else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
