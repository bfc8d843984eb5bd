"""Grading through the control API: the same write path as REST and GraphQL, without Canvas's forms.

For tests and tools that want a grade change without building a Canvas request. The acting user is
``grader_id`` (default: the course's first active teacher), so rights, audit rows and Live Events
are exactly those of a teacher grading through Canvas.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from ..errors import BadRequest, NotFound
from ..instance import current_instance
from ..jsonnum import whole
from ..models import User
from ..presenters.control_grading import write_result_json
from ..services import grading
from ..services.context import RequestContext
from ..store import Store
from .bodies import json_body
from .context import request_context
from .reading import consistent
from .responses import canvas_json

blueprint = Blueprint("control_grading", __name__, url_prefix="/_mockcanvas")

_INT_FIELDS = ("course_id", "assignment_id", "user_id", "grader_id")


def _body(allowed: set[str], required: set[str]) -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    missing = sorted(required - set(body))
    if missing:
        raise BadRequest(f"missing fields: {', '.join(missing)}")
    for name in _INT_FIELDS:
        if name in body:
            number = whole(body[name])
            if number is None or number < 1:
                raise BadRequest(f"{name} must be a positive integer")
            body[name] = number
    return body


def _grader(store: Store, body: dict, course_id: int) -> User:
    """The acting user: ``grader_id``, else the course's first active teacher."""
    if "grader_id" in body:
        user = store.users.get(body["grader_id"])
        if user is None:
            raise NotFound()
        return user
    for enrollment in store.course_enrollments(course_id):
        if enrollment.type == "TeacherEnrollment" and enrollment.workflow_state == "active":
            return store.users[enrollment.user_id]
    raise BadRequest("the course has no active teacher: give grader_id")


def _context(grader: User) -> RequestContext:
    """This request's context, acting as the grader (also for how errors name the caller)."""
    g.mockcanvas_user = grader
    return request_context()


def _respond(result: grading.WriteResult, viewer: User) -> Response:
    inst = current_instance()
    base_url = request.host_url.rstrip("/")
    return canvas_json(
        write_result_json(result, store=inst.store, viewer=viewer, base_url=base_url)
    )


@blueprint.post("/grades")
@consistent
def grade() -> Response:
    """``{"course_id", "assignment_id", "user_id", "posted_grade" | "excuse", "grader_id"?}``."""
    body = _body(
        {"course_id", "assignment_id", "user_id", "posted_grade", "excuse", "grader_id"},
        {"course_id", "assignment_id", "user_id"},
    )
    posted, excuse = body.get("posted_grade"), body.get("excuse")
    if posted is not None and (
        isinstance(posted, bool) or not isinstance(posted, str | int | float)
    ):
        raise BadRequest("posted_grade must be a string or a number")
    if excuse is not None and not isinstance(excuse, bool):
        raise BadRequest("excuse must be true or false")
    inst = current_instance()
    store = inst.store
    if body["course_id"] not in store.courses:
        raise NotFound()
    assignment = grading.gradable_assignment(store, body["course_id"], body["assignment_id"])
    grader = _grader(store, body, assignment.course_id)
    result = grading.grade(
        inst,
        _context(grader),
        assignment,
        body["user_id"],
        posted_grade=None if posted is None else str(posted),
        excuse=excuse,
    )
    return _respond(result, grader)


@blueprint.post("/overrides")
@consistent
def override() -> Response:
    """``{"course_id", "user_id", "override_score": number | null, "grader_id"?}``."""
    body = _body({"course_id", "user_id", "override_score", "grader_id"}, {"course_id", "user_id"})
    score = body.get("override_score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise BadRequest("override_score must be a number or null")
    inst = current_instance()
    store = inst.store
    if body["course_id"] not in store.courses:
        raise NotFound()
    enrollment = grading.student_enrollment(store, body["course_id"], body["user_id"])
    grader = _grader(store, body, body["course_id"])
    score_value = None if score is None else float(score)
    result = grading.set_override_score(inst, _context(grader), enrollment, score_value)
    return _respond(result, grader)


@blueprint.post("/post_grades")
@consistent
def post_grades() -> Response:
    """``{"course_id", "assignment_id", "grader_id"?}``: post every graded, unposted grade."""
    body = _body({"course_id", "assignment_id", "grader_id"}, {"course_id", "assignment_id"})
    inst = current_instance()
    store = inst.store
    if body["course_id"] not in store.courses:
        raise NotFound()
    assignment = grading.gradable_assignment(store, body["course_id"], body["assignment_id"])
    grader = _grader(store, body, assignment.course_id)
    result = grading.post_grades(inst, _context(grader), assignment)
    return _respond(result, grader)
