"""Every parser of user input, fuzzed: it returns a value or raises its own error, and round-trips.

A parser here is anything that turns what a user sends (a query parameter, a body, a file, a
command-line option) into a value. Each test below fuzzes one of them with Hypothesis and checks
two things: no crash (only the parser's documented, Canvas-shaped error type ever escapes, and HTTP
answers are never a 500), and round-trips where the value has a printed form (format then parse
gives the value back; parse then format then parse is stable).

CI runs ``EXAMPLES_PER_PARSER`` examples per parser, derandomized. A bigger campaign:
``MOCKCANVAS_FUZZ_EXAMPLES=10000 pytest tests/robustness/test_parser_fuzz.py --hypothesis-seed=N``
(with the variable set, the seed is honoured instead of the derandomized one). The audit routes'
query parameters are fuzzed end to end in ``tests/canvas/test_audit_fuzz.py``; this module covers
the parsers themselves and every other door.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import io
import json
import math
import os
import re
import string
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mockcanvas import cli, create_app, graphql_schema, payloads, scenario, simulate, state
from mockcanvas.errors import BadRequest
from mockcanvas.grading import (
    GPA_SCHEME,
    GRADING_TYPES,
    LETTER_SCHEME,
    InvalidGrade,
    grade_for_score,
    parse_posted_grade,
)
from mockcanvas.ids import SHARD_FACTOR, global_id, local_id
from mockcanvas.lookup import (
    api_find_assignment,
    api_find_course,
    api_find_user,
    find_id,
    ruby_to_i,
)
from mockcanvas.pagination import (
    InvalidPage,
    decode_page,
    encode_bookmark,
    per_page,
    rails_params,
    to_query,
)
from mockcanvas.requests_routing import normalize_base_url
from mockcanvas.services import faults as fault_service
from mockcanvas.services import grading as grading_service
from mockcanvas.services.throttle import ThrottleConfig
from mockcanvas.sinks import registry
from mockcanvas.sinks.webhook import check_url
from mockcanvas.timefmt import iso, iso_utc, parse, ruby_to_s

# -- budget and the list of parsers ---------------------------------------------------------------

EXAMPLES_PER_PARSER = 200  # the CI budget; MOCKCANVAS_FUZZ_EXAMPLES runs a bigger campaign
_CAMPAIGN = os.environ.get("MOCKCANVAS_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_CAMPAIGN) if _CAMPAIGN else EXAMPLES_PER_PARSER,
    derandomize=not _CAMPAIGN,  # CI is deterministic; a campaign honours --hypothesis-seed
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# The parsers this module fuzzes, one entry per fuzz test, filled in by @fuzzes below.
PARSERS: list[str] = []


def fuzzes(*parsers):
    """Register a fuzz test under what it covers: functions (a round trip names the printer and
    the parser), or a route as text."""
    name = " / ".join(
        p if isinstance(p, str) else f"{p.__module__.removeprefix('mockcanvas.')}.{p.__qualname__}"
        for p in parsers
    )

    def register(test):
        PARSERS.append(name)
        return test

    return register


# -- strategies -----------------------------------------------------------------------------------

# Characters that are digits or spaces to Python but not to Ruby, and other confusables.
UNICODE_DIGITS = (
    "\u0660\u0661\u0662\u0663\u0664\u0665\u06f5\u096b\u09eb\u0e55\uff10\uff11\U0001d7d3"
)
ODD_SPACES = "\u00a0\u2003\u3000\u200b\x1c\x1d\x85\ufeff"
huge_ints = st.integers(min_value=10**300, max_value=10**400) | st.integers(
    max_value=-(10**300), min_value=-(10**400)
)
numbers = st.one_of(st.integers(), huge_ints, st.floats())
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20))
json_values = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4)
    ),
    max_leaves=12,
)


def number_texts() -> st.SearchStrategy[str]:
    """Text shaped like numbers, with the corners Ruby and Python read differently."""
    sign = st.sampled_from(["", "+", "-", "--", "+-"])
    digits = st.text("0123456789_" + UNICODE_DIGITS[:4], min_size=0, max_size=25)
    space = st.text(" \t\n\r\v\f" + ODD_SPACES, max_size=3)
    tail = st.sampled_from(["", "%", " %", "e3", "E-2", ".", ".5", "abc", "%%", "\x00"])
    built = st.builds(
        lambda a, s, i, dot, f, t, b: f"{a}{s}{i}{dot}{f}{t}{b}",
        space,
        sign,
        digits,
        st.sampled_from(["", ".", ","]),
        st.text("0123456789", max_size=12),
        tail,
        space,
    )
    return st.one_of(
        built,
        st.sampled_from(
            [
                "1e3",
                "  7 ",
                "-0",
                "NaN",
                "nan",
                "inf",
                "-inf",
                "Infinity",
                "1e309",
                "0x10",
                "١٢",
                "9" * 400,
                "9" * 5000,
                "\u0668\u0665%",
                "85 %",
                "+.5",
                ".",
                "%",
                "",
                " ",
                "1_000",
                "1__0",
            ]
        ),
        st.floats().map(repr),
        st.integers().map(str),
        st.text(max_size=12),
    )


def grade_texts() -> st.SearchStrategy[str]:
    names = [n for n, _ in LETTER_SCHEME + GPA_SCHEME] + [
        "complete",
        "incomplete",
        "pass",
        "fail",
        "excused",
        "EX",
        "A+",
        "E",
    ]
    cased = st.builds(
        lambda n, up, pad: (n.upper() if up else n.lower()).center(len(n) + pad),
        st.sampled_from(names),
        st.booleans(),
        st.integers(0, 3),
    )
    return st.one_of(number_texts(), cased)


def time_texts() -> st.SearchStrategy[str]:
    """Text near the grammar Time.zone.parse reads: dates, times, separators, offsets."""
    part = st.integers(0, 99999).map(str) | st.text(string.digits, max_size=5)
    sep = st.sampled_from(["-", "/", ".", " ", "T", ":", ""])
    zone = st.sampled_from(
        ["", "Z", "z", "UTC", "GMT", "+00:00", "-07:00", "+0530", "+24:00", "-23:59", "+99", "+1"]
    )
    built = st.builds(
        lambda y, s1, mo, s2, d, t, h, mi, sec, frac, z: (
            f"{y}{s1}{mo}{s2}{d}{t}{h}:{mi}{sec}{frac}{z}"
        ),
        part,
        sep,
        part,
        sep,
        part,
        st.sampled_from(["", "T", " ", "t", "  T "]),
        part,
        part,
        st.sampled_from(["", ":00", ":59", ":60", ":99"]),
        st.sampled_from(["", ".5", ",123456789", ".0000001"]),
        zone,
    )
    dated = st.builds(lambda y, m, d: f"{y}-{m}-{d}", part, part, part)
    return st.one_of(
        built,
        dated,
        st.datetimes().map(lambda d: d.isoformat()),
        st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-02-30"]),
        st.text(string.digits + "-:TZ+ ./,UTCGM", max_size=40),
        st.text(max_size=30),
    )


# Seeded worlds: one for reads and grading, one for control-plane fuzzing (faults, throttle...).
APP = create_app(seed=1)
STORE = APP.extensions["mockcanvas"].store
CLIENT = APP.test_client()
CONTROL_APP = create_app(scenario="tiny")
CONTROL = CONTROL_APP.extensions["mockcanvas"]
CONTROL_CLIENT = CONTROL_APP.test_client()
WHO = ["admin", "teacher", "ta", "section_limited_ta", "student"]
ZONES = [ZoneInfo(name) for name in ("UTC", "America/Denver", "Asia/Kathmandu", "Pacific/Chatham")]


def bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {STORE.token_for(STORE.landmarks[who])}"}


def assert_canvas_answer(response, allowed=(200, 201, 400, 401, 404, 413)) -> None:
    """Never a 500: a status Canvas gives, with a JSON body."""
    body = response.get_data(as_text=True)
    assert response.status_code in allowed, (response.status_code, body[:500])
    assert response.mimetype == "application/json", body[:200]
    json.loads(body)


# -- posted grades --------------------------------------------------------------------------------

points_possible = st.one_of(
    st.none(),
    st.just(0.0),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.integers(0, 1000).map(float),
)


@fuzzes(parse_posted_grade)
@FUZZ
@given(st.sampled_from(GRADING_TYPES), grade_texts(), points_possible)
@example("pass_fail", "complete", 0.0)  # was "incomplete"
@example("letter_grade", " b+ ", None)  # no stripping: not a scheme key, so no grade
@example("points", "\u0668\u0665", 10.0)  # Arabic-Indic 85: Canvas reads no number
@example("points", "abc\n5", 10.0)  # Ruby's $ and ^ are per line: a number, 0.0 by to_f
def test_posted_grades_read_as_canvas_reads_them(grading_type, text, possible):
    """Canvas never refuses a grade: one it cannot read is no grade (pass/fail: no points).
    Strict mode refuses exactly those, and agrees on every other."""
    score, grade = parse_posted_grade(grading_type, text, possible)
    try:
        strict = parse_posted_grade(grading_type, text, possible, strict=True)
    except InvalidGrade:
        assert text.strip() != ""
        assert (score, grade) in ((None, None), (0.0, "incomplete"))
        if (score, grade) != (None, None):
            assert grading_type == "pass_fail"
    else:
        assert strict == (score, grade)
    if not text.strip():
        assert (score, grade) == (None, None)
    if score is None:
        assert grade is None
        return
    assert isinstance(score, float)
    if grading_type != "pass_fail":  # pass/fail reads anything unreadable as zero
        assert any(ch in string.digits for ch in text) or text in ("complete", "pass", "fail",
            "incomplete") or grading_type in ("letter_grade", "gpa_scale")  # fmt: skip
    assert grade == grade_for_score(grading_type, score, possible, text)


@fuzzes(grading_service.parse_grade)
@FUZZ
@given(st.sampled_from(GRADING_TYPES), grade_texts(), points_possible)
def test_posted_grades_are_stable_after_one_round(grading_type, text, possible):
    """What the write path accepts is a finite score; the grade it stores, posted again, reads
    to itself after one round (percentages round to 2 decimals, so the first round may move)."""
    assignment = _assignment(grading_type, possible)
    try:
        score, grade = grading_service.parse_grade(assignment, text)
    except BadRequest:
        return
    if score is None:
        return
    assert math.isfinite(score) and abs(score) <= grading_service.MAX_SCORE
    again = grading_service.parse_grade(assignment, grade)
    if (
        again[1] is not None
    ):  # the grade string is a fixed point (a huge score's last bits may not be)
        assert grading_service.parse_grade(assignment, again[1])[1] == again[1]
    if grading_type == "points" and (score == 0 or 1e-4 <= abs(score) < 1e16):
        assert again == (score, grade)  # Float#to_s round-trips, outside its exponent forms


def _assignment(grading_type, possible):
    from mockcanvas.models import Assignment

    return Assignment(
        id=1,
        course_id=1,
        assignment_group_id=1,
        name="a",
        points_possible=possible,
        grading_type=grading_type,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        position=1,
    )


@fuzzes(grade_for_score, parse_posted_grade)
@FUZZ
@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
@example(562949953421312.75)  # was printed "562949953421312.8" (rounded to 2 decimals)
@example(1e-05)  # Ruby prints "1.0e-05", which Canvas cannot read back
def test_points_print_then_parse_gives_the_score_back(value):
    printed = grade_for_score("points", value, 10.0)
    if value != 0 and abs(value) < 1e-4:
        assert "e-" in printed and parse_posted_grade("points", printed, 10.0) == (None, None)
    else:
        assert parse_posted_grade("points", printed, 10.0) == (value, printed)


@fuzzes("PUT /api/v1/courses/:course_id/assignments/:assignment_id/submissions/:user_id")
@FUZZ
@given(
    assignment=st.sampled_from(
        [f"{t}_assignment" for t in ("points", "percent", "letter_grade", "gpa_scale", "pass_fail")]
        + ["quiz_assignment", "deleted_assignment"]
    ),
    posted=st.one_of(grade_texts(), numbers, st.booleans(), st.none(), json_values),
    excuse=st.one_of(st.none(), st.sampled_from(["true", "false", "1", "0", "maybe", ""]), scalars),
    as_json=st.booleans(),
    who=st.sampled_from(WHO),
)
def test_grading_over_http_answers_canvas_statuses(assignment, posted, excuse, as_json, who):
    assignment_id = STORE.landmarks[assignment]
    course_id = STORE.assignments[assignment_id].course_id
    student = STORE.landmarks["student"]
    before = STORE.submission_for(assignment_id, student)
    before = None if before is None else (before.score, before.grade, before.excused)
    submission = {}
    if posted is not None:
        submission["posted_grade"] = posted
    if excuse is not None:
        submission["excuse"] = excuse
    path = f"/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions/{student}"
    if as_json:
        response = CLIENT.put(path, json={"submission": submission}, headers=bearer(who))
    else:
        form = {f"submission[{k}]": str(v) for k, v in submission.items()}
        response = CLIENT.put(path, data=form, headers=bearer(who))
    assert_canvas_answer(response, (200, 400, 401, 404))
    if response.status_code != 200:
        after = STORE.submission_for(assignment_id, student)
        after = None if after is None else (after.score, after.grade, after.excused)
        assert after == before  # refused: nothing changed
    else:
        body = response.get_json()
        assert body["score"] is None or math.isfinite(body["score"])


@fuzzes("POST /_mockcanvas/grades")
@FUZZ
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "course_id": st.one_of(st.integers(0, 40), scalars),
                "assignment_id": st.one_of(st.integers(0, 40), scalars),
                "user_id": st.one_of(st.integers(0, 40), scalars),
                "posted_grade": st.one_of(grade_texts(), scalars),
                "excuse": scalars,
                "grader_id": st.one_of(st.integers(0, 40), scalars),
            },
        ),
    )
)
def test_control_grading_bodies_answer_canvas_statuses(body):
    response = CLIENT.post(
        "/_mockcanvas/grades", data=json.dumps(body), content_type="application/json"
    )
    assert_canvas_answer(response, (200, 400, 401, 404))


# -- times ----------------------------------------------------------------------------------------

aware_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(8999, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@fuzzes(parse)
@FUZZ
@given(time_texts(), st.sampled_from(ZONES))
@example("0001-01-01T00:00:00+05:00", ZoneInfo("UTC"))
@example("9999-12-31T23:59:59-05:00", ZoneInfo("UTC"))
@example("2026-03-08 02:30", ZoneInfo("America/Denver"))  # a time the spring skips
def test_times_parse_to_utc_or_none_and_reparse_stably(text, tz):
    value = parse(text, tz)
    if value is None:
        return
    assert value.utcoffset() == timedelta(0)
    if value.year >= 1000:  # strftime's %Y does not pad older years; no record is that old
        assert parse(iso_utc(value), tz) == value.replace(microsecond=0)


@fuzzes(iso, ruby_to_s, iso_utc, parse)
@FUZZ
@given(aware_times, st.sampled_from(ZONES), st.sampled_from(ZONES))
def test_printed_times_parse_back_in_any_zone(value, printed_in, read_in):
    assert parse(iso(value, printed_in), read_in) == value
    assert parse(ruby_to_s(value, printed_in), read_in) == value  # the bookmark's form
    assert parse(iso_utc(value), read_in) == value
    assert parse(value.date().isoformat(), UTC) == value.replace(hour=0, minute=0, second=0)


@fuzzes(state.parse_instant, state.iso_instant)
@FUZZ
@given(st.one_of(time_texts(), scalars))
def test_control_instants_parse_or_raise_bad_request(text):
    try:
        value = state.parse_instant(text, "set")
    except BadRequest:
        return
    assert value.utcoffset() == timedelta(0)
    assert state.parse_instant(state.iso_instant(value), "set") == value


# -- bookmarks, pages, query parameters -----------------------------------------------------------

bookmark_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3)
    ),
    max_leaves=8,
)
page_texts = st.one_of(
    st.text(max_size=30),
    st.integers(-5, 10**25).map(str),
    st.text("bookmark:" + string.ascii_letters + string.digits + "-_=\n%", max_size=40),
    st.binary(max_size=40).map(lambda b: "bookmark:" + base64.urlsafe_b64encode(b).decode()),
    st.integers(1, 100_000).map(
        lambda n: "bookmark:" + base64.urlsafe_b64encode(b"[" * n + b"]" * n).decode()
    ),
)


@fuzzes(decode_page)
@FUZZ
@given(page_texts)
@example("bookmark:" + base64.urlsafe_b64encode(b"[" * 100_000).decode())  # nested too deeply
@example("3\nbookmark:")
def test_pages_decode_to_a_value_or_the_first_page(page):
    try:
        value = decode_page(page)
    except InvalidPage:
        assert re.search(r"^\d+$", page, re.MULTILINE)
        return
    if value is not None:
        assert decode_page(encode_bookmark(value)) == value


@fuzzes(encode_bookmark, decode_page)
@FUZZ
@given(bookmark_values, aware_times)
def test_bookmarks_round_trip(value, when):
    assert decode_page(encode_bookmark(value)) == value
    legacy = ruby_to_s(when, ZONES[1])  # the older, timestamp-only form
    assert decode_page(encode_bookmark(legacy)) == legacy


@fuzzes(per_page)
@FUZZ
@given(st.one_of(st.none(), number_texts()))
@example("\u0665\u0660")  # Arabic-Indic 50: was 50, Ruby reads 0
def test_per_page_is_clamped_rubys_to_i(text):
    size = per_page(text)
    assert 1 <= size <= 100
    if text is not None:
        assert size == min(max(_ruby_to_i(text), 1), 100)


def _ruby_to_i(text: str) -> int:
    """Ruby's String#to_i, written out: ASCII whitespace, a sign, ASCII digits with single
    underscores between them; longer than 19 digits is treated as huge."""
    match = re.match(r"[ \t\n\v\f\r]*([+-]?)([0-9]+(?:_[0-9]+)*)", text)
    if not match:
        return 0
    digits = match.group(2).replace("_", "").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 19 else 10**19
    return -value if match.group(1) == "-" else value


@fuzzes(ruby_to_i)
@FUZZ
@given(st.one_of(number_texts(), st.integers(-(10**18), 10**18).map(str)))
@example("\u0661\u0662")  # was 12
@example("\u20037")
def test_ruby_to_i_reads_as_ruby_does(text):
    assert ruby_to_i(text) == _ruby_to_i(text)


query_keys = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8)
query_params = st.dictionaries(
    query_keys,
    st.one_of(
        st.text(max_size=10),
        st.lists(st.text(max_size=10), min_size=1, max_size=4),
        st.dictionaries(query_keys, st.text(max_size=10), min_size=1, max_size=3),
    ),
    max_size=5,
)


@fuzzes(to_query, rails_params)
@FUZZ
@given(query_params)
def test_query_params_round_trip_through_to_query(params):
    assert rails_params(parse_qsl(to_query(params), keep_blank_values=True)) == params


@fuzzes("include[] (rails_params)")
@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["include", "include[]", "include[x]", "include]["]),
            st.text(max_size=15),
        ),
        max_size=6,
    )
)
def test_include_lists_parse_to_a_string_list_or_a_hash(pairs):
    include = rails_params(pairs).get("include", [])
    assert isinstance(include, str | list | dict)
    if isinstance(include, list):
        assert include == [v for k, v in pairs if k == "include[]"][-len(include) :]


# -- ids ------------------------------------------------------------------------------------------

id_texts = st.one_of(
    number_texts(),
    st.integers(0, 40).map(str),
    st.integers(0, 40).map(lambda i: str(global_id(i))),
    st.integers(0, 40).map(lambda i: f"1~{i}"),
    st.tuples(st.integers(0, 3), st.integers(0, 40)).map(lambda t: f"{t[0]}~{t[1]}"),
    st.sampled_from(
        ["self", "sis_course_id:", "sis_user_id:", "sis_login_id:", "hex:sis_user_id:"]
    ).flatmap(lambda p: st.text(max_size=12).map(lambda s: p + s)),
    st.text(max_size=12).map(lambda s: "hex:sis_user_id:" + s.encode().hex()),
    st.text(max_size=20),
)


@fuzzes(find_id)
@FUZZ
@given(id_texts)
def test_find_ids_are_positive_local_ids_or_none(text):
    found = find_id(text)
    assert found is None or 0 <= found < SHARD_FACTOR  # 0: the global id of local row 0


@fuzzes(api_find_course, api_find_user, api_find_assignment)
@FUZZ
@given(id_texts, st.sampled_from(["course", "user", "assignment"]))
@example("\u0661", "course")  # was course 1
def test_api_find_gives_an_existing_row_or_none(text, kind):
    if kind == "course":
        found, rows = api_find_course(STORE, text), STORE.courses
    elif kind == "user":
        found, rows = api_find_user(STORE, text, None), STORE.users
    else:
        found, rows = api_find_assignment(STORE, text), STORE.assignments
    assert found is None or found in rows
    stripped = text.strip()
    if found is not None and not stripped.startswith(("sis_", "hex:")):
        assert re.fullmatch(r"[0-9]+(~[0-9]+)?", stripped), "only ASCII digits name a row"


@fuzzes(global_id, local_id, api_find_course, api_find_user, api_find_assignment)
@FUZZ
@given(st.sampled_from(["course", "user", "assignment"]), st.data())
def test_every_id_form_of_a_row_finds_it(kind, data):
    rows = {"course": STORE.courses, "user": STORE.users, "assignment": STORE.assignments}[kind]
    row_id = data.draw(st.sampled_from(sorted(rows)))
    assert local_id(global_id(row_id)) == row_id
    for form in (str(row_id), str(global_id(row_id)), f"1~{row_id}", f" {row_id} "):
        if kind == "course":
            assert api_find_course(STORE, form) == row_id
        elif kind == "user":
            assert api_find_user(STORE, form, None) == row_id
        else:
            assert api_find_assignment(STORE, form) == row_id
    assert find_id(f"{row_id}abc") == row_id


@fuzzes(graphql_schema.legacy_id)
@FUZZ
@given(st.one_of(id_texts, scalars), st.sampled_from(["Course", "User", "Enrollment"]))
def test_graphql_ids_are_local_ids_or_none(raw, type_name):
    found = graphql_schema.legacy_id(raw, type_name)
    assert found is None or isinstance(found, int)
    if type(raw) is int and 0 <= raw < 10**12:
        assert graphql_schema.legacy_id(graphql_schema.relay_id(type_name, raw), type_name) == raw


# -- GraphQL documents ----------------------------------------------------------------------------

SCHEMA = graphql_schema.schema()
GRAPHQL_IDS = st.one_of(
    st.integers(0, 40).map(str),
    st.tuples(
        st.sampled_from(["Course", "User", "Enrollment", "Assignment", "Section", "Progress"]),
        st.integers(0, 40),
    ).map(lambda t: graphql_schema.relay_id(*t)),
    st.text(max_size=10),
)


def _literal(draw, type_) -> str:
    """A GraphQL literal for an input type, right most of the time and sometimes not."""
    if not isinstance(type_, GraphQLNonNull) and draw(st.integers(0, 9)) == 0:
        return "null"
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(named, GraphQLList):
        items = [_literal(draw, named.of_type) for _ in range(draw(st.integers(0, 3)))]
        return "[" + ", ".join(items) + "]"
    if draw(st.integers(0, 14)) == 0:  # the wrong kind of value
        return draw(st.sampled_from(["1", "1.5", '"x"', "true", "[]", "{}", "$v", "ENUM"]))
    if isinstance(named, GraphQLInputObjectType):
        fields = [
            f"{name}: {_literal(draw, field.type)}"
            for name, field in named.fields.items()
            if isinstance(field.type, GraphQLNonNull) or draw(st.booleans())
        ]
        return "{" + ", ".join(fields) + "}"
    if isinstance(named, GraphQLEnumType):
        return draw(st.sampled_from([*named.values, "nope"]))
    name = named.name
    if name == "ID":
        return json.dumps(draw(GRAPHQL_IDS))
    if name == "Int":
        return str(draw(st.one_of(st.integers(-5, 40), st.integers())))
    if name == "Float":
        return repr(draw(st.floats(allow_nan=False, allow_infinity=False)))
    if name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    return json.dumps(draw(st.text(max_size=10)))


def _selection(draw, type_, depth: int) -> str:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
        members = draw(
            st.lists(st.sampled_from(SCHEMA.get_possible_types(named)), max_size=2, unique=True)
        )
        own = _fields(draw, named, depth) if isinstance(named, GraphQLInterfaceType) else ""
        spreads = " ".join(f"... on {m.name} {{ {_fields(draw, m, depth)} }}" for m in members)
        return f"{{ __typename {own} {spreads} }}"
    return f"{{ {_fields(draw, named, depth)} }}"


def _fields(draw, named: GraphQLObjectType | GraphQLInterfaceType, depth: int) -> str:
    names = sorted(named.fields)
    if depth >= 3:
        names = [n for n in names if not _composite(named.fields[n].type)] or ["__typename"]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    parts = []
    for name in chosen:
        if name == "__typename":
            parts.append(name)
            continue
        field = named.fields[name]
        args = [
            f"{arg_name}: {_literal(draw, arg.type)}"
            for arg_name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) or draw(st.booleans())
        ]
        head = f"{name}({', '.join(args)})" if args else name
        parts.append(f"{head} {_selection(draw, field.type, depth + 1)}")
    return " ".join(parts)


def _composite(type_) -> bool:
    return isinstance(
        get_named_type(type_), GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
    )


@st.composite
def graphql_documents(draw) -> str:
    """A document of the schema's own fields and arguments, then perhaps mangled as text."""
    operation = draw(st.sampled_from(["query", "mutation"]))
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    document = f"{operation} {{ {_fields(draw, root, 0)} }}"
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(document)))
        cut = draw(st.integers(0, 3))
        document = document[:at] + draw(st.text(max_size=3)) + document[at + cut :]
    return document


