"""The entities a seeded Canvas holds.

Plain slotted dataclasses with no behaviour beyond small derived properties: the store owns
them, the services change them, the presenters turn them into Canvas JSON. Times are timezone-
aware UTC datetimes, except on the audit record, which keeps whole epoch seconds because a world
may hold a million of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class Account:
    id: int
    name: str
    uuid: str
    lti_guid: str
    default_time_zone: str
    created_at: datetime
    parent_account_id: int | None = None
    root_account_id: int | None = None  # None on a root account, as in Canvas
    sis_account_id: str | None = None
    workflow_state: str = "active"


@dataclass(slots=True)
class User:
    id: int
    name: str
    sortable_name: str
    short_name: str
    login_id: str  # the pseudonym's unique_id: an email address here
    email: str
    created_at: datetime
    time_zone: str | None = None  # IANA name; None means the root account's default
    locale: str | None = None
    sis_user_id: str | None = None
    integration_id: str | None = None
    workflow_state: str = "registered"  # "deleted" users are gone from User.active

    @property
    def active(self) -> bool:
        return self.workflow_state != "deleted"


@dataclass(slots=True)
class AccountAdmin:
    """An AccountUser row: membership of an account with a role and its permissions."""

    id: int
    account_id: int
    user_id: int
    role: str = "AccountAdmin"
    # Canvas's "Grades - view change logs" permission, true for AccountAdmin by default.
    view_grade_changes: bool = True
    workflow_state: str = "active"


@dataclass(slots=True)
class Course:
    id: int
    account_id: int
    root_account_id: int
    name: str
    course_code: str
    uuid: str
    created_at: datetime
    start_at: datetime | None = None
    end_at: datetime | None = None
    time_zone: str = "America/Denver"
    sis_course_id: str | None = None
    integration_id: str | None = None
    enrollment_term_id: int = 1
    workflow_state: str = "available"
    allow_final_grade_override: bool = False
    apply_assignment_group_weights: bool = False
    default_view: str = "modules"
    license: str = "private"
    is_public: bool = False
    grading_standard_id: int | None = None
    hide_final_grades: bool = False


@dataclass(slots=True)
class Section:
    id: int
    course_id: int
    name: str
    created_at: datetime
    sis_section_id: str | None = None


@dataclass(slots=True)
class Enrollment:
    id: int
    user_id: int
    course_id: int
    section_id: int
    root_account_id: int
    type: str  # StudentEnrollment, TeacherEnrollment, TaEnrollment
    created_at: datetime
    updated_at: datetime
    workflow_state: str = "active"  # active, completed, deleted, inactive
    limit_privileges_to_course_section: bool = False

    @property
    def role(self) -> str:
        return self.type


@dataclass(slots=True)
class AssignmentGroup:
    id: int
    course_id: int
    name: str
    position: int
    group_weight: float = 0.0
    workflow_state: str = "available"


@dataclass(slots=True)
class Assignment:
    id: int
    course_id: int
    assignment_group_id: int
    name: str
    points_possible: float | None
    grading_type: str  # points, percent, letter_grade, pass_fail, gpa_scale, not_graded
    created_at: datetime
    updated_at: datetime
    position: int
    submission_types: tuple[str, ...] = ("online_text_entry",)
    due_at: datetime | None = None
    description: str | None = None
    workflow_state: str = "published"  # published, unpublished, deleted
    anonymous_grading: bool = False
    post_manually: bool = False
    muted: bool = False  # grades not yet posted on a manually posted assignment
    omit_from_final_grade: bool = False
    quiz_id: int | None = None
    grading_standard_id: int | None = None
    sis_assignment_id: str | None = None
    integration_id: str | None = None

    @property
    def active(self) -> bool:
        return self.workflow_state != "deleted"


@dataclass(slots=True)
class Submission:
    id: int
    assignment_id: int
    user_id: int
    course_id: int
    created_at: datetime
    updated_at: datetime
    workflow_state: str = "unsubmitted"  # unsubmitted, submitted, pending_review, graded
    score: float | None = None
    grade: str | None = None
    entered_score: float | None = None
    entered_grade: str | None = None
    excused: bool = False
    grader_id: int | None = None  # negative when graded automatically (quizzes), as in Canvas
    graded_at: datetime | None = None
    posted_at: datetime | None = None
    submitted_at: datetime | None = None
    submission_type: str | None = None
    attempt: int | None = None
    version_number: int = 0
    graded_anonymously: bool = False
    late: bool = False
    missing: bool = False

    @property
    def autograded(self) -> bool:
        return self.grader_id is not None and self.grader_id < 0

    @property
    def graded(self) -> bool:
        return self.workflow_state == "graded" or self.excused


@dataclass(slots=True)
class Score:
    """A course-level (or grading-period) score row of an enrollment."""

    id: int
    enrollment_id: int
    created_at: datetime
    updated_at: datetime
    course_score: bool = True
    grading_period_id: int | None = None
    current_score: float | None = None
    final_score: float | None = None
    unposted_current_score: float | None = None
    unposted_final_score: float | None = None
    override_score: float | None = None
    override_grade: str | None = None
    workflow_state: str = "active"


@dataclass(slots=True)
class PageView:
    """A stored page view; its id is the request id of the request that made it."""

    request_id: str
    user_id: int
    url: str
    controller: str
    action: str
    http_method: str
    context_type: str
    context_id: int
    created_at: datetime
    user_agent: str = "Mozilla/5.0"
    remote_ip: str = "127.0.0.1"
    interaction_seconds: float = 5.0
    render_time: float = 0.1
    participated: bool = False
    asset_type: str | None = None
    app_name: str | None = None


@dataclass(slots=True)
class GradeChange:
    """One row of the grade change audit log (Canvas's auditor_grade_change_records).

    `assignment_id` is None on course final-grade override rows, which Canvas marks with
    `override` and whose `version_number` is the placeholder 0. `created_at` is whole epoch
    seconds (UTC): Canvas cuts record times to seconds.
    """

    id: int
    uuid: str
    created_at: int
    root_account_id: int
    account_id: int
    course_id: int
    assignment_id: int | None
    submission_id: int | None
    student_id: int | None
    grader_id: int | None
    grade_before: str | None
    grade_after: str | None
    excused_before: bool
    excused_after: bool
    graded_anonymously: bool
    points_possible_before: float | None
    points_possible_after: float | None
    version_number: int
    request_id: str
    score_before: float | None = None
    score_after: float | None = None
    grading_period_id: int | None = None
    override: bool = False
    event_type: str = "grade_change"
