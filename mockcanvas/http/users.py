"""Canvas REST routes for users: ``GET /api/v1/users/:id``, ``self`` included.

The profile carries what Canvas's ``UsersController#api_show`` includes: ``locale``,
``effective_locale`` (for oneself), ``email`` (for admins) and ``permissions``.
"""

from __future__ import annotations

from flask import Blueprint, Response

from ..instance import current_instance
from ..presenters.user import user_json
from ..services import directory
from .auth import authenticate, current_user
from .reading import consistent
from .responses import canvas_json

blueprint = Blueprint("users", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)

SHOW_INCLUDES = ("locale", "avatar_url", "permissions", "email", "effective_locale")


@blueprint.get("/users/<user_id>")
@consistent
def show_user(user_id: str) -> Response:
    store, viewer = current_instance().store, current_user()
    user = directory.show_user(store, viewer, user_id)
    return canvas_json(user_json(user, store=store, viewer=viewer, includes=SHOW_INCLUDES))
