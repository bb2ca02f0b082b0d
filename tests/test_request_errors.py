"""Whatever a client sends wrong is its error, said with a code and without a traceback on
the server: against a real uvicorn in production mode, on the suite's database."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from models.accounts import Role
from server.graphql_view import MAX_JSON_DEPTH, deeper_than
from tests.processes import Process, served
from tests.support import gid, make_staff, operation

ORIGIN = "https://quartier.lalouviere.be"
GRAPHQL_RESPONSE = "application/graphql-response+json"
FEED = "web/feed.graphql"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    directory = tmp_path_factory.mktemp("errors")
    settings = {"QUARTIER_ENV": "production", "QUARTIER_CORS_ORIGINS": ORIGIN}
    with served(directory, database_url, **settings) as process:
        yield process


@pytest.fixture
def client(server: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    # Nothing a client sent is an incident of ours.
    assert "Traceback" not in server.output()


def _post(
    client: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    accept: str | None = None,
    name: str | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if accept:
        headers["Accept"] = accept
    body = {"query": query, "variables": variables, "operationName": name}
    # json.dumps escapes what UTF-8 cannot carry (a lone surrogate), as JSON allows.
    headers["Content-Type"] = "application/json"
    return client.post("/graphql", content=json.dumps(body), headers=headers)


def _codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


# --- variables -------------------------------------------------------------------------

POST_BY_ID = "query($id: ID!) { post(id: $id) { id } }"
STREETS = 'query($first: Int) { streets(search: "rue", first: $first) { edges { cursor } } }'
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token } }"


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            POST_BY_ID,
            {"id": {"a": 1}},
            "Variable '$id' has invalid value: ID cannot represent value: {'a': 1}",
        ),
        (
            STREETS,
            {"first": "abc"},
            "Variable '$first' has invalid value: Int cannot represent non-integer value: 'abc'",
        ),
        (
            LOGIN,
            {"input": {"password": "x"}},
            "Variable '$input' has invalid value: Expected value of type 'LoginInput' to include required field 'email', found: {'password': 'x'}.",
        ),
    ],
)
@pytest.mark.parametrize(("accept", "status"), [(None, 200), (GRAPHQL_RESPONSE, 400)])
def test_a_variable_of_the_wrong_type_is_bad_user_input_naming_it(
    client, query, variables, message, accept, status
):
    response = _post(client, query, variables, accept=accept)

    assert response.status_code == status
    assert response.json() == {
        "errors": [
            {
                "message": message,
                "locations": [
                    {"line": 1, "column": response.json()["errors"][0]["locations"][0]["column"]}
                ],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


def test_parse_and_validation_errors_carry_their_codes(client):
    parse = _post(client, "{ viewer {")
    validation = _post(client, "{ viewer { nom } }")

    assert parse.json() == {
        "errors": [
            {
                "message": "Syntax Error: Expected Name, found <EOF>.",
                "locations": [{"line": 1, "column": 11}],
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            }
        ]
    }
    assert validation.json() == {
        "errors": [
            {
                "message": "Cannot query field 'nom' on type 'Account'.",
                "locations": [{"line": 1, "column": 12}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"null", "Le corps de la requête doit être un objet JSON."),
        (b'"x"', "Le corps de la requête doit être un objet JSON."),
        (b"42", "Le corps de la requête doit être un objet JSON."),
        (
            b'{"query": "{ viewer { id } }\xff"}',
            "Le corps de la requête n'est pas de l'UTF-8 valide.",
        ),
        (b"[" * 10_000 + b"]" * 10_000, "JSON trop imbriqué (64 niveaux au plus)."),
        (
            b'{"query": "{ topics { slug } }", "variables": [1]}',
            "`variables` doit être un objet (ou null).",
        ),
        (
            b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 900 + b"]" * 900 + b"}}",
            "JSON trop imbriqué (64 niveaux au plus).",
        ),
        (b"{ not json", "Le corps de la requête n'est pas du JSON valide."),
    ],
)
def test_a_body_that_is_not_a_graphql_request_is_a_400_shaped_as_graphql(client, body, message):
    response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
    }


def _nestings(depth: int) -> list[Any]:
    """Values `depth` levels deep: arrays, objects, and the deepest item last or first."""
    array: Any = 1
    mapping: Any = "x"
    mixed: Any = []
    for _ in range(depth - 1):
        array, mapping = [array], {"k": mapping}
    for level in range(depth - 1):
        mixed = [0, mixed] if level % 2 else {"a": mixed, "b": 1}
    return [array, mapping, mixed]


def _depth(value: Any) -> int:
    """A JSON value's depth, walked whole: a scalar is 1, a container 1 + its deepest item."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 1


@pytest.mark.parametrize(
    "value",
    [
        None,
        "x",
        {},
        [],
        [[]],
        [1],
        {"a": [1, {"b": {}}], "c": "d"},
        {"query": "{ x }", "variables": {"id": "1", "first": 20}},
        *[nested for depth in (2, 3, 63, 64, 65, 66) for nested in _nestings(depth)],
    ],
)
def test_a_json_value_is_too_deep_exactly_when_its_depth_passes_the_limit(value):
    for levels in (0, 1, 2, 3, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1):
        assert deeper_than(value, levels) == (_depth(value) > levels)


# --- values the database would refuse ---------------------------------------------------


