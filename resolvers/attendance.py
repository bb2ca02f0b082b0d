"""Saying one comes to an event, or no longer comes."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.community import Post, PostKind
from models.events import Event, EventAttendee
from permissions.text import tr
from resolvers.community import require_writer, visible_post_for_write
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail


async def _event_for_attendance(ctx: Context, post_id: str) -> tuple[Post, Event]:
    target = await visible_post_for_write(ctx, post_id)
    event = await Event.get_or_none(post_id=target.id)
    if target.kind is not PostKind.EVENT or event is None:
        raise fail(
            "postId", ErrorCode.NOT_AN_EVENT, tr("Cette publication n'est pas un événement.")
        )
    return target, event


async def attend(ctx: Context, *, post_id: str) -> Post:
    viewer = await require_writer(ctx)
    target, event = await _event_for_attendance(ctx, post_id)
    if (event.ends_at or event.starts_at) <= now():
        raise fail("postId", ErrorCode.EVENT_OVER, tr("Cet événement est terminé."))
    try:
        async with in_transaction():
            await EventAttendee.create(event_id=event.id, account_id=viewer.id, created_at=now())
            await Event.filter(id=event.id).update(attendee_count=F("attendee_count") + 1)
    except IntegrityError:
        pass  # already coming: saying it twice changes nothing
    ctx.loaders.viewer_attends.clear(target.id)
    ctx.loaders.event.clear(target.id)
    return target


async def leave(ctx: Context, *, post_id: str) -> Post:
    viewer = await require_writer(ctx)
    target, event = await _event_for_attendance(ctx, post_id)
    async with in_transaction():
        removed = await EventAttendee.filter(event_id=event.id, account_id=viewer.id).delete()
        if removed:
            await Event.filter(id=event.id).update(attendee_count=F("attendee_count") - 1)
    ctx.loaders.viewer_attends.clear(target.id)
    ctx.loaders.event.clear(target.id)
    return target


async def forget(account_id: int) -> None:
    """An erased account no longer comes to any event (inside the caller's transaction)."""
    events = await EventAttendee.filter(account_id=account_id).values_list("event_id", flat=True)
    for event_id in events:
        await Event.filter(id=event_id).update(attendee_count=F("attendee_count") - 1)
    await EventAttendee.filter(account_id=account_id).delete()
