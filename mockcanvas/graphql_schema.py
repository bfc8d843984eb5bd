"""The part of Canvas's GraphQL schema the mock serves: two grading mutations and a few lookups.

Names and shapes follow Canvas's graphql-ruby schema (app/graphql): ``_id`` is the legacy
(local) id as a string, ``id`` the Relay id ``base64("<Type>-<id>")``; every id argument takes
either. Mutations take one ``input`` object and answer a payload with ``errors:
[ValidationError!]``. As in Canvas:

- a record that is missing, or that the caller may not act on, is the execution error
  ``"not found"`` (``verify_authorized_action!``), with ``data`` for that field null;
- a lookup the caller may not read (``course``, ``assignment``, ``legacyNode``) is null, no error;
- ``setOverrideScore`` with a ``gradingPeriodId`` is "not found": the mock has no grading periods.

Mock rules, not Canvas's: ``setOverrideScore`` in a course without final grade override answers
``errors: [{attribute: "overrideScore", message: ...}]`` and changes nothing (Canvas's mutation
does not check the course setting). ``postAssignmentGrades`` posts graded and excused submissions
only, whatever ``gradedOnly`` says (Canvas also stamps ungraded ones as posted).

The resolvers call the one write path (services/grading.py); posting runs as a job, so its events
carry ``job_id`` and ``job_tag`` "Assignment#post_submissions", as Canvas's do.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema

from . import permissions
from .errors import BadRequest, NotFound, Unauthorized
from .grading import LETTER_SCHEME, scheme_grade
from .ids import local_id
from .instance import Instance
from .models import Assignment, Course, Enrollment, Score, Section, User
from .services import directory, grading
from .services import progress as progresses
from .services.context import RequestContext
from .services.progress import Progress

SDL = '''
"""Canvas LMS GraphQL, as much of it as mockcanvas serves."""
schema {
  query: Query
  mutation: Mutation
}

interface Node {
  id: ID!
}

interface LegacyIDInterface {
  """legacy canvas id"""
  _id: ID!
}

enum NodeType {
  Assignment
  Course
  Enrollment
  Progress
  Section
  User
}

type Query {
  """Fetches an object given its type and legacy ID"""
  legacyNode(_id: ID!, type: NodeType!): Node
  """Fetches an object given its ID."""
  node(id: ID!): Node
  course(id: ID, sisId: String): Course
  assignment(id: ID, sisId: String): Assignment
}

type Mutation {
  setOverrideScore(input: SetOverrideScoreInput!): SetOverrideScorePayload
  postAssignmentGrades(input: PostAssignmentGradesInput!): PostAssignmentGradesPayload
}

enum CourseWorkflowState {
  created
  claimed
  available
  completed
  deleted
}

type Course implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  name: String!
  courseCode: String
  sisId: String
  state: CourseWorkflowState!
  allowFinalGradeOverride: Boolean
}

enum AssignmentState {
  unpublished
  published
  deleted
}

enum GradingType {
  points
  percent
  letter_grade
  gpa_scale
  pass_fail
  not_graded
}

type Assignment implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  name: String
  pointsPossible: Float
  gradingType: GradingType
  state: AssignmentState!
  anonymousGrading: Boolean
  postManually: Boolean!
  muted: Boolean
  course: Course
}

type Section implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  name: String!
  sisId: String
}

type User implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  name: String
  sortableName: String
  shortName: String
}

enum EnrollmentType {
  StudentEnrollment
  TeacherEnrollment
  TaEnrollment
  ObserverEnrollment
  DesignerEnrollment
  StudentViewEnrollment
}

enum EnrollmentWorkflowState {
  invited
  creation_pending
  active
  deleted
  rejected
  completed
  inactive
}

type Enrollment implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  type: EnrollmentType!
  state: EnrollmentWorkflowState!
  course: Course
  section: Section
  user: User
  grades(gradingPeriodId: ID): Grades
}

type GradingPeriod implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  title: String
}

enum GradeState {
  active
  deleted
}

"""Contains grade information for a course or grading period"""
type Grades {
  currentScore: Float
  unpostedCurrentScore: Float
  currentGrade: String
  unpostedCurrentGrade: String
  finalScore: Float
  unpostedFinalScore: Float
  finalGrade: String
  unpostedFinalGrade: String
  overrideScore: Float
  overrideGrade: String
  gradingPeriod: GradingPeriod
  state: GradeState!
  enrollment: Enrollment
  customGradeStatusId: ID
}

enum ProgressState {
  queued
  running
  completed
  failed
}

union ProgressContext = Assignment | Course | User

type Progress implements Node & LegacyIDInterface {
  _id: ID!
  id: ID!
  completion: Int
  context: ProgressContext
  message: String
  state: ProgressState!
}

"""A validation error"""
type ValidationError {
  attribute: String
  message: String!
}

input SetOverrideScoreInput {
  enrollmentId: ID!
  gradingPeriodId: ID
  overrideScore: Float
}

type SetOverrideScorePayload {
  errors: [ValidationError!]
  grades: Grades
}

input PostAssignmentGradesInput {
  assignmentId: ID!
  sectionIds: [ID!]
  onlyStudentIds: [ID!]
  skipStudentIds: [ID!]
  gradedOnly: Boolean
}

type PostAssignmentGradesPayload {
  assignment: Assignment
  errors: [ValidationError!]
  progress: Progress
  sections: [Section!]
}
'''

NOT_FOUND = "not found"
_DIGITS = re.compile(r"\A\d+\Z")


@dataclass
class Context:
    """What a resolver needs: the instance, the caller, and the request's RequestContext."""

    inst: Instance
    viewer: User
    request_context: Callable[[], RequestContext]


