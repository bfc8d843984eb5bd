"""What the inspector page reads: the world a slice at a time, an event as the stream sends it,
and an event's fate per subscription. Not Canvas shapes; the page is their only reader.

A huge world has thousands of users and a million events: nothing here sends more than a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import LiveEvent
from ..models import Course
from ..store import Store
from .world import world_assignment

if TYPE_CHECKING:
    from ..sinks.registry import Subscription

GRADER_TYPES = ("TeacherEnrollment", "TaEnrollment")


def course_summary(course: Course) -> dict:
    return {
        "id": course.id,
        "name": course.name,
        "course_code": course.course_code,
        "workflow_state": course.workflow_state,
    }


def course_list_json(store: Store, courses: list[Course], next_page: int | None) -> dict:
    admin_id = store.landmarks.get("admin")
    admin = store.users.get(admin_id) if admin_id is not None else None
    return {
        "courses": [course_summary(c) for c in courses],
        "next_page": next_page,
        "total": len(store.courses),
        # The page reads the audit log through the real API, as this seeded admin.
        "admin": None
        if admin is None
        else {"id": admin.id, "name": admin.name, "token": store.token_for(admin.id)},
    }


def _people(store: Store, course_id: int) -> list[dict]:
    """The course's people in roster order, one row per user with every role they hold in it."""
    rows: dict[int, dict] = {}
    for enrollment in store.course_enrollments(course_id):
        if enrollment.workflow_state == "deleted":
            continue
        row = rows.get(enrollment.user_id)
        if row is None:
            user = store.users[enrollment.user_id]
            row = rows[user.id] = {
                "id": user.id,
                "name": user.name,
                "roles": [],
                "token": store.token_for(user.id),
            }
        if enrollment.type not in row["roles"]:
            row["roles"].append(enrollment.type)
    return list(rows.values())


def course_detail_json(store: Store, course: Course, page: int, per_page: int) -> dict:
    people = _people(store, course.id)
    start = (page - 1) * per_page
    return {
        "course": course_summary(course),
        "assignments": [
            world_assignment(a)
            for a in store.course_assignments(course.id)
            if a.workflow_state != "deleted"
        ],
        "graders": [
            {"id": p["id"], "name": p["name"]}
            for p in people
            if any(role in GRADER_TYPES for role in p["roles"])
        ],
        "people": people[start : start + per_page],
        "total_people": len(people),
        "next_page": page + 1 if start + per_page < len(people) else None,
    }


def stream_entry(event: LiveEvent) -> dict:
    """One event as the stream's ``data:`` carries it: the inbox entry of ``GET /live_events``."""
    return event.summary()


def deliveries_json(found: dict[str, list[tuple[Subscription, list[dict]]]]) -> dict:
    """Per event id, per subscription: the latest log entry's outcome and the attempts made."""
    result: dict[str, list[dict]] = {}
    for event_id, per_subscription in found.items():
        rows = []
        for subscription, entries in per_subscription:
            if not entries:
                continue
            last = entries[-1]
            rows.append(
                {
                    "subscription_id": subscription.id,
                    "subscription_name": subscription.name,
                    "outcome": last["outcome"],
                    "attempts": sum(1 for e in entries if e["attempt"]),
                    "status": last["status"],
                    "error": last["error"],
                    "time": last["time"],
                }
            )
        result[event_id] = rows
    return {"deliveries": result}
