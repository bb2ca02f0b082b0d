"""GraphQL over HTTP, against a real uvicorn: both media types with the spec's status codes,
and graphql-http's own audit of the server (every MUST and every SHOULD)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.processes import Process, served
from tests.support import ROOT, missing_in_ci

AUDIT_DIR = ROOT / "tests" / "http-audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    with served(tmp_path_factory.mktemp("http"), database_url) as process:
        yield process


@pytest.fixture
def client(server: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _post(client: httpx.Client, body: dict, accept: str | None) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json;q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", "application/json"),
    ],
)
def test_the_answer_comes_in_the_media_type_asked_for(client, accept, media_type):
    response = _post(client, {"query": "{ __typename }"}, accept)

    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nothing }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query($id: ID!) { post(id: $id) { id } }", "variables": {"id": None}},
            "BAD_USER_INPUT",
        ),
    ],
)
def test_a_request_error_has_no_data_and_its_status_depends_on_the_media_type(client, body, code):
    legacy = _post(client, body, "application/json")
    spec = _post(client, body, GRAPHQL_RESPONSE)

    assert (legacy.status_code, spec.status_code) == (200, 400)
    for response in (legacy, spec):
        assert "data" not in response.json()
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]


def test_a_field_error_keeps_data_and_a_200_in_both_media_types(client):
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = _post(client, {"query": "{ topics { slug } }"}, accept)

        assert response.status_code == 200
        assert response.json() == {
            "data": None,
            "errors": [
                {
                    "message": "Connectez-vous pour continuer.",
                    "locations": [{"line": 1, "column": 3}],
                    "path": ["topics"],
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
        }


def test_a_post_that_is_not_json_is_unsupported_media(client):
    response = client.post(
        "/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 415
    assert response.json() == {
        "errors": [
            {
                "message": "Envoyez la requête en application/json.",
                "extensions": {"code": "UNSUPPORTED_MEDIA_TYPE"},
            }
        ]
    }


def _audit(url: str) -> list[dict]:
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        missing_in_ci("graphql-http is not installed: npm ci --prefix tests/http-audit")
    run = subprocess.run(
        ["node", "audit.mjs", url], cwd=AUDIT_DIR, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_graphql_http_audit_passes_every_must_and_should(server):
    results = _audit(f"{server.url}/graphql")

    failed = [
        f"{r['id']} {r['name']}: {r['reason']}"
        for r in results
        if r["status"] != "ok" and not r["name"].startswith("MAY")
    ]
    counts = Counter((r["name"].split()[0], r["status"]) for r in results)
    assert failed == []
    # Before this work: MUST 13/13, SHOULD 15/23 (all MAY passed).
    assert counts == {("MUST", "ok"): 13, ("SHOULD", "ok"): 23, ("MAY", "ok"): 25}


def test_our_request_errors_speak_the_language_the_client_accepts(client):
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    body = client.post("/graphql", content=b"null", headers=headers)
    variable = client.post(
        "/graphql",
        json={
            "query": "query($s: String!) { streets(search: $s) { edges { cursor } } }",
            "variables": {"s": "rue\u0000"},
        },
        headers={"Accept-Language": "nl"},
    )

    assert body.json()["errors"][0]["message"] == "The request body must be a JSON object."
    assert variable.json()["errors"][0]["message"] == (
        "Variabele '$s': geweigerd teken (U+0000 of een half UTF-16-paar) in $s."
    )
