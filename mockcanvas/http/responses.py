"""Bytes on the wire as Rails writes them: compact JSON, HTML-significant characters escaped.

Rails escapes ``<``, ``>`` and ``&`` (and U+2028/U+2029) in JSON and sends
``application/json; charset=utf-8``; clients that compare bodies see the same bytes here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import Response

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def dumps(payload: object) -> str:
    """Serialise like ActiveSupport's JSON encoder (no spaces, HTML entities escaped)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).translate(_ESCAPES)


def canvas_json(
    payload: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    response = Response(dumps(payload), status=status, content_type=JSON_CONTENT_TYPE)
    if headers:
        response.headers.update(headers)
    return response
