"""Limits and refusals every request goes through, in development and in production."""

from __future__ import annotations

import httpx
import pytest

from resolvers import geography
from server.app import create_app
from server.settings import Environment, Settings, SettingsError
from tests.support import Api, gid

ORIGIN = "https://quartier.lalouviere.be"


@pytest.fixture
async def production_api(database_url):
    settings = Settings(
        database_url=database_url, environment=Environment.PRODUCTION, cors_origins=(ORIGIN,)
    )
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client:
        yield Api(client)


def _nested(depth: int) -> str:
    query = "id"
    for _ in range(depth):
        query = f"neighbourhood {{ {query} }}"
    return '{ streets(search: "rue") { edges { node { ' + query + " } } } }"


async def test_deep_queries_are_refused(api):
    result = await api(
        "{ viewer { neighbourhood { posts { edges { node { neighbourhood { posts { edges { node {"
        " neighbourhood { posts { edges { node { id } } } } } } } } } } } } } }"
    )

    assert result["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 12"


async def test_too_many_aliases_are_refused(api):
    aliases = " ".join(f"a{i}: viewer {{ id }}" for i in range(31))

    result = await api(f"{{ {aliases} }}")

    assert result["errors"][0]["message"] == "31 aliases found. Allowed: 30"


async def test_too_many_tokens_are_refused(api):
    fields = " ".join("__typename" for _ in range(4001))

    result = await api(f"{{ {fields} }}")

    assert (
        result["errors"][0]["message"]
        == "Syntax Error: Document contains more than 4000 tokens. Parsing aborted."
    )


async def test_unexpected_errors_are_masked(api, world, monkeypatch):
    async def broken(_ctx):
        raise RuntimeError("mot de passe de la base : hunter2")

    monkeypatch.setattr(geography, "topics", broken)

    response = await api.client.post(
        "/graphql",
        json={"query": "{ topics { slug } }"},
        headers={"Authorization": f"Bearer {world.alice_token}"},
    )

    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Erreur inattendue.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["topics"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    }
    assert "hunter2" not in response.text


async def test_coded_errors_pass_unmasked(api):
    result = await api("{ topics { slug } }")

    assert result["errors"][0]["message"] == "Connectez-vous pour continuer."
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_field_suggestions_are_off(api):
    result = await api("{ viewr { id } }")

    assert result["errors"][0]["message"] == "Cannot query field 'viewr' on type 'Query'."


async def test_mutations_over_get_are_refused(api, world):
    response = await api.client.get(
        "/graphql",
        params={"query": "mutation { logout { ok } }"},
        headers={"Authorization": f"Bearer {world.alice_token}"},
    )
    viewer = await api("{ viewer { id } }", token=world.alice_token)

    # GraphQL over HTTP: 405 Method Not Allowed, said as a GraphQL error.
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
    assert response.json() == {
        "errors": [
            {
                "message": "mutations are not allowed when using GET",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ]
    }
    assert viewer["data"]["viewer"] is not None


async def test_queries_over_get_work(api):
    response = await api.client.get("/graphql", params={"query": "{ viewer { id } }"})

    assert response.json() == {"data": {"viewer": None}}


async def test_batched_requests_are_refused(api):
    response = await api.client.post(
        "/graphql", json=[{"query": "{ viewer { id } }"}, {"query": "{ viewer { id } }"}]
    )

    assert response.status_code == 400


async def test_graphiql_is_served_in_development(api):
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    assert "/graphql/assets/graphiql.min.js?v=" in response.text


async def test_production_serves_no_ide_and_no_introspection(production_api):
    page = await production_api.client.get("/graphql", headers={"Accept": "text/html"})
    introspection = await production_api("{ __schema { types { name } } }")

    # Only moderators and admins get GraphiQL (tests/test_graphiql.py): others sign in first.
    assert page.status_code == 303
    assert page.headers["location"] == "/graphql/sign-in"
    assert "graphiql" not in page.text.lower()
    assert (
        introspection["errors"][0]["message"]
        == "GraphQL introspection has been disabled, but the requested query contained the field '__schema'."
    )


async def test_cors_answers_the_configured_origin_only(production_api):
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }

    allowed = await production_api.client.options(
        "/graphql", headers={"Origin": ORIGIN} | preflight
    )
    other = await production_api.client.options(
        "/graphql", headers={"Origin": "https://evil.example"} | preflight
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


def test_production_refuses_to_start_without_explicit_origins(monkeypatch):
    monkeypatch.setenv("QUARTIER_ENV", "production")
    monkeypatch.delenv("QUARTIER_CORS_ORIGINS", raising=False)

    with pytest.raises(SettingsError, match="QUARTIER_CORS_ORIGINS"):
        Settings.from_env()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("QUARTIER_ENV", "production")
    monkeypatch.setenv("QUARTIER_CORS_ORIGINS", f"{ORIGIN}, https://app.quartier.be")
    monkeypatch.setenv("DATABASE_URL", "postgres://quartier@db/quartier")
    monkeypatch.setenv("QUARTIER_TOKEN_TTL_HOURS", "12")
    monkeypatch.setenv("QUARTIER_DEFAULT_ACTIVATION_THRESHOLD", "25")

    settings = Settings.from_env()

    assert settings.production
    assert settings.cors_origins == (ORIGIN, "https://app.quartier.be")
    assert (
        settings.database_url,
        settings.token_ttl_hours,
        settings.default_activation_threshold,
    ) == (
        "postgres://quartier@db/quartier",
        12,
        25,
    )


def test_a_bad_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("QUARTIER_TOKEN_TTL_HOURS", "demain")

    with pytest.raises(SettingsError, match="QUARTIER_TOKEN_TTL_HOURS must be an integer"):
        Settings.from_env()


@pytest.mark.parametrize(
    "cursor",
    [
        # an id past the 32-bit columns; a date without time zone
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgMjE0NzQ4MzY0OF0",
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0",
    ],
)
async def test_a_cursor_out_of_range_is_a_clear_error(api, world, cursor):
    result = await api(
        "query($id: ID!, $after: String) { neighbourhood(id: $id) { posts(after: $after) { edges { cursor } } } }",
        {"id": gid("Neighbourhood", world.centre.id), "after": cursor},
        world.alice_token,
    )

    assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_control_characters_in_search_arguments_are_refused(api, world):
    streets = await api('{ streets(search: "rue\\u0007") { edges { node { id } } } }')
    login = await api(
        'mutation { login(input: {email: "a\\u0007@b.be", password: "x"}) { userErrors { code } } }'
    )

    assert streets["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert login["data"]["login"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_production_hides_the_federation_sdl_from_all_but_staff(
    production_api, world, moderator_token
):
    query = "{ _service { sdl } }"

    anonymous = await production_api(query)
    resident = await production_api(query, token=world.alice_token)
    moderator = await production_api(query, token=moderator_token)

    assert anonymous["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field '_service'."
    )
    assert resident["errors"][0]["message"] == anonymous["errors"][0]["message"]
    assert "type Query" in moderator["data"]["_service"]["sdl"]
