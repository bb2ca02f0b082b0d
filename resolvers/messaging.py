"""Private conversations between two residents of one neighbourhood."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, Role
from models.community import Post
from models.messaging import Conversation, ConversationParticipant, Message
from permissions.errors import BadInput, Unauthenticated
from permissions.text import tr
from permissions.visibility import HiddenContent, can_use_private_messages
from resolvers import outbox, photos
from resolvers.broadcast import MessageAdded
from resolvers.community import can_view_post, require_writer
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import decode_id
from resolvers.pagination import (
    OLDEST_FIRST,
    Order,
    Page,
    keyset_page,
    keyset_page_backward,
)
from resolvers.rate_limits import Action, enforce
from resolvers.validation import Checks

MESSAGE_MAX = 5_000
MESSAGES_PAGE = 50
BY_LAST_MESSAGE = Order("last_message_at")


def pair_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


async def conversations(ctx: Context, first: int | None, after: str | None) -> Page[Conversation]:
    assert ctx.viewer is not None
    if not can_use_private_messages(ctx.viewer):
        return Page.empty()
    qs = Conversation.filter(participants__account_id=ctx.viewer.id)
    return await keyset_page(qs, first, after, BY_LAST_MESSAGE)


async def conversation(ctx: Context, raw_id: str) -> Conversation | None:
    """The conversation if the caller takes part in it; None alike otherwise."""
    if ctx.viewer is None:
        raise Unauthenticated()
    pk = decode_id(raw_id, "Conversation")
    if pk is None or not can_use_private_messages(ctx.viewer):
        return None
    return await Conversation.get_or_none(id=pk, participants__account_id=ctx.viewer.id)


async def messages(
    ctx: Context,
    conversation: Conversation,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Page[Message]:
    """Newest first with `first`/`after`; with `last`/`before`, the newest messages in the
    order a chat shows them, paging back in time: both directions use the same cursors."""
    qs = Message.filter(HiddenContent(ctx.viewer).q("sender_id"), conversation_id=conversation.id)
    if last is None and before is None:
        return await keyset_page(qs, MESSAGES_PAGE if first is None else first, after)
    if first is not None or after is not None:
        raise BadInput(tr("`first`/`after` et `last`/`before` ne vont pas ensemble."))
    return await keyset_page_backward(qs, last, before, OLDEST_FIRST, default=MESSAGES_PAGE)


async def send_message(
    ctx: Context,
    *,
    recipient_id: str,
    body: str,
    about_post_id: str | None,
    photo_id: str | None = None,
) -> tuple[Message, Conversation]:
    sender = await require_writer(ctx)
    await enforce(ctx, Action.MESSAGE)
    checks = Checks()
    recipient_pk = checks.person("recipientId", recipient_id)
    post_pk = checks.global_id("aboutPostId", about_post_id, "Post") if about_post_id else None
    body = checks.text("body", body, max_length=MESSAGE_MAX, multiline=True)
    photo = await photos.chosen_photos(
        checks,
        sender,
        [photo_id] if photo_id is not None else None,
        field="photoId",
        limit=photos.MAX_MESSAGE_PHOTOS,
    )
    checks.raise_if_any()
    if recipient_pk == sender.id:
        raise fail(
            "recipientId", ErrorCode.CANNOT_MESSAGE_SELF, tr("Vous ne pouvez pas vous écrire.")
        )
    recipient = await Account.get_or_none(
        id=recipient_pk, role=Role.RESIDENT, neighbourhood_id=sender.neighbourhood_id
    )
    if recipient is None or not can_use_private_messages(recipient):
        raise fail("recipientId", ErrorCode.NOT_FOUND, tr("Voisin introuvable."))
    if post_pk is not None:
        about = await ctx.loaders.post.load(post_pk)
        if about is None or not await can_view_post(sender, about, ctx):
            raise fail("aboutPostId", ErrorCode.NOT_FOUND, tr("Publication introuvable."))
    moment = now()
    async with in_transaction():
        thread = await _conversation_between(sender, recipient, moment)
        message = await Message.create(
            conversation_id=thread.id,
            sender_id=sender.id,
            about_post_id=post_pk,
            body=body,
            created_at=moment,
        )
        await Conversation.filter(id=thread.id).update(last_message_at=moment)
        await ConversationParticipant.filter(
            conversation_id=thread.id, account_id=recipient.id
        ).update(unread_count=F("unread_count") + 1)
        await outbox.enqueue_message_notice(recipient.id, thread.id, sender.id)
        if photo and not await photos.attach(sender.id, photo, message_id=message.id):
            raise photos.taken("photoId")
    await ctx.publisher.publish(MessageAdded(message.id, thread.id, (sender.id, recipient.id)))
    return message, thread


async def _conversation_between(
    sender: Account, recipient: Account, moment: datetime
) -> Conversation:
    key = pair_key(sender.id, recipient.id)
    existing = await Conversation.get_or_none(pair_key=key)
    if existing is not None:
        return existing
    try:
        async with in_transaction():
            thread = await Conversation.create(
                neighbourhood_id=sender.neighbourhood_id,
                pair_key=key,
                created_at=moment,
                last_message_at=moment,
            )
            await ConversationParticipant.bulk_create(
                [
                    ConversationParticipant(conversation_id=thread.id, account_id=sender.id),
                    ConversationParticipant(conversation_id=thread.id, account_id=recipient.id),
                ]
            )
            return thread
    except IntegrityError:
        # The neighbour opened the same conversation at the same moment.
        return await Conversation.get(pair_key=key)


async def about_post(ctx: Context, message: Message) -> Post | None:
    """The post a message is about, if the caller may still see it."""
    if message.about_post_id is None:
        return None
    row = await ctx.loaders.post.load(message.about_post_id)
    return row if row is not None and await can_view_post(ctx.viewer, row, ctx) else None


async def mark_read(ctx: Context, *, conversation_id: str) -> Conversation:
    assert ctx.viewer is not None
    checks = Checks()
    pk = checks.global_id("conversationId", conversation_id, "Conversation")
    checks.raise_if_any()
    thread = await Conversation.get_or_none(id=pk, participants__account_id=ctx.viewer.id)
    if thread is None:
        raise fail("conversationId", ErrorCode.NOT_FOUND, tr("Conversation introuvable."))
    await ConversationParticipant.filter(
        conversation_id=thread.id, account_id=ctx.viewer.id
    ).update(unread_count=0, last_read_at=now())
    ctx.loaders.participants.clear(thread.id)
    return thread
