"""Writes are announced after they commit, never before; and a subscription holds no more
memory after a hundred events than after a few."""

from __future__ import annotations

import asyncio
import dataclasses
import gc

import httpx
import pytest
from graphql.execution.collect_fields import CollectedFields
from tortoise.transactions import in_transaction

from models.accounts import Account, VerificationLetter
from models.community import Post, PostKind
from resolvers import community, passwords
from resolvers.broadcast import Event, PostAdded, PublishedInTransactionError, Publisher
from resolvers.context import Context
from resolvers.ids import to_global_id
from resolvers.loaders import Loaders
from server.app import create_app
from server.settings import Settings
from tests.live_support import connect_app
from tests.support import Api, make_resident


class Recorder:
    """A sink that notes each event, and whether its post could be read when it came."""

    def __init__(self) -> None:
        self.events: list[tuple[Event, bool]] = []

    async def send(self, event: Event) -> None:
        assert isinstance(event, PostAdded)
        self.events.append((event, await Post.exists(id=event.post_id)))


def context(world, sink: Recorder) -> Context:
    viewer = world.alice
    return Context(viewer, None, Loaders(viewer), Settings(), publisher=Publisher(sink))


async def create(ctx: Context) -> Post:
    return await community.create_post(
        ctx,
        kind=PostKind.DISCUSSION,
        title="Réunion de quartier",
        body="Jeudi à 19 h.",
        topic_slugs=None,
        share_with_city=False,
    )


async def test_a_post_is_announced_once_its_transaction_has_committed(world):
    sink = Recorder()

    post = await create(context(world, sink))

    assert sink.events == [(PostAdded(post.id, world.centre.id), True)]


async def test_a_post_whose_transaction_rolls_back_is_never_announced(world):
    sink = Recorder()

    with pytest.raises(PublishedInTransactionError):
        async with in_transaction():
            await create(context(world, sink))

    assert sink.events == []
    assert await Post.all().count() == 0


async def test_a_subscription_holds_no_more_after_a_hundred_events_than_after_five(settings, world):
    # Alice posts more than her rate limit lets a resident: not what this test is about.
    unlimited = dataclasses.replace(settings, rate_limits=(("post.account", 1000, 600),))
    app = create_app(unlimited, manage_database=False)
    client = await connect_app(app)
    await client.init(world.bob_token)
    await client.subscribe(
        "p", "PostAdded", {"neighbourhoodId": to_global_id("Neighbourhood", world.centre.id)}
    )
    mutation = 'mutation { createPost(input: {kind: DISCUSSION, title: "Vu", body: "Rue Guyaux."}) { post { id } } }'

    async def post_and_count(times: int) -> int:
        for _ in range(times):
            answer = await api(mutation, token=world.alice_token)
            assert answer["data"]["createPost"]["post"], answer
        async with asyncio.timeout(10):
            await app.state.live.hub.settled()
        gc.collect()
        return sum(isinstance(o, CollectedFields) for o in gc.get_objects())

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        api = Api(http)
        after_five = await post_and_count(5)
        after_a_hundred = await post_and_count(95)

    await client.read_until(lambda: len(client.events("p")) == 100)
    assert after_a_hundred == after_five
    await client.close()
    await app.state.live.stop()


def websocket_gauge(scrape: str) -> float:
    (line,) = [line for line in scrape.splitlines() if line.startswith("quartier_websocket_")]
    return float(line.split()[-1])


async def test_the_metrics_count_the_open_websocket_connections(settings, world):
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

        async def open_now() -> float:
            return websocket_gauge((await http.get("/metrics")).text)

        before = await open_now()
        client = await connect_app(app)
        await client.init(world.bob_token)
        during = await open_now()
        await client.close()
        after = await open_now()

    assert (during - before, after - before) == (1, 0)
    await app.state.live.stop()


@pytest.fixture
async def live_app(settings):
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield app, Api(http)
    await app.state.live.stop()


CREATE = (
    'mutation { createPost(input: {kind: DISCUSSION, title: "Vu", body: "Là."}) { post { id } } }'
)


async def test_an_account_erased_through_the_api_has_its_connections_closed_at_once(
    live_app, world
):
    app, api = live_app
    await Account.filter(id=world.bob.id).update(
        password_hash=await passwords.hash_password("Terril-Bleu-2026!")
    )
    client = await connect_app(app)
    await client.init(world.bob_token)
    await client.subscribe("m", "MessageAdded")
    mutation = (
        "mutation($i: DeleteAccountInput!) { deleteAccount(input: $i) { userErrors { code } } }"
    )

    answer = await api(mutation, {"i": {"password": "Terril-Bleu-2026!"}}, world.bob_token)

    assert answer == {"data": {"deleteAccount": {"userErrors": []}}}
    # Sooner than the session check (every 5 s): the erasure announced it.
    closed = await client.closed(within=2)
    assert (closed.code, closed.reason) == (4403, "Forbidden: the account no longer exists")


async def test_a_resident_who_verifies_starts_receiving_their_neighbours_posts(live_app, world):
    app, api = live_app
    resident, token = await make_resident(world.centre_street, "Ugo Martin", verified=False)
    client = await connect_app(app)
    await client.init(token)
    centre = to_global_id("Neighbourhood", world.centre.id)
    await client.subscribe("p", "PostAdded", {"neighbourhoodId": centre})
    before = (await api(CREATE, token=world.alice_token))["data"]["createPost"]["post"]["id"]
    async with asyncio.timeout(10):
        await app.state.live.hub.settled()
    letter = await VerificationLetter.get(account_id=resident.id)
    verify = (
        "mutation($i: VerifyAddressInput!) { verifyAddress(input: $i) { userErrors { code } } }"
    )

    answer = await api(verify, {"i": {"code": letter.code}}, token)
    async with asyncio.timeout(10):
        await app.state.live.hub.settled()
    after = (await api(CREATE, token=world.alice_token))["data"]["createPost"]["post"]["id"]

    assert answer == {"data": {"verifyAddress": {"userErrors": []}}}
    events = await client.wait_for("p", 1)
    assert [e["data"]["postAdded"]["id"] for e in events] == [after]
    assert before != after
    await client.close()
