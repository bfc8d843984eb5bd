"""The inspector page in a real headless Chromium against a real server (tests/support/browser.py).

One browser per module (per xdist worker); each test gets a freshly seeded world on its own
server and a fresh page load. The page is driven only through the
DOM contract (ids and data attributes); what it shows is checked against the server's own APIs.
"""

from __future__ import annotations

import json
import struct
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.support import browser
from tests.support.browser import Grade, open_inspector, select_course, submit_grade, wait
from tests.support.receiver import Receiver

browser.require_browser()

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

# Seed 1: course 1 (Advanced Microeconomics), Homework 1 (points, out of 20), students 4 and 5,
# teacher 36; course 2's points assignment 10, its student 6 and teacher.
HOMEWORK = Grade(course_id=1, assignment_id=3, student_id=4, grader_id=36, value="17")


@pytest.fixture(scope="module")
def driver():
    session = browser.start_browser()
    yield session
    session.quit()


@pytest.fixture
def page(driver):
    """A freshly seeded world on its own server, the inspector loaded and live; yields the URL."""
    with browser.live_inspector() as url:
        open_inspector(driver, url)
        driver.execute_script("window.__marker = 1;")
        yield url
        driver.get("about:blank")  # the page's event stream ends before its server does


@pytest.fixture
def world(page) -> dict:
    answer = requests.get(page + "/_mockcanvas/world", timeout=10)
    assert answer.status_code == 200
    return answer.json()


def token(world: dict, user_id: int) -> str:
    return next(u["token"] for u in world["users"] if u["id"] == user_id)


def inbox(server: str, **params) -> list[dict]:
    answer = requests.get(server + "/_mockcanvas/live_events", params=params, timeout=10)
    assert answer.status_code == 200
    return answer.json()["live_events"]


