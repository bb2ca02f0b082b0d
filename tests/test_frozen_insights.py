"""Figures of an ended period are computed once and never change: deleting, hiding or
re-tagging content afterwards, or erasing its author, changes no published figure."""

from __future__ import annotations

from datetime import date

import pytest

from models.accounts import Role
from models.insights import InsightDay
from tests.support import gid, make_staff, run_contract
from tests.test_insights import Feed, cells, insights

FEED = "web/feed.graphql"
DAY = date(2024, 3, 12)
MONTH, NEXT_MONTH = date(2024, 3, 1), date(2024, 4, 1)


@pytest.fixture
async def staff_token(world) -> str:
    return (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]


async def _published(api, token) -> tuple[list, list]:
    days = await insights(api, token, DAY, date(2024, 3, 13), "DAY")
    months = await insights(api, token, MONTH, NEXT_MONTH, "MONTH")
    return cells(days), cells(months)


async def _month_of_ten(world) -> list:
    feed = Feed(world)
    posts = await feed.posts(DAY, 5)
    posts += await feed.posts(date(2024, 3, 20), 5)
    await feed.comments(posts[0], DAY, 6)
    await feed.reactions(posts[1], DAY, 5)
    return posts


async def test_deleting_content_of_an_ended_period_changes_no_figure(api, world, staff_token):
    posts = await _month_of_ten(world)
    before = await _published(api, staff_token)

    deleted = await run_contract(
        api, FEED, "DeletePost", {"input": {"postId": gid("Post", posts[0].id)}}, world.alice_token
    )
    after = await _published(api, staff_token)

    assert deleted["data"]["deletePost"]["userErrors"] == []
    assert before == (
        [("2024-03-12", 5, 6, 5, False)],
        [("2024-03-01", 10, 6, 5, False)],
    )
    assert after == before


async def test_hiding_content_of_an_ended_period_changes_no_figure(
    api, world, staff_token, moderator_token
):
    posts = await _month_of_ten(world)
    before = await _published(api, staff_token)

    hidden = await run_contract(
        api,
        "moderation/moderation.graphql",
        "Moderate",
        {
            "input": {
                "kind": "HIDE_CONTENT",
                "reason": "Hors sujet ici.",
                "contentIds": [gid("Post", p.id) for p in posts[:2]],
            }
        },
        moderator_token,
    )
    after = await _published(api, staff_token)

    assert hidden["data"]["moderate"]["userErrors"] == []
    assert after == before


async def test_re_tagging_content_of_an_ended_period_changes_no_figure(api, world, staff_token):
    posts = await _month_of_ten(world)
    before = await _published(api, staff_token)
    moved_before = cells(await insights(api, staff_token, MONTH, NEXT_MONTH), topic="travaux")

    for post in posts:
        edited = await run_contract(
            api,
            FEED,
            "EditPost",
            {
                "input": {
                    "postId": gid("Post", post.id),
                    "topicSlugs": ["travaux"],
                    "expectedVersion": 1,
                }
            },
            world.alice_token,
        )
        assert edited["data"]["editPost"]["userErrors"] == []
    after = await _published(api, staff_token)

    assert after == before
    moved_after = cells(await insights(api, staff_token, MONTH, NEXT_MONTH), topic="travaux")
    assert moved_after == moved_before == [("2024-03-01", 0, 0, 0, False)]


async def test_erasing_an_author_changes_no_figure_of_an_ended_period(api, world, staff_token):
    await _month_of_ten(world)
    before = await _published(api, staff_token)
    frozen = await InsightDay.all().count()

    from resolvers.erasure import erase

    await erase(world.alice.id)
    after = await _published(api, staff_token)

    assert after == before
    assert await InsightDay.all().count() == frozen
