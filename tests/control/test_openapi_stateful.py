"""Stateful schemathesis: sequences of calls that follow the OpenAPI document's links.

The document links what an answer's ids lead to (a new subscription to its GET, DELETE and wait;
a new fault to its GET and DELETE; a graded submission to the submission and its audit logs; a
bulk job to its Progress). schemathesis's state machine chains those calls in-process, checking
every answer against the document, with a small budget so the run stays short.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from mockcanvas import create_app, state
from mockcanvas.grading import InvalidGrade, parse_posted_grade
from mockcanvas.openapi import build, local_uri
from mockcanvas.sinks import registry as sinks

CONTROL_TOKEN = "control-secret"
APP = create_app(seed=1, control_token=CONTROL_TOKEN)
INST = APP.extensions["mockcanvas"]
ADMIN_TOKEN = INST.store.token_for(INST.store.landmarks["admin"])
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Mockcanvas-Token": CONTROL_TOKEN}


schema = schemathesis.openapi.from_wsgi(
    "/_mockcanvas/openapi.json",
    APP,  # the document is public; each call brings its credentials (get_call_kwargs)
    config=schemathesis.Config.from_dict({"generation": {"mode": "positive"}}),
)
schema.location = local_uri()  # resolve schemas/<file> against the files the app serves
# Two chains, each of the operations its links join (the rest are fuzzed one by one in
# test_openapi.py). The grading chain starts from the seeded course, assignment and student, so
# that its first calls succeed and the links have ids to carry.
CONTROL_CHAIN = schema.include(
    operation_id=[
        "control_subscribe", "control_subscription", "control_unsubscribe", "control_wait",
        "control_add_fault", "control_fault", "control_delete_fault",
    ]
)  # fmt: skip
SEEDED = {"course_id": "1", "assignment_id": "3", "user_id": "4"}
GRADING_CHAIN = schema.include(
    operation_id=[
        "grade_submission", "get_submission", "grade_change_for_assignment",
        "grade_change_for_student", "bulk_update_assignment_grades",
        "bulk_update_course_grades", "get_progress",
    ]
)  # fmt: skip

LINKED = {
    ("control_subscribe", "201"): {"GetSubscription", "DeleteSubscription", "WaitForSubscription"},
    ("control_add_fault", "201"): {"GetFault", "DeleteFault"},
    ("grade_submission", "200"): {"GetSubmission", "AuditForAssignment", "AuditForStudent"},
    ("bulk_update_assignment_grades", "200"): {"GetProgress"},
    ("bulk_update_course_grades", "200"): {"GetProgress"},
}


def test_the_document_links_what_answers_lead_to():
    found = {}
    for item in build()["paths"].values():
        for op in item.values():
            for status, response in op["responses"].items():
                if "links" in response:
                    found[op["operationId"], status] = set(response["links"])
    assert found == LINKED
    ids = {op["operationId"] for item in build()["paths"].values() for op in item.values()}
    for links in (
        r["links"] for i in build()["paths"].values() for o in i.values()
        for r in o["responses"].values() if "links" in r
    ):  # fmt: skip
        assert {link["operationId"] for link in links.values()} <= ids


def _fresh() -> None:
    for subscription in sinks.registry_for(INST.bus).all():
        sinks.unsubscribe(INST, subscription.id)
    state.reset(INST)


class _Calls:
    def setup(self) -> None:
        _fresh()

    def teardown(self) -> None:
        _fresh()

    def before_call(self, case) -> None:
        if case.operation.path == "/_mockcanvas/subscriptions" and case.method == "POST":
            # Sinks stay inside the process: a JSONL file in a temporary place, never the network.
            case.body = {"kind": "jsonl", "path": str(SINK_DIR / "events.jsonl")}

    def get_call_kwargs(self, case):
        return {"headers": HEADERS}

    def after_call(self, response, case) -> None:
        ANSWERS.append((case.operation.label, response.status_code))

    def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
        # Every check but two that test_openapi.py runs per operation with their known
        # exceptions: ignored_auth (the control token has two forms, and the probe swaps one
        # while the other still holds) and positive_data_acceptance (bulk grading may take
        # grade_data in the query, so its body is optional, yet grade_data is required: 400).
        case.validate_response(
            response,
            excluded_checks=[ignored_auth, positive_data_acceptance],
            transport_kwargs=kwargs,
        )


class ControlWorkflow(_Calls, CONTROL_CHAIN.as_state_machine()):
    pass


def _a_points_grade(body: object) -> bool:
    posted = body.get("submission", {}) if isinstance(body, dict) else None
    posted = posted.get("posted_grade") if isinstance(posted, dict) else None
    try:
        parse_posted_grade("points", str(posted), 20.0, strict=True)
    except InvalidGrade:
        return False
    return posted is not None


def _has_grade_data(body: object) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("grade_data"), dict)
        and bool(body["grade_data"])
    )


class GradingWorkflow(_Calls, GRADING_CHAIN.as_state_machine()):
    def before_call(self, case) -> None:
        # A first call starts from the seeded ids; an id a link carried (digits) is kept.
        for name, value in (case.path_parameters or {}).items():
            if name in SEEDED and not str(value).isdigit():
                case.path_parameters[name] = SEEDED[name]
        # Random text is rarely a grade (Canvas clears the grade): grade 0 to 20 points instead.
        grade = {"posted_grade": str(len(ANSWERS) % 21)}
        if case.operation.label.startswith("PUT ") and not _a_points_grade(case.body):
            case.body, case.media_type = {"submission": grade}, "application/json"
        elif case.operation.label.endswith("/update_grades") and not _has_grade_data(case.body):
            by_student = {"4": grade, "5": grade}
            nested = "/assignments/" in case.operation.path
            data = by_student if nested else {"3": by_student}
            case.body, case.media_type = {"grade_data": data}, "application/json"


SINK_DIR = None
ANSWERS: list[tuple[str, int]] = []  # (operation, status) of every call the run made


@pytest.fixture(autouse=True, scope="module")
def _sink_dir(tmp_path_factory):
    global SINK_DIR
    SINK_DIR = tmp_path_factory.mktemp("stateful-sinks")


SUBMISSION = "/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions/{user_id}"
BUDGET = settings(
    max_examples=15,
    stateful_step_count=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


# Where the links lead: a 2xx there needs an id an earlier answer carried (random ids are 404).
@pytest.mark.parametrize(
    ("workflow", "targets"),
    [
        (ControlWorkflow, {"GET /_mockcanvas/subscriptions/{subscription_id}",
                           "DELETE /_mockcanvas/subscriptions/{subscription_id}",
                           "POST /_mockcanvas/subscriptions/{subscription_id}/wait",
                           "GET /_mockcanvas/faults/{fault_id}",
                           "DELETE /_mockcanvas/faults/{fault_id}"}),
        (GradingWorkflow, {"GET /api/v1/progress/{progress_id}",
                           f"GET {SUBMISSION}",
                           "GET /api/v1/audit/grade_change/assignments/{assignment_id}",
                           "GET /api/v1/audit/grade_change/students/{student_id}"}),
    ],
    ids=["control", "grading"],
)  # fmt: skip
def test_stateful_run(workflow, targets):
    ANSWERS.clear()
    workflow.run(settings=BUDGET)
    succeeded = {label for label, status in ANSWERS if 200 <= status < 300}
    assert succeeded & targets  # the links carried real ids to the next call


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/_mockcanvas/clock", "POST"),
        ("/_mockcanvas/grades", "POST"),
        ("/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions/{user_id}", "PUT"),
    ],
)
def test_negative_cases_are_generated_and_refused(path, method):
    """Negative generation really happens: invalid requests, each refused with a 4xx."""
    operation = schema[path][method]
    seen = []

    @settings(
        max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case):
        _fresh()
        response = case.call(headers=HEADERS)
        seen.append(response.status_code)
        case.validate_response(response, checks=[negative_data_rejection])

    run()
    assert any(400 <= status < 500 for status in seen)  # some were invalid, and refused
