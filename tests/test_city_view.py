"""What the city's roles see of a post: the day (at midnight in the city's time zone), no
`updatedAt` or `version`, comments as an empty connection; of a shared post, its content and
comment bodies, but no commenter other than the post's author named; and once its author
withdraws the sharing, none of it again, everywhere at once."""

from __future__ import annotations

from datetime import UTC, datetime

from models.accounts import Role
from models.community import Post
from tests.support import gid, make_staff, run_contract

FEED = "web/feed.graphql"
POST = """
query($id: ID!) { post(id: $id) {
  title createdAt updatedAt version author { displayName }
  comments { edges { node { body createdAt author { displayName } } } }
} }
"""
ENTITIES = """
query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { title body } } }
"""


async def _ok(api, name, variables, token):
    result = await run_contract(api, FEED, name, {"input": variables}, token)
    payload = next(iter(result["data"].values()))
    assert payload["userErrors"] == [], payload
    return payload


async def _post(api, world, shared: bool) -> str:
    payload = await _ok(
        api,
        "CreatePost",
        {
            "kind": "EVENT",
            "title": "Fête",
            "body": "Samedi",
            "shareWithCity": shared,
            "startsAt": "2099-06-20T17:00:00+02:00",
            "place": "Place Maugrétout",
        },
        world.alice_token,
    )
    post = payload["post"]["id"]
    await _ok(api, "AddComment", {"postId": post, "body": "Je viens"}, world.bob_token)
    await _ok(api, "AddComment", {"postId": post, "body": "Merci !"}, world.alice_token)
    await _ok(
        api,
        "EditPost",
        {"postId": post, "body": "Dimanche", "expectedVersion": 1},
        world.alice_token,
    )
    return post


async def test_a_post_not_shared_shows_the_city_its_day_and_no_more(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    post = await _post(api, world, shared=False)
    # 23:30 UTC on 10 March is 00:30 on 11 March in Brussels: its day is the 11th.
    pk = (await Post.get()).id
    await Post.filter(id=pk).update(created_at=datetime(2026, 3, 10, 23, 30, 5, tzinfo=UTC))

    seen = await api(POST, {"id": post}, city_staff)

    assert seen == {
        "data": {
            "post": {
                "title": None,
                "createdAt": "2026-03-11T00:00:00+01:00",
                "updatedAt": None,
                "version": None,
                "author": None,
                "comments": {"edges": []},
            }
        }
    }


async def test_a_shared_post_names_no_commenter_but_its_author(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    post = await _post(api, world, shared=True)

    seen = (await api(POST, {"id": post}, city_staff))["data"]["post"]
    neighbour = (await api(POST, {"id": post}, world.bob_token))["data"]["post"]

    assert (seen["title"], seen["version"], seen["author"]) == (
        "Fête",
        2,
        {"displayName": "Alice Dupont"},
    )
    bob, alice = [e["node"] for e in seen["comments"]["edges"]]
    assert (bob["body"], bob["author"]) == ("Je viens", None)
    assert bob["createdAt"].endswith("T00:00:00+01:00") or bob["createdAt"].endswith(
        "T00:00:00+02:00"
    )
    assert (alice["body"], alice["author"]) == ("Merci !", {"displayName": "Alice Dupont"})
    assert [e["node"]["author"] for e in neighbour["comments"]["edges"]] == [
        {"displayName": "Bob Lambert"},
        {"displayName": "Alice Dupont"},
    ]


async def test_withdrawing_the_sharing_hides_the_content_from_the_city_at_once(api, world):
    _, integration = await make_staff(Role.CITY_INTEGRATION, "Tableau", world.city)
    post = await _post(api, world, shared=True)
    feed = {"neighbourhoodId": gid("Neighbourhood", world.centre.id)}

    before = await api(ENTITIES, {"r": [{"__typename": "Post", "id": post}]}, integration)
    withdrawn = await _ok(
        api,
        "EditPost",
        {"postId": post, "shareWithCity": False, "expectedVersion": 2},
        world.alice_token,
    )
    listed = await run_contract(api, "city/insights.graphql", "CityPostMetadata", feed, integration)
    single = await api(POST, {"id": post}, integration)
    entity = await api(ENTITIES, {"r": [{"__typename": "Post", "id": post}]}, integration)

    assert before == {"data": {"_entities": [{"title": "Fête", "body": "Dimanche"}]}}
    assert withdrawn["post"]["version"] == 3
    [node] = [e["node"] for e in listed["data"]["neighbourhood"]["posts"]["edges"]]
    assert (node["sharedWithCity"], node["title"], node["body"], node["author"]) == (
        False,
        None,
        None,
        None,
    )
    assert node["comments"] == {"edges": []}
    assert (single["data"]["post"]["title"], single["data"]["post"]["comments"]) == (
        None,
        {"edges": []},
    )
    assert entity == {"data": {"_entities": [{"title": None, "body": None}]}}


async def test_only_the_author_may_withdraw_the_sharing(api, world):
    post = await _post(api, world, shared=True)

    refused = await run_contract(
        api,
        FEED,
        "EditPost",
        {"input": {"postId": post, "shareWithCity": False, "expectedVersion": 2}},
        world.bob_token,
    )

    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await Post.get()).share_with_city is True
