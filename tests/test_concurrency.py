"""Concurrent writers and a database that drops out, against uvicorn with two workers: the
embedded SQLite as much as PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise.timezone import now

from models.community import Post
from models.messaging import Message
from models.moderation import ModerationAction
from tests import support
from tests.processes import Process, serve_workers, served
from tests.support import gid, operation

FEED = operation("web/feed.graphql", "ReportContent")  # the whole document
REPORT = FEED
SEND = operation("web/messages.graphql", "SendMessage")


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    """`quartier serve --workers 2`, as an operator runs it."""
    log = tmp_path_factory.mktemp("workers") / "quartier.log"
    with serve_workers(log, database_url) as server:
        yield server


async def _send(
    client: httpx.AsyncClient,
    document: str,
    name: str | None,
    variables: dict[str, Any],
    token: str,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": document, "operationName": name, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _fresh_connections() -> httpx.AsyncClient:
    """Every request on its own connection, so the kernel spreads them over the workers."""
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


async def test_three_neighbours_reporting_at_once_hide_the_post_twenty_times_in_a_row(
    workers, world
):
    reporters = [
        (await support.make_resident(world.centre_street, f"Voisin {i}"))[1] for i in range(3)
    ]
    variables = {"input": {"contentId": "", "reason": "SPAM"}}
    hidden = []
    async with _fresh_connections() as client:
        client.base_url = httpx.URL(workers.url)
        for _ in range(20):
            post = await Post.create(
                neighbourhood_id=world.centre.id,
                author_id=world.alice.id,
                kind="DISCUSSION",
                title="À vendre",
                body="Pas cher.",
                created_at=now(),
            )
            variables["input"]["contentId"] = gid("Post", post.id)
            answers = await asyncio.gather(
                *(_send(client, REPORT, "ReportContent", variables, token) for token in reporters)
            )
            assert [a["data"]["reportContent"]["userErrors"] for a in answers] == [[], [], []]
            await post.refresh_from_db()
            hidden.append(post.hidden_at is not None)

    # Hidden each time, by one automatic action each time.
    assert hidden == [True] * 20
    assert await ModerationAction.filter(moderator_id=None).count() == 20


async def test_two_workers_take_fifty_concurrent_messages_without_an_error(workers, world):
    residents = [
        await support.make_resident(world.centre_street, f"Habitant {i}") for i in range(10)
    ]

    async def send(i: int) -> dict[str, Any]:
        sender, recipient = residents[i % 10], residents[(i + 1) % 10]
        variables = {
            "input": {"recipientId": gid("Account", recipient[0].id), "body": f"Message {i}"}
        }
        return await _send(client, SEND, "SendMessage", variables, sender[1])

    async with _fresh_connections() as client:
        client.base_url = httpx.URL(workers.url)
        answers = await asyncio.gather(*(send(i) for i in range(50)))

    assert [a.get("errors") for a in answers] == [None] * 50
    assert [a["data"]["sendMessage"]["userErrors"] for a in answers] == [[]] * 50
    assert await Message.all().count() == 50
    assert "database is locked" not in workers.output()


# --- a connection dropped mid-request (PostgreSQL) ---------------------------------------


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    if not database_url.startswith("postgres"):
        pytest.skip("SQLite has no connection to lose")
    with served(tmp_path_factory.mktemp("dropped"), database_url) as process:
        yield process


async def _drop_the_connection_under(
    database_url: str, send: Callable[[], Awaitable[dict[str, Any]]], table: str = "post"
) -> dict[str, Any]:
    """Holds a lock on `table` while the server's request runs, waits until the request
    blocks on it, then ends that backend (as a failover or an administrator would) and lets
    the lock go. Returns the request's answer."""
    dsn = re.sub(r"^postgres://", "postgresql://", database_url)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            request = asyncio.create_task(send())
            for _ in range(200):
                # Activity statistics are read once per transaction unless cleared.
                await conn.execute("SELECT pg_stat_clear_snapshot()")
                waiting = await conn.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                if waiting is not None or request.done():
                    break
                await asyncio.sleep(0.05)
            if waiting is None:
                rows = await conn.fetch(
                    "SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity WHERE datname = current_database()"
                )
                raise AssertionError(f"the request never waited on the lock: {request} {rows}")
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", waiting)
    finally:
        await conn.close()
    return await request


async def test_a_read_whose_connection_drops_is_retried_on_a_fresh_one(
    one_worker, world, database_url
):
    await Post.create(
        neighbourhood_id=world.centre.id,
        author_id=world.bob.id,
        kind="DISCUSSION",
        title="T",
        body="B",
        created_at=now(),
    )
    variables = {"id": gid("Neighbourhood", world.centre.id)}
    async with httpx.AsyncClient(base_url=one_worker.url, timeout=60) as client:
        answer = await _drop_the_connection_under(
            database_url,
            lambda: _send(client, FEED, "NeighbourhoodFeed", variables, world.alice_token),
        )

    assert "errors" not in answer
    assert [e["node"]["title"] for e in answer["data"]["neighbourhood"]["posts"]["edges"]] == ["T"]
    assert "database unavailable" in one_worker.output()
    assert "Traceback" not in one_worker.output()


async def test_a_write_whose_connection_drops_is_retryable_and_wrote_nothing(
    one_worker, world, database_url
):
    variables = {"input": {"kind": "DISCUSSION", "title": "Perdu", "body": "Un chat."}}
    async with httpx.AsyncClient(base_url=one_worker.url, timeout=60) as client:
        answer = await _drop_the_connection_under(
            database_url,
            lambda: _send(client, FEED, "CreatePost", variables, world.alice_token),
        )

    assert answer == {
        "data": None,
        "errors": [
            {
                "message": "Service momentanément indisponible : réessayez dans un instant.",
                "locations": [{"line": 41, "column": 3}],
                "path": ["createPost"],
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ],
    }
    assert await Post.all().count() == 0
    assert "Traceback" not in one_worker.output()


async def test_a_token_whose_connection_drops_is_read_again(one_worker, world, database_url):
    async with httpx.AsyncClient(base_url=one_worker.url, timeout=60) as client:
        answer = await _drop_the_connection_under(
            database_url,
            lambda: _send(client, "{ viewer { id } }", None, {}, world.alice_token),
            table="auth_token",
        )

    assert answer == {"data": {"viewer": {"id": gid("Account", world.alice.id)}}}
    assert "database unavailable while authenticating" in one_worker.output()
    assert "Traceback" not in one_worker.output()