@cache
def schema() -> GraphQLSchema:
    """The schema, built once from ``SDL``."""
    return build_schema(SDL)


def root_value() -> dict[str, Callable[..., Any]]:
    """Resolvers of the root fields (graphql-core calls ``value(info, **args)``)."""
    return {
        "legacyNode": _legacy_node,
        "node": _node,
        "course": _course_field,
        "assignment": _assignment_field,
        "setOverrideScore": _set_override_score,
        "postAssignmentGrades": _post_assignment_grades,
    }


def resolve_type(value: Any, _info: Any, _abstract_type: Any) -> str | None:
    """Interfaces and unions: every object dict names its type."""
    return value.get("__typename") if isinstance(value, dict) else None


# -- ids ---------------------------------------------------------------------------------------


def relay_id(type_name: str, legacy: int) -> str:
    """``GraphQL::Schema::UniqueWithinType.encode``: base64 of ``"<Type>-<id>"``."""
    return base64.b64encode(f"{type_name}-{legacy}".encode()).decode("ascii")


def _decode_relay(raw: str) -> tuple[str, str] | None:
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    type_name, sep, legacy = text.partition("-")
    return (type_name, legacy) if sep else None


def legacy_id(raw: object, type_name: str) -> int | None:
    """A local id from a legacy id (local or global) or a Relay id of ``type_name``."""
    text = str(raw).strip()
    if not _DIGITS.match(text):
        decoded = _decode_relay(text)
        if decoded is None or decoded[0] != type_name or not _DIGITS.match(decoded[1]):
            return None
        text = decoded[1]
    if len(text) > 19:
        return None
    return local_id(int(text))


# -- objects -----------------------------------------------------------------------------------


def _legacy(type_name: str, legacy: int, **fields: Any) -> dict[str, Any]:
    return {
        "__typename": type_name,
        "_id": str(legacy),
        "id": relay_id(type_name, legacy),
        **fields,
    }


def course_object(ctx: Context, course: Course) -> dict[str, Any]:
    return _legacy(
        "Course",
        course.id,
        name=course.name,
        courseCode=course.course_code,
        sisId=course.sis_course_id
        if directory.can_read_sis(ctx.inst.store, ctx.viewer, course)
        else None,
        state=course.workflow_state,
        allowFinalGradeOverride=course.allow_final_grade_override,
    )


def assignment_object(ctx: Context, assignment: Assignment) -> dict[str, Any]:
    course = ctx.inst.store.courses[assignment.course_id]
    return _legacy(
        "Assignment",
        assignment.id,
        name=assignment.name,
        pointsPossible=assignment.points_possible,
        gradingType=assignment.grading_type,
        state=assignment.workflow_state,
        anonymousGrading=assignment.anonymous_grading,
        postManually=assignment.post_manually,
        muted=assignment.muted,
        course=lambda _info: course_object(ctx, course),
    )


def section_object(section: Section) -> dict[str, Any]:
    return _legacy("Section", section.id, name=section.name, sisId=section.sis_section_id)


def user_object(user: User) -> dict[str, Any]:
    return _legacy(
        "User",
        user.id,
        name=user.name,
        sortableName=user.sortable_name,
        shortName=user.short_name,
    )


def enrollment_object(ctx: Context, enrollment: Enrollment) -> dict[str, Any]:
    store = ctx.inst.store

    def grades(_info: Any, gradingPeriodId: str | None = None) -> dict[str, Any] | None:
        if gradingPeriodId is not None:
            return None
        score = store.course_score(enrollment.id)
        return grades_object(ctx, score, enrollment) if score else None

    section = store.sections.get(enrollment.section_id)
    user = store.users.get(enrollment.user_id)
    return _legacy(
        "Enrollment",
        enrollment.id,
        type=enrollment.type,
        state=enrollment.workflow_state,
        course=lambda _info: course_object(ctx, store.courses[enrollment.course_id]),
        section=lambda _info: section_object(section) if section else None,
        user=lambda _info: user_object(user) if user else None,
        grades=grades,
    )


