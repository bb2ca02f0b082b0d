"""Entities a gateway fetches by key (`_entities`). Each answers as `node(id:)` does
(resolvers/nodes.py): as the fields that normally lead to the object would, through a loader,
so a batch of representations is one statement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resolvers import nodes
from resolvers.ids import decode_id

if TYPE_CHECKING:
    from models.community import Topic
    from resolvers.context import Context


async def entity(ctx: Context, type_name: str, raw_id: object) -> Any:
    """The row of a `type_name` entity keyed by `id`, or None out of reach."""
    # A representation is any JSON the caller sent, not a checked argument.
    pk = decode_id(raw_id, type_name) if isinstance(raw_id, str) else None
    if pk is None:
        return None
    found = await nodes.FETCHERS[type_name](ctx, pk)
    return found.row if isinstance(found, nodes.Shared) else found


async def topic(ctx: Context, slug: str) -> Topic | None:
    """A topic of the caller's city, as `Query.topics` lists them; none for an account
    without a city."""
    viewer = ctx.viewer
    if viewer is None or viewer.city_id is None or not isinstance(slug, str):
        return None
    return await ctx.loaders.topic_by_slug.load((viewer.city_id, slug))
