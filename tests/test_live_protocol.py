"""What a websocket client can get wrong, and what it cannot make the server do: every bad
message gets the protocol's answer (an `error` message or a close code), a client that stops
reading is cut off, and the other connections carry on. Against a real uvicorn (2 workers) and
Redis; the server's log holds no traceback at the end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from models.accounts import Account
from resolvers.broadcast import PostAdded
from resolvers.ids import parse_global_id
from tests.live_clients import StalledClient
from tests.live_servers import live_server, redis_prefix, succeeds
from tests.live_support import Client, Closed, connect
from tests.processes import Process
from tests.support import RedisTarget, contract_text, gid, make_resident, redis_url
from tests.test_live import CREATE, MODERATE, post, subscribed

MB = 1024 * 1024


@pytest.fixture(scope="module")
def redis_target() -> Iterator[RedisTarget]:
    with redis_prefix() as target:
        yield target


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_target: RedisTarget
) -> Iterator[Process]:
    log = tmp_path_factory.mktemp("live-protocol") / "uvicorn.log"
    with live_server(log, database_url, redis_target) as process:
        yield process


@pytest.fixture
async def bystander(server, world):
    """Bob, subscribed to his neighbourhood's posts the whole test long."""
    centre = gid("Neighbourhood", world.centre.id)
    client = await subscribed(server.url, world.bob_token, "p", "PostAdded", neighbourhoodId=centre)
    yield client
    await client.close()


async def still_served(server, world, bystander: Client) -> None:
    post_id = await post(server.url, world.alice_token, "Toujours là ?")

    def arrived() -> bool:
        return post_id in [e["data"]["postAdded"]["id"] for e in bystander.events("p")]

    await bystander.read_until(arrived)


def init(token: str) -> dict[str, object]:
    return {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}


async def raw(server, *messages: object, token: str | None = None) -> Client:
    """A client that sends these (a str as is, anything else as JSON), after an
    acknowledged connection_init when a token is given."""
    client = await connect(server.url, max_size=2 * MB)
    if token:
        assert await client.init(token) == {"type": "connection_ack"}
    for message in messages:
        text = message if isinstance(message, str | bytes) else json.dumps(message)
        await client.socket.connection.send(text)
    return client


SUBSCRIBE = {
    "id": "s",
    "type": "subscribe",
    "payload": {"query": "subscription { messageAdded { message { id } } }"},
}


@pytest.mark.parametrize(
    ("messages", "code", "reason"),
    [
        ([SUBSCRIBE], 4401, "Unauthorized"),
        (["{not json"], 4400, "WebSocket message must be valid JSON"),
        ([b"\x00\x01"], 4400, "WebSocket message type must be text"),
        (["[1, 2]"], 4400, "Invalid message: an object with a string `type` is expected"),
        ([{"type": 7}], 4400, "Invalid message: an object with a string `type` is expected"),
        ([{"type": "connection_init", "payload": "token"}], 4400, "Invalid payload"),
        (["[" * 30000 + "]" * 30000], 4400, "WebSocket message must be valid JSON"),
        (["x" * MB], 1009, "Message too big"),
    ],
    ids=[
        "subscribe before connection_init",
        "not JSON",
        "binary",
        "a list",
        "a numeric type",
        "a payload that is not an object",
        "JSON too deep to parse",
        "1 MiB",
    ],
)
async def test_a_bad_first_message_closes_only_its_connection(
    server, world, bystander, messages, code, reason
):
    client = await raw(server, *messages)

    closed = await client.closed()

    assert (closed.code, closed.reason) == (code, reason)
    await still_served(server, world, bystander)


@pytest.mark.parametrize(
    ("message", "code", "reason"),
    [
        ({"type": "subscribe!"}, 4400, "Unknown message type: subscribe!"),
        ({"type": "connection_init"}, 4429, "Too many initialisation requests"),
        ({"type": "subscribe", "id": 3, "payload": {}}, 4400, "Invalid message: `id` must be a non-empty string"),
        ({"type": "subscribe", "id": "x", "payload": {"query": 3}}, 4400, "Invalid subscribe payload: `query` must be a string"),
        ({"type": "subscribe", "id": "x", "payload": {"query": "{ viewer { id } }", "variables": []}}, 4400, "Invalid subscribe payload: bad `variables`"),
        ({"type": "complete", "id": ""}, 4400, "Invalid message: `id` must be a non-empty string"),
        ({"type": "subscribe", "id": "x", "payload": {"query": "subscription {"}}, 4400, "Syntax Error: Expected Name, found <EOF>."),
    ],
    ids=[
        "an unknown type",
        "a second connection_init",
        "a numeric id",
        "a query that is not a string",
        "variables that are not an object",
        "an empty id",
        "a document that does not parse",
    ],
)  # fmt: skip
async def test_a_bad_message_after_the_handshake_closes_only_its_connection(
    server, world, bystander, message, code, reason
):
    client = await raw(server, message, token=world.carla_token)

    closed = await client.closed()

    assert (closed.code, closed.reason) == (code, reason)
    await still_served(server, world, bystander)


async def test_a_subscription_id_in_use_closes_the_connection(server, world, bystander):
    client = await raw(server, SUBSCRIBE, SUBSCRIBE, token=world.carla_token)

    closed = await client.closed()

    assert (closed.code, closed.reason) == (4409, "Subscriber for s already exists")
    await still_served(server, world, bystander)


