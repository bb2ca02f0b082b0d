"""Entities a gateway fetches by key (`_entities`). Each answers as the field that normally
leads to the object would, and goes through a loader: a batch of representations is one
statement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers import community
from resolvers.ids import decode_id

if TYPE_CHECKING:
    from models.accounts import Account
    from models.city import Notification
    from models.community import Post, Topic
    from models.geography import Neighbourhood, Street
    from resolvers.context import Context


def _pk(raw_id: object, type_name: str) -> int | None:
    # A representation is any JSON the caller sent, not a checked argument.
    return decode_id(raw_id, type_name) if isinstance(raw_id, str) else None


def account(ctx: Context, raw_id: str) -> Account | None:
    """`Account` is the signed-in account's own view (its email, its inbox): only the
    caller's id resolves, and without a statement, since the caller is already loaded."""
    viewer = ctx.viewer
    if viewer is None or _pk(raw_id, "Account") != viewer.id:
        return None
    return viewer


async def neighbourhood(ctx: Context, raw_id: str) -> Neighbourhood | None:
    """Any neighbourhood, as `Street.neighbourhood` gives it to anyone; its feed keeps its
    own permission."""
    pk = _pk(raw_id, "Neighbourhood")
    return await ctx.loaders.neighbourhood.load(pk) if pk else None


async def street(ctx: Context, raw_id: str) -> Street | None:
    """Any street, as the public street search gives it."""
    pk = _pk(raw_id, "Street")
    return await ctx.loaders.street.load(pk) if pk else None


async def topic(ctx: Context, slug: str) -> Topic | None:
    """A topic of the caller's city, as `Query.topics` lists them; none for an account
    without a city."""
    viewer = ctx.viewer
    if viewer is None or viewer.city_id is None or not isinstance(slug, str):
        return None
    return await ctx.loaders.topic_by_slug.load((viewer.city_id, slug))


async def post(ctx: Context, raw_id: str) -> Post | None:
    """A post the caller may see, as `Query.post` answers; None for anonymous callers."""
    if ctx.viewer is None or not isinstance(raw_id, str):
        return None
    return await community.post(ctx, raw_id)


async def notification(ctx: Context, raw_id: str) -> Notification | None:
    """One of the caller's own notifications."""
    viewer = ctx.viewer
    pk = _pk(raw_id, "Notification")
    if viewer is None or pk is None:
        return None
    row = await ctx.loaders.notification.load(pk)
    return row if row is not None and row.account_id == viewer.id else None