def test_a_character_no_database_stores_is_refused_in_any_string_input(client, world):
    register = operation("web/account.graphql", "Register")
    street = gid("Street", world.centre_street.id)
    sign_up = {
        "email": "nul\u0000@example.be",
        "password": "une phrase de passe solide",
        "displayName": "Nul",
        "streetId": street,
        "houseNumber": "3",
    }

    email = _post(client, register, {"input": sign_up}, name="Register")
    topics = _post(
        client,
        operation(FEED, "CreatePost"),
        {"input": {"kind": "DISCUSSION", "title": "T", "body": "B", "topicSlugs": ["x\u0000"]}},
        world.alice_token,
        name="CreatePost",
    )
    surrogate = _post(
        client,
        operation(FEED, "CreatePost"),
        {"input": {"kind": "DISCUSSION", "title": "T", "body": "moitié \ud800"}},
        world.alice_token,
        name="CreatePost",
    )
    literal = _post(client, '{ streets(search: "rue\\u0000") { edges { cursor } } }')

    assert email.json() == {
        "errors": [
            {
                "message": "Variable '$input' : caractère refusé (U+0000 ou demi-paire UTF-16) "
                "dans $input.email.",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }
    assert topics.json()["errors"][0]["message"] == (
        "Variable '$input' : caractère refusé (U+0000 ou demi-paire UTF-16) "
        "dans $input.topicSlugs[0]."
    )
    assert surrogate.json()["errors"][0]["message"].endswith("dans $input.body.")
    assert _codes(literal) == ["BAD_USER_INPUT"]


def _cursor(moment: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment, 1]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_a_cursor_with_an_extreme_time_zone_offset_is_bad_user_input(client, world, moment):
    response = _post(
        client,
        "query($id: ID!, $after: String) { neighbourhood(id: $id) { posts(after: $after) { edges { cursor } } } }",
        {"id": gid("Neighbourhood", world.centre.id), "after": _cursor(moment)},
        world.alice_token,
    )

    assert response.json()["errors"][0]["message"] == "Curseur de pagination invalide."
    assert _codes(response) == ["BAD_USER_INPUT"]


async def test_a_date_with_an_extreme_time_zone_offset_is_bad_user_input(client, world):
    _, token = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    extreme = {"from": "0001-01-01T00:00:00+23:59", "to": "2026-01-01T00:00:00+00:00"}

    response = _post(
        client,
        operation("city/insights.graphql", "TopicInsights"),
        extreme,
        token,
        name="TopicInsights",
    )

    assert _codes(response) == ["BAD_USER_INPUT"]
    assert response.json()["errors"][0]["message"].startswith(
        "Variable '$from' has invalid value: Value cannot represent a DateTime:"
    )


# --- operations ------------------------------------------------------------------------


def test_several_operations_without_a_name_are_refused_and_none_runs(client, world):
    document = "mutation A { logout { ok } } query B { viewer { id } }"

    refused = _post(client, document, token=world.alice_token, accept=GRAPHQL_RESPONSE)
    still_signed_in = _post(client, "{ viewer { id } }", token=world.alice_token)

    assert refused.status_code == 400
    assert refused.json() == {
        "errors": [
            {
                "message": "Must provide operation name if query contains multiple operations.",
                "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"},
            }
        ]
    }
    assert still_signed_in.json() == {"data": {"viewer": {"id": gid("Account", world.alice.id)}}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ viewr { id } }", None),
        ('{ streets(serch: "rue") { edges { cursor } } }', None),
        ("query($k: PostKnd) { viewer { id } }", None),
        (
            'mutation { createPost(input: {kind: DISCUSION, title: "t", body: "b"}) { post { id } } }',
            None,
        ),
        ('mutation { login(input: {emal: "a@b.be", password: "x"}) { token } }', None),
        ("query($k: PostKind) { topics { slug } }", {"k": "DISCUSION"}),
        (LOGIN, {"input": {"emal": "a@b.be", "password": "x"}}),
    ],
)
def test_production_never_suggests_a_name(client, world, query, variables):
    response = _post(client, query, variables, world.alice_token)

    assert response.json()["errors"]
    assert "Did you mean" not in response.text
    assert "suggest" not in response.text.lower()


# --- text that shows nothing ---------------------------------------------------------


def test_text_of_invisible_characters_only_is_required(client, world):
    response = _post(
        client,
        operation(FEED, "CreatePost"),
        {"input": {"kind": "DISCUSSION", "title": "\u200b\u200d\u2060", "body": "\u3164 \ufeff"}},
        world.alice_token,
        name="CreatePost",
    )

    assert response.json()["data"]["createPost"] == {
        "post": None,
        "userErrors": [
            {"field": "title", "code": "REQUIRED", "message": "Ce champ est obligatoire."},
            {"field": "body", "code": "REQUIRED", "message": "Ce champ est obligatoire."},
        ],
    }


def test_a_document_that_defers_or_streams_is_refused_before_execution(client):
    # The schema defines neither @defer nor @stream, so the operation never runs where an
    # incremental result could come back (schema/schemas.py, _get_execute_function).
    query = "{ topics @stream { ... @defer { slug } } }"
    response = client.post("/graphql", json={"query": query})

    assert response.status_code == 200
    assert [e["message"] for e in response.json()["errors"]] == [
        "Unknown directive '@stream'.",
        "Unknown directive '@defer'.",
    ]
    assert "data" not in response.json()
