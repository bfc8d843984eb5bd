"""Turning scores into the grade strings Canvas stores on submissions and audit rows.

Clients compare these strings verbatim (``"85%"``, ``"B+"``, ``"complete"``), so they follow
``Assignment#score_to_grade`` and Canvas's default grading scheme rather than any local taste.
"""

from __future__ import annotations

import re
from decimal import Decimal

from . import rubyfloat

# Canvas's default grading scheme: (name, lower bound in percent), best first.
LETTER_SCHEME: tuple[tuple[str, float], ...] = (
    ("A", 94.0),
    ("A-", 90.0),
    ("B+", 87.0),
    ("B", 84.0),
    ("B-", 80.0),
    ("C+", 77.0),
    ("C", 74.0),
    ("C-", 70.0),
    ("D+", 67.0),
    ("D", 64.0),
    ("D-", 61.0),
    ("F", 0.0),
)

# The 4.0 GPA scheme the seeded gpa_scale assignments use, same bounds as the letter scheme.
GPA_SCHEME: tuple[tuple[str, float], ...] = (
    ("4.0", 94.0),
    ("3.7", 90.0),
    ("3.3", 87.0),
    ("3.0", 84.0),
    ("2.7", 80.0),
    ("2.3", 77.0),
    ("2.0", 74.0),
    ("1.7", 70.0),
    ("1.3", 67.0),
    ("1.0", 64.0),
    ("0.7", 61.0),
    ("0.0", 0.0),
)

GRADING_TYPES = ("points", "percent", "letter_grade", "pass_fail", "gpa_scale", "not_graded")

_HUNDRED = Decimal(100)


def format_number(value: float, digits: int = 2) -> str:
    """A number as Canvas prints grades: whole numbers without ``.0``, at most ``digits`` decimals.

    ``8.0 -> "8"``, ``8.5 -> "8.5"``, ``8.256 -> "8.26"``.
    """
    rounded = round(float(value), digits)
    if rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.{digits}f}".rstrip("0")


def percent_string(value: float) -> str:
    """Canvas's ``I18n.n(value, percentage: true)``: up to 9 decimals, no trailing zeros.

    ``90.0 -> "90%"``, ``92.5 -> "92.5%"``; this is how override rows show a score without a grade.
    """
    return format_number(value, 9) + "%"


def scheme_grade(scheme: tuple[tuple[str, float], ...], percent: float | Decimal) -> str:
    """The name of the best scheme entry whose lower bound the percentage reaches."""
    for name, lower in scheme:
        if percent >= lower:
            return name
    return scheme[-1][0]


def grade_for_score(
    grading_type: str,
    score: float | None,
    points_possible: float | None,
    given_grade: str | None = None,
) -> str | None:
    """The grade string Canvas stores for ``score``: ``Assignment#score_to_grade``.

    Points print as Ruby prints the float (``"8.256"``, unrounded); percentages round to two
    decimals as ``Float#round`` does; pass/fail is "complete" for any positive score when the
    assignment is worth points; the letter and GPA schemes compare the exact decimal percentage,
    as Canvas does with BigDecimal. On an assignment worth no points, the score says nothing
    about the grade, so pass/fail and scheme grades keep ``given_grade`` (what was posted).
    """
    if score is None or grading_type == "not_graded":
        return None
    possible = float(points_possible or 0.0)
    worth_points = possible > 0
    if grading_type == "points":
        return rubyfloat.round_if_whole(float(score))
    if grading_type == "percent":
        if worth_points:
            return (
                rubyfloat.round_if_whole(rubyfloat.round_half_up(score / possible * 100.0, 2)) + "%"
            )
        return rubyfloat.round_if_whole(float(score)) + "%"
    if grading_type == "pass_fail":
        if worth_points:
            return "complete" if score > 0 else "incomplete"
        return "complete" if given_grade in _PASS else "incomplete"
    if grading_type in ("letter_grade", "gpa_scale"):
        scheme = LETTER_SCHEME if grading_type == "letter_grade" else GPA_SCHEME
        if worth_points:
            exact = Decimal(repr(float(score))) / Decimal(repr(possible)) * _HUNDRED
            return scheme_grade(scheme, exact)
        if given_grade is not None:
            return given_grade
        return scheme_grade(scheme, float(score))
    raise ValueError(f"unknown grading type {grading_type!r}")


class InvalidGrade(ValueError):
    """A posted grade that means nothing for the assignment's grading type (strict mode)."""