def _letter(course: Course, percent: float | None) -> str | None:
    """``Score#score_to_grade``: a letter only when the course uses a grading scheme."""
    if percent is None or course.grading_standard_id is None:
        return None
    return scheme_grade(LETTER_SCHEME, percent)


def grades_object(ctx: Context, score: Score, enrollment: Enrollment) -> dict[str, Any]:
    course = ctx.inst.store.courses[enrollment.course_id]
    final = score.override_score if score.override_score is not None else score.final_score
    return {
        "__typename": "Grades",
        "currentScore": score.current_score,
        "unpostedCurrentScore": score.unposted_current_score,
        "currentGrade": _letter(course, score.current_score),
        "unpostedCurrentGrade": _letter(course, score.unposted_current_score),
        "finalScore": score.final_score,
        "unpostedFinalScore": score.unposted_final_score,
        "finalGrade": _letter(course, score.final_score),
        "unpostedFinalGrade": _letter(course, score.unposted_final_score),
        "overrideScore": score.override_score,
        "overrideGrade": None if score.override_score is None else _letter(course, final),
        "gradingPeriod": None,
        "state": score.workflow_state,
        "enrollment": lambda _info: enrollment_object(ctx, enrollment),
        "customGradeStatusId": None,
    }


def progress_object(ctx: Context, progress: Progress) -> dict[str, Any]:
    store = ctx.inst.store

    def context(_info: Any) -> dict[str, Any] | None:
        course = store.courses.get(progress.context_id)
        if progress.context_type == "Course" and course is not None:
            return course_object(ctx, course)
        return None

    return _legacy(
        "Progress",
        progress.id,
        completion=None if progress.completion is None else int(progress.completion),
        context=context,
        message=progress.message,
        state=progress.workflow_state,
    )


# -- lookups -----------------------------------------------------------------------------------


def _readable_course(ctx: Context, course_id: int | None) -> Course | None:
    course = ctx.inst.store.courses.get(course_id) if course_id is not None else None
    if course is None or not directory.can_read_course(ctx.inst.store, ctx.viewer, course):
        return None
    return course


def _readable_assignment(ctx: Context, assignment_id: int | None) -> Assignment | None:
    store = ctx.inst.store
    assignment = store.assignments.get(assignment_id) if assignment_id is not None else None
    if assignment is None or not assignment.active:
        return None
    if not directory.can_read_assignment(store, ctx.viewer, assignment):
        return None
    return assignment


def _can_grade(ctx: Context, course_id: int) -> bool:
    course = ctx.inst.store.courses[course_id]
    return permissions.can_manage_grades(ctx.inst.store, ctx.viewer, course)


def _can_grade_enrollment(ctx: Context, enrollment: Enrollment) -> bool:
    """A grader reads a student's enrollment (and its grades) only if they see the student: a
    TA limited to their sections does not read the other sections' grades."""
    if not _can_grade(ctx, enrollment.course_id):
        return False
    if enrollment.type not in permissions.STUDENT_ENROLLMENTS:
        return True
    course = ctx.inst.store.courses[enrollment.course_id]
    return permissions.can_see_student(ctx.inst.store, ctx.viewer, course, enrollment.user_id)


def _load(ctx: Context, type_name: str, legacy: int | None) -> dict[str, Any] | None:
    """``GraphQLNodeLoader.load``: the object if it exists and the caller may read it."""
    store = ctx.inst.store
    if legacy is None:
        return None
    if type_name == "Course":
        course = _readable_course(ctx, legacy)
        return course_object(ctx, course) if course else None
    if type_name == "Assignment":
        assignment = _readable_assignment(ctx, legacy)
        return assignment_object(ctx, assignment) if assignment else None
    if type_name == "Enrollment":
        enrollment = store.enrollments.get(legacy)
        if enrollment is None or not (
            enrollment.user_id == ctx.viewer.id or _can_grade_enrollment(ctx, enrollment)
        ):
            return None
        return enrollment_object(ctx, enrollment)
    if type_name == "Section":
        section = store.sections.get(legacy)
        if section is None or _readable_course(ctx, section.course_id) is None:
            return None
        return section_object(section)
    if type_name == "User":
        user = store.users.get(legacy)
        if user is None or not directory.can_read_user(store, ctx.viewer, user):
            return None
        return user_object(user)
    if type_name == "Progress":
        progress = ctx.inst.progresses.get(legacy)
        if progress is None or not (
            progress.user_id == ctx.viewer.id
            or (progress.context_id in store.courses and _can_grade(ctx, progress.context_id))
        ):
            return None
        return progress_object(ctx, progress)
    return None


def _legacy_node(info: Any, _id: str, type: str) -> dict[str, Any] | None:
    return _load(info.context, type, legacy_id(_id, type))


