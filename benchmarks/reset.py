"""What a reset between tests costs: ``state.reset`` after a typical test's writes.

Each round grades five students (``POST /_mockcanvas/grades`` through the app in-process, not
timed), then times ``mockcanvas.state.reset(inst)``. Worlds: small (target: p50 and p99 at most
5 ms) and large, 100k events (at most 50 ms); --quick: small and medium. Also the pytest plugin's
per-test setup (``AppCache.fresh``, which closes subscriptions and resets) on the small world, and
the first reset of a new app (a seeded app used to rebuild its baseline from the seed then).
"""

from __future__ import annotations

import gc
import statistics
import time

from mockcanvas import create_app
from mockcanvas.instance import EXTENSION_KEY
from mockcanvas.state import reset
from mockcanvas.testing import AppCache

from .common import Figure, machine, main, percentile

TARGET_MS = {"small": 5.0, "medium": 50.0, "large": 50.0}
WRITES = 5


def _grades(app) -> list[dict]:
    """Five grade writes of a typical test: one assignment, five of its course's students."""
    store = app.extensions[EXTENSION_KEY].store
    assignment = store.assignments[store.landmarks["points_assignment"]]
    students = [
        e.user_id
        for e in store.course_enrollments(assignment.course_id)
        if e.type == "StudentEnrollment" and e.workflow_state == "active"
    ][:WRITES]
    return [
        {"course_id": assignment.course_id, "assignment_id": assignment.id, "user_id": s}
        for s in students
    ]


def _write(client, grades: list[dict], round_: int) -> None:
    for number, body in enumerate(grades):
        answer = client.post(
            "/_mockcanvas/grades", json={**body, "posted_grade": str((round_ + number) % 9 + 1)}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"grade write failed: {answer.status_code} {answer.data[:200]!r}")


def _measure(fn) -> tuple[float, float]:
    """Wall and this thread's CPU time of ``fn()`` in ms: on a shared machine the wall p99 is
    mostly other processes taking the CPU away, which the CPU time leaves out."""
    wall, cpu = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def _samples(fn, rounds: int) -> tuple[list[float], list[float]]:
    pairs = [fn(round_) for round_ in range(rounds)]
    return [wall for wall, _ in pairs], [cpu for _, cpu in pairs]


def _figures(benchmark, name, measured, target: float | None, note: str) -> list[Figure]:
    samples, cpus = measured
    detail = {
        "samples": len(samples),
        "mean_ms": round(statistics.fmean(samples), 3),
        "cpu_p50_ms": round(statistics.median(cpus), 3),
        "cpu_p99_ms": round(percentile(cpus, 0.99), 3),
    }
    return [
        Figure(benchmark, f"{name} p50", statistics.median(samples), "ms",
               ("max", target) if target else None, note, detail),
        Figure(benchmark, f"{name} p99", percentile(samples, 0.99), "ms",
               ("max", target) if target else None, note, detail),
    ]  # fmt: skip


def reset_case(size: str, rounds: int) -> list[Figure]:
    started = time.perf_counter()
    app = create_app(seed=1, size=size)
    built = (time.perf_counter() - started) * 1000
    inst = app.extensions[EXTENSION_KEY]
    client = app.test_client()
    grades = _grades(app)
    _write(client, grades, 0)
    first = reset(inst)  # a seeded app's first reset (the baseline rebuilt from the seed, once)

    def one(round_: int) -> tuple[float, float]:
        _write(client, grades, round_)
        gc.collect()  # the collector's pauses belong to whatever made the garbage, not to reset
        return _measure(lambda: reset(inst))

    samples = _samples(one, rounds)
    note = f"{size} world, after {WRITES} grade writes"
    figures = _figures("reset", f"{size}: reset", samples, TARGET_MS[size], note)
    detail = {"build_ms": round(built, 1), "load_average": machine()["load_average"]}
    figures.append(Figure("reset", f"{size}: first reset", first, "ms", None, "a new app", detail))
    return figures


def plugin_case(rounds: int) -> list[Figure]:
    """The plugin's per-test setup on the small world: ``AppCache.fresh`` after a test's writes."""
    cache = AppCache()
    app = cache.fresh(seed=1, size="small")
    client = app.test_client()
    grades = _grades(app)

    def one(round_: int) -> tuple[float, float]:
        _write(client, grades, round_)
        gc.collect()
        return _measure(lambda: cache.fresh(seed=1, size="small"))

    samples = _samples(one, rounds)
    return _figures("reset", "small: plugin per-test setup", samples, 5.0,
                    "AppCache.fresh (close subscriptions, reset)")  # fmt: skip


def run(quick: bool) -> list[Figure]:
    sizes = {"small": 60, "medium": 10} if quick else {"small": 300, "large": 100}
    figures = []
    for size, rounds in sizes.items():
        figures += reset_case(size, rounds)
    figures += plugin_case(30 if quick else 300)
    return figures


if __name__ == "__main__":
    main(run, __doc__)
