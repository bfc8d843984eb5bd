"""Responses as Rails sends them: ActiveSupport's JSON text, ``application/json; charset=utf-8``."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from ..jsonenc import dumps

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def canvas_json(
    payload: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    response = Response(dumps(payload), status=status, content_type=JSON_CONTENT_TYPE)
    if headers:
        response.headers.update(headers)
    return response


def canvas_bytes(
    body: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A body already encoded as ``canvas_json`` would encode it (UTF-8 ActiveSupport JSON)."""
    response = Response(body, status=status, content_type=JSON_CONTENT_TYPE)
    if headers:
        response.headers.update(headers)
    return response
