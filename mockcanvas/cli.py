"""The ``mockcanvas`` command: ``serve`` a seeded Canvas, or print its ``world``."""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from . import __version__, golden, payloads, progress_bar, scenario, simulate
from .app import create_app
from .clock import DEFAULT_NOW, RANGE_TEXT, Clock, in_range
from .errors import BadRequest
from .events import DEFAULT_INBOX_CAPACITY
from .http.bodies import DEFAULT_MAX_BODY, check_max_body
from .http.cross_site import normalize_hosts
from .instance import current_instance
from .live_server import (
    BODY_MIN_RATE,
    BODY_TIMEOUT,
    CONNECTION_LIMIT,
    DEFAULT_SERVER,
    HEADER_TIMEOUT,
    SERVERS,
    LiveServer,
)
from .presenters.world import world_json
from .sinks import options as sink_options
from .sinks.outbox import DeliveryPolicy

DEFAULT_PORT = 8080
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine (127.0.0.0/8, ::1, localhost)."""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, control_token: str | None) -> str | None:
    """What ``serve`` says on stderr when bound beyond loopback: what is left unguarded.

    Without a control token the control API is open to anyone who reaches the port (reset, state
    import, grades, subscriptions that make the server send requests and write files). With one,
    the Canvas API still answers anyone with a seeded token, and seeded tokens follow from the
    seed, so that is said too, as a note.
    """
    if is_loopback(host):
        return None
    if control_token is None:
        return (
            f"warning: serving on {host} without --control-token: anyone who can reach it can "
            "use the control API (/_mockcanvas/: reset, state import, grading, webhook "
            "subscriptions) and read the mock's data; guard it with --control-token TOKEN, or "
            "bind 127.0.0.1 (the default)"
        )
    return (
        f"note: serving on {host}: the control API needs the control token, but the Canvas API "
        "answers anyone with a seeded token, and seeded tokens follow from the seed "
        "(--admin-token sets the admin's)"
    )


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time with an offset, e.g. 2026-11-02T16:00:00Z")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset leaves datetime's range
        utc = None
    if utc is None or not in_range(utc):
        # The clock API, scenarios and state import take the same range (mockcanvas/clock.py).
        raise argparse.ArgumentTypeError(f"give a time from {RANGE_TEXT}")
    return value


def _world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="world seed (default 1)")
    parser.add_argument(
        "--size", default="small", help="world size: small, medium, large or huge (default small)"
    )
    parser.add_argument(
        "--now",
        type=_instant,
        default=None,
        help="the clock's start; the seeded history ends here (default: the scenario's now, else "
        f"{DEFAULT_NOW.isoformat()})",
    )
    parser.add_argument("--admin-token", help="use this access token for the seeded admin")
    parser.add_argument(
        "--scenario",
        metavar="FILE_OR_NAME",
        help="build the world from a scenario file (JSON or TOML) or a bundled scenario "
        f"({', '.join(scenario.bundled())}) instead of the seed",
    )


def _load_scenario(args: argparse.Namespace) -> scenario.Scenario | None:
    """The checked scenario the options name, or None (a bad one raises ScenarioError)."""
    return None if args.scenario is None else scenario.load(args.scenario)


def _start(args: argparse.Namespace, loaded: scenario.Scenario | None) -> datetime:
    return args.now or (loaded.now if loaded is not None else None) or DEFAULT_NOW


def _max_body(text: str) -> int:
    try:
        value = int(text)
        check_max_body(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a positive number of bytes: {text!r}") from None
    return value


def _count(low: int):
    """An argparse type: a whole number at least ``low``."""

    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, not {text!r}")
        return int(text)

    return parse


def _deadline(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600 seconds")
    return value


def _connection_limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError("must be from 1 to 1000000")
    return value


def _allowed_host(text: str) -> str:
    try:
        normalize_hosts([text])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a host name (or *): {text!r}") from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockcanvas", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mockcanvas {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run a mock Canvas over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port; 0 picks a free one (default 8080)"
    )
    serve.add_argument(
        "--server",
        choices=SERVERS,
        default=DEFAULT_SERVER,
        help=f"WSGI server (default {DEFAULT_SERVER}; werkzeug: one thread per connection, "
        "no keep-alive)",
    )
    serve.add_argument(
        "--header-timeout",
        type=_deadline,
        default=HEADER_TIMEOUT,
        metavar="SECONDS",
        help="close a connection that has not sent a whole request head this long after "
        f"connecting or after its last answer (default {HEADER_TIMEOUT:g})",
    )
    serve.add_argument(
        "--body-timeout",
        type=_deadline,
        default=BODY_TIMEOUT,
        metavar="SECONDS",
        help="close a connection whose request body takes longer than this, plus 1 s per "
        f"{BODY_MIN_RATE} bytes received (default {BODY_TIMEOUT:g})",
    )
    serve.add_argument(
        "--connection-limit",
        type=_connection_limit,
        default=CONNECTION_LIMIT,
        metavar="N",
        help="open connections at most, lowered to fit the open-files limit; at the limit the "
        f"connections idle longest are closed (default {CONNECTION_LIMIT}; waitress only)",
    )
    serve.add_argument(
        "--frozen-clock",
        action="store_true",
        help="keep the clock still at --now (default: it runs from --now)",
    )
    serve.add_argument(
        "--unauthorized-status",
        type=int,
        choices=(401, 403),
        default=401,
        help="status for a logged-in user lacking a right (Canvas: 401; 403 with the "
        "api_auth_error_updates flag)",
    )
    serve.add_argument(
        "--throttle",
        action="store_true",
        help="refuse requests as Canvas's request throttle does (600 high water mark, 10/s)",
    )
    serve.add_argument(
        "--control-token", help="require this token (Bearer) on every /_mockcanvas/ route"
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        type=_allowed_host,
        metavar="NAME",
        help="a host name the control API answers for besides loopback names, IP addresses and "
        "--host (a guard against DNS rebinding; repeatable; * allows any)",
    )
    serve.add_argument(
        "--max-body",
        type=_max_body,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help=f"largest request body read; larger is 413 (default {DEFAULT_MAX_BODY}, 10 MiB)",
    )
    caps = serve.add_argument_group("memory caps (what goes past one is evicted and counted)")
    caps.add_argument(
        "--inbox-capacity",
        type=_count(1),
        default=DEFAULT_INBOX_CAPACITY,
        metavar="EVENTS",
        help=f"Live Events kept in the inbox (default {DEFAULT_INBOX_CAPACITY:,})",
    )
    caps.add_argument(
        "--delivery-log-capacity",
        type=_count(1),
        metavar="ENTRIES",
        help=f"entries kept per subscription's delivery log (default "
        f"{DeliveryPolicy.log_capacity:,})",
    )
    caps.add_argument(
        "--held-capacity",
        type=_count(0),
        metavar="EVENTS",
        help=f"dead/overflowed payloads kept per subscription for redelivery (default "
        f"{DeliveryPolicy.held_capacity:,})",
    )
    caps.add_argument(
        "--queue-bytes",
        type=_count(1024),
        metavar="BYTES",
        help=f"JSON bytes of payloads queued per subscription before dropped_overflow (default "
        f"{DeliveryPolicy.queue_bytes:,}, 64 MiB)",
    )
    caps.add_argument(
        "--delivery-concurrency",
        type=_count(1),
        metavar="N",
        help=f"deliveries in flight per subscription, one per student at a time (default "
        f"{DeliveryPolicy.concurrency}; 1 keeps one total order)",
    )
    serve.add_argument(
        "--validate-events",
        action="store_true",
        help="check every emitted Live Event against its JSON Schema (fail the write if not)",
    )
    serve.add_argument(
        "--strict-grades",
        action="store_true",
        help="answer 400 to a posted grade Canvas cannot read (Canvas clears the grade instead)",
    )
    _world_options(serve)
    sink_options.add_arguments(serve, shutdown=True)

    world = commands.add_parser("world", help="print the seeded world's people, tokens and ids")
    _world_options(world)

    golden_docs = commands.add_parser(
        "golden",
        help="print, check or rewrite the golden audit API documents of the default world",
        description=golden.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    golden.add_arguments(golden_docs)

    validate = commands.add_parser(
        "validate",
        help="check payload files against the JSON Schemas (exit 0 valid, 1 invalid, 2 unreadable)",
        description=payloads.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    payloads.add_arguments(validate)

    simulate_cmd = commands.add_parser(
        "simulate",
        help="drive realistic grading through the write path into Live Events sinks (load test)",
        description=simulate.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _world_options(simulate_cmd)
    simulate.add_arguments(simulate_cmd)
    sink_options.add_arguments(simulate_cmd)
    return parser


def _world_summary(app) -> dict:
    with app.app_context():
        return world_json(current_instance().store)


def serve(args: argparse.Namespace) -> int:
    """``mockcanvas serve``: build the world, then answer until SIGINT or SIGTERM."""
    loaded = _load_scenario(args)
    return run_server(build_app(args, loaded), args, loaded)


def build_app(args: argparse.Namespace, loaded: scenario.Scenario | None):
    """The app ``serve`` answers with, from its options."""
    clock = Clock(_start(args, loaded), frozen=args.frozen_clock)
    with progress_bar.showing(sys.stderr):  # a long build shows a bar on a terminal's stderr
        return create_app(
            seed=args.seed,
            size=args.size,
            scenario=loaded,
            clock=clock,
            admin_token=args.admin_token,
            unauthorized_status=args.unauthorized_status,
            throttle=args.throttle,
            control_token=args.control_token,
            validate_events=args.validate_events or None,
            max_body=args.max_body,
            strict_grades=args.strict_grades,
            inbox_capacity=args.inbox_capacity,
            delivery_log_capacity=args.delivery_log_capacity,
            held_capacity=args.held_capacity,
            queue_bytes=args.queue_bytes,
            delivery_concurrency=args.delivery_concurrency,
            allowed_hosts=[h for h in (args.host, *args.allowed_host) if h.strip()],
        )


def run_server(app, args: argparse.Namespace, loaded: scenario.Scenario | None) -> int:
    """Serve ``app`` as ``serve``'s options say until SIGINT or SIGTERM, then shut down within
    ``--shutdown-timeout``: requests still running then are abandoned, pending deliveries get
    what time is left, and whatever is still undelivered is written out."""
    warning = exposure_warning(args.host, args.control_token)
    if warning:
        print(warning, file=sys.stderr)
    server = LiveServer(
        app,
        args.host,
        args.port,
        kind=args.server,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        connection_limit=args.connection_limit,
    )
    with app.app_context():
        inst = current_instance()
        store = inst.store
        token = store.token_for(store.landmarks["admin"])
    host = f"[{args.host}]" if ":" in args.host else args.host
    try:
        subscribed = sink_options.subscribe_all(inst, args, f"{host}:{server.port}")
    except BadRequest as error:
        server.stop()
        print(f"mockcanvas serve: error: {error.message}", file=sys.stderr)
        return 2
    world = f"scenario {loaded.source}" if loaded is not None else f"size {args.size}"
    world += f", {len(store.grade_changes)} grade changes"
    with _stop_signals():  # before the banner: a caller may signal as soon as it reads it
        try:
            print(f"mockcanvas {__version__} serving http://{host}:{server.port}", flush=True)
            print(f"admin token: {token}", flush=True)
            print(f"seed {args.seed}, {world}", flush=True)
            for subscription in subscribed:
                print(sink_options.describe(subscription), flush=True)
            print(f"inspector: http://{host}:{server.port}/_mockcanvas/inspector", flush=True)
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            _ignore_stop_signals()  # also when serving ended otherwise: the flush must run whole
            # One budget for the whole shutdown: requests in flight, then pending deliveries.
            deadline = time.monotonic() + args.shutdown_timeout
            abandoned = server.stop(timeout=args.shutdown_timeout)
            if abandoned:
                print(
                    f"mockcanvas serve: {abandoned} request(s) still running after "
                    f"{args.shutdown_timeout:g} s, abandoned",
                    file=sys.stderr,
                    flush=True,
                )
            sink_options.close_and_report(
                inst,
                timeout=max(0.0, deadline - time.monotonic()),
                directory=args.undelivered_dir,
            )
    return 0


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGINT and SIGTERM stop ``serve`` (as Ctrl-C does) while the block runs, whatever this
    process inherited: a shell without job control starts ``mockcanvas serve &`` with SIGINT
    ignored, and Python then leaves it ignored. Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt(signum, frame) -> None:
    """The first SIGINT or SIGTERM stops serving; later ones are ignored, so that they cannot
    cut short the bounded flush of pending deliveries."""
    _ignore_stop_signals()
    raise KeyboardInterrupt


def _ignore_stop_signals() -> None:
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            signal.signal(signum, _already_stopping)


def _already_stopping(signum, frame) -> None:
    pass  # shutdown is under way and ends within --shutdown-timeout


def world(args: argparse.Namespace) -> int:
    loaded = _load_scenario(args)
    with progress_bar.showing(sys.stderr):
        app = create_app(
            seed=args.seed,
            size=args.size,
            scenario=loaded,
            now=_start(args, loaded),
            admin_token=args.admin_token,
        )
    print(json.dumps(_world_summary(app), indent=2))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    loaded = _load_scenario(args)

    def build(args: argparse.Namespace):
        return create_app(
            seed=args.seed,
            size=args.size,
            scenario=loaded,
            clock=Clock(_start(args, loaded), frozen=True),  # moved on by the simulator
            admin_token=args.admin_token,
            validate_events=args.validate_events or None,
        )

    return simulate.main(args, build)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "serve": serve,
        "world": world,
        "golden": golden.run,
        "validate": payloads.run,
        "simulate": _simulate,
    }[args.command]
    try:
        return handler(args)
    except scenario.ScenarioError as error:  # a bad file, or history after --now: usage errors
        print(f"mockcanvas {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
