"""Live Events delivery: subscriptions that carry every emitted event to a webhook, SQS or a file.

``subscribe(inst, spec)`` attaches one to an instance's event bus; each has its own outbox (a
bounded queue and one delivery thread) and a delivery log. See ``outbox`` for the policies.
"""

from __future__ import annotations

from .outbox import DeliveryError, DeliveryPolicy, Outbox, SinkStateError
from .registry import (
    Registry,
    Subscription,
    parse_spec,
    registry_for,
    shutdown,
    subscribe,
    unsubscribe,
    write_undelivered,
)

__all__ = [
    "DeliveryError",
    "DeliveryPolicy",
    "Outbox",
    "Registry",
    "SinkStateError",
    "Subscription",
    "parse_spec",
    "registry_for",
    "shutdown",
    "subscribe",
    "unsubscribe",
    "write_undelivered",
]
