"""The seeded world, the grade strings and the course scores it is built from."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from mockcanvas import clock
from mockcanvas.grading import format_number, grade_for_score, percent_string
from mockcanvas.models import (
    Account,
    Assignment,
    AssignmentGroup,
    Course,
    GradeChange,
    Submission,
)
from mockcanvas.scoring import CourseScores, course_scores
from mockcanvas.seed import SIZES, WorldSize, build_world
from mockcanvas.store import Store

NOW = int(clock.DEFAULT_NOW.timestamp())


def dump(store: Store) -> str:
    """Every entity, token, page view, landmark and audit row, in a stable order."""
    parts: list[object] = []
    for table in (
        store.accounts,
        store.users,
        store.admins,
        store.courses,
        store.sections,
        store.enrollments,
        store.assignment_groups,
        store.assignments,
        store.submissions,
        store.scores,
        store.page_views,
        store.tokens,
    ):
        parts.append(sorted(table.items()))
    parts.append(sorted(store.landmarks.items()))
    parts.append(store.grade_changes.rows())
    return repr(parts)


@pytest.fixture(scope="module")
def world() -> Store:
    return build_world(1)


@pytest.fixture(scope="module")
def rows(world: Store) -> list[GradeChange]:
    return world.grade_changes.rows()


def landmark(world: Store, name: str) -> int:
    return world.landmarks[name]


def rows_where(rows: list[GradeChange], **conditions: object) -> list[GradeChange]:
    return [r for r in rows if all(getattr(r, k) == v for k, v in conditions.items())]


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_builds_the_same_world(world: Store) -> None:
    assert dump(build_world(1)) == dump(world)


def test_the_fast_draws_are_the_generators_own() -> None:
    """The seed's shortcuts draw exactly what the slow calls they replace would draw."""
    from faker import Faker

    from mockcanvas.ids import seeded_uuid_bits, seeded_uuid_pair_bits
    from mockcanvas.seed import _randint, _weighted_names

    for low, high in ((1, 1), (1, 3), (1, 6), (0, 4 * 86_400 - 1), (1, 120), (7, 2**40)):
        fast, slow = random.Random(low + high), random.Random(low + high)
        draw = _randint(fast, low, high)
        assert [draw() for _ in range(500)] == [slow.randint(low, high) for _ in range(500)]
        assert fast.random() == slow.random()  # and the generators are left in step
    fast, slow = random.Random(4), random.Random(4)
    pairs = [seeded_uuid_pair_bits(fast) for _ in range(100)]
    assert pairs == [(seeded_uuid_bits(slow), seeded_uuid_bits(slow)) for _ in range(100)]
    fast_fake, slow_fake = Faker("en_US"), Faker("en_US")
    fast_fake.seed_instance(9)
    slow_fake.seed_instance(9)
    first = _weighted_names(fast_fake, "first_names", fast_fake.first_name)
    last = _weighted_names(fast_fake, "last_names", fast_fake.last_name)
    assert first is not fast_fake.first_name and last is not fast_fake.last_name
    names = [(first(), last()) for _ in range(300)]
    assert names == [(slow_fake.first_name(), slow_fake.last_name()) for _ in range(300)]


def test_the_build_reports_its_progress_in_rows() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.updates: list[int] = []
            self.closed: list[int | None] = []

        def update(self, done: int) -> None:
            self.updates.append(done)

        def close(self, done: int | None = None) -> None:
            self.closed.append(done)

    recorder = Recorder()
    store = build_world(2, "medium", progress=recorder)  # type: ignore[arg-type]
    assert len(recorder.updates) >= 3 and recorder.updates == sorted(recorder.updates)
    assert recorder.updates[-1] < len(store.grade_changes)
    assert recorder.closed == [len(store.grade_changes)]


def test_different_seeds_build_different_worlds(world: Store) -> None:
    other = build_world(2)
    assert dump(other) != dump(world)
    assert [r.uuid for r in other.grade_changes.rows()[:5]] != [
        r.uuid for r in world.grade_changes.rows()[:5]
    ]


