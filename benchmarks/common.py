"""What every benchmark module shares: figures with targets, percentiles, and the command line.

A benchmark module defines ``run(quick: bool) -> list[Figure]`` and ends with
``if __name__ == "__main__": main(run, __doc__)``. ``python -m benchmarks`` runs each module in a
process of its own (so memory and import figures start clean) and gathers their figures.

Targets are stated once, on the figure: ``Figure(..., target=("max", 1.5))`` means the value must
be at most 1.5. Figures are never asserted in tests; a miss is reported, not raised.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Figure:
    """One measured number, what it should be, and how it was taken."""

    benchmark: str
    name: str
    value: float
    unit: str
    target: tuple[str, float] | None = None  # ("max", x) or ("min", x)
    note: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        kind, bound = self.target
        return self.value <= bound if kind == "max" else self.value >= bound

    def as_json(self) -> dict:
        data = asdict(self)
        data["target"] = list(self.target) if self.target else None
        data["met"] = self.met
        return data

    @classmethod
    def from_json(cls, data: dict) -> Figure:
        target = tuple(data["target"]) if data.get("target") else None
        return cls(
            benchmark=data["benchmark"], name=data["name"], value=data["value"],
            unit=data["unit"], target=target, note=data.get("note", ""),
            detail=data.get("detail", {}),
        )  # fmt: skip


def percentile(samples: list[float], q: float) -> float:
    """The sample at quantile ``q`` (nearest rank), so p99 of 100 samples is a real sample."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], repeat: int, warmup: int = 3) -> dict[str, float]:
    """p50 and p99 of ``fn``'s wall time in microseconds over ``repeat`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return {"p50_us": statistics.median(samples), "p99_us": percentile(samples, 0.99)}


def machine() -> dict[str, object]:
    """Where the figures were taken: they mean little without it."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    return {
        "cpu": cpu or "?",
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def format_value(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def format_target(figure: Figure) -> str:
    if figure.target is None:
        return ""
    kind, bound = figure.target
    return ("<= " if kind == "max" else ">= ") + format_value(bound, figure.unit)


def table(figures: list[Figure]) -> str:
    """A plain-text table: benchmark, figure, value, target, met."""
    rows = [("benchmark", "figure", "value", "target", "")]
    for f in figures:
        mark = {True: "ok", False: "MISS", None: ""}[f.met]
        rows.append((f.benchmark, f.name, format_value(f.value, f.unit), format_target(f), mark))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: str, figures: list[Figure], **extra: object) -> None:
    payload = {"machine": machine(), **extra, "figures": [f.as_json() for f in figures]}
    with open(path, "w", encoding="utf-8") as out:
        json.dump(payload, out, indent=2)
        out.write("\n")


def main(run: Callable[[bool], list[Figure]], doc: str | None) -> None:
    """The command line of one benchmark module: ``[--quick] [--json FILE]``."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that it runs")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    started = time.perf_counter()
    figures = run(args.quick)
    print(table(figures), flush=True)
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if args.json:
        write_json(args.json, figures, quick=args.quick)
