"""Course scores of a student: a simplified Canvas grade calculator.

Canvas keeps four course scores per enrollment (current and final, each over posted grades only
and over all grades) and sends them in ``course_grade_change`` Live Events. This computes them from
the store the way Canvas's ``GradeCalculator`` does for the common case, without grading periods,
drop rules, late policies or "missing" statuses. The rules:

- Counted assignments are published (not deleted, not unpublished), not omitted from the final
  grade, and worth points (``points_possible > 0``).
- Excused submissions are left out entirely: neither their score nor their points count.
- The posted scores (``current_score``, ``final_score``) see only posted submissions
  (``posted_at`` set); an unposted grade counts as no grade there. The unposted scores see all.
- Current score: points scored over points possible of the graded assignments, in percent; None
  when nothing is graded. Final score: ungraded assignments count as zero, so it is 0.0 when
  there are assignments but nothing is graded, and None when nothing counts at all.
- With ``course.apply_assignment_group_weights``, each group's percentage is weighted by its
  ``group_weight`` over the groups that have counted points. As in Canvas, a total weight under
  100 is scaled up to 100, a total over 100 (extra-credit groups) is not scaled down, and a total
  of 0 gives no score.

Scores are percentages rounded to 2 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

from .store import Store


@dataclass(frozen=True, slots=True)
class CourseScores:
    """The four course scores of one enrollment, in percent (None when there is no score)."""

    current_score: float | None
    final_score: float | None
    unposted_current_score: float | None
    unposted_final_score: float | None


@dataclass(slots=True)
class _GroupTotals:
    posted_score: float = 0.0
    posted_possible: float = 0.0
    all_score: float = 0.0
    all_possible: float = 0.0
    final_possible: float = 0.0


def course_scores(store: Store, course_id: int, user_id: int) -> CourseScores:
    """The current, final, unposted current and unposted final scores of a student in a course."""
    course = store.courses[course_id]
    groups: dict[int, _GroupTotals] = {}
    for assignment in store.course_assignments(course_id):
        if (
            assignment.workflow_state != "published"
            or assignment.omit_from_final_grade
            or not assignment.points_possible
            or assignment.points_possible <= 0
        ):
            continue
        submission = store.submission_for(assignment.id, user_id)
        if submission is not None and submission.excused:
            continue
        totals = groups.get(assignment.assignment_group_id)
        if totals is None:
            totals = groups[assignment.assignment_group_id] = _GroupTotals()
        possible = float(assignment.points_possible)
        totals.final_possible += possible
        if submission is None or submission.score is None:
            continue
        totals.all_score += submission.score
        totals.all_possible += possible
        if submission.posted_at is not None:
            totals.posted_score += submission.score
            totals.posted_possible += possible

    if course.apply_assignment_group_weights:
        weights = {
            group.id: group.group_weight for group in store.course_assignment_groups(course_id)
        }
        ordered = [(weights.get(gid, 0.0), groups[gid]) for gid in groups]

        def combine(score_of: str, possible_of: str) -> float | None:
            return _weighted(ordered, score_of, possible_of)
    else:
        totals_list = list(groups.values())

        def combine(score_of: str, possible_of: str) -> float | None:
            return _unweighted(totals_list, score_of, possible_of)

    return CourseScores(
        current_score=combine("posted_score", "posted_possible"),
        final_score=combine("posted_score", "final_possible"),
        unposted_current_score=combine("all_score", "all_possible"),
        unposted_final_score=combine("all_score", "final_possible"),
    )


def _unweighted(groups: list[_GroupTotals], score_of: str, possible_of: str) -> float | None:
    possible = sum(getattr(g, possible_of) for g in groups)
    if possible <= 0:
        return None
    return round(sum(getattr(g, score_of) for g in groups) / possible * 100.0, 2)


def _weighted(
    groups: list[tuple[float, _GroupTotals]], score_of: str, possible_of: str
) -> float | None:
    grade = 0.0
    full_weight = 0.0
    counted = False
    for weight, totals in groups:
        possible = getattr(totals, possible_of)
        if possible <= 0:
            continue
        counted = True
        grade += getattr(totals, score_of) / possible * weight
        full_weight += weight
    if not counted or full_weight <= 0:
        return None
    if full_weight < 100:
        grade = grade * 100.0 / full_weight
    return round(grade, 2)
