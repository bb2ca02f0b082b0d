"""Relay's PageInfo in full, and a conversation paged backwards as a chat shows it."""

from __future__ import annotations

from tests.support import gid, run_contract

HISTORY = """
query History($id: ID!, $last: Int, $before: String, $first: Int, $after: String) {
  conversation(id: $id) {
    messages(last: $last, before: $before, first: $first, after: $after) {
      edges { cursor node { body } }
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    }
  }
}
"""
STREETS = """
query Streets($after: String) {
  streets(search: "rue", first: 2, after: $after) {
    edges { cursor node { name } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
  }
}
"""


async def _chat(api, world, count: int) -> str:
    """Alice writes `count` messages to Bob; the conversation's id."""
    values = {"recipientId": gid("Resident", world.bob.id), "body": ""}
    for i in range(count):
        values["body"] = f"Message {i}"
        result = await run_contract(
            api, "web/messages.graphql", "SendMessage", {"input": values}, world.alice_token
        )
    return result["data"]["sendMessage"]["conversation"]["id"]


async def _history(api, token, **variables):
    result = await api(HISTORY, variables, token)
    assert "errors" not in result, result
    page = result["data"]["conversation"]["messages"]
    return [e["node"]["body"] for e in page["edges"]], page["pageInfo"], page["edges"]


async def test_a_chat_loads_the_newest_messages_and_scrolls_up_to_the_first(api, world):
    conversation = await _chat(api, world, 5)

    newest, info, edges = await _history(api, world.bob_token, id=conversation, last=2)
    older, older_info, _ = await _history(
        api, world.bob_token, id=conversation, last=2, before=info["startCursor"]
    )
    oldest, oldest_info, _ = await _history(
        api, world.bob_token, id=conversation, last=2, before=older_info["startCursor"]
    )

    assert newest == ["Message 3", "Message 4"]
    assert info == {
        "hasPreviousPage": True,
        "hasNextPage": False,
        "startCursor": edges[0]["cursor"],
        "endCursor": edges[1]["cursor"],
    }
    assert older == ["Message 1", "Message 2"]
    assert (older_info["hasPreviousPage"], older_info["hasNextPage"]) == (True, True)
    assert oldest == ["Message 0"]
    assert (oldest_info["hasPreviousPage"], oldest_info["hasNextPage"]) == (False, True)


async def test_both_directions_of_a_conversation_share_their_cursors(api, world):
    conversation = await _chat(api, world, 4)

    forward, forward_info, _ = await _history(api, world.bob_token, id=conversation, first=2)
    back, _, _ = await _history(
        api, world.bob_token, id=conversation, last=5, before=forward_info["endCursor"]
    )
    after, after_info, _ = await _history(
        api, world.bob_token, id=conversation, first=5, after=forward_info["endCursor"]
    )

    # Newest first forwards; in a chat's order backwards: both older than the cursor.
    assert forward == ["Message 3", "Message 2"]
    assert back == ["Message 0", "Message 1"]
    assert after == ["Message 1", "Message 0"]
    assert (after_info["hasPreviousPage"], after_info["hasNextPage"]) == (True, False)


async def test_the_contract_document_still_pages_a_conversation_newest_first(api, world):
    conversation = await _chat(api, world, 3)

    result = await run_contract(
        api, "web/messages.graphql", "ConversationMessages", {"id": conversation}, world.bob_token
    )

    page = result["data"]["conversation"]["messages"]
    assert [e["node"]["body"] for e in page["edges"]] == ["Message 2", "Message 1", "Message 0"]
    assert page["pageInfo"]["hasNextPage"] is False


async def test_a_conversation_refuses_both_directions_at_once_and_pages_over_100(api, world):
    conversation = await _chat(api, world, 1)
    cursor = (await _history(api, world.bob_token, id=conversation, last=1))[1]["startCursor"]

    mixed = [
        await api(HISTORY, {"id": conversation, **variables}, world.bob_token)
        for variables in (
            {"first": 1, "last": 1},
            {"last": 1, "after": cursor},
            {"first": 1, "before": cursor},
            {"last": 101},
            {"last": -1},
        )
    ]

    assert [(r["data"], r["errors"][0]["extensions"]["code"]) for r in mixed] == [
        ({"conversation": None}, "BAD_USER_INPUT")
    ] * 5
    assert [r["errors"][0]["message"] for r in mixed] == [
        "`first`/`after` et `last`/`before` ne vont pas ensemble."
    ] * 3 + ["`last` doit être compris entre 0 et 100."] * 2


async def test_a_page_after_a_cursor_says_that_edges_precede_it(api, world):
    first = (await api(STREETS, {}))["data"]["streets"]
    second = (await api(STREETS, {"after": first["pageInfo"]["endCursor"]}))["data"]["streets"]

    assert [e["node"]["name"] for e in first["edges"]] == [
        "Rue de l'Église",
        "Rue de la Déportation",
    ]
    assert first["pageInfo"] == {
        "hasPreviousPage": False,
        "hasNextPage": True,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][1]["cursor"],
    }
    assert [e["node"]["name"] for e in second["edges"]] == ["Rue Sylvain Guyaux"]
    assert second["pageInfo"] == {
        "hasPreviousPage": True,
        "hasNextPage": False,
        "startCursor": second["edges"][0]["cursor"],
        "endCursor": second["edges"][0]["cursor"],
    }


async def test_an_empty_page_has_no_cursors(api, world):
    conversation = await _chat(api, world, 1)

    _, info, _ = await _history(api, world.bob_token, id=conversation, last=0)

    assert info == {
        "hasPreviousPage": True,
        "hasNextPage": False,
        "startCursor": None,
        "endCursor": None,
    }
