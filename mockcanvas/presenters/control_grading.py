"""What a control-API write answers: the submission or score now, its audit row id, its events."""

from __future__ import annotations

from .. import timefmt
from ..models import User
from ..services.grading import WriteResult
from ..store import Store
from .submission import submission_json


def write_result_json(result: WriteResult, *, store: Store, viewer: User, base_url: str) -> dict:
    body: dict[str, object] = {}
    if result.submission is not None:
        body["submission"] = submission_json(
            result.submission, store=store, viewer=viewer, base_url=base_url
        )
    if result.score is not None:
        score = result.score
        body["score"] = {
            "id": score.id,
            "enrollment_id": score.enrollment_id,
            "override_score": score.override_score,
            "current_score": score.current_score,
            "final_score": score.final_score,
            "updated_at": timefmt.iso_utc(score.updated_at),
        }
    row = result.audit_row
    body["grade_change_event_id"] = row.uuid if row is not None else None
    body["live_events"] = [event.summary() for event in result.events]
    return body
