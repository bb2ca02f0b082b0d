"""Trusted documents over the websocket: a `subscribe` may name a trusted document instead of
sending it, and under `require` a resident's subscription must."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from models.accounts import Role
from server.app import create_app
from server.settings import TrustedDocumentsMode
from tests.live_support import Client, connect_app
from tests.support import gid, make_staff
from tests.trusted_support import REQUIRED_MESSAGE, bearer, builtin

POST_ADDED_ID, _ = builtin("PostAdded")
CREATE_POST_ID, _ = builtin("CreatePost")
FREE = "subscription { notificationAdded { id } }"


@pytest.fixture
async def app(settings):
    app = create_app(
        replace(settings, trusted_documents=TrustedDocumentsMode.REQUIRE), manage_database=False
    )
    yield app
    await app.state.live.stop()


@pytest.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client:
        yield client


async def signed_in(app, token: str) -> Client:
    client = await connect_app(app)
    assert await client.init(token) == {"type": "connection_ack"}
    return client


async def test_a_resident_subscribes_by_document_id_and_not_by_text(app, http, world):
    client = await signed_in(app, world.bob_token)
    centre = gid("Neighbourhood", world.centre.id)
    await client.send(
        {"id": "free", "type": "subscribe", "payload": {"query": FREE}},
    )
    await client.send(
        {
            "id": "named",
            "type": "subscribe",
            "payload": {"documentId": POST_ADDED_ID, "variables": {"neighbourhoodId": centre}},
        }
    )
    await client.barrier()
    created = await http.post(
        "/graphql",
        json={
            "documentId": CREATE_POST_ID,
            "variables": {"input": {"kind": "DISCUSSION", "title": "Vélos", "body": "Piste ?"}},
        },
        headers=bearer(world.alice_token),
    )
    post_id = created.json()["data"]["createPost"]["post"]["id"]
    await app.state.live.hub.settled()
    events = await client.wait_for("named", 1)

    assert client.errors["free"] == [
        {"message": REQUIRED_MESSAGE, "extensions": {"code": "TRUSTED_DOCUMENT_REQUIRED"}}
    ]
    assert [e["data"]["postAdded"]["id"] for e in events] == [post_id]
    await client.close()


async def test_a_moderator_subscribes_with_any_text_and_an_unknown_id_is_refused(app, world):
    _, token = await make_staff(Role.MODERATOR, "Mona")
    client = await signed_in(app, token)
    await client.subscribe("free", query=FREE)
    await client.send(
        {"id": "unknown", "type": "subscribe", "payload": {"documentId": "sha256:" + "0" * 64}}
    )
    await client.barrier()

    assert "free" not in client.errors
    assert client.errors["unknown"][0]["extensions"] == {"code": "TRUSTED_DOCUMENT_NOT_FOUND"}
    await client.close()
