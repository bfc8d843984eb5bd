"""The in-memory store: every entity of one Canvas instance, with the lookups queries need.

The store knows nothing of HTTP, permissions or JSON. It hands out ids per table (Canvas numbers
each table from 1), keeps secondary lookups in step with the primary dicts, and owns the audit
log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .auditlog import GradeChangeLog
from .models import (
    Account,
    AccountAdmin,
    Assignment,
    AssignmentGroup,
    Course,
    Enrollment,
    GradeChange,
    PageView,
    Score,
    Section,
    Submission,
    User,
)
from .pageviews import PageViews
from .undo import UndoJournal


class Store:
    """Entities by id plus the secondary lookups Canvas gets from its database indexes."""

    def __init__(self) -> None:
        self.accounts: dict[int, Account] = {}
        self.users: dict[int, User] = {}
        self.admins: dict[int, AccountAdmin] = {}
        self.courses: dict[int, Course] = {}
        self.sections: dict[int, Section] = {}
        self.enrollments: dict[int, Enrollment] = {}
        self.assignment_groups: dict[int, AssignmentGroup] = {}
        self.assignments: dict[int, Assignment] = {}
        self.submissions: dict[int, Submission] = {}
        self.scores: dict[int, Score] = {}
        self.grade_changes = GradeChangeLog()
        self.page_views = PageViews(self.grade_changes)  # a dict by request id, mostly derived
        self.tokens: dict[str, int] = {}
        self.root_account_id: int | None = None
        # Names for notable seeded entities ("override_course", "deleted_user", ...): the world
        # endpoint and tests find them here instead of guessing ids.
        self.landmarks: dict[str, int] = {}

        self._next_ids: dict[str, int] = defaultdict(lambda: 1)
        self._enrollments_by_course: dict[int, list[int]] = defaultdict(list)
        self._enrollments_by_user: dict[int, list[int]] = defaultdict(list)
        self._assignments_by_course: dict[int, list[int]] = defaultdict(list)
        self._groups_by_course: dict[int, list[int]] = defaultdict(list)
        self._sections_by_course: dict[int, list[int]] = defaultdict(list)
        self._submission_ids: dict[tuple[int, int], int] = {}
        self._submissions_by_assignment: dict[int, list[int]] = defaultdict(list)
        self._course_score_ids: dict[int, int] = {}
        self._tokens_by_user: dict[int, str] = {}
        self._course_by_sis: dict[str, int] = {}
        self._user_by_sis: dict[str, int] = {}
        self._user_by_login: dict[str, int] = {}
        # While set, every change is recorded so undo() can take it back (mockcanvas/undo.py).
        self._undo: UndoJournal | None = None
        # The journals of the savepoints open now, outermost first (empty between writes).
        self._savepoints: list[UndoJournal] = []

    # -- ids ---------------------------------------------------------------------------------

    def new_id(self, table: str) -> int:
        """The next id of a table, as Canvas's per-table sequences hand them out."""
        value = self._next_ids[table]
        self._next_ids[table] = value + 1
        return value

    def sequences(self) -> dict[str, int]:
        """The next id of every table that has handed one out (for state export)."""
        return dict(self._next_ids)

    def restore_sequences(self, sequences: dict[str, int]) -> None:
        """Continue each table's ids from an exported state."""
        self._next_ids.update(sequences)

    # -- the undo journal ----------------------------------------------------------------------

    def begin_undo(self) -> None:
        """Record every change from now on, so ``undo()`` can come back to this state."""
        self._undo = UndoJournal(self.sequences(), len(self.grade_changes), len(self.page_views))

    def end_undo(self) -> None:
        self._undo = None

    @property
    def recording(self) -> bool:
        return self._undo is not None

    def undo(self) -> int:
        """Put back, in place, the state of ``begin_undo`` (recording goes on); costs what
        changed since, not the size of the world. Returns how many undo steps ran."""
        journal = self._undo
        if journal is None:
            raise RuntimeError("the store records no changes: begin_undo() first")
        steps = len(journal)
        self._roll_back(journal)
        return steps

    def touch(self, entity: object) -> None:
        """Call before changing an entity's fields: the journal keeps their values for reset."""
        if self._undo is not None:
            self._undo.touch(entity)
        for journal in self._savepoints:
            journal.touch(entity)

    def _recorders(self) -> list[UndoJournal]:
        """Every journal a change must be recorded in: the reset journal and open savepoints."""
        if self._undo is None:
            return self._savepoints
        return [self._undo, *self._savepoints] if self._savepoints else [self._undo]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Run a write all-or-nothing: if the block raises, every change it made through the
        store's methods and ``touch`` (entities, indexes, audit rows, page views, id sequences)
        is undone before the exception goes on, and the reset journal forgets them too.

        Savepoints nest (an inner one rolled back leaves the outer one's changes); the caller
        holds the instance's write lock, so no other write interleaves.
        """
        opened = self.open_savepoint()
        try:
            yield
        except BaseException:
            self.roll_back_savepoint(opened)
            raise
        self.release_savepoint(opened)

    def open_savepoint(self) -> tuple:
        """``savepoint()`` in steps, for callers that are context managers themselves."""
        outer = self._recorders()
        marks = [journal.mark() for journal in outer]
        journal = UndoJournal(self.sequences(), len(self.grade_changes), len(self.page_views))
        self._savepoints.append(journal)
        return journal, outer, marks

    def release_savepoint(self, opened: tuple) -> None:
        """Keep the changes since ``open_savepoint`` (an enclosing journal still holds them)."""
        self._savepoints.remove(opened[0])

    def roll_back_savepoint(self, opened: tuple) -> None:
        """Undo every change since ``open_savepoint``."""
        journal, outer, marks = opened
        self._savepoints.remove(journal)
        self._roll_back(journal)
        for enclosing, mark in zip(outer, marks, strict=True):
            enclosing.forget_after(mark)

    def _roll_back(self, journal: UndoJournal) -> None:
        journal.undo()
        self.grade_changes.truncate(journal.log_length)
        while len(self.page_views) > journal.page_views:  # appended since: newest last
            self.page_views.popitem()
        self._next_ids.clear()
        self._next_ids.update(journal.sequences)

    # -- writes ------------------------------------------------------------------------------

    def add_account(self, account: Account) -> Account:
        for journal in self._recorders():
            journal.keys((self.accounts, account.id))
            journal.attribute(self, "root_account_id")
        self.accounts[account.id] = account
        if account.root_account_id is None and self.root_account_id is None:
            self.root_account_id = account.id
        return account

    def add_user(self, user: User, token: str | None = None) -> User:
        for journal in self._recorders():
            journal.keys((self.users, user.id), (self._user_by_login, user.login_id.lower()))
            if user.sis_user_id:
                journal.keys((self._user_by_sis, user.sis_user_id))
        self.users[user.id] = user
        if user.sis_user_id:
            self._user_by_sis[user.sis_user_id] = user.id
        self._user_by_login[user.login_id.lower()] = user.id
        if token:
            self.set_token(user.id, token)
        return user

    def set_token(self, user_id: int, token: str) -> None:
        """Give a user their (single) access token, replacing any earlier one."""
        for journal in self._recorders():  # a copy: replacing a token moves it in the dict order
            journal.mapping(self.tokens)
            journal.keys((self._tokens_by_user, user_id))
        old = self._tokens_by_user.pop(user_id, None)
        if old is not None:
            self.tokens.pop(old, None)
        self.tokens[token] = user_id
        self._tokens_by_user[user_id] = token

    def add_admin(self, admin: AccountAdmin) -> AccountAdmin:
        for journal in self._recorders():
            journal.keys((self.admins, admin.id))
        self.admins[admin.id] = admin
        return admin

    def add_course(self, course: Course) -> Course:
        for journal in self._recorders():
            journal.keys((self.courses, course.id))
            if course.sis_course_id:
                journal.keys((self._course_by_sis, course.sis_course_id))
        self.courses[course.id] = course
        if course.sis_course_id:
            self._course_by_sis[course.sis_course_id] = course.id
        return course

    def add_section(self, section: Section) -> Section:
        for journal in self._recorders():
            journal.keys((self.sections, section.id))
            journal.appended(self._sections_by_course, section.course_id)
        self.sections[section.id] = section
        self._sections_by_course[section.course_id].append(section.id)
        return section

    def add_enrollment(self, enrollment: Enrollment) -> Enrollment:
        for journal in self._recorders():
            journal.keys((self.enrollments, enrollment.id))
            journal.appended(self._enrollments_by_course, enrollment.course_id)
            journal.appended(self._enrollments_by_user, enrollment.user_id)
        self.enrollments[enrollment.id] = enrollment
        self._enrollments_by_course[enrollment.course_id].append(enrollment.id)
        self._enrollments_by_user[enrollment.user_id].append(enrollment.id)
        return enrollment

    def add_assignment_group(self, group: AssignmentGroup) -> AssignmentGroup:
        for journal in self._recorders():
            journal.keys((self.assignment_groups, group.id))
            journal.appended(self._groups_by_course, group.course_id)
        self.assignment_groups[group.id] = group
        self._groups_by_course[group.course_id].append(group.id)
        return group

    def add_assignment(self, assignment: Assignment) -> Assignment:
        for journal in self._recorders():
            journal.keys((self.assignments, assignment.id))
            journal.appended(self._assignments_by_course, assignment.course_id)
        self.assignments[assignment.id] = assignment
        self._assignments_by_course[assignment.course_id].append(assignment.id)
        return assignment

    def add_submission(self, submission: Submission) -> Submission:
        key = (submission.assignment_id, submission.user_id)
        if key in self._submission_ids:
            raise ValueError(f"user {submission.user_id} already has a submission for {key[0]}")
        for journal in self._recorders():
            journal.keys((self.submissions, submission.id), (self._submission_ids, key))
            journal.appended(self._submissions_by_assignment, submission.assignment_id)
        self.submissions[submission.id] = submission
        self._submission_ids[key] = submission.id
        self._submissions_by_assignment[submission.assignment_id].append(submission.id)
        return submission

    def add_score(self, score: Score) -> Score:
        for journal in self._recorders():
            journal.keys((self.scores, score.id))
            if score.course_score and score.grading_period_id is None:
                journal.keys((self._course_score_ids, score.enrollment_id))
        self.scores[score.id] = score
        if score.course_score and score.grading_period_id is None:
            self._course_score_ids[score.enrollment_id] = score.id
        return score

    def add_page_view(self, page_view: PageView) -> PageView:
        if page_view.request_id in self.page_views:  # new ones are undone by count
            for journal in self._recorders():
                journal.keys((self.page_views, page_view.request_id))
        self.page_views[page_view.request_id] = page_view
        return page_view

    def add_grade_change(self, row: GradeChange) -> GradeChange:
        self.grade_changes.append(row)
        return row

    # -- reads -------------------------------------------------------------------------------

    @property
    def root_account(self) -> Account:
        if self.root_account_id is None:
            raise LookupError("the store has no root account")
        return self.accounts[self.root_account_id]

    def user_for_token(self, token: str) -> User | None:
        user_id = self.tokens.get(token)
        return self.users.get(user_id) if user_id is not None else None

    def token_for(self, user_id: int) -> str | None:
        return self._tokens_by_user.get(user_id)

    def admin_memberships(self, user_id: int) -> list[AccountAdmin]:
        return [
            a for a in self.admins.values() if a.user_id == user_id and a.workflow_state == "active"
        ]

    def course_enrollments(self, course_id: int) -> list[Enrollment]:
        return [self.enrollments[i] for i in self._enrollments_by_course.get(course_id, ())]

    def user_enrollments(self, user_id: int) -> list[Enrollment]:
        return [self.enrollments[i] for i in self._enrollments_by_user.get(user_id, ())]

    def course_sections(self, course_id: int) -> list[Section]:
        return [self.sections[i] for i in self._sections_by_course.get(course_id, ())]

    def course_assignments(self, course_id: int) -> list[Assignment]:
        """Every assignment of the course, deleted ones included (Canvas's course.assignments)."""
        return [self.assignments[i] for i in self._assignments_by_course.get(course_id, ())]

    def course_assignment_groups(self, course_id: int) -> list[AssignmentGroup]:
        return [self.assignment_groups[i] for i in self._groups_by_course.get(course_id, ())]

    def submission_for(self, assignment_id: int, user_id: int) -> Submission | None:
        submission_id = self._submission_ids.get((assignment_id, user_id))
        return self.submissions.get(submission_id) if submission_id is not None else None

    def assignment_submissions(self, assignment_id: int) -> list[Submission]:
        return [self.submissions[i] for i in self._submissions_by_assignment.get(assignment_id, ())]

    def course_score(self, enrollment_id: int) -> Score | None:
        score_id = self._course_score_ids.get(enrollment_id)
        return self.scores.get(score_id) if score_id is not None else None

    def course_id_for_sis(self, sis_course_id: str) -> int | None:
        return self._course_by_sis.get(sis_course_id)

    def user_id_for_sis(self, sis_user_id: str) -> int | None:
        return self._user_by_sis.get(sis_user_id)

    def user_id_for_login(self, login_id: str) -> int | None:
        return self._user_by_login.get(login_id.lower())

    def users_by_ids(self, ids: Iterable[int]) -> list[User]:
        return [self.users[i] for i in sorted(set(ids)) if i in self.users]