def test_the_build_leaves_the_global_random_generator_alone() -> None:
    state = random.getstate()
    build_world(3)
    assert random.getstate() == state


def test_admin_token_changes_only_that_token(world: Store) -> None:
    store = build_world(1, admin_token="custom-admin-token")
    admin = landmark(store, "admin")
    assert store.user_for_token("custom-admin-token").id == admin
    assert store.token_for(admin) == "custom-admin-token"
    assert store.grade_changes.rows() == world.grade_changes.rows()
    assert sorted(store.users.items()) == sorted(world.users.items())
    others = {u: t for t, u in store.tokens.items() if u != admin}
    assert others == {u: t for t, u in world.tokens.items() if u != admin}


def test_now_moves_the_whole_history() -> None:
    later = clock.DEFAULT_NOW + timedelta(days=30)
    store = build_world(1, now=later)
    created = [r.created_at for r in store.grade_changes.rows()]
    assert max(created) <= int(later.timestamp())
    assert min(created) > int(clock.DEFAULT_NOW.timestamp()) - 100 * 86_400


def test_sizes_and_their_validation() -> None:
    assert set(SIZES) == {"small", "medium", "large", "huge"}
    events = [SIZES[name].events for name in ("small", "medium", "large", "huge")]
    assert events == sorted(events)
    assert SIZES["medium"].events == 10_000
    assert SIZES["huge"].events == 1_000_000
    with pytest.raises(ValueError, match="unknown world size"):
        build_world(1, "gigantic")
    with pytest.raises(ValueError):
        WorldSize(courses=2, students_per_course=10, assignments_per_course=5, events=10)
    with pytest.raises(ValueError, match="timezone-aware"):
        build_world(1, now=datetime(2026, 1, 1))


def test_a_custom_size_meets_its_event_target() -> None:
    size = WorldSize(courses=5, students_per_course=16, assignments_per_course=8, events=1_500)
    store = build_world(7, size)
    assert len(store.courses) == 5
    assert abs(len(store.grade_changes) - 1_500) <= 75


# -- accounts and people -----------------------------------------------------------------------


def test_accounts(world: Store) -> None:
    root = world.root_account
    assert root.id == landmark(world, "root_account")
    assert root.default_time_zone == "America/Denver"
    assert root.root_account_id is None and root.parent_account_id is None
    assert re.fullmatch(r"[A-Za-z0-9]{40}", root.uuid)
    assert root.lti_guid.startswith(root.uuid)
    sub = world.accounts[landmark(world, "sub_account")]
    assert sub.parent_account_id == root.id and sub.root_account_id == root.id
    assert {c.account_id for c in world.courses.values()} == {sub.id}


def test_admins(world: Store) -> None:
    viewers = []
    for name in ("admin", "second_admin"):
        memberships = world.admin_memberships(landmark(world, name))
        assert [(m.role, m.view_grade_changes) for m in memberships] == [("AccountAdmin", True)]
        viewers.append(memberships[0].account_id)
    assert viewers == [world.root_account_id] * 2
    member = world.admin_memberships(landmark(world, "no_grade_log_admin"))
    assert [(m.role, m.view_grade_changes) for m in member] == [("AccountMembership", False)]


def test_every_user_has_a_token_and_canvas_shaped_names(world: Store) -> None:
    zones = Counter()
    for user in world.users.values():
        token = world.token_for(user.id)
        assert token and world.user_for_token(token) is user
        assert re.fullmatch(r"1~[A-Za-z0-9]{64}", token)
        assert user.login_id == user.email and "@" in user.email
        first, last = user.name.split(" ", 1)
        assert user.sortable_name == f"{last}, {first}"
        assert user.short_name == user.name
        if user.sis_user_id:
            assert re.fullmatch(r"SIS-U-\d{5}", user.sis_user_id)
        zones[user.time_zone] += 1
    assert len(world.tokens) == len(world.users)
    assert None in zones and len(zones) >= 4
    assert any(u.integration_id for u in world.users.values())


