"""GraphQL cost limits (issue 14, case 5): Canvas's graphql-ruby limits, checked before anything
runs and outside the write lock, answered as graphql-ruby answers (HTTP 200, only ``errors``).

``LIMITS`` lists each limit with a document just over it and the exact body; a document at the
limit runs as before. The issue's attack (100,000 aliases, 2.5 MB, as a student) is refused on a
real server while a probe is served.
"""

from __future__ import annotations

import threading

import pytest
import requests

from mockcanvas import create_app
from mockcanvas.graphql_limits import MAX_DOCUMENT_BYTES
from mockcanvas.live_server import LiveServer

TOO_LARGE = "This query is too large to execute."


def deep(depth: int) -> str:
    """An introspection query ``depth`` fields deep (graphql-ruby counts introspection fields)."""
    inner = "name"
    for _ in range(depth - 5):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def directives(count: int) -> str:
    return "{ " + " ".join("__typename @include(if: true)" for _ in range(count)) + " }"


def doubling_fragments(levels: int) -> str:
    """2**levels fields once the fragments are expanded, in a few hundred bytes."""
    fragments = ["fragment F0 on Query { __typename }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ ...F{levels} }}\n" + "\n".join(fragments)


LIMITS = [
    (
        "depth",
        deep(16),
        {"errors": [{"message": "Query has depth of 16, which exceeds max depth of 15"}]},
    ),
    ("aliases", aliases(21), {"errors": [{"message": "max query aliases exceeded"}]}),
    ("directives", directives(6), {"errors": [{"message": "max query directives exceeded"}]}),
    (
        "complexity",
        doubling_fragments(19),
        {
            "errors": [
                {
                    "message": "Query has complexity of 524288, which exceeds max complexity"
                    " of 375000"
                }
            ]
        },
    ),
    (
        "tokens",
        "{ " + "__typename " * 5001 + "}",
        {"errors": [{"message": TOO_LARGE, "locations": [{"line": 1, "column": 54992}]}]},
    ),
    (
        "document bytes",
        "#" + "x" * MAX_DOCUMENT_BYTES + "\n{ __typename }",
        {"errors": [{"message": TOO_LARGE, "locations": []}]},
    ),
    (
        "aliases and depth",
        "{ " + " ".join(f"a{i}: __typename" for i in range(21)) + deep(16)[1:],
        {
            "errors": [
                {"message": "max query aliases exceeded"},
                {"message": "Query has depth of 16, which exceeds max depth of 15"},
            ]
        },
    ),
]


@pytest.fixture
def post(app):
    store = app.extensions["mockcanvas"].store
    client = app.test_client()
    headers = {"Authorization": f"Bearer {store.token_for(store.landmarks['student'])}"}

    def send(query: str):
        return client.post("/api/graphql", json={"query": query}, headers=headers)

    return send


@pytest.mark.parametrize(("limit", "query", "body"), LIMITS, ids=[row[0] for row in LIMITS])
def test_a_document_over_a_limit_gets_graphql_rubys_answer(post, limit, query, body):
    response = post(query)
    assert (response.status_code, response.get_json()) == (200, body)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_documents_at_the_limits_run(post):
    data = post(deep(15)).get_json()["data"]
    assert data["__schema"]["types"]
    assert post(aliases(20)).get_json() == {"data": {f"a{i}": "Query" for i in range(20)}}
    assert post(directives(5)).get_json() == {"data": {"__typename": "Query"}}
    assert post(doubling_fragments(10)).get_json() == {"data": {"__typename": "Query"}}
    # 5,000 tokens parse; graphql-core's own budget for comparing same-named fields then stops.
    assert post("{ " + "__typename " * 4998 + "}").get_json() == {
        "errors": [{"message": "Validation aborted."}]
    }


def test_limits_apply_after_syntax_and_validation_errors(post):
    """graphql-ruby parses, validates, then analyzes: an invalid deep query reports validity."""
    response = post(deep(16).replace("name", "nope"))
    assert response.get_json() == {
        "errors": [
            {
                "message": "Cannot query field 'nope' on type '__Type'. Did you mean 'name'?",
                "locations": [{"line": 1, "column": 137}],
            }
        ]
    }


def test_a_hundred_thousand_aliases_are_refused_while_a_probe_is_served():
    app = create_app(seed=1)
    store = app.extensions["mockcanvas"].store
    student = store.token_for(store.landmarks["student"])
    query = "{ " + " ".join(f"a{i}: course(id: 1) {{ _id }}" for i in range(100_000)) + " }"
    assert len(query) > 2_500_000
    server = LiveServer(app).start()
    answers: dict[str, requests.Response] = {}
    try:

        def attack() -> None:
            answers["attack"] = requests.post(
                f"{server.url}/api/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {student}"},
                timeout=30,
            )

        thread = threading.Thread(target=attack, daemon=True)
        thread.start()
        probe = requests.get(
            f"{server.url}/api/v1/users/self",
            headers={"Authorization": f"Bearer {student}"},
            timeout=30,
        )
        thread.join(30)
        assert not thread.is_alive()
    finally:
        server.stop()
    assert probe.status_code == 200
    assert probe.json()["id"] == store.landmarks["student"]
    attack_answer = answers["attack"]
    assert attack_answer.status_code == 200
    assert attack_answer.json() == {"errors": [{"message": TOO_LARGE, "locations": []}]}
