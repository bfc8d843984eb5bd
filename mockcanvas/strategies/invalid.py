"""Invalid payloads, one rule broken at a time, for testing validators and consumers.

`invalid` takes a valid strategy (or a schema name) and yields `Broken` examples: a payload with
exactly one schema rule broken, the rule's name (the JSON Schema keyword: ``required``, ``type``,
``enum``, ``const``, ``format``, ``pattern``, ``minimum``, ``minLength``, ``minItems``,
``maxItems``, ``additionalProperties``, ``not``, ``dependentRequired``) and the JSON path where
``mockcanvas.schemas.issues`` reports it (``$.body`` for a missing ``$.body.grade``, the key
itself for an unexpected key).

Where a rule can be broken is read from the schema itself, walked alongside the payload: ``$ref``,
``allOf`` and ``if``/``then``/``else`` are followed, and of ``oneOf``/``anyOf`` the branch the valid
payload takes. A site is kept only if the broken value is refused by the schema of its place,
so nothing is reported broken that the schema would accept.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urljoin

from hypothesis import assume, reject
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .. import schemas
from . import pins
from .values import indexes

RULES = (
    "required",
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minimum",
    "minLength",
    "minItems",
    "maxItems",
    "additionalProperties",
    "not",
    "dependentRequired",
)

Part = str | int


@dataclass(frozen=True)
class Broken:
    """A payload with one rule of its schema broken.

    ``path`` is where ``schemas.issues`` reports the problem (a JSON path such as
    ``$.events[0].links``); ``parts`` is the same place as keys and indexes. ``changed`` is the
    value that was replaced, removed or added (``$.events[0].links.course`` for a missing
    ``course``, whose ``path`` is its object). ``detail`` says what was done (``removed
    'grade'``), ``original`` is the valid payload it was made from.
    """

    payload: Any
    schema: str
    rule: str
    path: str
    detail: str
    original: Any = field(repr=False)
    parts: tuple[Part, ...] = ()
    changed: str = "$"


@dataclass(frozen=True)
class _Site:
    rule: str
    node: tuple[Part, ...]  # where the change is made: the value replaced, or the object changed
    report: tuple[Part, ...]  # where the schema reports it
    detail: str
    # the node's new value, from its old value (lambdas bind loop values as defaults)
    change: Callable[..., Any]
    uris: tuple[str, ...]  # the schemas the node must meet (for the final check)
    key: str | None = None  # the key removed or added, when the change is to an object's keys


# -- schema access -------------------------------------------------------------------------------


def _uri(name: str) -> str:
    reference, _, fragment = name.partition("#")
    stem = reference.removeprefix(schemas.SCHEMA_BASE).removesuffix(".json")
    schemas.load(name)  # a clear LookupError for an unknown name
    return f"{schemas.SCHEMA_BASE}{stem}.json#{fragment}"


@cache
def _contents(uri: str) -> Any:
    return schemas.registry().resolver().lookup(uri).contents


def _child(uri: str, *parts: Part) -> str:
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    base, _, fragment = uri.partition("#")
    return f"{base}#{fragment}/" + "/".join(escaped)


def _accepts(uri: str, value: Any) -> bool:
    return schemas.is_valid(uri, value)


@dataclass
class _Node:
    """The schemas that apply at one place of a payload, split by how they apply."""

    mandatory: list[tuple[str, dict]]  # must all hold: the place's own schemas, refs, allOf, if
    chosen: list[tuple[str, dict]]  # the oneOf/anyOf branches the valid value takes


def _expand(uris: list[str], value: Any) -> _Node:
    node = _Node([], [])
    seen: set[str] = set()
    stack = [(uri, False) for uri in uris]
    while stack:
        uri, via_branch = stack.pop()
        if uri in seen:
            continue
        seen.add(uri)
        schema = _contents(uri)
        if not isinstance(schema, dict):
            continue
        (node.chosen if via_branch else node.mandatory).append((uri, schema))
        if "$ref" in schema:
            stack.append((urljoin(uri, schema["$ref"]), via_branch))
        for index in range(len(schema.get("allOf", ()))):
            stack.append((_child(uri, "allOf", index), via_branch))
        if "if" in schema:
            branch = "then" if _accepts(_child(uri, "if"), value) else "else"
            if branch in schema:
                stack.append((_child(uri, branch), via_branch))
        for keyword in ("oneOf", "anyOf"):
            for index in range(len(schema.get(keyword, ()))):
                alternative = _child(uri, keyword, index)
                if _accepts(alternative, value):
                    stack.append((alternative, True))
    return node


# -- finding sites -------------------------------------------------------------------------------

_JSON_TYPES = {
    "string": "not a value",
    "integer": 12345,
    "boolean": True,
    "null": None,
    "array": [],
    "object": {},
}
_UNEXPECTED_KEYS = ("request_id", "unexpected_field", "_links")
_BAD_STRINGS = ("", " ", "x", "0", "-1", "1~5", "not valid", "ABC")
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(.*)$")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _allowed_types(schema: dict, uri: str) -> set[str] | None:
    """The JSON types a schema lets through (None: any), following refs and branches."""
    if "type" in schema:
        declared = schema["type"]
        found = {declared} if isinstance(declared, str) else set(declared)
        if "number" in found:
            found.add("integer")
        return found
    if "$ref" in schema:
        target = urljoin(uri, schema["$ref"])
        return _allowed_types(_contents(target), target)
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            union: set[str] = set()
            for index, alternative in enumerate(schema[keyword]):
                inner = _allowed_types(alternative, _child(uri, keyword, index))
                if inner is None:
                    return None
                union |= inner
            return union
    return None


def _wrong_types(node: _Node) -> list[Any]:
    allowed: set[str] | None = None
    for uri, schema in node.mandatory:
        types = _allowed_types(schema, uri)
        if types is not None:
            allowed = types if allowed is None else allowed & types
    if allowed is None:
        return []
    return [value for name, value in _JSON_TYPES.items() if name not in allowed]


def _bad_timestamps(text: str) -> list[tuple[str, str]]:
    """Malformed versions of a timestamp: impossible dates (``format``) and Canvas's wrong
    precisions (``pattern``: fractions where Canvas has none, none where it has milliseconds)."""
    match = _TIMESTAMP.match(text)
    if not match:
        return []
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    fraction = fraction or ""
    return [
        ("format", f"{year}-02-30T{hour}:{minute}:{second}{fraction}{zone}"),
        ("format", f"{year}-13-{day}T{hour}:{minute}:{second}{fraction}{zone}"),
        ("format", f"{year}-{month}-{day}T25:{minute}:{second}{fraction}{zone}"),
        ("format", "yesterday"),
        ("pattern", f"{year}-{month}-{day}T{hour}:{minute}:{second}.123456{zone}"),
        ("pattern", f"{year}-{month}-{day}T{hour}:{minute}:{second}{zone}"),
        ("pattern", f"{year}-{month}-{day} {hour}:{minute}:{second}{fraction}{zone}"),
    ]


def _value_sites(node: _Node, value: Any, parts: tuple[Part, ...]) -> Iterator[_Site]:
    uris = tuple(uri for uri, _ in node.mandatory)
    every = node.mandatory + node.chosen
    for wrong in _wrong_types(node):
        yield _Site(
            "type",
            parts,
            parts,
            f"{_json_type(wrong)} instead of {_json_type(value)}",
            lambda _, w=wrong: copy.deepcopy(w),
            uris,
        )
    for _, schema in every:
        if "const" in schema:
            const = schema["const"]
            other = (
                (not const)
                if isinstance(const, bool)
                else (f"not_{const}" if isinstance(const, str) else "unexpected")
            )
            yield _Site(
                "const", parts, parts, f"{other!r} instead of {const!r}", lambda _, o=other: o, uris
            )
        if "enum" in schema:
            yield _Site(
                "enum",
                parts,
                parts,
                "'unknown' is not one of the choices",
                lambda _: "unknown",
                uris,
            )
        if isinstance(value, str) and schema.get("format") in ("date-time", "uuid"):
            if schema["format"] == "uuid":
                yield _Site(
                    "format", parts, parts, "a malformed UUID", lambda v: v[:-4] + "zzzz", uris
                )
            for rule, bad in _bad_timestamps(value):
                yield _Site(rule, parts, parts, f"timestamp {bad!r}", lambda _, b=bad: b, uris)
        if isinstance(value, str) and "pattern" in schema:
            pattern = re.compile(schema["pattern"])
            for bad in (value.upper(), *_BAD_STRINGS):
                if bad != value and pattern.search(bad) is None:
                    yield _Site(
                        "pattern",
                        parts,
                        parts,
                        f"{bad!r} does not match the pattern",
                        lambda _, b=bad: b,
                        uris,
                    )
                    break
        if isinstance(value, str) and schema.get("minLength", 0) >= 1:
            yield _Site("minLength", parts, parts, "an empty string", lambda _: "", uris)
        if isinstance(value, int | float) and not isinstance(value, bool) and "minimum" in schema:
            low = schema["minimum"]
            yield _Site(
                "minimum",
                parts,
                parts,
                f"{low - 1} below the minimum {low}",
                lambda _, lo=low: lo - 1,
                uris,
            )


def _object_sites(node: _Node, value: dict, parts: tuple[Part, ...]) -> Iterator[_Site]:
    uris = tuple(uri for uri, _ in node.mandatory)
    every = node.mandatory + node.chosen
    required = {key for _, schema in every for key in schema.get("required", ())}
    for key in sorted(required & value.keys()):
        yield _Site(
            "required",
            parts,
            parts,
            f"removed {key!r}",
            lambda obj, k=key: {n: v for n, v in obj.items() if n != k},
            uris,
            key,
        )
    closed = [schema for _, schema in every if schema.get("additionalProperties") is False]
    known = {key for _, schema in every for key in schema.get("properties", {})}
    known |= {key for uri, schema in node.mandatory for key in _branch_properties(uri, schema)}
    if closed and not any("patternProperties" in schema for schema in closed):
        for key in _UNEXPECTED_KEYS:
            if key not in known:
                yield _Site(
                    "additionalProperties",
                    parts,
                    (*parts, key),
                    f"added {key!r}",
                    lambda obj, k=key: {**obj, k: 1},
                    uris,
                    key,
                )
                break
    for _, schema in every:
        for key, rule in schema.get("properties", {}).items():
            if isinstance(rule, dict) and rule.get("not") in ({}, True) and key not in value:
                yield _Site(
                    "not",
                    parts,
                    (*parts, key),
                    f"added the forbidden {key!r}",
                    lambda obj, k=key: {**obj, k: 1},
                    uris,
                    key,
                )
        for key, needs in schema.get("dependentRequired", {}).items():
            for need in needs:
                if key in value and need in value and need not in required:
                    yield _Site(
                        "dependentRequired",
                        parts,
                        parts,
                        f"removed {need!r}, which {key!r} needs",
                        lambda obj, k=need: {n: v for n, v in obj.items() if n != k},
                        uris,
                        need,
                    )


def _branch_properties(uri: str, schema: dict) -> set[str]:
    """Keys any oneOf/anyOf branch knows: adding one of those could switch branches."""
    keys: set[str] = set()
    for keyword in ("oneOf", "anyOf"):
        for index in range(len(schema.get(keyword, ()))):
            branch = _child(uri, keyword, index)
            target = _contents(branch)
            while isinstance(target, dict) and "$ref" in target:
                branch = urljoin(branch, target["$ref"])
                target = _contents(branch)
            if isinstance(target, dict):
                keys |= set(target.get("properties", {}))
    return keys


def _array_sites(node: _Node, value: list, parts: tuple[Part, ...]) -> Iterator[_Site]:
    uris = tuple(uri for uri, _ in node.mandatory)
    for _, schema in node.mandatory + node.chosen:
        if "maxItems" in schema and value:
            yield _Site(
                "maxItems",
                parts,
                parts,
                "one item too many",
                lambda items, n=schema["maxItems"]: (
                    items + [copy.deepcopy(items[-1])] * (n + 1 - len(items))
                ),
                uris,
            )
        if schema.get("minItems", 0) >= 1 and value:
            yield _Site(
                "minItems",
                parts,
                parts,
                "too few items",
                lambda items, n=schema["minItems"]: items[: n - 1],
                uris,
            )


def _sites(uris: list[str], value: Any, parts: tuple[Part, ...] = ()) -> Iterator[_Site]:
    node = _expand(uris, value)
    yield from _value_sites(node, value, parts)
    every = node.mandatory + node.chosen
    if isinstance(value, dict):
        yield from _object_sites(node, value, parts)
        for key, item in value.items():
            children = [
                _child(uri, "properties", key)
                for uri, schema in every
                if key in schema.get("properties", {})
            ]
            children += [
                _child(uri, "additionalProperties")
                for uri, schema in every
                if key not in schema.get("properties", {})
                and isinstance(schema.get("additionalProperties"), dict)
            ]
            if children:
                yield from _sites(children, item, (*parts, key))
    elif isinstance(value, list):
        yield from _array_sites(node, value, parts)
        children = [
            _child(uri, "items") for uri, schema in every if isinstance(schema.get("items"), dict)
        ]
        if children:
            for index, item in enumerate(value):
                yield from _sites(children, item, (*parts, index))


def _get(payload: Any, parts: tuple[Part, ...]) -> Any:
    for part in parts:
        payload = payload[part]
    return payload


def _set(payload: Any, parts: tuple[Part, ...], value: Any) -> Any:
    if not parts:
        return value
    _get(payload, parts[:-1])[parts[-1]] = value
    return payload


def _refused(site: _Site, new_value: Any) -> bool:
    """Whether the place's own schemas refuse the changed value (so the break is real)."""
    return any(not _accepts(uri, new_value) for uri in site.uris)


