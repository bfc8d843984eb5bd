"""Progress API objects, as Canvas's ``Api::V1::Progress#progress_json`` renders them.

The keys are the row's ``id context_id context_type user_id tag completion workflow_state
created_at updated_at message`` plus ``url`` (``polymorphic_url([:api_v1, progress])``, built from
the request's host). Ids are integers; times are in the caller's zone without fractions, like every
other API time. ``results`` is sent only by jobs that store results; the mock's jobs store none.
"""

from __future__ import annotations

from .. import timefmt
from ..models import User
from ..services.progress import Progress
from ..store import Store


def progress_url(base_url: str, progress: Progress) -> str:
    return f"{base_url}/api/v1/progress/{progress.id}"


def progress_json(progress: Progress, *, store: Store, viewer: User | None, base_url: str) -> dict:
    tz = timefmt.zone_for(store, viewer)
    return {
        "id": progress.id,
        "context_id": progress.context_id,
        "context_type": progress.context_type,
        "user_id": progress.user_id,
        "tag": progress.tag,
        "completion": progress.completion,
        "workflow_state": progress.workflow_state,
        "created_at": timefmt.iso(progress.created_at, tz),
        "updated_at": timefmt.iso(progress.updated_at, tz),
        "message": progress.message,
        "url": progress_url(base_url, progress),
    }
