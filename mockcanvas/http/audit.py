"""The Grade Change Log routes: the five documented ones and Canvas's seven undocumented ones.

Thin by design: read the parameters as Rails would (the last of a repeated value wins), call the
audit service, present the page, and add the ``Link`` header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from ..instance import current_instance
from ..pagination import last_value, link_header, per_page, rails_params
from ..presenters.grade_change import compound_bytes
from ..services import audit
from .auth import authenticate, current_user
from .reading import consistent
from .responses import canvas_bytes

blueprint = Blueprint("audit", __name__, url_prefix="/api/v1/audit/grade_change")
blueprint.before_request(authenticate)


def _query() -> audit.EventQuery:
    pairs = list(request.args.items(multi=True))
    # Rails calls include? on whatever was sent: list membership, or a substring test on a string.
    include: Any = rails_params(pairs).get("include", [])
    return audit.EventQuery(
        start_time=last_value(pairs, "start_time"),
        end_time=last_value(pairs, "end_time"),
        page=last_value(pairs, "page"),
        per_page=per_page(last_value(pairs, "per_page")),
        include_current_grade="current_grade" in include,
    )


def _respond(page: audit.EventPage) -> Response:
    base_url = request.host_url.rstrip("/")
    body = compound_bytes(page, store=current_instance().store, base_url=base_url)
    pages = {"current": page.current_page, "first": "first"}
    if page.next_page:
        pages["next"] = page.next_page
    route_url = _route_url(page.route, page.route_args)
    links = link_header(route_url, request.args.items(multi=True), pages, page.per_page)
    return canvas_bytes(body, headers={"Link": links})


_ROUTE_URLS = "mockcanvas.audit.route_urls"


def _route_url(route: str, args: dict[str, Any]) -> str:
    """``url_for`` of the route, external: remembered per app, host and script root, as building
    one costs as much as the rest of a short page's links."""
    urls = current_app.extensions.setdefault(_ROUTE_URLS, {})
    key = (route, tuple(args.items()), request.host_url, request.script_root)
    url = urls.get(key)
    if url is None:
        if len(urls) >= 4096:
            urls.clear()
        url = urls[key] = url_for(f"audit.{route}", _external=True, **args)
    return url


@blueprint.get("/assignments/<assignment_id>")
@consistent
def for_assignment(assignment_id: str) -> Response:
    store = current_instance().store
    return _respond(audit.for_assignment(store, current_user(), assignment_id, _query()))


@blueprint.get("/courses/<course_id>")
@consistent
def for_course(course_id: str) -> Response:
    store = current_instance().store
    return _respond(audit.for_course(store, current_user(), course_id, _query()))


@blueprint.get("/students/<student_id>")
@consistent
def for_student(student_id: str) -> Response:
    store = current_instance().store
    return _respond(audit.for_student(store, current_user(), student_id, _query()))


@blueprint.get("/graders/<grader_id>")
@consistent
def for_grader(grader_id: str) -> Response:
    store = current_instance().store
    return _respond(audit.for_grader(store, current_user(), grader_id, _query()))


@blueprint.get("", endpoint="query")
@consistent
def query() -> Response:
    pairs = list(request.args.items(multi=True))
    params = {
        name: last_value(pairs, name)
        for name in ("course_id", "assignment_id", "student_id", "grader_id")
    }
    store = current_instance().store
    return _respond(audit.advanced_query(store, current_user(), params, _query()))


@consistent
def _combined(course_id: str, **others: str) -> Response:
    store = current_instance().store
    return _respond(
        audit.for_course_and_other(
            store,
            current_user(),
            course_id,
            _query(),
            assignment_raw=others.get("assignment_id"),
            grader_raw=others.get("grader_id"),
            student_raw=others.get("student_id"),
        )
    )


_COMBINED_ROUTES = {
    "course_assignment": "/courses/<course_id>/assignments/<assignment_id>",
    "course_assignment_grader": "/courses/<course_id>/assignments/<assignment_id>"
    "/graders/<grader_id>",
    "course_assignment_grader_student": "/courses/<course_id>/assignments/<assignment_id>"
    "/graders/<grader_id>/students/<student_id>",
    "course_assignment_student": "/courses/<course_id>/assignments/<assignment_id>"
    "/students/<student_id>",
    "course_grader": "/courses/<course_id>/graders/<grader_id>",
    "course_grader_student": "/courses/<course_id>/graders/<grader_id>/students/<student_id>",
    "course_student": "/courses/<course_id>/students/<student_id>",
}
for _endpoint, _rule in _COMBINED_ROUTES.items():
    blueprint.add_url_rule(_rule, endpoint=_endpoint, view_func=_combined, methods=["GET"])
