"""`node(id:)` and `nodes(ids:)`: any object by its global ID, when the caller could hold it.

An object is in reach when one of the paths that already lead to it would give it to the
caller: a post as `post(id:)` answers, a comment as its post's `comments`, a resident as the
author of something the caller reads or the other participant of their conversation. Out of
reach answers like unknown: null. Each fetcher reuses the rule its path states (permissions/,
`can_view_post`, `can_view_announcement`) and reads through the request's loaders, so `nodes`
over a hundred ids of one type costs the statements of one. Holding an object grants no field:
each field still applies its own permission.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from models.accounts import VerificationLetter
from models.city import Announcement, Consultation, ConsultationOption
from models.community import Comment, Topic
from models.media import Photo
from models.messaging import Conversation, Message
from models.moderation import Appeal, Report
from permissions.errors import BadInput
from permissions.roles import is_staff
from permissions.text import tr
from permissions.visibility import (
    HiddenContent,
    can_read_post_content,
    can_use_private_messages,
    can_view_city,
    is_owner_or_staff,
)
from resolvers.announcements import can_view_announcement
from resolvers.community import can_view_post
from resolvers.context import Context
from resolvers.ids import parse_global_id
from resolvers.reach import resident_reach

MAX_IDS = 100


@dataclass(frozen=True)
class Found:
    """An object in reach; `shared_with_city` when the city reaches it through a post its
    author shared with the city (its content fields then answer the city)."""

    type_name: str
    row: Any
    shared_with_city: bool = False


@dataclass(frozen=True)
class Shared:
    """What a fetcher answers when reach depends on a post's sharing: the row, and whether
    the city reaches it through a post its author shared with the city."""

    row: Any
    with_city: bool


# A type's fetcher: the row in reach (or Shared), or None.
Fetch = Callable[[Context, int], Awaitable[Any]]


async def account(ctx: Context, pk: int) -> Any:
    """`Account` is the signed-in account's own view: the caller's id alone."""
    viewer = ctx.viewer
    return viewer if viewer is not None and viewer.id == pk else None


async def resident(ctx: Context, pk: int) -> Any:
    shared = await resident_reach(ctx).load(pk)
    if shared is None:
        return None
    return Shared(await ctx.loaders.account.load(pk), shared)


async def letter(ctx: Context, pk: int) -> Any:
    return await ctx.loaders.by_id(VerificationLetter).load(pk) if is_staff(ctx.viewer) else None


async def city(ctx: Context, pk: int) -> Any:
    """As `city(id:)`: the caller's own city; moderators, who belong to none, any."""
    return await ctx.loaders.city.load(pk) if can_view_city(ctx.viewer, pk) else None


async def neighbourhood(ctx: Context, pk: int) -> Any:
    """Any neighbourhood, as the public street search gives it; its feed and counts keep
    their own permissions."""
    return await ctx.loaders.neighbourhood.load(pk)


async def street(ctx: Context, pk: int) -> Any:
    """Any street, as the public street search gives it."""
    return await ctx.loaders.street.load(pk)


async def topic(ctx: Context, pk: int) -> Any:
    """A topic of the caller's city, as `topics` lists them; moderators read every city's
    posts and so their topics."""
    row = await ctx.loaders.by_id(Topic).load(pk)
    return row if row is not None and can_view_city(ctx.viewer, row.city_id) else None


async def post(ctx: Context, pk: int) -> Any:
    """As `post(id:)`."""
    row = await ctx.loaders.post.load(pk)
    return row if row is not None and await can_view_post(ctx.viewer, row, ctx) else None


async def comment(ctx: Context, pk: int) -> Any:
    """As its post's `comments` give it (hidden: to its author only), or the report queue
    to moderators."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    row = await ctx.loaders.by_id(Comment).load(pk)
    if row is None or row.deleted_at is not None:
        return None
    if is_staff(viewer):
        return row
    if row.hidden_at is not None and not HiddenContent(viewer).sees(row.author_id):
        return None
    parent = await ctx.loaders.post.load(row.post_id)
    if parent is None or not await can_view_post(viewer, parent, ctx):
        return None
    if not can_read_post_content(viewer, parent):
        return None
    return Shared(row, bool(parent.share_with_city))


async def conversation(ctx: Context, pk: int) -> Any:
    """As `conversation(id:)`: its participants only, verified residents."""
    viewer = ctx.viewer
    if viewer is None or not can_use_private_messages(viewer):
        return None
    row, members = await asyncio.gather(
        ctx.loaders.by_id(Conversation).load(pk), ctx.loaders.participants.load(pk)
    )
    return row if any(p.account_id == viewer.id for p in members) else None


async def message(ctx: Context, pk: int) -> Any:
    """As its conversation's `messages` give it (hidden: to its sender only), or the report
    queue to moderators once someone reported it."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    row = await ctx.loaders.by_id(Message).load(pk)
    if row is None:
        return None
    if is_staff(viewer):
        return row if await ctx.loaders.reported_message.load(pk) else None
    if not can_use_private_messages(viewer):
        return None
    if row.hidden_at is not None and not HiddenContent(viewer).sees(row.sender_id):
        return None
    members = await ctx.loaders.participants.load(row.conversation_id)
    return row if any(p.account_id == viewer.id for p in members) else None


