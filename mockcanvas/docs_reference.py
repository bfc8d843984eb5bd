"""Reference tables for the docs site, generated from their sources of truth.

The CLI reference (``docs/reference/cli.md``) holds one table per subcommand between
``<!-- cli:NAME:start -->`` and ``<!-- cli:NAME:end -->`` markers; a test checks that each is
exactly what :func:`cli_table` renders from ``mockcanvas.cli._parser()``, so a new option or a
changed default shows up in the docs or fails the suite. Regenerate with
``python -m mockcanvas.docs_reference``, which rewrites the markers' contents in place.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mockcanvas import cli

CLI_PAGE = Path("docs") / "reference" / "cli.md"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Each ``mockcanvas`` subcommand's parser, by name, in the order ``--help`` lists them."""
    parser = cli._parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise LookupError("mockcanvas has no subcommands")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option(action: argparse.Action) -> str:
    if not action.option_strings:
        name = action.metavar or action.dest
        return f"`{name}`" + (" ..." if action.nargs in ("*", "+") else "")
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return f"`{names}`"
    metavar = action.metavar
    if metavar is None:
        metavar = "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest
    if isinstance(metavar, tuple):
        metavar = " ".join(metavar)
    return f"`{names} {metavar}`"


def _default(action: argparse.Action) -> str:
    if action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS):
        return ""
    return f"`{action.default}`"


def cli_table(name: str) -> str:
    """The Markdown table of one subcommand's arguments: option, default, help text."""
    rows = ["| option | default | help |", "|---|---|---|"]
    for action in subcommands()[name]._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        helptext = (action.help or "") % {"default": action.default, "prog": f"mockcanvas {name}"}
        rows.append(f"| {_option(action)} | {_default(action)} | {_cell(helptext)} |")
    return "\n".join(rows)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- cli:{name}:start -->", f"<!-- cli:{name}:end -->"


def merged(text: str, name: str) -> str | None:
    """The table between ``name``'s markers in ``text`` (stripped), or None without markers."""
    start, end = _markers(name)
    if start not in text or end not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def regenerate(text: str) -> str:
    """``text`` with every subcommand's table between its markers rendered afresh."""
    for name in subcommands():
        start, end = _markers(name)
        if start in text and end in text:
            before, rest = text.split(start, 1)
            text = f"{before}{start}\n{cli_table(name)}\n{end}{rest.split(end, 1)[1]}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the CLI tables of the docs site.")
    parser.add_argument("page", nargs="?", default=str(CLI_PAGE), help="the page to rewrite")
    args = parser.parse_args(argv)
    page = Path(args.page)
    page.write_text(regenerate(page.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote {page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