@fuzzes("POST /api/graphql")
@FUZZ
@given(
    document=st.one_of(graphql_documents(), st.text(max_size=60)),
    variables=st.one_of(st.none(), json_values, st.text(max_size=20)),
    form=st.booleans(),
    who=st.sampled_from(WHO),
)
@example(document="{ node(id: 1e400) { id } }", variables=None, form=False, who="admin")
@example(document="{ __typename }", variables="[" * 100_000, form=True, who="admin")  # was a 500
def test_graphql_documents_answer_graphql_or_canvas_errors(document, variables, form, who):
    params = {"query": document}
    if variables is not None:
        params["variables"] = variables
    if form:
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        response = CLIENT.post("/api/graphql", data=data, headers=bearer(who))
    else:
        response = CLIENT.post(
            "/api/graphql",
            data=json.dumps(params),
            content_type="application/json",
            headers=bearer(who),
        )
    assert_canvas_answer(response, (200, 400))
    body = response.get_json()
    if response.status_code == 200:
        assert "errors" in body or "data" in body
        assert set(body) <= {"data", "errors"}


# -- scenario files -------------------------------------------------------------------------------

SCENARIO_DIR = Path(scenario.resolve("tiny")).parent
BUNDLED = {
    name: json.loads((SCENARIO_DIR / f"{name}.json").read_text()) for name in ("tiny", "gradebook")
}
NEAR_VALUES = st.one_of(
    json_values,
    grade_texts(),
    time_texts(),
    st.sampled_from(
        [
            "alice",
            "bob",
            "teacher",
            "admin",
            "bio101",
            "hw1",
            "root_account",
            "student",
            "ta",
            "points",
            "pass_fail",
            "letter_grade",
            -1,
            0,
            1e9,
            10**20,
        ]
    ),
)


