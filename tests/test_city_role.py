"""The city subgraph's PostgreSQL role: it reads what the city's side needs and nothing a
resident wrote, and the city subgraph serves the city's documents with it."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from graphql import parse, print_ast

from models.accounts import Role
from server import city_role
from server.operations import CommandError
from tests import support
from tests.processes import app_env, uvicorn, wait_until_ready
from tests.support import ROOT, gid, operation

pytestmark = pytest.mark.skipif(
    not support.postgres_admin_url(),
    reason="database roles and column grants are PostgreSQL's: set QUARTIER_TEST_POSTGRES_URL",
)


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@asynccontextmanager
async def city_role_url(database_url: str) -> AsyncIterator[str]:
    """A city role of its own (roles are the cluster's) on the test database, and its URL."""
    role = f"quartier_city_test_{secrets.token_hex(4)}"
    url = await city_role.create_city_role(database_url, role, None)
    try:
        yield url
    finally:
        await city_role.drop_city_role(role)


@pytest.fixture(scope="module")
async def role_url(database_url: str) -> AsyncIterator[str]:
    async with city_role_url(database_url) as url:
        yield url


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT body FROM post",
        "SELECT title FROM post",
        "SELECT * FROM post",
        "SELECT author_id FROM post",
        "SELECT body FROM comment",
        "SELECT body FROM message",
        "SELECT email FROM account",
        "SELECT display_name, house_number FROM account",
        "SELECT password_hash FROM account",
        "SELECT reason FROM moderation_action",
        "SELECT note FROM report",
        "SELECT code FROM verification_letter",
    ],
)
async def test_the_city_role_is_refused_what_residents_wrote(role_url, sql):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await _fetch(role_url, sql)


async def test_the_city_role_reads_what_topic_insights_count(role_url, world):
    rows = await _fetch(
        role_url,
        "SELECT COUNT(*), MIN(p.created_at) FROM post p JOIN post_topic pt ON pt.post_id = p.id"
        " WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL",
    )

    assert rows[0][0] == 0


async def test_the_city_role_may_not_write_outside_the_city_side(role_url, world):
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _fetch(
            role_url, f"UPDATE account SET verified_at = now() WHERE id = {world.alice.id}"
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _fetch(role_url, "DELETE FROM notification")


async def test_creating_the_role_again_keeps_the_same_grants(database_url, role_url):
    role = role_url.split("://", 1)[1].split(":", 1)[0]
    url = await city_role.create_city_role(database_url, role, "A-new-password-2026!")

    assert url.startswith(f"postgres://{role}:A-new-password-2026%21@")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _fetch(role_url, "SELECT body FROM post")


def test_the_command_prints_a_url_whose_connection_may_not_read_a_post_body(database_url):
    role = f"quartier_city_test_{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env["DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "server.cli", "db", "create-city-role", "--role-name", role]

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    try:
        assert done.returncode == 0, done.stderr
        url = done.stdout.strip().splitlines()[-1]
        assert url.startswith(f"postgres://{role}:")
        assert asyncio.run(_fetch(url, "SELECT COUNT(*) FROM neighbourhood"))[0][0] >= 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            asyncio.run(_fetch(url, "SELECT body FROM post"))
    finally:
        asyncio.run(_drop(database_url, role))


async def _drop(database_url: str, role: str) -> None:
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        await conn.execute(f'DROP OWNED BY "{role}"')
        await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await conn.close()


def test_the_command_refuses_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env["DATABASE_URL"] = f"sqlite://{tmp_path / 'x.sqlite3'}"
    command = [sys.executable, "-m", "server.cli", "db", "create-city-role"]

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert (done.returncode, done.stderr) == (
        1,
        "quartier: the city role is PostgreSQL's: DATABASE_URL names another database\n",
    )


@pytest.mark.parametrize(
    ("role", "password", "message"),
    [
        ("Robert'); DROP", None, "invalid role name"),
        ("quartier_city", "short", "16 to 200 printable ASCII"),
    ],
)
async def test_bad_role_names_and_passwords_are_refused(database_url, role, password, message):
    with pytest.raises(CommandError, match=message):
        await city_role.create_city_role(database_url, role, password)


# --- the city subgraph on its role -------------------------------------------------------


