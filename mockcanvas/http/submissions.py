"""Grading through the Canvas API: ``PUT .../submissions/:user_id`` into the one write path.

Takes ``submission[posted_grade]`` and ``submission[excuse]`` form-encoded, or the same nested in a
JSON body, and answers Canvas Submission JSON.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.exceptions import BadRequest as MalformedBody

from ..errors import BadRequest, NotFound
from ..instance import current_instance
from ..lookup import api_find_assignment, api_find_course, api_find_user
from ..presenters.submission import submission_json
from ..services import grading
from .auth import authenticate, current_user
from .bodies import json_body, malformed_json
from .context import request_context
from .reading import consistent
from .responses import canvas_json

blueprint = Blueprint("submissions", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)

_TRUE = frozenset({"1", "true", "t", "yes", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "off", ""})


def _submission_params() -> dict[str, object]:
    """``submission[...]`` from a form or query, or ``{"submission": {...}}`` from JSON."""
    if request.is_json:
        if malformed_json():  # Rails' params parser refuses the request before the action
            raise MalformedBody()
        body = json_body()
        if not isinstance(body, dict):
            raise BadRequest("the JSON body must be an object")
        nested = body.get("submission", {})
        if not isinstance(nested, dict):
            raise BadRequest("submission must be an object")
        return nested
    params: dict[str, object] = {}
    for key, value in [*request.args.items(multi=True), *request.form.items(multi=True)]:
        if key.startswith("submission[") and key.endswith("]"):
            params[key[len("submission[") : -1]] = value
    return params


def _boolean(value: object) -> bool | None:
    """Canvas's value_to_boolean: None when the value says neither."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


@blueprint.put("/courses/<course_id>/assignments/<assignment_id>/submissions/<user_id>")
@consistent
def update(course_id: str, assignment_id: str, user_id: str) -> Response:
    inst = current_instance()
    store = inst.store
    viewer = current_user()
    found_course = api_find_course(store, course_id)
    found_assignment = api_find_assignment(store, assignment_id)
    student = api_find_user(store, user_id, viewer.id if viewer else None)
    if found_course is None or found_assignment is None or student is None:
        raise NotFound()
    assignment = grading.gradable_assignment(store, found_course, found_assignment)
    params = _submission_params()
    posted = params.get("posted_grade")
    excuse = _boolean(params["excuse"]) if "excuse" in params else None
    if posted is not None and (
        isinstance(posted, bool) or not isinstance(posted, str | int | float)
    ):
        raise BadRequest("submission[posted_grade] must be a string or a number")
    result = grading.grade(
        inst,
        request_context(),
        assignment,
        student,
        posted_grade=None if posted is None else str(posted),
        excuse=excuse,
    )
    assert result.submission is not None  # grading a student's submission hands it back
    base_url = request.host_url.rstrip("/")
    return canvas_json(
        submission_json(result.submission, store=store, viewer=viewer, base_url=base_url)
    )
