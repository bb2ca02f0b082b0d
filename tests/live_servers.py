"""Real servers for the live tests: uvicorn's settings for them, their workers, a Redis prefix
of their own, and the API over HTTP."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from tests.live_support import TIMEOUT, Client
from tests.processes import Process, app_env, uvicorn, wait_for_workers, wait_until_ready
from tests.support import RedisTarget, missing_in_ci, redis_url

# Small limits and quick checks, so the tests reach each of them in a few steps.
LIVE_SETTINGS = {
    "QUARTIER_WS_SESSION_CHECK_SECONDS": "1",
    "QUARTIER_WS_KEEPALIVE_SECONDS": "2",
    "QUARTIER_WS_MAX_SUBSCRIPTIONS": "5",
    "QUARTIER_WS_MAX_CONNECTIONS": "3",
    "QUARTIER_WS_BUFFER": "4",
    # A module's server outlives its tests, which post and write more, from one address, than
    # a person does in ten minutes: the limits are not what these tests are about.
    "QUARTIER_RATE_LIMITS": ",".join(
        f"{action}.{per}=100000/600"
        for action in ("post", "comment", "message", "report")
        for per in ("account", "address")
    ),
}


@contextmanager
def redis_prefix() -> Iterator[RedisTarget]:
    """The real Redis under a key prefix of this module's own, its keys deleted after (the
    sync twin of the `redis` fixture, for module-scoped servers)."""
    from redis import Redis

    url = redis_url()
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except OSError as error:
        client.close()
        missing_in_ci(f"Redis at {url} does not answer: {error}")
    prefix = f"quartier-test:{secrets.token_hex(6)}:"
    try:
        yield RedisTarget(url, prefix)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def workers_of(server: Process) -> list[int]:
    """The pids of a `uvicorn --workers N` process's workers."""
    pid = server.process.pid
    children: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listed:
            children += [int(child) for child in listed.read().split()]
    # Beside the workers, multiprocessing's resource tracker.
    return [child for child in children if b"spawn_main" in _cmdline(child)]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def worker_holding(client_port: int, pids: list[int]) -> int | None:
    """Which of these processes holds the server side of the connection from `client_port`."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        with suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return pid
    return None


def local_port(client: Client) -> int:
    return client.socket.connection.local_address[1]


async def graphql(
    url: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    return response.json()


async def succeeds(
    url: str, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    result = await graphql(url, query, variables, token)
    assert "errors" not in result, result
    payload = next(iter(result["data"].values()))
    assert not payload.get("userErrors"), payload
    return payload


@contextmanager
def live_server(log: Path, database_url: str, redis: RedisTarget) -> Iterator[Process]:
    """`uvicorn server.app:app_from_env --workers 2` with LIVE_SETTINGS and this Redis;
    its log must hold no traceback once it stops, whatever the clients did."""
    env = app_env(database_url, **redis.env(), **LIVE_SETTINGS)
    process = uvicorn("live", "server.app:app_from_env", env, log, workers=2)
    try:
        wait_until_ready(process)
        wait_for_workers(process, 2)
        yield process
    finally:
        process.stop()
    assert "Traceback" not in process.output()
