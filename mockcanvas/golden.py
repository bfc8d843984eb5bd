"""Golden documents: representative audit API answers of the default world, kept as files.

Each case is one request to a fresh default app (seed 1, size small, the default frozen clock) as
a landmark user; its answer is kept in ``fixtures/golden/<case>.json`` with the status, the headers
a client reads (``Content-Type``, ``Link``) and the body. A change that moves any byte of these
answers shows up as drift, with a diff, so it is a decision rather than an accident.

``mockcanvas golden --check`` compares, ``mockcanvas golden --write DIR`` rewrites the files;
``python -m mockcanvas.golden`` is the same command.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .app import create_app
from .resources import data_dir

__all__ = ["BASE_URL", "CASES", "HEADERS", "Case", "Drift", "check", "directory", "render", "write"]

BASE_URL = "http://canvas.test"
HEADERS = ("Content-Type", "Link")
AUDIT = "/api/v1/audit/grade_change"


@dataclass(frozen=True)
class Case:
    """One golden request: a path with ``{landmark}`` placeholders, asked as a landmark user.

    ``follow`` names a case whose ``Link rel="next"`` is requested instead (a bookmark page).
    """

    name: str
    path: str = ""
    as_: str = "admin"
    follow: str | None = None


CASES: tuple[Case, ...] = (
    Case("course_page", f"{AUDIT}/courses/{{override_course}}?per_page=5"),
    Case("course_page_2", follow="course_page"),
    Case(
        "course_page_as_section_ta",
        f"{AUDIT}/courses/{{override_course}}?per_page=5",
        "section_limited_ta",
    ),
    Case("student_page", f"{AUDIT}/students/{{student}}?per_page=5"),
    Case("grader_page", f"{AUDIT}/graders/{{ta}}?per_page=5"),
    Case("assignment_page", f"{AUDIT}/assignments/{{letter_grade_assignment}}?per_page=5"),
    Case(
        "course_assignment_student",
        f"{AUDIT}/courses/{{override_course}}/assignments/{{points_assignment}}"
        "/students/{student}",
    ),
    Case("override_page", f"{AUDIT}/courses/{{override_course}}/assignments/override?per_page=5"),
    Case(
        "query_with_current_grade",
        f"{AUDIT}?course_id={{override_course}}&student_id={{student}}&include[]=current_grade"
        "&per_page=3",
    ),
)


@dataclass(frozen=True)
class Drift:
    """A golden file that no longer matches what the mock answers: a unified diff, or why not."""

    name: str
    diff: str

    def __str__(self) -> str:
        return self.diff


def directory() -> Path:
    """The shipped golden documents (``fixtures/golden``)."""
    return data_dir("fixtures") / "golden"


def _document(case: Case, url: str, response) -> dict:
    return {
        "request": {"method": "GET", "url": url, "as": case.as_},
        "status": response.status_code,
        "headers": {name: response.headers[name] for name in HEADERS if name in response.headers},
        "body": response.get_json(),
    }


def render() -> dict[str, dict]:
    """Every case's document, from a fresh default app, by case name (in CASES order)."""
    app = create_app(seed=1, size="small")
    store = app.extensions["mockcanvas"].store
    client = app.test_client()
    documents: dict[str, dict] = {}
    for case in CASES:
        if case.follow is not None:
            url = _next_link(documents[case.follow])
        else:
            url = BASE_URL + case.path.format(**store.landmarks)
        token = store.token_for(store.landmarks[case.as_])
        parts = urlsplit(url)
        response = client.get(
            parts.path,
            query_string=parts.query,
            headers={"Authorization": f"Bearer {token}"},
            base_url=BASE_URL,
        )
        documents[case.name] = _document(case, url, response)
    return documents


def _next_link(document: dict) -> str:
    for part in document["headers"].get("Link", "").split(","):
        url, _, rel = part.partition(">; rel=")
        if rel == '"next"':
            return url.lstrip("<")
    raise LookupError(f"{document['request']['url']} has no next page to follow")


def dumps(document: dict) -> str:
    """A document as its golden file holds it: indented JSON, keys in the order served."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(target: Path) -> list[Path]:
    """Write every case's document into ``target`` (created if needed); returns the files."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in render().items():
        path = target / f"{name}.json"
        path.write_text(dumps(document), encoding="utf-8")
        written.append(path)
    return written


def check(source: Path | None = None) -> list[Drift]:
    """How the files in ``source`` (default: the shipped ones) differ from what is served now.

    Missing files and stray ``.json`` files that no case makes are drift too.
    """
    source = directory() if source is None else source
    fresh = render()
    drifts = []
    for name, document in fresh.items():
        path = source / f"{name}.json"
        now = dumps(document)
        if not path.is_file():
            drifts.append(Drift(name, f"{path}: missing (the mock now answers {len(now)} bytes)"))
            continue
        stored = path.read_text(encoding="utf-8")
        if stored != now:
            diff = difflib.unified_diff(
                stored.splitlines(keepends=True),
                now.splitlines(keepends=True),
                fromfile=f"{path} (golden)",
                tofile=f"{name} (served now)",
            )
            drifts.append(Drift(name, "".join(diff)))
    for path in sorted(source.glob("*.json")):
        if path.stem not in fresh:
            drifts.append(Drift(path.stem, f"{path}: no golden case makes this file"))
    return drifts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="DIR",
        help="compare with the golden files in DIR (default: the shipped fixtures/golden); "
        "exit 1 with a diff on drift",
    )
    mode.add_argument("--write", metavar="DIR", help="write the golden files into DIR")


def run(args: argparse.Namespace) -> int:
    """``mockcanvas golden``: print, ``--check`` or ``--write`` the golden documents."""
    if args.write is not None:
        for path in write(Path(args.write)):
            print(f"wrote {path}")
        return 0
    if args.check is not None:
        source = Path(args.check) if args.check else directory()
        if not source.is_dir():
            print(f"mockcanvas golden: error: {source} is not a directory", file=sys.stderr)
            return 2
        drifts = check(source)
        for drift in drifts:
            print(drift, end="" if str(drift).endswith("\n") else "\n")
        if drifts:
            print(
                f"{len(drifts)} of {len(CASES)} golden documents drifted; if the change is "
                f"intended, run: mockcanvas golden --write {source}",
                file=sys.stderr,
            )
            return 1
        print(f"{len(CASES)} golden documents match {source}")
        return 0
    print(json.dumps(render(), indent=2, ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockcanvas.golden", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
