"""Bulk grading and Progress through the Canvas API (SubmissionsApiController#bulk_update).

``POST /api/v1/courses/:course_id/submissions/update_grades`` takes
``grade_data[<assignment_id>][<student_id>][posted_grade|excuse]``; the assignment-scoped
``POST .../assignments/:assignment_id/submissions/update_grades`` takes
``grade_data[<student_id>][...]``. Form-encoded, in the query string, or the same nesting in a JSON
body. The answer is a Progress; ``GET /api/v1/progress/:id`` reads it again.

Checks, in Canvas's order: the course (404), a user (401), ``grade_data`` present (400 with
Canvas's bare text ``'grade_data' parameter required``, which is not JSON although it is sent as
JSON), every assignment active in the course (404), every assignment published and the caller
allowed to manage grades (401). A body Rails cannot parse is 400 with Canvas's generic
``bad_request`` error. Everything after that is the job's business and shows in the Progress
(services/bulk_grading.py).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from .. import permissions
from ..errors import NotFound, Unauthorized
from ..instance import current_instance
from ..lookup import api_find_course, find_id
from ..models import Assignment, Course
from ..presenters import errors as bodies
from ..presenters.progress import progress_json
from ..services import bulk_grading
from ..services import progress as progresses
from .auth import authenticate, current_user
from .bodies import json_body, malformed_json
from .reading import consistent
from .responses import JSON_CONTENT_TYPE, canvas_json

blueprint = Blueprint("bulk_grading", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)

GRADE_DATA_REQUIRED = "'grade_data' parameter required"


class _BadParams(Exception):
    """Parameters Rails cannot parse (bad JSON, a key both a value and a hash): a 400."""


_NESTED = re.compile(r"\Agrade_data((?:\[[^\[\]]*\])+)\Z")


def _set(tree: dict, parts: list[str], value: str) -> None:
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise _BadParams()
        node = child
    if isinstance(node.get(parts[-1]), dict):
        raise _BadParams()
    node[parts[-1]] = value


def _grade_data() -> dict | None:
    """``grade_data`` as Rails parses it: from a JSON body, or nested form and query keys."""
    if request.is_json:
        if malformed_json():
            raise _BadParams()
        body = json_body()
        data = body.get("grade_data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else None
    tree: dict = {}
    for key, value in [*request.args.items(multi=True), *request.form.items(multi=True)]:
        match = _NESTED.match(key)
        if match:
            _set(tree, re.findall(r"\[([^\[\]]*)\]", match.group(1)), value)
    return tree


def _course(raw_course_id: str) -> Course:
    store = current_instance().store
    course_id = api_find_course(store, raw_course_id)
    if course_id is None:
        raise NotFound()
    return store.courses[course_id]


def _assignments(course: Course, raw_ids: list[str]) -> list[Assignment]:
    """``@context.assignments.active.find(ids)``: every id must name a live assignment here."""
    store = current_instance().store
    found = []
    for raw in raw_ids:
        assignment = store.assignments.get(find_id(str(raw)) or 0)
        if assignment is None or assignment.course_id != course.id or not assignment.active:
            raise NotFound()
        found.append(assignment)
    return found


def _bulk_update(raw_course_id: str, raw_assignment_id: str | None) -> Response:
    inst = current_instance()
    course = _course(raw_course_id)
    grader = current_user()
    if grader is None:
        raise Unauthorized()
    try:
        grade_data = _grade_data()
    except _BadParams:
        return canvas_json(bodies.generic("bad_request"), 400)
    if not grade_data:
        return Response(GRADE_DATA_REQUIRED, status=400, content_type=JSON_CONTENT_TYPE)
    if raw_assignment_id is not None:
        grade_data = {raw_assignment_id: grade_data}
    raw_ids = list(grade_data)
    assignments = _assignments(course, raw_ids)
    if not all(a.workflow_state == "published" for a in assignments) or not (
        permissions.can_manage_grades(inst.store, grader, course)
    ):
        raise Unauthorized()
    entries = [
        (assignment, grade_data[raw])
        for raw, assignment in zip(raw_ids, assignments, strict=True)
        if isinstance(grade_data[raw], dict)
    ]
    progress = bulk_grading.bulk_update(inst, grader, course, entries)
    return canvas_json(_present(progress))


def _present(progress: progresses.Progress) -> dict:
    return progress_json(
        progress,
        store=current_instance().store,
        viewer=current_user(),
        base_url=request.host_url.rstrip("/"),
    )


@blueprint.post("/courses/<course_id>/submissions/update_grades")
@consistent
def course_update_grades(course_id: str) -> Response:
    return _bulk_update(course_id, None)


@blueprint.post("/courses/<course_id>/assignments/<assignment_id>/submissions/update_grades")
@consistent
def assignment_update_grades(course_id: str, assignment_id: str) -> Response:
    return _bulk_update(course_id, assignment_id)


@blueprint.get("/progress/<progress_id>")
def show_progress(progress_id: str) -> Response:
    """``ProgressController#show``: its starter, account admins and the context's graders."""
    inst = current_instance()
    progress = progresses.find(inst, find_id(progress_id))
    viewer = current_user()
    if viewer is None:
        raise Unauthorized()
    course = inst.store.courses.get(progress.context_id)
    allowed = viewer.id == progress.user_id or (
        course is not None and permissions.can_manage_grades(inst.store, viewer, course)
    )
    if not allowed:
        raise Unauthorized()
    return canvas_json(_present(progress))
