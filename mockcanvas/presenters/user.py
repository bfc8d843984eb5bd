"""User API objects, as Canvas's ``Api::V1::User#user_json`` renders them.

Every caller sees ``id``, ``name``, ``created_at``, ``sortable_name`` and ``short_name``. Callers
with rights in the context (the root account by default, as in the audit API's ``users_json``; or a
course) also see the login's ``sis_user_id``, ``integration_id`` and ``login_id`` (nulls when the
user has no SIS ids), and root-account admins ``sis_import_id``. In the root account that means
admins only; in a course, its teachers and TAs too. A deleted user renders the same way.

``includes`` adds what ``GET /users/:id`` adds: ``locale``, ``effective_locale`` (to the user
themselves), ``email`` (to those who may read addresses in the context) and ``permissions``.

Deviations, one per line:
- ``root_account`` is never sent: Canvas sends it only when the root account has trust links.
- ``sis_import_id`` is null: the store records no SIS imports.
- ``avatar_url`` is never sent: avatars are off, as on a new Canvas account.
- ``effective_locale`` falls back to ``en``: the store has no account default locale.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .. import timefmt
from ..models import Course, User
from ..services import directory
from ..store import Store

DEFAULT_LOCALE = "en"


class UserRights(NamedTuple):
    """The caller's rights ``user_json`` checks for every user (in one context)."""

    read_sis: bool
    manage_sis: bool
    view_logins: bool


def user_rights(store: Store, viewer: User | None, context: Course | None = None) -> UserRights:
    return UserRights(
        read_sis=directory.can_read_sis(store, viewer, context),
        manage_sis=directory.can_manage_sis(store, viewer),
        view_logins=directory.can_view_user_logins(store, viewer, context),
    )


def user_body(user: User, rights: UserRights, tz: ZoneInfo) -> dict:
    """A user's JSON without includes: a function of its arguments alone."""
    body: dict[str, object] = {
        "id": user.id,
        "name": user.name,
        "created_at": timefmt.iso(user.created_at, tz),
        "sortable_name": user.sortable_name,
        "short_name": user.short_name,
    }
    if rights.read_sis:
        body["sis_user_id"] = user.sis_user_id
        body["integration_id"] = user.integration_id
    if rights.manage_sis:
        body["sis_import_id"] = None
    if rights.view_logins:
        body["login_id"] = user.login_id
    return body


def user_json(
    user: User,
    *,
    store: Store,
    viewer: User | None,
    context: Course | None = None,
    includes: Collection[str] = (),
) -> dict:
    """One user as ``viewer`` sees them in ``context`` (None: the root account)."""
    body = user_body(user, user_rights(store, viewer, context), timefmt.zone_for(store, viewer))
    if "email" in includes and directory.can_read_email_addresses(store, viewer, context):
        body["email"] = user.email
    if "locale" in includes:
        body["locale"] = user.locale
    if "effective_locale" in includes and viewer is not None and viewer.id == user.id:
        body["effective_locale"] = user.locale or DEFAULT_LOCALE
    if "permissions" in includes:
        body["permissions"] = {
            "can_update_name": True,
            "can_update_avatar": False,
            "limit_parent_app_web_access": False,
        }
    return body