def test_named_students(world: Store) -> None:
    course = landmark(world, "override_course")
    student = world.users[landmark(world, "student")]
    assert student.active and student.sis_user_id
    no_sis = world.users[landmark(world, "student_no_sis")]
    assert no_sis.active and no_sis.sis_user_id is None
    for user, state in (
        (student, "active"),
        (no_sis, "active"),
        (world.users[landmark(world, "completed_student")], "completed"),
        (world.users[landmark(world, "deleted_enrollment_student")], "deleted"),
    ):
        assert [
            (e.type, e.workflow_state)
            for e in world.user_enrollments(user.id)
            if e.course_id == course
        ] == [("StudentEnrollment", state)]
    assert {e.course_id for e in world.user_enrollments(student.id)} > {course}


def test_deleted_user(world: Store, rows: list[GradeChange]) -> None:
    user = world.users[landmark(world, "deleted_user")]
    assert user.workflow_state == "deleted" and not user.active
    enrollments = world.user_enrollments(user.id)
    assert enrollments and all(e.workflow_state == "deleted" for e in enrollments)
    assert rows_where(rows, student_id=user.id)


@pytest.mark.parametrize("name", ["completed_student", "deleted_enrollment_student"])
def test_former_students_keep_their_history(
    world: Store, rows: list[GradeChange], name: str
) -> None:
    assert rows_where(
        rows, student_id=landmark(world, name), course_id=landmark(world, "override_course")
    )


def test_course_staff(world: Store, rows: list[GradeChange]) -> None:
    course = landmark(world, "override_course")
    staff = {
        (e.user_id, e.type, e.limit_privileges_to_course_section, e.section_id)
        for e in world.course_enrollments(course)
        if e.type != "StudentEnrollment"
    }
    section_1 = landmark(world, "override_section_1")
    assert (landmark(world, "teacher"), "TeacherEnrollment", False, section_1) in staff
    assert (landmark(world, "ta"), "TaEnrollment", False, section_1) in staff
    assert (landmark(world, "section_limited_ta"), "TaEnrollment", True, section_1) in staff
    assert [s.id for s in world.course_sections(course)] == [
        section_1,
        landmark(world, "override_section_2"),
    ]
    other = landmark(world, "other_teacher")
    assert all(e.course_id != course for e in world.user_enrollments(other))
    assert any(e.type == "TeacherEnrollment" for e in world.user_enrollments(other))
    assert rows_where(rows, grader_id=other)


def test_section_limited_ta_grades_only_their_section(
    world: Store, rows: list[GradeChange]
) -> None:
    course = landmark(world, "override_course")
    section_1 = landmark(world, "override_section_1")
    in_section = {e.user_id for e in world.course_enrollments(course) if e.section_id == section_1}
    graded = rows_where(rows, grader_id=landmark(world, "section_limited_ta"))
    assert graded
    assert {r.student_id for r in graded} <= in_section


def test_courses(world: Store) -> None:
    assert len(world.courses) == SIZES["small"].courses
    override = world.courses[landmark(world, "override_course")]
    assert override.allow_final_grade_override
    assert not world.courses[landmark(world, "no_override_course")].allow_final_grade_override
    assert world.courses[landmark(world, "weighted_course")].apply_assignment_group_weights
    assert override.sis_course_id and world.course_id_for_sis(override.sis_course_id) == override.id
    assert override.start_at and override.end_at
    for course in world.courses.values():
        assert len(world.course_sections(course.id)) == 2
        sections = {
            e.section_id
            for e in world.course_enrollments(course.id)
            if e.type == "StudentEnrollment"
        }
        assert sections == {s.id for s in world.course_sections(course.id)}
        types = Counter(e.type for e in world.course_enrollments(course.id))
        assert types["TeacherEnrollment"] == 1 and types["TaEnrollment"] >= 1


