"""Every parser that meets client text runs in time linear in that text (issue 14, cases 1-3).

Three kinds of evidence per parser:

- equivalence: where a pattern was rewritten to stop backtracking, a Hypothesis property compares
  it with the old pattern (kept here as the oracle) on generated strings, so the language read is
  exactly the one Canvas's code reads;
- linearity: each entry of ``PATTERNS`` is timed on adversarial input at n and at 16n characters
  (best of five, repeated until a run takes milliseconds); the ratio must stay under 40, where
  the quadratic code it replaced gave about 256 and the exponential one never finished;
- HTTP: a real server answers each attack from the issue with its exact Canvas answer while a
  concurrent ``/_mockcanvas/health`` probe is served; waits are bounded by generous timeouts, so
  the old code fails by timing out, not by a time assertion.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mockcanvas import create_app, grading, lookup, pagination, rubyfloat, state, timefmt
from mockcanvas.errors import BadRequest
from mockcanvas.grading import parse_posted_grade
from mockcanvas.http import bulk_grading, inspector, subscriptions
from mockcanvas.live_server import LiveServer
from mockcanvas.services.faults import parse_fault

# -- the old patterns, kept as oracles ---------------------------------------------------------

OLD_NUMBER = re.compile(r"^[+-]?\d*\.?\d+$", re.ASCII | re.MULTILINE)
OLD_PERCENT = re.compile(r"^[+-]?\d*\.?\d+%$", re.ASCII | re.MULTILINE)
OLD_SCHEME_NUMBER = re.compile(r"\A(\d*[.])?\d+\n?\Z", re.ASCII)
OLD_DATE_TIME = re.compile(
    r"""\A\s*
    (?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})
    (?:[T\s]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?)?
    \s*(?P<z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?
    \s*\Z""",
    re.VERBOSE | re.IGNORECASE,
)


def old_glob(glob: str) -> re.Pattern[str]:
    """The glob compiler this project used before: right answers, exponential time."""
    parts: list[str] = []
    position = 0
    while position < len(glob):
        if glob.startswith("**", position):
            parts.append(".*")
            position += 2
            continue
        char = glob[position]
        parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        position += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


# -- equivalence properties --------------------------------------------------------------------

GRADE_TEXT = st.text(alphabet="0123456789.+-%\nx \u0661", max_size=14)


@settings(max_examples=3000, deadline=None)
@given(GRADE_TEXT)
def test_grade_patterns_read_the_same_language_as_canvas(text):
    for old, new in (
        (OLD_NUMBER, grading._NUMBER),
        (OLD_PERCENT, grading._PERCENT),
        (OLD_SCHEME_NUMBER, grading._SCHEME_NUMBER),
    ):
        assert bool(old.search(text)) == bool(new.search(text)), (old.pattern, text)
        assert bool(old.match(text)) == bool(new.match(text)), (old.pattern, text)


DATE_PARTS = st.sampled_from(
    [
        "2024",
        "-",
        "/",
        ".",
        "1",
        "12",
        ":",
        "30",
        "T",
        " ",
        "\t",
        "\n",
        "Z",
        "utc",
        "GMT",
        "+05",
        "-08:00",
        "+0530",
        ",",
        "5",
        "x",
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(DATE_PARTS, max_size=14).map("".join))
def test_date_pattern_reads_the_same_fields_as_before(text):
    old, new = OLD_DATE_TIME.match(text), timefmt._DATE_TIME.match(text)
    assert (old is None) == (new is None), text
    if old is not None:
        assert old.groupdict() == new.groupdict()


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "b", "/", "*", "**", "?", ".", "["]), min_size=1, max_size=8
    ).map("".join),
    st.text(alphabet="ab/.[\n", max_size=10),
)
def test_glob_matches_what_the_backtracking_glob_matched(glob, path):
    assert bool(parse_fault({"path": glob}, 1).matches("GET", path)) == bool(
        old_glob(glob).match(path)
    )


def regexes() -> st.SearchStrategy[str]:
    """Small regexes over the syntax fault regexes accept, nested and quantified freely."""
    atoms = st.sampled_from(
        [
            "a",
            "b",
            "/",
            ".",
            r"\d",
            r"\w",
            r"\s",
            "[ab]",
            "[^a]",
            "[a-c/]",
            "^",
            "$",
            r"\A",
            r"\Z",
            "(?s:.)",
        ]
    )
    quantifiers = st.sampled_from(["", "*", "+", "?", "*?", "{2}", "{1,3}", "{0,2}?"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda p: f"(?:{p[0]}|{p[1]})"),
            st.tuples(inner, quantifiers).map(lambda p: f"({p[0]}){p[1]}"),
        )

    return st.recursive(st.tuples(atoms, quantifiers).map("".join), extend, max_leaves=6)


@settings(max_examples=1500, deadline=None)
@given(regexes(), st.text(alphabet="ab/1 _\n\u0661", max_size=10))
def test_fault_regex_finds_what_re_search_finds(regex, path):
    try:
        re.compile(regex)
    except re.error:  # such as a quantified anchor, "^*": refused by both
        assume(False)
    expected = re.search(regex, path) is not None
    fault = parse_fault({"regex": regex}, 1)
    assert fault.matches("GET", path) == expected


# -- linearity ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """One parser, the input that made (or would make) it backtrack, and the base size n."""

    name: str
    run: Callable[[str], object]
    adversarial: Callable[[int], str]
    n: int


def _refused(parse: Callable[..., object], text: str) -> object:
    try:
        return parse(text, "time")
    except BadRequest:
        return None


def _glob(glob: str) -> Callable[[str], object]:
    fault = parse_fault({"path": glob}, 1)
    return lambda path: fault.matches("GET", path)


def _regex(regex: str) -> Callable[[str], object]:
    fault = parse_fault({"regex": regex}, 1)
    return lambda path: fault.matches("GET", path)


PATTERNS = [
    Pattern("grade number", grading._NUMBER.search, lambda n: "0" * n + "x", 500),
    Pattern("grade percent", grading._PERCENT.search, lambda n: "0" * n + "x", 500),
    Pattern("scheme key", grading._SCHEME_NUMBER.match, lambda n: "0" * n + "x", 500),
    Pattern(
        "posted grade (points)",
        lambda text: parse_posted_grade("points", text, 10.0),
        lambda n: "0" * n + "x",
        500,
    ),
    Pattern(
        "posted grade (letter)",
        lambda text: parse_posted_grade("letter_grade", text, 10.0),
        lambda n: "1" * n + ".x",
        500,
    ),
    Pattern("String#to_f", rubyfloat.to_f, lambda n: "1_" * n + "e1_" * n, 2000),
    Pattern(
        "date time",
        lambda text: timefmt.parse(text, timefmt.zone("UTC")),
        lambda n: "2024-01-01" + " " * n + "x",
        1000,
    ),
    Pattern("String#to_i", lookup.ruby_to_i, lambda n: " " * n + "1_" * n + "x", 2000),
    Pattern("Model.find id", lookup.find_id, lambda n: "1" * n + "x", 2000),
    Pattern("api_find SIS id", lookup._sis, lambda n: "hex:sis_" + "a" * n + ":" + "ab" * n, 2000),
    Pattern("page token", lambda text: pagination.decode_page(text), lambda n: "1" * n + "x", 2000),
    Pattern("bookmark", pagination.decode_page, lambda n: "x\n" * n + "bookmark:" + "e" * n, 2000),
    Pattern(
        "Rails query params",
        lambda text: pagination.rails_params([(text, "v")] * 4),
        lambda n: "a[" * n + "]",
        2000,
    ),
    Pattern(
        "control clock time",
        lambda text: _refused(state.parse_instant, text),
        lambda n: "2024-01-01T00:00:00." + "1" * n + "x",
        2000,
    ),
    Pattern(
        "bulk grade_data key",
        bulk_grading._NESTED.match,
        lambda n: "grade_data" + "[a]" * n + "[",
        2000,
    ),
    Pattern("inspector resume", inspector._RESUME.fullmatch, lambda n: "1" * n + "-x", 2000),
    Pattern("subscription number", subscriptions._NUMBER.fullmatch, lambda n: "1" * n + "ex", 2000),
    Pattern("path glob", _glob("/**a**a**b"), lambda n: "/" + "a" * n, 40),
    Pattern("path glob (segments)", _glob("/*a*a*a*b"), lambda n: "/" + "a" * n, 25),
    Pattern("fault regex", _regex(r"^/(a|aa)*a*a*b"), lambda n: "/" + "a" * n, 40),
]


def _cpu_time(run: Callable[[str], object], text: str, repeat: int) -> float:
    """CPU seconds of ``repeat`` runs: time other processes take the core from us is not ours."""
    start = time.thread_time()
    for _ in range(repeat):
        run(text)
    return time.thread_time() - start


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_time_grows_linearly_with_input(pattern):
    small, large = pattern.adversarial(pattern.n), pattern.adversarial(16 * pattern.n)
    repeat = 1
    while _cpu_time(pattern.run, large, repeat) < 0.01 and repeat < 4096:
        repeat *= 2  # long enough that timer noise is small beside it
    # The small input runs 16 times as often, so both sides last about as long (as exposed to
    # the rest of the machine) when time is linear; best of five, the two sides interleaved.
    best_small = best_large = float("inf")
    for _ in range(5):
        best_small = min(best_small, _cpu_time(pattern.run, small, 16 * repeat))
        best_large = min(best_large, _cpu_time(pattern.run, large, repeat))
    ratio = 16 * best_large / best_small
    assert ratio < 40, f"{pattern.name}: 16x the input took {ratio:.0f}x the time"


# -- over HTTP ---------------------------------------------------------------------------------

TIMEOUT = 30  # generous: the fixed server answers in milliseconds, the old one took minutes
LONG_GRADE = "0" * 250_000 + "x"  # the old grade reader took about a minute on this


@pytest.fixture
def server():
    app = create_app(seed=1)
    live = LiveServer(app).start()
    try:
        yield app.extensions["mockcanvas"], live.url
    finally:
        live.stop()


def answered_with_probe(send: Callable[[], requests.Response], url: str) -> requests.Response:
    """``send()`` in a thread while ``/_mockcanvas/health`` is asked; both must answer."""
    result: dict[str, object] = {}

    def worker() -> None:
        try:
            result["response"] = send()
        except Exception as error:  # reported below, in the test's thread
            result["error"] = error

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    probe = requests.get(f"{url}/_mockcanvas/health", timeout=TIMEOUT)
    assert probe.status_code == 200
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "the request did not finish"
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["response"]  # type: ignore[return-value]


def teacher(inst) -> dict[str, str]:
    return {"Authorization": f"Bearer {inst.store.token_for(inst.store.landmarks['teacher'])}"}


def graded(inst) -> tuple[int, int, int]:
    store = inst.store
    assignment = store.landmarks["points_assignment"]
    return store.assignments[assignment].course_id, assignment, store.landmarks["student"]


def test_a_huge_posted_grade_over_rest_is_read_as_no_grade_promptly(server):
    inst, url = server
    course, assignment, student = graded(inst)
    response = answered_with_probe(
        lambda: requests.put(
            f"{url}/api/v1/courses/{course}/assignments/{assignment}/submissions/{student}",
            json={"submission": {"posted_grade": LONG_GRADE}},
            headers=teacher(inst),
            timeout=TIMEOUT,
        ),
        url,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["grade"], body["entered_grade"]) == (None, None, None)


def test_a_huge_posted_grade_over_the_control_api_is_read_as_no_grade_promptly(server):
    inst, url = server
    course, assignment, student = graded(inst)
    response = answered_with_probe(
        lambda: requests.post(
            f"{url}/_mockcanvas/grades",
            json={
                "course_id": course,
                "assignment_id": assignment,
                "user_id": student,
                "posted_grade": LONG_GRADE,
            },
            timeout=TIMEOUT,
        ),
        url,
    )
    assert response.status_code == 200
    submission = response.json()["submission"]
    assert (submission["score"], submission["grade"]) == (None, None)


def test_a_huge_posted_grade_in_bulk_update_grades_completes_promptly(server):
    inst, url = server
    course, assignment, student = graded(inst)
    response = answered_with_probe(
        lambda: requests.post(
            f"{url}/api/v1/courses/{course}/assignments/{assignment}/submissions/update_grades",
            data={f"grade_data[{student}][posted_grade]": LONG_GRADE},
            headers=teacher(inst),
            timeout=TIMEOUT,
        ),
        url,
    )
    assert response.status_code == 200
    progress = response.json()
    assert (progress["workflow_state"], progress["completion"]) == ("completed", 100.0)
    assert inst.store.submission_for(assignment, student).grade is None


EVIL_GLOB = "/api/v1/**a**a**a**a**a**a**a**a**a**a**a**a**b"


def test_an_evil_glob_fault_does_not_stall_the_path_it_is_tried_on(server):
    _inst, url = server
    added = requests.post(f"{url}/_mockcanvas/faults", json={"path": EVIL_GLOB}, timeout=TIMEOUT)
    assert added.status_code == 201
    response = answered_with_probe(
        lambda: requests.get(f"{url}/api/v1/" + "a" * 40, timeout=TIMEOUT), url
    )
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}


def test_an_evil_regex_fault_does_not_stall_the_path_it_is_tried_on(server):
    _inst, url = server
    added = requests.post(
        f"{url}/_mockcanvas/faults", json={"regex": r"^/api/v1/(a+)+$"}, timeout=TIMEOUT
    )
    assert added.status_code == 201
    response = answered_with_probe(
        lambda: requests.get(f"{url}/api/v1/" + "a" * 40 + "!", timeout=TIMEOUT), url
    )
    assert response.status_code == 404
    matched = requests.get(f"{url}/api/v1/" + "a" * 40, timeout=TIMEOUT)
    assert matched.status_code == 500  # the fault still fires where the regex matches


def test_an_evil_journal_filter_answers_promptly(server):
    _inst, url = server
    assert requests.get(f"{url}/api/v1/" + "a" * 500, timeout=TIMEOUT).status_code == 404
    response = answered_with_probe(
        lambda: requests.get(
            f"{url}/_mockcanvas/requests", params={"path": "**a**a**a**a**b"}, timeout=TIMEOUT
        ),
        url,
    )
    assert response.status_code == 200
    assert response.json()["requests"] == []


# -- what is refused ---------------------------------------------------------------------------

REFUSED_PATTERNS = [
    ({"path": "*" * 1025}, "a path glob is at most 1024 characters"),
    ({"regex": "a" * 1025}, "a regex is at most 1024 characters"),
    ({"regex": r"(a)\1"}, "a fault regex cannot use backreferences"),
    ({"regex": r"(a)(?(1)b)"}, "a fault regex cannot use conditional groups"),
    ({"regex": r"/api(?=/v1)"}, "a fault regex cannot use lookaround"),
    ({"regex": r"(?<!x)/api"}, "a fault regex cannot use lookaround"),
    ({"regex": r"\bapi"}, "a fault regex cannot use word boundaries (\\b, \\B)"),
    ({"regex": r"a*+b"}, "a fault regex cannot use possessive or atomic groups"),
    ({"regex": r"(?>a*)b"}, "a fault regex cannot use possessive or atomic groups"),
    ({"regex": r"(?i)/API"}, "a fault regex can set only the flags s and x"),
    ({"regex": r"(?m:^a)"}, "a fault regex can set only the flags s and x"),
    ({"regex": r"(?:a{30}){40}"}, "regex is too complex (over 1000 states)"),
]


@pytest.mark.parametrize(("spec", "message"), REFUSED_PATTERNS)
def test_patterns_that_need_backtracking_are_refused_with_400(app, spec, message):
    client = app.test_client()
    response = client.post("/_mockcanvas/faults", json=spec)
    assert (response.status_code, response.get_json()) == (400, {"message": message})
    assert client.get("/_mockcanvas/faults").get_json() == {"faults": []}


def test_a_journal_filter_too_long_is_refused_with_400(app):
    response = app.test_client().get("/_mockcanvas/requests", query_string={"path": "*" * 1025})
    assert (response.status_code, response.get_json()) == (
        400,
        {"message": "a path glob is at most 1024 characters"},
    )


def test_a_regex_fault_is_not_tried_on_paths_over_2048_characters(app):
    client = app.test_client()
    assert client.post("/_mockcanvas/faults", json={"regex": "^/api/v1/a"}).status_code == 201
    assert client.get("/api/v1/" + "a" * 2000).status_code == 500
    assert client.get("/api/v1/" + "a" * 2100).status_code == 404
