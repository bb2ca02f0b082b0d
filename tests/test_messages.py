"""Private conversations between neighbours."""

from __future__ import annotations

from models.messaging import Conversation, Message
from tests.support import gid, make_resident, run_contract


async def send(api, token, recipient, body="Bonjour voisin !", about=None):
    values = {"recipientId": recipient, "body": body} | ({"aboutPostId": about} if about else {})
    result = await run_contract(
        api, "web/messages.graphql", "SendMessage", {"input": values}, token
    )
    return result["data"]["sendMessage"]


async def conversations(api, token):
    result = await run_contract(api, "web/messages.graphql", "Conversations", token=token)
    return [e["node"] for e in result["data"]["viewer"]["conversations"]["edges"]]


async def test_neighbours_write_in_one_conversation_and_unread_counts_follow(api, world):
    bob = gid("Resident", world.bob.id)
    alice = gid("Resident", world.alice.id)

    first = await send(api, world.alice_token, bob)
    second = await send(api, world.alice_token, bob, "Tu as une échelle ?")
    reply = await send(api, world.bob_token, alice, "Oui !")

    assert first["userErrors"] == []
    assert first["message"]["sender"] == {"id": alice, "displayName": "Alice Dupont"}
    assert first["conversation"] == second["conversation"] == reply["conversation"]
    [bobs] = await conversations(api, world.bob_token)
    assert bobs["unreadCount"] == 2
    assert bobs["lastMessage"]["body"] == "Oui !"
    assert [p["displayName"] for p in bobs["participants"]] == ["Alice Dupont", "Bob Lambert"]
    [alices] = await conversations(api, world.alice_token)
    assert alices["unreadCount"] == 1


async def test_messages_page_newest_first(api, world):
    bob = gid("Account", world.bob.id)
    for i in range(5):
        conversation = (await send(api, world.alice_token, bob, f"Message {i}"))["conversation"][
            "id"
        ]

    first = await run_contract(
        api,
        "web/messages.graphql",
        "ConversationMessages",
        {"id": conversation, "first": 3},
        world.bob_token,
    )
    page = first["data"]["conversation"]["messages"]
    rest = await run_contract(
        api,
        "web/messages.graphql",
        "ConversationMessages",
        {"id": conversation, "first": 3, "after": page["pageInfo"]["endCursor"]},
        world.bob_token,
    )

    assert [e["node"]["body"] for e in page["edges"]] == ["Message 4", "Message 3", "Message 2"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["body"] for e in rest["data"]["conversation"]["messages"]["edges"]] == [
        "Message 1",
        "Message 0",
    ]


async def test_marking_a_conversation_read_resets_its_unread_count(api, world):
    conversation = (await send(api, world.alice_token, gid("Account", world.bob.id)))[
        "conversation"
    ]["id"]

    result = await api(
        """mutation($input: MarkConversationReadInput!) {
             markConversationRead(input: $input) { conversation { id unreadCount } userErrors { code } } }""",
        {"input": {"conversationId": conversation}},
        world.bob_token,
    )

    assert result["data"]["markConversationRead"] == {
        "conversation": {"id": conversation, "unreadCount": 0},
        "userErrors": [],
    }


async def test_a_conversation_is_for_its_two_participants_only(api, world):
    conversation = (await send(api, world.alice_token, gid("Account", world.bob.id)))[
        "conversation"
    ]["id"]
    _, dora = await make_resident(world.centre_street, "Dora")

    seen_by_dora = await run_contract(
        api, "web/messages.graphql", "ConversationMessages", {"id": conversation}, dora
    )
    missing = await run_contract(
        api, "web/messages.graphql", "ConversationMessages", {"id": gid("Conversation", 999)}, dora
    )

    assert seen_by_dora == missing == {"data": {"conversation": None}}
    assert await conversations(api, dora) == []


async def test_residents_of_another_neighbourhood_cannot_be_contacted(api, world):
    payload = await send(api, world.alice_token, gid("Account", world.carla.id))

    assert payload == {
        "message": None,
        "conversation": None,
        "userErrors": [
            {"field": "recipientId", "code": "NOT_FOUND", "message": "Voisin introuvable."}
        ],
    }
    assert await Conversation.all().count() == 0


async def test_bad_messages_write_nothing(api, world):
    bob = gid("Account", world.bob.id)

    cases = [
        await send(api, world.alice_token, gid("Account", world.alice.id)),
        await send(api, world.alice_token, bob, "   "),
        await send(api, world.alice_token, bob, "x" * 5_001),
        await send(api, world.alice_token, "pas-un-id"),
        await send(api, world.alice_token, bob, about=gid("Post", 4242)),
    ]

    assert [[(e["field"], e["code"]) for e in c["userErrors"]] for c in cases] == [
        [("recipientId", "CANNOT_MESSAGE_SELF")],
        [("body", "REQUIRED")],
        [("body", "TOO_LONG")],
        [("recipientId", "INVALID_ID")],
        [("aboutPostId", "NOT_FOUND")],
    ]
    assert (await Conversation.all().count(), await Message.all().count()) == (0, 0)


async def test_an_unverified_resident_cannot_message(api, world):
    _, token = await make_resident(world.centre_street, "Ugo", verified=False)

    payload = await send(api, token, gid("Account", world.bob.id))

    assert [e["code"] for e in payload["userErrors"]] == ["NOT_VERIFIED"]


async def test_a_message_in_a_conversation_can_be_reported_by_its_recipient(api, world):
    sent = await send(api, world.alice_token, gid("Account", world.bob.id), "Insulte")
    _, dora = await make_resident(world.centre_street, "Dora")
    report = {"input": {"contentId": sent["message"]["id"], "reason": "HARASSMENT"}}

    by_bob = await run_contract(api, "web/feed.graphql", "ReportContent", report, world.bob_token)
    by_dora = await run_contract(api, "web/feed.graphql", "ReportContent", report, dora)

    assert by_bob["data"]["reportContent"]["userErrors"] == []
    assert by_dora["data"]["reportContent"]["userErrors"][0]["code"] == "NOT_FOUND"
