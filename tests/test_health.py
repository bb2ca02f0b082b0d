"""The orchestrator's probes: /healthz (the process answers) and /readyz (the database
answers, every migration is applied, Redis answers where configured)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tortoise import connections

from server.app import create_app
from server.db import APP_LABEL
from server.observability.health import disk_migrations
from server.settings import Environment, Settings
from tests.processes import STARTUP_SECONDS, Process, app_env, free_port, uvicorn, wait_until_ready

READY = {"status": "ready", "checks": {"database": "ok"}}


async def get(settings: Settings, path: str) -> httpx.Response:
    """One request, inside the app's lifespan (which closes the probe's Redis client)."""
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client,
    ):
        return await client.get(path)


async def test_healthz_answers_ok_without_credentials(settings):
    response = await get(settings, "/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_is_ready_when_the_database_answers_and_is_migrated(settings):
    response = await get(settings, "/readyz")

    assert (response.status_code, response.json()) == (200, READY)


async def test_readyz_answers_in_production_without_a_token(database_url):
    settings = Settings(
        database_url=database_url,
        environment=Environment.PRODUCTION,
        cors_origins=("https://quartier.lalouviere.be",),
    )

    response = await get(settings, "/readyz")

    assert (response.status_code, response.json()) == (200, READY)


async def test_readyz_names_a_migration_that_is_not_applied(settings):
    newest = max(disk_migrations())
    conn = connections.get("default")
    _, rows = await conn.execute_query(
        f"SELECT id, app, name, applied_at FROM tortoise_migrations WHERE name = '{newest}'"
    )
    await conn.execute_query(f"DELETE FROM tortoise_migrations WHERE name = '{newest}'")
    try:
        response = await get(settings, "/readyz")
    finally:
        placeholders = "$1, $2, $3, $4" if conn.capabilities.dialect == "postgres" else "?, ?, ?, ?"
        await conn.execute_query(
            f"INSERT INTO tortoise_migrations (id, app, name, applied_at) VALUES ({placeholders})",
            list(rows[0]),
        )

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": f"migrations not applied: {newest}"},
    }
    assert rows[0][1] == APP_LABEL


async def test_readyz_checks_redis_when_it_is_configured(database_url, redis):
    settings = Settings(database_url=database_url, redis_url=redis.url, redis_prefix=redis.prefix)

    response = await get(settings, "/readyz")

    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_readyz_is_unavailable_when_redis_does_not_answer_and_shows_no_url(database_url):
    url = f"redis://:motdepasse-redis@127.0.0.1:{free_port()}/0"
    settings = Settings(database_url=database_url, redis_url=url)

    response = await get(settings, "/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable (ConnectionError)"},
    }
    assert "motdepasse" not in response.text


# --- a server whose database is gone ---------------------------------------------------


@pytest.fixture(scope="module")
def lost_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """A real uvicorn whose SQLite file lies in a directory that does not exist."""
    directory = tmp_path_factory.mktemp("lost")
    url = f"sqlite://{directory / 'gone' / 'quartier.sqlite3'}"
    server = uvicorn("uvicorn", "server.app:app_from_env", app_env(url), directory / "log")
    try:
        wait_until_ready(server, deadline=time.monotonic() + STARTUP_SECONDS)
        yield server
    finally:
        server.stop()


def test_a_server_whose_database_is_gone_is_alive_but_not_ready(lost_database):
    with httpx.Client(base_url=lost_database.url, timeout=10) as client:
        alive = client.get("/healthz")
        ready = client.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable (OperationalError)"},
    }
    assert str(Path("gone")) not in ready.text
