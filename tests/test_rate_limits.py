"""Rate limits: the policy, the client's address, and real servers counting in memory (one
worker, no Redis) and in Redis (two workers sharing the counters)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from models.community import Post
from resolvers.rate_limits import POLICY, Action, Limit, Per, limits
from server.client_address import ClientAddresses
from server.rate_counter import MemoryCounter
from server.settings import Settings, SettingsError
from tests import support
from tests.processes import Process, served

USER_ERRORS = "userErrors { field code message retryAfter }"
LOGIN = f"mutation($input: LoginInput!) {{ login(input: $input) {{ token {USER_ERRORS} }} }}"
CREATE_POST = f"mutation($input: CreatePostInput!) {{ createPost(input: $input) {{ post {{ id }} {USER_ERRORS} }} }}"


# --- the policy and its parts ------------------------------------------------------------


def test_every_throttled_action_counts_per_account_and_per_address():
    assert set(POLICY) == set(Action)
    assert all({limit.per for limit in POLICY[action]} == set(Per) for action in Action)
    assert limits(Action.LOGIN) == [
        Limit(Per.ACCOUNT, 20, 15 * 60),
        Limit(Per.ADDRESS, 100, 15 * 60),
    ]


def test_an_override_replaces_one_limit_of_an_action():
    assert limits(Action.LOGIN, (("login.address", 5, 60),)) == [
        Limit(Per.ACCOUNT, 20, 15 * 60),
        Limit(Per.ADDRESS, 5, 60),
    ]


def test_overrides_come_from_the_environment_and_are_checked(monkeypatch):
    monkeypatch.setenv("QUARTIER_RATE_LIMITS", "login.account=3/60, message.address=10/5")
    assert Settings.from_env().rate_limits == (("login.account", 3, 60), ("message.address", 10, 5))

    monkeypatch.setenv("QUARTIER_RATE_LIMITS", "logon.account=3/60")
    with pytest.raises(SettingsError, match=r"QUARTIER_RATE_LIMITS: 'logon\.account=3/60'"):
        Settings.from_env()


async def test_the_memory_counter_counts_in_fixed_windows():
    now = [1000.0]
    counter = MemoryCounter(clock=lambda: now[0])

    first = [await counter.hit("k", 60) for _ in range(3)]
    now[0] += 59.5
    late = await counter.hit("k", 60)
    now[0] += 1
    next_window = await counter.hit("k", 60)

    assert first == [(1, 60), (2, 60), (3, 60)]
    assert late == (4, 1)
    assert next_window == (1, 60)


def _request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        (
            "203.0.113.9",
            ["198.51.100.1"],
            "203.0.113.9",
        ),  # not a trusted proxy: its claim is ignored
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.0.0.7"], "198.51.100.1"),  # past our proxies
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # several headers
        ("10.0.0.2", ["198.51.100.1, pas-une-adresse"], "10.0.0.2"),
        ("10.0.0.2", ["2001:db8::1"], "2001:db8::1"),
        ("10.0.0.2", ["::ffff:198.51.100.1"], "198.51.100.1"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
    ],
)
def test_the_client_address_is_the_peer_or_what_trusted_proxies_forwarded(peer, forwarded, client):
    addresses = ClientAddresses(["10.0.0.0/8"])

    assert addresses.of(_request(peer, forwarded)) == client


# --- one worker, counters in memory ------------------------------------------------------


@pytest.fixture(scope="module")
def memory_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    settings = {
        "QUARTIER_RATE_LIMITS": "login.account=3/60,login.address=5/60,post.account=2/60",
        "QUARTIER_TRUSTED_PROXIES": "127.0.0.1",
    }
    with served(tmp_path_factory.mktemp("rate"), database_url, **settings) as process:
        yield process


def _login(
    client: httpx.Client, email: str, forwarded_for: str | None = None
) -> list[dict[str, Any]]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {
        "query": LOGIN,
        "variables": {"input": {"email": email, "password": "pas le bon mot de passe"}},
    }
    response = client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["login"]["userErrors"]


def _codes(errors: list[list[dict[str, Any]]]) -> list[str]:
    return [e[0]["code"] for e in errors]


def _assert_rate_limited(error: dict[str, Any], window: int) -> None:
    wait = error["retryAfter"]
    assert 0 < wait <= window
    delay = f"{wait} seconde(s)" if wait < 60 else f"{-(-wait // 60)} minute(s)"
    assert error == {
        "field": None,
        "code": "RATE_LIMITED",
        "message": f"Trop de tentatives : réessayez dans {delay}.",
        "retryAfter": wait,
    }


def test_sign_in_is_throttled_per_account_whatever_the_address(memory_server):
    with httpx.Client(base_url=memory_server.url, timeout=30) as client:
        answers = [
            _login(client, "cible@example.be", forwarded_for=f"198.51.100.{i}") for i in range(4)
        ]

    assert _codes(answers) == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED"]
    _assert_rate_limited(answers[3][0], 60)


def test_sign_in_is_throttled_per_address_whatever_the_account(memory_server):
    with httpx.Client(base_url=memory_server.url, timeout=30) as client:
        answers = [
            _login(client, f"essai{i}@example.be", forwarded_for="203.0.113.50") for i in range(6)
        ]
        elsewhere = _login(client, "essai0@example.be", forwarded_for="203.0.113.51")

    assert _codes(answers) == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    assert _codes([elsewhere]) == ["INVALID_CREDENTIALS"]


async def test_writing_is_throttled_per_account_and_writes_nothing_over_the_limit(
    memory_server, world
):
    values = {"kind": "DISCUSSION", "title": "Bonjour", "body": "Un mot."}
    body = {"query": CREATE_POST, "variables": {"input": values}}
    headers = {"Authorization": f"Bearer {world.alice_token}"}
    async with httpx.AsyncClient(base_url=memory_server.url, timeout=30) as client:
        answers = [
            (await client.post("/graphql", json=body, headers=headers)).json() for _ in range(3)
        ]

    errors = [a["data"]["createPost"]["userErrors"] for a in answers]
    assert errors[:2] == [[], []]
    _assert_rate_limited(errors[2][0], 60)
    assert answers[2]["data"]["createPost"]["post"] is None
    assert await Post.all().count() == 2


# --- two workers, counters in Redis ------------------------------------------------------

# The request log (one JSON line per request) names the worker that answered.
REQUEST_LINE = re.compile(r'"logger":"quartier\.request".*"path":"/graphql".*"pid":(\d+)')


VERIFY = (
    f"mutation($input: VerifyAddressInput!) {{ verifyAddress(input: $input) {{ {USER_ERRORS} }} }}"
)


async def test_two_workers_share_the_counters_in_redis(tmp_path, database_url, redis, world):
    # verifyAddress: counted per account, and cheap (sign-in would hash a password each time).
    settings = {**redis.env(), "QUARTIER_RATE_LIMITS": "verifyAddress.account=6/60"}
    with served(tmp_path, database_url, workers=2, **settings) as server:

        def attempt(token: str) -> list[dict[str, Any]]:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                body = {"query": VERIFY, "variables": {"input": {"code": "AAAA-AAAA"}}}
                headers = {"Authorization": f"Bearer {token}"}
                answer = client.post("/graphql", json=body, headers=headers).json()
                return answer["data"]["verifyAddress"]["userErrors"]

        # Ten attempts at once on fresh connections: the kernel hands them to either
        # worker. A round that one worker served alone proves nothing; it is run again.
        for round_ in range(5):
            _, token = await support.make_resident(
                world.maurage_street, f"Nouvelle {round_}", verified=False
            )
            seen = len(REQUEST_LINE.findall(server.output()))
            with ThreadPoolExecutor(max_workers=10) as pool:
                answers = list(pool.map(attempt, [token] * 10))
            workers = set(REQUEST_LINE.findall(server.output())[seen:])
            refused = [a[0]["code"] for a in answers].count("RATE_LIMITED")
            assert refused == 4, answers
            if len(workers) == 2:
                break

    assert len(workers) == 2, server.output()