# -- assignments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "grading_type"),
    [
        ("points_assignment", "points"),
        ("percent_assignment", "percent"),
        ("letter_grade_assignment", "letter_grade"),
        ("pass_fail_assignment", "pass_fail"),
        ("gpa_scale_assignment", "gpa_scale"),
    ],
)
def test_grading_type_assignments(
    world: Store, rows: list[GradeChange], name: str, grading_type: str
) -> None:
    assignment = world.assignments[landmark(world, name)]
    assert assignment.grading_type == grading_type
    assert assignment.course_id == landmark(world, "override_course")
    graded = [r for r in rows_where(rows, assignment_id=assignment.id) if r.score_after is not None]
    assert graded
    for row in graded:
        expected = grade_for_score(grading_type, row.score_after, row.points_possible_after)
        assert row.grade_after == expected


def test_quiz_assignment_is_graded_automatically(world: Store, rows: list[GradeChange]) -> None:
    quiz = world.assignments[landmark(world, "quiz_assignment")]
    assert quiz.submission_types == ("online_quiz",) and quiz.quiz_id
    quiz_rows = rows_where(rows, assignment_id=quiz.id)
    assert quiz_rows and all(r.grader_id is None for r in quiz_rows)
    graded = [s for s in world.assignment_submissions(quiz.id) if s.workflow_state == "graded"]
    assert graded and all(s.grader_id == -quiz.quiz_id and s.autograded for s in graded)
    quiz_ids = {a.id for a in world.assignments.values() if a.quiz_id}
    assert all(r.grader_id is None for r in rows if r.assignment_id in quiz_ids)
    assert all(r.grader_id is not None for r in rows if r.assignment_id not in quiz_ids)


def test_anonymous_muted_assignment(world: Store, rows: list[GradeChange]) -> None:
    assignment = world.assignments[landmark(world, "anonymous_assignment")]
    assert assignment.anonymous_grading and assignment.post_manually and assignment.muted
    anonymous_rows = rows_where(rows, assignment_id=assignment.id)
    assert anonymous_rows and all(r.graded_anonymously for r in anonymous_rows)
    assert all(not r.graded_anonymously for r in rows if r.assignment_id != assignment.id)
    subs = world.assignment_submissions(assignment.id)
    assert all(s.posted_at is None for s in subs)
    assert any(s.graded_anonymously for s in subs)


def test_deleted_assignment_keeps_its_history(world: Store, rows: list[GradeChange]) -> None:
    assignment = world.assignments[landmark(world, "deleted_assignment")]
    assert assignment.workflow_state == "deleted" and not assignment.active
    deleted_rows = rows_where(rows, assignment_id=assignment.id)
    assert deleted_rows
    assert max(r.created_at for r in deleted_rows) <= assignment.updated_at.timestamp()
    assert sum(not a.active for a in world.assignments.values()) == 1


def test_points_possible_changed_during_the_history(world: Store, rows: list[GradeChange]) -> None:
    assignment = world.assignments[landmark(world, "points_changed_assignment")]
    changed = [
        r
        for r in rows_where(rows, assignment_id=assignment.id)
        if r.points_possible_before != r.points_possible_after
    ]
    assert changed
    assert {(r.points_possible_before, r.points_possible_after) for r in changed} == {
        (10.0, assignment.points_possible)
    }
    first_change = min(r.id for r in changed)
    later = [r for r in rows_where(rows, assignment_id=assignment.id) if r.id > first_change]
    assert all(r.points_possible_after == assignment.points_possible for r in later)


def test_one_submission_per_assignment_and_student(world: Store) -> None:
    for course in world.courses.values():
        students = [
            e.user_id for e in world.course_enrollments(course.id) if e.type == "StudentEnrollment"
        ]
        for assignment in world.course_assignments(course.id):
            subs = world.assignment_submissions(assignment.id)
            assert sorted(s.user_id for s in subs) == sorted(students)
            assert all(world.submission_for(assignment.id, s.user_id) is s for s in subs)


# -- the audit history -------------------------------------------------------------------------


def test_history_size(world: Store, rows: list[GradeChange]) -> None:
    assert 250 <= len(rows) <= 600
    override_course = landmark(world, "override_course")
    assert len(rows_where(rows, course_id=override_course)) >= 60


