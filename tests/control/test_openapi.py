"""The OpenAPI document: valid 3.1, naming exactly the routes the app serves, and true to the app.

Schemathesis tests the app in-process (WSGI, no socket) with every check on. The document's
``$ref``s are relative (``schemas/<file>``); schemathesis fetches them with ``requests`` from
where the document came from, so here ``responses`` hands those fetches to the same app.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate as validate_openapi
from schemathesis.openapi.checks import (
    RejectedPositiveData,
    UnsupportedMethodResponse,
)
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from mockcanvas import create_app, state
from mockcanvas.controls import controls
from mockcanvas.openapi import build, document, local_uri, markdown_table
from mockcanvas.resources import data_dir
from mockcanvas.sinks import registry as sinks
from tests.support import NOT_FOUND, serve

SCHEMA_FILES_BASE = local_uri()
CONTROL_TOKEN = "control-secret"
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}


def flask_routes(app) -> set[tuple[str, str]]:
    """(METHOD, /openapi/{template}) for every rule the app routes."""
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - AUTOMATIC_METHODS:
            found.add((method, path))
    return found


def documented_routes(doc) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


# -- the document itself -----------------------------------------------------------------------


@pytest.mark.parametrize("control_token", [False, True])
@pytest.mark.parametrize("unauthorized_status", [401, 403])
def test_document_is_valid_openapi_31(control_token, unauthorized_status):
    doc = build(control_token=control_token, unauthorized_status=unauthorized_status)
    assert doc["openapi"] == "3.1.0"
    # $refs resolve against the schema files themselves, as they do against the served copies.
    validate_openapi(doc, base_uri=SCHEMA_FILES_BASE)


def test_document_names_every_route_and_no_other():
    app = create_app(control_token=CONTROL_TOKEN)
    routes = flask_routes(app)
    documented = documented_routes(document(app))
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "the OpenAPI document names routes that do not exist"


def test_document_and_schemas_are_served_without_the_control_token():
    client = create_app(control_token=CONTROL_TOKEN).test_client()
    served = client.get("/_mockcanvas/openapi.json")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "application/json; charset=utf-8"
    assert served.get_json() == build(control_token=True)
    assert served.get_json()["paths"]["/_mockcanvas/health"]["get"]["security"] == [
        {"controlToken": []},
        {"controlTokenHeader": []},
    ]
    for path in sorted(data_dir("schemas").glob("*.json")):
        got = client.get(f"/_mockcanvas/schemas/{path.name}")
        assert got.status_code == 200, path.name
        assert got.data == path.read_bytes(), path.name
    assert client.get("/_mockcanvas/schemas/nothing.json").get_json() == NOT_FOUND
    assert client.get("/_mockcanvas/health").status_code == 401  # the rest stays guarded


def test_the_document_follows_the_unauthorized_status():
    doc = document(create_app(unauthorized_status=403))
    forbidden = doc["paths"]["/api/v1/courses/{course_id}"]["get"]["responses"]["403"]
    assert set(forbidden["content"]) == {"application/json", "text/plain"}
    plain = build()["paths"]["/api/v1/courses/{course_id}"]["get"]["responses"]["403"]
    assert set(plain["content"]) == {"text/plain"}


def test_markdown_table_lists_every_route_and_its_statuses():
    table = markdown_table(build())
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(documented_routes(build()))
    assert "| `GET /api/v1/audit/grade_change` | 200, 400, 401, 403, 404 |" in table
    assert "| `PUT /_mockcanvas/state` | 200, 400, 403, 413, 415 |" in table
    printed = subprocess.run(
        [sys.executable, "-m", "mockcanvas.openapi", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == table


@pytest.mark.parametrize(
    "url",
    ["http://w6`K7~q", "http://-a", "http://a-.b:1", "http://a..b", "http://a_b", "http://x:99999",
     "http://localhost:4566", "http://127.0.0.1:5000/q?x=`", "https://sqs.us-east-1.amazonaws.com.",
     "HTTP://A0-b.c:0#f"],
)  # fmt: skip
def test_the_sqs_endpoint_pattern_takes_what_botocore_takes(url):
    # schemathesis once sent a schema-valid endpoint_url that botocore refuses (a 400 answer).
    from botocore.utils import is_valid_endpoint_url

    body = build()["paths"]["/_mockcanvas/subscriptions"]["post"]["requestBody"]
    sqs = body["content"]["application/json"]["schema"]["oneOf"][1]["properties"]
    pattern = sqs["endpoint_url"]["anyOf"][0]["pattern"]
    try:
        _ = urlsplit(url).port
        port_ok = True
    except ValueError:
        port_ok = False
    assert bool(re.search(pattern, url)) == bool(is_valid_endpoint_url(url) and port_ok)


def test_docs_endpoint_table_is_the_generated_one():
    page = Path(__file__).resolve().parents[2] / "docs" / "reference" / "endpoints.md"
    text = page.read_text(encoding="utf-8")
    start, end = "<!-- endpoint-table:start -->", "<!-- endpoint-table:end -->"
    assert start in text and end in text, "docs/reference/endpoints.md lost its table markers"
    merged = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert merged == markdown_table(build()).strip(), (
        "regenerate: python -m mockcanvas.openapi --markdown"
    )


def test_schemathesis_resolves_the_refs_over_http_from_a_live_server():
    app = create_app(seed=1)
    token = {"Authorization": f"Bearer {app.extensions['mockcanvas'].store.token_for(1)}"}
    with serve(app) as url:
        live = schemathesis.openapi.from_url(f"{url}/_mockcanvas/openapi.json")
        course = live["/api/v1/courses/{course_id}"]["GET"].Case(path_parameters={"course_id": "1"})
        response = course.call(base_url=url, headers=token)
        assert response.status_code == 200
        course.validate_response(response)  # course.json, fetched from /_mockcanvas/schemas/
        health = live["/_mockcanvas/health"]["GET"].Case()
        health.validate_response(health.call(base_url=url))


# -- schemathesis, in-process ------------------------------------------------------------------

# Built at import: schemathesis makes one test per operation when the module is collected.
ST_APP = create_app(seed=1, control_token=CONTROL_TOKEN)
CONFIG = schemathesis.Config.from_dict(
    {
        # Valid and invalid requests both (negative cases must be refused with a 4xx: the
        # negative_data_rejection check), said here rather than left to the defaults.
        "generation": {"mode": "all"},
        "checks": {"negative_data_rejection": {"enabled": True}},
        "operations": [
            {
                # The coverage phase walks every keyword of the 23 KB state schema: ~1400
                # imports, a quarter of the run. Examples and fuzzing still run here, and every
                # import rule has its own test in test_control.py.
                "include-path": "/_mockcanvas/state",
                "include-method": "PUT",
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/_mockcanvas/openapi.json",
    ST_APP,
    config=CONFIG,
    headers={"X-Mockcanvas-Token": CONTROL_TOKEN},
)
# The document refers to schemas/<file> relative to itself; in-process there is no URL to fetch
# from, so resolve against the files the app serves (test_schema_files_are_served_as_is).
schema.location = SCHEMA_FILES_BASE


# Requests a JSON Schema calls valid that the app rightly refuses with 400, because the rule
# relates values to each other or to the state of the world. Only these messages are let through.
STATE_DEPENDENT_400 = {
    ("GET", "/api/v1/audit/grade_change"): (
        # Canvas counts a blank condition as none; parameters cannot require "one of them".
        r"Must specify at least one query condition",
    ),
    ("POST", "/_mockcanvas/clock"): (
        # Where the clock may go depends on where it stands.
        r"the clock would leave 1970-01-02T00:00:00Z to 2068-01-19T03:14:07Z",
    ),
    ("POST", "/_mockcanvas/throttle"): (
        # maximum >= high_water_mark, of the body or of the current settings.
        r"maximum must be at least high_water_mark",
    ),
    ("POST", "/_mockcanvas/subscriptions"): (
        # backoff_max >= backoff_base, sent or default.
        r"backoff_max must be at least backoff_base",
        # The region read from queue_url (sqs.<region>.amazonaws.com) when none is given.
        r"region_name '.*' doesn't match a supported format",
    ),
    ("PUT", "/_mockcanvas/state"): (
        # References between tables, unique ids, sequences above the ids in use.
        r".",
    ),
}


@schemathesis.check
def positive_data_acceptance_but_state(ctx, response, case):
    """Schemathesis's positive_data_acceptance, less the known state-dependent 400s above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        allowed = STATE_DEPENDENT_400.get((case.method.upper(), case.operation.path), ())
        message = (response.json() or {}).get("message", "") if response.status_code == 400 else ""
        if not any(re.search(pattern, message) for pattern in allowed):
            raise
    return None


