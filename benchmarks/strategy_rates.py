"""Examples per second of each strategy in mockcanvas.strategies, as a property test draws them.

Each strategy runs under ``@given`` with ``max_examples=N`` and an empty test body, so the rate
includes Hypothesis's own work per example (its choice bookkeeping is most of the cost). Both
wall time and this process's CPU time are reported: on a shared machine the CPU rate is the
steadier figure. The best of ``--repeat`` runs counts.

Run: ``python benchmarks/strategy_rates.py [--examples 1000] [--repeat 3] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from hypothesis import given, settings

from mockcanvas import strategies as mcst

CASES = {
    "live_grade_change_body": mcst.live_grade_change_body,
    "live_course_grade_change_body": mcst.live_course_grade_change_body,
    "live_grade_override_body": mcst.live_grade_override_body,
    "live_event_metadata": mcst.live_event_metadata,
    "live_grade_change": mcst.live_grade_change,
    "live_course_grade_change": mcst.live_course_grade_change,
    "live_grade_override": mcst.live_grade_override,
    "live_event": mcst.live_event,
    "caliper_grade_event": mcst.caliper_grade_event,
    "grade_change_event": mcst.grade_change_event,
    "grade_change_compound": mcst.grade_change_compound,
    "invalid(live_event_grade_change)": lambda: mcst.invalid("live_event_grade_change"),
}


def rate(strategy, examples: int) -> tuple[float, float]:
    """(examples per wall second, examples per CPU second) of one run."""
    count = 0

    @settings(max_examples=examples, database=None, deadline=None)
    @given(strategy)
    def draw_only(_payload):
        nonlocal count
        count += 1

    wall, cpu = time.perf_counter(), time.process_time()
    draw_only()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, count / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    results = {}
    print(f"{'strategy':36} {'wall /s':>9} {'cpu /s':>9}")
    for name, make in CASES.items():
        examples = args.examples // 5 if "compound" in name else args.examples
        runs = [rate(make(), examples) for _ in range(args.repeat)]
        wall, cpu = max(r[0] for r in runs), max(r[1] for r in runs)
        results[name] = {"examples": examples, "wall_per_s": round(wall), "cpu_per_s": round(cpu)}
        print(f"{name:36} {wall:9.0f} {cpu:9.0f}")
    if args.json:
        meta = {"python": platform.python_version(), "machine": platform.machine()}
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"meta": meta, "results": results}, out, indent=2)


if __name__ == "__main__":
    main()