def test_rows_are_time_ordered_with_ties(rows: list[GradeChange]) -> None:
    assert [r.id for r in rows] == list(range(1, len(rows) + 1))
    assert all(a.created_at <= b.created_at for a, b in pairwise(rows))
    seconds = Counter(r.created_at for r in rows)
    assert any(count > 1 for count in seconds.values())
    assert rows[0].created_at >= NOW - 121 * 86_400
    assert rows[-1].created_at <= NOW
    assert all(isinstance(r.created_at, int) for r in rows)


def test_rows_are_unique_and_account_scoped(world: Store, rows: list[GradeChange]) -> None:
    assert len({r.uuid for r in rows}) == len(rows)
    assert len({r.request_id for r in rows}) == len(rows)
    for row in rows:
        assert row.root_account_id == world.root_account_id
        assert row.account_id == world.courses[row.course_id].account_id
        assert row.event_type == "grade_change"


def test_kinds_of_rows(rows: list[GradeChange]) -> None:
    grading = [r for r in rows if not r.override]
    first = [r for r in grading if r.grade_before is None and not r.excused_before]
    assert first and all(r.version_number == 1 for r in first)
    assert [r for r in grading if r.grade_before is not None and r.grade_after is not None]
    excused = [r for r in grading if r.excused_after]
    assert excused and all(r.grade_after is None and r.score_after is None for r in excused)
    assert [r for r in grading if r.excused_before and not r.excused_after and r.grade_after]
    for row in grading:  # every row changes something
        assert (row.grade_before, row.score_before, row.excused_before) != (
            row.grade_after,
            row.score_after,
            row.excused_after,
        )


def test_version_numbers_count_each_submission_change(rows: list[GradeChange]) -> None:
    versions: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        if not row.override:
            versions[row.submission_id].append(row.version_number)
    assert any(len(v) > 1 for v in versions.values())
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())


def test_override_rows(world: Store, rows: list[GradeChange]) -> None:
    overrides = [r for r in rows if r.override]
    for name in ("override_course", "no_override_course"):
        assert rows_where(overrides, course_id=landmark(world, name))
    for row in overrides:
        course = world.courses[row.course_id]
        teacher = next(
            e.user_id for e in world.course_enrollments(course.id) if e.type == "TeacherEnrollment"
        )
        assert row.assignment_id is None and row.submission_id is None
        assert row.version_number == 0 and row.grader_id == teacher
        assert not row.excused_before and not row.excused_after and not row.graded_anonymously
        assert row.points_possible_before is None and row.points_possible_after is None
        for grade, score in (
            (row.grade_before, row.score_before),
            (row.grade_after, row.score_after),
        ):
            if score is None:
                assert grade is None
            else:
                assert grade is not None
                assert grade.endswith("%") == (grade == percent_string(score))
    assert any(r.grade_after and r.grade_after.endswith("%") for r in overrides)
    assert any(r.grade_after and not r.grade_after.endswith("%") for r in overrides)
    student_rows = rows_where(overrides, student_id=landmark(world, "student"))
    assert len(student_rows) >= 2 and student_rows[-1].grade_before is not None


def test_override_scores_match_the_latest_override(world: Store, rows: list[GradeChange]) -> None:
    latest: dict[tuple[int, int], GradeChange] = {}
    for row in rows:
        if row.override:
            latest[row.course_id, row.student_id] = row
    override_course = landmark(world, "override_course")
    no_override_course = landmark(world, "no_override_course")
    for course_id in (override_course, no_override_course):
        for enrollment in world.course_enrollments(course_id):
            if enrollment.type != "StudentEnrollment":
                continue
            score = world.course_score(enrollment.id)
            row = latest.get((course_id, enrollment.user_id))
            if course_id == no_override_course or row is None:
                assert score.override_score is None
            else:
                assert score.override_score == row.score_after
    student = next(
        e
        for e in world.course_enrollments(override_course)
        if e.user_id == landmark(world, "student")
    )
    assert world.course_score(student.id).override_score is not None