def audit_page(server: str, world: dict, course_id: int) -> list[dict]:
    admin = world["landmarks"]["admin"]
    answer = requests.get(
        f"{server}/api/v1/audit/grade_change/courses/{course_id}",
        params={"per_page": 20},
        headers={"Authorization": f"Bearer {token(world, admin)}"},
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.json()["events"]


def audit_ids(driver) -> list[str]:
    """The audit table's row ids, read in one go (the page may re-render it at any moment)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('table#audit tbody tr[data-event-id]'),"
        " row => row.getAttribute('data-event-id'))"
    )


def feed_items(driver, css: str = "") -> list:
    return driver.find_elements(By.CSS_SELECTOR, f"#feed li.event{css}")


def event_key(entry: dict) -> str:
    """The feed item's data-event-id for an inbox entry: the event's sequence number, as the
    stream's ``id:`` line."""
    return str(entry["seq"])


def not_reloaded(driver) -> bool:
    return driver.execute_script("return window.__marker") == 1


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_page_lists_the_seeded_courses_and_goes_live(page, driver, world):
    items = driver.find_elements(By.CSS_SELECTOR, "#courses li[data-course-id]")
    assert [int(li.get_attribute("data-course-id")) for li in items] == [
        c["id"] for c in world["courses"]
    ]
    for li, course in zip(items, world["courses"], strict=True):
        assert course["name"] in li.text
    assert driver.find_element(By.ID, "status").text.strip() == "live"
    assert driver.title  # a real HTML document, not a JSON answer
    assert feed_items(driver) == []  # a fresh world has emitted nothing


def test_grade_from_the_page_shows_the_audit_row_and_the_event_live(page, driver, world, tmp_path):
    select_course(driver, HOMEWORK.course_id)
    wait(driver).until(lambda d: audit_ids(d))
    before = audit_ids(driver)
    assert before == [e["id"] for e in audit_page(page, world, HOMEWORK.course_id)]

    assert submit_grade(driver, HOMEWORK) == "graded"

    # The grade went through the one write path: the API sees it, the log has a new newest row.
    newest = audit_page(page, world, HOMEWORK.course_id)[0]
    assert newest["id"] not in before
    assert newest["grade_after"] == HOMEWORK.value
    assert newest["links"]["student"] == str(HOMEWORK.student_id)
    assert newest["links"]["grader"] == str(HOMEWORK.grader_id)
    wait(driver).until(lambda d: audit_ids(d)[:1] == [newest["id"]])
    assert audit_ids(driver)[1 : len(before) + 1] == before[: 20 - 1]
    top = driver.find_element(By.CSS_SELECTOR, "table#audit tbody tr[data-event-id]")
    assert HOMEWORK.value in top.text.split()

    [entry] = inbox(page, event_name="grade_change")
    css = (
        f"[data-event-name='grade_change'][data-event-id='{event_key(entry)}']"
        f"[data-user-id='{HOMEWORK.student_id}'][data-course-id='{HOMEWORK.course_id}']"
    )
    wait(driver).until(lambda d: feed_items(d, css))
    names = driver.execute_script(
        "return Array.from(document.querySelectorAll('#feed li.event'),"
        " li => li.getAttribute('data-event-name'))"
    )
    assert sorted(names) == sorted(e["event_name"] for e in inbox(page))
    assert not_reloaded(driver)

    shot = tmp_path / "inspector.png"
    assert driver.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert png_size(data) == browser.WINDOW
    assert len(data) < browser.SCREENSHOT_MAX_BYTES


def test_an_expanded_event_shows_its_full_json(page, driver):
    select_course(driver, HOMEWORK.course_id)
    assert submit_grade(driver, HOMEWORK) == "graded"
    [entry] = inbox(page, event_name="grade_change")
    css = f"[data-event-id='{event_key(entry)}']"
    wait(driver).until(lambda d: feed_items(d, css))
    [item] = feed_items(driver, css)
    pre = item.find_element(By.CSS_SELECTOR, "details pre.event-json")
    assert not pre.is_displayed()  # folded until asked
    item.find_element(By.CSS_SELECTOR, "details > summary").click()
    wait(driver).until(lambda d: pre.is_displayed())
    assert json.loads(pre.text) == entry["event"]
    assert not_reloaded(driver)


def test_filters_hide_non_matching_events(page, driver, world):
    select_course(driver, HOMEWORK.course_id)
    grades = [
        HOMEWORK,
        Grade(course_id=1, assignment_id=3, student_id=5, grader_id=36, value="12"),
    ]
    for grade in grades:
        assert submit_grade(driver, grade) == "graded"
    everything = [event_key(e) for e in inbox(page)]
    assert len(everything) >= 4  # a grade_change and a course_grade_change per grade
    wait(driver).until(lambda d: len(feed_items(d)) == len(everything))

    def shown() -> list[str]:
        """The feed's visible items' ids, read in one go."""
        return driver.execute_script(
            "return Array.from(document.querySelectorAll('#feed li.event'))"
            ".filter(li => li.checkVisibility()).map(li => li.getAttribute('data-event-id'))"
        )

    def expect(**params) -> None:
        wanted = sorted(event_key(e) for e in inbox(page, **params))
        assert wanted  # every filter below keeps some events and drops others
        assert len(wanted) < len(everything)
        wait(driver).until(lambda d: sorted(shown()) == wanted)

    name = driver.find_element(By.ID, "filter-name")
    student = driver.find_element(By.ID, "filter-student")
    course = driver.find_element(By.ID, "filter-course")
    browser.choose(driver, "filter-name", "grade_change")
    expect(event_name="grade_change")
    student.send_keys("5")
    expect(event_name="grade_change", user_id=5)
    browser.choose(driver, "filter-name", "course_grade_change")
    expect(event_name="course_grade_change", user_id=5)
    student.clear()
    browser.choose(driver, "filter-name", "")
    course.send_keys("2")
    wait(driver).until(lambda d: shown() == [])  # course 2 has no events
    course.clear()
    course.send_keys("1")
    wait(driver).until(lambda d: sorted(shown()) == sorted(everything))
    assert name.get_attribute("value") == ""
    assert not_reloaded(driver)


def test_values_are_shown_as_text_never_as_markup(driver):
    """A strict-grades server refuses the hostile grade and its message quotes it: the page
    shows that message as text, runs nothing and emits nothing."""
    with browser.live_inspector(strict_grades=True) as url:
        open_inspector(driver, url)
        driver.execute_script("window.__marker = 1;")
        try:
            select_course(driver, HOMEWORK.course_id)
            hostile = "<img src=x onerror=alert(1)>"
            events = inbox(url)
            body = {
                "course_id": HOMEWORK.course_id,
                "assignment_id": HOMEWORK.assignment_id,
                "user_id": HOMEWORK.student_id,
                "grader_id": HOMEWORK.grader_id,
                "posted_grade": hostile,
            }
            refused = requests.post(url + "/_mockcanvas/grades", json=body, timeout=10)
            assert refused.status_code == 400
            message = refused.json()["message"]
            assert hostile in message

            shown = submit_grade(driver, replace(HOMEWORK, value=hostile))
            assert shown == message
            result = driver.find_element(By.ID, "grade-result")
            assert result.find_elements(By.TAG_NAME, "img") == []
            assert driver.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
            with pytest.raises(NoAlertPresentException):
                driver.switch_to.alert.text  # noqa: B018
            assert inbox(url) == events  # a refused grade emits nothing
            assert not_reloaded(driver)
        finally:
            driver.get("about:blank")


def test_a_grade_canvas_cannot_read_shows_as_cleared(page, driver):
    """As Canvas does, the mock clears a grade it cannot read: the page says so rather than
    "graded", and the feed gets the grade_change with no grade."""
    select_course(driver, HOMEWORK.course_id)
    seen = inbox(page)
    shown = submit_grade(driver, replace(HOMEWORK, value="<img src=x onerror=alert(1)>"))
    assert shown == "cleared: Canvas reads no grade in that"
    change = next(e for e in inbox(page)[len(seen) :] if e["event_name"] == "grade_change")
    assert (change["event"]["body"]["grade"], change["event"]["body"]["score"]) == (None, None)
    wait(driver).until(lambda d: feed_items(d, f"[data-event-id='{event_key(change)}']"))
    assert driver.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
    assert not_reloaded(driver)


def test_the_audit_log_pages_like_the_api(page, driver, world):
    """20 rows a page, newest first; Next follows the API's rel=next bookmark."""
    admin = token(world, world["landmarks"]["admin"])
    url = f"{page}/api/v1/audit/grade_change/courses/{HOMEWORK.course_id}?per_page=20"
    pages = []
    while url and len(pages) < 2:
        answer = requests.get(url, headers={"Authorization": f"Bearer {admin}"}, timeout=10)
        assert answer.status_code == 200
        pages.append([e["id"] for e in answer.json()["events"]])
        url = answer.links.get("next", {}).get("url")
    assert len(pages) == 2 and len(pages[0]) == 20 and pages[1]  # seed 1's course 1 has > 20
    select_course(driver, HOMEWORK.course_id)
    wait(driver).until(lambda d: audit_ids(d) == pages[0])
    driver.find_element(By.ID, "audit-next").click()
    wait(driver).until(lambda d: audit_ids(d) == pages[1])
    driver.find_element(By.ID, "audit-refresh").click()
    wait(driver).until(lambda d: audit_ids(d) == pages[0])
    assert not_reloaded(driver)


def test_a_grade_given_elsewhere_arrives_live(page, driver, world):
    """Not the page's own doing: a grade through the REST API shows up in the open page."""
    select_course(driver, HOMEWORK.course_id)
    wait(driver).until(lambda d: audit_ids(d))
    answer = requests.put(
        f"{page}/api/v1/courses/{HOMEWORK.course_id}/assignments/{HOMEWORK.assignment_id}"
        f"/submissions/{HOMEWORK.student_id}",
        json={"submission": {"posted_grade": "11"}},
        headers={"Authorization": f"Bearer {token(world, HOMEWORK.grader_id)}"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["grade"] == "11"
    newest = audit_page(page, world, HOMEWORK.course_id)[0]
    assert newest["grade_after"] == "11"
    wait(driver).until(lambda d: audit_ids(d)[:1] == [newest["id"]])
    [entry] = inbox(page, event_name="grade_change")
    wait(driver).until(lambda d: feed_items(d, f"[data-event-id='{event_key(entry)}']"))
    assert not_reloaded(driver)


def test_reloading_the_page_goes_live_each_time(page, driver):
    """A reload opens a new event stream while the last one may still hold its slot (the
    server learns of a closed page only from a failed write): the page must still go live."""
    for _ in range(4):
        driver.refresh()
        open_inspector(driver, page)


def test_the_committed_screenshot_is_a_small_png_of_the_page():
    """docs/inspector.png, made by
    ``python -m tests.support.browser --screenshot docs/inspector.png``."""
    data = (Path(__file__).parents[2] / "docs" / "inspector.png").read_bytes()
    assert png_size(data) == browser.SCREENSHOT_WINDOW
    assert len(data) < browser.SCREENSHOT_MAX_BYTES


def test_with_a_control_token_the_page_takes_it_once_and_keeps_it(driver):
    """``?token=`` once; the page keeps it for its own fetches and leaves it out of the URL bar."""
    secret = "s3cret-token"
    with browser.live_inspector(control_token=secret) as url:
        try:
            refused = requests.get(url + "/_mockcanvas/world/courses", timeout=10)
            assert refused.status_code == 401
            open_inspector(driver, url, f"?token={secret}")
            assert driver.current_url == url + browser.INSPECTOR
            driver.execute_script("window.__marker = 1;")
            select_course(driver, HOMEWORK.course_id)
            assert submit_grade(driver, HOMEWORK) == "graded"
            wait(driver).until(lambda d: feed_items(d, "[data-event-name='grade_change']"))
            assert not_reloaded(driver)
            driver.refresh()  # without ?token= now: sessionStorage still has it
            open_inspector(driver, url)
        finally:
            driver.get("about:blank")


# -- deliveries and controls -------------------------------------------------------------------


def control(server: str, method: str, path: str, expect: int = 200, **kwargs):
    """A control API call that must answer ``expect``; returns its JSON."""
    answer = requests.request(method, f"{server}/_mockcanvas/{path}", timeout=10, **kwargs)
    assert answer.status_code == expect, answer.text
    return answer.json()


def delivery(server: str, event_id: str, subscription_id: int) -> dict | None:
    """The server's own word on one event's fate for one subscription."""
    found = control(server, "GET", "live_events/deliveries", params={"event_id": event_id})
    rows = [r for r in found["deliveries"][event_id] if r["subscription_id"] == subscription_id]
    return rows[0] if rows else None


def outcome_shown(driver, seq: str, subscription_id: int) -> str | None:
    return driver.execute_script(
        "const s = document.querySelector(arguments[0]);"
        " return s ? s.getAttribute('data-outcome') : null;",
        f"#feed li.event[data-event-id='{seq}']"
        f" span.delivery[data-subscription-id='{subscription_id}']",
    )


def test_a_dead_delivery_shows_dead_and_redelivers_from_the_page(page, driver):
    receiver = Receiver(*[500] * 50)  # every attempt fails until the script is emptied
    try:
        spec = {
            "kind": "webhook",
            "url": receiver.url,
            "max_attempts": 1,
            "backoff_base": 0.01,
            "failure_budget": 100,
            "timeout": 5,
        }
        sid = control(page, "POST", "subscriptions", 201, json=spec)["id"]
        driver.refresh()  # the page learns of subscriptions when it loads
        open_inspector(driver, page)
        driver.execute_script("window.__marker = 1;")
        select_course(driver, HOMEWORK.course_id)
        assert submit_grade(driver, HOMEWORK) == "graded"
        [entry] = inbox(page, event_name="grade_change")
        seq = event_key(entry)

        wait(driver).until(
            lambda d: (delivery(page, entry["id"], sid) or {}).get("outcome") == "dead"
        )
        dead = delivery(page, entry["id"], sid)
        assert dead["attempts"] == 1 and dead["status"] == 500
        wait(driver).until(lambda d: outcome_shown(d, seq, sid) == "dead")
        assert receiver.delivered() == []

        with receiver.changed:  # healthy from now on: 200s, the first one after a second,
            receiver.script.clear()  # so the page sees the requeued event before its attempt
            receiver.script.append(("hold", threading.Event(), 1.0))
        assert control(page, "GET", f"subscriptions/{sid}")["state"] == "active"
        button = (
            f"#feed li.event[data-event-id='{seq}'] button.redeliver[data-subscription-id='{sid}']"
        )
        driver.find_element(By.CSS_SELECTOR, button).click()

        wait(driver).until(lambda d: outcome_shown(d, seq, sid) == "delivered")
        done = delivery(page, entry["id"], sid)
        assert done["outcome"] == "delivered" and done["attempts"] == 2
        got = [r for r in receiver.delivered() if r.headers["X-Mockcanvas-Event-Id"] == entry["id"]]
        assert len(got) == 1
        assert json.loads(got[0].body) == entry["event"]
        span = driver.find_element(
            By.CSS_SELECTOR, f"#feed li.event[data-event-id='{seq}'] span.delivery"
        )
        assert span.text.startswith("delivered")
        assert not_reloaded(driver)
    finally:
        receiver.stop()


def clock_shown(driver) -> str:
    return driver.find_element(By.ID, "clock-now").text.strip()


def test_clock_freeze_and_advance_show_what_the_api_says(page, driver):
    """The seeded world's clock starts frozen: advance it, unfreeze it, freeze it again."""
    frozen = control(page, "GET", "clock")
    assert frozen["frozen"] is True
    wait(driver).until(lambda d: clock_shown(d) == f"{frozen['now']} (frozen)")
    toggle = driver.find_element(By.ID, "clock-freeze")
    assert toggle.text.strip() == "Unfreeze clock"

    seconds = driver.find_element(By.ID, "clock-advance")
    seconds.clear()
    seconds.send_keys("90")
    driver.find_element(By.ID, "clock-advance-submit").click()
    wait(driver).until(lambda d: clock_shown(d) != f"{frozen['now']} (frozen)")
    advanced = control(page, "GET", "clock")
    assert advanced["frozen"] is True
    assert clock_shown(driver) == f"{advanced['now']} (frozen)"
    step = datetime.fromisoformat(advanced["now"]) - datetime.fromisoformat(frozen["now"])
    assert step == timedelta(seconds=90)

    toggle.click()
    wait(driver).until(lambda d: toggle.get_attribute("data-frozen") == "false")
    assert control(page, "GET", "clock")["frozen"] is False
    assert not clock_shown(driver).endswith("(frozen)")
    assert toggle.text.strip() == "Freeze clock"

    toggle.click()
    wait(driver).until(lambda d: clock_shown(d).endswith("(frozen)"))
    again = control(page, "GET", "clock")
    assert again["frozen"] is True
    assert clock_shown(driver) == f"{again['now']} (frozen)"
    assert toggle.get_attribute("data-frozen") == "true"
    assert not_reloaded(driver)


def test_reset_after_a_grade_empties_the_feed_and_the_page_keeps_working(page, driver, world):
    select_course(driver, HOMEWORK.course_id)
    wait(driver).until(lambda d: audit_ids(d))
    seeded = audit_ids(driver)
    assert submit_grade(driver, HOMEWORK) == "graded"
    wait(driver).until(lambda d: feed_items(d, "[data-event-name='grade_change']"))
    wait(driver).until(lambda d: audit_ids(d)[:1] != seeded[:1])

    driver.find_element(By.ID, "reset").click()
    wait(driver).until(lambda d: feed_items(d) == [])
    assert inbox(page) == []
    after = [e["id"] for e in audit_page(page, world, HOMEWORK.course_id)]
    assert after == seeded
    wait(driver).until(lambda d: audit_ids(d) == after)

    again = replace(HOMEWORK, value="9")
    assert submit_grade(driver, again) == "graded"
    [entry] = inbox(page, event_name="grade_change")
    wait(driver).until(lambda d: feed_items(d, f"[data-event-id='{event_key(entry)}']"))
    newest = audit_page(page, world, HOMEWORK.course_id)[0]
    assert newest["grade_after"] == "9"
    wait(driver).until(lambda d: audit_ids(d)[:1] == [newest["id"]])
    assert not_reloaded(driver)


def fault_ids(driver) -> list[int]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#faults li[data-fault-id]'),"
        " li => Number(li.getAttribute('data-fault-id')))"
    )


def test_faults_added_from_the_page_are_listed_and_cleared(page, driver):
    assert control(page, "GET", "faults")["faults"] == []
    path = driver.find_element(By.ID, "fault-path")
    path.clear()
    path.send_keys("/api/v1/users/self")
    status = driver.find_element(By.ID, "fault-status")
    status.clear()
    status.send_keys("503")
    driver.find_element(By.ID, "fault-add").click()
    wait(driver).until(lambda d: fault_ids(d))
    [fault] = control(page, "GET", "faults")["faults"]
    assert (fault["path"], fault["status"]) == ("/api/v1/users/self", 503)
    assert fault_ids(driver) == [fault["id"]]
    shown = driver.find_element(By.CSS_SELECTOR, f"#faults li[data-fault-id='{fault['id']}']")
    assert "/api/v1/users/self" in shown.text and "503" in shown.text
    hit = requests.get(page + "/api/v1/users/self", timeout=10)
    assert hit.status_code == 503  # the fault is real

    driver.find_element(By.ID, "faults-clear").click()
    wait(driver).until(lambda d: fault_ids(d) == [])
    assert control(page, "GET", "faults")["faults"] == []
    assert not_reloaded(driver)


def subscriptions_shown(driver) -> list[tuple[int, str]]:
    return [
        tuple(pair)
        for pair in driver.execute_script(
            "return Array.from("
            "document.querySelectorAll('#subscriptions li[data-subscription-id]'), li =>"
            " [Number(li.getAttribute('data-subscription-id')), li.getAttribute('data-state')])"
        )
    ]


def test_subscriptions_list_matches_the_api(page, driver):
    receiver = Receiver()
    try:
        assert subscriptions_shown(driver) == []
        driver.find_element(By.ID, "subscription-url").send_keys(receiver.url)
        driver.find_element(By.ID, "subscription-add").click()
        wait(driver).until(lambda d: subscriptions_shown(d))
        [made] = control(page, "GET", "subscriptions")["subscriptions"]
        assert made["url"] == receiver.url
        assert subscriptions_shown(driver) == [(made["id"], made["state"])]
        item = driver.find_element(
            By.CSS_SELECTOR, f"#subscriptions li[data-subscription-id='{made['id']}']"
        )
        assert made["name"] in item.text and receiver.url in item.text

        # One made elsewhere shows up without a reload (the page polls its subscriptions).
        other = control(
            page, "POST", "subscriptions", 201, json={"kind": "webhook", "url": receiver.url}
        )
        listed = control(page, "GET", "subscriptions")["subscriptions"]
        assert [s["id"] for s in listed] == [made["id"], other["id"]]
        wait(driver).until(
            lambda d: subscriptions_shown(d) == [(s["id"], s["state"]) for s in listed]
        )
        assert not_reloaded(driver)
    finally:
        receiver.stop()


# -- the stream across a reset it did not see ---------------------------------------------------


def feed_events(driver) -> list[list]:
    """The feed's items, newest first, as [data-event-id, the event JSON it shows], in one go."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#feed li.event'), li =>"
        " [li.getAttribute('data-event-id'), JSON.parse(li.querySelector('pre').textContent)])"
    )


def status_shown(driver) -> str:
    return driver.find_element(By.ID, "status").text.strip()


def hold_every_stream_slot(driver, app, url: str) -> list[requests.Response]:
    """End the page's event stream and take every slot before it reconnects (it waits two
    seconds; should it win anyway, go again), then wait until its retry has been refused."""
    from mockcanvas.http import inspector

    streams = inspector.streams_of(app)
    for _ in range(5):
        inspector.stop_streams(app)
        wait(driver).until(lambda _: streams.count() == 0)
        held = [
            requests.get(
                url + "/_mockcanvas/live_events/stream",
                params={"timeout": 30},
                headers={"Accept": "text/event-stream"},
                stream=True,
                timeout=30,
            )
            for _ in range(inspector.MAX_STREAMS)
        ]
        if all(answer.status_code == 200 for answer in held):
            wait(driver).until(lambda d: status_shown(d) == "offline")  # its retry got a 503
            return held
        for answer in held:
            answer.close()
    raise AssertionError("the page took a stream slot back every time")


def test_a_reset_while_the_stream_was_away_replaces_the_feed_with_the_new_history(driver):
    """The page resumes with the last id it saw; one from before a reset it missed brings the
    reset and every event since, even where the new numbering already passed the old id."""
    from mockcanvas import create_app
    from mockcanvas.http import inspector
    from mockcanvas.live_server import serve

    grade = {"course_id": 1, "assignment_id": 3, "user_id": 4, "grader_id": 36}
    app = create_app(seed=1)
    with serve(app) as url:
        open_inspector(driver, url)
        driver.execute_script("window.__marker = 1;")
        try:
            control(url, "POST", "grades", json={**grade, "posted_grade": "17"})
            old = inbox(url)
            wait(driver).until(lambda d: len(feed_items(d)) == len(old))
            held = hold_every_stream_slot(driver, app, url)

            control(url, "POST", "reset", json={})
            for value in ("15", "16", "18"):
                control(url, "POST", "grades", json={**grade, "posted_grade": value})
            new = inbox(url)
            assert len(new) > old[-1]["seq"]  # a bare seq would resume past the new 1..seq
            assert new[0]["event"] != old[0]["event"]  # same seq, another event

            inspector.stop_streams(app)
            for answer in held:
                answer.close()
            expected = [[str(e["seq"]), e["event"]] for e in reversed(new)]
            wait(driver).until(lambda d: feed_events(d) == expected)
            assert status_shown(driver) == "live"
            assert not_reloaded(driver)
        finally:
            driver.get("about:blank")  # the page's event stream ends before its server does


def test_a_page_that_saw_no_event_yet_misses_none_that_came_while_its_stream_was_away(driver):
    """The stream's opening message carries where it starts (``0-0`` on a fresh world): the page
    resumes there, so more events than a new stream's backlog (50) all reach the feed."""
    from mockcanvas import create_app
    from mockcanvas.http import inspector
    from mockcanvas.live_server import serve

    grade = {"course_id": 1, "assignment_id": 3, "user_id": 4, "grader_id": 36}
    app = create_app(seed=1)
    with serve(app) as url:
        open_inspector(driver, url)
        try:
            assert feed_items(driver) == []
            held = hold_every_stream_slot(driver, app, url)
            value = 0
            while len(inbox(url)) <= inspector.BACKLOG_DEFAULT:
                value += 1
                control(url, "POST", "grades", json={**grade, "posted_grade": str(value)})
            everything = inbox(url)

            inspector.stop_streams(app)
            for answer in held:
                answer.close()
            expected = [[str(e["seq"]), e["event"]] for e in reversed(everything)]
            wait(driver).until(lambda d: feed_events(d) == expected)
        finally:
            driver.get("about:blank")