def _slots(document, into=None):
    """Every (container, key) of a JSON document, depth first."""
    into = [] if into is None else into
    if isinstance(document, dict):
        for key, value in document.items():
            into.append((document, key))
            _slots(value, into)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            into.append((document, index))
            _slots(value, into)
    return into


@st.composite
def near_valid(draw, documents: dict) -> dict:
    """A bundled document with a few values replaced, removed, duplicated or added."""
    document = copy.deepcopy(documents[draw(st.sampled_from(sorted(documents)))])
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(_slots(document)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "add"]))
        if action == "replace":
            container[key] = draw(NEAR_VALUES)
        elif action == "delete":
            del container[key]
        elif action == "duplicate" and isinstance(container, list):
            container.append(copy.deepcopy(container[key]))
        elif isinstance(container, dict):
            container[draw(st.text(max_size=8))] = draw(NEAR_VALUES)
    return document


def _build_or_scenario_error(data) -> None:
    try:
        loaded = scenario.load(data)
        loaded.build(loaded.now or datetime(2026, 11, 2, 16, tzinfo=UTC))
    except scenario.ScenarioError as error:
        assert error.problems
        assert all(problem.path.startswith("$") for problem in error.problems), error


@fuzzes(scenario.load)
@FUZZ
@given(
    st.one_of(near_valid(BUNDLED), st.dictionaries(st.text(max_size=10), json_values, max_size=6))
)
def test_scenarios_load_and_build_or_raise_scenario_error(data):
    _build_or_scenario_error(data)


