"""The JSON Schemas in ``schemas/``: the contract every payload of the mock must meet.

Each file's ``$id`` is ``SCHEMA_BASE`` plus its file name, so schemas refer to each other by file
name (``"assignment.json"``) and one ``referencing`` registry resolves them all, never over the
network. A schema is named by its file stem, with or without ``.json``, optionally with a fragment
(``"error.json#/$defs/status"``). Validation checks ``format`` for real and reports each problem
with a JSON path into the payload (``$.events[3].links.student``), so a failure says where to look.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from mockcanvas.resources import data_dir

__all__ = [
    "SCHEMA_BASE",
    "Issue",
    "PayloadInvalid",
    "is_valid",
    "issues",
    "json_path",
    "load",
    "names",
    "registry",
    "validate",
    "validator",
]

SCHEMA_BASE = "https://mockcanvas.invalid/schemas/"
"""Base URI of every schema's ``$id`` (``.invalid`` never resolves, so nothing is ever fetched)."""

_FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
# jsonschema checks date-time and uri only when rfc3339-validator and rfc3986-validator are
# installed (both are dependencies). Its "format-nongpl" extra would also pull rfc3987-syntax,
# which builds a grammar at import (~2.5 s in every process) for iri formats no schema uses.
if not {"date-time", "uri"} <= set(_FORMAT_CHECKER.checkers):  # pragma: no cover
    raise ImportError(
        "mockcanvas.schemas needs jsonschema's date-time and uri checkers, without which "
        "'yesterday' passes as a date-time: install rfc3339-validator and rfc3986-validator."
    )

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Issue:
    """One way a payload misses its schema: where (a JSON path) and what, so it can be fixed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class PayloadInvalid(ValueError):
    """A payload failed its schema; the message lists every issue as ``path: message``."""

    def __init__(self, schema: str, found: Sequence[Issue]) -> None:
        self.schema = schema
        self.issues = tuple(found)
        listing = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"payload does not match schema {schema!r}:\n{listing}")


@cache
def _documents() -> dict[str, dict[str, Any]]:
    """Every schema file, parsed once, by file stem."""
    documents = {}
    for path in sorted(data_dir("schemas").glob("*.json")):
        with path.open(encoding="utf-8") as file:
            documents[path.stem] = json.load(file)
    return documents


def names() -> list[str]:
    """The schema names (file stems), sorted, so callers can list what can be validated."""
    return sorted(_documents())


def _uri(name: str) -> str:
    """The absolute URI of a schema name given as stem, file name or URI, with any fragment kept."""
    reference, _, fragment = name.partition("#")
    stem = reference.removeprefix(SCHEMA_BASE).removesuffix(".json")
    if stem not in _documents():
        known = ", ".join(names()) or "none"
        raise LookupError(f"no schema named {name!r} (known: {known})")
    return f"{SCHEMA_BASE}{stem}.json" + (f"#{fragment}" if fragment else "")


def load(name: str) -> dict[str, Any]:
    """A fresh copy of a schema (or of the part a fragment names), safe for the caller to change."""
    uri = _uri(name)
    try:
        contents = registry().resolver().lookup(uri).contents
    except Unresolvable as error:
        raise LookupError(f"schema {name!r} has nothing at that fragment") from error
    return copy.deepcopy(contents)


@cache
def registry() -> Registry:
    """One registry holding every schema file, so ``$ref`` between files resolves offline."""
    resources = [
        (f"{SCHEMA_BASE}{stem}.json", DRAFT202012.create_resource(document))
        for stem, document in _documents().items()
    ]
    return Registry().with_resources(resources).crawl()


def validator(name: str) -> Draft202012Validator:
    """A cached 2020-12 validator that also checks ``format``, which jsonschema skips by default."""
    return _validator(_uri(name))


@cache
def _validator(uri: str) -> Draft202012Validator:
    base, _, fragment = uri.partition("#")
    if fragment:
        load(uri)  # fail now, with a clear message, if the fragment names nothing
        schema: dict[str, Any] = {"$ref": uri}
    else:
        schema = registry().contents(base)
    return Draft202012Validator(schema, registry=registry(), format_checker=_FORMAT_CHECKER)


def issues(name: str, instance: Any) -> list[Issue]:
    """Every problem of a payload against a schema, sorted by path; empty when it is valid."""
    errors = validator(name).iter_errors(instance)
    located = [pair for error in errors for pair in _issues_of(error)]
    located.sort(key=lambda pair: (_path_key(pair[0]), pair[1].message))
    return list(dict.fromkeys(issue for _, issue in located))


def validate(name: str, instance: Any) -> None:
    """Raise `PayloadInvalid` unless the payload matches, so bad output cannot pass silently."""
    found = issues(name, instance)
    if found:
        raise PayloadInvalid(name, found)


def is_valid(name: str, instance: Any) -> bool:
    """Whether a payload matches a schema, for when the reasons do not matter."""
    return validator(name).is_valid(instance)


def _issues_of(error: ValidationError) -> Iterator[tuple[list[str | int], Issue]]:
    """Turn one jsonschema error into issues that point at the offending part of the payload."""
    parts = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        # Point at each unexpected key itself rather than at the object holding it.
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = schema.get("properties", {})
        patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
        for key in error.instance:
            if key not in allowed and not any(pattern.search(key) for pattern in patterns):
                message = f"{key!r} was unexpected (additional properties are not allowed)"
                yield [*parts, key], Issue(_json_path([*parts, key]), message)
        return
    if error.validator == "not" and error.validator_value in ({}, True):
        # The schemas forbid a key with {"not": {}}; jsonschema loses the path of a `false` schema.
        yield parts, Issue(_json_path(parts), "no value is allowed here")
        return
    closest = _closest_alternative(error)
    if closest:
        for sub_error in closest:
            yield from _issues_of(sub_error)
        return
    yield parts, Issue(_json_path(parts), error.message)


def _closest_alternative(error: ValidationError) -> list[ValidationError]:
    """For a failed anyOf/oneOf, the errors of the alternative that came closest, if one did.

    Closest means failing deepest in the payload, then failing in fewest ways; on a tie, nothing,
    and the caller reports the anyOf/oneOf error itself.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return []
    by_alternative: dict[Any, list[ValidationError]] = {}
    for sub_error in error.context:
        by_alternative.setdefault(sub_error.relative_schema_path[0], []).append(sub_error)
    ranked = sorted(
        (-max(len(e.absolute_path) for e in errors), len(errors), index)
        for index, errors in by_alternative.items()
    )
    if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
        return []
    return by_alternative[ranked[0][2]]


def json_path(parts: Sequence[str | int]) -> str:
    """The JSON path `issues` reports for a place given as keys and indexes."""
    return _json_path(parts)


def _json_path(parts: Sequence[str | int]) -> str:
    """``$.events[3].links.student``; other keys go in brackets: ``$.links["events.course"]``."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def _path_key(parts: Sequence[str | int]) -> tuple[tuple[int, int | str], ...]:
    """Sort key for payload paths: indexes numerically (``[2]`` before ``[10]``), keys by name."""
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in parts)
