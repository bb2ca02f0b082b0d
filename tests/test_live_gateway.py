"""Subscriptions through Hive Gateway: it forwards each to the subgraph that owns its field
(posts, comments, messages: community; notifications: city) over a websocket with the client's
token, fetches the other subgraph's fields of each event, and answers what the monolith would.
Both subgraphs share a Redis, so an event published by one reaches subscribers of the other
(a moderation decision, made in the community subgraph, is a notification of the city's)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from models.accounts import Role
from tests.live_clients import require_node_client
from tests.live_servers import redis_prefix, succeeds
from tests.live_support import Client, Closed, connect
from tests.processes import STARTUP_SECONDS, Process, app_env, uvicorn, wait_until_ready
from tests.support import contract_text, gid, make_staff
from tests.test_federation import _gateway, city_database_url, require_node_modules
from tests.test_live import ANNOUNCE, LOGOUT, MODERATE, post

__all__ = ["city_database_url"]  # a fixture of tests/test_federation.py, used here

NOTIFICATION = "subscription { notificationAdded { id kind subjectId reason } }"
POST_ADDED = next(
    f"subscription {part}"
    for part in contract_text("web/live.graphql").split("subscription ")
    if part.startswith("PostAdded(")
)


class Federation:
    def __init__(self, community: Process, city: Process, gateway: Process) -> None:
        self.community, self.city, self.gateway = community, city, gateway


@pytest.fixture(scope="module")
def federation(tmp_path_factory, database_url, city_database_url) -> Iterator[Federation]:
    require_node_modules()
    require_node_client()
    directory = tmp_path_factory.mktemp("live-gateway")
    started: list[Process] = []
    with redis_prefix() as redis:
        try:
            for name, url in (("community", database_url), ("city", city_database_url)):
                env = app_env(url, **redis.env())
                log = directory / f"{name}.log"
                started.append(uvicorn(name, f"server.subgraphs:{name}_app", env, log))
            started.append(_gateway(started[0], started[1], directory))
            deadline = time.monotonic() + STARTUP_SECONDS
            wait_until_ready(started[0], deadline=deadline)
            wait_until_ready(started[1], deadline=deadline)
            wait_until_ready(started[2], "/readiness", deadline)
            yield Federation(*started)
        finally:
            for process in started:
                process.stop()
    for process in started[:2]:
        assert "Traceback" not in process.output()


async def subscribed(url: str, token: str, op_id: str, **options) -> Client:
    client = await connect(url)
    assert await client.init(token) == {"type": "connection_ack"}
    await client.subscribe(op_id, **options)
    return client


async def listening(client: Client, op_id: str, happen: Callable[[], Awaitable[object]]) -> None:
    """The gateway opens its subscription to the subgraph a moment after the client's: until
    an event comes through, make one happen again."""
    for _ in range(100):
        await happen()
        with contextlib.suppress(TimeoutError):
            await client.read_until(lambda: bool(client.events(op_id)), within=0.2)
            return
    pytest.fail("the subscription never reached its subgraph")


async def event_about(client: Client, op_id: str, wanted: str, key: str = "id") -> dict:
    """The event whose root field's `key` is `wanted`, once it has come."""

    def found() -> list[dict]:
        return [e for e in client.events(op_id) if next(iter(e["data"].values()))[key] == wanted]

    await client.read_until(lambda: bool(found()))
    (event,) = found()
    return event


