"""Injected faults: make chosen Canvas routes fail, throttle or stall, on purpose and repeatably.

A fault names the requests it applies to (a glob or a regular expression on the path, optionally
HTTP methods), what happens (``status``: an error status with a Canvas error body; ``rate_limit``:
Canvas's throttled answer; ``latency``: a pause, then the request goes on), how likely it is
(``probability``, drawn from a seeded generator so a run repeats) and how many times it may fire
(``count``; none means every time). Faults are tried in the order they were added: latency adds up,
and the first status or rate-limit fault that fires answers the request. Control routes are never
faulted; that is the HTTP layer's rule.

Globs: ``*`` matches within one path segment, ``**`` across segments, ``?`` one character.
Regular expressions are searched in the path (anchor them with ``^`` and ``$`` to match it whole).
Both run in time linear in the path (see ``pathmatch``): a glob is at most 1,024 characters, a
regex at most 1,024 characters and 1,000 automaton states, may not use backreferences, lookaround,
``\b``, possessive or atomic groups or flags other than ``s`` and ``x`` (400 otherwise), and is
tried only on paths of at most 2,048 characters (a longer path never matches a regex fault).
"""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import dataclass, field

from ..errors import BadRequest
from ..jsonnum import whole
from ..pathmatch import Glob, PatternError, SafeRegex

KINDS = ("status", "rate_limit", "latency")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 field names
_FIELD = re.compile(r"[\t -~]*")  # printable ASCII, space and tab
MAX_LATENCY_MS = 60_000.0
MAX_REGEX_PATH = 2048  # longer paths never match a regex fault: bounds its O(path x states) cost
_SERVER_OWNED = frozenset(
    {
        "transfer-encoding",
        "content-length",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "content-encoding",
    }
)
_FIELDS = frozenset(
    {
        "path",
        "regex",
        "method",
        "kind",
        "status",
        "body",
        "headers",
        "latency_ms",
        "probability",
        "count",
    }
)


def _framing(name: str) -> bool:
    """A header the server owns (RFC 9110 section 7.6.1's hop-by-hop ones, the message framing
    ones) or one that would misdescribe the body."""
    lowered = name.lower()
    return lowered in _SERVER_OWNED or lowered.startswith("proxy-")


def glob_pattern(glob: str) -> Glob:
    """A glob on paths, matching the whole path in linear time; BadRequest when too long."""
    try:
        return Glob(glob)
    except PatternError as error:
        raise BadRequest(str(error)) from None


@dataclass
class Fault:
    id: int
    kind: str
    path: str | None
    regex: str | None
    methods: tuple[str, ...] | None
    status: int | None
    body: object
    headers: dict[str, str]
    latency_ms: float
    probability: float
    count: int | None
    remaining: int | None
    pattern: Glob | SafeRegex = field(repr=False)
    matched: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        if isinstance(self.pattern, SafeRegex):
            return len(path) <= MAX_REGEX_PATH and self.pattern.search(path)
        return self.pattern.match(path)

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "regex": self.regex,
            "method": list(self.methods) if self.methods is not None else None,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "latency_ms": self.latency_ms,
            "probability": self.probability,
            "count": self.count,
            "remaining": self.remaining,
            "matched": self.matched,
            "fired": self.fired,
        }


@dataclass(frozen=True)
class Decision:
    """What the faults do to one request: a pause, then perhaps an answer instead of the app's."""

    latency_ms: float = 0.0
    answer: Fault | None = None
    fired: tuple[int, ...] = ()


def _number(spec: dict, name: str, default: float, low: float, high: float) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{name} must be a number")
    try:
        number = float(value)
    except OverflowError:  # an integer past the range of a double
        number = math.inf
    if not math.isfinite(number) or not low <= number <= high:
        raise BadRequest(f"{name} must be between {low:g} and {high:g}")
    return number