@pytest.mark.parametrize(
    ("operation", "variables", "code", "message"),
    [
        ("PostAdded", {"neighbourhoodId": "pas-un-id"}, "NOT_FOUND", "Quartier introuvable."),
        ("PostAdded", {"neighbourhoodId": "centre"}, "NOT_FOUND", "Quartier introuvable."),
        ("CommentAdded", {"postId": "UG9zdDo5OTk5OTk5"}, "NOT_FOUND", "Publication introuvable."),
        ("CommentAdded", {"postId": "carlas_post"}, "NOT_FOUND", "Publication introuvable."),
        ("PostAdded", {"neighbourhoodId": 12}, "NOT_FOUND", "Quartier introuvable."),
        ("PostAdded", {}, "BAD_USER_INPUT", None),
    ],
    ids=[
        "a malformed id",
        "a neighbourhood out of reach",
        "a post that does not exist",
        "another neighbourhood's post",
        "a number for an id",
        "a missing variable",
    ],
)
async def test_a_subscription_to_something_out_of_reach_is_an_error_message(
    server, world, bystander, operation, variables, code, message
):
    ids = {
        "centre": gid("Neighbourhood", world.centre.id),
        "carlas_post": await post(server.url, world.alice_token, "Dans le centre"),
    }
    variables = {key: ids.get(value, value) for key, value in variables.items()}
    client = await connect(server.url)
    assert await client.init(world.carla_token) == {"type": "connection_ack"}

    await client.subscribe("s", operation, variables)

    (error,) = client.errors["s"]
    assert error.get("extensions", {}).get("code") == code
    if message:
        assert error["message"] == message
    assert "s" not in client.received
    # The connection stays, and its other subscriptions work.
    await client.subscribe("t", "MessageAdded")
    assert "t" not in client.errors
    await client.close()
    await still_served(server, world, bystander)


async def read_until(client: StalledClient, wanted: str) -> None:
    async with asyncio.timeout(10):
        while not any(json.loads(text)["type"] == wanted for text in await client.read()):
            pass


async def read_to_the_end(client: StalledClient) -> tuple[Closed, int]:
    received = 0
    async with asyncio.timeout(30):
        while True:
            try:
                received += len(await client.read())
            except Closed as closed:
                return closed, received


async def test_a_client_that_stops_reading_is_cut_off_and_the_others_carry_on(
    server, world, bystander
):
    slow = await StalledClient.open(server.url)
    await slow.send(init(world.carla_token))
    await read_until(slow, "connection_ack")
    document = "subscription($id: ID!) { postAdded(neighbourhoodId: $id) { id body } }"
    variables = {"id": gid("Neighbourhood", world.haine.id)}
    for op_id in "12345":
        payload = {"query": document, "variables": variables}
        await slow.send({"id": op_id, "type": "subscribe", "payload": payload})
    await slow.send({"type": "ping"})
    await read_until(slow, "pong")

    # Carla stops reading; a neighbour of hers posts long messages: 60 kB of JSON each (a "€"
    # is written "\u20ac"), 300 kB for her five subscriptions: the buffers between her and
    # the server are full long before the thirtieth.
    neighbour = (await make_resident(world.haine_street, "Dan Voisin"))[1]
    values = {"kind": "DISCUSSION", "title": "Long", "body": "€" * 10_000}
    for _ in range(30):
        await succeeds(server.url, CREATE, {"i": values}, neighbour)

    # What was buffered for her arrives, then the end: the close frame when it fits in, or
    # none when it cannot be written any more.
    closed, received = await read_to_the_end(slow)
    await slow.close()
    assert closed.code in (1013, None)
    assert received < 150
    await still_served(server, world, bystander)


async def test_an_event_for_a_post_hidden_meanwhile_reaches_only_its_author_and_moderators(
    server, world, moderator_token, redis_target
):
    centre = gid("Neighbourhood", world.centre.id)
    post_id = await post(server.url, world.alice_token, "Bientôt masqué")
    hide = {"kind": "HIDE_CONTENT", "reason": "Hors charte.", "contentIds": [post_id]}
    await succeeds(server.url, MODERATE, {"i": hide}, moderator_token)
    clients = {
        name: await subscribed(server.url, token, "p", "PostAdded", neighbourhoodId=centre)
        for name, token in (
            ("alice", world.alice_token),
            ("bob", world.bob_token),
            ("moderator", moderator_token),
        )
    }

    # The event of a post hidden between its commit and its delivery.
    redis = Redis.from_url(redis_url())
    pk = parse_global_id(post_id)[1]
    await redis.publish(f"{redis_target.prefix}live", PostAdded(pk, world.centre.id).encode())
    await redis.aclose()
    marker = await post(server.url, world.alice_token, "Après")

    received = {}
    for name, client in clients.items():
        await client.wait_for("p", 2 if name != "bob" else 1)
        received[name] = [e["data"]["postAdded"]["id"] for e in client.events("p")]
        await client.close()
    assert received == {
        "alice": [post_id, marker],
        "bob": [marker],
        "moderator": [post_id, marker],
    }


async def test_a_page_of_another_origin_may_not_open_a_websocket(server):
    address = server.url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(
            address, subprotocols=["graphql-transport-ws"], origin="https://evil.example"
        )
    assert refused.value.response.status_code == 403

    local = await connect(server.url, origin="http://localhost:5173")
    await local.close()


async def test_a_subscription_over_plain_http_is_refused(server, world):
    body = {"query": contract_text("web/live.graphql"), "operationName": "MessageAdded"}
    headers = {"Authorization": f"Bearer {world.bob_token}"}
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post("/graphql", json=body, headers=headers)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "subscriptions are not allowed when using POST",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


async def test_errors_come_in_the_account_s_language(server, world):
    await Account.filter(id=world.carla.id).update(language="en")
    client = await connect(server.url)
    assert await client.init(world.carla_token) == {"type": "connection_ack"}

    await client.subscribe("s", "PostAdded", {"neighbourhoodId": "pas-un-id"})

    assert [e["message"] for e in client.errors["s"]] == ["Neighbourhood not found."]
    await client.close()
