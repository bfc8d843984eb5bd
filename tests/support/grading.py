"""Helpers shared by the grading tests: a client that grades as a landmark user, a snapshot of
everything a grade can change, and a check that every emitted event meets its schemas."""

from __future__ import annotations

from typing import Any

from mockcanvas import schemas
from mockcanvas.events import LiveEvent
from mockcanvas.instance import Instance
from mockcanvas.presenters.caliper import caliper_envelope
from mockcanvas.requests_routing import allow_base_url
from tests.support import BASE, check_live_event


class Grading:
    """Flask's test client on one app, speaking as a landmark user."""

    def __init__(self, app) -> None:
        self.app = app
        self.inst: Instance = app.extensions["mockcanvas"]
        self.store = self.inst.store
        self.client = app.test_client()
        allow_base_url(app, BASE)  # its control calls go to BASE: the Host check must know it

    def id(self, landmark: str) -> int:
        return self.store.landmarks[landmark]

    def headers(self, as_: str | int | None) -> dict[str, str]:
        if as_ is None:
            return {}
        user_id = self.id(as_) if isinstance(as_, str) else as_
        return {"Authorization": f"Bearer {self.store.token_for(user_id)}"}

    def put_grade(
        self, assignment: int, student: int, as_: str | int | None = "teacher", **submission
    ):
        """``PUT .../submissions/:user_id`` with ``submission[...]`` in a JSON body."""
        course = self.store.assignments[assignment].course_id
        return self.client.put(
            f"/api/v1/courses/{course}/assignments/{assignment}/submissions/{student}",
            json={"submission": submission},
            headers=self.headers(as_),
            base_url=BASE,
        )

    def put_grade_form(
        self, assignment: int, student: int, as_: str | int | None = "teacher", **submission
    ):
        """The same, form-encoded as ``submission[posted_grade]=...``."""
        course = self.store.assignments[assignment].course_id
        return self.client.put(
            f"/api/v1/courses/{course}/assignments/{assignment}/submissions/{student}",
            data={f"submission[{k}]": v for k, v in submission.items()},
            headers=self.headers(as_),
            base_url=BASE,
        )

    def graphql(self, query: str, variables: dict | None = None, as_: str | int | None = "teacher"):
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return self.client.post("/api/graphql", json=body, headers=self.headers(as_), base_url=BASE)

    def get(self, path: str, as_: str | int | None = "admin", **kw):
        return self.client.get(path, headers=self.headers(as_), base_url=BASE, **kw)

    def events(self, after: int = 0, names: tuple[str, ...] = ()) -> list[LiveEvent]:
        return self.inst.bus.inbox.select(names=names, after=after)

    def last_seq(self) -> int:
        events = self.inst.bus.inbox.select()
        return events[-1].seq if events else 0

    def audit_rows(self) -> list:
        return list(self.store.grade_changes.rows())


def snapshot(inst: Instance) -> tuple:
    """Everything a grade, an excuse, a post or an override can change."""
    store = inst.store
    return (
        len(store.grade_changes),
        len(inst.bus.inbox),
        sorted(
            (s.id, s.score, s.grade, s.excused, s.posted_at, s.workflow_state, s.version_number)
            for s in store.submissions.values()
        ),
        sorted(
            (
                s.id,
                s.current_score,
                s.final_score,
                s.unposted_current_score,
                s.unposted_final_score,
                s.override_score,
            )
            for s in store.scores.values()
        ),
        sorted((a.id, a.muted) for a in store.assignments.values()),
    )


def check_all_events(inst: Instance) -> int:
    """Every event in the inbox meets its Live Event schema, and grade_change its Caliper form."""
    events = inst.bus.inbox.select()
    for event in events:
        check_live_event(event.payload)
        envelope = caliper_envelope(event, inst.store, "canvas.test")
        if event.name == "grade_change":
            schemas.validate("caliper_grade_event", envelope)
        else:
            assert envelope is None
    return len(events)
