"""Fixtures: a fresh database per run (SQLite, or PostgreSQL when QUARTIER_TEST_POSTGRES_URL
names an admin connection), emptied before each test, and the app over httpx."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from tortoise import Tortoise

from models.accounts import Account, Role
from models.geography import City, Neighbourhood, Street
from server import db
from server.app import create_app
from server.media.settings import MediaSettings
from server.settings import Settings
from tests import support
from tests.smtp import SmtpServer
from tests.support import Api


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The closing lines say what was skipped for lack of what (PostgreSQL, Node packages,
    Chromium, Redis): a green run on a bare machine is not a full one."""
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reasons.append(longrepr[2] if isinstance(longrepr, tuple) else str(longrepr))
    line = support.skip_summary(reasons)
    if line is not None:
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    admin = support.postgres_admin_url()
    if admin:
        url = await support.create_postgres_database(admin)
    else:
        directory = tempfile.mkdtemp(prefix="quartier-test-")
        url = f"sqlite://{os.path.join(directory, 'test.sqlite3')}"
    await db.migrate(url)
    await Tortoise.close_connections()
    await db.start(url)
    try:
        yield url
    finally:
        await db.stop()
        if admin:
            await support.drop_postgres_database(admin, url)


@pytest.fixture(autouse=True)
async def clean_database(database_url: str) -> None:
    await support.truncate_all()


@pytest.fixture
async def redis() -> AsyncIterator[support.RedisTarget]:
    """The real Redis (QUARTIER_TEST_REDIS_URL, default 127.0.0.1:6379) under a key prefix of
    this test's own, so parallel runs never see each other's keys; its keys are deleted after."""
    from redis.asyncio import Redis

    url = support.redis_url()
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    except OSError as error:
        await client.aclose()
        support.missing_in_ci(f"Redis at {url} does not answer: {error}")
    prefix = f"quartier-test:{secrets.token_hex(6)}:"
    try:
        yield support.RedisTarget(url, prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture(scope="session")
def media_directory(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the in-process app keeps photos during the run."""
    return str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def settings(database_url: str, media_directory: str) -> Settings:
    return Settings(database_url=database_url, media=MediaSettings(directory=media_directory))


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client:
        yield Api(client)


@dataclass
class World:
    """One city with two active neighbourhoods and one inactive, and residents in them."""

    city: City
    centre: Neighbourhood
    haine: Neighbourhood
    maurage: Neighbourhood
    centre_street: Street
    haine_street: Street
    maurage_street: Street
    alice: Account
    alice_token: str
    bob: Account
    bob_token: str
    carla: Account
    carla_token: str


@pytest.fixture
async def world() -> World:
    city = await support.make_city()
    centre = await support.make_neighbourhood(city, "La Louvière centre")
    haine = await support.make_neighbourhood(city, "Haine-Saint-Paul")
    maurage = await support.make_neighbourhood(city, "Maurage", active=False, threshold=3)
    centre_street = await support.make_street(centre, "Rue Sylvain Guyaux")
    haine_street = await support.make_street(haine, "Rue de la Déportation")
    maurage_street = await support.make_street(maurage, "Rue de l'Église", "7110")
    alice, alice_token = await support.make_resident(centre_street, "Alice Dupont")
    bob, bob_token = await support.make_resident(centre_street, "Bob Lambert")
    carla, carla_token = await support.make_resident(haine_street, "Carla Rossi")
    return World(
        city,
        centre,
        haine,
        maurage,
        centre_street,
        haine_street,
        maurage_street,
        alice,
        alice_token,
        bob,
        bob_token,
        carla,
        carla_token,
    )


@pytest.fixture
async def moderator_token(world: World) -> str:
    return (await support.make_staff(Role.MODERATOR, "Mona Modération"))[1]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) for a test module; its sink holds what it received."""
    with SmtpServer() as server:
        yield server