@pytest.fixture(scope="module")
def city_subgraph(tmp_path_factory: pytest.TempPathFactory, role_url: str) -> Iterator[str]:
    log = tmp_path_factory.mktemp("city-role") / "city.log"
    server = uvicorn("the city subgraph", "server.subgraphs:city_app", app_env(role_url), log)
    try:
        wait_until_ready(server)
        yield server.url
    finally:
        server.stop()


def _alone(relative: str, name: str) -> str:
    """One operation of a contract document: the others may need the community subgraph."""
    document = parse(operation(relative, name))
    return print_ast(
        next(d for d in document.definitions if d.name is not None and d.name.value == name)
    )


async def _send(url: str, relative: str, name: str, variables: dict, token: str | None) -> dict:
    body = {"query": _alone(relative, name), "operationName": name, "variables": variables}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return (await client.post("/graphql", json=body, headers=headers)).json()


async def test_the_city_subgraph_serves_the_city_documents_with_its_role(api, world, city_subgraph):
    staff = (await support.make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]
    await support.run_contract(
        api, "web/feed.graphql", "CreatePost",
        {"input": {"kind": "DISCUSSION", "title": "Secret", "body": "Rien pour la ville.",
                   "topicSlugs": ["mobilite"]}}, world.alice_token,
    )  # fmt: skip
    publish = {
        "input": {
            "kind": "CONSULTATION", "title": "Zone 30 ?", "body": "Votre avis.",
            "target": {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [gid("Neighbourhood", world.centre.id)]},
            "consultation": {"question": "D'accord ?", "options": ["Oui", "Non"],
                             "closesAt": "2099-01-01T00:00:00+00:00"},
        }
    }  # fmt: skip
    insights = {"from": "2025-01-01T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"}

    published = await _send(
        city_subgraph, "city/announcements.graphql", "PublishAnnouncement", publish, staff
    )
    consultation = published["data"]["publishAnnouncement"]["announcement"]["consultation"]
    answer = {
        "input": {
            "consultationId": consultation["id"],
            "optionId": consultation["options"][0]["id"],
        }
    }
    answered = await _send(
        city_subgraph, "web/city.graphql", "AnswerConsultation", answer, world.alice_token
    )
    marked = await _send(
        city_subgraph, "web/city.graphql", "MarkNotificationsRead", {"input": {}}, world.bob_token
    )
    reads = [
        ("city/insights.graphql", "CityOverview", {}, staff),
        ("city/insights.graphql", "TopicInsights", insights, staff),
        ("city/announcements.graphql", "CityAnnouncements", {}, staff),
        ("city/announcements.graphql", "AnnouncementAudience", {"target": {"scope": "CITY"}}, staff),
        ("city/announcements.graphql", "ConsultationResults", {"id": consultation["id"]}, staff),
    ]  # fmt: skip

    assert published["data"]["publishAnnouncement"]["userErrors"] == [], published
    assert answered == {
        "data": {"answerConsultation": {"consultation": {"id": consultation["id"], "viewerAnswer": consultation["options"][0]}, "userErrors": []}}
    }  # fmt: skip
    assert marked == {"data": {"markNotificationsRead": {"unreadNotificationCount": 0}}}
    for relative, name, variables, token in reads:
        served = await _send(city_subgraph, relative, name, variables, token)
        assert served == await support.run_contract(api, relative, name, variables, token), name


async def test_the_city_subgraph_gives_a_resident_their_inbox_with_its_role(world, city_subgraph):
    inbox = (
        "query Inbox($representations: [_Any!]!) { _entities(representations: $representations)"
        " { ... on Account { id unreadNotificationCount announcements { edges { node { id } } } } } }"
    )
    alice = {"__typename": "Account", "id": gid("Account", world.alice.id)}
    async with httpx.AsyncClient(base_url=city_subgraph, timeout=30) as client:
        response = await client.post(
            "/graphql",
            json={"query": inbox, "variables": {"representations": [alice]}},
            headers={"Authorization": f"Bearer {world.alice_token}"},
        )

    assert response.json() == {
        "data": {
            "_entities": [
                {"id": alice["id"], "unreadNotificationCount": 0, "announcements": {"edges": []}}
            ]
        }
    }