@schemathesis.check
def unsupported_method_is_a_rails_404(ctx, response, case):
    """Schemathesis expects 405 for a method the document does not list; Canvas (Rails) answers
    routing errors, wrong methods included, with its 404 body, and so does the mock. Stricter
    than the built-in check: exactly that 404 and body, nothing else."""
    try:
        return unsupported_method(ctx, response, case)
    except UnsupportedMethodResponse:
        if response.status_code != 404 or response.json() != NOT_FOUND:
            raise
    return None


ST_INST = ST_APP.extensions["mockcanvas"]
ADMIN_TOKEN = ST_INST.store.token_for(ST_INST.store.landmarks["admin"])
SEED_BASELINE = (controls(ST_INST).baseline(), ST_INST.clock.now(), ST_INST.clock.frozen)


def _fresh() -> None:
    """The seeded world again, with no subscriptions: each case starts where the first did."""
    for subscription in sinks.registry_for(ST_INST.bus).all():
        sinks.unsubscribe(ST_INST, subscription.id)
    if controls(ST_INST).baseline() is not SEED_BASELINE[0]:  # PUT /state?baseline=true
        controls(ST_INST).set_baseline(*SEED_BASELINE)
    state.reset(ST_INST)


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_app_meets_its_openapi_document(case, tmp_path_factory):
    _fresh()
    if case.operation.path == "/_mockcanvas/subscriptions" and case.method == "POST":
        # The server appends to the path it is given: keep that inside a temporary directory.
        path = case.body.get("path") if isinstance(case.body, dict) else None
        if isinstance(path, str) and path.strip():
            case.body["path"] = str(tmp_path_factory.mktemp("sinks") / "events.jsonl")
    case.call_and_validate(
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Mockcanvas-Token": CONTROL_TOKEN},
        excluded_checks=[positive_data_acceptance, unsupported_method],
        additional_checks=[positive_data_acceptance_but_state, unsupported_method_is_a_rails_404],
    )