def parse_fault(spec: object, fault_id: int) -> Fault:
    """A fault from its JSON description; raises BadRequest saying what is wrong."""
    if not isinstance(spec, dict):
        raise BadRequest("a fault is a JSON object")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise BadRequest(f"unknown fault fields: {', '.join(unknown)}")
    kind = spec.get("kind", "status")
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    path, regex = spec.get("path"), spec.get("regex")
    if (path is None) == (regex is None):
        raise BadRequest("give exactly one of path (a glob) and regex")
    pattern: Glob | SafeRegex
    if path is not None:
        if not isinstance(path, str) or not path:
            raise BadRequest("path must be a non-empty glob string")
        pattern = glob_pattern(path)
    else:
        if not isinstance(regex, str) or not regex:
            raise BadRequest("regex must be a non-empty string")
        try:
            pattern = SafeRegex(regex)
        except PatternError as error:
            raise BadRequest(str(error)) from None
    methods = spec.get("method")
    if methods is not None:
        if isinstance(methods, str):
            methods = [methods]
        if (
            not isinstance(methods, list)
            or not methods
            or not all(isinstance(m, str) and m.isascii() and m.isalpha() for m in methods)
        ):
            raise BadRequest("method must be an HTTP method or a list of them")
        methods = tuple(sorted({m.upper() for m in methods}))
    status = None
    if kind == "status":
        status = whole(spec.get("status", 500))
        if status is None or not 400 <= status <= 599:
            raise BadRequest("status must be an integer from 400 to 599")
    elif "status" in spec:
        raise BadRequest(f"a {kind} fault takes no status")
    if kind != "status" and ("body" in spec or "headers" in spec):
        raise BadRequest(f"a {kind} fault takes no body or headers")
    headers = spec.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _TOKEN.fullmatch(k) and _FIELD.fullmatch(v)
        for k, v in headers.items()
    ):
        # Anything else cannot go out on the wire: the server fails writing the answer (CR, LF
        # and NUL included: they would split the answer's head).
        raise BadRequest("headers must map header names (HTTP tokens) to printable ASCII values")
    framing = sorted(k for k in headers if _framing(k))
    if framing:
        raise BadRequest(
            f"headers cannot set {', '.join(framing)}: the server frames the answer itself "
            "(hop-by-hop and framing headers, and Content-Encoding, since the body is never "
            "encoded), and a fault answer that set them would fail or corrupt every answer "
            "it matched"
        )
    latency = _number(spec, "latency_ms", 0.0, 0.0, MAX_LATENCY_MS)
    if kind == "latency" and latency <= 0:
        raise BadRequest("a latency fault needs latency_ms above 0")
    probability = _number(spec, "probability", 1.0, 0.0, 1.0)
    count = spec.get("count")
    if count is not None:
        count = whole(count)
        if count is None or count < 1:
            raise BadRequest("count must be a positive integer or null (unlimited)")
    return Fault(
        id=fault_id,
        kind=kind,
        path=path,
        regex=regex,
        methods=methods,
        status=status,
        body=spec.get("body"),
        headers=dict(headers),
        latency_ms=latency,
        probability=probability,
        count=count,
        remaining=count,
        pattern=pattern,
    )


class FaultSet:
    """The faults of one instance, in the order added; thread-safe and seeded."""

    def __init__(self, seed: object = 1) -> None:
        self._seed = f"mockcanvas-faults-{seed}"
        self._rng = random.Random(self._seed)
        self._faults: list[Fault] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, spec: object) -> Fault:
        with self._lock:
            fault = parse_fault(spec, self._next_id)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def get(self, fault_id: int) -> Fault | None:
        with self._lock:
            return next((f for f in self._faults if f.id == fault_id), None)

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            kept = [f for f in self._faults if f.id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
            return removed

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults = []
            return count

    def reset(self) -> None:
        """No faults, ids from 1, and the generator back at its seed."""
        with self._lock:
            self._faults = []
            self._next_id = 1
            self._rng = random.Random(self._seed)

    def decide(self, method: str, path: str) -> Decision:
        """Which faults fire for this request; counts and draws are taken here, atomically."""
        latency = 0.0
        fired: list[int] = []
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(method, path):
                    continue
                fault.matched += 1
                if fault.probability < 1.0 and not (
                    fault.probability > 0.0 and self._rng.random() < fault.probability
                ):
                    continue
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                fired.append(fault.id)
                latency += fault.latency_ms
                if fault.kind != "latency":
                    return Decision(latency, fault, tuple(fired))
        return Decision(latency, None, tuple(fired))