def test_page_views(world: Store, rows: list[GradeChange]) -> None:
    quiz_ids = {a.id for a in world.assignments.values() if a.quiz_id}
    with_view = [r for r in rows if r.request_id in world.page_views]
    assert 0.55 <= len(with_view) / len(rows) <= 0.85
    assert len(world.page_views) == len(with_view)
    for row in with_view:
        view = world.page_views[row.request_id]
        assert view.http_method == "POST" and view.context_type == "Course"
        assert view.context_id == row.course_id
        assert int(view.created_at.timestamp()) == row.created_at
        if row.assignment_id in quiz_ids:
            assert view.user_id == row.student_id
            assert view.controller == "quizzes/quiz_submissions"
        elif row.override:
            assert view.user_id == row.grader_id and view.url == "/api/graphql"
        else:
            assert view.user_id == row.grader_id
            assert view.url == f"/courses/{row.course_id}/gradebook/update_submission"
            assert (view.controller, view.action) == ("gradebooks", "update_submission")


# -- the state after the history ---------------------------------------------------------------


def test_each_submission_is_in_the_state_of_its_last_row(
    world: Store, rows: list[GradeChange]
) -> None:
    last: dict[int, GradeChange] = {}
    first: dict[int, GradeChange] = {}
    for row in rows:
        if not row.override:
            last[row.submission_id] = row
            first.setdefault(row.submission_id, row)
    for sub in world.submissions.values():
        assignment = world.assignments[sub.assignment_id]
        row = last.get(sub.id)
        if row is None:
            assert sub.workflow_state in ("unsubmitted", "submitted")
            assert sub.grade is None and sub.score is None and sub.version_number == 0
            assert sub.graded_at is None and sub.posted_at is None
            continue
        assert (row.assignment_id, row.student_id, row.course_id) == (
            sub.assignment_id,
            sub.user_id,
            sub.course_id,
        )
        assert sub.workflow_state == "graded"
        assert (sub.grade, sub.score, sub.excused) == (
            row.grade_after,
            row.score_after,
            row.excused_after,
        )
        assert (sub.entered_grade, sub.entered_score) == (sub.grade, sub.score)
        assert sub.version_number == row.version_number
        assert sub.graded_anonymously == row.graded_anonymously
        assert sub.graded_at == datetime.fromtimestamp(row.created_at, UTC)
        expected_grader = -assignment.quiz_id if assignment.quiz_id else row.grader_id
        assert sub.grader_id == expected_grader
        if assignment.muted:
            assert sub.posted_at is None
        else:
            assert sub.posted_at == datetime.fromtimestamp(first[sub.id].created_at, UTC)
    assert any(s.excused for s in world.submissions.values())
    states = Counter(s.workflow_state for s in world.submissions.values())
    assert states["graded"] and states["unsubmitted"] and states["submitted"]


def test_scores_are_computed_after_the_history(world: Store) -> None:
    checked = 0
    for enrollment in world.enrollments.values():
        score = world.course_score(enrollment.id)
        if enrollment.type != "StudentEnrollment":
            assert score is None
            continue
        expected = course_scores(world, enrollment.course_id, enrollment.user_id)
        assert (
            score.current_score,
            score.final_score,
            score.unposted_current_score,
            score.unposted_final_score,
        ) == (
            expected.current_score,
            expected.final_score,
            expected.unposted_current_score,
            expected.unposted_final_score,
        )
        assert score.course_score and score.grading_period_id is None
        assert score.workflow_state == (
            "deleted" if enrollment.workflow_state == "deleted" else "active"
        )
        checked += 1
    assert checked == sum(1 for e in world.enrollments.values() if e.type == "StudentEnrollment")
    anonymous = landmark(world, "anonymous_assignment")
    # The unposted anonymous grades show only in the unposted scores of the override course.
    differs = [
        world.course_score(e.id)
        for e in world.course_enrollments(landmark(world, "override_course"))
        if e.type == "StudentEnrollment" and world.submission_for(anonymous, e.user_id).score
    ]
    assert any(s.current_score != s.unposted_current_score for s in differs)


# -- grading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (8.0, "8"),
        (8.5, "8.5"),
        (8.25, "8.25"),
        (8.256, "8.26"),
        (0.0, "0"),
        (-0.0, "0"),
        (100, "100"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(90.0, "90%"), (92.5, "92.5%"), (87.25, "87.25%"), (100 / 3, "33.333333333%"), (0, "0%")],
)
def test_percent_string(value: float, text: str) -> None:
    assert percent_string(value) == text


