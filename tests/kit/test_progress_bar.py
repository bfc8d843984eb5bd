"""The build progress bar: drawn on a terminal's stderr only, never on stdout or into a pipe."""

from __future__ import annotations

import io
import json
import os
import pty
import sys

import pytest

from mockcanvas import cli, progress_bar
from mockcanvas.progress_bar import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_it_waits_for_the_delay_then_redraws_at_most_ten_times_a_second():
    out, clock = Terminal(), Clock()
    bar = ProgressBar("seeding", 1000, out, delay=1.0, clock=clock)
    bar.update(10)
    clock.now += 0.5
    bar.update(200)
    assert out.getvalue() == "" and not bar.shown  # a short build never shows a bar
    clock.now += 0.6
    bar.update(450)
    assert out.getvalue() == (
        "\rseeding [##############................]  45% 450/1,000 rows 1.1 s\x1b[K"
    )
    clock.now += 0.05
    bar.update(460)  # too soon to redraw
    assert out.getvalue().count("\r") == 1
    clock.now += 0.1
    bar.update(1000)
    clock.now += 0.2
    bar.close(996)  # the build wrote a few rows fewer than its target
    lines = out.getvalue().split("\r")[1:]
    assert lines[1] == "seeding [##############################] 100% 1,000/1,000 rows 1.2 s\x1b[K"
    assert lines[2] == "seeding [##############################] 100% 996/1,000 rows 1.4 s\n"


def test_more_than_the_total_is_shown_as_it_is():
    out, clock = Terminal(), Clock()
    bar = ProgressBar("seeding", 100, out, delay=0.0, clock=clock)
    bar.update(50)
    bar.close(120)
    assert out.getvalue().endswith("] 100% 120/120 rows 0.0 s\n")


def test_a_bar_never_shown_writes_nothing_when_closed():
    out = Terminal()
    bar = ProgressBar("seeding", 100, out, delay=5.0, clock=Clock())
    bar.update(100)
    bar.close(100)
    assert out.getvalue() == ""


@pytest.mark.parametrize("stream", [io.StringIO(), sys.stdout, sys.__stdout__])
def test_it_is_silent_on_anything_but_a_terminal_other_than_stdout(stream):
    bar = ProgressBar("seeding", 10, stream, delay=0.0, clock=Clock())
    assert not bar.enabled
    bar.update(5)
    bar.close(10)
    assert not bar.shown
    if isinstance(stream, io.StringIO):
        assert stream.getvalue() == ""


def test_a_closed_terminal_stops_the_bar():
    out = Terminal()
    bar = ProgressBar("seeding", 10, out, delay=0.0, clock=Clock())
    out.close()
    bar.update(5)  # no error: the build goes on without a bar
    assert not bar.enabled


def test_builds_ask_for_a_bar_only_inside_showing():
    assert progress_bar.current("seeding", 10) is None
    out = Terminal()
    with progress_bar.showing(out):
        bar = progress_bar.current("seeding", 10)
        assert bar is not None and bar.stream is out and bar.total == 10
    assert progress_bar.current("seeding", 10) is None


def test_the_world_command_draws_on_a_terminal_stderr_and_keeps_stdout_clean(monkeypatch, capsys):
    """``mockcanvas world`` with stderr on a real pseudo-terminal: the bar goes there, the JSON
    on stdout is untouched."""
    monkeypatch.setattr(progress_bar, "DELAY", 0.0)  # the small world builds well under a second
    leader, follower = pty.openpty()
    terminal = os.fdopen(follower, "w", encoding="utf-8")
    try:
        monkeypatch.setattr(sys, "stderr", terminal)
        assert cli.main(["world", "--size", "small", "--seed", "3"]) == 0
        terminal.flush()
        drawn = os.read(leader, 65536).decode()
    finally:
        terminal.close()
        os.close(leader)
    assert drawn.startswith("\rseeding the small world [")
    assert drawn.endswith(" s\r\n")  # the terminal turns the final newline into CRLF
    summary = json.loads(capsys.readouterr().out)
    assert summary["grade_changes"] > 0
    assert f"{summary['grade_changes']:,}/" in drawn.split("\r")[-2]


def test_the_world_command_is_silent_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(progress_bar, "DELAY", 0.0)
    assert cli.main(["world", "--size", "small", "--seed", "3"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert json.loads(captured.out)["grade_changes"] > 0
