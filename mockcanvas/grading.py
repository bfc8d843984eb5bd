"""Turning scores into the grade strings Canvas stores on submissions and audit rows.

Clients compare these strings verbatim (``"85%"``, ``"B+"``, ``"complete"``), so they follow
``Assignment#score_to_grade`` and Canvas's default grading scheme rather than any local taste.
"""

from __future__ import annotations

import re
from decimal import Decimal

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
    grading_type: str, score: float | None, points_possible: float | None
) -> str | None:
    """The grade string Canvas stores for ``score`` on an assignment of this grading type.

    Follows the newest ``Assignment#score_to_grade``: pass/fail is "complete" for any positive
    score when the assignment is worth points (older Canvas required full points), and the
    letter and GPA schemes compare the exact decimal percentage, as Canvas does with BigDecimal.
    """
    if score is None or grading_type == "not_graded":
        return None
    possible = float(points_possible or 0.0)
    worth_points = possible > 0
    if grading_type == "points":
        return format_number(score)
    if grading_type == "percent":
        percent = score / possible * 100.0 if worth_points else float(score)
        return format_number(percent) + "%"
    if grading_type == "pass_fail":
        # A zero-point pass/fail assignment keeps whatever grade was entered; from a bare score
        # Canvas cannot tell, and calls it incomplete.
        return "complete" if worth_points and score > 0 else "incomplete"
    if grading_type in ("letter_grade", "gpa_scale"):
        scheme = LETTER_SCHEME if grading_type == "letter_grade" else GPA_SCHEME
        if worth_points:
            exact = Decimal(repr(float(score))) / Decimal(repr(possible)) * _HUNDRED
            return scheme_grade(scheme, exact)
        return scheme_grade(scheme, float(score))
    raise ValueError(f"unknown grading type {grading_type!r}")


class InvalidGrade(ValueError):
    """A posted grade that means nothing for the assignment's grading type."""


# re.ASCII: Ruby's \d, so "\u0668\u0665" is no number, as in Canvas.
_NUMBER = re.compile(r"\A\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\Z", re.ASCII)
_PERCENT = re.compile(r"\A\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*\Z", re.ASCII)
_PASS = frozenset({"complete", "pass"})
_FAIL = frozenset({"incomplete", "fail"})


def _scheme_score(
    scheme: tuple[tuple[str, float], ...], name: str, possible: float
) -> float | None:
    """A scheme grade as a score: the top of its range (100% for the best grade).

    Canvas's GradingStandard#grade_to_score works from the range's top; the exact value for
    grades below the best one (the next cutoff minus one point) is inferred, not verified.
    """
    names = [entry for entry, _ in scheme]
    try:
        index = [n.lower() for n in names].index(name.strip().lower())
    except ValueError:
        return None
    percent = 100.0 if index == 0 else scheme[index - 1][1] - 1.0
    return round(percent / 100.0 * possible, 2)


def parse_posted_grade(
    grading_type: str, posted: str, points_possible: float | None
) -> tuple[float | None, str | None]:
    """``submission[posted_grade]`` -> (score, grade), as Assignment#grade_to_score reads it.

    Numbers are points, ``"85%"`` is a percentage of points possible, letter and GPA grades use
    Canvas's default schemes, pass/fail takes complete/incomplete (or pass/fail). As in
    Canvas's ``interpret_grade``, exactly ``complete``/``pass`` (full points) and
    ``incomplete``/``fail`` (zero) are read on every graded type, not only pass/fail. A blank
    grade clears the grade. Anything else raises InvalidGrade.
    """
    possible = float(points_possible or 0.0)
    text = posted.strip()
    if text == "":
        return None, None
    score: float | None = None
    if grading_type == "pass_fail":
        if text.lower() in _PASS:
            score = possible
        elif text.lower() in _FAIL:
            score = 0.0
    elif text in _PASS:  # case-sensitive here, as Canvas's `when "pass", "complete"`
        score = possible
    elif text in _FAIL:
        score = 0.0
    elif grading_type in ("letter_grade", "gpa_scale"):
        scheme = LETTER_SCHEME if grading_type == "letter_grade" else GPA_SCHEME
        score = _scheme_score(scheme, text, possible)
    if score is None:
        percent = _PERCENT.match(text)
        number = _NUMBER.match(text)
        if percent:
            score = round(float(percent.group(1)) / 100.0 * possible, 2)
        elif number and grading_type == "percent":
            score = round(float(number.group(1)) / 100.0 * possible, 2)
        elif number:
            score = float(number.group(1))
    if score is None or grading_type == "not_graded":
        raise InvalidGrade(f"{posted!r} is not a grade for a {grading_type} assignment")
    if possible <= 0:
        # Canvas's score_to_grade keeps the grade entered on a zero-point pass/fail, letter or GPA
        # assignment: its score (0) could be any grade. Without this, "complete" became
        # "incomplete" and "B" became "F".
        named = _named_grade(grading_type, text)
        if named is not None:
            return score, named
    return score, grade_for_score(grading_type, score, possible)


def _named_grade(grading_type: str, text: str) -> str | None:
    """The grade ``text`` names on this grading type, spelled as Canvas stores it; else None."""
    lowered = text.lower()
    if grading_type == "pass_fail":
        return "complete" if lowered in _PASS else "incomplete" if lowered in _FAIL else None
    if grading_type in ("letter_grade", "gpa_scale"):
        scheme = LETTER_SCHEME if grading_type == "letter_grade" else GPA_SCHEME
        return next((name for name, _ in scheme if name.lower() == lowered), None)
    return None
