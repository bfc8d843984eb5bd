"""Canvas REST routes under a course: the course, its assignments, roster and submissions.

Thin by design: read the parameters as Rails would (the last of a repeated value wins), ask the
directory service, present. Lists use Canvas's numbered pages (``Api.paginate`` over an ordinal
collection): ``page`` from 1, ``per_page`` 10 by default and at most 100, a ``Link`` header with
current, next, prev, first and last; a page past the end is an empty list (no next, no last) and a
page below 1 is not found. ``/students`` is not paginated, as in Canvas. ``/search_users`` is
Canvas's alias of ``/users`` (canvasapi's ``Course.get_users`` calls it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, request

from ..errors import NotFound
from ..instance import current_instance
from ..lookup import ruby_to_i
from ..pagination import last_value, link_header, per_page, rails_params
from ..presenters.assignment import assignment_json
from ..presenters.course import course_json
from ..presenters.submission import submission_json
from ..presenters.user import user_json
from ..services import directory
from .auth import authenticate, current_user
from .reading import consistent
from .responses import canvas_json

blueprint = Blueprint("courses", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)


def _base_url() -> str:
    return request.host_url.rstrip("/")


_BIGINT = 2**63 - 1  # will_paginate refuses an offset past a bigint


def _paginate(items: Sequence, route_path: str) -> tuple[Sequence, dict[str, str]]:
    """One numbered page of ``items`` and its ``Link`` header.

    Link URLs name the course by its id, however the request named it (Canvas builds them with
    ``api_v1_course_..._url(@context)``), and keep the request's other query parameters.
    """
    pairs = list(request.args.items(multi=True))
    size = per_page(last_value(pairs, "per_page"))
    raw_page = last_value(pairs, "page")
    page = 1 if raw_page is None else ruby_to_i(raw_page)
    if page < 1 or (page - 1) * size > _BIGINT:  # will_paginate's InvalidPage: a 404
        raise NotFound()
    last = max(1, math.ceil(len(items) / size))
    pages = {"current": str(page), "first": "1"}
    if page < last:
        pages["next"] = str(page + 1)
    if page > 1:
        pages["prev"] = str(page - 1)
    if page <= last:
        pages["last"] = str(last)
    links = link_header(_base_url() + route_path, pairs, pages, size)
    return items[(page - 1) * size : page * size], {"Link": links}


def _enrollment_types() -> list[str] | None:
    """``enrollment_type[]`` (or a bare ``enrollment_type``) as a list, None when absent."""
    value: Any = rails_params(request.args.items(multi=True)).get("enrollment_type")
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


@blueprint.get("/courses/<course_id>")
@consistent
def show_course(course_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    course = directory.show_course(store, viewer, course_id)
    enrollments = directory.current_enrollments(store, viewer, course)
    body = course_json(
        course, store=store, viewer=viewer, base_url=_base_url(), enrollments=enrollments
    )
    return canvas_json(body)


@blueprint.get("/courses/<course_id>/assignments")
@consistent
def list_assignments(course_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    course, assignments = directory.list_assignments(store, viewer, course_id)
    page, headers = _paginate(assignments, f"/api/v1/courses/{course.id}/assignments")
    base_url = _base_url()
    body = [assignment_json(a, store=store, viewer=viewer, base_url=base_url) for a in page]
    return canvas_json(body, headers=headers)


@blueprint.get("/courses/<course_id>/assignments/<assignment_id>")
@consistent
def show_assignment(course_id: str, assignment_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    assignment = directory.show_assignment(store, viewer, course_id, assignment_id)
    return canvas_json(
        assignment_json(assignment, store=store, viewer=viewer, base_url=_base_url())
    )


@blueprint.get("/courses/<course_id>/users")
@blueprint.get("/courses/<course_id>/search_users")
@consistent
def list_users(course_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    course, users = directory.list_course_users(store, viewer, course_id, _enrollment_types())
    page, headers = _paginate(users, f"/api/v1/courses/{course.id}/users")
    body = [user_json(u, store=store, viewer=viewer, context=course) for u in page]
    return canvas_json(body, headers=headers)


@blueprint.get("/courses/<course_id>/students")
@consistent
def list_students(course_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    course, users = directory.list_course_students(store, viewer, course_id)
    return canvas_json([user_json(u, store=store, viewer=viewer, context=course) for u in users])


@blueprint.get("/courses/<course_id>/assignments/<assignment_id>/submissions/<user_id>")
@consistent
def show_submission(course_id: str, assignment_id: str, user_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    submission = directory.show_submission(store, viewer, course_id, assignment_id, user_id)
    return canvas_json(
        submission_json(submission, store=store, viewer=viewer, base_url=_base_url())
    )
