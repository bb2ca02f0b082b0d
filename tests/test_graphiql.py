"""The moderators' GraphiQL: self-hosted pinned assets, the staff-only gate in production,
the session cookie, and introspection for staff only."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from models.accounts import AuthToken, Role
from resolvers import tokens
from server.app import create_app
from server.graphiql import ASSETS, CONTENT_SECURITY_POLICY, VENDOR
from server.ide_session import COOKIE
from server.settings import Environment, Settings
from tests.support import make_staff

ORIGIN = "https://quartier.lalouviere.be"
HTML = {"Accept": "text/html"}
INTROSPECTION = "{ __schema { queryType { name } } }"
# graphql-core's rule names each field that returns an introspection type.
INTROSPECTION_REFUSED = [
    "GraphQL introspection has been disabled, but the requested query contained the field"
    f" '{field}'."
    for field in ("__schema", "queryType")
]
NOT_STAFF = (
    "GraphiQL est réservé à la modération : ce compte n'a ni le rôle MODERATOR ni le rôle ADMIN."
)


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url, environment=Environment.PRODUCTION, cors_origins=(ORIGIN,)
    )
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    # https: the session cookie is Secure in production, and httpx honours that.
    async with httpx.AsyncClient(transport=transport, base_url="https://quartier.test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def introspect(client: httpx.AsyncClient, token: str) -> dict:
    response = await client.post("/graphql", json={"query": INTROSPECTION}, headers=bearer(token))
    return response.json()


async def is_revoked(raw: str) -> bool:
    token = await AuthToken.get(token_hash=tokens.hash_token(raw))
    return token.revoked_at is not None


# --- introspection -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
async def test_staff_may_introspect_in_production(production, world, role):
    _, token = await make_staff(role, "Mona Modération")

    result = await introspect(production, token)

    assert result == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize("role", [Role.CITY_STAFF, Role.CITY_INTEGRATION])
async def test_city_accounts_may_not_introspect_in_production(production, world, role):
    _, token = await make_staff(role, "Ville", world.city)

    result = await introspect(production, token)

    assert "data" not in result
    assert [e["message"] for e in result["errors"]] == INTROSPECTION_REFUSED


async def test_a_resident_may_not_introspect_in_production_even_after_a_moderator_did(
    production, world, moderator_token
):
    # The validation cache must not hand the moderator's verdict to the resident.
    allowed = await introspect(production, moderator_token)
    refused = await introspect(production, world.alice_token)

    assert allowed["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert "data" not in refused
    assert [e["message"] for e in refused["errors"]] == INTROSPECTION_REFUSED


# --- the gate ----------------------------------------------------------------------------


async def test_production_sends_a_browser_without_a_session_to_sign_in(production):
    response = await production.get("/graphql", headers=HTML)

    assert response.status_code == 303
    assert response.headers["location"] == "/graphql/sign-in"


async def test_a_forged_or_resident_cookie_does_not_open_the_ide(production, world):
    for value in ("qrt_forged", world.alice_token):
        production.cookies.set(COOKIE, value, domain="quartier.test", path="/graphql")

        response = await production.get("/graphql", headers=HTML)

        assert response.status_code == 303


async def test_a_resident_token_is_refused_a_session_in_production_and_still_works(
    production, world
):
    response = await production.post("/graphql/session", headers=bearer(world.alice_token))
    viewer = await production.post(
        "/graphql", json={"query": "{ viewer { displayName } }"}, headers=bearer(world.alice_token)
    )

    assert response.status_code == 403
    assert response.json() == {"message": NOT_STAFF}
    assert "set-cookie" not in response.headers
    assert not await is_revoked(world.alice_token)
    assert viewer.json() == {"data": {"viewer": {"displayName": "Alice Dupont"}}}


@pytest.mark.parametrize("role", [Role.CITY_STAFF, Role.CITY_INTEGRATION])
async def test_city_accounts_are_refused_a_session_in_production_and_keep_their_token(
    production, world, role
):
    _, token = await make_staff(role, "Ville", world.city)

    response = await production.post("/graphql/session", headers=bearer(token))

    assert response.status_code == 403
    assert not await is_revoked(token)


async def test_in_development_a_resident_gets_a_session_and_the_ide(api, world):
    opened = await api.client.post("/graphql/session", headers=bearer(world.alice_token))

    assert opened.status_code == 200
    session_token = opened.json()["token"]
    assert opened.json() == {"token": session_token, "expiresIn": 43200}
    # Exchanged, the sign-in token ends; the session's token works in its place.
    assert await is_revoked(world.alice_token)
    viewer = await api("{ viewer { displayName } }", token=session_token)
    assert viewer == {"data": {"viewer": {"displayName": "Alice Dupont"}}}
    page = await api.client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert 'data-sign-in="optional"' in page.text


async def test_the_sign_in_page_says_who_may_sign_in(api, production):
    development = await api.client.get("/graphql/sign-in")
    live = await production.get("/graphql/sign-in")

    assert (
        "<p>En développement, tout compte peut s&#x27;y connecter ; en production, seuls les "
        "comptes de modération (MODERATOR ou ADMIN).</p>"
    ) in development.text
    english = await api.client.get("/graphql/sign-in", headers={"Accept-Language": "en"})
    assert (
        "<p>In development any account may sign in; in production only moderation accounts "
        "(MODERATOR or ADMIN).</p>"
    ) in english.text
    assert "<p>Réservé aux comptes de modération (MODERATOR ou ADMIN).</p>" in live.text


async def test_a_session_needs_a_valid_token(production):
    missing = await production.post("/graphql/session")
    unknown = await production.post("/graphql/session", headers=bearer("qrt_inconnu"))

    for response in (missing, unknown):
        assert response.status_code == 401
        assert response.json() == {"message": "Jeton absent, inconnu ou expiré : connectez-vous."}


async def test_a_moderator_gets_a_twelve_hour_session_and_the_ide(production, moderator_token):
    opened = await production.post("/graphql/session", headers=bearer(moderator_token))

    assert opened.status_code == 200
    session_token = opened.json()["token"]
    assert opened.json() == {"token": session_token, "expiresIn": 43200}
    assert session_token != moderator_token
    assert await is_revoked(moderator_token)
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={session_token};")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert attributes == {
        "httponly",
        "max-age=43200",
        "path=/graphql",
        "samesite=strict",
        "secure",
    }

    page = await production.get("/graphql", headers=HTML)
    schema = await introspect(production, session_token)

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["cache-control"] == "no-store"
    assert 'data-sign-in="required"' in page.text
    assert schema["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_signing_out_revokes_the_session_and_clears_the_cookie(production, moderator_token):
    opened = await production.post("/graphql/session", headers=bearer(moderator_token))
    session_token = opened.json()["token"]

    closed = await production.delete("/graphql/session")
    page = await production.get("/graphql", headers=HTML)

    assert closed.status_code == 204
    assert closed.headers["set-cookie"].startswith(f'{COOKIE}="";')
    assert "max-age=0" in closed.headers["set-cookie"].lower()
    assert await is_revoked(session_token)
    assert page.status_code == 303


async def test_a_demoted_moderator_loses_the_ide_at_once(production, world):
    moderator, token = await make_staff(Role.MODERATOR, "Mona Modération")
    await production.post("/graphql/session", headers=bearer(token))
    moderator.role = Role.RESIDENT
    await moderator.save(update_fields=["role"])

    response = await production.get("/graphql", headers=HTML)

    assert response.status_code == 303


# --- the pages and their assets ----------------------------------------------------------


def sources(page: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', page)


async def test_the_pages_load_only_self_hosted_assets_and_no_inline_script(api):
    ide = await api.client.get("/graphql", headers=HTML)
    sign_in = await api.client.get("/graphql/sign-in")

    for page in (ide, sign_in):
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
        assert sources(page.text)
        assert all(
            re.fullmatch(r"/graphql/assets/[\w.-]+\?v=[0-9a-f]{16}", s) for s in sources(page.text)
        )
        assert "http" not in " ".join(sources(page.text))
        assert re.findall(r"<script\b[^>]*>([^<]+)</script>", page.text) == []
    assert sources(ide.text) == [
        f"/graphql/assets/{name}?v={hashlib.sha256(ASSETS[name].path.read_bytes()).hexdigest()[:16]}"
        for name in (
            "graphiql.min.css",
            "ide.css",
            "favicon.svg",
            "react.production.min.js",
            "react-dom.production.min.js",
            "graphiql.min.js",
            "graphql-ws.min.js",
            "ide.js",
        )
    ]
    assert 'data-sign-in="optional"' in ide.text
    assert '<form id="sign-in" method="post">' in sign_in.text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("graphiql.min.js", "text/javascript; charset=utf-8"),
        ("graphiql.min.css", "text/css; charset=utf-8"),
        ("react.production.min.js", "text/javascript; charset=utf-8"),
        ("react-dom.production.min.js", "text/javascript; charset=utf-8"),
        ("graphql-ws.min.js", "text/javascript; charset=utf-8"),
        ("ide.js", "text/javascript; charset=utf-8"),
        ("sign-in.js", "text/javascript; charset=utf-8"),
        ("ide.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
async def test_assets_are_served_with_their_type_and_kept_by_browsers(api, name, content_type):
    expected = ASSETS[name].path.read_bytes()
    plain = await api.client.get(f"/graphql/assets/{name}", headers={"Accept-Encoding": "identity"})
    url = f"/graphql/assets/{name}"
    async with api.client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as compressed:
        wire = b"".join([chunk async for chunk in compressed.aiter_raw()])

    assert plain.status_code == 200
    assert plain.headers["content-type"] == content_type
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in plain.headers
    assert plain.content == expected
    assert compressed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["vary"]
    assert gzip.decompress(wire) == expected


async def test_graphiql_travels_compressed_to_a_fraction_of_its_size(api):
    url = "/graphql/assets/graphiql.min.js"
    async with api.client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        wire = b"".join([chunk async for chunk in response.aiter_raw()])

    assert len(wire) < ASSETS["graphiql.min.js"].path.stat().st_size / 4


async def test_only_the_listed_assets_are_served(api):
    for name in ("README.md", "LICENSE.graphiql", "ide.html", "..%2Fapp.py", "nope.js"):
        response = await api.client.get(f"/graphql/assets/{name}")

        assert response.status_code == 404, name


# --- the pinned build --------------------------------------------------------------------


def pinned() -> dict[str, str]:
    """file -> sha256, from the table in server/static/graphiql/README.md."""
    readme = (VENDOR / "README.md").read_text()
    return dict(re.findall(r"^\| `([^`]+)` \|[^|]*\|[^|]*\| `([0-9a-f]{64})` \|$", readme, re.M))


def test_the_vendored_files_are_the_pinned_ones():
    files = {p.name for p in VENDOR.iterdir()} - {"README.md"}

    assert set(pinned()) == files
    for name, digest in pinned().items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
