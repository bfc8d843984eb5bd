"""Valid payloads per second from each strategy in mockcanvas.strategies, as a property test draws.

Each strategy runs under ``@given`` with ``max_examples=N`` and a test body that keeps the payload;
after the clock stops every kept payload is checked against its schema, and only valid ones
count. The rate includes Hypothesis's own work per example (most of the cost). CPU time of this
process is the figure (steadier than wall time on a shared machine); the best of three runs
counts. Target: at least 300 valid payloads per second for the Live Events bodies.
"""

from __future__ import annotations

import time

from hypothesis import given, settings

from mockcanvas import schemas
from mockcanvas import strategies as mcst

from .common import Figure, main

BODIES = {
    "live_event_grade_change.json#/$defs/body",
    "live_event_course_grade_change.json#/$defs/body",
    "live_event_grade_override.json#/$defs/body",
}


def schema_for(name: str, payload: dict) -> str:
    if name == "live_event":
        return f"live_event_{payload['metadata']['event_name']}"
    return name


def rate(name: str, examples: int) -> tuple[float, float, int]:
    """(valid per CPU second, valid per wall second, invalid count) of one run."""
    drawn: list = []

    @settings(max_examples=examples, database=None, deadline=None)
    @given(mcst.DEFAULTS[name]())
    def draw_only(payload):
        drawn.append(payload)

    wall, cpu = time.perf_counter(), time.process_time()
    draw_only()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    valid = sum(schemas.is_valid(schema_for(name, p), p) for p in drawn)
    return valid / cpu, valid / wall, len(drawn) - valid


def invalid_rate(examples: int) -> float:
    """``invalid()`` draws: each must break its schema in exactly the way it reports."""
    drawn: list = []

    @settings(max_examples=examples, database=None, deadline=None)
    @given(mcst.invalid("live_event_grade_change"))
    def draw_only(broken):
        drawn.append(broken)

    cpu = time.process_time()
    draw_only()
    cpu = time.process_time() - cpu
    return sum(not schemas.is_valid(b.schema, b.payload) for b in drawn) / cpu


def run(quick: bool) -> list[Figure]:
    examples = 100 if quick else 1000
    figures = []
    for name in mcst.DEFAULTS:
        count = max(20, examples // 5) if name == "grade_change_compound" else examples
        runs = [rate(name, count) for _ in range(1 if quick else 3)]
        best = max(runs)
        figures.append(
            Figure(
                "strategy_rates", f"{name} valid/s", best[0], "/s",
                target=("min", 300) if name in BODIES else None,
                note=f"{count} examples, best of {len(runs)}; wall {best[1]:.0f}/s",
                detail={"invalid": sum(r[2] for r in runs), "wall_per_s": best[1]},
            )
        )  # fmt: skip
        if best[2]:
            raise AssertionError(f"{name} drew {best[2]} payloads its schema refuses")
    count = examples // 2
    figures.append(
        Figure("strategy_rates", "invalid(live_event_grade_change) broken/s",
               invalid_rate(count), "/s", note=f"{count} examples")
    )  # fmt: skip
    return figures


if __name__ == "__main__":
    main(run, __doc__)
