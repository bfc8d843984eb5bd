"""Turning scores into the grade strings Canvas stores on submissions and audit rows.

Clients compare these strings verbatim (``"85%"``, ``"B+"``, ``"complete"``), so they follow
``Assignment#score_to_grade`` and Canvas's default grading scheme rather than any local taste.
"""

from __future__ import annotations

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
