"""The `graphql-ws` package's own client (npm, driven by Node), as the React client uses it,
against uvicorn with 2 workers and Redis: it receives the contract's subscriptions, and when a
worker dies or the server restarts it reconnects and subscribes again by itself, missing only
what happened while it was away."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.accounts import Role
from tests.live_clients import NodeClient, require_node_client
from tests.live_servers import LIVE_SETTINGS, redis_prefix, succeeds, worker_holding, workers_of
from tests.processes import Process, app_env, free_port, uvicorn, wait_for_workers, wait_until_ready
from tests.support import RedisTarget, gid, make_staff
from tests.test_live import ANNOUNCE, COMMENT, MESSAGE, post


@pytest.fixture(scope="module")
def redis_target() -> Iterator[RedisTarget]:
    require_node_client()
    with redis_prefix() as target:
        yield target


class Servers:
    """uvicorn processes on one port, started and stopped at will."""

    def __init__(self, directory: Path, database_url: str, redis: RedisTarget) -> None:
        self.directory = directory
        self.env = app_env(database_url, **redis.env(), **LIVE_SETTINGS)
        self.port = free_port()
        self.current: Process | None = None
        self.started = 0

    def start(self) -> Process:
        self.started += 1
        log = self.directory / f"uvicorn-{self.started}.log"
        self.current = uvicorn(
            "live", "server.app:app_from_env", self.env, log, workers=2, port=self.port
        )
        wait_until_ready(self.current)
        wait_for_workers(self.current, 2)
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            assert "Traceback" not in self.current.output()
            self.current = None


@pytest.fixture(scope="module")
def servers(tmp_path_factory, database_url, redis_target) -> Iterator[Servers]:
    servers = Servers(tmp_path_factory.mktemp("live-node"), database_url, redis_target)
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


async def test_the_graphql_ws_client_receives_what_the_contract_subscribes_to(servers, world):
    url = servers.current.url
    centre = gid("Neighbourhood", world.centre.id)
    bob = await NodeClient.start(url, world.bob_token)
    await bob.subscribe("posts", "PostAdded", {"neighbourhoodId": centre})
    await bob.subscribe("messages", "MessageAdded")
    await bob.subscribe("notifications", "NotificationAdded")

    post_id = await post(url, world.alice_token)
    await bob.subscribe("comments", "CommentAdded", {"postId": post_id})
    await succeeds(
        url, COMMENT, {"i": {"postId": post_id, "body": "Je l'ai vu."}}, world.alice_token
    )
    message = {"recipientId": gid("Account", world.bob.id), "body": "Merci !"}
    await succeeds(url, MESSAGE, {"i": message}, world.alice_token)
    staff = (await make_staff(Role.CITY_STAFF, "Communication", world.city))[1]
    target = {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [centre]}
    await succeeds(
        url,
        ANNOUNCE,
        {"i": {"kind": "INFO", "title": "Fête", "body": "Samedi.", "target": target}},
        staff,
    )

    def data(op_id: str, field: str) -> dict:
        (event,) = bob.events(op_id)
        assert "errors" not in event, event
        return event["data"][field]

    await bob.until(lambda: all(bob.events(k) for k in ("comments", "messages", "notifications")))
    assert data("posts", "postAdded")["id"] == post_id
    assert data("comments", "commentAdded")["body"] == "Je l'ai vu."
    assert data("messages", "messageAdded")["message"]["body"] == "Merci !"
    assert data("messages", "messageAdded")["conversation"]["unreadCount"] == 1
    assert data("notifications", "notificationAdded")["kind"] == "ANNOUNCEMENT"
    await bob.stop()


async def _comes_back(client: NodeClient, url: str, token: str, before: int) -> float:
    """Seconds until the client is connected again, then checks a new post reaches it."""
    started = time.monotonic()
    await client.until(lambda: len(client.kind("connected")) > before, within=30)
    back = time.monotonic() - started
    await client.barrier()
    post_id = await post(url, token, "Après le retour")
    await client.until(
        lambda: post_id in [e["data"]["postAdded"]["id"] for e in client.events("posts")]
    )
    return back


async def test_a_worker_that_dies_loses_its_clients_only_until_they_reconnect(servers, world):
    url = servers.current.url
    centre = gid("Neighbourhood", world.centre.id)
    bob = await NodeClient.start(url, world.bob_token)
    await bob.subscribe("posts", "PostAdded", {"neighbourhoodId": centre})
    pids = workers_of(servers.current)
    own_port = next(p for p in _client_ports(bob) if worker_holding(p, pids))
    holder = worker_holding(own_port, pids)
    assert holder is not None

    os.kill(holder, signal.SIGKILL)

    await bob.until(lambda: len(bob.kind("closed")) >= 1)
    assert bob.kind("closed")[0]["code"] == 1006
    await _comes_back(bob, url, world.alice_token, before=1)
    await bob.stop()


async def test_after_a_restart_the_client_is_back_within_its_retry(servers, world):
    centre = gid("Neighbourhood", world.centre.id)
    bob = await NodeClient.start(servers.current.url, world.bob_token)
    await bob.subscribe("posts", "PostAdded", {"neighbourhoodId": centre})

    servers.stop()
    await bob.until(lambda: len(bob.kind("closed")) >= 1)
    servers.start()

    assert bob.kind("closed")[0]["code"] == 1012
    back = await _comes_back(bob, servers.current.url, world.alice_token, before=1)
    assert back < 30
    await bob.stop()


def _client_ports(client: NodeClient) -> list[int]:
    """The local ports of the Node client's TCP connections."""
    pid = client.process.pid
    inodes = {
        os.readlink(f"/proc/{pid}/fd/{fd}")
        for fd in os.listdir(f"/proc/{pid}/fd")
        if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    }
    ports = []
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if f"socket:[{fields[9]}]" in inodes:
                ports.append(int(fields[1].split(":")[1], 16))
    return ports