_FILES = tempfile.TemporaryDirectory(prefix="mockcanvas-fuzz-")


@fuzzes("scenario files (JSON, TOML)")
@FUZZ
@given(
    st.one_of(
        st.binary(max_size=60),
        st.text(max_size=60).map(str.encode),
        near_valid(BUNDLED).map(lambda d: json.dumps(d).encode()),
        st.integers(1, 100_000).map(lambda n: b"[" * n),
        st.text("[]{}=\"'. \nabc123-:", max_size=60).map(str.encode),
    ),
    st.sampled_from([".json", ".toml"]),
)
@example(b"[" * 100_000, ".json")
@example(b"a = " + b"[" * 100_000, ".toml")
def test_scenario_files_load_or_raise_scenario_error(raw, suffix):
    path = Path(_FILES.name) / f"fuzzed{suffix}"
    path.write_bytes(raw)
    try:
        _build_or_scenario_error(str(path))
    finally:
        path.unlink()


# -- control bodies -------------------------------------------------------------------------------

_BODY_KEYS = {
    "/_mockcanvas/clock": ["set", "advance", "freeze", "unfreeze"],
    "/_mockcanvas/faults": [
        "kind",
        "path",
        "regex",
        "method",
        "status",
        "body",
        "headers",
        "latency_ms",
        "probability",
        "count",
    ],
    "/_mockcanvas/throttle": [
        "enabled",
        "high_water_mark",
        "maximum",
        "outflow",
        "up_front_cost",
        "extra_cost",
    ],
}


