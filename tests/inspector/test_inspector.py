"""The inspector's server side over real HTTP: the page and its files, the world a slice at a time,
deliveries per event, and the Live Events stream (server-sent events) under waitress."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.http import inspector
from mockcanvas.live_server import LiveServer
from tests.support import NOT_FOUND

CONTROL_TOKEN = "inspector-secret"
HEADERS = {"X-Mockcanvas-Token": CONTROL_TOKEN}
SSE = {**HEADERS, "Accept": "text/event-stream"}
STREAM = "/_mockcanvas/live_events/stream"
# A stream resuming from an id of another history: the reset (its id the new generation's start),
# then that history from its first event.
RESET_TO_GENERATION_0 = 'retry: 2000\n\nid: 0-0\nevent: reset\ndata: {"reset":true}\n\n'
RESET_TO_GENERATION_1 = 'retry: 2000\n\nid: 1-0\nevent: reset\ndata: {"reset":true}\n\n'
# Seed 1: course 1, Homework 1 (points, out of 20), student 4, teacher 36.
GRADE = {"course_id": 1, "assignment_id": 3, "user_id": 4, "grader_id": 36, "posted_grade": "17"}
CONTRACT_IDS = (
    "courses", "people", "assignments", "audit", "audit-next", "audit-refresh", "grade-form",
    "grade-assignment", "grade-student", "grade-value", "grade-grader", "grade-submit",
    "grade-result", "feed", "filter-name", "filter-course", "filter-student", "reset",
    "clock-freeze", "clock-advance", "clock-advance-submit", "clock-now", "faults",
    "faults-clear", "subscriptions", "status",
)  # fmt: skip


@contextmanager
def server(**options) -> Iterator[str]:
    """A fresh seeded world on waitress; stop() must end open streams without waiting on them."""
    live = LiveServer(create_app(control_token=CONTROL_TOKEN, **options)).start()
    try:
        yield live.url
    finally:
        live.stop(timeout=5)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with server() as base:
        yield base


def messages(response: requests.Response) -> Iterator[dict]:
    """Parse server-sent events off a streaming response: each block as {field: value}."""
    block: dict = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if block:
                yield block
            block = {}
        elif line.startswith(":"):
            block.setdefault("comments", []).append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            block[name] = value[1:] if value.startswith(" ") else value


def take_every_stream_slot(url: str) -> list[requests.Response]:
    """Open as many 30 s streams as the server allows; each has sent its opening message."""
    opened = [
        requests.get(
            url + "/_mockcanvas/live_events/stream",
            params={"timeout": 30},
            headers=SSE,
            stream=True,
            timeout=30,
        )
        for _ in range(inspector.MAX_STREAMS)
    ]
    for stream in opened:
        assert stream.status_code == 200
        assert next(messages(stream)) == {"retry": "2000", "id": "0-0"}
    return opened


def next_event(stream: Iterator[dict]) -> dict:
    for message in stream:
        if message.get("event") == "live_event":
            return message
    raise AssertionError("the stream ended before an event came")


# -- the page and its files --------------------------------------------------------------------


def test_page_and_files_are_served_without_the_token_with_their_types(url):
    page = requests.get(url + "/_mockcanvas/inspector", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.text
    for name in CONTRACT_IDS:
        assert re.search(rf'\bid="{name}"', html), name
    for name, kind in (("inspector.js", "text/javascript"), ("inspector.css", "text/css")):
        got = requests.get(f"{url}/_mockcanvas/inspector/static/{name}", timeout=10)
        assert got.status_code == 200
        assert got.headers["Content-Type"] == f"{kind}; charset=utf-8"
        assert f"/_mockcanvas/inspector/static/{name}" in html
    for missing in ("nothing.js", "index.html", "..%2Finspector.py", ".hidden.js"):
        got = requests.get(f"{url}/_mockcanvas/inspector/static/{missing}", timeout=10)
        assert (got.status_code, got.json()) == (404, NOT_FOUND), missing


def test_root_redirects_to_the_page(url):
    got = requests.get(url + "/", allow_redirects=False, timeout=10)
    assert got.status_code == 302
    assert got.headers["Location"] == "/_mockcanvas/inspector"


def test_data_routes_need_the_control_token(url):
    for path in (
        "/_mockcanvas/world/courses",
        "/_mockcanvas/world/courses/1",
        "/_mockcanvas/live_events/deliveries",
        "/_mockcanvas/live_events/stream",
    ):
        assert requests.get(url + path, timeout=10).status_code == 401, path
        wrong = requests.get(url + path, headers={"X-Mockcanvas-Token": "nope"}, timeout=10)
        assert wrong.status_code == 401, path
        assert requests.get(url + path, headers=HEADERS, timeout=10).status_code == 200, path


def test_the_shipped_script_never_parses_markup():
    script = (inspector.FILES / "inspector.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "new Function" not in script
    assert "textContent" in script  # how it does show values
    html = (inspector.FILES / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html  # no inline script: the CSP allows only the file
    # Nothing from the internet: every file the page loads is one of the server's own.
    loads = re.findall(r'\b(?:src|href)="([^"]*)"', html)
    assert sorted(loads) == [
        "/_mockcanvas/inspector/static/inspector.css",
        "/_mockcanvas/inspector/static/inspector.js",
    ]
    assert not re.search(r"\b(?:fetch|import)\(\s*[\"'`]https?:", script)


# -- the world, a slice at a time --------------------------------------------------------------


def test_courses_come_a_page_at_a_time_with_the_admin(url):
    world = requests.get(url + "/_mockcanvas/world", headers=HEADERS, timeout=10).json()
    first = requests.get(
        url + "/_mockcanvas/world/courses", params={"per_page": 3}, headers=HEADERS, timeout=10
    ).json()
    assert [c["id"] for c in first["courses"]] == [c["id"] for c in world["courses"]][:3]
    assert first["next_page"] == 2
    assert first["total"] == len(world["courses"])
    admin = world["landmarks"]["admin"]
    assert first["admin"] == {
        "id": admin,
        "name": next(u["name"] for u in world["users"] if u["id"] == admin),
        "token": next(u["token"] for u in world["users"] if u["id"] == admin),
    }
    last = requests.get(
        url + "/_mockcanvas/world/courses",
        params={"per_page": 3, "page": 2},
        headers=HEADERS,
        timeout=10,
    ).json()
    assert [c["id"] for c in last["courses"]] == [c["id"] for c in world["courses"]][3:6]
    assert last["next_page"] is None


def test_a_course_sends_a_page_of_people_with_roles_and_tokens(url):
    world = requests.get(url + "/_mockcanvas/world", headers=HEADERS, timeout=10).json()
    got = requests.get(
        url + "/_mockcanvas/world/courses/1", params={"per_page": 5}, headers=HEADERS, timeout=10
    )
    assert got.status_code == 200
    course = got.json()
    members = [
        u
        for u in world["users"]
        if any(e["course_id"] == 1 and e["workflow_state"] != "deleted" for e in u["enrollments"])
    ]
    assert course["total_people"] == len(members) > 5
    assert len(course["people"]) == 5 and course["next_page"] == 2
    by_id = {u["id"]: u for u in world["users"]}
    for person in course["people"]:
        user = by_id[person["id"]]
        assert person["token"] == user["token"]
        assert person["name"] == user["name"]
        roles = {e["type"] for e in user["enrollments"] if e["course_id"] == 1}
        assert set(person["roles"]) == roles
    assert {"id": 36, "name": by_id[36]["name"]} in course["graders"]
    world_course = next(c for c in world["courses"] if c["id"] == 1)
    assert [a["id"] for a in course["assignments"]] == [
        a["id"] for a in world_course["assignments"] if a["workflow_state"] != "deleted"
    ]
    for bad, status in (("999999", 404), ("x", 404)):
        answer = requests.get(f"{url}/_mockcanvas/world/courses/{bad}", headers=HEADERS, timeout=10)
        assert (answer.status_code, answer.json()) == (status, NOT_FOUND)
    refused = requests.get(
        url + "/_mockcanvas/world/courses/1", params={"per_page": "-1"}, headers=HEADERS, timeout=10
    )
    assert refused.status_code == 400
    assert refused.json() == {"message": "per_page must be a positive integer"}


# -- the stream --------------------------------------------------------------------------------


def test_the_stream_delivers_an_event_emitted_after_connecting_and_resumes():
    with server() as url:
        stream = requests.get(
            url + "/_mockcanvas/live_events/stream",
            params={"timeout": 20},
            headers=SSE,
            stream=True,
            timeout=20,
        )
        assert stream.status_code == 200
        assert stream.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert stream.headers["Cache-Control"] == "no-cache"
        events = messages(stream)
        assert next(events) == {"retry": "2000", "id": "0-0"}  # connected, nothing emitted yet
        graded = requests.post(url + "/_mockcanvas/grades", json=GRADE, headers=HEADERS, timeout=10)
        assert graded.status_code == 200
        inbox = requests.get(url + "/_mockcanvas/live_events", headers=HEADERS, timeout=10)
        entries = inbox.json()["live_events"]
        assert len(entries) >= 2
        for entry in entries:
            message = next_event(events)
            assert message["id"] == f"0-{entry['seq']}"  # generation 0: never reset
            assert json.loads(message["data"]) == entry
        stream.close()

        # Reconnecting with the last id seen sends only what came after it; so does a bare seq.
        for last_seen in (f"0-{entries[0]['seq']}", str(entries[0]["seq"])):
            resumed = requests.get(
                url + "/_mockcanvas/live_events/stream",
                params={"timeout": 0},
                headers={**SSE, "Last-Event-ID": last_seen},
                timeout=20,
            )
            ids = [m["id"] for m in messages(resumed) if m.get("event") == "live_event"]
            assert ids == [f"0-{e['seq']}" for e in entries[1:]], last_seen
        after = requests.get(
            url + "/_mockcanvas/live_events/stream",
            params={"after": entries[-1]["seq"] - 1, "timeout": 0},
            headers=SSE,
            timeout=20,
        )
        ids = [m["id"] for m in messages(after) if m.get("event") == "live_event"]
        assert ids == [f"0-{entries[-1]['seq']}"]


def test_a_plain_client_gets_the_backlog_and_the_end(url):
    requests.post(url + "/_mockcanvas/grades", json=GRADE, headers=HEADERS, timeout=10)
    entries = requests.get(url + "/_mockcanvas/live_events", headers=HEADERS, timeout=10).json()[
        "live_events"
    ]
    got = requests.get(
        url + "/_mockcanvas/live_events/stream", params={"backlog": 1}, headers=HEADERS, timeout=10
    )
    assert got.status_code == 200
    sent = [m for m in messages(got) if m.get("event") == "live_event"]
    assert [json.loads(m["data"]) for m in sent] == entries[-1:]
    for bad, message in (
        ({"after": "x"}, "after must be an id the stream sent (generation-seq, as 0-7) or a seq"),
        ({"timeout": "-1"}, "timeout must be a number of seconds"),
        ({"backlog": "1.5"}, "backlog must be a positive integer"),
    ):
        refused = requests.get(
            url + "/_mockcanvas/live_events/stream", params=bad, headers=HEADERS, timeout=10
        )
        assert (refused.status_code, refused.json()) == (400, {"message": message}), bad
    refused = requests.get(
        url + "/_mockcanvas/live_events/stream",
        headers={**HEADERS, "Last-Event-ID": "abc"},
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "message": "Last-Event-ID must be an id the stream sent (generation-seq, as 0-7) or a seq"
    }


def test_streams_past_the_cap_are_refused_and_stop_ends_the_open_ones():
    with server() as url:
        open_streams = take_every_stream_slot(url)
        refused = requests.get(url + "/_mockcanvas/live_events/stream", headers=SSE, timeout=10)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert refused.json() == {
            "message": "too many long waits open (event streams and subscription waits share 2 "
            "slots, so that the server always keeps workers free); close one or try again shortly"
        }
        # The other workers still answer while the streams are open.
        assert requests.get(url + "/_mockcanvas/health", headers=HEADERS, timeout=10).ok
    # The server stopped: the open streams were ended (their bodies finish), not left to time out.
    for stream in open_streams:
        assert list(messages(stream)) == []
        stream.close()


def test_a_stream_slot_comes_free_when_its_stream_ends():
    with server() as url:
        for _ in range(inspector.MAX_STREAMS + 2):
            got = requests.get(
                url + "/_mockcanvas/live_events/stream",
                params={"timeout": 0},
                headers=SSE,
                timeout=10,
            )
            assert got.status_code == 200
            assert got.text == "retry: 2000\nid: 0-0\n\n"


def test_a_reset_restarts_the_numbering_on_the_stream():
    with server() as url:
        requests.post(url + "/_mockcanvas/grades", json=GRADE, headers=HEADERS, timeout=10)
        before = requests.get(url + "/_mockcanvas/live_events", headers=HEADERS, timeout=10)
        last = before.json()["live_events"][-1]["seq"]
        requests.post(url + "/_mockcanvas/reset", headers=HEADERS, timeout=10, json={})
        got = requests.get(
            url + "/_mockcanvas/live_events/stream",
            params={"timeout": 0},
            headers={**SSE, "Last-Event-ID": str(last)},
            timeout=10,
        )
        assert got.text == RESET_TO_GENERATION_1  # the reset replays a world that emitted nothing


def grade(url: str, value: str) -> None:
    given = {**GRADE, "posted_grade": value}
    answer = requests.post(url + "/_mockcanvas/grades", json=given, headers=HEADERS, timeout=10)
    assert answer.status_code == 200


def inbox_entries(url: str) -> list[dict]:
    answer = requests.get(url + "/_mockcanvas/live_events", headers=HEADERS, timeout=10)
    assert answer.status_code == 200
    return answer.json()["live_events"]


def resume(url: str, last_seen: str, how: str = "header") -> requests.Response:
    """What there is after ``last_seen``, given as ``Last-Event-ID`` or as ``?after=``."""
    params: dict = {"timeout": 0}
    headers = dict(SSE)
    if how == "header":
        headers["Last-Event-ID"] = last_seen
    else:
        params["after"] = last_seen
    return requests.get(url + STREAM, params=params, headers=headers, timeout=10)


def reset_then_more_events(url: str) -> tuple[list[dict], list[dict]]:
    """One grade, a reset, three grades: (the old inbox, the new, longer one)."""
    grade(url, "17")
    old = inbox_entries(url)
    assert requests.post(url + "/_mockcanvas/reset", headers=HEADERS, timeout=10, json={}).ok
    for value in ("15", "16", "18"):
        grade(url, value)
    new = inbox_entries(url)
    assert len(new) > old[-1]["seq"]  # the new history numbers past the old id's seq
    return old, new


def test_an_id_from_before_a_reset_gets_the_reset_and_the_whole_new_history():
    with server() as url:
        old, new = reset_then_more_events(url)
        last_seen = f"0-{old[-1]['seq']}"
        for how in ("header", "after"):
            got = resume(url, last_seen, how)
            assert got.status_code == 200
            assert got.text.startswith(RESET_TO_GENERATION_1 + "id: 1-1\nevent: live_event\n"), how
            sent = list(messages(got))[2:]
            assert [m["id"] for m in sent] == [f"1-{e['seq']}" for e in new], how
            assert [json.loads(m["data"]) for m in sent] == new, how
        # The bare seq (the older form) cannot see a reset it missed while its seq is at or below
        # the new last: it resumes in the current generation, and 1..seq are not sent.
        bare = resume(url, str(old[-1]["seq"]))
        skipped = old[-1]["seq"]
        assert bare.text.startswith(f"retry: 2000\nid: 1-{skipped}\n\nid: 1-{skipped + 1}\n")
        assert [m["id"] for m in messages(bare)][1:] == [f"1-{e['seq']}" for e in new[skipped:]]


def test_an_id_of_the_current_generation_resumes_right_after_its_seq():
    with server() as url:
        _, new = reset_then_more_events(url)
        middle = new[1]["seq"]
        for how in ("header", "after"):
            got = resume(url, f"1-{middle}", how)
            assert got.status_code == 200
            assert got.text.startswith(
                f"retry: 2000\nid: 1-{middle}\n\nid: 1-{middle + 1}\nevent: live_event\ndata: "
            ), how
            sent = list(messages(got))[1:]
            assert [m["id"] for m in sent] == [f"1-{e['seq']}" for e in new[2:]], how
            assert [json.loads(m["data"]) for m in sent] == new[2:], how
        # A seq this generation has not reached, or a generation it has not reached: the client
        # numbered in another history (a restarted server), so it is told and gets all of this one.
        for unknown in (f"1-{new[-1]['seq'] + 1}", "2-1", "0-0"):
            got = resume(url, unknown)
            assert got.text.startswith(RESET_TO_GENERATION_1), unknown
            sent = list(messages(got))[2:]
            assert [m["id"] for m in sent] == [f"1-{e['seq']}" for e in new], unknown


def test_events_evicted_before_a_resume_are_told_not_skipped():
    with server(inbox_capacity=3) as url:
        for value in ("11", "12", "13", "14"):  # 2 events each: seqs 1..8, 6..8 kept
            grade(url, value)
        kept = inbox_entries(url)
        assert [e["seq"] for e in kept] == [6, 7, 8]
        for last_seen in ("0-2", "2"):
            got = resume(url, last_seen)
            assert got.status_code == 200
            assert got.text.startswith(
                "retry: 2000\nid: 0-2\n\n"
                'id: 0-5\nevent: evicted\ndata: {"evicted":3,"after":2,"first":6}\n\n'
                "id: 0-6\nevent: live_event\n"
            ), last_seen
            sent = [m for m in messages(got) if m.get("event") == "live_event"]
            assert [json.loads(m["data"]) for m in sent] == kept
        # Resuming at the last evicted one, or later, misses nothing: no notice.
        assert "event: evicted" not in resume(url, "0-5").text


def test_a_stream_that_sent_no_event_still_says_where_it_started():
    """A client that drops before any event resumes where it started, not at a new backlog."""
    with server() as url:
        quiet = requests.get(url + STREAM, params={"timeout": 0}, headers=SSE, timeout=10)
        assert quiet.text == "retry: 2000\nid: 0-0\n\n"
        grade(url, "17")
        entries = inbox_entries(url)
        got = resume(url, "0-0")
        assert [m["id"] for m in messages(got)] == ["0-0", *(f"0-{e['seq']}" for e in entries)]
        backlog = requests.get(
            url + STREAM, params={"timeout": 0, "backlog": 1}, headers=SSE, timeout=10
        )
        last = entries[-1]["seq"]
        assert backlog.text.startswith(f"retry: 2000\nid: 0-{last - 1}\n\nid: 0-{last}\n")


def next_message(stream: Iterator[dict]) -> dict:
    """The next block that is not only a keep-alive comment."""
    for message in stream:
        if set(message) != {"comments"}:
            return message
    raise AssertionError("the stream ended")


def test_a_reset_under_an_open_stream_says_reset_with_the_new_generation():
    with server() as url:
        stream = requests.get(
            url + STREAM, params={"timeout": 20}, headers=SSE, stream=True, timeout=20
        )
        events = messages(stream)
        assert next_message(events) == {"retry": "2000", "id": "0-0"}
        grade(url, "17")
        for entry in inbox_entries(url):
            assert next_message(events)["id"] == f"0-{entry['seq']}"
        assert requests.post(url + "/_mockcanvas/reset", headers=HEADERS, timeout=10, json={}).ok
        assert next_message(events) == {"id": "1-0", "event": "reset", "data": '{"reset":true}'}
        grade(url, "15")
        for entry in inbox_entries(url):  # numbered from 1 again
            message = next_message(events)
            assert (message["id"], json.loads(message["data"])) == (f"1-{entry['seq']}", entry)
        cleared = requests.delete(
            url + "/_mockcanvas/live_events", headers=HEADERS, timeout=10, json={}
        )
        assert cleared.ok
        assert next_message(events) == {"id": "2-0", "event": "reset", "data": '{"reset":true}'}
        stream.close()


MALFORMED_IDS = ("abc", "1-", "-1", "1-2-3", "1.5", "a-1", "1-a", "0x1", "1--2", "+1", "1-+2")


def test_malformed_ids_are_refused(url):
    for bad in MALFORMED_IDS:
        for how in ("header", "after"):
            refused = resume(url, bad, how)
            name = "Last-Event-ID" if how == "header" else "after"
            message = f"{name} must be an id the stream sent (generation-seq, as 0-7) or a seq"
            assert (refused.status_code, refused.json()) == (400, {"message": message}), (bad, how)
    # The header wins: a good one makes a bad ?after= moot, as before.
    got = requests.get(
        url + STREAM,
        params={"timeout": 0, "after": "abc"},
        headers={**SSE, "Last-Event-ID": "0-0"},
        timeout=10,
    )
    assert got.status_code == 200


def test_numbers_too_long_for_int_are_answered_not_a_500():
    with server() as url:
        huge = "9" * 5000  # int() refuses more than 4,300 digits
        for last_seen in (huge, f"{huge}-1", f"0-{huge}"):
            got = resume(url, last_seen)
            assert (got.status_code, got.text) == (200, RESET_TO_GENERATION_0), last_seen[-3:]
        backlog = requests.get(
            url + STREAM, params={"timeout": 0, "backlog": huge}, headers=SSE, timeout=10
        )
        assert (backlog.status_code, backlog.text) == (200, "retry: 2000\nid: 0-0\n\n")
        course = requests.get(
            url + "/_mockcanvas/world/courses/" + huge, headers=HEADERS, timeout=10
        )
        assert (course.status_code, course.json()) == (404, NOT_FOUND)


# -- deliveries per event, redelivery of one --------------------------------------------------


def test_deliveries_per_event_and_redelivering_one(tmp_path):
    with server() as url:
        jsonl = requests.post(
            url + "/_mockcanvas/subscriptions",
            json={"kind": "jsonl", "path": str(tmp_path / "events.jsonl"), "name": "file"},
            headers=HEADERS,
            timeout=10,
        ).json()
        dead = requests.post(
            url + "/_mockcanvas/subscriptions",
            json={"kind": "webhook", "url": "http://127.0.0.1:9/", "max_attempts": 1},
            headers=HEADERS,
            timeout=10,
        ).json()
        requests.post(url + "/_mockcanvas/grades", json=GRADE, headers=HEADERS, timeout=10)
        for sub in (jsonl, dead):
            idle = requests.post(
                f"{url}/_mockcanvas/subscriptions/{sub['id']}/wait",
                headers=HEADERS,
                timeout=20,
                json={},
            )
            assert idle.json()["idle"] is True
        entries = requests.get(url + "/_mockcanvas/live_events", headers=HEADERS, timeout=10)
        ids = [e["id"] for e in entries.json()["live_events"]]
        got = requests.get(
            url + "/_mockcanvas/live_events/deliveries",
            params={"event_id": [*ids, "no-such-event"]},
            headers=HEADERS,
            timeout=10,
        )
        assert got.status_code == 200
        deliveries = got.json()["deliveries"]
        assert deliveries["no-such-event"] == []
        for event_id in ids:
            outcomes = {d["subscription_id"]: d for d in deliveries[event_id]}
            assert outcomes[jsonl["id"]]["outcome"] == "delivered"
            assert outcomes[jsonl["id"]]["attempts"] == 1
            assert outcomes[dead["id"]]["outcome"] == "dead"
            assert outcomes[dead["id"]]["subscription_name"] == dead["name"]

        # Redeliver one dead event: only it goes back in the queue.
        again = requests.post(
            f"{url}/_mockcanvas/subscriptions/{dead['id']}/redeliver",
            params={"event_id": ids[0]},
            headers=HEADERS,
            timeout=10,
            json={},
        )
        assert again.status_code == 200
        assert again.json()["requeued"] == 1
        requests.post(
            f"{url}/_mockcanvas/subscriptions/{dead['id']}/wait",
            headers=HEADERS,
            timeout=20,
            json={},
        )
        after = requests.get(
            url + "/_mockcanvas/live_events/deliveries",
            params={"event_id": ids},
            headers=HEADERS,
            timeout=10,
        ).json()["deliveries"]
        first = next(d for d in after[ids[0]] if d["subscription_id"] == dead["id"])
        other = next(d for d in after[ids[1]] if d["subscription_id"] == dead["id"])
        assert (first["outcome"], first["attempts"]) == ("dead", 2)
        assert (other["outcome"], other["attempts"]) == ("dead", 1)
        too_many = requests.get(
            url + "/_mockcanvas/live_events/deliveries",
            params={"event_id": [str(i) for i in range(inspector.DELIVERIES_MAX_EVENTS + 1)]},
            headers=HEADERS,
            timeout=10,
        )
        assert too_many.status_code == 400
        assert too_many.json() == {"message": "at most 100 event_id values"}


def test_a_closed_client_frees_its_slot_without_waiting_for_the_timeout():
    """A reloaded page leaves its old stream behind: the keep-alive writes notice it is gone."""
    app = create_app(control_token=CONTROL_TOKEN)
    streams = inspector.streams_of(app)
    live = LiveServer(app).start()
    try:
        opened = take_every_stream_slot(live.url)
        assert streams.count() == inspector.MAX_STREAMS
        for stream in opened:
            stream.close()  # the client goes away; nothing tells the server
        deadline = time.monotonic() + 20  # well inside the streams' own 30 s
        while streams.count() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert streams.count() == 0
    finally:
        live.stop(timeout=5)
