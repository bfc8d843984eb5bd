"""Reading a request's JSON body the one way every route needs: never a crash.

Flask's ``get_json(silent=True)`` already turns malformed JSON into None, but absurdly deep nesting
still raises ``RecursionError`` from the parser; that is a bad body too, not a 500.
"""

from __future__ import annotations

import json

from flask import request


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
