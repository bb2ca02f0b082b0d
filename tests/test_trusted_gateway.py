"""Trusted documents in the production shape: Hive Gateway, the edge that sees the client's
document, admits it (ids for residents and anonymous callers, text for staff and city roles
too); the subgraphs leave what the gateway sends them to it and apply the rule to callers
that reach them directly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from models.accounts import Role
from tests import support
from tests.live_support import connect
from tests.processes import Process
from tests.support import gid
from tests.test_federation import require_node_modules
from tests.test_gateway_secret import SECRET, Federation, production_federation
from tests.trusted_support import builtin

REQUIRE = {"QUARTIER_TRUSTED_DOCUMENTS": "require"}
TOPICS_ID, TOPICS = builtin("Topics")
FREE = "{ viewer { id } }"
FREE_LIVE = "subscription { notificationAdded { id } }"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Federation]:
    require_node_modules()
    directory = tmp_path_factory.mktemp("trusted")
    with production_federation(directory, database_url, {}, **REQUIRE) as federation:
        yield federation


def _post(process: Process, body: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{process.url}/graphql", json=body, headers=headers, timeout=30)
    return response.json()


def _codes(answer: dict) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


def test_through_the_gateway_residents_and_anonymous_callers_send_only_ids(federation, world):
    for token in (world.alice_token, None):
        free = _post(federation.gateway, {"query": FREE}, token)
        assert _codes(free) == ["TRUSTED_DOCUMENT_REQUIRED"], free
    named = _post(federation.gateway, {"documentId": TOPICS_ID}, world.alice_token)
    hashed = _post(
        federation.gateway,
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": TOPICS_ID[7:]}}},
        world.alice_token,
    )
    assert "mobilite" in [t["slug"] for t in named["data"]["topics"]], named
    assert hashed == named
    unknown = _post(federation.gateway, {"documentId": "sha256:" + "0" * 64}, world.alice_token)
    assert unknown["errors"][0]["message"] == "PersistedQueryNotFound"
    assert _codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_through_the_gateway_staff_and_city_roles_send_text(federation, world):
    for role in (Role.MODERATOR, Role.CITY_INTEGRATION):
        _, token = await support.make_staff(role, role.value, world.city)
        answer = _post(federation.gateway, {"query": FREE}, token)
        assert "errors" not in answer, answer
        assert answer["data"]["viewer"]["id"]


def test_a_subgraph_applies_the_rule_to_callers_that_reach_it_directly(federation, world):
    direct = _post(federation.community, {"query": FREE}, world.alice_token)
    named = _post(federation.community, {"documentId": TOPICS_ID}, world.alice_token)
    assert _codes(direct) == ["TRUSTED_DOCUMENT_REQUIRED"]
    assert "mobilite" in [t["slug"] for t in named["data"]["topics"]]


def test_only_the_gateway_reads_a_trusted_documents_text(federation):
    url = f"{federation.community.url}/trusted-documents/{TOPICS_ID}"
    refused = httpx.get(url, timeout=10)
    read = httpx.get(url, headers={"X-Quartier-Gateway-Secret": SECRET}, timeout=10)
    unknown = httpx.get(
        url.replace(TOPICS_ID, "sha256:" + "0" * 64),
        headers={"X-Quartier-Gateway-Secret": SECRET},
        timeout=10,
    )
    assert refused.status_code == 403
    assert (read.status_code, read.text) == (200, TOPICS)
    assert unknown.status_code == 404


async def test_through_the_gateway_a_resident_subscribes_by_document_id(federation, world):
    post_added, _ = builtin("PostAdded")
    create_post, _ = builtin("CreatePost")
    client = await connect(federation.gateway.url)
    assert await client.init(world.bob_token) == {"type": "connection_ack"}
    centre = gid("Neighbourhood", world.centre.id)
    # graphql-ws wants a `query` string: empty, the id names the document.
    await client.send(
        {
            "id": "named",
            "type": "subscribe",
            "payload": {
                "query": "",
                "documentId": post_added,
                "variables": {"neighbourhoodId": centre},
            },
        }
    )
    await client.barrier()
    # The gateway answers the ping before its own subscription to the subgraph listens.
    await asyncio.sleep(1)
    created = _post(
        federation.gateway,
        {
            "documentId": create_post,
            "variables": {"input": {"kind": "DISCUSSION", "title": "Vélos", "body": "Piste ?"}},
        },
        world.alice_token,
    )
    post_id = created["data"]["createPost"]["post"]["id"]
    events = await client.wait_for("named", 1)

    assert [e["data"]["postAdded"]["id"] for e in events] == [post_id]
    # Text is refused at the edge; Hive Gateway's websocket server closes the connection,
    # saying why.
    await client.send({"id": "free", "type": "subscribe", "payload": {"query": FREE_LIVE}})
    closed = await client.closed()
    assert (closed.code, closed.reason) == (
        4500,
        "This server runs only its clients' trusted documents: send the `documentId` of a "
        "known document.",
    )
