"""The docs' reliability figures are rendered from the tables the reliability tests run.

Each figure is computed from the very list a test module is parametrized with, so adding a case
changes the number in docs/explanation/reliability.md, and a page that drifts from the suite
fails here.
Regenerate with ``python -m tests.robustness.test_reliability_report``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.live_events import test_delivery_load, test_memory_caps
from tests.robustness import (
    test_atomic_writes,
    test_bad_input,
    test_concurrency,
    test_control_input,
    test_cross_access,
    test_cross_site,
    test_graphql_limits,
    test_linear_patterns,
    test_parser_fuzz,
    test_signals,
    test_sink_faults,
    test_slow_clients,
    test_state_ranges,
)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "explanation" / "reliability.md"
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def _counts(counter: Counter) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counter.items()))


def render() -> str:
    """The reliability table as it belongs in docs/explanation/reliability.md."""
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
            "patterns timed",
            f"{len(test_linear_patterns.PATTERNS)} parsers and matchers (grades, dates, globs,"
            " regex faults, ids, bookmarks, query parameters) on adversarial input at n and 16n:"
            " CPU time grows less than 40x;"
            f" {len(test_linear_patterns.REFUSED_PATTERNS)} patterns refused with a 400",
        ),
        (
            "GraphQL cost limits",
            f"{len(test_graphql_limits.LIMITS)} (tokens, size, aliases, directives, depth,"
            " complexity) answered with graphql-ruby's exact words before anything runs, outside"
            " the write lock",
        ),
        (
            "writes failed at each step",
            f"{len(test_atomic_writes.WRITE_STEPS)} (each write door x audit row, page view,"
            f" course scores, schema check, publish) and {len(test_atomic_writes.SIMULATED_KINDS)}"
            " simulator operations: store, inbox, Progress objects and delivery logs"
            " byte-identical afterwards",
        ),
        (
            "imported values refused",
            f"{len(test_state_ranges.IMPORT_VALUES)}: a 400 naming the field, nothing changed;"
            f" {len(test_state_ranges.EDGE_VALUES)} values at the edge imported, then every route"
            " family read without a 500",
        ),
        (
            "cross-site requests refused",
            f"{len(test_cross_site.CROSS_SITE)} (changes not sent as JSON: 415; DNS-rebinding"
            " hosts: 403), in-process and on a real server, nothing changed",
        ),
        (
            "control values refused",
            f"{len(test_control_input.JSONL_PATHS)} JSONL paths (FIFOs, devices, NUL),"
            f" {len(test_control_input.HUGE_VALUES)} absurd ids and values,"
            f" {len(test_control_input.FAULT_HEADERS)} framing headers: 400 or 404, never 500;"
            f" {len(test_control_input.REDACTED)} secrets journaled as [FILTERED]",
        ),
        (
            "slow clients held off",
            f"{len(test_slow_clients.SLOW_CLIENTS)} shapes x 300 connections: a normal client"
            " still answered, every slow connection closed",
        ),
        (
            "signals",
            f"{len(test_signals.STOP_SIGNALS)} (SIGINT even when inherited ignored, SIGTERM), with"
            " requests stuck behind the lock: exit within --shutdown-timeout, undelivered events"
            f" written; {len(test_signals.SERVE_PROCESS_TESTS)} serve-process tests pass under"
            " `& wait`",
        ),
        (
            "memory caps",
            f"{len(test_memory_caps.MEMORY_CAPS)} (inbox, delivery log, held payloads, queue"
            " bytes): each reached, evictions counted exactly, a reset clears and counts",
        ),
        (
            "delivery under load",
            f"{len(test_delivery_load.LOADS)} load and {len(test_delivery_load.BURSTS)} burst of"
            f" {test_delivery_load.BURSTS[0]:,} events: a healthy receiver gets every event,"
            " 0 dropped_overflow",
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


def test_docs_reliability_figures_are_the_suites():
    text = PAGE.read_text(encoding="utf-8")
    assert START in text and END in text, "docs/explanation/reliability.md lost its markers"
    merged = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert merged == render(), "regenerate: python -m tests.robustness.test_reliability_report"


if __name__ == "__main__":
    print(render())
