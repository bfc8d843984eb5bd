"""A real headless Chromium against a real mockcanvas server, for the inspector page's tests.

The browser and its driver come from the system (Debian's ``chromium`` and ``chromium-driver``;
CI installs them with apt-get): Selenium is given both paths, so Selenium Manager never runs and
nothing is downloaded. ``MOCKCANVAS_CHROMIUM`` and ``MOCKCANVAS_CHROMEDRIVER`` point elsewhere.
Without them the browser tests skip, unless ``MOCKCANVAS_REQUIRE_BROWSER=1`` (CI) makes a missing
browser a failure.

``python -m tests.support.browser --screenshot docs/inspector.png`` regenerates the README's
screenshot from the same steps the tests take (seed 1, grade from the page).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Selenium Manager must never fetch a browser or driver (it is skipped anyway when the driver's
# path is given; this covers any other lookup).
os.environ.setdefault("SE_OFFLINE", "1")

CHROMIUM = os.environ.get("MOCKCANVAS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MOCKCANVAS_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1400, 1000)
# Longest wait for any one condition: generous for a loaded 2-core machine; never a sleep.
WAIT = 20
INSPECTOR = "/_mockcanvas/inspector"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for what, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)) and not shutil.which(path):
            return f"{what} not found at {path} (apt-get install chromium chromium-driver)"
    return None


def require_browser() -> None:
    """Skip the calling module when there is no browser, or fail when CI demands one."""
    import pytest

    reason = missing()
    if reason is None:
        return
    if os.environ.get("MOCKCANVAS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MOCKCANVAS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def start_browser(window: tuple[int, int] = WINDOW):
    """A new headless Chromium session with its own chromedriver on a free port.

    Every call starts its own driver process and profile, so xdist workers never share one.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",  # containers' /dev/shm is small
        f"--window-size={window[0]},{window[1]}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    # port=0: Selenium asks the OS for a free port for this chromedriver.
    service = Service(executable_path=CHROMEDRIVER, port=0)
    driver = webdriver.Chrome(service=service, options=options)
    # --window-size sizes the window, not the page: pin the viewport itself (and screenshots).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": window[0], "height": window[1], "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


def wait(driver, timeout: float = WAIT):
    """An explicit wait; an element the page re-rendered under it is looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


@dataclass(frozen=True)
class Grade:
    """One grade given through the page's form, and what the world says about it."""

    course_id: int
    assignment_id: int
    student_id: int
    grader_id: int
    value: str


def choose(driver, select_id: str, value: int | str) -> None:
    """Pick the option with ``value`` in ``select#select_id`` once the page has filled it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    css = f"select#{select_id} option[value='{value}']"
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    Select(driver.find_element(By.ID, select_id)).select_by_value(str(value))


def open_inspector(driver, base_url: str, query: str = "") -> None:
    """Load the page and wait until its course list is filled and its event stream is live."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + INSPECTOR + query)
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#courses li[data-course-id]"))
    wait(driver).until(lambda d: d.find_element(By.ID, "status").text.strip() == "live")


def select_course(driver, course_id: int) -> None:
    """Click the course and wait for its grade form to offer its assignments."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f"#courses li[data-course-id='{course_id}']").click()
    wait(driver).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#assignments li[data-assignment-id]")
    )


def submit_grade(driver, grade: Grade) -> str:
    """Fill the grade form and submit it; returns ``#grade-result``'s text once it has one."""
    from selenium.webdriver.common.by import By

    # Emptied first so that a second "graded" is seen as a new answer, not the last one.
    result = driver.find_element(By.ID, "grade-result")
    driver.execute_script("arguments[0].textContent = ''", result)
    choose(driver, "grade-assignment", grade.assignment_id)
    choose(driver, "grade-student", grade.student_id)
    choose(driver, "grade-grader", grade.grader_id)
    value = driver.find_element(By.ID, "grade-value")
    value.clear()
    value.send_keys(grade.value)
    driver.find_element(By.ID, "grade-submit").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "grade-result").text.strip())
    return driver.find_element(By.ID, "grade-result").text.strip()


# Seed 1's first course: a points assignment out of 20, one of its students and its teacher.
SCREENSHOT_GRADE = Grade(course_id=1, assignment_id=3, student_id=4, grader_id=36, value="17")
# Tall enough for the README's screenshot to reach the audit log under the grade form.
SCREENSHOT_WINDOW = (1400, 1150)
SCREENSHOT_MAX_BYTES = 300_000


@contextmanager
def live_inspector(seed: int = 1, **options) -> Iterator[str]:
    """A real server (waitress, loopback, free port) for a freshly seeded world; yields its URL.
    ``options`` go to ``create_app`` (``control_token=...``)."""
    from mockcanvas import create_app
    from mockcanvas.live_server import serve

    with serve(create_app(seed=seed, **options)) as url:
        yield url


def screenshot(path: Path, window: tuple[int, int] = SCREENSHOT_WINDOW) -> Path:
    """Grade from the page in a fresh world, open the new grade_change event, save a PNG."""
    from selenium.webdriver.common.by import By

    path.parent.mkdir(parents=True, exist_ok=True)
    with live_inspector() as url:
        driver = start_browser(window)
        try:
            open_inspector(driver, url)
            select_course(driver, SCREENSHOT_GRADE.course_id)
            wait(driver).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "table#audit tbody tr[data-event-id]")
            )
            assert submit_grade(driver, SCREENSHOT_GRADE) == "graded"
            event = "#feed li.event[data-event-name='grade_change']"
            wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, event))
            wait(driver).until(
                lambda d: (
                    SCREENSHOT_GRADE.value
                    in d.find_element(By.CSS_SELECTOR, "table#audit tbody tr").text.split()
                )
            )
            driver.find_element(By.CSS_SELECTOR, f"{event} details > summary").click()
            wait(driver).until(
                lambda d: d.find_element(By.CSS_SELECTOR, f"{event} pre.event-json").is_displayed()
            )
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(path))
        finally:
            driver.quit()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.browser", description=__doc__)
    parser.add_argument("--screenshot", type=Path, required=True, help="where to write the PNG")
    args = parser.parse_args(argv)
    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    path = screenshot(args.screenshot)
    size = path.stat().st_size
    print(f"{path} ({size} bytes)")
    if size > SCREENSHOT_MAX_BYTES:
        print(f"larger than {SCREENSHOT_MAX_BYTES} bytes: too big for the README", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