# Assignment#interpret_grade's patterns. Ruby's ^ and $ match at every line, so a grade with a
# line that is a number is read as one (through String#to_f of the whole text); \d is ASCII only.
# Canvas writes them ``^[+-]?\d*\.?\d+$``, whose ``\d*`` and ``\d+`` share the digits: on a line
# of n digits and an "x" Python's re tries every split, O(n^2) under the write lock. The same
# language as one unambiguous alternation (digits with an optional fraction, or a bare fraction)
# with possessive runs never backtracks into the digits, so a line costs O(its length).
_NUMBER = re.compile(r"^[+-]?(?:\d++(?:\.\d++)?|\.\d++)$", re.ASCII | re.MULTILINE)
_PERCENT = re.compile(r"^[+-]?(?:\d++(?:\.\d++)?|\.\d++)%$", re.ASCII | re.MULTILINE)
# GradingStandard#place_in_scheme compares keys that look like numbers as numbers (Canvas's
# ``\A(\d*[.])?\d+\n?\z``; possessive, as a key with a point cannot also match without it).
_SCHEME_NUMBER = re.compile(r"\A(?:\d*+[.])?+\d++\n?\Z", re.ASCII)
_PASS = frozenset({"complete", "pass"})
_FAIL = frozenset({"incomplete", "fail"})
_POINTED = frozenset({"points", "percent", "letter_grade", "gpa_scale"})


def _place_in_scheme(scheme: tuple[tuple[str, float], ...], key: str) -> int | None:
    """GradingStandard#place_in_scheme: numeric keys by value, others case-insensitively, and a
    trailing minus sign (U+2212) read as a hyphen."""
    if _SCHEME_NUMBER.match(key):
        wanted = Decimal(key.strip())
        for index, (name, _) in enumerate(scheme):
            if _SCHEME_NUMBER.match(name) and Decimal(name) == wanted:
                return index
        return None
    folded = [name.casefold() for name, _ in scheme]
    for candidate in (key, key[:-1] + "-" if len(key) > 1 and key.endswith("\u2212") else None):
        if candidate is not None and candidate.casefold() in folded:
            return folded.index(candidate.casefold())
    return None


def _scheme_percent(scheme: tuple[tuple[str, float], ...], key: str) -> Decimal | None:
    """GradingStandard#grade_to_score: the top of the grade's range, as a percentage (100 for the
    best grade, else one point under the next cutoff up; a tenth when the cutoffs are closer)."""
    index = _place_in_scheme(scheme, key)
    if index is None:
        return None
    if index == 0:
        return Decimal(100)
    above, here = Decimal(repr(scheme[index - 1][1])), Decimal(repr(scheme[index][1]))
    step = Decimal(1) if abs(above - here) >= 1 else Decimal("0.1")
    return above - step


def _interpret(grading_type: str, text: str, possible: float | None) -> float | None:
    """Assignment#interpret_grade: a percentage, a number (on a scheme, a scheme key first), the
    exact words pass/complete/fail/incomplete, a scheme grade; None when it is none of these."""
    scheme = {"letter_grade": LETTER_SCHEME, "gpa_scale": GPA_SCHEME}.get(grading_type)
    points = Decimal(repr(float(possible or 0.0)))
    if _PERCENT.search(text):
        return float(points * (Decimal(repr(rubyfloat.to_f(text))) / _HUNDRED))
    if _NUMBER.search(text):
        percent = _scheme_percent(scheme, text) if scheme else None
        if percent is not None:
            return float(points * percent / _HUNDRED)
        return rubyfloat.to_f(text)
    if text in _PASS:  # case-sensitive, as Canvas's `when "pass", "complete"`
        return float(possible or 0.0)
    if text in _FAIL:
        return 0.0
    percent = _scheme_percent(scheme, text) if scheme else None
    return float(points * percent / _HUNDRED) if percent is not None else None


def parse_posted_grade(
    grading_type: str, posted: str, points_possible: float | None, *, strict: bool = False
) -> tuple[float | None, str | None]:
    """``submission[posted_grade]`` -> (score, grade), as Canvas's ``compute_grade_and_score``
    and the submission's ``infer_values`` leave them.

    Numbers are points, ``"85%"`` is a percentage of points possible, letter and GPA grades use
    Canvas's default schemes, and ``complete``/``pass`` (full points) and ``incomplete``/``fail``
    (zero) are read on every graded type. A grade Canvas cannot read is stored as no grade at all
    (``grade = nil unless score``), the same as a blank one, except on pass/fail where it reads as
    zero (``nil.to_f``), "incomplete". ``strict`` raises InvalidGrade for such a grade instead.
    """
    if posted.strip() == "":  # Ruby's blank?: no grade, no score
        return None, None
    parsed = _interpret(grading_type, posted, points_possible)
    if grading_type in _POINTED:
        score = parsed
    elif grading_type == "pass_fail":  # full points or none; anything else is no grade
        value = parsed if parsed is not None else 0.0
        score = (
            float(points_possible)
            if points_possible is not None and value == float(points_possible)
            else 0.0
            if value == 0.0
            else None
        )
    else:  # not_graded
        score = None
    if strict and (parsed is None or score is None):
        raise InvalidGrade(f"{posted!r} is not a grade for a {grading_type} assignment")
    if score is None:
        return None, None
    return score, grade_for_score(grading_type, score, points_possible, posted)
