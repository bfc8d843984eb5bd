"""Canvas's request throttle: a leaky bucket per client (app/middleware/request_throttle.rb).

Each client (an access token, else the caller's IP address) has a bucket. A request first adds the
up-front cost and is refused when the bucket then stands at or above the high water mark; when it
finishes the up-front cost is refunded and the request's real cost added. The bucket leaks
``outflow`` units a second and never holds more than ``maximum`` or less than 0. Canvas tracks the
bucket even with throttling off (it only logs what it would have refused); so does the mock, so the
headers are there either way.

Cost model. Canvas charges the request's CPU seconds plus its database seconds plus any extra cost
the app assigns. With the throttle on, the mock charges the seconds the request's handler took on
the throttle's monotonic time source (injected fault latency excluded) plus ``extra_cost``. With it
off, no time is measured: a request costs ``extra_cost`` alone (0 by default), so the headers are
the same on every run. A refused request costs only the time it took to refuse it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..errors import BadRequest

RATE_LIMITED_BODY = "403 Forbidden (Rate Limit Exceeded)\n"
RATE_LIMITED_CONTENT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class ThrottleConfig:
    """The bucket's settings; Canvas's defaults (``request_throttle.*`` settings)."""

    enabled: bool = False
    high_water_mark: float = 600.0
    maximum: float = 800.0
    outflow: float = 10.0
    up_front_cost: float = 50.0
    extra_cost: float = 0.0  # Canvas's "extra-request-cost": charged to every answered request

    def to_json(self) -> dict:
        return asdict(self)

    def updated(self, changes: object) -> ThrottleConfig:
        """A copy with ``changes`` (a JSON object) applied; raises BadRequest on bad input."""
        if not isinstance(changes, dict) or not changes:
            raise BadRequest("send a JSON object with throttle settings to change")
        known = set(self.to_json())
        unknown = sorted(set(changes) - known)
        if unknown:
            raise BadRequest(f"unknown throttle settings: {', '.join(unknown)}")
        values: dict[str, Any] = {}  # checked field by field below
        for name, value in changes.items():
            if name == "enabled":
                if not isinstance(value, bool):
                    raise BadRequest("enabled must be true or false")
                values[name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(f"{name} must be a number")
            try:
                number = float(value)
            except OverflowError:  # an integer past the range of a double
                number = math.inf
            if not math.isfinite(number) or number < 0:
                raise BadRequest(f"{name} must be a finite number >= 0")
            values[name] = number
        config = replace(self, **values)
        if config.high_water_mark <= 0:
            raise BadRequest("high_water_mark must be above 0")
        if "maximum" not in changes and config.maximum < config.high_water_mark:
            # Raising the high water mark alone keeps Canvas's 200 units of headroom.
            config = replace(config, maximum=config.high_water_mark + 200.0)
        if config.maximum < config.high_water_mark:
            raise BadRequest("maximum must be at least high_water_mark")
        return config


@dataclass
class Bucket:
    count: float = 0.0
    last_touched: float | None = None
    user_id: int | None = None


@dataclass
class Reservation:
    """One request's claim on its bucket, from ``begin`` to ``end``."""

    client: str
    up_front: float
    started: float
    throttled: bool
    measured: bool
    finished: bool = False
    cost: float = 0.0
    remaining: float = 0.0


@dataclass
class Throttle:
    """Buckets per client under one configuration; thread-safe."""

    config: ThrottleConfig = field(default_factory=ThrottleConfig)
    time_source: Callable[[], float] = time.monotonic
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, config: ThrottleConfig) -> None:
        """Use new settings; the buckets start empty."""
        with self._lock:
            self.config = config
            self._buckets.clear()

    def clear(self) -> int:
        with self._lock:
            count = len(self._buckets)
            self._buckets.clear()
            return count

    def begin(self, client: str, user_id: int | None = None) -> Reservation:
        """Reserve the up-front cost; the reservation says whether Canvas would refuse it."""
        with self._lock:
            config = self.config
            now = self.time_source()
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = Bucket(user_id=user_id)
            self._add(bucket, config.up_front_cost, now)
            throttled = config.enabled and bucket.count >= config.high_water_mark
            return Reservation(
                client=client,
                up_front=config.up_front_cost,
                started=now,
                throttled=throttled,
                measured=config.enabled,
            )

    def restart_timer(self, reservation: Reservation) -> None:
        """Start measuring now: time spent before (injected latency) is not charged."""
        reservation.started = self.time_source()

    def end(self, reservation: Reservation, *, answered: bool = True) -> Reservation:
        """Refund the up-front cost and charge the real one; fills in cost and remaining.

        ``answered`` is False when the app never ran (refused, or a rate-limit fault): no
        extra cost then.
        """
        if reservation.finished:
            return reservation
        with self._lock:
            config = self.config
            now = self.time_source()
            elapsed = max(0.0, now - reservation.started) if reservation.measured else 0.0
            cost = elapsed + (config.extra_cost if answered else 0.0)
            bucket = self._buckets.get(reservation.client)
            if bucket is None:  # cleared mid-request
                bucket = self._buckets[reservation.client] = Bucket()
            else:
                self._add(bucket, cost - reservation.up_front, now)
            reservation.finished = True
            reservation.cost = cost
            reservation.remaining = config.high_water_mark - bucket.count
            return reservation

    def buckets(self) -> list[dict]:
        with self._lock:
            config = self.config
            return [
                {
                    "client": client,
                    "user_id": bucket.user_id,
                    "count": bucket.count,
                    "remaining": config.high_water_mark - bucket.count,
                }
                for client, bucket in self._buckets.items()
            ]

    def _add(self, bucket: Bucket, amount: float, now: float) -> None:
        """Leak since the last touch, add ``amount``, keep within [0, maximum] (the Lua script)."""
        config = self.config
        if bucket.last_touched is not None and bucket.count > 0:
            loss = config.outflow * (now - bucket.last_touched)
            if loss > 0:
                bucket.count -= loss
        bucket.count = min(config.maximum, max(0.0, bucket.count + amount))
        bucket.last_touched = now


def ruby_float(value: float) -> str:
    """``Float#to_s``: ``0.0``, ``600.0``, ``0.0123``, ``1.0e-05``."""
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    return text
