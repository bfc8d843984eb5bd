"""Every failure answers Canvas-shaped JSON: domain errors, unknown routes, even crashes.

Rails answers an unmatched path or method with a routing error, which the API renders as 404
"The specified resource does not exist."; so does the mock, for any method.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound

from ..errors import BadRequest, InvalidAccessToken, NotFound, Unauthorized
from ..instance import current_instance
from ..presenters import errors as bodies
from .auth import current_user
from .responses import canvas_json

log = logging.getLogger(__name__)
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _unauthorized(_: Unauthorized) -> Response:
    try:
        user = current_user()
    except InvalidAccessToken:
        user = None
    if user is None:
        return canvas_json(bodies.unauthenticated(), 401, WWW_AUTHENTICATE)
    return canvas_json(bodies.unauthorized(), current_instance().settings.unauthorized_status)


def _http_error(error: HTTPException) -> Response:
    if isinstance(error, RouteNotFound | MethodNotAllowed):
        return canvas_json(bodies.not_found(), 404)
    status = error.code or 500
    return canvas_json(bodies.generic(_snake(error.name)), status)


def _crash(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return canvas_json(bodies.generic("internal_server_error"), 500)


def register(app: Flask) -> None:
    app.register_error_handler(NotFound, lambda e: canvas_json(bodies.not_found(), 404))
    app.register_error_handler(
        InvalidAccessToken,
        lambda e: canvas_json(bodies.invalid_access_token(), 401, WWW_AUTHENTICATE),
    )
    app.register_error_handler(Unauthorized, _unauthorized)
    app.register_error_handler(BadRequest, lambda e: canvas_json(bodies.message(e.message), 400))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
