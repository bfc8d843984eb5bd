"""Canvas's error bodies (ApplicationController#api_error_json and render_json_unauthorized)."""

from __future__ import annotations

NOT_FOUND_MESSAGE = "The specified resource does not exist."


def errors_body(message: str, **extra: object) -> dict:
    """The common ``{"errors": [{"message": ...}]}`` shape."""
    return {"errors": [{"message": message, **extra}]}


def not_found() -> dict:
    return errors_body(NOT_FOUND_MESSAGE)


def invalid_access_token() -> dict:
    return errors_body("Invalid access token.")


def unauthenticated() -> dict:
    return {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}


def unauthorized() -> dict:
    return {
        "status": "unauthorized",
        "errors": [{"message": "user not authorized to perform that action"}],
    }


def message(text: str) -> dict:
    return {"message": text}


def generic(status_snake: str) -> dict:
    """Anything else: ``An error occurred.`` with the status as an error code."""
    return errors_body("An error occurred.", error_code=status_snake)
