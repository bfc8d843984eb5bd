"""Caliper 1.1 envelopes for Live Events subscriptions in the "caliper" format.

Instructure's Live Events service converts Canvas's events to IMS Caliper 1.1; Canvas documents
only ``grade_change`` in that form (doc/api/data_services/json/caliper/event-types/
grade_change.json), so only ``grade_change`` converts and every other event gives None.

The envelope is ``{sensor: "http://<host>/", sendTime, dataVersion, data: [GradeEvent]}``; the
event's fields are filled from the Canvas event as that documented example shows. Choices where
the example is silent (inferred, not verified):

- ``actor`` is the acting user (``metadata.user_id``), else the grader (jobs carry no user
  fields), else the student when the grade was automatic (a quiz the student turned in).
- ``membership`` is sent when the event names a user; ``roles`` maps Canvas's ``context_role``
  (TeacherEnrollment -> Instructor, TaEnrollment -> Instructor#TeachingAssistant,
  StudentEnrollment -> Learner, DesignerEnrollment -> ContentDeveloper, ObserverEnrollment ->
  Mentor) and is ``["Administrator"]`` for a user without a course role.
- ``session`` and ``referrer`` are left out when the event has none; the
  ``com.instructure.canvas`` extensions of a job's event carry ``job_id`` and ``job_tag``
  instead of the request fields.
- ``scoredBy`` is null when the grade was automatic (no grader).
"""

from __future__ import annotations

from ..events import LiveEvent
from ..store import Store

DATA_VERSION = "http://purl.imsglobal.org/ctx/caliper/v1p1"
CANVAS = "com.instructure.canvas"
EXTENSION_VERSION = "1.0.0"

ROLES = {
    "TeacherEnrollment": "Instructor",
    "TaEnrollment": "Instructor#TeachingAssistant",
    "StudentEnrollment": "Learner",
    "StudentViewEnrollment": "Learner",
    "DesignerEnrollment": "ContentDeveloper",
    "ObserverEnrollment": "Mentor",
}


def _urn(kind: str, identifier: str) -> str:
    return f"urn:instructure:canvas:{kind}:{identifier}"


def sensor_url(host: str) -> str:
    """``http://<host>/`` for a bare host; a URL given with its scheme is kept, with one ``/``."""
    base = host if "://" in host else f"http://{host}"
    return base.rstrip("/") + "/"


def _person(user_gid: str) -> dict:
    return {"id": _urn("user", user_gid), "type": "Person"}


def _attempt(body: dict, *, with_entity_id: bool) -> dict:
    extensions: dict[str, object] = {"grade": body.get("grade")}
    if with_entity_id:
        extensions["entity_id"] = body["submission_id"]
    return {
        "id": _urn("submission", body["submission_id"]),
        "type": "Attempt",
        "extensions": {CANVAS: extensions},
        "assignee": {
            **_person(body["user_id"]),
            "extensions": {CANVAS: {"sis_id": body.get("student_sis_id")}},
        },
        "assignable": {
            "id": _urn("assignment", body["assignment_id"]),
            "type": "AssignableDigitalResource",
        },
    }


def grade_event(event: LiveEvent, host: str) -> dict:
    """The Caliper GradeEvent of a ``grade_change`` Live Event."""
    metadata, body = event.payload["metadata"], event.payload["body"]
    sensor = sensor_url(host)
    course_gid = metadata["context_id"]
    course = _urn("course", course_gid)
    actor_gid = metadata.get("user_id") or body.get("grader_id") or body["user_id"]
    grader = body.get("grader_id")
    generated = {
        "id": _urn("submission", body["submission_id"]),
        "type": "Score",
        "extensions": {CANVAS: {"grade": body.get("grade"), "entity_id": body["submission_id"]}},
        "attempt": _attempt(body, with_entity_id=False),
        "maxScore": body.get("points_possible"),
        "scoreGiven": body.get("score"),
        "scoredBy": _urn("user", grader) if grader else None,
    }
    data: dict[str, object] = {
        "@context": DATA_VERSION,
        "id": f"urn:uuid:{event.id}",
        "type": "GradeEvent",
        "actor": _person(actor_gid),
        "action": "Graded",
        "object": _attempt(body, with_entity_id=True),
        "eventTime": metadata["event_time"],
        "generated": generated,
    }
    if metadata.get("referrer"):
        data["referrer"] = metadata["referrer"]
    data["edApp"] = {"id": sensor, "type": "SoftwareApplication"}
    data["group"] = {
        "id": course,
        "type": "CourseOffering",
        "extensions": {
            CANVAS: {
                "context_type": metadata.get("context_type", "Course"),
                "entity_id": course_gid,
            }
        },
    }
    member = metadata.get("user_id")
    if member:
        role = ROLES.get(metadata.get("context_role") or "", "Administrator")
        data["membership"] = {
            "id": f"{course}:{role}:{member}",
            "type": "Membership",
            "member": _person(member),
            "organization": {"id": course, "type": "CourseOffering"},
            "roles": [role],
        }
    if metadata.get("session_id"):
        data["session"] = {"id": _urn("session", metadata["session_id"]), "type": "Session"}
    if "job_id" in metadata:
        extensions = {"job_id": metadata["job_id"], "job_tag": metadata.get("job_tag")}
    else:
        extensions = {
            "hostname": metadata.get("hostname"),
            "request_id": metadata.get("request_id"),
            "user_agent": metadata.get("user_agent"),
            "client_ip": metadata.get("client_ip"),
            "request_url": metadata.get("url"),
        }
    data["extensions"] = {CANVAS: {**extensions, "version": EXTENSION_VERSION}}
    return data


def caliper_envelope(
    event: LiveEvent, store: Store | None, host: str, *, send_time: str | None = None
) -> dict | None:
    """The Caliper envelope of ``event``, or None for events Canvas has no Caliper form of.

    ``host`` names the Canvas (``canvas.example.edu`` or ``http://canvas.example.edu``);
    ``send_time`` defaults to the event's own time (pass the delivery time when it differs).
    ``store`` is accepted for symmetry with the other presenters; the event carries all it needs.
    """
    del store
    if event.name != "grade_change":
        return None
    metadata = event.payload["metadata"]
    return {
        "sensor": sensor_url(host),
        "sendTime": send_time or metadata["event_time"],
        "dataVersion": DATA_VERSION,
        "data": [grade_event(event, host)],
    }
