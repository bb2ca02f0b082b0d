"""An account that has not verified its address reads nothing its would-be neighbours wrote:
no feed, post, comment, resident, conversation, message or announcement, by any path (fields,
`post(id)`, federation `_entities`); it keeps its own account, its neighbourhood's name,
activity and progress, and the verification flow."""

from __future__ import annotations

from models.accounts import Role, VerificationLetter
from resolvers.ids import parse_global_id
from tests.support import gid, make_resident, make_staff, run_contract

FEED, ACCOUNT, MESSAGES = "web/feed.graphql", "web/account.graphql", "web/messages.graphql"
SIGN_UP = {
    "email": "ugo.martin@example.be",
    "password": "Terril-Bleu-Quartz-2026!",
    "displayName": "Ugo Martin",
    "houseNumber": "4",
}


async def _post(api, token, **values):
    values = {"kind": "DISCUSSION", "title": "Bruit la nuit", "body": "Qui entend ?"} | values
    result = await run_contract(api, FEED, "CreatePost", {"input": values}, token)
    return result["data"]["createPost"]["post"]["id"]


async def _sign_up(api, world) -> tuple[str, int]:
    values = SIGN_UP | {"streetId": gid("Street", world.centre_street.id)}
    result = await run_contract(api, ACCOUNT, "Register", {"input": values})
    payload = result["data"]["register"]
    return payload["token"], parse_global_id(payload["viewer"]["id"])[1]


async def test_a_new_account_sees_its_neighbourhood_and_progress_but_no_feed(api, world):
    post = await _post(api, world.alice_token)
    await run_contract(
        api, FEED, "AddComment", {"input": {"postId": post, "body": "Moi aussi"}}, world.bob_token
    )
    token, _ = await _sign_up(api, world)

    viewer = await run_contract(api, ACCOUNT, "Viewer", token=token)
    feed = await run_contract(
        api, FEED, "NeighbourhoodFeed", {"id": gid("Neighbourhood", world.centre.id)}, token
    )
    detail = await run_contract(api, FEED, "PostDetail", {"id": post}, token)

    assert viewer["data"]["viewer"]["neighbourhood"] == {
        "id": gid("Neighbourhood", world.centre.id),
        "name": "La Louvière centre",
        "isActive": True,
        "registeredCount": 3,
        "activationThreshold": 10,
    }
    assert feed == {
        "data": {
            "neighbourhood": {
                "id": gid("Neighbourhood", world.centre.id),
                "name": "La Louvière centre",
                "isActive": True,
                "posts": None,
            }
        }
    }
    assert detail == {"data": {"post": None}}


async def test_federation_lookups_give_an_unverified_account_no_post(api, world):
    post = await _post(api, world.alice_token)
    _, token = await make_resident(world.centre_street, "Ugo", verified=False)
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Post { id } } }"
    )

    unverified = await api(query, {"r": [{"__typename": "Post", "id": post}]}, token)
    neighbour = await api(query, {"r": [{"__typename": "Post", "id": post}]}, world.bob_token)

    assert unverified == {"data": {"_entities": [None]}}
    assert neighbour == {"data": {"_entities": [{"__typename": "Post", "id": post}]}}


async def test_an_unverified_account_has_no_conversation_and_cannot_be_written_to(api, world):
    account, token = await make_resident(world.centre_street, "Ugo", verified=False)

    sent = await run_contract(
        api,
        MESSAGES,
        "SendMessage",
        {"input": {"recipientId": gid("Account", account.id), "body": "Bonjour"}},
        world.alice_token,
    )
    listed = await run_contract(api, MESSAGES, "Conversations", token=token)

    assert sent["data"]["sendMessage"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert listed["data"]["viewer"]["conversations"]["edges"] == []


async def test_an_unverified_account_gets_no_announcement(api, world):
    _, token = await make_resident(world.centre_street, "Ugo", verified=False)
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    published = await run_contract(
        api,
        "city/announcements.graphql",
        "PublishAnnouncement",
        {
            "input": {
                "kind": "CONSULTATION",
                "title": "Zone 30",
                "body": "Votre avis",
                "target": {"scope": "CITY"},
                "consultation": {"question": "Zone 30 ?", "options": ["Oui", "Non"]},
            }
        },
        city_staff,
    )
    consultation = published["data"]["publishAnnouncement"]["announcement"]["consultation"]

    mine = await run_contract(api, "web/city.graphql", "MyAnnouncements", token=token)
    direct = await api(
        "query($id: ID!) { consultation(id: $id) { id } }", {"id": consultation["id"]}, token
    )

    assert mine["data"]["viewer"]["announcements"]["edges"] == []
    assert direct == {"data": {"consultation": None}}


async def test_verifying_opens_the_feed(api, world):
    post = await _post(api, world.alice_token)
    token, pk = await _sign_up(api, world)
    letter = await VerificationLetter.get(account_id=pk)

    verified = await run_contract(
        api, ACCOUNT, "VerifyAddress", {"input": {"code": letter.code}}, token
    )
    detail = await run_contract(api, FEED, "PostDetail", {"id": post}, token)

    assert verified["data"]["verifyAddress"]["viewer"]["isVerified"] is True
    assert detail["data"]["post"]["title"] == "Bruit la nuit"
