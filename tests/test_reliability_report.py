"""The README's reliability figures are rendered from the tables the reliability tests run.

Each figure is computed from the very list a test module is parametrized with, so adding a case
changes the README's number, and a README that drifts from the suite fails here.
Regenerate with ``python -m tests.test_reliability_report``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests import (
    test_bad_input,
    test_concurrency,
    test_cross_access,
    test_parser_fuzz,
    test_sink_faults,
)

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def _counts(counter: Counter) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counter.items()))


def render() -> str:
    """The reliability table as it belongs in the README."""
    faults = test_sink_faults.FAULTS
    fault_runs = sum(2 if fault.signable else 1 for fault in faults)
    sinks = Counter(fault.name.split(":", 1)[0] for fault in faults)
    cross = test_cross_access.CROSS_ACCESS
    actors = Counter(actor for _route, _method, actor, _target, _expected in cross)
    routes = {(method, route) for route, method, _actor, _target, _expected in cross}
    parsers = test_parser_fuzz.PARSERS
    families = test_bad_input.BAD_INPUT_FAMILIES
    rows = [
        (
            "concurrent writers",
            f"{test_concurrency.WRITERS} threads, each with its own connection to the threaded"
            " server, through every grading door (REST form and JSON, bulk, GraphQL, control)"
            f", beside {len(test_concurrency.READERS)} readers",
        ),
        (
            "writes held",
            f"{test_concurrency.WRITES_HELD}: one audit row per change, course scores equal to a"
            " recomputation from scratch, each event once in the inbox and in every"
            " subscription, order per submission kept",
        ),
        (
            "faults survived",
            f"{len(faults)} ({fault_runs} runs, webhook rows plain and signed): {_counts(sinks)}",
        ),
        (
            "bad inputs tried",
            f"{len(test_bad_input.BAD_INPUTS):,} ({_counts(Counter(families))}):"
            " each an exact Canvas answer, never a 500, the world unchanged after every error",
        ),
        (
            "cross-access attempts refused",
            f"{len(cross):,} over {len(routes)} routes by {len(actors)} kinds of caller:"
            " exact refusals, none of the other party's bytes in the answer, nothing changed",
        ),
        (
            "parsers fuzzed",
            f"{len(parsers)}, {test_parser_fuzz.EXAMPLES_PER_PARSER} examples each in CI"
            " (derandomized); crashes and round trips",
        ),
        (
            "events lost",
            "0: every fault row and the concurrent run account for each emitted event as"
            " delivered, or dead-lettered with its payload in the delivery log",
        ),
    ]
    lines = ["| figure | from the suite |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def test_readme_reliability_figures_are_the_suites():
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "README.md lost its reliability markers"
    merged = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert merged == render(), "regenerate: python -m tests.test_reliability_report"


if __name__ == "__main__":
    print(render())
