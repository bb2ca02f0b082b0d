"""The neighbourhood feed: writing rules, isolation between neighbourhoods, edits, pages."""

from __future__ import annotations

import pytest

from models.community import Comment, Post, PostTopic, Reaction
from models.moderation import Report
from tests.support import gid, make_resident, run_contract


async def create_post(api, token, **overrides):
    values = {
        "kind": "ITEM_GIVEAWAY",
        "title": "Échelle à prêter",
        "body": "Trois mètres.",
        "topicSlugs": ["entraide"],
    }
    result = await run_contract(
        api, "web/feed.graphql", "CreatePost", {"input": values | overrides}, token
    )
    return result["data"]["createPost"]


async def feed(api, world, token, **variables):
    result = await run_contract(
        api,
        "web/feed.graphql",
        "NeighbourhoodFeed",
        {"id": gid("Neighbourhood", world.centre.id)} | variables,
        token,
    )
    return result["data"]["neighbourhood"]


async def _row_counts():
    return (
        await Post.all().count(),
        await PostTopic.all().count(),
        await Comment.all().count(),
        await Reaction.all().count(),
        await Report.all().count(),
    )


async def test_a_verified_resident_posts_with_topics_and_neighbours_see_it(api, world):
    payload = await create_post(
        api, world.alice_token, topicSlugs=["Entraide", "objets", "entraide"]
    )

    assert payload["userErrors"] == []
    assert payload["post"]["title"] == "Échelle à prêter"
    assert payload["post"]["topics"] == [
        {"slug": "entraide", "label": "Entraide"},
        {"slug": "objets", "label": "Objets"},
    ]
    page = await feed(api, world, world.bob_token)
    node = page["posts"]["edges"][0]["node"]
    assert node | {"createdAt": None} == {
        "id": payload["post"]["id"],
        "kind": "ITEM_GIVEAWAY",
        "title": "Échelle à prêter",
        "body": "Trois mètres.",
        "createdAt": None,
        "author": {"id": gid("Resident", world.alice.id), "displayName": "Alice Dupont"},
        "topics": [
            {"slug": "entraide", "label": "Entraide"},
            {"slug": "objets", "label": "Objets"},
        ],
        "commentCount": 0,
        "reactionCount": 0,
        "viewerHasReacted": False,
    }


async def test_nobody_posts_before_the_neighbourhood_is_active_and_the_unverified_do_not_write(
    api, world
):
    _, verified_in_inactive = await make_resident(world.maurage_street, "Vera")
    _, unverified_in_active = await make_resident(world.centre_street, "Ugo", verified=False)
    _, unverified_in_inactive = await make_resident(world.maurage_street, "Ines", verified=False)

    answers = [
        await create_post(api, t)
        for t in (verified_in_inactive, unverified_in_active, unverified_in_inactive)
    ]

    assert [[e["code"] for e in a["userErrors"]] for a in answers] == [
        ["NEIGHBOURHOOD_NOT_ACTIVE"],
        ["NOT_VERIFIED"],
        ["NEIGHBOURHOOD_NOT_ACTIVE", "NOT_VERIFIED"],
    ]
    assert await Post.all().count() == 0