@pytest.mark.parametrize(
    ("grading_type", "score", "possible", "grade"),
    [
        ("points", 8.0, 10.0, "8"),
        ("points", 8.5, 10.0, "8.5"),
        ("points", 12.0, 10.0, "12"),
        ("percent", 17.0, 20.0, "85%"),
        ("percent", 2.0, 3.0, "66.67%"),
        ("percent", 42.0, 0.0, "42%"),
        ("letter_grade", 47.0, 50.0, "A"),
        ("letter_grade", 28.2, 30.0, "A"),  # exactly 94%, despite float arithmetic
        ("letter_grade", 45.0, 50.0, "A-"),
        ("letter_grade", 0.0, 50.0, "F"),
        ("letter_grade", 88.0, None, "B+"),
        ("gpa_scale", 94.0, 100.0, "4.0"),
        ("gpa_scale", 60.0, 100.0, "0.0"),
        ("pass_fail", 5.0, 5.0, "complete"),
        ("pass_fail", 2.0, 5.0, "complete"),
        ("pass_fail", 0.0, 5.0, "incomplete"),
        ("pass_fail", 0.0, 0.0, "incomplete"),
        ("not_graded", 5.0, 5.0, None),
        ("points", None, 10.0, None),
        ("letter_grade", None, 10.0, None),
    ],
)
def test_grade_for_score(
    grading_type: str, score: float | None, possible: float | None, grade: str | None
) -> None:
    assert grade_for_score(grading_type, score, possible) == grade


LETTERS = [
    ("A", 94), ("A-", 90), ("B+", 87), ("B", 84), ("B-", 80), ("C+", 77),
    ("C", 74), ("C-", 70), ("D+", 67), ("D", 64), ("D-", 61), ("F", 0),
]  # fmt: skip
GPAS = ["4.0", "3.7", "3.3", "3.0", "2.7", "2.3", "2.0", "1.7", "1.3", "1.0", "0.7", "0.0"]


@pytest.mark.parametrize(("position", "entry"), list(enumerate(LETTERS)))
def test_scheme_boundaries(position: int, entry: tuple[str, int]) -> None:
    letter, lower = entry
    assert grade_for_score("letter_grade", float(lower), 100.0) == letter
    assert grade_for_score("gpa_scale", float(lower), 100.0) == GPAS[position]
    if lower:
        below = LETTERS[position + 1][0]
        assert grade_for_score("letter_grade", lower - 0.01, 100.0) == below
        assert grade_for_score("gpa_scale", lower - 0.01, 100.0) == GPAS[position + 1]


def test_unknown_grading_type() -> None:
    with pytest.raises(ValueError, match="grading type"):
        grade_for_score("stars", 3.0, 5.0)


# -- scoring -----------------------------------------------------------------------------------


class Gradebook:
    """A hand-built course with two weighted groups, for scoring tests."""

    def __init__(self, *, weighted: bool = False, weights: tuple[float, float] = (60.0, 40.0)):
        self.store = store = Store()
        when = clock.DEFAULT_NOW
        store.add_account(Account(1, "School", "u" * 40, "g", "America/Denver", when))
        store.add_course(
            Course(
                id=1,
                account_id=1,
                root_account_id=1,
                name="Course",
                course_code="C 1",
                uuid="c" * 40,
                created_at=when,
                apply_assignment_group_weights=weighted,
            )
        )
        for group_id, weight in zip((1, 2), weights, strict=True):
            store.add_assignment_group(
                AssignmentGroup(group_id, 1, f"G{group_id}", group_id, weight)
            )
        self.when = when

    def assignment(self, group: int, points: float | None, **changes: object) -> int:
        assignment_id = self.store.new_id("assignments")
        self.store.add_assignment(
            Assignment(
                id=assignment_id,
                course_id=1,
                assignment_group_id=group,
                name=f"A{assignment_id}",
                points_possible=points,
                grading_type="points",
                created_at=self.when,
                updated_at=self.when,
                position=assignment_id,
                **changes,
            )
        )
        return assignment_id

    def grade(
        self, assignment_id: int, score: float | None, *, posted: bool = True, excused: bool = False
    ) -> None:
        self.store.add_submission(
            Submission(
                id=self.store.new_id("submissions"),
                assignment_id=assignment_id,
                user_id=7,
                course_id=1,
                created_at=self.when,
                updated_at=self.when,
                workflow_state="graded",
                score=score,
                excused=excused,
                posted_at=self.when if posted else None,
            )
        )

    def scores(self) -> CourseScores:
        return course_scores(self.store, 1, 7)


