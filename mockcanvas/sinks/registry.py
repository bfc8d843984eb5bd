"""Subscriptions: which sink gets an instance's Live Events, in which format, and how it is doing.

A subscription is made from a spec dict (the CLI and the control API both build one):

    {"kind": "webhook", "url": "https://...", "signed": false, "format": "canvas", "name": "..."}
    {"kind": "sqs", "queue_url": "https://sqs...", "region": "...", "endpoint_url": "..."}
    {"kind": "jsonl", "path": "events.jsonl"}

plus optional delivery tuning: ``queue_size``, ``queue_bytes``, ``concurrency``, ``timeout``,
``backoff_base``, ``backoff_max``, ``max_attempts``, ``failure_budget``, ``log_capacity``,
``held_capacity`` (see ``outbox.DeliveryPolicy``; unset ones take the instance's defaults).
Anything else, or a value of the wrong type, is a ``BadRequest`` and nothing is made.

Each instance's subscriptions are kept per event bus (``registry_for(bus)``), so apps in one process
never share them; a subscription is also the ``Sink`` the bus hands events to.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BadRequest, NotFound
from ..events import EventBus, LiveEvent
from ..instance import Instance
from ..jsonnum import whole
from ..store import Store
from .jsonl import JsonlSink
from .outbox import DeliveryPolicy, Outbox, SinkStateError, stamp
from .webhook import WebhookSink, check_url

if TYPE_CHECKING:
    from .signing import KeyRing

KINDS = {"webhook": "url", "sqs": "queue_url", "jsonl": "path"}
FORMATS = ("canvas", "caliper")
_COMMON = frozenset({"kind", "name", "format", "signed"})
_KIND_EXTRAS = {
    "webhook": frozenset(),
    "sqs": frozenset({"region", "endpoint_url"}),
    "jsonl": frozenset(),
}
# Tuning fields: (type, lowest, highest).
_POLICY_FIELDS: dict[str, tuple[type, float, float]] = {
    "queue_size": (int, 1, 1_000_000),
    "queue_bytes": (int, 1024, 2**34),
    "concurrency": (int, 1, 64),
    "log_capacity": (int, 1, 10_000_000),
    "held_capacity": (int, 0, 10_000_000),
    "timeout": (float, 0.001, 300),
    "backoff_base": (float, 0.001, 3600),
    "backoff_max": (float, 0.001, 86_400),
    "max_attempts": (int, 1, 1000),
    "failure_budget": (int, 1, 1_000_000),
}
_NAME_MAX = 255


# -- specs ---------------------------------------------------------------------------------------


def _text(spec: dict, key: str, *, required: bool = False) -> str | None:
    value = spec.get(key)
    if value is None:
        if required:
            raise BadRequest(f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key} must be a non-empty string")
    return value


def _http_url(key: str, value: str) -> str:
    try:
        return check_url(value)
    except ValueError as error:
        raise BadRequest(str(error).replace("url", key, 1)) from None


def parse_spec(spec: object, defaults: DeliveryPolicy | None = None) -> dict:
    """A validated, complete spec with defaults (``defaults``, else ``DeliveryPolicy()``'s)
    filled in; ``BadRequest`` saying what is wrong."""
    if not isinstance(spec, dict):
        raise BadRequest("a subscription must be a JSON object")
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:  # {} is unhashable: a 400, not a crash
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    target_key = KINDS[kind]
    allowed = _COMMON | {target_key} | _KIND_EXTRAS[kind] | set(_POLICY_FIELDS)
    unknown = sorted(str(key) for key in spec if key not in allowed)
    if unknown:
        raise BadRequest(f"unknown field(s) for a {kind} subscription: {', '.join(unknown)}")
    parsed: dict = {"kind": kind}

    target = _text(spec, target_key, required=True)
    assert target is not None
    if kind in ("webhook", "sqs"):
        target = _http_url(target_key, target)
    parsed[target_key] = target
    if kind == "sqs":
        parsed["region"] = _text(spec, "region")
        endpoint = _text(spec, "endpoint_url")
        parsed["endpoint_url"] = _http_url("endpoint_url", endpoint) if endpoint else None

    signed = spec.get("signed", False)
    if not isinstance(signed, bool):
        raise BadRequest("signed must be true or false")
    if signed and kind != "webhook":
        raise BadRequest("only webhook deliveries can be signed")
    parsed["signed"] = signed

    fmt = spec.get("format", "canvas")
    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}")
    parsed["format"] = fmt

    name = _text(spec, "name")
    if name is not None and len(name) > _NAME_MAX:
        raise BadRequest(f"name must be at most {_NAME_MAX} characters")
    parsed["name"] = name

    policy: dict[str, float | int] = {}
    for key, (kind_of, low, high) in _POLICY_FIELDS.items():
        if key not in spec:
            continue
        value = spec[key]
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind_of is int and is_number:
            value = whole(value)
            is_number = value is not None
        if not is_number:
            raise BadRequest(f"{key} must be {'an integer' if kind_of is int else 'a number'}")
        if not low <= value <= high:
            raise BadRequest(f"{key} must be between {low:g} and {high:g}")
        policy[key] = value
    merged = {**(defaults or DeliveryPolicy()).as_dict(), **policy}
    if merged["backoff_max"] < merged["backoff_base"]:
        raise BadRequest("backoff_max must be at least backoff_base")
    parsed["policy"] = DeliveryPolicy(**merged)
    return parsed


def delivery_defaults(**overrides: int | float | None) -> DeliveryPolicy:
    """``DeliveryPolicy()`` with ``overrides`` (None: keep the default), each checked against the
    range a spec may give it; ValueError saying which is out of range."""
    values = DeliveryPolicy().as_dict()
    for key, value in overrides.items():
        if value is None:
            continue
        kind_of, low, high = _POLICY_FIELDS[key]
        if isinstance(value, bool) or not isinstance(value, kind_of | int):
            raise ValueError(f"{key} must be {'an integer' if kind_of is int else 'a number'}")
        if not low <= value <= high:
            raise ValueError(f"{key} must be between {low:g} and {high:g}")
        values[key] = value
    return DeliveryPolicy(**values)


# -- subscriptions -------------------------------------------------------------------------------


@dataclass(eq=False)
class Subscription:
    """One configured delivery: what, where, in which format, and its outbox (the worker)."""

    id: int
    name: str
    kind: str
    target: str  # the url, queue_url or path
    format: str
    signed: bool
    created_at: str
    sink: Outbox
    options: dict = field(default_factory=dict)  # sqs: region, endpoint_url

    @property
    def bus_key(self) -> str:
        return f"subscription-{self.id}"

    # The Sink protocol: the bus hands events here.
    def submit(self, event: LiveEvent) -> None:
        self.sink.submit(event)

    def close(self, timeout: float = 5.0) -> None:
        self.sink.close(timeout)

    @property
    def state(self) -> str:
        return self.sink.state

    def counts(self) -> dict[str, int]:
        return self.sink.counts()

    def log(self, after: int = 0, limit: int | None = None) -> list[dict]:
        """The delivery log: one entry per attempt or fate, oldest first, numbered by ``n``."""
        return self.sink.log(after, limit)

    def unfinished(self) -> list[dict]:
        return self.sink.unfinished()

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self.sink.wait_idle(timeout)

    def reactivate(self) -> None:
        self.sink.reactivate()

    def redeliver(self, event_id: str | None = None) -> int:
        return self.sink.redeliver(event_id)

    def event_log(self, event_id: str) -> list[dict]:
        return self.sink.event_log(event_id)

    def describe(self) -> dict:
        """The subscription as the control API shows it (without the log)."""
        data: dict = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            KINDS[self.kind]: self.target,
            **self.options,
            "format": self.format,
            "signed": self.signed,
            "state": self.state,
            "created_at": self.created_at,
            "deactivated_at": self.sink.deactivated_at,
            "consecutive_failures": self.sink.consecutive_failures,
            "counts": self.counts(),
            "log_size": self.sink.log_size(),
            "policy": self.sink.policy.as_dict(),
            "memory": self.sink.memory(),
        }
        return data


class Registry:
    """The subscriptions of one event bus, and the signing keys their signed webhooks use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[int, Subscription] = {}
        self._next_id = 1
        self._keys: KeyRing | None = None
        self.defaults = DeliveryPolicy()  # what a spec's unset tuning fields take

    def clear_histories(self) -> dict[str, int]:
        """Empty every subscription's delivery log and held payloads (a reset keeps the
        subscriptions); returns how many of each went, in all (each is counted per subscription
        under ``memory``)."""
        cleared = {"log_entries": 0, "held_payloads": 0}
        for subscription in self.all():
            for key, count in subscription.sink.clear_history().items():
                cleared[key] += count
        return cleared

    @property
    def keys(self) -> KeyRing:
        """The ``signing.KeyRing`` (made on first use: it imports PyJWT and cryptography)."""
        with self._lock:
            if self._keys is None:
                from .signing import KeyRing

                self._keys = KeyRing()
            return self._keys

    def _reserve_id(self) -> int:
        with self._lock:
            number = self._next_id
            self._next_id += 1
            return number

    def _release_id(self, number: int) -> None:
        """Give back an id reserved for a subscription that was refused, if none came since."""
        with self._lock:
            if self._next_id == number + 1:
                self._next_id = number

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions[subscription.id] = subscription

    def all(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def get(self, subscription_id: int) -> Subscription:
        with self._lock:
            found = self._subscriptions.get(subscription_id)
        if found is None:
            raise NotFound()
        return found

    def pop(self, subscription_id: int) -> Subscription:
        with self._lock:
            found = self._subscriptions.pop(subscription_id, None)
        if found is None:
            raise NotFound()
        return found


_registries: weakref.WeakKeyDictionary[EventBus, Registry] = weakref.WeakKeyDictionary()
_registries_lock = threading.Lock()


def registry_for(bus: EventBus) -> Registry:
    """The subscriptions of this bus (each instance has its own bus, so its own registry)."""
    with _registries_lock:
        found = _registries.get(bus)
        if found is None:
            found = _registries[bus] = Registry()
        return found


def _renderer(fmt: str, store: Store, host: str) -> Callable[[LiveEvent], dict | None] | None:
    if fmt == "canvas":
        return None  # the outbox's default: the payload as Canvas sends it
    try:
        from ..presenters.caliper import caliper_envelope
    except ImportError:
        raise BadRequest("the caliper format is not available in this build") from None
    return lambda event: caliper_envelope(event, store, host)


def subscribe(inst: Instance, spec: object, *, host: str = "localhost") -> Subscription:
    """Make a subscription from a spec and attach it to the instance's bus.

    ``host`` names the server in Caliper envelopes (``sensor``). Raises ``BadRequest``.
    """
    reg = registry_for(inst.bus)
    parsed = parse_spec(spec, reg.defaults)
    render = _renderer(parsed["format"], inst.store, host)
    number = reg._reserve_id()
    try:
        return _subscribe(inst, reg, parsed, number, render)
    except BaseException:
        reg._release_id(number)  # a refused subscription leaves the numbering as it was
        raise


def _jsonl_path(text: str) -> Path:
    """The absolute path a JSONL subscription names; BadRequest for one no file can have."""
    if "\0" in text:
        raise BadRequest("path must not contain a NUL character")
    try:
        text.encode("utf-8")
        return Path(text).expanduser().absolute()
    except UnicodeEncodeError:
        raise BadRequest("path must be valid Unicode (no lone surrogates)") from None
    except RuntimeError:  # "~nobody/x": a user without a home directory
        raise BadRequest(f"cannot expand the ~ in {text!r}: no such user or home") from None


def _subscribe(inst: Instance, reg: Registry, parsed: dict, number: int, render) -> Subscription:
    kind = parsed["kind"]
    name = parsed["name"] or f"{kind}-{number}"
    common = {"policy": parsed["policy"], "now": inst.clock.now, "render": render, "name": name}
    options: dict = {}
    if kind == "webhook":
        keys = None
        if parsed["signed"]:
            keys = reg.keys
            keys.kids()  # make the keys now, not on the first delivery
        sink: Outbox = WebhookSink(parsed["url"], keys=keys, **common)
        target = parsed["url"]
    elif kind == "sqs":
        from .sqs import SinkUnavailable, SqsSink

        try:
            sink = SqsSink(
                parsed["queue_url"],
                region=parsed["region"],
                endpoint_url=parsed["endpoint_url"],
                **common,
            )
        except (SinkUnavailable, ValueError) as error:  # ValueError: botocore's InvalidRegionError
            raise BadRequest(str(error)) from None
        target = parsed["queue_url"]
        options = {"region": sink.region, "endpoint_url": sink.endpoint_url}
    else:
        path = _jsonl_path(parsed["path"])
        try:
            sink = JsonlSink(path, **common)
        except OSError as error:
            raise BadRequest(f"cannot append to {path}: {error.strerror or error}") from None
        target = str(path)
    subscription = Subscription(
        id=number,
        name=name,
        kind=kind,
        target=target,
        format=parsed["format"],
        signed=parsed["signed"],
        created_at=stamp(inst.clock.now()),
        sink=sink,
        options=options,
    )
    try:
        inst.bus.subscribe(subscription.bus_key, subscription)
    except ValueError as error:  # a sink attached under this name by other code
        sink.close(0)
        raise BadRequest(str(error)) from None
    reg.add(subscription)
    return subscription


def unsubscribe(inst: Instance, subscription_id: int, timeout: float = 0.0) -> Subscription:
    """Detach and close a subscription; what is still queued is recorded as undelivered."""
    subscription = registry_for(inst.bus).pop(subscription_id)
    inst.bus.unsubscribe(subscription.bus_key)
    subscription.close(timeout)
    return subscription


def shutdown(bus: EventBus, timeout: float = 5.0) -> list[Subscription]:
    """Close every sink on the bus within ``timeout`` seconds in all; returns the subscriptions.

    The sinks deliver in parallel (one thread each), so one deadline bounds the whole flush.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    for sink in bus.sinks().values():
        sink.close(max(0.0, deadline - time.monotonic()))
    return registry_for(bus).all()


def write_undelivered(subscriptions: Iterable[Subscription], directory: Path) -> list[tuple]:
    """Write each subscription's undelivered events to ``subscription-<id>-undelivered.jsonl``.

    Returns ``(subscription, path, count)`` for every file written (none for clean
    subscriptions). Each line: the subscription id, the event's fate and attempts, and its payload.
    """
    written = []
    for subscription in subscriptions:
        left = subscription.unfinished()
        if not left:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"subscription-{subscription.id}-undelivered.jsonl"
        with path.open("a", encoding="utf-8") as out:
            for item in left:
                line = {"subscription": subscription.id, "name": subscription.name, **item}
                out.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
        written.append((subscription, path, len(left)))
    return written


__all__ = [
    "FORMATS",
    "KINDS",
    "Registry",
    "SinkStateError",
    "Subscription",
    "delivery_defaults",
    "parse_spec",
    "registry_for",
    "shutdown",
    "subscribe",
    "unsubscribe",
    "write_undelivered",
]
