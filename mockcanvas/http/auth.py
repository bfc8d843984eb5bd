"""Who is calling: an access token from the Authorization header or the access_token parameter.

The user is resolved once per request and kept on ``flask.g``. An unknown token fails at once,
before any route logic runs, as Canvas's authentication filter does.
"""

from __future__ import annotations

from flask import g, request

from ..errors import InvalidAccessToken
from ..instance import current_instance
from ..models import User

_UNSET = object()


def request_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    values = request.values.getlist("access_token")
    return values[-1] if values and values[-1] else None


def current_user() -> User | None:
    """The authenticated user, None when no token was sent; raises for an unknown token."""
    cached = g.get("mockcanvas_user", _UNSET)
    if cached is not _UNSET:
        return cached
    token = request_token()
    user = None
    if token is not None:
        user = current_instance().store.user_for_token(token)
        if user is None or not user.active:
            raise InvalidAccessToken()
    g.mockcanvas_user = user
    return user


def authenticate() -> None:
    """A ``before_request`` hook for Canvas API blueprints."""
    current_user()