@st.composite
def control_bodies(draw, keys: list[str]) -> bytes:
    """JSON objects of the route's own fields with any values, or anything else at all."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=30))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    if kind == 2:
        return b"[" * draw(st.integers(1, 100_000))
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True))
    values = st.one_of(NEAR_VALUES, number_texts(), st.sampled_from([True, 0.5, 1, 500, "*"]))
    return json.dumps({k: draw(values) for k in chosen}).encode()


@fuzzes("POST /_mockcanvas/clock, /faults, /throttle")
@FUZZ
@given(
    st.sampled_from(sorted(_BODY_KEYS)).flatmap(
        lambda p: st.tuples(st.just(p), control_bodies(_BODY_KEYS[p]))
    )
)
@example(("/_mockcanvas/clock", b'{"advance": 1' + b"0" * 400 + b"}"))
@example(("/_mockcanvas/throttle", b'{"outflow": 1' + b"0" * 400 + b"}"))
@example(("/_mockcanvas/faults", b'{"path": "/x", "latency_ms": 1' + b"0" * 400 + b"}"))
def test_control_bodies_answer_400_and_change_nothing(route_body):
    route, body = route_body
    before = CONTROL_CLIENT.get(route).get_json()
    response = CONTROL_CLIENT.post(route, data=body, content_type="application/json")
    assert_canvas_answer(response, (200, 201, 400))
    if response.status_code == 400:
        assert set(response.get_json()) == {"message"}
        assert CONTROL_CLIENT.get(route).get_json() == before
    # Leave the instance as it was for the next example.
    CONTROL_CLIENT.delete("/_mockcanvas/faults", json={})
    CONTROL.clock.set(datetime(2026, 11, 2, 16, tzinfo=UTC))
    CONTROL_CLIENT.post("/_mockcanvas/throttle", json=ThrottleConfig().to_json())


@fuzzes(fault_service.parse_fault)
@FUZZ
@given(
    st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(_BODY_KEYS["/_mockcanvas/faults"]), NEAR_VALUES),
    )
)
def test_faults_parse_or_raise_bad_request(spec):
    with contextlib.suppress(BadRequest):
        fault = fault_service.parse_fault(spec, 1)
        assert fault.to_json()["id"] == 1


@fuzzes(ThrottleConfig.updated)
@FUZZ
@given(
    st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(_BODY_KEYS["/_mockcanvas/throttle"]), NEAR_VALUES),
    )
)
def test_throttle_settings_parse_or_raise_bad_request(changes):
    with contextlib.suppress(BadRequest):
        config = ThrottleConfig().updated(changes)
        assert 0 < config.high_water_mark <= config.maximum
        assert ThrottleConfig().updated(config.to_json()) == config


_SPEC_KEYS = [
    "kind",
    "url",
    "queue_url",
    "path",
    "region",
    "endpoint_url",
    "signed",
    "format",
    "name",
    "max_attempts",
    "timeout",
    "backoff",
    "queue_size",
]
URLS = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda s, h, r: f"{s}://{h}{r}",
        st.sampled_from(["http", "https", "ftp", ""]),
        st.text(string.ascii_letters + ".:@[]%0123456789", max_size=20),
        st.text(max_size=10),
    ),
)


@fuzzes(registry.parse_spec)
@FUZZ
@given(
    st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(_SPEC_KEYS), st.one_of(NEAR_VALUES, URLS)),
        st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["webhook", "sqs", "jsonl"]),
                "url": URLS,
                "queue_url": URLS,
                "path": st.text(max_size=10),
            }
        ),
    )
)
def test_subscription_specs_parse_or_raise_bad_request(spec):
    with contextlib.suppress(BadRequest):
        parsed = registry.parse_spec(spec)
        assert registry.parse_spec(parsed) == parsed


@fuzzes(check_url)
@FUZZ
@given(URLS)
@example("http://[::1")
@example("http://host:99999/")
def test_webhook_urls_are_checked_or_refused(url):
    with contextlib.suppress(ValueError):
        assert check_url(url) == url


@fuzzes("POST /_mockcanvas/subscriptions")
@FUZZ
@given(control_bodies(_SPEC_KEYS))
def test_subscription_bodies_answer_canvas_statuses(body):
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and "path" in data:  # files go only where this test says
        data["path"] = str(Path(_FILES.name) / "events.jsonl")
        body = json.dumps(data).encode()
    response = CONTROL_CLIENT.post(
        "/_mockcanvas/subscriptions", data=body, content_type="application/json"
    )
    assert_canvas_answer(response, (201, 400))
    if response.status_code == 201:
        assert (
            CONTROL_CLIENT.delete(
                f"/_mockcanvas/subscriptions/{response.get_json()['id']}"
            ).status_code
            == 200
        )


EXPORT = state.export_state(CONTROL)


@fuzzes(state.import_state)
@FUZZ
@given(st.one_of(near_valid({"export": EXPORT}), json_values))
def test_state_imports_apply_or_raise_bad_request_changing_nothing(data):
    state.import_state(CONTROL, EXPORT)
    try:
        state.import_state(CONTROL, data)
    except BadRequest:
        assert state.export_state(CONTROL) == EXPORT
    state.import_state(CONTROL, EXPORT)


@fuzzes("PUT /_mockcanvas/state")
@FUZZ
@given(control_bodies(sorted(EXPORT)), st.sampled_from(["", "true", "false", "TRUE", "yes"]))
def test_state_bodies_answer_canvas_statuses(body, baseline):
    query = {"baseline": baseline} if baseline else None
    response = CONTROL_CLIENT.put(
        "/_mockcanvas/state", data=body, content_type="application/json", query_string=query
    )
    assert_canvas_answer(response, (200, 400))
    state.import_state(CONTROL, EXPORT, baseline=True)


@fuzzes("GET /_mockcanvas/live_events, /requests (integer parameters)")
@FUZZ
@given(
    st.sampled_from(["/_mockcanvas/live_events", "/_mockcanvas/requests"]),
    st.dictionaries(
        st.sampled_from(["limit", "after", "user_id", "course_id", "path", "method", "event_name"]),
        number_texts(),
        max_size=3,
    ),
)
def test_control_query_integers_answer_canvas_statuses(route, query):
    response = CONTROL_CLIENT.get(route, query_string=query)
    assert_canvas_answer(response, (200, 400))


# -- command line ---------------------------------------------------------------------------------


_CLI = cli._parser()


def _parse_args(argv: list[str]) -> argparse.Namespace | None:
    """argparse's answer: a namespace, or None when it refused the line (exit status 2)."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return _CLI.parse_args(argv)
    except SystemExit as error:
        assert error.code == 2
        return None


