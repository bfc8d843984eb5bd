"""The pytest plugin, through real inner pytest runs (pytester) of the modules in plugin_cases/."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from mockcanvas import create_app, state
from mockcanvas.testing import AppCache, MockCanvas

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "plugin_cases"


def plugin_args() -> list[str]:
    """``-p`` for the plugin unless an install already registers it (``-p`` would load it twice)."""
    installed = any(ep.value == "mockcanvas.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "mockcanvas.pytest_plugin"]


def test_both_fixtures_ini_cli_marker_and_reset_under_warnings_as_errors(pytester):
    pytester.makeini(
        "[pytest]\nmockcanvas_seed = 3\nmockcanvas_base_url = https://INI.canvas.test/\n"
    )
    pytester.makepyfile(test_fixtures=(CASES / "case_fixtures.py").read_text())
    result = pytester.runpytest("-W", "error", "--mockcanvas-seed", "4", *plugin_args())
    result.assert_outcomes(passed=12, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_a_misspelt_marker_is_an_error*",
            "*@pytest.mark.mockcanvas on test_fixtures.py::test_a_misspelt_marker_is_an_error:"
            " takes keyword arguments seed, size, scenario, base_url, strict_grades; unknown: sede",
        ]
    )


def test_xdist_gives_each_worker_its_own_server(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("MOCKCANVAS_CASE_LOG", str(tmp_path))
    pytester.makepyfile(test_workers=(CASES / "case_workers.py").read_text())
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "2", "--dist", "each", "-W", "error", "-p", "no:cacheprovider",
        *plugin_args(),
    )  # fmt: skip
    result.assert_outcomes(passed=24)  # 12 tests on each of the two workers
    seen: dict[str, set[str]] = {}
    for path in tmp_path.iterdir():
        worker, kind, url = path.read_text().split()
        seen.setdefault(f"{worker} {kind}", set()).add(url)
    assert sorted(seen) == [
        "gw0 canvas", "gw0 canvas_server", "gw1 canvas", "gw1 canvas_server"
    ]  # fmt: skip
    assert seen["gw0 canvas"] == seen["gw1 canvas"] == {"https://canvas.test"}
    [gw0], [gw1] = seen["gw0 canvas_server"], seen["gw1 canvas_server"]  # one server per worker
    assert gw0 != gw1
    assert gw0.startswith("http://127.0.0.1:") and gw1.startswith("http://127.0.0.1:")


def test_strict_grades_from_the_ini_and_the_command_line(pytester):
    pytester.makeini("[pytest]\nmockcanvas_strict_grades = true\n")
    pytester.makepyfile(
        "def test_x(canvas):\n"
        "    assert canvas.app.extensions['mockcanvas'].settings.strict_grades is True\n"
    )
    pytester.runpytest(*plugin_args()).assert_outcomes(passed=1)
    result = pytester.runpytest("--mockcanvas-strict-grades", "off", *plugin_args())
    result.assert_outcomes(failed=1)  # the command line beats the ini


def test_bad_settings_are_usage_errors(pytester):
    pytester.makepyfile("def test_x(canvas):\n    pass\n")
    result = pytester.runpytest("--mockcanvas-seed", "one", *plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: command line: seed must be an integer, not 'one'"])
    result = pytester.runpytest("--mockcanvas-strict-grades", "maybe", *plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: command line: strict_grades must be true or false, not 'maybe'"]
    )
    pytester.makeini("[pytest]\nmockcanvas_base_url = https://canvas.test/api/v1\n")
    result = pytester.runpytest(*plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: ini: base URL must be http(s)://host?:port? without a path: 'https://*/api/v1'"]
    )


def export(app) -> str:
    return json.dumps(state.export_state(app.extensions["mockcanvas"]), sort_keys=True)


def test_a_fresh_app_from_the_cache_is_a_new_app_byte_for_byte(tmp_path):
    """What the fixtures hand each test: whatever the last test did, the seeded world again."""
    cache = AppCache()
    used = MockCanvas(cache.fresh(seed=2, size="small", scenario=None))
    world = used.world
    used.grade(world.student, world.points_assignment, "3")
    used.override(world.student, world.override_course, 12.5)
    used.clock.advance(86_400)
    used.faults.add(path="/api/v1/**", status=503)
    subscription = used.control(
        "POST", "/_mockcanvas/subscriptions", {"kind": "jsonl", "path": str(tmp_path / "e.jsonl")}
    )
    assert subscription["id"] == 1
    exported = used.control("GET", "/_mockcanvas/state")
    exported["users"][0]["name"] = "Someone Else"
    used.control("PUT", "/_mockcanvas/state?baseline=true", exported)  # reset now comes here
    used.reset()
    assert world.admin.name == "Someone Else"

    again = MockCanvas(cache.fresh(seed=2, size="small", scenario=None), used.base_url)
    new = MockCanvas(create_app(seed=2), used.base_url)
    assert again.app is used.app
    assert export(again.app) == export(new.app)
    for canvas in (again, new):
        assert canvas.control("GET", "/_mockcanvas/subscriptions")["subscriptions"] == []
        assert canvas.control("GET", "/_mockcanvas/faults")["faults"] == []
    # The same writes give the same bytes, ids included.
    answers = [
        canvas.control("POST", "/_mockcanvas/grades", {
            "course_id": canvas.world.override_course.id,
            "assignment_id": canvas.world.points_assignment.id,
            "user_id": canvas.world.student.id, "posted_grade": "11",
        })
        for canvas in (again, new)
    ]  # fmt: skip
    assert answers[0] == answers[1]
    made = [
        c.control(
            "POST", "/_mockcanvas/subscriptions", {"kind": "jsonl", "path": str(tmp_path / n)}
        )
        for c, n in ((again, "a.jsonl"), (new, "b.jsonl"))
    ]
    assert [m["id"] for m in made] == [1, 1]
    cache.close()
    new.close_subscriptions()
