"""Failures the services raise; the HTTP layer turns each into Canvas's status, headers and body.

Services never build responses, so the same rule (say, "not found") reads the same through every
door.
"""

from __future__ import annotations


class CanvasError(Exception):
    """Base of every failure that has a Canvas-shaped answer."""


class NotFound(CanvasError):
    """ActiveRecord::RecordNotFound: 404 "The specified resource does not exist."."""


class Unauthorized(CanvasError):
    """render_unauthorized_action: 401 (or 403), body depending on whether anyone is logged in."""


class InvalidAccessToken(CanvasError):
    """A token that matches no user: 401 "Invalid access token."."""


class BadRequest(CanvasError):
    """A 400 whose body is ``{"message": ...}``, as the audit query's missing-condition error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
