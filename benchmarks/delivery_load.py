"""Delivery under load: a black-box run of ``mockcanvas serve`` with a healthy local webhook.

A real ``mockcanvas serve --webhook URL`` process, a real receiver in another process (answers
200 at once, keep-alive), 25 writer threads (REST ``PUT`` grade, ``POST /_mockcanvas/grades``, bulk
``update_grades``, in turn) and 25 reader threads (audit pages, the inbox, ``/users/self``) for N
seconds (30 full, 3 quick). Then it waits for the subscription to go idle and reports writes,
reads, errors, events emitted, delivered, overflowed, what the receiver saw, and the server's peak
RSS. A healthy receiver must get every event: ``dropped_overflow`` should be 0.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import requests

from benchmarks.common import Figure, main
from benchmarks.emission import _receive

NAME = "delivery_load"
WRITERS = 25
READERS = 25
TOKEN = "bench-admin-token"


def _serve(webhook: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockcanvas", "serve", "--port", "0", "--admin-token", TOKEN,
         "--webhook", webhook, "--shutdown-timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    banner = process.stdout.readline().strip()
    if " serving " not in banner:
        process.kill()
        raise RuntimeError(f"serve did not start: {banner!r}")
    return process, banner.split(" serving ")[1]


def _peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _students(base: str, headers: dict, course_id: int) -> list[int]:
    world = requests.get(f"{base}/_mockcanvas/world", headers=headers, timeout=30).json()
    return [
        user["id"]
        for user in world["users"]
        if any(
            e.get("course_id") == course_id
            and e.get("type") == "StudentEnrollment"
            and e.get("enrollment_state", e.get("workflow_state")) == "active"
            for e in user.get("enrollments", [])
        )
    ]


def load(seconds: float, writers: int = WRITERS, readers: int = READERS) -> dict:
    """The black-box run; returns its counts (the figures and the test read them)."""
    context = multiprocessing.get_context("fork")
    ready, results, stop_receiver = context.Queue(), context.Queue(), context.Event()
    receiver = context.Process(target=_receive, args=(ready, results, stop_receiver), daemon=True)
    receiver.start()
    port = ready.get(timeout=30)
    server, base = _serve(f"http://127.0.0.1:{port}/hook")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    counts = {"writes": 0, "reads": 0, "errors": 0}
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        students = _students(base, headers, 1) or [4]
        assignments = (2, 3)

        def count(key: str, response: requests.Response, what: str) -> None:
            with lock:
                if response.status_code == 200:
                    counts[key] += 1
                else:
                    counts["errors"] += 1
                    if len(errors) < 5:
                        errors.append(f"{what}: {response.status_code} {response.text[:200]}")

        def writer(number: int) -> None:
            session = requests.Session()
            session.headers.update(headers)
            for i in itertools.count():
                if stop.is_set():
                    return
                student = students[(number * 7 + i) % len(students)]
                assignment = assignments[i % 2]
                grade = str((number * 13 + i) % 21)
                route = number % 3
                if route == 0:
                    url = f"{base}/api/v1/courses/1/assignments/{assignment}/submissions/{student}"
                    got = session.put(url, json={"submission": {"posted_grade": grade}}, timeout=60)
                elif route == 1:
                    body = {"course_id": 1, "assignment_id": assignment, "user_id": student,
                            "posted_grade": grade}  # fmt: skip
                    got = session.post(f"{base}/_mockcanvas/grades", json=body, timeout=60)
                else:
                    url = f"{base}/api/v1/courses/1/assignments/{assignment}/submissions"
                    url += "/update_grades"
                    data = {f"grade_data[{student}][posted_grade]": grade}
                    got = session.post(url, data=data, timeout=60)
                count("writes", got, ("rest", "control", "bulk")[route])

        def reader(number: int) -> None:
            session = requests.Session()
            session.headers.update(headers)
            paths = (
                "/api/v1/audit/grade_change/courses/1?per_page=50",
                "/_mockcanvas/live_events?limit=50",
                "/api/v1/users/self",
            )
            for i in itertools.count():
                if stop.is_set():
                    return
                path = paths[(number + i) % len(paths)]
                count("reads", session.get(base + path, timeout=60), path)

        backlog = [0]

        def sample() -> None:
            """The deepest the subscription's queue got (sampled twice a second)."""
            with requests.Session() as session:
                session.headers.update(headers)
                while not stop.wait(0.5):
                    shown = session.get(f"{base}/_mockcanvas/subscriptions/1?limit=1", timeout=60)
                    backlog[0] = max(backlog[0], shown.json()["counts"]["queued"])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
        threads.append(threading.Thread(target=sample))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        ran = time.perf_counter() - started
        draining = time.perf_counter()
        waited = requests.post(
            f"{base}/_mockcanvas/subscriptions/1/wait?timeout=60", json={}, headers=headers,
            timeout=90,
        ).json()  # fmt: skip
        drained = time.perf_counter() - draining
        shown = requests.get(f"{base}/_mockcanvas/subscriptions/1", headers=headers, timeout=30)
        shown = shown.json()
        peak = _peak_rss_mb(server.pid)
    finally:
        stop.set()
        server.send_signal(2)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        server.stdout.close()
        stop_receiver.set()
        received = results.get(timeout=30)
        receiver.join(timeout=10)
    sub_counts = waited["counts"]
    return {
        "seconds": round(ran, 1),
        **counts,
        "error_samples": errors,
        "idle": waited["idle"],
        "emitted": sub_counts["submitted"],
        "delivered": sub_counts["delivered"],
        "dropped_overflow": sub_counts["dropped_overflow"],
        "dead": sub_counts["dead"],
        "received_posts": received[0],
        "received_distinct": received[1],
        "peak_rss_mb": round(peak, 1),
        "peak_queued": backlog[0],
        "drain_seconds": round(drained, 2),
        "subscription": {k: v for k, v in shown.items() if k not in ("log",)},
    }


def run(quick: bool) -> list[Figure]:
    got = load(3 if quick else 30)
    detail = {k: v for k, v in got.items() if k != "subscription"}
    detail["memory"] = got["subscription"].get("memory")
    return [
        Figure(NAME, "writes (25 threads, three grading routes)", got["writes"], "writes",
               detail=detail),
        Figure(NAME, "reads (25 threads)", got["reads"], "reads"),
        Figure(NAME, "errors", got["errors"], "errors", ("max", 0)),
        Figure(NAME, "events emitted", got["emitted"], "events"),
        Figure(NAME, "events the receiver got", got["received_distinct"], "events"),
        Figure(NAME, "events dropped_overflow (healthy receiver)", got["dropped_overflow"],
               "events", ("max", 0)),
        Figure(NAME, "events not delivered (emitted - delivered)",
               got["emitted"] - got["delivered"], "events", ("max", 0)),
        Figure(NAME, "deepest queue (sampled every 0.5 s)", got["peak_queued"], "events"),
        Figure(NAME, "seconds to deliver the rest after the load stopped",
               got["drain_seconds"], "s"),
        Figure(NAME, "serve peak RSS", got["peak_rss_mb"], "MB"),
    ]  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--raw":
        print(json.dumps(load(float(sys.argv[2])), indent=2))
    else:
        main(run, __doc__)
