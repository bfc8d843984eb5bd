"""Emission: grade writes per second in-process, and Live Events delivered per second to webhooks.

Writes go through ``mockcanvas.simulate`` (the one write path: audit row, ``grade_change``,
``course_grade_change``) on the medium world with the inbox as the only sink. Webhook rates are
``simulate`` at full speed (paced to the sink) against a receiver in another process (so it does
not share the GIL with the sender), counted from the first write to the last delivery; every run
must account for every event (delivered == emitted, and the receiver saw each id once).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.common import Figure, main

NAME = "emission"


def _receive(ready, results, stop) -> None:
    """A minimal HTTP/1.1 receiver: counts POSTs and distinct event ids, answers 200."""
    seen: set[str] = set()
    posts = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            posts[0] += 1
            seen.add(self.headers.get("X-Mockcanvas-Event-Id", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    ready.put(server.server_port)
    stop.wait()
    results.put((posts[0], len(seen)))
    server.shutdown()


def _app(size: str):
    from mockcanvas.app import create_app

    return create_app(seed=1, size=size, validate_events=False)


def _writes(count: int, size: str, mix: dict[str, int]) -> dict:
    from mockcanvas import simulate

    inst = _app(size).extensions["mockcanvas"]
    simulator = simulate.Simulator(inst, seed=1, mix=mix)
    report = simulate.run(inst, simulator, count=count)
    data = report.as_json()
    return {
        "operations": data["operations"],
        "audit_rows": data["audit_rows"],
        "events": data["events"],
        "seconds": data["seconds"],
        "per_second": data["operations_per_second"],
    }


def _webhook(count: int, signed: bool) -> dict:
    from mockcanvas import simulate
    from mockcanvas.sinks import subscribe

    context = multiprocessing.get_context("fork")
    ready, results, stop = context.Queue(), context.Queue(), context.Event()
    process = context.Process(target=_receive, args=(ready, results, stop), daemon=True)
    process.start()
    try:
        port = ready.get(timeout=30)
        inst = _app("medium").extensions["mockcanvas"]
        url = f"http://127.0.0.1:{port}/hook"
        subscribe(inst, {"kind": "webhook", "url": url, "signed": signed})
        simulator = simulate.Simulator(inst, seed=1, mix={"grade": 1})
        with tempfile.TemporaryDirectory() as left:
            report = simulate.run(inst, simulator, count=count, undelivered_dir=Path(left))
        stop.set()
        posts, distinct = results.get(timeout=30)
    finally:
        stop.set()
        process.join(timeout=10)
    (sub,) = report.as_json()["subscriptions"]
    return {
        "events": report.emitted,
        "delivered": sub["delivered"],
        "received_posts": posts,
        "received_distinct": distinct,
        "lost": sub["lost"] + sub["unaccounted"] + (report.emitted - distinct),
        "per_second": sub["delivered_per_second"],
        "send_latency_ms": sub["send_latency_ms"],
        "end_to_end_latency_ms": sub["end_to_end_latency_ms"],
    }


def _jsonl(count: int) -> dict:
    from mockcanvas import simulate
    from mockcanvas.sinks import subscribe

    inst = _app("medium").extensions["mockcanvas"]
    with tempfile.TemporaryDirectory() as where:
        subscribe(inst, {"kind": "jsonl", "path": str(Path(where) / "events.jsonl")})
        simulator = simulate.Simulator(inst, seed=1, mix={"grade": 1})
        report = simulate.run(inst, simulator, count=count)
    (sub,) = report.as_json()["subscriptions"]
    return {
        "events": report.emitted,
        "lost": sub["lost"],
        "per_second": sub["delivered_per_second"],
    }


def run(quick: bool) -> list[Figure]:
    writes_n = 300 if quick else 20_000
    unsigned_n = 200 if quick else 6_000
    signed_n = 100 if quick else 2_000
    started = time.perf_counter()
    grades = _writes(writes_n, "medium", {"grade": 1})
    mixed = _writes(writes_n, "medium", simulate_default_mix())
    unsigned = _webhook(unsigned_n, signed=False)
    signed = _webhook(signed_n, signed=True)
    jsonl = _jsonl(unsigned_n)
    lost = unsigned["lost"] + signed["lost"] + jsonl["lost"]
    return [
        Figure(
            NAME, "grade writes/s in-process (inbox only, medium world)", grades["per_second"],
            "/s", ("min", 5000),
            note="each an audit row + grade_change (+ course_grade_change when the score moved)",
            detail={"grades": grades, "default_mix": mixed},
        ),
        Figure(
            NAME, "webhook events/s unsigned (keep-alive, receiver in another process)",
            unsigned["per_second"], "/s", ("min", 1000), detail=unsigned,
        ),
        Figure(
            NAME, "webhook events/s signed (RS256 JWT, signed ahead)", signed["per_second"], "/s",
            ("min", 500), detail=signed,
        ),
        Figure(NAME, "JSONL events/s", jsonl["per_second"], "/s", detail=jsonl),
        Figure(
            NAME, "events lost (emitted - delivered, all runs)", lost, "events", ("max", 0),
            detail={"seconds": round(time.perf_counter() - started, 1)},
        ),
    ]  # fmt: skip


def simulate_default_mix() -> dict[str, int]:
    from mockcanvas.simulate import DEFAULT_MIX

    return dict(DEFAULT_MIX)


if __name__ == "__main__":
    main(run, __doc__)