@fuzzes(cli._instant)
@FUZZ
@given(st.sampled_from(["serve", "world", "simulate"]), time_texts())
@example("world", "0001-01-01T00:00:00+05:00")
@example("world", "9999-12-31T23:59:59-05:00")
def test_now_option_gives_a_usable_instant_or_a_usage_error(command, text):
    if text == "--":  # argparse itself turns "--now=--" into [] (Python 3.11), before our parser
        return
    args = _parse_args([command, f"--now={text}"])
    if args is not None:
        assert args.now.tzinfo is not None
        assert state.EARLIEST <= args.now.astimezone(UTC) <= state.LATEST


@fuzzes(simulate.parse_mix)
@FUZZ
@given(
    st.one_of(
        st.text(max_size=30),
        st.lists(
            st.tuples(
                st.sampled_from([*simulate.KINDS, "x", ""]),
                st.sampled_from(["=", ":", ""]),
                number_texts(),
            ),
            max_size=5,
        ).map(lambda parts: ",".join(f"{k}{s}{w}" for k, s, w in parts)),
    )
)
def test_mix_option_parses_or_is_a_usage_error(text):
    try:
        mix = simulate.parse_mix(text)
    except simulate.UsageError:
        assert _parse_args(["simulate", f"--mix={text}"]) is None
        return
    assert set(mix) == set(simulate.KINDS) and sum(mix.values()) > 0
    assert simulate.parse_mix(",".join(f"{k}={w}" for k, w in mix.items())) == mix


