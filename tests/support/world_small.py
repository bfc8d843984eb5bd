"""A tiny hand-built Canvas for focused REST tests: every entity is chosen, nothing is random.

One root account (Denver time) with a sub-account holding two courses. The main course
(``override_course``) has two sections, a teacher, a TA, a TA limited to section B, a student in
each section, an inactive student and a deleted user; its assignments cover the cases presenters
branch on (published, unpublished, deleted, quiz, anonymous and unposted). The landmarks use the
seed's names where the seed has them, so tests read the same against either world.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mockcanvas.models import (
    Account,
    AccountAdmin,
    Assignment,
    AssignmentGroup,
    Course,
    Enrollment,
    PageView,
    Section,
    Submission,
    User,
)
from mockcanvas.store import Store

NOW = datetime(2026, 11, 2, 16, 0, 0, tzinfo=UTC)
PAGE_VIEW_ID = "6f1c2a4e-3b9d-4c8e-9a7f-0d2b5e8c1a34"


def _at(days: float) -> datetime:
    return NOW - timedelta(days=days)


def token_for(name: str) -> str:
    return f"token-{name}"


def build() -> Store:
    store = Store()
    root = store.add_account(
        Account(
            id=store.new_id("accounts"),
            name="Mock University",
            uuid="root-account-uuid",
            lti_guid="mock.instructure.test",
            default_time_zone="America/Denver",
            created_at=_at(400),
        )
    )
    sub = store.add_account(
        Account(
            id=store.new_id("accounts"),
            name="College of Letters",
            uuid="sub-account-uuid",
            lti_guid="mock.instructure.test",
            default_time_zone="America/Denver",
            created_at=_at(399),
            parent_account_id=root.id,
            root_account_id=root.id,
        )
    )

    def user(name: str, full: str, sortable: str, **extra) -> User:
        made = store.add_user(
            User(
                id=store.new_id("users"),
                name=full,
                sortable_name=sortable,
                short_name=full.split()[0],
                login_id=f"{name}@mock.test",
                email=f"{name}@mock.test",
                created_at=_at(300),
                **extra,
            ),
            token=token_for(name),
        )
        store.landmarks[name] = made.id
        return made

    admin = user("admin", "Ada Admin", "Admin, Ada")
    teacher = user("teacher", "Tess Teacher", "Teacher, Tess", time_zone="America/New_York")
    ta = user("ta", "Tom Assistant", "Assistant, Tom")
    limited = user("section_limited_ta", "Lia Limited", "Limited, Lia")
    student = user(
        "student",
        "Sam Student",
        "Student, Sam",
        sis_user_id="SIS-U-SAM",
        integration_id="INT-U-SAM",
        locale="es",
    )
    student2 = user("student2", "Bea Bravo", "Bravo, Bea")
    inactive = user("inactive_student", "Ivy Inactive", "Inactive, Ivy")
    deleted = user("deleted_user", "Dan Deleted", "Deleted, Dan", workflow_state="deleted")
    other_teacher = user("other_teacher", "Otto Other", "Other, Otto")
    no_log_admin = user("no_grade_log_admin", "Nia Nolog", "Nolog, Nia")

    for member, can_view in ((admin, True), (no_log_admin, False)):
        store.add_admin(
            AccountAdmin(
                id=store.new_id("account_users"),
                account_id=root.id,
                user_id=member.id,
                view_grade_changes=can_view,
            )
        )

    def course(landmark: str, name: str, code: str, **extra) -> Course:
        made = store.add_course(
            Course(
                id=store.new_id("courses"),
                account_id=sub.id,
                root_account_id=root.id,
                name=name,
                course_code=code,
                uuid=f"{code.lower()}-uuid",
                created_at=_at(200),
                start_at=_at(60),
                end_at=_at(-60),
                **extra,
            )
        )
        store.landmarks[landmark] = made.id
        return made

    main = course(
        "override_course",
        "History of Rome",
        "HIST-101",
        sis_course_id="SIS-C-HIST101",
        integration_id="INT-C-HIST101",
        allow_final_grade_override=True,
    )
    other = course("other_course", "Organic Chemistry", "CHEM-201")

    def section(of: Course, name: str) -> Section:
        return store.add_section(
            Section(id=store.new_id("sections"), course_id=of.id, name=name, created_at=_at(200))
        )

    section_a, section_b = section(main, "Section A"), section(main, "Section B")
    other_section = section(other, "Only Section")

    def enroll(who: User, where: Section, kind: str, **extra) -> Enrollment:
        return store.add_enrollment(
            Enrollment(
                id=store.new_id("enrollments"),
                user_id=who.id,
                course_id=where.course_id,
                section_id=where.id,
                root_account_id=root.id,
                type=kind,
                created_at=_at(100),
                updated_at=_at(100),
                **extra,
            )
        )

    enroll(teacher, section_a, "TeacherEnrollment")
    enroll(ta, section_a, "TaEnrollment")
    enroll(limited, section_b, "TaEnrollment", limit_privileges_to_course_section=True)
    enroll(student, section_a, "StudentEnrollment")
    enroll(student2, section_b, "StudentEnrollment")
    enroll(inactive, section_a, "StudentEnrollment", workflow_state="inactive")
    enroll(deleted, section_a, "StudentEnrollment", workflow_state="deleted")
    enroll(other_teacher, other_section, "TeacherEnrollment")

    def group(of: Course, name: str, position: int) -> AssignmentGroup:
        return store.add_assignment_group(
            AssignmentGroup(
                id=store.new_id("assignment_groups"), course_id=of.id, name=name, position=position
            )
        )

    essays, quizzes = group(main, "Essays", 2), group(main, "Quizzes", 1)
    labs = group(other, "Labs", 1)

    def assignment(landmark: str, of: AssignmentGroup, name: str, position: int, **extra):
        made = store.add_assignment(
            Assignment(
                id=store.new_id("assignments"),
                course_id=of.course_id,
                assignment_group_id=of.id,
                name=name,
                points_possible=extra.pop("points_possible", 10.0),
                grading_type=extra.pop("grading_type", "points"),
                created_at=_at(50),
                updated_at=_at(40),
                position=position,
                **extra,
            )
        )
        store.landmarks[landmark] = made.id
        return made

    essay = assignment(
        "assignment",
        essays,
        "Essay 1",
        1,
        due_at=_at(10),
        description="<p>Write about <em>Rome</em> & Carthage.</p>",
        sis_assignment_id="SIS-A-ESSAY1",
    )
    assignment("unpublished_assignment", essays, "Essay 2 (draft)", 2, workflow_state="unpublished")
    assignment("deleted_assignment", essays, "Old essay", 3, workflow_state="deleted")
    anonymous = assignment(
        "anonymous_assignment",
        essays,
        "Blind review",
        4,
        anonymous_grading=True,
        post_manually=True,
        muted=True,
    )
    quiz = assignment(
        "quiz_assignment",
        quizzes,
        "Quiz 1",
        1,
        submission_types=("online_quiz",),
        quiz_id=77,
        due_at=_at(5),
    )
    assignment("other_assignment", labs, "Lab 1", 1)

    def submission(of: Assignment, who: User, **extra) -> Submission:
        return store.add_submission(
            Submission(
                id=store.new_id("submissions"),
                assignment_id=of.id,
                user_id=who.id,
                course_id=of.course_id,
                created_at=_at(50),
                updated_at=_at(3),
                **extra,
            )
        )

    submission(
        essay,
        student,
        workflow_state="graded",
        score=8.0,
        grade="8",
        entered_score=8.0,
        entered_grade="8",
        grader_id=teacher.id,
        graded_at=_at(3),
        posted_at=_at(3),
        submitted_at=_at(9),
        submission_type="online_text_entry",
        attempt=1,
        version_number=2,
        late=True,
    )
    submission(
        essay,
        student2,
        workflow_state="submitted",
        submitted_at=_at(11),
        submission_type="online_text_entry",
        attempt=1,
        version_number=1,
    )
    submission(
        quiz,
        student,
        workflow_state="graded",
        score=9.0,
        grade="9",
        entered_score=9.0,
        entered_grade="9",
        grader_id=-77,
        graded_at=_at(6),
        posted_at=_at(6),
        submitted_at=_at(6),
        submission_type="online_quiz",
        attempt=1,
        version_number=1,
    )
    submission(
        anonymous,
        student,
        workflow_state="graded",
        score=7.0,
        grade="7",
        entered_score=7.0,
        entered_grade="7",
        grader_id=teacher.id,
        graded_at=_at(2),
        submitted_at=_at(4),
        submission_type="online_text_entry",
        attempt=1,
        version_number=1,
    )

    store.add_page_view(
        PageView(
            request_id=PAGE_VIEW_ID,
            user_id=teacher.id,
            url=f"http://canvas.test/courses/{main.id}/gradebook/update_submission",
            controller="gradebooks",
            action="update_submission",
            http_method="POST",
            context_type="Course",
            context_id=main.id,
            created_at=_at(3),
            participated=False,
            app_name=None,
        )
    )
    return store
