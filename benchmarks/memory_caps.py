"""Memory caps: what an inbox event and a delivery log entry cost, and that the caps hold.

In-process, on the medium world, writes through ``mockcanvas.simulate`` (the one write path).
Bytes per inbox event and per delivery log entry are tracemalloc's count of what the inbox (or the
log) frees when emptied. Then with small caps (an inbox of 20,000 events, a JSONL subscription's
log of 20,000 entries), three rounds of writes each emitting more than the caps, then a reset: the
process's RSS after each round must level off (the caps hold) and resets must not let it climb.
"""

from __future__ import annotations

import gc
import os
import resource
import tempfile
import tracemalloc
from pathlib import Path

from benchmarks.common import Figure, main

NAME = "memory_caps"


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _app(**caps):
    from mockcanvas.app import create_app

    return create_app(seed=1, size="medium", validate_events=False, **caps)


def _write(inst, count: int, seed: int = 1) -> None:
    from mockcanvas import simulate

    simulate.run(inst, simulate.Simulator(inst, seed=seed, mix={"grade": 1}), count=count)


def _bytes_per_event(count: int) -> tuple[float, float]:
    """(inbox bytes per event, delivery log bytes per entry), both from what emptying frees."""
    from mockcanvas.sinks import subscribe
    from mockcanvas.sinks.registry import registry_for

    inst = _app().extensions["mockcanvas"]
    with tempfile.TemporaryDirectory() as where:
        sub = subscribe(inst, {"kind": "jsonl", "path": str(Path(where) / "e.jsonl")})
        tracemalloc.start()
        _write(inst, count)
        sub.wait_idle(60)
        gc.collect()
        events, entries = len(inst.bus.inbox), sub.sink.log_size()
        held = tracemalloc.get_traced_memory()[0]
        inst.bus.inbox.clear()
        gc.collect()
        after_inbox = tracemalloc.get_traced_memory()[0]
        registry_for(inst.bus).clear_histories()
        gc.collect()
        after_log = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        registry_for(inst.bus).get(sub.id).close(5)
    return (held - after_inbox) / events, (after_inbox - after_log) / entries


def _rounds(cap: int, per_round: int) -> list[float]:
    """RSS after each of three rounds of ``per_round`` writes, each followed by a reset."""
    from mockcanvas.sinks import subscribe
    from mockcanvas.state import reset

    app = _app(inbox_capacity=cap, delivery_log_capacity=cap)
    inst = app.extensions["mockcanvas"]
    seen = []
    with tempfile.TemporaryDirectory() as where:
        sub = subscribe(inst, {"kind": "jsonl", "path": str(Path(where) / "e.jsonl")})
        for round_ in range(3):
            _write(inst, per_round, seed=round_ + 1)
            sub.wait_idle(120)
            assert len(inst.bus.inbox) <= cap and sub.sink.log_size() <= cap
            gc.collect()
            seen.append(round(_rss_mb(), 1))
            reset(inst)
        sub.close(5)
    return seen


def run(quick: bool) -> list[Figure]:
    count = 2_000 if quick else 20_000
    inbox_bytes, log_bytes = _bytes_per_event(count)
    cap = 2_000 if quick else 20_000
    rss = _rounds(cap, per_round=cap)  # each round emits about two events a write: past both caps
    return [
        Figure(NAME, "inbox bytes per event (tracemalloc)", round(inbox_bytes), "B",
               ("max", 2_300), detail={"events": count}),
        Figure(NAME, "delivery log bytes per entry (tracemalloc)", round(log_bytes), "B",
               ("max", 1_000)),
        Figure(NAME, "RSS growth from round 2 to round 3 (caps reached, reset between)",
               round(rss[2] - rss[1], 1), "MB", ("max", 10),
               detail={"rss_after_each_round_mb": rss, "cap": cap}),
    ]  # fmt: skip


if __name__ == "__main__":
    main(run, __doc__)
