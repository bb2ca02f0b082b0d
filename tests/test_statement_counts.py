"""A feed page costs the same number of SQL statements whatever its size: DataLoaders batch
authors, topics and reactions, and the counts live on the post row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.timezone import now

from models.community import Comment, Post, PostKind, PostTopic, Reaction, Topic
from models.moderation import Appeal, ModerationAction, ModerationKind, SubjectType
from tests.support import count_statements, gid, make_resident, run_contract

MAX_FEED_STATEMENTS = 6


async def _fill_feed(world, posts: int) -> None:
    authors = [world.alice, world.bob] + [
        (await make_resident(world.centre_street, f"Voisin {i}"))[0] for i in range(8)
    ]
    topics = await Topic.filter(city_id=world.city.id).order_by("id")
    start = now() - timedelta(days=30)
    rows = await Post.bulk_create(
        [
            Post(
                neighbourhood_id=world.centre.id,
                author_id=authors[i % len(authors)].id,
                kind=PostKind.DISCUSSION,
                title=f"Publication {i}",
                body="Texte",
                created_at=start + timedelta(minutes=i),
                comment_count=1,
                reaction_count=1,
            )
            for i in range(posts)
        ]
    )
    rows = await Post.filter(neighbourhood_id=world.centre.id).order_by("id")
    await PostTopic.bulk_create(
        [PostTopic(post_id=p.id, topic_id=topics[i % len(topics)].id) for i, p in enumerate(rows)]
        + [
            PostTopic(post_id=p.id, topic_id=topics[(i + 3) % len(topics)].id)
            for i, p in enumerate(rows)
        ]
    )
    await Comment.bulk_create(
        [
            Comment(post_id=p.id, author_id=world.bob.id, body="Merci", created_at=now())
            for p in rows
        ]
    )
    await Reaction.bulk_create([Reaction(post_id=p.id, account_id=world.alice.id) for p in rows])


@pytest.mark.parametrize("page", [20, 50, 100])
async def test_feed_page_costs_the_same_statements_at_any_size(api, world, page):
    await _fill_feed(world, 120)
    variables = {"id": gid("Neighbourhood", world.centre.id), "first": page}

    with count_statements() as statements:
        result = await run_contract(
            api, "web/feed.graphql", "NeighbourhoodFeed", variables, world.alice_token
        )

    edges = result["data"]["neighbourhood"]["posts"]["edges"]
    assert "errors" not in result
    assert len(edges) == page
    assert {e["node"]["viewerHasReacted"] for e in edges} == {True}
    assert {len(e["node"]["topics"]) for e in edges} == {2}
    assert all(e["node"]["author"]["displayName"] for e in edges)
    # token, neighbourhood, posts page, authors, topics, the viewer's reactions
    assert len(statements) == MAX_FEED_STATEMENTS, statements


async def test_comment_previews_of_a_page_of_posts_cost_one_statement(api, world, moderator_token):
    await _fill_feed(world, 30)
    query = """
      query($id: ID!) { neighbourhood(id: $id) { posts(first: 30) { edges { node {
        id comments(first: 5) { edges { node { id body } } pageInfo { hasNextPage } } } } } } }
    """
    with count_statements() as statements:
        result = await api(query, {"id": gid("Neighbourhood", world.centre.id)}, world.alice_token)

    edges = result["data"]["neighbourhood"]["posts"]["edges"]
    assert [len(e["node"]["comments"]["edges"]) for e in edges] == [1] * 30
    # token, neighbourhood, posts page, comments of all 30 posts
    assert len(statements) == 4, statements


async def test_the_actions_of_a_page_of_appeals_cost_one_statement(api, world, moderator_token):
    for i in range(10):
        post = await Post.create(
            neighbourhood_id=world.centre.id,
            author_id=world.alice.id,
            kind=PostKind.DISCUSSION,
            title=f"Publication {i}",
            body="Texte",
            created_at=now(),
        )
        action = await ModerationAction.create(
            kind=ModerationKind.HIDE_CONTENT,
            subject_type=SubjectType.POST,
            subject_id=post.id,
            affected_account_id=world.alice.id,
            reason=f"Raison {i}",
            created_at=now(),
        )
        await Appeal.create(
            action_id=action.id, account_id=world.alice.id, message="Non", created_at=now()
        )
    query = "{ appeals(first: 10) { edges { node { action { reason } } } } }"

    with count_statements() as statements:
        result = await api(query, {}, moderator_token)

    reasons = [e["node"]["action"]["reason"] for e in result["data"]["appeals"]["edges"]]
    assert sorted(reasons) == sorted(f"Raison {i}" for i in range(10))
    # token, appeals page, the actions of all 10 appeals
    assert len(statements) == 3, statements
