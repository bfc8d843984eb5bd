"""``POST /api/graphql``: Canvas's GraphQL endpoint (GraphQLController#execute) over graphql-core.

Like Canvas:

- A token is required (``before_action :require_user``): none gives 401 "unauthenticated", an
  unknown one 401 "Invalid access token.", with ``WWW-Authenticate``.
- ``query`` and ``variables`` come from a JSON body or form/query parameters (Rails ``params``);
  ``variables`` may be an object or a JSON string. ``operationName`` is ignored, as Canvas passes
  only the query and the variables to the schema.
- Everything GraphQL itself reports answers HTTP 200 with an ``errors`` array: syntax and
  validation errors (no ``data`` key), execution errors such as "not found" (``data`` with the
  field null), and a missing query ("No query string was present", graphql-ruby's message).
- A body that is not valid JSON fails before GraphQL runs: 400 with Canvas's generic body
  ``{"errors":[{"message":"An error occurred.","error_code":"bad_request"}]}``.

Error texts from graphql-core differ from graphql-ruby's for syntax and validation errors; the
shape (message, locations, path) is the same.

Canvas's cost limits (tokens, depth, complexity, aliases, directives; see ``graphql_limits``)
are checked after parsing and validation and before anything runs, outside the write lock: a
huge or deep document is refused without holding up any other request. Only execution, which
reads and may write the store, holds the lock.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request
from graphql import execute_sync

from .. import graphql_limits, graphql_schema
from ..errors import Unauthorized
from ..instance import current_instance
from ..presenters import errors as bodies
from .auth import authenticate, current_user
from .bodies import json_body, malformed_json
from .context import request_context
from .responses import canvas_json

blueprint = Blueprint("graphql", __name__, url_prefix="/api")
blueprint.before_request(authenticate)

NO_QUERY = "No query string was present"


class _BadBody(Exception):
    """The body is not what its content type says."""


def _params() -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in [*request.args.items(multi=True), *request.form.items(multi=True)]:
        params[key] = value
    if request.is_json:
        if malformed_json():
            raise _BadBody()
        body = json_body()
        if isinstance(body, dict):
            params.update(body)
    return params


def _variables(raw: Any) -> dict[str, Any] | str:
    """The variables as a dict, or an error message when they are not an object."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            return "Variables are not valid JSON"
        if raw is None:
            return {}
    if not isinstance(raw, dict):
        return "Variables must be a JSON object"
    return raw


def _errors(message: str) -> Response:
    return canvas_json({"errors": [{"message": message}]})


@blueprint.post("/graphql")
def execute() -> Response:
    viewer = current_user()
    if viewer is None:
        raise Unauthorized()
    try:
        params = _params()
    except _BadBody:
        return canvas_json(bodies.generic("bad_request"), 400)
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        return _errors(NO_QUERY)
    variables = _variables(params.get("variables"))
    if isinstance(variables, str):
        return _errors(variables)
    prepared = graphql_limits.prepare(graphql_schema.schema(), query)
    if isinstance(prepared, list):
        return canvas_json({"errors": prepared})
    inst = current_instance()
    with inst.write_lock:  # as @consistent: the operation sees the store at one instant
        context = graphql_schema.Context(inst=inst, viewer=viewer, request_context=request_context)
        result = execute_sync(
            graphql_schema.schema(),
            prepared,
            root_value=graphql_schema.root_value(),
            context_value=context,
            variable_values=variables,
            type_resolver=graphql_schema.resolve_type,
        )
        payload = result.formatted
        if payload.get("data") is None and payload.get("errors"):
            payload.pop("data", None)  # graphql-ruby leaves data out when nothing executed
        return canvas_json(payload)