async def test_a_post_through_the_gateway_is_what_the_community_subgraph_sends(federation, world):
    centre = {"neighbourhoodId": gid("Neighbourhood", world.centre.id)}
    # The contract's PostAdded alone: the community subgraph has no `notificationAdded`.
    options = {"query": POST_ADDED, "variables": centre}
    through = await subscribed(federation.gateway.url, world.bob_token, "p", **options)
    await listening(through, "p", lambda: post(federation.gateway.url, world.alice_token))
    direct = await subscribed(federation.community.url, world.bob_token, "p", **options)

    post_id = await post(federation.gateway.url, world.alice_token, topicSlugs=["objets"])

    via_gateway = await event_about(through, "p", post_id)
    (from_subgraph,) = await direct.wait_for("p", 1)
    assert via_gateway == from_subgraph
    assert via_gateway["data"]["postAdded"]["id"] == post_id
    assert via_gateway["data"]["postAdded"]["author"]["displayName"] == "Alice Dupont"
    for client in (through, direct):
        await client.close()


async def test_a_moderation_decision_reaches_its_author_with_the_community_s_reason(
    federation, world, moderator_token
):
    staff = (await make_staff(Role.CITY_STAFF, "Communication", world.city))[1]
    target = {"scope": "STREETS", "streetIds": [gid("Street", world.centre_street.id)]}
    announcement = {"kind": "INFO", "title": "Essai", "body": "Un essai.", "target": target}
    bob = await subscribed(federation.gateway.url, world.bob_token, "n", query=NOTIFICATION)
    await listening(
        bob, "n", lambda: succeeds(federation.gateway.url, ANNOUNCE, {"i": announcement}, staff)
    )
    post_id = await post(federation.gateway.url, world.bob_token, "Annonce douteuse")
    hide = {"kind": "HIDE_CONTENT", "reason": "Hors charte.", "contentIds": [post_id]}

    actions = await succeeds(federation.gateway.url, MODERATE, {"i": hide}, moderator_token)

    decision = actions["actions"][0]["id"]
    event = await event_about(bob, "n", decision, key="subjectId")
    assert event["data"]["notificationAdded"] | {"id": None} == {
        "id": None,
        "kind": "MODERATION",
        "subjectId": decision,
        "reason": "Hors charte.",
    }
    await bob.close()


async def test_a_city_token_through_the_gateway_gets_metadata_and_no_content(federation, world):
    staff = (await make_staff(Role.CITY_STAFF, "Communication", world.city))[1]
    centre = {"neighbourhoodId": gid("Neighbourhood", world.centre.id)}
    city = await subscribed(
        federation.gateway.url, staff, "p", operation="PostAdded", variables=centre
    )
    await listening(city, "p", lambda: post(federation.gateway.url, world.alice_token))

    post_id = await post(federation.gateway.url, world.alice_token, topicSlugs=["objets"])

    added = (await event_about(city, "p", post_id))["data"]["postAdded"]
    assert added == {
        "id": post_id,
        "kind": "LOST_AND_FOUND",
        "title": None,
        "createdAt": added["createdAt"],
        "author": None,
        "topics": [{"slug": "objets", "label": "Objets"}],
    }
    await city.close()


async def test_the_gateway_refuses_a_connection_without_a_valid_token(federation, world):
    for token in ("qrt_unknown", None):
        client = await connect(federation.gateway.url)
        with pytest.raises(Closed) as closed:
            await client.init(token)
        assert (closed.value.code, closed.value.reason) == (4403, "Forbidden")


async def test_logging_out_closes_the_clients_connection_to_the_gateway_within_seconds(
    federation, world
):
    """The community subgraph closes the gateway's upstream connection (4403) when the token is
    revoked; the gateway closes its client's connection in turn, rather than after graphql-ws
    has retried upstream for half a minute."""
    centre = {"neighbourhoodId": gid("Neighbourhood", world.centre.id)}
    options = {"query": POST_ADDED, "variables": centre}
    client = await subscribed(federation.gateway.url, world.bob_token, "p", **options)
    await listening(client, "p", lambda: post(federation.gateway.url, world.alice_token))
    started = time.monotonic()

    assert await succeeds(federation.gateway.url, LOGOUT, {}, world.bob_token) == {"ok": True}

    closed = await client.closed(within=10)
    assert (closed.code, closed.reason) == (4403, "Forbidden")
    assert time.monotonic() - started < 5