def _node(info: Any, id: str) -> dict[str, Any] | None:
    decoded = _decode_relay(str(id).strip())
    if decoded is None:
        return None
    return _load(info.context, decoded[0], legacy_id(id, decoded[0]))


def _course_field(info: Any, id: str | None = None, sisId: str | None = None):
    ctx: Context = info.context
    if id is not None:
        course_id = legacy_id(id, "Course")
    elif sisId is not None:
        course_id = ctx.inst.store.course_id_for_sis(sisId)
    else:
        raise GraphQLError("Must specify exactly one of id or sisId")
    course = _readable_course(ctx, course_id)
    return course_object(ctx, course) if course else None


def _assignment_field(info: Any, id: str | None = None, sisId: str | None = None):
    ctx: Context = info.context
    if id is not None:
        assignment_id = legacy_id(id, "Assignment")
    elif sisId is not None:
        assignment_id = next(
            (a.id for a in ctx.inst.store.assignments.values() if a.sis_assignment_id == sisId),
            None,
        )
    else:
        raise GraphQLError("Must specify exactly one of id or sisId")
    assignment = _readable_assignment(ctx, assignment_id)
    return assignment_object(ctx, assignment) if assignment else None


# -- mutations ---------------------------------------------------------------------------------


def _set_override_score(info: Any, input: dict[str, Any]) -> dict[str, Any] | None:
    """Mutations::SetOverrideScore: the final grade override of a student's enrollment."""
    ctx: Context = info.context
    store = ctx.inst.store
    enrollment = store.enrollments.get(legacy_id(input["enrollmentId"], "Enrollment") or 0)
    if enrollment is None or enrollment.workflow_state == "deleted":
        raise GraphQLError(NOT_FOUND)
    if input.get("gradingPeriodId") is not None:
        raise GraphQLError(NOT_FOUND)  # enrollment.find_score(grading_period_id:) finds none
    if enrollment.type != "StudentEnrollment":
        return None  # Canvas updates the user's student enrollments, of which there are none
    try:
        result = grading.set_override_score(
            ctx.inst, ctx.request_context(), enrollment, input.get("overrideScore")
        )
    except (NotFound, Unauthorized):
        raise GraphQLError(NOT_FOUND) from None
    except BadRequest as error:
        return {"errors": [{"attribute": "overrideScore", "message": error.message}]}
    score = result.score or store.course_score(enrollment.id)
    return {"grades": grades_object(ctx, score, enrollment) if score else None}


def _ids(raw: Iterable[str] | None, type_name: str) -> set[int] | None:
    if raw is None:
        return None
    return {i for i in (legacy_id(r, type_name) for r in raw) if i is not None}


def _post_assignment_grades(info: Any, input: dict[str, Any]) -> dict[str, Any]:
    """Mutations::PostAssignmentGrades: post the grades of the students the caller may see."""
    ctx: Context = info.context
    inst, store = ctx.inst, ctx.inst.store
    assignment = store.assignments.get(legacy_id(input["assignmentId"], "Assignment") or 0)
    if assignment is None or not assignment.active:
        raise GraphQLError(NOT_FOUND)
    course = store.courses[assignment.course_id]
    if not permissions.can_manage_grades(store, ctx.viewer, course):
        raise GraphQLError(NOT_FOUND)
    section_ids = _ids(input.get("sectionIds"), "Section")
    sections = (
        None
        if section_ids is None
        else [s for s in store.course_sections(course.id) if s.id in section_ids]
    )
    if sections is not None and assignment.anonymous_grading:
        raise GraphQLError("Anonymous assignments cannot be posted by section")
    if input.get("gradedOnly") and assignment.anonymous_grading:
        raise GraphQLError("Anonymous assignments cannot be posted by graded only")
    only = _ids(input.get("onlyStudentIds"), "User")
    skip = _ids(input.get("skipStudentIds"), "User")
    if only is not None and skip is not None:
        raise GraphQLError("only_student_ids and skip_student_ids cannot be used together")

    students = permissions.visible_student_ids(store, ctx.viewer, course)
    if sections is not None:
        wanted = {s.id for s in sections}
        students &= {
            e.user_id for e in store.course_enrollments(course.id) if e.section_id in wanted
        }
    if only is not None:
        students &= only
    if skip is not None:
        students -= skip

    progress = progresses.create(
        inst, tag="post_assignment_grades", context_id=course.id, user=ctx.viewer
    )
    job = progresses.job_context(progress, progresses.POST_GRADES_JOB_TAG, ctx.viewer)
    progresses.run(
        inst, progress, lambda _p: grading.post_grades(inst, job, assignment, student_ids=students)
    )
    return {
        "assignment": assignment_object(ctx, assignment),
        "progress": progress_object(ctx, progress),
        "sections": None if sections is None else [section_object(s) for s in sections],
    }