def test_scores_with_nothing_to_count() -> None:
    assert Gradebook().scores() == CourseScores(None, None, None, None)


def test_scores_with_nothing_graded() -> None:
    book = Gradebook()
    book.assignment(1, 10.0)
    assert book.scores() == CourseScores(None, 0.0, None, 0.0)


def test_current_and_final_scores() -> None:
    book = Gradebook()
    book.grade(book.assignment(1, 10.0), 8.0)
    book.assignment(1, 10.0)  # not graded: only the final score counts it, as zero
    book.grade(book.assignment(2, 30.0), 15.0)
    assert book.scores() == CourseScores(57.5, 46.0, 57.5, 46.0)


def test_excused_submissions_are_left_out() -> None:
    book = Gradebook()
    book.grade(book.assignment(1, 10.0), 9.0)
    book.grade(book.assignment(1, 90.0), None, excused=True)
    assert book.scores() == CourseScores(90.0, 90.0, 90.0, 90.0)


def test_unposted_grades_count_only_in_unposted_scores() -> None:
    book = Gradebook()
    book.grade(book.assignment(1, 10.0), 10.0)
    book.grade(book.assignment(1, 10.0), 0.0, posted=False)
    assert book.scores() == CourseScores(100.0, 50.0, 50.0, 50.0)


def test_deleted_unpublished_omitted_and_pointless_assignments_do_not_count() -> None:
    book = Gradebook()
    book.grade(book.assignment(1, 10.0), 7.0)
    book.grade(book.assignment(1, 10.0, workflow_state="deleted"), 0.0)
    book.grade(book.assignment(1, 10.0, workflow_state="unpublished"), 0.0)
    book.grade(book.assignment(1, 10.0, omit_from_final_grade=True), 0.0)
    book.grade(book.assignment(1, 0.0), 3.0)
    book.grade(book.assignment(1, None), 3.0)
    assert book.scores() == CourseScores(70.0, 70.0, 70.0, 70.0)


def test_group_weights_apply_only_when_the_course_says_so() -> None:
    for weighted, expected in ((False, 60.0), (True, 74.0)):
        book = Gradebook(weighted=weighted)
        book.grade(book.assignment(1, 10.0), 9.0)  # 90% in a 60% group
        book.grade(book.assignment(2, 30.0), 15.0)  # 50% in a 40% group
        assert book.scores().current_score == expected


def test_weights_of_groups_without_points_are_scaled_out() -> None:
    book = Gradebook(weighted=True)
    book.grade(book.assignment(1, 10.0), 9.0)
    book.assignment(2, 10.0)  # nothing graded in the 40% group yet
    scores = book.scores()
    assert scores.current_score == 90.0  # 90% over the 60% that counts
    assert scores.final_score == 54.0  # 0.9 * 60 + 0 * 40


def test_zero_total_weight_gives_no_weighted_score() -> None:
    book = Gradebook(weighted=True, weights=(0.0, 0.0))
    book.grade(book.assignment(1, 10.0), 9.0)
    assert book.scores() == CourseScores(None, None, None, None)


def test_weights_over_100_are_not_scaled_down() -> None:
    book = Gradebook(weighted=True, weights=(100.0, 10.0))
    book.grade(book.assignment(1, 10.0), 10.0)
    book.grade(book.assignment(2, 10.0), 10.0)
    assert book.scores().current_score == 110.0
