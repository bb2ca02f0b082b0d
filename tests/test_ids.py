"""One id, one object: a person is an `Account` to themselves and a `Resident` to everyone
else, each with an id of its own; inputs naming a person take the `Resident` id clients hold
(and still the `Account` id); `node(id:)` says which type an id is."""

from __future__ import annotations

from models.accounts import Role
from tests.support import gid, make_resident, make_staff, run_contract

ME = """
query { viewer { id resident { id displayName } } }
"""
NODE = """
query($id: ID!) { node(id: $id) { __typename id ... on Resident { displayName } } }
"""
LETTERS = """
query { verificationLetters { edges { node { id recipientName recipient { id } } } } }
"""
ISSUE = """
mutation($input: IssueVerificationLetterInput!) {
  issueVerificationLetter(input: $input) { letter { id status } userErrors { field code } }
}
"""
MODERATION = "moderation/moderation.graphql"


async def _post(api, world) -> dict:
    values = {"kind": "DISCUSSION", "title": "Échelle", "body": "Qui en prête une ?"}
    result = await run_contract(
        api, "web/feed.graphql", "CreatePost", {"input": values}, world.alice_token
    )
    post = result["data"]["createPost"]["post"]
    detail = await run_contract(
        api, "web/feed.graphql", "PostDetail", {"id": post["id"]}, world.bob_token
    )
    return detail["data"]["post"]


async def test_a_person_is_an_account_to_themselves_and_a_resident_to_others(api, world):
    post = await _post(api, world)

    me = (await api(ME, token=world.alice_token))["data"]["viewer"]

    assert me == {
        "id": gid("Account", world.alice.id),
        "resident": {"id": gid("Resident", world.alice.id), "displayName": "Alice Dupont"},
    }
    assert post["author"] == me["resident"]
    assert me["id"] != me["resident"]["id"]


async def test_node_says_which_type_an_id_is(api, world):
    resident = gid("Resident", world.alice.id)
    account = gid("Account", world.alice.id)

    as_resident = await api(NODE, {"id": resident}, world.alice_token)
    as_account = await api(NODE, {"id": account}, world.alice_token)

    assert as_resident == {
        "data": {"node": {"__typename": "Resident", "id": resident, "displayName": "Alice Dupont"}}
    }
    assert as_account == {"data": {"node": {"__typename": "Account", "id": account}}}


async def test_a_message_goes_to_the_author_id_the_feed_gave(api, world):
    post = await _post(api, world)

    sent = await run_contract(
        api,
        "web/messages.graphql",
        "SendMessage",
        {"input": {"recipientId": post["author"]["id"], "body": "Je t'en prête une."}},
        world.bob_token,
    )

    payload = sent["data"]["sendMessage"]
    assert payload["userErrors"] == []
    assert payload["message"]["sender"] == {
        "id": gid("Resident", world.bob.id),
        "displayName": "Bob Lambert",
    }
    conversations = await run_contract(
        api, "web/messages.graphql", "Conversations", token=world.alice_token
    )
    [conversation] = conversations["data"]["viewer"]["conversations"]["edges"]
    assert [p["id"] for p in conversation["node"]["participants"]] == [
        gid("Resident", world.alice.id),
        gid("Resident", world.bob.id),
    ]


async def test_an_id_of_another_type_is_no_person(api, world):
    post = await _post(api, world)

    sent = await run_contract(
        api,
        "web/messages.graphql",
        "SendMessage",
        {"input": {"recipientId": post["id"], "body": "Bonjour"}},
        world.bob_token,
    )

    assert sent["data"]["sendMessage"]["userErrors"] == [
        {"field": "recipientId", "code": "INVALID_ID", "message": "Identifiant invalide."}
    ]


async def test_a_suspension_names_its_subject_by_the_resident_id_moderators_hold(
    api, world, moderator_token
):
    post = await _post(api, world)
    author = post["author"]["id"]

    suspended = await run_contract(
        api,
        MODERATION,
        "Moderate",
        {"input": {"kind": "SUSPEND_ACCOUNT", "reason": "Propos injurieux", "accountId": author}},
        moderator_token,
    )
    [action] = suspended["data"]["moderate"]["actions"]
    reinstated = await run_contract(
        api,
        MODERATION,
        "Moderate",
        {
            "input": {
                "kind": "REINSTATE_ACCOUNT",
                "reason": "Suspension levée",
                "accountId": action["subjectId"],
            }
        },
        moderator_token,
    )
    subject = await api(NODE, {"id": action["subjectId"]}, moderator_token)

    assert action["subjectId"] == author
    assert reinstated["data"]["moderate"]["userErrors"] == []
    assert subject["data"]["node"] == {
        "__typename": "Resident",
        "id": author,
        "displayName": "Alice Dupont",
    }


async def test_a_new_letter_goes_to_the_recipient_of_the_letter_moderators_list(
    api, world, moderator_token
):
    ugo, _ = await make_resident(world.centre_street, "Ugo Martin", verified=False)
    [letter] = (await api(LETTERS, token=moderator_token))["data"]["verificationLetters"]["edges"]

    issued = await api(
        ISSUE, {"input": {"accountId": letter["node"]["recipient"]["id"]}}, moderator_token
    )

    assert letter["node"]["recipient"] == {"id": gid("Resident", ugo.id)}
    assert issued["data"]["issueVerificationLetter"]["userErrors"] == []
    assert issued["data"]["issueVerificationLetter"]["letter"]["status"] == "PENDING"


async def test_the_older_account_ids_still_name_people(api, world, moderator_token):
    ugo, _ = await make_resident(world.centre_street, "Ugo Martin", verified=False)
    admin, admin_token = await make_staff(Role.ADMIN, "Ada Admin")

    sent = await run_contract(
        api,
        "web/messages.graphql",
        "SendMessage",
        {"input": {"recipientId": gid("Account", world.alice.id), "body": "Salut"}},
        world.bob_token,
    )
    issued = await api(ISSUE, {"input": {"accountId": gid("Account", ugo.id)}}, admin_token)
    refused = await run_contract(
        api,
        MODERATION,
        "Moderate",
        {
            "input": {
                "kind": "SUSPEND_ACCOUNT",
                "reason": "Essai de suspension",
                "accountId": gid("Account", admin.id),
            }
        },
        moderator_token,
    )

    assert sent["data"]["sendMessage"]["userErrors"] == []
    assert issued["data"]["issueVerificationLetter"]["userErrors"] == []
    assert refused["data"]["moderate"]["userErrors"] == [
        {
            "field": "accountId",
            "code": "CANNOT_SUSPEND_ADMIN",
            "message": "Un administrateur ne peut être suspendu.",
        }
    ]
