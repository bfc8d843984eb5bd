"""Who did a write, and through which request or job: what Live Events metadata reports.

The HTTP layer builds one per request; the control API and simulators build their own, so every
door hands the write path the same kind of context.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import User


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    user: User | None
    session_id: str | None = None
    hostname: str | None = None
    http_method: str | None = None
    user_agent: str | None = None
    client_ip: str | None = None
    url: str | None = None
    referrer: str | None = None
    real_user: User | None = None
    # Background jobs (bulk grading) carry these instead of the request and user fields.
    job_id: str | None = None
    job_tag: str | None = None

    @property
    def is_job(self) -> bool:
        return self.job_id is not None
