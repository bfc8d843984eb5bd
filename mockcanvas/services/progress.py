"""Progress objects: Canvas's handle on a background job, and the job context its work runs in.

Canvas answers bulk grading and grade posting with a Progress and does the work in a delayed job
(``Progress#process_job``); Live Events sent from a job carry ``job_id`` and ``job_tag`` instead of
the request and user fields. The mock runs the work at once, inside the request, but under a job
context, so its events look like the job's. States: ``queued`` -> ``running`` -> ``completed`` or
``failed``. A completed job has ``completion`` 100.0; a failed one keeps whatever it had (null when
the job never reported progress), as ``Progress#fail`` does.

Progresses live on the Instance (``inst.progresses``), not in the store: they are not part of the
seeded world.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..errors import NotFound
from ..ids import global_id
from ..instance import Instance
from ..models import User
from .context import RequestContext
from .grading import atomic

log = logging.getLogger(__name__)

# Auditors::GradeChange records this request id when no request is under way (a job).
JOB_REQUEST_ID = "MISSING"

# Delayed::PerformableMethod#tag of the jobs Canvas enqueues: "Class.method" for a class
# method, "Class#method" for an instance method.
BULK_UPDATE_JOB_TAG = "Submission.process_bulk_update"
POST_GRADES_JOB_TAG = "Assignment#post_submissions"


@dataclass
class Progress:
    """One Progress row: who started which job in which context, and how it is going."""

    id: int
    context_id: int
    context_type: str
    user_id: int | None
    tag: str
    created_at: datetime
    updated_at: datetime
    workflow_state: str = "queued"
    completion: float | None = None
    message: str | None = None

    @property
    def job_id(self) -> str:
        """The id of the job doing the work (one job per Progress), a global id as a string."""
        return str(global_id(self.id))


def create(
    inst: Instance, *, tag: str, context_id: int, user: User | None, context_type: str = "Course"
) -> Progress:
    """A queued Progress, as ``Progress.create!(context:, tag:)`` makes it."""
    now = inst.clock.now()
    with inst.write_lock:
        progress = Progress(
            id=max(inst.progresses, default=0) + 1,
            context_id=context_id,
            context_type=context_type,
            user_id=user.id if user else None,
            tag=tag,
            created_at=now,
            updated_at=now,
        )
        inst.progresses[progress.id] = progress
    return progress


def find(inst: Instance, progress_id: int | None) -> Progress:
    progress = inst.progresses.get(progress_id) if progress_id is not None else None
    if progress is None:
        raise NotFound()
    return progress


def job_context(progress: Progress, job_tag: str, user: User | None) -> RequestContext:
    """The context a job's writes run in: job fields, the acting user, no request fields.

    ``user`` is the user who queued the job; the write path authorizes with it and records it as
    the grader, while Live Events metadata leaves every user field out (``ctx.is_job``).
    """
    return RequestContext(
        request_id=JOB_REQUEST_ID, user=user, job_id=progress.job_id, job_tag=job_tag
    )


def fail(inst: Instance, progress: Progress, message: str) -> None:
    progress.message = message
    progress.workflow_state = "failed"
    progress.updated_at = inst.clock.now()


def run(inst: Instance, progress: Progress, work: Callable[[Progress], object]) -> Progress:
    """Run a job's work now: running, then completed unless the work failed the Progress.

    The work is one write (``grading.atomic``): an unexpected exception undoes all of it, so no
    grade of the job lands and no event goes out, and fails the Progress the way
    Progress::Work#on_permanent_failure does, with "Unexpected error, ID: ..." (the mock keeps no
    error reports, so the id is "unknown").
    """
    progress.workflow_state = "running"
    progress.updated_at = inst.clock.now()
    try:
        with atomic(inst):
            work(progress)
    except Exception:
        log.exception("job %s (%s) failed", progress.job_id, progress.tag)
        fail(inst, progress, "Unexpected error, ID: unknown")
        return progress
    if progress.workflow_state == "running":
        progress.workflow_state = "completed"
        progress.completion = 100.0
        progress.updated_at = inst.clock.now()
    return progress
