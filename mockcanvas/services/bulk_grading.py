"""Grading many submissions in one job, as ``Submission.process_bulk_update`` does.

The work runs under a job context (``job_id``, ``job_tag`` "Submission.process_bulk_update", no
request fields), each grade through the one write path, so every change writes its audit row and
its Live Events exactly as a single grade does. Rules:

- Students are looked up among those the grader may see (``students_visible_to``), by id, global
  id or SIS id. As in Canvas, students not found are skipped, the others are graded, and the
  Progress ends "failed" with "Couldn't find User(s) with API ids '7', '8'".
- Every posted grade is checked before anything is written (the mock's rule: Canvas has no such
  check and fails inside the job). One invalid grade fails the Progress and changes nothing.
- An entry with neither ``posted_grade`` nor ``excuse`` changes nothing (comments and rubric
  assessments are not modelled). ``excuse`` reads like ``Canvas::Plugin.value_to_boolean``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import permissions
from ..errors import BadRequest, NotFound
from ..instance import Instance
from ..lookup import api_find_user
from ..models import Assignment, Course, User
from . import grading
from . import progress as progresses
from .progress import Progress

TAG = "submissions_update"
_TRUE = frozenset({"yes", "true", "on", "1"})


@dataclass(frozen=True)
class _Change:
    assignment: Assignment
    student_id: int
    posted_grade: str | None
    excuse: bool | None


def value_to_boolean(value: object) -> bool | None:
    """``Canvas::Plugin.value_to_boolean``: true words are true, other text false, nil stays nil."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in _TRUE


def bulk_update(
    inst: Instance,
    grader: User,
    course: Course,
    grade_data: Sequence[tuple[Assignment, Mapping[str, object]]],
) -> Progress:
    """Queue and run the job; returns its Progress, finished ("completed" or "failed")."""
    progress = progresses.create(inst, tag=TAG, context_id=course.id, user=grader)
    return progresses.run(inst, progress, lambda p: _process(inst, p, grader, course, grade_data))


def _student(inst: Instance, raw_id: str, visible: set[int], course: Course) -> int | None:
    user_id = api_find_user(inst.store, str(raw_id), None)
    if user_id is None or user_id not in visible:
        return None
    try:
        grading.student_enrollment(inst.store, course.id, user_id)
    except NotFound:
        return None
    return user_id


def _process(
    inst: Instance,
    progress: Progress,
    grader: User,
    course: Course,
    grade_data: Sequence[tuple[Assignment, Mapping[str, object]]],
) -> None:
    visible = permissions.visible_student_ids(inst.store, grader, course)
    changes: list[_Change] = []
    missing: list[str] = []
    invalid: list[str] = []
    for assignment, user_grades in grade_data:
        for raw_id, data in user_grades.items():
            student_id = _student(inst, raw_id, visible, course)
            if student_id is None:
                missing.append(str(raw_id))
                continue
            if not isinstance(data, Mapping):
                continue
            posted = data.get("posted_grade")
            excuse = value_to_boolean(data["excuse"]) if "excuse" in data else None
            if posted is None and excuse is None:
                continue
            if posted is not None:
                if isinstance(posted, bool) or not isinstance(posted, str | int | float):
                    invalid.append(f"{posted!r} for User with API id '{raw_id}'")
                    continue
                posted = str(posted)
                try:
                    grading.parse_grade(assignment, posted, strict=inst.settings.strict_grades)
                except BadRequest:
                    invalid.append(f"{posted!r} for User with API id '{raw_id}'")
                    continue
            changes.append(_Change(assignment, student_id, posted, excuse))
    not_found = (
        "Couldn't find User(s) with API ids " + ", ".join(f"'{i}'" for i in missing)
        if missing
        else None
    )
    if invalid:
        message = "Invalid grade(s), nothing was changed: " + "; ".join(invalid)
        progresses.fail(inst, progress, f"{message}. {not_found}" if not_found else message)
        return
    ctx = progresses.job_context(progress, progresses.BULK_UPDATE_JOB_TAG, grader)
    for change in changes:
        grading.grade(
            inst,
            ctx,
            change.assignment,
            change.student_id,
            posted_grade=change.posted_grade,
            excuse=change.excuse,
        )
    if not_found:
        progresses.fail(inst, progress, not_found)
