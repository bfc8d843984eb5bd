"""How the cost of an audit page grows with the size of the history (it should not).

Two measurements, printed as a table and written as JSON:

* ``index``: a synthetic log of N rows spread over 20 courses; the newest page and a page deep in
  a course's history (a bookmark near its oldest row), per_page=100, straight from the audit log.
* ``http``: the same two pages through the Flask app (test client, no socket) over seeded worlds.

Run: ``python benchmarks/query_scaling.py [--quick] [--json out.json]``. ``--quick`` stops at 100k
synthetic rows and the small and medium worlds.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from itertools import islice

from mockcanvas import create_app
from mockcanvas.auditlog import GradeChangeLog, sort_key
from mockcanvas.models import GradeChange

PER_PAGE = 100


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return {"p50_us": statistics.median(samples), "p99_us": percentile(samples, 0.99)}


def synthetic_log(rows: int, courses: int = 20) -> GradeChangeLog:
    rng = random.Random(1)
    log = GradeChangeLog()
    moment = 1_750_000_000
    for row_id in range(1, rows + 1):
        moment += rng.randint(0, 3)
        course = rng.randrange(1, courses + 1)
        log.append(
            GradeChange(
                id=row_id, uuid="", created_at=moment, root_account_id=1, account_id=1,
                course_id=course, assignment_id=course * 100 + rng.randrange(20),
                submission_id=row_id, student_id=course * 1000 + rng.randrange(50),
                grader_id=course, grade_before=None, grade_after="1", excused_before=False,
                excused_after=False, graded_anonymously=False, points_possible_before=10.0,
                points_possible_after=10.0, version_number=1, request_id="",
            )
        )  # fmt: skip
    return log


def index_case(rows: int, repeat: int) -> dict:
    log = synthetic_log(rows)
    course = {"course": 7}
    oldest = list(log.newest_first(course))[-PER_PAGE - 5]
    deep = sort_key(oldest.created_at, oldest.id)
    return {
        "rows": rows,
        "first_page": timed(lambda: list(islice(log.newest_first(course), PER_PAGE + 1)), repeat),
        "deep_page": timed(
            lambda: list(islice(log.newest_first(course, before=deep), PER_PAGE + 1)), repeat
        ),
    }


def http_case(size: str, repeat: int) -> dict:
    app = create_app(seed=1, size=size)
    store = app.extensions["mockcanvas"].store
    client = app.test_client()
    headers = {"Authorization": f"Bearer {store.token_for(store.landmarks['admin'])}"}
    course_id = store.landmarks["override_course"]
    path = f"/api/v1/audit/grade_change/courses/{course_id}?per_page={PER_PAGE}"
    link = client.get(path, headers=headers).headers["Link"]
    deep = path
    while 'rel="next"' in link:  # walk to the last page: the deepest bookmark
        nxt = next(p for p in link.split(",") if 'rel="next"' in p)
        deep = nxt[nxt.index("/api/") : nxt.index(">")]
        link = client.get(deep, headers=headers).headers["Link"]
    return {
        "size": size,
        "rows": len(store.grade_changes),
        "first_page": timed(lambda: client.get(path, headers=headers), repeat),
        "deep_page": timed(lambda: client.get(deep, headers=headers), repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    worlds = ("small", "medium") if args.quick else ("small", "medium", "large")
    results = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or "?"},
        "index": [index_case(n, 300) for n in sizes],
        "http": [http_case(size, 50) for size in worlds],
    }
    columns = ("first p50", "first p99", "deep p50", "deep p99")
    print(f"{'case':<24}{'rows':>10}" + "".join(f"{c:>12}" for c in columns))
    for kind in ("index", "http"):
        for case in results[kind]:
            name = f"{kind} {case.get('size', '')}".strip()
            f, d = case["first_page"], case["deep_page"]
            print(
                f"{name:<24}{case['rows']:>10}{f['p50_us']:>10.0f}us{f['p99_us']:>10.0f}us"
                f"{d['p50_us']:>10.0f}us{d['p99_us']:>10.0f}us"
            )
    base, top = results["index"][0], results["index"][-1]
    ratio = top["first_page"]["p50_us"] / base["first_page"]["p50_us"]
    print(f"index p50 ratio {top['rows']:,} / {base['rows']:,} rows: {ratio:.2f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
