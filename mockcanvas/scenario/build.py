"""Building a store from a checked scenario: entities in file order, then the history replayed
through the grading write path at each entry's time, then the states of today.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ..clock import Clock
from ..errors import BadRequest, NotFound, Unauthorized
from ..ids import seeded_token, seeded_uuid
from ..instance import Instance, Settings
from ..models import (
    Account,
    AccountAdmin,
    Assignment,
    AssignmentGroup,
    Course,
    Enrollment,
    Score,
    Section,
    User,
)
from ..schemas import Issue
from ..scoring import course_scores
from ..services import grading
from ..services.context import RequestContext
from ..store import Store
from .checks import grade_text, instant
from .errors import ScenarioError

# Enrollment roles as a scenario names them -> Canvas's enrollment types.
ROLES = {
    "student": "StudentEnrollment",
    "teacher": "TeacherEnrollment",
    "ta": "TaEnrollment",
    "observer": "ObserverEnrollment",
    "designer": "DesignerEnrollment",
}
# What the replayed requests' page views record about their client.
USER_AGENT = "mockcanvas-scenario"
REMOTE_IP = "127.0.0.1"


def _sortable(name: str) -> str:
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def _midnight_before(moment: datetime) -> datetime:
    day = (moment - timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Builder:
    """One build of a scenario into a fresh store."""

    def __init__(
        self,
        source: str,
        data: dict,
        now: datetime,
        admin_token: str | None,
        validate_events: bool,
    ) -> None:
        self.source = source
        self.data = data
        self.now = now
        self.admin_token = admin_token
        self.rng = random.Random(f"mockcanvas-scenario-{self.data.get('seed', 1)}")
        self.store = Store()
        self.clock = Clock(now, frozen=True)
        self.inst = Instance(
            store=self.store,
            clock=self.clock,
            settings=Settings(validate_events=validate_events),
            rng=self.rng,
        )
        account = self.data.get("account", {})
        self.domain = account.get("domain", "canvas.example.edu")
        self.ids: dict[str, int] = {}  # key -> id
        self.enrollments: list[tuple[Enrollment, str]] = []  # with their final state
        history = self.data.get("history", [])
        times = [instant(entry["at"]) for entry in history]
        self.history = sorted(zip(times, range(len(history)), history, strict=True))
        if "created_at" in self.data:
            self.created = instant(self.data["created_at"])
        else:
            self.created = _midnight_before(min([now, *times]))

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.source, [Issue(path, message)])

    def build(self) -> Store:
        late = [(t, i) for t, i, _ in self.history if t > self.now]
        if late:
            index = late[0][1]
            start = self.now.isoformat().replace("+00:00", "Z")
            text = self.data["history"][index]["at"]
            raise self.fail(
                f"$.history[{index}].at", f"{text} is after the clock's start ({start})"
            )
        self._account()
        self._people()
        for course in self.data.get("courses", []):
            self._course(course)
        self._scores()
        for t, index, entry in self.history:
            self._replay(t, index, entry)
        self._final_states()
        self.store.landmarks.update(self.ids)
        if "admin" not in self.store.landmarks:
            self.store.landmarks["admin"] = self.ids[self.data["admins"][0]["person"]]
        if self.admin_token is not None:
            self.store.set_token(self.store.landmarks["admin"], self.admin_token)
        return self.store

    def _account(self) -> None:
        spec = self.data.get("account", {})
        store = self.store
        uuid = seeded_token(self.rng)[-40:]
        account = store.add_account(
            Account(
                id=store.new_id("accounts"),
                name=spec.get("name", "Mockcanvas University"),
                uuid=uuid,
                lti_guid=f"{uuid}:canvas-lms",
                default_time_zone=spec.get("time_zone", "America/Denver"),
                created_at=self.created,
                sis_account_id=spec.get("sis_account_id"),
            )
        )
        store.landmarks["root_account"] = account.id
        self.account = account

    def _people(self) -> None:
        store = self.store
        for person in self.data["people"]:
            user_id = store.new_id("users")
            email = person.get("email", f"{person['key']}@{self.domain}")
            drawn = seeded_token(self.rng)  # always drawn: a given token changes nothing else
            store.add_user(
                User(
                    id=user_id,
                    name=person["name"],
                    sortable_name=person.get("sortable_name", _sortable(person["name"])),
                    short_name=person.get("short_name", person["name"]),
                    login_id=person.get("login_id", email),
                    email=email,
                    created_at=self.created,
                    time_zone=person.get("time_zone"),
                    locale=person.get("locale"),
                    sis_user_id=person.get("sis_user_id"),
                    integration_id=person.get("integration_id"),
                ),
                token=person.get("token", drawn),
            )
            self.ids[person["key"]] = user_id
        for admin in self.data["admins"]:
            store.add_admin(
                AccountAdmin(
                    id=store.new_id("account_users"),
                    account_id=self.account.id,
                    user_id=self.ids[admin["person"]],
                    role=admin.get("role", "AccountAdmin"),
                    view_grade_changes=admin.get("view_grade_changes", True),
                )
            )

    def _course(self, spec: dict) -> None:
        store, created = self.store, self.created
        course = store.add_course(
            Course(
                id=store.new_id("courses"),
                account_id=self.account.id,
                root_account_id=self.account.id,
                name=spec["name"],
                course_code=spec.get("course_code", spec["key"]),
                uuid=seeded_token(self.rng)[-40:],
                created_at=created,
                start_at=_maybe_instant(spec.get("start_at")),
                end_at=_maybe_instant(spec.get("end_at")),
                time_zone=spec.get("time_zone", self.account.default_time_zone),
                sis_course_id=spec.get("sis_course_id"),
                integration_id=spec.get("integration_id"),
                workflow_state=spec.get("workflow_state", "available"),
                allow_final_grade_override=spec.get("allow_final_grade_override", False),
                apply_assignment_group_weights=spec.get("apply_assignment_group_weights", False),
                hide_final_grades=spec.get("hide_final_grades", False),
            )
        )
        self.ids[spec["key"]] = course.id
        sections = spec.get("sections") or [{"name": spec["name"]}]
        first_section = None
        for section_spec in sections:
            section = store.add_section(
                Section(
                    id=store.new_id("course_sections"),
                    course_id=course.id,
                    name=section_spec["name"],
                    created_at=created,
                    sis_section_id=section_spec.get("sis_section_id"),
                )
            )
            first_section = first_section or section.id
            if "key" in section_spec:
                self.ids[section_spec["key"]] = section.id
        assert first_section is not None  # a course has at least one section (a default one)
        groups = spec.get("assignment_groups") or [{"name": "Assignments"}]
        first_group = None
        for position, group_spec in enumerate(groups, start=1):
            group = store.add_assignment_group(
                AssignmentGroup(
                    id=store.new_id("assignment_groups"),
                    course_id=course.id,
                    name=group_spec["name"],
                    position=position,
                    group_weight=float(group_spec.get("weight", 0.0)),
                )
            )
            first_group = first_group or group.id
            if "key" in group_spec:
                self.ids[group_spec["key"]] = group.id
        assert first_group is not None  # a course has at least one group (a default one)
        for enrollment_spec in spec.get("enrollments", []):
            section_key = enrollment_spec.get("section")
            enrollment = store.add_enrollment(
                Enrollment(
                    id=store.new_id("enrollments"),
                    user_id=self.ids[enrollment_spec["person"]],
                    course_id=course.id,
                    section_id=self.ids[section_key] if section_key else first_section,
                    root_account_id=self.account.id,
                    type=ROLES[enrollment_spec["role"]],
                    created_at=created,
                    updated_at=created,
                    limit_privileges_to_course_section=enrollment_spec.get(
                        "limit_to_section", False
                    ),
                )
            )
            self.enrollments.append((enrollment, enrollment_spec.get("state", "active")))
        for position, assignment_spec in enumerate(spec.get("assignments", []), start=1):
            group_key = assignment_spec.get("group")
            manual = assignment_spec.get("post_manually", False)
            assignment = store.add_assignment(
                Assignment(
                    id=store.new_id("assignments"),
                    course_id=course.id,
                    assignment_group_id=self.ids[group_key] if group_key else first_group,
                    name=assignment_spec["name"],
                    points_possible=_maybe_float(assignment_spec.get("points_possible")),
                    grading_type=assignment_spec.get("grading_type", "points"),
                    created_at=created,
                    updated_at=created,
                    position=position,
                    due_at=_maybe_instant(assignment_spec.get("due_at")),
                    description=assignment_spec.get("description"),
                    workflow_state=(
                        "unpublished" if assignment_spec.get("published") is False else "published"
                    ),
                    anonymous_grading=assignment_spec.get("anonymous_grading", False),
                    post_manually=manual,
                    muted=manual,  # nothing posted yet
                    omit_from_final_grade=assignment_spec.get("omit_from_final_grade", False),
                    sis_assignment_id=assignment_spec.get("sis_assignment_id"),
                )
            )
            self.ids[assignment_spec["key"]] = assignment.id

    def _scores(self) -> None:
        """Every student enrollment has its course score row before anything is graded."""
        store = self.store
        for enrollment, _ in self.enrollments:
            if enrollment.type != "StudentEnrollment" or store.course_score(enrollment.id):
                continue
            scores = course_scores(store, enrollment.course_id, enrollment.user_id)
            store.add_score(
                Score(
                    id=store.new_id("scores"),
                    enrollment_id=enrollment.id,
                    created_at=enrollment.created_at,
                    updated_at=enrollment.created_at,
                    current_score=scores.current_score,
                    final_score=scores.final_score,
                    unposted_current_score=scores.unposted_current_score,
                    unposted_final_score=scores.unposted_final_score,
                )
            )

    def _grader(self, course_id: int, key: str | None) -> User:
        store = self.store
        if key is not None:
            return store.users[self.ids[key]]
        for enrollment in store.course_enrollments(course_id):
            if enrollment.type == "TeacherEnrollment":
                return store.users[enrollment.user_id]
        raise AssertionError("checked: the course has a teacher")

    def _context(self, grader: User, method: str | None, url: str) -> RequestContext:
        return RequestContext(
            request_id=seeded_uuid(self.rng),
            user=grader,
            hostname=self.domain,
            http_method=method,
            user_agent=USER_AGENT,
            client_ip=REMOTE_IP,
            url=url,
        )

    def _replay(self, at: datetime, index: int, entry: dict) -> None:
        """One history entry through the grading write path, at its own time."""
        store, ids = self.store, self.ids
        self.clock.set(at)
        page_view = entry.get("page_view", True)
        base = f"https://{self.domain}"
        try:
            if "override" in entry:
                course_id = ids[entry["course"]]
                student_id = ids[entry["student"]]
                grader = self._grader(course_id, entry.get("grader"))
                ctx = self._context(grader, "POST" if page_view else None, f"{base}/api/graphql")
                enrollment = grading.student_enrollment(store, course_id, student_id)
                score = entry["override"]
                grading.set_override_score(
                    self.inst, ctx, enrollment, None if score is None else float(score)
                )
            elif "post" in entry:
                assignment = store.assignments[ids[entry["post"]]]
                grader = self._grader(assignment.course_id, entry.get("grader"))
                url = (
                    f"{base}/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
                    "/post_grades"
                )
                ctx = self._context(grader, None, url)
                students = entry.get("students")
                grading.post_grades(
                    self.inst,
                    ctx,
                    assignment,
                    student_ids=None if students is None else {ids[s] for s in students},
                )
            else:
                assignment = store.assignments[ids[entry["assignment"]]]
                student_id = ids[entry["student"]]
                grader = self._grader(assignment.course_id, entry.get("grader"))
                url = (
                    f"{base}/api/v1/courses/{assignment.course_id}/assignments/{assignment.id}"
                    f"/submissions/{student_id}"
                )
                ctx = self._context(grader, "PUT" if page_view else None, url)
                value = entry.get("grade")
                posted = None
                if "grade" in entry:
                    posted = "" if value is None else grade_text(value)
                grading.grade(
                    self.inst,
                    ctx,
                    assignment,
                    student_id,
                    posted_grade=posted,
                    excuse=entry.get("excuse"),
                )
        except (BadRequest, NotFound, Unauthorized) as error:  # the checks should catch these
            message = getattr(error, "message", None) or type(error).__name__
            where = f"$.history[{index}]"
            raise self.fail(where, f"the write path refused it: {message}") from None

    def _final_states(self) -> None:
        """Today's states, set at ``now`` after the history they would otherwise have prevented.

        Deleting a user deletes their enrollments, as Canvas does; course scores are then
        recomputed (a deleted assignment no longer counts), as Canvas recomputes them.
        """
        store, now = self.store, self.now
        deleted_people = {
            self.ids[person["key"]] for person in self.data["people"] if person.get("deleted")
        }
        for user_id in deleted_people:
            store.users[user_id].workflow_state = "deleted"
        for enrollment, state in self.enrollments:
            if enrollment.user_id in deleted_people:
                state = "deleted"
            if state != enrollment.workflow_state:
                enrollment.workflow_state = state
                enrollment.updated_at = now
        for course in self.data.get("courses", []):
            for spec in course.get("assignments", []):
                if spec.get("deleted"):
                    assignment = store.assignments[self.ids[spec["key"]]]
                    assignment.workflow_state = "deleted"
                    assignment.updated_at = now
        for enrollment, _ in self.enrollments:
            score = store.course_score(enrollment.id)
            if score is None:
                continue
            if enrollment.workflow_state == "deleted":
                score.workflow_state = "deleted"
            fresh = course_scores(store, enrollment.course_id, enrollment.user_id)
            for name in grading.SCORE_FIELDS:
                if getattr(score, name) != getattr(fresh, name):
                    setattr(score, name, getattr(fresh, name))
                    score.updated_at = now


def _maybe_instant(text: str | None) -> datetime | None:
    return instant(text) if text else None


def _maybe_float(value: float | int | None) -> float | None:
    return None if value is None else float(value)
