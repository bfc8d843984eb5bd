"""PageView API objects, as Canvas's ``Api::V1::PageView#page_view_json`` renders them.

The id is the request id (a UUID string); the related ids move into ``links``; ``contributed`` is
always false (Canvas keeps it "for backwards compatibility"). ``links.account`` is the context's
account, as ``PageView#ensure_account`` sets it.

Deviations, one per line:
- ``http_method`` is lowercased, as Canvas stores it, whatever case the store holds.
- ``user_request`` is true for GET requests and null otherwise (Canvas's non-XHR GET rule).
- ``links.asset`` and ``links.real_user`` are null: the store keeps no asset ids or masqueraders.
"""

from __future__ import annotations

from .. import timefmt
from ..models import PageView, User
from ..store import Store


def account_id(store: Store, page_view: PageView) -> int | None:
    if page_view.context_type == "Account":
        return page_view.context_id
    if page_view.context_type == "Course":
        course = store.courses.get(page_view.context_id)
        if course is not None:
            return course.account_id
    return store.root_account_id


def page_view_json(page_view: PageView, *, store: Store, viewer: User | None) -> dict:
    """One stored page view, with its times in the caller's zone."""
    tz = timefmt.zone_for(store, viewer)
    method = page_view.http_method.lower()
    return {
        "url": page_view.url,
        "context_type": page_view.context_type,
        "asset_type": page_view.asset_type,
        "controller": page_view.controller,
        "action": page_view.action,
        "interaction_seconds": float(page_view.interaction_seconds),
        "created_at": timefmt.iso(page_view.created_at, tz),
        "user_request": True if method == "get" else None,
        "render_time": float(page_view.render_time),
        "user_agent": page_view.user_agent,
        "participated": page_view.participated,
        "http_method": method,
        "remote_ip": page_view.remote_ip,
        "id": page_view.request_id,
        "contributed": False,
        "links": {
            "user": page_view.user_id,
            "context": page_view.context_id,
            "asset": None,
            "real_user": None,
            "account": account_id(store, page_view),
        },
        "app_name": page_view.app_name,
    }
