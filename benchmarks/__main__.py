"""Run every benchmark, each in a fresh process; print one table and write one JSON file.

    python -m benchmarks                 # full run (several minutes; builds a 1M-event world)
    python -m benchmarks --quick         # small sizes, about a minute: what CI runs
    python -m benchmarks --only reset,seeding --json results.json

Figures that should not depend on the machine are ratios taken in the same run. Nothing here
fails on a missed target: misses are printed as ``MISS`` and explained in
docs/explanation/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Figure, table, write_json

# In the order docs/explanation/benchmarks.md lists them.
MODULES = (
    "query_scaling",
    "http_throughput",
    "seeding",
    "reset",
    "emission",
    "delivery_load",
    "memory_caps",
    "strategy_rates",
)


def run_module(name: str, quick: bool, workdir: Path) -> tuple[list[Figure], str | None]:
    """The module's figures, or why it produced none (a failure is reported, never hidden)."""
    out = workdir / f"{name}.json"
    command = [sys.executable, "-m", f"benchmarks.{name}", "--json", str(out)]
    if quick:
        command.append("--quick")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    print(f"  {name}: {seconds:.1f} s, exit {done.returncode}", file=sys.stderr)
    if done.returncode != 0 or not out.exists():
        return [], (done.stderr.strip().splitlines() or ["no output"])[-1]
    data = json.loads(out.read_text(encoding="utf-8"))
    return [Figure.from_json(f) for f in data["figures"]], None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that all run")
    parser.add_argument("--only", help="comma-separated benchmark names: " + ", ".join(MODULES))
    parser.add_argument("--json", help="write every figure here")
    args = parser.parse_args()
    names = MODULES if not args.only else tuple(n.strip() for n in args.only.split(","))
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    figures: list[Figure] = []
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            got, failure = run_module(name, args.quick, Path(tmp))
            figures.extend(got)
            if failure is not None:
                failures[name] = failure
    print(table(figures))
    for name, reason in failures.items():
        print(f"{name} FAILED: {reason}", file=sys.stderr)
    if args.json:
        write_json(args.json, figures, quick=args.quick, failures=failures)
    # A benchmark that crashes is a failure (CI runs --quick to catch that); a missed target is not.
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
