"""Reading a request's JSON body the one way every route needs: never a crash.

Flask's ``get_json(silent=True)`` already turns malformed JSON into None, but absurdly deep nesting
still raises ``RecursionError`` from the parser; that is a bad body too, not a 500.
"""

from __future__ import annotations

from flask import request


def json_body() -> object | None:
    """The body parsed as JSON; None when it is empty, not JSON, or nested too deeply to parse."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None
