"""Live updates through a real `uvicorn --workers 2` and a real Redis, over real websockets, with
the contract's documents (web/live.graphql) unchanged: events reach subscribers on both
workers exactly once, sessions end when their token does, and the caps hold across workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from tortoise.timezone import now

from models.accounts import Account, AuthToken, Role
from resolvers.broadcast import SessionChanged, decode
from tests.live_servers import (
    graphql,
    live_server,
    local_port,
    redis_prefix,
    succeeds,
    worker_holding,
    workers_of,
)
from tests.live_support import Client, Closed, connect
from tests.processes import Process
from tests.support import gid, make_resident, make_staff
from tests.test_cli import quartier

CREATE = (
    "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } userErrors { code } } }"
)
COMMENT = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } userErrors { code } } }"
MESSAGE = (
    "mutation($i: SendMessageInput!) "
    "{ sendMessage(input: $i) { message { id } conversation { id } userErrors { code } } }"
)
ANNOUNCE = (
    "mutation($i: PublishAnnouncementInput!) "
    "{ publishAnnouncement(input: $i) { announcement { id } userErrors { code } } }"
)
MODERATE = (
    "mutation($i: ModerateInput!) { moderate(input: $i) { actions { id } userErrors { code } } }"
)
LOGOUT = "mutation { logout { ok } }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    log = tmp_path_factory.mktemp("live") / "uvicorn.log"
    with redis_prefix() as redis, live_server(log, database_url, redis) as process:
        yield process


def init(token: str) -> dict[str, object]:
    return {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}


async def post(url: str, token: str, title: str = "Chat perdu", **values: object) -> str:
    data = {"kind": "LOST_AND_FOUND", "title": title, "body": "Gris, rue Guyaux."} | values
    return (await succeeds(url, CREATE, {"i": data}, token))["post"]["id"]


async def subscribed(url: str, token: str, op_id: str, operation: str, **variables: str) -> Client:
    client = await connect(url)
    assert await client.init(token) == {"type": "connection_ack"}
    await client.subscribe(op_id, operation, variables)
    return client


async def test_each_post_reaches_every_subscriber_on_both_workers_exactly_once(server, world):
    centre = gid("Neighbourhood", world.centre.id)
    pids = workers_of(server)
    assert len(pids) == 2
    clients: list[Client] = []
    holders: set[int | None] = set()
    # Connections land on either worker as the kernel hands them out: open until both hold some.
    while len(holders) < 2 or len(clients) < 4:
        assert len(clients) < 40, "every connection went to the same worker"
        token = (await make_resident(world.centre_street, f"Voisin {len(clients)}"))[1]
        client = await subscribed(server.url, token, "p", "PostAdded", neighbourhoodId=centre)
        clients.append(client)
        holders.add(worker_holding(local_port(client), pids))
    assert holders == set(pids)

    posted = [await post(server.url, world.alice_token, f"Objet {i}") for i in range(3)]
    # A last post after the others: anything sent twice would have come before it.
    posted.append(await post(server.url, world.alice_token, "Dernier"))

    for client in clients:
        events = await client.wait_for("p", len(posted))
        assert [e["data"]["postAdded"]["id"] for e in events] == posted
        await client.close()


async def test_the_contract_documents_deliver_what_they_ask_for(server, world):
    centre = gid("Neighbourhood", world.centre.id)
    alice = {"id": gid("Resident", world.alice.id), "displayName": "Alice Dupont"}
    bob = await subscribed(
        server.url, world.bob_token, "posts", "PostAdded", neighbourhoodId=centre
    )
    await bob.subscribe("messages", "MessageAdded")
    await bob.subscribe("notifications", "NotificationAdded")
    sender = await subscribed(server.url, world.alice_token, "messages", "MessageAdded")

    post_id = await post(server.url, world.alice_token, topicSlugs=["entraide"])
    (event,) = await bob.wait_for("posts", 1)
    added = event["data"]["postAdded"]
    assert added == {
        "id": post_id,
        "kind": "LOST_AND_FOUND",
        "title": "Chat perdu",
        "createdAt": added["createdAt"],
        "author": alice,
        "topics": [{"slug": "entraide", "label": "Entraide"}],
    }
    await bob.subscribe("comments", "CommentAdded", {"postId": post_id})
    comment = await succeeds(
        server.url, COMMENT, {"i": {"postId": post_id, "body": "Vu hier soir."}}, world.alice_token
    )
    (event,) = await bob.wait_for("comments", 1)
    assert event["data"]["commentAdded"] | {"createdAt": None} == {
        "id": comment["comment"]["id"],
        "body": "Vu hier soir.",
        "createdAt": None,
        "author": alice,
    }

    values = {"recipientId": gid("Account", world.bob.id), "body": "C'est le mien !"}
    sent = await succeeds(server.url, MESSAGE, {"i": values}, world.alice_token)
    received = (await bob.wait_for("messages", 1))[0]["data"]["messageAdded"]
    echoed = (await sender.wait_for("messages", 1))[0]["data"]["messageAdded"]
    conversation = sent["conversation"]["id"]
    assert received["conversation"] == {"id": conversation, "unreadCount": 1}
    assert echoed["conversation"] == {"id": conversation, "unreadCount": 0}
    assert received["message"] == echoed["message"]
    assert received["message"]["body"] == "C'est le mien !"
    assert received["message"]["sender"] == alice

    staff = (await make_staff(Role.CITY_STAFF, "Communication", world.city))[1]
    target = {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [centre]}
    announcement = {"kind": "WORKS", "title": "Travaux", "body": "Lundi.", "target": target}
    published = await succeeds(server.url, ANNOUNCE, {"i": announcement}, staff)
    (event,) = await bob.wait_for("notifications", 1)
    notification = event["data"]["notificationAdded"]
    assert notification["kind"] == "ANNOUNCEMENT"
    assert notification["subjectId"] == published["announcement"]["id"]
    for client in (bob, sender):
        await client.close()


async def test_logging_out_closes_the_connection_at_once(server, world):
    client = await subscribed(server.url, world.bob_token, "m", "MessageAdded")
    started = time.monotonic()

    assert await graphql(server.url, LOGOUT, token=world.bob_token) == {
        "data": {"logout": {"ok": True}}
    }

    closed = await client.closed()
    assert (closed.code, closed.reason) == (4403, "Forbidden: the token was revoked or has expired")
    assert time.monotonic() - started < 3


async def test_a_token_that_ends_unannounced_is_caught_by_the_next_check(server, world):
    client = await subscribed(server.url, world.bob_token, "m", "MessageAdded")
    # Straight in the database: no event, only the check every second notices.
    await AuthToken.filter(account_id=world.bob.id).update(expires_at=now())

    closed = await client.closed(within=5)

    assert (closed.code, closed.reason) == (4403, "Forbidden: the token was revoked or has expired")


async def test_a_suspended_account_is_closed_and_refused(server, world, moderator_token):
    client = await subscribed(server.url, world.bob_token, "m", "MessageAdded")
    suspend = {
        "kind": "SUSPEND_ACCOUNT",
        "reason": "Propos injurieux.",
        "accountId": gid("Account", world.bob.id),
    }

    await succeeds(server.url, MODERATE, {"i": suspend}, moderator_token)

    closed = await client.closed()
    assert (closed.code, closed.reason) == (4403, "Forbidden: the account is suspended")
    again = await connect(server.url)
    await again.send(init(world.bob_token))
    closed = await again.closed()
    assert (closed.code, closed.reason) == (4403, "Forbidden: the account is suspended")


async def test_a_deleted_account_is_closed_within_the_check_interval(server, world):
    gone, token = await make_resident(world.centre_street, "Départ Prochain")
    client = await subscribed(server.url, token, "m", "MessageAdded")

    await Account.filter(id=gone.id).delete()

    closed = await client.closed(within=5)
    assert closed.code == 4403


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "Forbidden: connection_init carries no valid token"),
        (
            {"Authorization": "Bearer qrt_unknown"},
            "Forbidden: connection_init carries no valid token",
        ),
        (
            {"Authorization": "Basic dXNlcjpwYXNz"},
            "Forbidden: connection_init carries no valid token",
        ),
        ({"Authorization": 42}, "Forbidden: connection_init carries no valid token"),
    ],
    ids=["no token", "unknown token", "not a bearer", "not a string"],
)
async def test_a_connection_without_a_valid_token_is_refused(server, payload, reason):
    client = await connect(server.url)
    await client.send({"type": "connection_init", "payload": payload})

    closed = await client.closed()

    assert (closed.code, closed.reason) == (4403, reason)


async def test_a_revoked_token_is_refused_with_its_reason(server, world):
    await AuthToken.filter(account_id=world.bob.id).update(revoked_at=now())
    client = await connect(server.url)
    await client.send(init(world.bob_token))

    closed = await client.closed()

    assert (closed.code, closed.reason) == (4403, "Forbidden: the token was revoked or has expired")


async def test_an_account_holds_three_connections_across_workers_and_no_more(server, world):
    held = [await subscribed(server.url, world.bob_token, "m", "MessageAdded") for _ in range(3)]

    refused = await connect(server.url)
    await refused.send(init(world.bob_token))
    closed = await refused.closed()
    assert (closed.code, closed.reason) == (4429, "Too many connections for this account")

    await held.pop().close()
    # The closed connection's place is freed once its worker has seen it go.
    for _ in range(20):
        again = await connect(server.url)
        try:
            assert await again.init(world.bob_token) == {"type": "connection_ack"}
            break
        except Closed:
            await asyncio.sleep(0.1)
    else:
        pytest.fail("the closed connection's place was never freed")
    for client in [*held, again]:
        await client.close()


async def test_a_connection_holds_five_subscriptions_and_no_more(server, world):
    centre = gid("Neighbourhood", world.centre.id)
    client = await subscribed(server.url, world.bob_token, "0", "PostAdded", neighbourhoodId=centre)
    for op_id in "1234":
        await client.subscribe(op_id, "PostAdded", {"neighbourhoodId": centre})

    await client.subscribe("5", "MessageAdded")

    assert client.errors["5"] == [
        {
            "message": "Trop d'abonnements sur cette connexion.",
            "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
        }
    ]
    await client.send({"id": "0", "type": "complete"})
    await client.subscribe("6", "MessageAdded")
    assert "6" not in client.errors
    post_id = await post(server.url, world.alice_token)
    for op_id in "1234":
        assert [e["data"]["postAdded"]["id"] for e in await client.wait_for(op_id, 1)] == [post_id]
    assert client.events("0") == []
    await client.close()


async def test_the_server_pings_an_idle_connection(server, world):
    client = await subscribed(server.url, world.bob_token, "m", "MessageAdded")

    await client.read_until(lambda: client.pings >= 1, within=5)

    assert client.pings == 1
    await client.close()


async def test_the_command_line_announces_a_revoked_token_to_every_server(database_url, redis):
    account, _ = await make_staff(Role.CITY_INTEGRATION, "Tableau de bord")
    await AuthToken.filter(account_id=account.id).update(name="Tableau de bord")
    listener = Redis.from_url(redis.url).pubsub(ignore_subscribe_messages=True)
    await listener.subscribe(f"{redis.prefix}live")

    run = await quartier(database_url, "token", "revoke", "Tableau de bord", **redis.env())

    assert run.code == 0, run
    async with asyncio.timeout(5):
        # None for the subscription's own confirmation, which it reads first.
        while (message := await listener.get_message(timeout=1)) is None:
            pass
    assert decode(message["data"]) == SessionChanged(account.id)
    await listener.aclose()
