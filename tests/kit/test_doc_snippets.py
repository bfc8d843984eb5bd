"""The README's and the docs' marked Python snippets run, and print what the page says they print.

A snippet is marked by an HTML comment on the line right above its ```python fence
(docs/contributing/docs.md says the same for writers):

- ``<!-- snippet -->``: the code runs in a fresh namespace holding ``URL`` (a live mock Canvas's
  base URL, seed 1, freshly reset) and ``TOKEN`` (its admin's access token). A ```text fence right
  after it (blank lines between are fine) is its expected standard output, compared exactly.
- ``<!-- snippet: pytest -->``: the code is a test file, run alone in an empty directory with
  ``python -m pytest``; it must pass.

The generated CLI tables of docs/reference/cli.md are checked here too.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mockcanvas import docs_reference

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(
    r"^(?:<!-- snippet(?P<kind>: pytest)? -->\n)?```python\n(?P<code>.*?)^```\n"
    r"(?:\s*```text\n(?P<output>.*?)^```\n)?",
    re.MULTILINE | re.DOTALL,
)
# Python fences deliberately left unmarked: (page, first line of code). None today; a fence that
# cannot run here (it needs a service the suite has not) goes in this set, with the reason.
UNMARKED: set[tuple[str, str]] = set()


def _fences() -> list[tuple[str, str | None, str, str | None]]:
    """(page:line, kind or None when unmarked, code, expected output) of every Python fence."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            marked = match.group(0).startswith("<!--")
            kind = ("pytest" if match["kind"] else "run") if marked else None
            found.append((f"{name}:{line}", kind, match["code"], match["output"]))
    return found


def _once(kind: str) -> list[tuple[str, str, str | None]]:
    """The snippets of one kind, each distinct one once (the ten-line test file is shown on four
    pages), named by where it first appears."""
    seen: dict[tuple[str, str | None], str] = {}
    for name, found, code, output in FENCES:
        if found == kind:
            seen.setdefault((code, output), name)
    return [(name, code, output) for (code, output), name in seen.items()]


FENCES = _fences()
RUN = _once("run")
PYTEST = [(name, code) for name, code, _output in _once("pytest")]


def test_every_python_fence_is_marked_or_a_known_exception():
    unmarked = {
        (name.rsplit(":", 1)[0], code.split("\n", 1)[0])
        for name, kind, code, _output in FENCES
        if kind is None
    }
    assert unmarked == UNMARKED


@pytest.mark.parametrize(("name", "code", "output"), RUN, ids=[s[0] for s in RUN])
def test_snippet_runs_and_prints_what_the_page_says(name, code, output, canvas_server):
    printed = io.StringIO()
    namespace = {
        "__name__": "__snippet__",
        "URL": canvas_server.base_url,
        "TOKEN": canvas_server.admin_token,
    }
    with contextlib.redirect_stdout(printed):
        exec(compile(code, name, "exec"), namespace)
    if output is not None:
        assert printed.getvalue() == output


@pytest.mark.parametrize(("name", "code"), PYTEST, ids=[s[0] for s in PYTEST])
def test_pytest_snippet_passes_alone_in_a_directory(name, code, tmp_path):
    (tmp_path / "test_snippet.py").write_text(code, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
         "-W", "ignore:Canvas may respond unexpectedly:UserWarning", "test_snippet.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, f"{name}\n{run.stdout}{run.stderr}"


def test_the_readme_ten_line_file_is_the_tested_example():
    example = (ROOT / "fixtures" / "examples" / "test_ten_lines.py").read_text(encoding="utf-8")
    readme = [
        code for name, kind, code, _ in FENCES if kind == "pytest" and name[:10] == "README.md:"
    ]
    assert readme == [example]


@pytest.mark.parametrize("command", list(docs_reference.subcommands()))
def test_cli_reference_tables_are_the_generated_ones(command):
    page = (ROOT / docs_reference.CLI_PAGE).read_text(encoding="utf-8")
    assert docs_reference.merged(page, command) == docs_reference.cli_table(command), (
        "regenerate: python -m mockcanvas.docs_reference"
    )


def test_readme_links_into_the_docs_resolve():
    """mkdocs checks the site's links; README.md is outside it, so its relative links are checked
    here (GitHub and PyPI show the README, and its link table is the way into the docs)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?!https?://)[^)#]+)(?:#[^)]*)?\)", text)
    assert len(links) >= 20
    assert [link for link in links if not (ROOT / link).exists()] == []
    assert len(text.encode()) < 16_000 and text.count("\n") <= 150
