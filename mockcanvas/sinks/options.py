"""``mockcanvas serve``'s delivery options: subscriptions from flags, and a bounded shutdown."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from ..instance import Instance
from .registry import Subscription, shutdown, subscribe, write_undelivered

SHUTDOWN_TIMEOUT = 5.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not 0 <= value <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser, *, shutdown: bool = False) -> None:
    """The sink flags; with ``shutdown``, also ``--shutdown-timeout`` (``serve`` has one)."""
    group = parser.add_argument_group("Live Events delivery")
    group.add_argument(
        "--webhook", action="append", default=[], metavar="URL", help="POST each event as JSON"
    )
    group.add_argument(
        "--webhook-signed",
        action="append",
        default=[],
        metavar="URL",
        help="POST each event as an RS256 JWT (keys at /_mockcanvas/jwks)",
    )
    group.add_argument(
        "--caliper", action="store_true", help="send the webhooks above in Caliper 1.1 form"
    )
    group.add_argument(
        "--sqs-queue-url", action="append", default=[], metavar="URL", help="send each event to SQS"
    )
    group.add_argument("--sqs-endpoint-url", metavar="URL", help="a local SQS endpoint")
    group.add_argument("--sqs-region", metavar="REGION", help="the queue's AWS region")
    group.add_argument(
        "--jsonl", action="append", default=[], metavar="FILE", help="append each event to FILE"
    )
    group.add_argument(
        "--undelivered-dir",
        type=Path,
        metavar="DIR",
        help="where to write events still undelivered at shutdown (default: a new temp dir)",
    )
    if shutdown:
        group.add_argument(
            "--shutdown-timeout",
            type=_seconds,
            default=SHUTDOWN_TIMEOUT,
            metavar="SECONDS",
            help=f"how long requests in flight and then pending deliveries may take on SIGTERM "
            f"or SIGINT, in all; requests still running are abandoned, undelivered events "
            f"written out (default: {SHUTDOWN_TIMEOUT:g})",
        )


def specs(args: argparse.Namespace) -> list[dict]:
    """The subscription specs the flags ask for, in a stable order."""
    fmt = "caliper" if args.caliper else "canvas"
    made: list[dict] = []
    for url in args.webhook:
        made.append({"kind": "webhook", "url": url, "format": fmt})
    for url in args.webhook_signed:
        made.append({"kind": "webhook", "url": url, "format": fmt, "signed": True})
    for url in args.sqs_queue_url:
        spec = {"kind": "sqs", "queue_url": url}
        if args.sqs_endpoint_url:
            spec["endpoint_url"] = args.sqs_endpoint_url
        if args.sqs_region:
            spec["region"] = args.sqs_region
        made.append(spec)
    for path in args.jsonl:
        made.append({"kind": "jsonl", "path": path})
    return made


def subscribe_all(inst: Instance, args: argparse.Namespace, host: str) -> list[Subscription]:
    """Subscriptions for the flags; raises ``BadRequest`` on the first bad one (none are kept)."""
    from .registry import unsubscribe

    made: list[Subscription] = []
    try:
        for spec in specs(args):
            made.append(subscribe(inst, spec, host=host))
    except Exception:
        for subscription in made:
            unsubscribe(inst, subscription.id)
        raise
    return made


def describe(subscription: Subscription) -> str:
    signed = ", signed" if subscription.signed else ""
    return (
        f"live events -> subscription {subscription.id}: {subscription.kind} "
        f"{subscription.target} ({subscription.format}{signed})"
    )


def close_and_report(
    inst: Instance,
    *,
    timeout: float = SHUTDOWN_TIMEOUT,
    directory: Path | None = None,
    out: TextIO | None = None,
) -> list[tuple]:
    """Flush every sink within ``timeout`` seconds, write out what is left, and say where."""
    out = out or sys.stdout
    subscriptions = shutdown(inst.bus, timeout)
    pending = [s for s in subscriptions if s.unfinished()]
    written = []
    if pending:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="mockcanvas-undelivered-"))
        written = write_undelivered(pending, directory)
    for subscription in subscriptions:
        counts = subscription.counts()
        print(
            f"subscription {subscription.id} ({subscription.kind} {subscription.target}): "
            f"{counts['delivered']} of {counts['submitted']} events delivered",
            file=out,
            flush=True,
        )
    for subscription, path, count in written:
        print(
            f"subscription {subscription.id}: {count} undelivered events written to {path}",
            file=out,
            flush=True,
        )
    return written
