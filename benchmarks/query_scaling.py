"""How the cost of an audit page and of an inbox query grows with the size of the history (it
should not).

Three levels; the first two at 10k, 100k and 1M events (--quick: 10k and 100k), per_page=100:

* ``page``: a whole request through the app in-process (Flask test client, no socket) on the
  seeded worlds medium, large and huge: a course's newest page, and the page a bookmark near the
  course's oldest row asks for. This is what a user waits for.
* ``index``: the audit log alone, on a synthetic log of N rows over 20 courses: the walk that
  finds a page's rows (bisect plus 101 row fetches), without presenting them.
* ``inbox``: the Live Events inbox's ``select`` (what ``GET /_mockcanvas/live_events`` asks),
  ``limit=100``, on a synthetic inbox of N events over 20 courses and 40 users (10k and 1M;
  --quick: 10k and 100k): no filter, each filter kind, all of them, ``after`` near the end, and
  rare pairs (filters that seldom hold together), each timed on both sizes in turns of 10 calls.

The target is on the ratio of the largest history's p50 (and p99) to the 10k one, taken in the
same run: at most 1.5 (the inbox's p50: at most 2.0).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from itertools import islice

from mockcanvas import create_app
from mockcanvas.auditlog import GradeChangeLog, sort_key
from mockcanvas.events import Inbox, LiveEvent
from mockcanvas.models import GradeChange
from mockcanvas.pagination import encode_bookmark
from mockcanvas.timefmt import ruby_to_s, zone_for

from .common import Figure, main, percentile, timed

PER_PAGE = 100
WORLDS = {"medium": "10k", "large": "100k", "huge": "1M"}
ROWS = {10_000: "10k", 100_000: "100k", 1_000_000: "1M"}
INBOX_LIMIT = 100
INBOX_TARGET = 2.0
RARE_USER, RARE_OVERRIDES = 7001, 5


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


def index_case(rows: int, repeat: int) -> dict[str, dict[str, float]]:
    log = synthetic_log(rows)
    course = {"course": 7}
    oldest = list(log.newest_first(course))[-PER_PAGE - 5]
    deep = sort_key(oldest.created_at, oldest.id)
    return {
        "newest": timed(lambda: list(islice(log.newest_first(course), PER_PAGE + 1)), repeat),
        "deep": timed(
            lambda: list(islice(log.newest_first(course, before=deep), PER_PAGE + 1)), repeat
        ),
    }


def page_case(size: str, repeat: int) -> tuple[int, dict[str, dict[str, float]]]:
    app = create_app(seed=1, size=size)
    store = app.extensions["mockcanvas"].store
    client = app.test_client()
    headers = {"Authorization": f"Bearer {store.token_for(store.landmarks['admin'])}"}
    course_id = store.landmarks["override_course"]
    path = f"/api/v1/audit/grade_change/courses/{course_id}?per_page={PER_PAGE}"
    # A bookmark just above the course's 105th-oldest row: the walk starts deep in the history.
    rows = list(store.grade_changes.newest_first({"course": course_id}))
    mark = rows[-PER_PAGE - 5]
    tz = zone_for(store, store.users[store.landmarks["admin"]])
    deep = f"{path}&page={encode_bookmark([ruby_to_s(mark.created_at, tz), mark.id])}"
    for url in (path, deep):
        answer = client.get(url, headers=headers)
        if answer.status_code != 200 or len(answer.get_json()["events"]) != PER_PAGE:
            raise RuntimeError(f"{url} answered {answer.status_code}: not a full page")
    gc.collect()
    return len(store.grade_changes), {
        "newest": timed(lambda: client.get(path, headers=headers), repeat),
        "deep": timed(lambda: client.get(deep, headers=headers), repeat),
    }


def _figures(level: str, cases: dict[str, dict[str, dict[str, float]]], rows: dict) -> list:
    figures = []
    labels = list(cases)
    for which in ("newest", "deep"):
        for label in labels:
            t = cases[label][which]
            detail = {"rows": rows[label], **t}
            for q in ("p50", "p99"):
                figures.append(
                    Figure("query_scaling", f"{level} {which} page {q}, {label} events",
                           t[f"{q}_us"], "us", detail=detail)
                )  # fmt: skip
        base, top = cases[labels[0]][which], cases[labels[-1]][which]
        for q in ("p50", "p99"):
            figures.append(
                Figure(
                    "query_scaling", f"{level} {which} page {q}: {labels[-1]} / {labels[0]}",
                    top[f"{q}_us"] / base[f"{q}_us"], "x", target=("max", 1.5),
                )
            )  # fmt: skip
    return figures


def synthetic_inbox(events: int, courses: int = 20) -> Inbox:
    """``events`` events in seq order: 45% grade_change, 45% course_grade_change, 10%
    grade_override; two students per course. Student ``RARE_USER`` is overridden only
    ``RARE_OVERRIDES`` times (their later overrides are grade changes), so a rare name meets a
    busy user. One payload is shared: only the indexes matter."""
    rng = random.Random(1)
    inbox = Inbox()
    payload: dict = {"metadata": {}, "body": {}}
    overrides = 0
    for seq in range(1, events + 1):
        course = rng.randrange(1, courses + 1)
        draw = rng.random()
        name = (
            "grade_change" if draw < 0.45 else "course_grade_change" if draw < 0.9
            else "grade_override"
        )  # fmt: skip
        user = course * 1000 + rng.randrange(2)
        if user == RARE_USER and name == "grade_override":
            overrides += 1
            if overrides > RARE_OVERRIDES:
                name = "grade_change"
        inbox.add(
            LiveEvent(seq=seq, id=str(seq), name=name, payload=payload, course_id=course,
                      user_id=user)
        )  # fmt: skip
    return inbox


def inbox_queries(inbox: Inbox) -> dict[str, tuple[dict, int]]:
    """The ``select`` arguments of each case and how many events it answers at every size.

    The first eight fill a page (``INBOX_LIMIT``); the rare pairs name filters that seldom hold
    together (student 7000 is only in course 7; ``RARE_USER`` has thousands of events but
    ``RARE_OVERRIDES`` overrides), which a walk of the narrowest single index pays for in full.
    """
    both = ("grade_change", "grade_override")
    every = {"names": both, "user_id": 7000, "course_id": 7}
    last = inbox.last_seq()
    matching = inbox.select(**every)  # once, to put ``after`` 100 matches before the end
    page = INBOX_LIMIT
    return {
        "no filter": ({}, page),
        "after near end": ({"after": last - INBOX_LIMIT - 50}, page),
        "event_name": ({"names": ("grade_override",)}, page),
        "event_name x2": ({"names": both}, page),
        "user_id": ({"user_id": 7000}, page),
        "course_id": ({"course_id": 7}, page),
        "all filters": (every, page),
        "all filters, after near end": ({**every, "after": matching[-page].seq - 1}, page),
        "rare pair: user + other course": ({"user_id": 7000, "course_id": 8}, 0),
        "rare pair: rare name + busy user": (
            {"names": ("grade_override",), "user_id": RARE_USER},
            RARE_OVERRIDES,
        ),
        "rare pair: two names + user + other course": ({**every, "course_id": 8}, 0),
    }


def interleaved(fns: dict[str, Callable[[], object]], repeat: int, block: int = 10) -> dict:
    """``timed`` for several functions at once, in turns of ``block`` calls each: load from other
    processes on the shared machine falls on all of them alike, so their ratio holds."""
    samples: dict[str, list[float]] = {label: [] for label in fns}
    for fn in fns.values():
        for _ in range(3):
            fn()
    for _ in range(max(1, repeat // block)):
        for label, fn in fns.items():
            for _ in range(block):
                start = time.perf_counter()
                fn()
                samples[label].append((time.perf_counter() - start) * 1e6)
    return {
        label: {"p50_us": statistics.median(got), "p99_us": percentile(got, 0.99)}
        for label, got in samples.items()
    }


def inbox_cases(sizes: tuple[int, ...], repeat: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per size label, per query: p50 and p99 of ``select(..., limit=100)``. The sizes' inboxes
    are all built first, and each query is timed on all of them in turns. The first call of each
    query is timed apart (``first_us``): it builds any combination index the query needs."""
    inboxes = {ROWS[n]: synthetic_inbox(n) for n in sizes}
    queries = {label: inbox_queries(inbox) for label, inbox in inboxes.items()}
    cases: dict[str, dict[str, dict[str, float]]] = {label: {} for label in inboxes}
    for query in queries[ROWS[sizes[0]]]:
        fns, first = {}, {}
        for label, inbox in inboxes.items():
            args, count = queries[label][query]
            start = time.perf_counter()
            answer = inbox.select(**args, limit=INBOX_LIMIT)
            first[label] = (time.perf_counter() - start) * 1e6
            if len(answer) != count:
                raise RuntimeError(f"inbox {query} answered {len(answer)}, not {count}")
            fns[label] = lambda inbox=inbox, args=args: inbox.select(**args, limit=INBOX_LIMIT)
        gc.collect()
        for label, t in interleaved(fns, repeat).items():
            cases[label][query] = {**t, "first_us": first[label]}
    return cases


