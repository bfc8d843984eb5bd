"""The README's marked Python snippets run, and print what the README says they print.

A snippet is marked by a ``<!-- snippet -->`` line right above its ```python fence; a ```text
fence right after it (blank lines between are fine) is its expected standard output, compared
exactly. Each snippet runs in a fresh namespace, so it must be complete as shown.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_SNIPPET = re.compile(
    r"^<!-- snippet -->\n```python\n(?P<code>.*?)^```\n(?:\s*```text\n(?P<output>.*?)^```\n)?",
    re.MULTILINE | re.DOTALL,
)


def snippets() -> list[tuple[str, str, str | None]]:
    """(name, code, expected output) of each marked snippet, named by its first line number."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in _SNIPPET.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append((f"README.md:{line}", match["code"], match["output"]))
    return found


SNIPPETS = snippets()


def test_the_readme_has_marked_snippets():
    assert len(SNIPPETS) >= 3


@pytest.mark.parametrize(("name", "code", "output"), SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_snippet_runs_and_prints_what_the_readme_says(name, code, output):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, name, "exec"), {"__name__": "__readme__"})
    if output is not None:
        assert printed.getvalue() == output
