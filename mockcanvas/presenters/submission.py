"""Submission API objects, as Canvas's ``Api::V1::Submission#submission_json`` renders them.

Who sees the grade follows ``Submission#filter_attributes_for_user``: callers who cannot read it
(a student before the grade is posted) get no ``score``, ``grade``, ``entered_score`` or
``entered_grade`` keys at all. ``preview_url`` carries the student's global id and the
submission's version (none for an unsaved one); Canvas leaves it out while students are
anonymized. An unsaved submission (a student who never had one) renders with ``id`` null.

Deviations, one per line:
- ``anonymous_id`` is never sent (Canvas sends it to account admins): the store keeps none.
- ``grade_matches_current_submission`` is always true: the store does not track resubmissions.
- ``body``, ``url``, ``sticker``, ``extra_attempts``, ``late_policy_status``, ``points_deducted``,
  ``grading_period_id`` and ``custom_grade_status_id`` are null; ``redo_request`` is false.
- ``cached_due_date`` is the assignment's due date: the store has no overrides.
"""

from __future__ import annotations

from .. import timefmt
from ..ids import global_id
from ..models import Submission, User
from ..services import directory
from ..store import Store
from .assignment import anonymize_students

_HIDDEN_GRADE_KEYS = ("score", "grade", "entered_score", "entered_grade")


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def seconds_late(submission: Submission, due_at) -> int:
    """Whole seconds between the due date and a late submission; 0 when on time or unknown."""
    if not submission.late or submission.submitted_at is None or due_at is None:
        return 0
    return max(0, int((submission.submitted_at - due_at).total_seconds()))


def submission_json(
    submission: Submission, *, store: Store, viewer: User | None, base_url: str
) -> dict:
    """One submission as ``viewer`` sees it; ``base_url`` is the request's host URL."""
    tz = timefmt.zone_for(store, viewer)
    assignment = store.assignments[submission.assignment_id]
    body: dict[str, object] = {
        "id": submission.id,
        "user_id": submission.user_id,
        "url": None,
        "score": _float(submission.score),
        "grade": submission.grade,
        "excused": submission.excused,
        "attempt": submission.attempt,
        "submission_type": submission.submission_type,
        "submitted_at": timefmt.iso(submission.submitted_at, tz),
        "body": None,
        "assignment_id": submission.assignment_id,
        "graded_at": timefmt.iso(submission.graded_at, tz),
        "grade_matches_current_submission": True,
        "grader_id": submission.grader_id,
        "workflow_state": submission.workflow_state,
        "late_policy_status": None,
        "points_deducted": None,
        "grading_period_id": None,
        "cached_due_date": timefmt.iso(assignment.due_at, tz),
        "extra_attempts": None,
        "posted_at": timefmt.iso(submission.posted_at, tz),
        "redo_request": False,
        "sticker": None,
        "custom_grade_status_id": None,
        "late": submission.late,
        "missing": submission.missing,
        "seconds_late": seconds_late(submission, assignment.due_at),
        "entered_grade": submission.entered_grade,
        "entered_score": _float(submission.entered_score),
    }
    if not directory.can_read_grade(store, viewer, submission):
        for key in _HIDDEN_GRADE_KEYS:
            del body[key]
    if not anonymize_students(assignment):
        body["preview_url"] = preview_url(submission, base_url)
    return body


def preview_url(submission: Submission, base_url: str) -> str:
    """The submission's preview page; an unsaved submission has no version to name."""
    url = (
        f"{base_url}/courses/{submission.course_id}/assignments/{submission.assignment_id}"
        f"/submissions/{global_id(submission.user_id)}?preview=1"
    )
    return url if submission.id is None else f"{url}&version={submission.version_number}"
