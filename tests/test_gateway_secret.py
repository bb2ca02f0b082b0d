"""Production: only the gateway, which proves itself with the shared secret, may call a
subgraph's `_entities` and `_service`. Both subgraphs and Hive Gateway run in production
mode; the gateway still answers what crosses the two subgraphs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from models.accounts import Role
from schema.subgraphs import Subgraph
from server.app import create_app
from server.settings import Environment, Settings, SettingsError
from tests import support
from tests.processes import STARTUP_SECONDS, Process, wait_until_ready
from tests.support import gid
from tests.test_federation import GATEWAY_DIR, _gateway, _subgraph, require_node_modules

SECRET = "9c1f4e2b-secret-de-la-passerelle"
ORIGIN = "https://quartier.lalouviere.be"
PRODUCTION = {
    "QUARTIER_ENV": "production",
    "QUARTIER_CORS_ORIGINS": ORIGIN,
    "QUARTIER_GATEWAY_SECRET": SECRET,
}


@dataclass
class Federation:
    community: Process
    city: Process
    gateway: Process


@contextmanager
def production_federation(
    directory: Path, database_url: str, community: dict[str, str], **extra: str
) -> Iterator[Federation]:
    """Both subgraphs and the gateway in production, with `extra` settings for all three and
    `community`'s for the community subgraph."""
    started: list[Process] = []
    try:
        started.append(
            _subgraph("community", database_url, directory, **PRODUCTION, **community, **extra)
        )
        started.append(_subgraph("city", database_url, directory, **PRODUCTION, **extra))
        settings = {"QUARTIER_ENV": "production", "QUARTIER_GATEWAY_SECRET": SECRET, **extra}
        started.append(_gateway(started[0], started[1], directory, **settings))
        deadline = time.monotonic() + STARTUP_SECONDS
        wait_until_ready(started[0], deadline=deadline)
        wait_until_ready(started[1], deadline=deadline)
        wait_until_ready(started[2], "/readiness", deadline)
        yield Federation(*started)
    finally:
        for process in started:
            process.stop()


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Federation]:
    require_node_modules()
    # Trusts the gateway's X-Forwarded-For; three sign-ins per address, to test it.
    community = {
        "QUARTIER_TRUSTED_PROXIES": "127.0.0.1",
        "QUARTIER_RATE_LIMITS": "login.address=3/60",
    }
    directory = tmp_path_factory.mktemp("secret")
    with production_federation(directory, database_url, community) as federation:
        yield federation


def _post(url: str, query: str, token: str | None = None, secret: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if secret:
        headers["X-Quartier-Gateway-Secret"] = secret
    response = httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30)
    return response.json()


def test_the_gateway_joins_both_subgraphs_in_production(federation, world):
    # The viewer comes from the community subgraph, their inbox from the city's `_entities`.
    query = "{ viewer { id displayName unreadNotificationCount } }"

    answer = _post(federation.gateway.url, query, world.alice_token)

    assert answer == {
        "data": {
            "viewer": {
                "id": gid("Account", world.alice.id),
                "displayName": "Alice Dupont",
                "unreadNotificationCount": 0,
            }
        }
    }


def test_entities_answer_only_the_gateway(federation, world):
    query = (
        f'{{ _entities(representations: [{{__typename: "Account", id: "{gid("Account", world.alice.id)}"}}])'
        " { ... on Account { id } } }"
    )

    client = _post(federation.city.url, query, world.alice_token)
    forged = _post(federation.city.url, query, world.alice_token, secret="pas-le-secret")
    gateway = _post(federation.city.url, query, world.alice_token, secret=SECRET)

    assert client == {
        "errors": [
            {
                "message": "`_entities` est réservé à la passerelle de fédération.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "FORBIDDEN"},
            }
        ]
    }
    assert forged == client
    assert gateway == {"data": {"_entities": [{"id": gid("Account", world.alice.id)}]}}


def test_the_gateway_passes_the_client_address_on_to_the_rate_limits(federation):
    def login(address: str) -> str:
        response = httpx.post(
            f"{federation.gateway.url}/graphql",
            json={
                "query": "mutation($i: LoginInput!) { login(input: $i) { userErrors { code } } }",
                "variables": {"i": {"email": f"x{address}@example.be", "password": "mauvais"}},
            },
            headers={"X-Forwarded-For": address},
            timeout=30,
        )
        return response.json()["data"]["login"]["userErrors"][0]["code"]

    # Seen from the subgraph, every request comes from the gateway: were that counted, the
    # fifth sign-in would be refused too.
    codes = [login("198.51.100.7") for _ in range(4)] + [login("198.51.100.8")]

    assert codes == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED", "INVALID_CREDENTIALS"]


async def test_a_subgraph_prints_its_sdl_for_the_gateway_alone_even_to_staff(federation, world):
    _, moderator = await support.make_staff(Role.MODERATOR, "Mona Modération")
    query = "{ _service { sdl } }"

    staff = _post(federation.community.url, query, moderator)
    gateway = _post(federation.community.url, query, secret=SECRET)

    assert staff["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the "
        "field '_service'."
    )
    assert "type Query" in gateway["data"]["_service"]["sdl"]


def test_a_subgraph_will_not_start_in_production_without_the_secret(database_url):
    settings = Settings(
        database_url=database_url, environment=Environment.PRODUCTION, cors_origins=(ORIGIN,)
    )

    with pytest.raises(SettingsError, match="QUARTIER_GATEWAY_SECRET must be set in production"):
        create_app(settings, manage_database=False, subgraph=Subgraph.CITY)


def test_the_gateway_will_not_start_in_production_without_the_secret():
    require_node_modules()
    run = subprocess.run(
        ["node", "serve.mjs"],
        cwd=GATEWAY_DIR,
        env={"PATH": "/usr/bin:/usr/local/bin:/bin", "QUARTIER_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 1
    assert "QUARTIER_GATEWAY_SECRET must be set in production" in run.stderr


def test_the_secret_must_be_long_printable_ascii(monkeypatch):
    monkeypatch.setenv("QUARTIER_GATEWAY_SECRET", "court")

    with pytest.raises(SettingsError, match="at least 16 printable ASCII characters"):
        Settings.from_env()
