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

# Scores, points and weights beyond this are refused (a posted grade, an override, a state
# import): past it, course scores can overflow to infinity, which JSON cannot carry (Canvas
# stores doubles and would fail to render them).
MAX_SCORE = 1e15
# The smallest non-zero magnitude an imported number may have: points possible and weights
# divide, and a score over a tinier one could overflow too.
MIN_MAGNITUDE = 1e-6


@dataclass(frozen=True, slots=True)
class CourseScores:
    """The four course scores of one enrollment, in percent (None when there is no score)."""

    current_score: float | None
    final_score: float | None
    unposted_current_score: float | None
    unposted_final_score: float | None


def course_scores(store: Store, course_id: int, user_id: int) -> CourseScores:
    """The current, final, unposted current and unposted final scores of a student in a course.

    Runs after every grade change, so it is written for speed: one pass over the course's
    assignments with a dict lookup each, totals kept per group in a small list.
    """
    course = store.courses[course_id]
    submission_for = store.submission_for
    # Per group: [posted score, posted possible, all score, all possible, final possible].
    groups: dict[int, list[float]] = {}
    for assignment in store.course_assignments(course_id):
        possible = assignment.points_possible
        if (
            not possible
            or possible <= 0
            or assignment.workflow_state != "published"
            or assignment.omit_from_final_grade
        ):
            continue
        submission = submission_for(assignment.id, user_id)
        if submission is not None and submission.excused:
            continue
        totals = groups.get(assignment.assignment_group_id)
        if totals is None:
            totals = groups[assignment.assignment_group_id] = [0.0, 0.0, 0.0, 0.0, 0.0]
        possible = float(possible)
        totals[4] += possible
        if submission is None or submission.score is None:
            continue
        totals[2] += submission.score
        totals[3] += possible
        if submission.posted_at is not None:
            totals[0] += submission.score
            totals[1] += possible

    if course.apply_assignment_group_weights:
        weights = {
            group.id: group.group_weight for group in store.course_assignment_groups(course_id)
        }
        weighted = [(weights.get(gid, 0.0), totals) for gid, totals in groups.items()]
        return CourseScores(
            current_score=_weighted(weighted, 0, 1),
            final_score=_weighted(weighted, 0, 4),
            unposted_current_score=_weighted(weighted, 2, 3),
            unposted_final_score=_weighted(weighted, 2, 4),
        )
    sums = [sum(column) for column in zip(*groups.values(), strict=True)] or [0.0] * 5
    return CourseScores(
        current_score=_percent(sums[0], sums[1]),
        final_score=_percent(sums[0], sums[4]),
        unposted_current_score=_percent(sums[2], sums[3]),
        unposted_final_score=_percent(sums[2], sums[4]),
    )


def _percent(score: float, possible: float) -> float | None:
    return None if possible <= 0 else round(score / possible * 100.0, 2)


def _weighted(groups: list[tuple[float, list[float]]], score_at: int, possible_at: int):
    grade = 0.0
    full_weight = 0.0
    counted = False
    for weight, totals in groups:
        possible = totals[possible_at]
        if possible <= 0:
            continue
        counted = True
        grade += totals[score_at] / possible * weight
        full_weight += weight
    if not counted or full_weight <= 0:
        return None
    if full_weight < 100:
        grade = grade * 100.0 / full_weight
    return round(grade, 2)
