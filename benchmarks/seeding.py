"""What building a seeded world costs: seconds and memory per audit event.

Each world is built by ``mockcanvas.seed.build_world`` in a fresh Python process of its own, so
its memory figure is the build's alone: the peak resident set (``ru_maxrss``) minus the resident
set just before the build (after the imports), divided by the audit rows built. Worlds: large
(100k events) and huge (1M events; targets: at most 10 s and at most 600 bytes per event);
--quick: medium only. Beside the wall time, the build process's CPU time (on a shared machine the
wall time includes other processes taking the CPU away) and the time of a fixed pure-Python
loop run just before, so figures from a slow moment can be told apart from a slow build.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .common import Figure, machine, main

TARGETS = {"huge": {"seconds": 10.0, "bytes": 600.0}}

# Run in the child: imports first, then the baseline, then the build.
_CHILD = r"""
import gc, json, resource, sys, time
from mockcanvas.seed import build_world

def resident():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

def calibrate():
    started = time.process_time()
    held = {}
    for i in range(300_000):
        held[i % 5000] = held.get(i % 5000, 0) + i
    return time.process_time() - started

gc.collect()
reference = calibrate()
baseline = resident()
wall, cpu = time.perf_counter(), time.process_time()
store = build_world(1, sys.argv[1])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({
    "rows": len(store.grade_changes), "page_views": len(store.page_views), "seconds": wall,
    "cpu_seconds": cpu, "baseline_bytes": baseline, "peak_bytes": peak,
    "retained_bytes": resident() - baseline, "calibration_seconds": reference,
}))
"""


def build(size: str) -> dict:
    """One build of a world in a new process: its figures as the child measured them."""
    answer = subprocess.run(
        [sys.executable, "-c", _CHILD, size], capture_output=True, text=True, check=False
    )
    if answer.returncode != 0:
        raise RuntimeError(f"building the {size} world failed:\n{answer.stderr[-2000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def _figures(size: str, measured: dict) -> list[Figure]:
    rows = measured["rows"]
    per_event = (measured["peak_bytes"] - measured["baseline_bytes"]) / rows
    target = TARGETS.get(size, {})
    seconds_target = ("max", target["seconds"]) if "seconds" in target else None
    bytes_target = ("max", target["bytes"]) if "bytes" in target else None
    detail = {**measured, "bytes_per_event": per_event}
    return [
        Figure(
            "seeding", f"{size} world build ({rows:,} events)", measured["seconds"], "s",
            target=seconds_target,
            note=f"cpu {measured['cpu_seconds']:.2f} s, reference loop "
            f"{measured['calibration_seconds'] * 1000:.0f} ms",
            detail=detail,
        ),
        Figure(
            "seeding", f"{size} world peak memory per event", per_event, "B",
            target=bytes_target,
            note=f"peak RSS {measured['peak_bytes'] / 1e6:.0f} MB over a baseline of "
            f"{measured['baseline_bytes'] / 1e6:.0f} MB",
            detail=detail,
        ),
    ]  # fmt: skip


def run(quick: bool) -> list[Figure]:
    figures = []
    for size in ("medium",) if quick else ("large", "huge"):
        figures += _figures(size, build(size))
    for figure in figures:
        figure.detail["machine"] = machine()
    return figures


if __name__ == "__main__":
    main(run, __doc__)