# -- the strategy --------------------------------------------------------------------------------


def invalid(
    source: str | SearchStrategy,
    *,
    rules: tuple[str, ...] | None = None,
    schema: str | None = None,
) -> SearchStrategy[Broken]:
    """`Broken` payloads made from ``source``: a strategy of this package, any strategy with
    ``schema=`` naming what its payloads meet, or a schema name (its strategy is used).

    ``rules`` limits which rules are broken (names from ``RULES``); payloads with no place for
    them are filtered out, so pin the valid strategy to ones that have (``rules=("not",)`` on
    ``grade_change_event(override=True)``). Every example breaks one rule, and
    ``schemas.issues(broken.schema, broken.payload)`` reports it, only it, at ``broken.path``.
    """
    if isinstance(source, str):
        name = source if schema is None else schema
        valid = _default_strategy(source)
    else:
        valid = source
        name = schema or pins.schema_of(source)  # type: ignore[assignment]
        if name is None:
            raise ValueError("invalid(strategy) needs schema= unless it is this package's strategy")
    if rules is not None:
        unknown = sorted(set(rules) - set(RULES))
        if unknown or not rules:
            raise ValueError(f"unknown rules {unknown}; known: {', '.join(RULES)}")
    wanted = tuple(rules or RULES)

    @st.composite
    def build(draw) -> Broken:
        original = draw(valid)
        schema_name = name(original) if callable(name) else name
        found: dict[str, list[_Site]] = {}
        for site in _sites([_uri(schema_name)], original):
            if site.rule in wanted:
                found.setdefault(site.rule, []).append(site)
        available = [rule for rule in wanted if rule in found]
        # A payload without a place for the wanted rules (an assignment event has no forbidden
        # key to add) is skipped, as a filter would; Hypothesis tells when nothing fits.
        assume(available)
        first = draw(indexes(len(available)))
        for rule in available[first:] + available[:first]:  # the drawn rule, unless none breaks
            candidates = found[rule]
            start = draw(indexes(len(candidates)))
            for offset in range(len(candidates)):
                site = candidates[(start + offset) % len(candidates)]
                payload = copy.deepcopy(original)
                new_value = site.change(copy.deepcopy(_get(payload, site.node)))
                if _refused(site, new_value):
                    return Broken(
                        payload=_set(payload, site.node, new_value),
                        schema=schema_name,
                        rule=rule,
                        path=schemas.json_path(site.report),
                        detail=site.detail,
                        original=original,
                        parts=site.report,
                        changed=schemas.json_path(
                            (*site.node, site.key) if site.key else site.node
                        ),
                    )
        reject()

    return build()


def _default_strategy(schema: str) -> SearchStrategy:
    from . import DEFAULTS

    stem = schema.partition("#")[0].removesuffix(".json")
    factory = DEFAULTS.get(schema) or DEFAULTS.get(stem)
    if factory is None:
        raise ValueError(f"no strategy makes {schema!r} payloads; known: {', '.join(DEFAULTS)}")
    return factory()