async def photo(ctx: Context, pk: int) -> Any:
    """As its post's `photos` or its message's `photo` give it; an upload not attached yet,
    to its owner."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    row = await ctx.loaders.by_id(Photo).load(pk)
    if row is None or row.deleted_at is not None:
        return None
    if row.post_id is not None:
        parent = await post(ctx, row.post_id)
        readable = parent is not None and can_read_post_content(viewer, parent)
        return row if readable else None
    if row.message_id is not None:
        return row if await message(ctx, row.message_id) is not None else None
    return row if row.owner_id == viewer.id else None


async def notification(ctx: Context, pk: int) -> Any:
    """One of the caller's own notifications."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    row = await ctx.loaders.notification.load(pk)
    return row if row is not None and row.account_id == viewer.id else None


async def announcement(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.by_id(Announcement).load(pk)
    return row if row is not None and await can_view_announcement(ctx, row) else None


async def consultation(ctx: Context, pk: int) -> Any:
    """As `consultation(id:)`: when its announcement is in reach."""
    row = await ctx.loaders.by_id(Consultation).load(pk)
    return row if row is not None and await announcement(ctx, row.announcement_id) else None


async def consultation_option(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.by_id(ConsultationOption).load(pk)
    return row if row is not None and await consultation(ctx, row.consultation_id) else None


async def report(ctx: Context, pk: int) -> Any:
    """Moderators' queue, and the reporter's own (their `reportContent` answer)."""
    row = await ctx.loaders.by_id(Report).load(pk)
    return row if row is not None and is_owner_or_staff(ctx.viewer, row.reporter_id) else None


async def moderation_action(ctx: Context, pk: int) -> Any:
    """The moderation log is the moderators' alone."""
    return await ctx.loaders.moderation_action.load(pk) if is_staff(ctx.viewer) else None


async def appeal(ctx: Context, pk: int) -> Any:
    """Moderators' list, and the appellant's own (their `appealModeration` answer)."""
    row = await ctx.loaders.by_id(Appeal).load(pk)
    return row if row is not None and is_owner_or_staff(ctx.viewer, row.account_id) else None


FETCHERS: dict[str, Fetch] = {
    "Account": account,
    "Resident": resident,
    "VerificationLetter": letter,
    "City": city,
    "Neighbourhood": neighbourhood,
    "Street": street,
    "Topic": topic,
    "Post": post,
    "Comment": comment,
    "Conversation": conversation,
    "Message": message,
    "Notification": notification,
    "Photo": photo,
    "Announcement": announcement,
    "Consultation": consultation,
    "ConsultationOption": consultation_option,
    "Report": report,
    "ModerationAction": moderation_action,
    "Appeal": appeal,
}


async def find(ctx: Context, raw_id: str) -> Found | None:
    """The object `raw_id` names, if the caller may hold it."""
    parsed = parse_global_id(raw_id)
    if parsed is None:
        return None
    type_name, pk = parsed
    fetch = FETCHERS.get(type_name)
    if fetch is None:
        return None
    found = await fetch(ctx, pk)
    if found is None:
        return None
    if isinstance(found, Shared):
        return Found(type_name, found.row, found.with_city)
    return Found(type_name, found)


async def find_many(ctx: Context, raw_ids: Sequence[str]) -> list[Found | None]:
    """Each id's object or None, in order; at most MAX_IDS, together, so loaders batch."""
    if len(raw_ids) > MAX_IDS:
        raise BadInput(tr("`ids` compte {max_ids} identifiants au maximum.", max_ids=MAX_IDS))
    return list(await asyncio.gather(*(find(ctx, raw) for raw in raw_ids)))