@fuzzes(simulate.parse_courses)
@FUZZ
@given(st.one_of(number_texts(), st.lists(number_texts(), max_size=4).map(",".join)))
@example("\u00b2")  # was a ValueError from int()
@example("0\x1d")  # was a ValueError from int(): the 10,000-example campaign
def test_courses_option_parses_or_is_a_usage_error(text):
    try:
        ids = simulate.parse_courses(text)
    except simulate.UsageError:
        return
    assert ids and all(isinstance(i, int) and i >= 1 for i in ids)
    assert simulate.parse_courses(",".join(map(str, ids))) == ids


@fuzzes("simulate --rate, --count, --duration, --queue-size, --drain-timeout")
@FUZZ
@given(
    st.sampled_from(["--rate", "--count", "--duration", "--queue-size", "--drain-timeout"]),
    number_texts(),
)
@example("--count", "9" * 5000)
@example("--rate", "nan")
@example("--count", "9" * 400)
def test_numeric_options_are_positive_finite_or_a_usage_error(option, text):
    if text == "--":  # argparse itself turns "--rate=--" into [] (Python 3.11), before our parser
        return
    args = _parse_args(["simulate", f"{option}={text}"])
    if args is not None:
        value = getattr(args, option[2:].replace("-", "_"))
        assert value >= 0 and (type(value) is int or math.isfinite(value))


@fuzzes(payloads.read_items)
@FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.integers(1, 100_000).map(lambda n: "[" * n),
        st.lists(st.text('{}[]"1a,: ', max_size=12), max_size=4).map("\n".join),
    ),
    st.booleans(),
)
def test_payload_files_read_or_are_unreadable(text, json_lines):
    with contextlib.suppress(payloads.Unreadable):
        for item in payloads.read_items(text, "f.json", json_lines=json_lines):
            assert item.label.startswith("f.json")


@fuzzes(normalize_base_url)
@FUZZ
@given(URLS)
@example("http:// ")  # was accepted with the host " ": the 10,000-example campaign
def test_base_urls_normalize_stably_or_raise_value_error(url):
    try:
        normal = normalize_base_url(url)
    except ValueError:
        return
    assert normalize_base_url(normal) == normal


def test_every_parser_is_fuzzed_once():
    assert len(PARSERS) == len(set(PARSERS))
    fuzz_tests = [
        name
        for name in globals()
        if name.startswith("test_") and name != "test_every_parser_is_fuzzed_once"
    ]
    assert len(fuzz_tests) == len(PARSERS)