def _inbox_figures(cases: dict[str, dict[str, dict[str, float]]]) -> list[Figure]:
    """Per query: p50 at each size (p99 in the detail), and the largest / smallest p50 ratio."""
    figures = []
    labels = list(cases)
    for query in cases[labels[0]]:
        for label in labels:
            t = cases[label][query]
            figures.append(
                Figure("query_scaling", f"inbox {query} p50, {label} events", t["p50_us"], "us",
                       detail={"events": label, "limit": INBOX_LIMIT, **t})
            )  # fmt: skip
        base, top = cases[labels[0]][query], cases[labels[-1]][query]
        figures.append(
            Figure(
                "query_scaling", f"inbox {query} p50: {labels[-1]} / {labels[0]}",
                top["p50_us"] / base["p50_us"], "x", target=("max", INBOX_TARGET),
                detail={"p99_ratio": top["p99_us"] / base["p99_us"]},
            )
        )  # fmt: skip
    return figures


def run(quick: bool) -> list[Figure]:
    worlds = ("medium", "large") if quick else tuple(WORLDS)
    sizes = (10_000, 100_000) if quick else tuple(ROWS)
    repeat = 100 if quick else 400
    pages, page_rows = {}, {}
    for size in worlds:
        rows, cases = page_case(size, repeat)
        pages[WORLDS[size]] = cases
        page_rows[WORLDS[size]] = rows
        gc.collect()
    index = {ROWS[n]: index_case(n, repeat * 3) for n in sizes}
    index_rows = {ROWS[n]: n for n in sizes}
    gc.collect()
    inbox = inbox_cases((sizes[0], sizes[-1]), repeat)
    return (
        _figures("page", pages, page_rows)
        + _figures("index", index, index_rows)
        + _inbox_figures(inbox)
    )


if __name__ == "__main__":
    main(run, __doc__)