async def test_an_unverified_resident_sees_the_neighbourhood_but_not_its_feed(api, world):
    await create_post(api, world.alice_token)
    _, token = await make_resident(world.centre_street, "Ugo", verified=False)

    page = await feed(api, world, token)

    assert (page["name"], page["isActive"], page["posts"]) == ("La Louvière centre", True, None)


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"title": "T" * 201}, [("title", "TOO_LONG")]),
        ({"body": "B" * 10_001}, [("body", "TOO_LONG")]),
        ({"title": "   ", "body": "\n\t"}, [("title", "REQUIRED"), ("body", "REQUIRED")]),
        ({"title": "Bonjour\x07"}, [("title", "INVALID_CHARACTERS")]),
        ({"title": "Deux\nlignes"}, [("title", "INVALID_CHARACTERS")]),
        ({"body": "Texte\x1b[31m"}, [("body", "INVALID_CHARACTERS")]),
        ({"topicSlugs": ["entraide", "inconnu"]}, [("topicSlugs", "UNKNOWN_TOPIC")]),
        (
            {
                "topicSlugs": [
                    "mobilite",
                    "travaux",
                    "securite",
                    "environnement",
                    "proprete",
                    "entraide",
                ]
            },
            [("topicSlugs", "TOO_MANY_TOPICS")],
        ),
    ],
)
async def test_bad_post_input_is_a_user_error_and_writes_nothing(api, world, overrides, errors):
    payload = await create_post(api, world.alice_token, **overrides)

    assert payload["post"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == errors
    assert await _row_counts() == (0, 0, 0, 0, 0)


async def test_limits_are_inclusive(api, world):
    payload = await create_post(api, world.alice_token, title="T" * 200, body="B" * 10_000)

    assert payload["userErrors"] == []


async def test_a_neighbourhood_stays_closed_to_residents_of_another(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]

    detail = await run_contract(
        api, "web/feed.graphql", "PostDetail", {"id": post_id}, world.carla_token
    )
    missing = await run_contract(
        api, "web/feed.graphql", "PostDetail", {"id": gid("Post", 999_999)}, world.carla_token
    )
    malformed = await run_contract(
        api, "web/feed.graphql", "PostDetail", {"id": "nimporte-quoi"}, world.carla_token
    )
    other_feed = await run_contract(
        api,
        "web/feed.graphql",
        "NeighbourhoodFeed",
        {"id": gid("Neighbourhood", world.centre.id)},
        world.carla_token,
    )
    comment = await run_contract(
        api,
        "web/feed.graphql",
        "AddComment",
        {"input": {"postId": post_id, "body": "Coucou"}},
        world.carla_token,
    )
    reaction = await run_contract(
        api, "web/feed.graphql", "ToggleReaction", {"input": {"postId": post_id}}, world.carla_token
    )
    report = await run_contract(
        api,
        "web/feed.graphql",
        "ReportContent",
        {"input": {"contentId": post_id, "reason": "SPAM"}},
        world.carla_token,
    )

    assert detail == missing == malformed == {"data": {"post": None}}
    assert other_feed == {"data": {"neighbourhood": None}}
    assert comment["data"]["addComment"]["userErrors"] == [
        {"field": "postId", "code": "NOT_FOUND", "message": "Publication introuvable."}
    ]
    assert reaction["data"]["toggleReaction"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert report["data"]["reportContent"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await _row_counts() == (1, 1, 0, 0, 0)


async def test_the_feed_needs_an_account(api, world):
    result = await run_contract(
        api, "web/feed.graphql", "NeighbourhoodFeed", {"id": gid("Neighbourhood", world.centre.id)}
    )

    assert result["data"] == {"neighbourhood": None} or result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_neighbours_never_see_an_email_or_a_house_number(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]

    result = await api(
        "query($id: ID!) { post(id: $id) { author { email houseNumber } } }",
        {"id": post_id},
        world.bob_token,
    )

    assert [e["message"] for e in result["errors"]] == [
        "Cannot query field 'email' on type 'Resident'.",
        "Cannot query field 'houseNumber' on type 'Resident'.",
    ]


async def test_an_edit_with_a_stale_version_overwrites_nothing(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]

    first = await run_contract(
        api,
        "web/feed.graphql",
        "EditPost",
        {"input": {"postId": post_id, "title": "Échelle donnée", "expectedVersion": 1}},
        world.alice_token,
    )
    stale = await run_contract(
        api,
        "web/feed.graphql",
        "EditPost",
        {"input": {"postId": post_id, "body": "Écrasé ?", "expectedVersion": 1}},
        world.alice_token,
    )

    assert first["data"]["editPost"] == {
        "post": {"id": post_id, "title": "Échelle donnée", "body": "Trois mètres.", "version": 2},
        "userErrors": [],
    }
    assert stale["data"]["editPost"] == {
        "post": None,
        "userErrors": [
            {
                "field": "expectedVersion",
                "code": "VERSION_CONFLICT",
                "message": "La publication a été modifiée entre-temps (version actuelle : 2).",
            }
        ],
    }
    row = await Post.get()
    assert (row.title, row.body, row.version) == ("Échelle donnée", "Trois mètres.", 2)


async def test_edit_replaces_topics_and_a_neighbour_may_not_edit(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]
    edit = {"input": {"postId": post_id, "topicSlugs": ["objets"], "expectedVersion": 1}}

    by_bob = await run_contract(api, "web/feed.graphql", "EditPost", edit, world.bob_token)
    by_alice = await run_contract(api, "web/feed.graphql", "EditPost", edit, world.alice_token)

    assert by_bob["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert by_alice["data"]["editPost"]["post"]["version"] == 2
    assert await PostTopic.all().values_list("topic__slug", flat=True) == ["objets"]


async def test_the_author_deletes_a_post_and_it_is_gone_for_everyone(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]

    deleted = await run_contract(
        api, "web/feed.graphql", "DeletePost", {"input": {"postId": post_id}}, world.alice_token
    )
    again = await run_contract(
        api, "web/feed.graphql", "DeletePost", {"input": {"postId": post_id}}, world.alice_token
    )

    assert deleted["data"]["deletePost"] == {"deletedPostId": post_id, "userErrors": []}
    assert again["data"]["deletePost"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await feed(api, world, world.bob_token))["posts"]["edges"] == []
    assert (
        await run_contract(api, "web/feed.graphql", "PostDetail", {"id": post_id}, world.bob_token)
    ) == {"data": {"post": None}}


async def test_comments_and_a_reaction_update_the_counts(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]

    added = await run_contract(
        api,
        "web/feed.graphql",
        "AddComment",
        {"input": {"postId": post_id, "body": "  Je la prends !  "}},
        world.bob_token,
    )
    on = await run_contract(
        api, "web/feed.graphql", "ToggleReaction", {"input": {"postId": post_id}}, world.bob_token
    )
    detail = await run_contract(
        api, "web/feed.graphql", "PostDetail", {"id": post_id}, world.bob_token
    )
    off = await run_contract(
        api, "web/feed.graphql", "ToggleReaction", {"input": {"postId": post_id}}, world.bob_token
    )

    assert added["data"]["addComment"]["comment"]["body"] == "Je la prends !"
    assert added["data"]["addComment"]["post"] == {"id": post_id, "commentCount": 1}
    assert on["data"]["toggleReaction"]["post"] == {
        "id": post_id,
        "reactionCount": 1,
        "viewerHasReacted": True,
    }
    post = detail["data"]["post"]
    assert (post["commentCount"], post["reactionCount"], post["viewerHasReacted"]) == (1, 1, True)
    assert [e["node"]["author"]["displayName"] for e in post["comments"]["edges"]] == [
        "Bob Lambert"
    ]
    assert off["data"]["toggleReaction"]["post"] == {
        "id": post_id,
        "reactionCount": 0,
        "viewerHasReacted": False,
    }


async def test_the_feed_pages_by_keyset_newest_first_without_gaps_or_repeats(api, world):
    for i in range(25):
        await create_post(api, world.alice_token, title=f"Publication {i:02d}")

    titles, after = [], None
    while True:
        page = (await feed(api, world, world.bob_token, first=10, after=after))["posts"]
        titles += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert titles == [f"Publication {i:02d}" for i in reversed(range(25))]


async def test_posts_of_one_instant_page_by_id_across_page_ends(api, world):
    for i in range(7):
        await create_post(api, world.alice_token, title=f"Publication {i}")
    # Posts 1 to 5 share one instant: the cursor's bound on created_at must keep them all, and
    # the id tie-break orders them, also where a page ends among them.
    ids = [p.id async for p in Post.filter(title__startswith="Publication").order_by("id")]
    instant = (await Post.get(id=ids[1])).created_at
    await Post.filter(id__in=ids[1:6]).update(created_at=instant)

    titles, after = [], None
    while True:
        page = (await feed(api, world, world.bob_token, first=2, after=after))["posts"]
        titles += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert titles == [f"Publication {i}" for i in (6, 5, 4, 3, 2, 1, 0)]


async def test_the_feed_filters_by_kind_and_topic(api, world):
    await create_post(
        api,
        world.alice_token,
        kind="EVENT",
        title="Barbecue",
        topicSlugs=["evenements"],
        startsAt="2099-06-20T17:00:00+02:00",
        place="Place Maugrétout",
    )
    await create_post(
        api, world.alice_token, kind="LOST_AND_FOUND", title="Chat perdu", topicSlugs=["entraide"]
    )

    by_kind = await feed(api, world, world.bob_token, kind="EVENT")
    by_topic = await feed(api, world, world.bob_token, topic="entraide")

    assert [e["node"]["title"] for e in by_kind["posts"]["edges"]] == ["Barbecue"]
    assert [e["node"]["title"] for e in by_topic["posts"]["edges"]] == ["Chat perdu"]


@pytest.mark.parametrize("first", [101, -1])
async def test_a_page_holds_at_most_100(api, world, first):
    result = await run_contract(
        api,
        "web/feed.graphql",
        "NeighbourhoodFeed",
        {"id": gid("Neighbourhood", world.centre.id), "first": first},
        world.alice_token,
    )

    assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert result["errors"][0]["message"] == "`first` doit être compris entre 0 et 100."


async def test_a_tampered_cursor_is_a_clear_error(api, world):
    result = await run_contract(
        api,
        "web/feed.graphql",
        "NeighbourhoodFeed",
        {"id": gid("Neighbourhood", world.centre.id), "after": "eyJub3BlIjp0cnVlfQ"},
        world.alice_token,
    )

    assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_reports_are_stored_once_per_reporter_and_never_on_own_content(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]
    report = {"input": {"contentId": post_id, "reason": "SPAM", "note": "Publicité"}}

    first = await run_contract(api, "web/feed.graphql", "ReportContent", report, world.bob_token)
    twice = await run_contract(api, "web/feed.graphql", "ReportContent", report, world.bob_token)
    own = await run_contract(api, "web/feed.graphql", "ReportContent", report, world.alice_token)
    foreign = await run_contract(
        api,
        "web/feed.graphql",
        "ReportContent",
        {"input": {"contentId": gid("Street", 1), "reason": "SPAM"}},
        world.bob_token,
    )

    assert first["data"]["reportContent"]["report"]["status"] == "OPEN"
    assert twice["data"]["reportContent"]["userErrors"][0]["code"] == "ALREADY_REPORTED"
    assert own["data"]["reportContent"]["userErrors"][0]["code"] == "CANNOT_REPORT_OWN"
    assert foreign["data"]["reportContent"]["userErrors"] == [
        {"field": "contentId", "code": "INVALID_ID", "message": "Identifiant invalide."}
    ]
    stored = await Report.get()
    assert (stored.reporter_id, stored.note) == (world.bob.id, "Publicité")


async def test_a_comment_can_be_reported(api, world):
    post_id = (await create_post(api, world.alice_token))["post"]["id"]
    added = await run_contract(
        api,
        "web/feed.graphql",
        "AddComment",
        {"input": {"postId": post_id, "body": "Spam !"}},
        world.bob_token,
    )
    comment_id = added["data"]["addComment"]["comment"]["id"]

    result = await run_contract(
        api,
        "web/feed.graphql",
        "ReportContent",
        {"input": {"contentId": comment_id, "reason": "HARASSMENT"}},
        world.alice_token,
    )

    assert result["data"]["reportContent"]["userErrors"] == []


async def test_topics_are_the_city_taxonomy(api, world):
    result = await run_contract(api, "web/feed.graphql", "Topics", token=world.alice_token)

    assert [t["slug"] for t in result["data"]["topics"]] == [
        "entraide",
        "environnement",
        "evenements",
        "mobilite",
        "objets",
        "proprete",
        "securite",
        "travaux",
    ]
