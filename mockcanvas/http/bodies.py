"""Reading a request's JSON body the one way every route needs: never a crash.

Flask's ``get_json(silent=True)`` already turns malformed JSON into None, but absurdly deep nesting
still raises ``RecursionError`` from the parser; that is a bad body too, not a 500.

Bodies are capped (``create_app(max_body=...)``, Flask's ``MAX_CONTENT_LENGTH``): werkzeug raises
413 the moment a route reads a longer one (a ``Content-Length`` too big, or a de-chunked body that
grew too big), before anything is parsed, so nothing changes; the error handler renders it as
Canvas's generic error.
"""

from __future__ import annotations

import json

from flask import request

# 10 MiB: a bulk update_grades form of 100,000 grades (``grade_data[12345][posted_grade]=97.5``,
# about 40 bytes each) is 4 MiB, and a state import of the large world fits; past that a body is
# a mistake or an attack, and reading it only costs memory.
DEFAULT_MAX_BODY = 10 * 1024 * 1024


def check_max_body(value: object) -> None:
    """A body limit must be a positive number of bytes, or None for no limit."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_body must be a positive number of bytes or None, not {value!r}")


def json_body() -> object | None:
    """The body parsed as JSON; None when it is empty, not JSON, or nested too deeply to parse."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def malformed_json() -> bool:
    """Whether the body says it is JSON and does not parse: the 400 Rails' params parser gives.

    Unlike ``json_body() is None``, this tells a broken body from the JSON text ``null``, which
    parses (Rails files it under ``_json``) and is then simply missing what the route wants.
    """
    data = request.get_data(cache=True)
    if not request.is_json or not data:
        return False
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return True
    return False
