"""The feed's page query, prepared once per shape (resolvers/community.py): for every kind of
viewer, filter and cursor, the statement and the rows of the QuerySet it stands for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tortoise.timezone import now

from models.accounts import Role
from models.community import Post, PostKind, PostTopic, Topic
from resolvers import community, statements
from resolvers.context import Context
from resolvers.loaders import Loaders
from resolvers.pagination import Page, keyset_page
from tests import support
from tests.test_instances import _state


async def _posts(world: Any) -> None:
    """Posts of two kinds and topics, two of them written at the same moment (the id breaks
    the tie), one hidden (written by Alice), one deleted."""
    moment = now()
    topic = await Topic.filter(city_id=world.city.id).order_by("slug").first()
    assert topic is not None
    for i in range(7):
        post = await Post.create(
            neighbourhood_id=world.centre.id,
            author_id=(world.alice if i % 2 else world.bob).id,
            kind=PostKind.EVENT if i % 3 == 0 else PostKind.DISCUSSION,
            title=f"Titre {i}",
            body="Texte",
            created_at=moment - timedelta(minutes=min(i, 5)),
            hidden_at=moment if i == 3 else None,
            deleted_at=moment if i == 4 else None,
        )
        if i % 2 == 0:
            await PostTopic.create(post_id=post.id, topic_id=topic.id)


async def _walk(world: Any, viewer: Any, kind: Any, topic: Any, prepared: bool) -> list[Any]:
    """Every page of two, cursor after cursor: the statements run, the rows read."""
    ctx = Context(viewer=viewer, token=None, loaders=Loaders(viewer), settings=None)
    seen: list[Any] = []
    after = None
    while True:
        with support.count_statements() as sql:
            if prepared:
                page: Page[Post] = await community.feed(
                    ctx, world.centre, first=2, after=after, kind=kind, topic=topic
                )
            else:
                qs = community.feed_posts(world.centre.id, viewer, kind, topic)
                page = await keyset_page(qs, 2, after)
        seen.append((sql, [_state(row) for row in page.rows], page.has_next))
        if page.has_next is not True:
            return seen
        after = page.cursor(page.rows[-1])


@pytest.mark.parametrize("who", ["alice", "bob", "moderator", "city", "nobody"])
async def test_a_prepared_feed_page_runs_its_queryset_s_statement_and_reads_its_rows(world, who):
    await _posts(world)
    moderator, _ = await support.make_staff(Role.MODERATOR, "Mona")
    city, _ = await support.make_staff(Role.CITY_STAFF, "Ville", world.city)
    viewer = {"alice": world.alice, "bob": world.bob, "moderator": moderator, "city": city}
    slug = (await Topic.filter(city_id=world.city.id).order_by("slug").first()).slug  # type: ignore[union-attr]

    for kind in (None, PostKind.DISCUSSION):
        for topic in (None, slug):
            ours = await _walk(world, viewer.get(who), kind, topic, prepared=True)
            theirs = await _walk(world, viewer.get(who), kind, topic, prepared=False)

            assert ours == theirs, (kind, topic)
            assert len(ours) > 1 or kind or topic


def _changes_its_value(values: list[Any]) -> Any:
    return Topic.filter(slug=values[0].upper())


def _binds_it_also_changed(values: list[Any]) -> Any:
    return Topic.filter(slug=values[0], label=values[0].upper())


async def test_a_mixed_statement_that_changes_a_value_is_refused():
    with pytest.raises(ValueError, match="does not bind each of its values"):
        statements.prepare_mixed(_changes_its_value, (str,))
    with pytest.raises(ValueError, match="as they are"):
        statements.prepare_mixed(_binds_it_also_changed, (str,))
