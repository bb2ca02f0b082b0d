"""What each subscription delivers.

When a client subscribes, the thing it watches is found the way a query finds it (out of reach
answers like unknown: NOT_FOUND). When an event arrives, each process loads its rows once for
all of its subscribers (`prepare`), each subscriber's fresh loaders are primed with them, and
whether that subscriber gets the event is decided by the same rules as a query
(`can_view_post`, hidden content for its author and moderators only); the fields are then
resolved with the same permission classes as any query's (schema/live.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.accounts import Account
from models.city import Notification
from models.community import Comment, Post, PostTopic, Topic
from models.geography import Neighbourhood
from models.messaging import Conversation, ConversationParticipant, Message
from permissions.errors import NotFound
from permissions.text import tr
from permissions.visibility import HiddenContent
from resolvers import community, geography
from resolvers.broadcast import (
    AnnouncementPublished,
    CommentAdded,
    Event,
    MessageAdded,
    NotificationAdded,
    PostAdded,
)

if TYPE_CHECKING:
    from resolvers.context import Context
    from resolvers.loaders import Loaders


# --- what a subscription watches ---------------------------------------------------------


async def neighbourhood_to_watch(ctx: Context, raw_id: str) -> Neighbourhood:
    row = await geography.neighbourhood(ctx, raw_id)
    if row is None:
        raise NotFound(tr("Quartier introuvable."))
    return row


async def post_to_watch(ctx: Context, raw_id: str) -> Post:
    row = await community.post(ctx, raw_id)
    if row is None:
        raise NotFound(tr("Publication introuvable."))
    return row


# --- an event, loaded once per process -----------------------------------------------------


@dataclass
class Prepared:
    """The rows of one event, shared by every subscriber of this process (read only)."""

    accounts: list[Account] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    topics: dict[int, list[Topic]] = field(default_factory=dict)
    neighbourhoods: list[Neighbourhood] = field(default_factory=list)
    participants: dict[int, list[ConversationParticipant]] = field(default_factory=dict)
    comment: Comment | None = None
    message: Message | None = None
    conversation: Conversation | None = None
    # account id -> its notification: a moderation decision, or an announcement's fan-out.
    notifications: dict[int, Notification] = field(default_factory=dict)

    def prime(self, loaders: Loaders) -> None:
        """What the subscriber's fields will load, already loaded."""
        for account in self.accounts:
            loaders.account.prime(account.id, account)
        for post in self.posts:
            loaders.post.prime(post.id, post)
        for post_id, topics in self.topics.items():
            loaders.topics_by_post.prime(post_id, topics)
        for neighbourhood in self.neighbourhoods:
            loaders.neighbourhood.prime(neighbourhood.id, neighbourhood)
        for conversation_id, rows in self.participants.items():
            loaders.participants.prime(conversation_id, rows)


async def _post_rows(prepared: Prepared, post_id: int) -> Post | None:
    post = await Post.get_or_none(id=post_id).select_related("author", "neighbourhood")
    if post is None:
        return None
    prepared.posts.append(post)
    prepared.accounts.append(post.author)
    prepared.neighbourhoods.append(post.neighbourhood)
    links = await PostTopic.filter(post_id=post.id).select_related("topic")
    prepared.topics[post.id] = sorted((link.topic for link in links), key=lambda t: t.slug)
    return post


async def prepare(event: Event, account_ids: Collection[int]) -> Prepared:
    """The event's rows, in a few statements whatever the number of subscribers;
    `account_ids` are this process's subscribers to the event's topic."""
    prepared = Prepared()
    if isinstance(event, PostAdded):
        await _post_rows(prepared, event.post_id)
    elif isinstance(event, CommentAdded):
        comment = await Comment.get_or_none(id=event.comment_id).select_related("author")
        if comment is not None:
            prepared.comment = comment
            prepared.accounts.append(comment.author)
            await _post_rows(prepared, comment.post_id)
    elif isinstance(event, MessageAdded):
        await _message_rows(prepared, event)
    elif isinstance(event, NotificationAdded):
        rows = await Notification.filter(id=event.notification_id)
        prepared.notifications = {row.account_id: row for row in rows}
    elif isinstance(event, AnnouncementPublished) and account_ids:
        rows = await Notification.filter(
            announcement_id=event.announcement_id, account_id__in=set(account_ids)
        )
        prepared.notifications = {row.account_id: row for row in rows}
    return prepared


async def _message_rows(prepared: Prepared, event: MessageAdded) -> None:
    message = await Message.get_or_none(id=event.message_id).select_related(
        "sender", "conversation"
    )
    if message is None:
        return
    prepared.message = message
    prepared.conversation = message.conversation
    prepared.accounts.append(message.sender)
    rows = await ConversationParticipant.filter(
        conversation_id=message.conversation_id
    ).select_related("account")
    prepared.participants[message.conversation_id] = sorted(rows, key=lambda p: p.account_id)


# --- an event, for one subscriber ----------------------------------------------------------


def _hidden_from(viewer: Account, hidden_at: object, author_id: int) -> bool:
    """Hidden content stays visible to moderators and its own author, as in every query."""
    return hidden_at is not None and not HiddenContent(viewer).sees(author_id)


async def post_for(ctx: Context, prepared: Prepared) -> Post | None:
    """The new post, if `post(id)` would give it to this subscriber."""
    post = prepared.posts[0] if prepared.posts else None
    if post is None or not await community.can_view_post(ctx.viewer, post, ctx):
        return None
    return post


async def comment_for(ctx: Context, prepared: Prepared) -> tuple[Comment, Post] | None:
    """The new comment and its post, if this subscriber holds the post and the comment is
    not hidden from them."""
    comment, post = prepared.comment, await post_for(ctx, prepared)
    viewer = ctx.viewer
    if comment is None or post is None or viewer is None or comment.deleted_at is not None:
        return None
    if _hidden_from(viewer, comment.hidden_at, comment.author_id):
        return None
    return comment, post


def message_for(ctx: Context, prepared: Prepared) -> tuple[Message, Conversation] | None:
    """The new message and its conversation, for its two participants only."""
    message, conversation, viewer = prepared.message, prepared.conversation, ctx.viewer
    if message is None or conversation is None or viewer is None:
        return None
    members = prepared.participants.get(conversation.id, [])
    if viewer.id not in {p.account_id for p in members}:
        return None
    if _hidden_from(viewer, message.hidden_at, message.sender_id):
        return None
    return message, conversation


def notification_for(ctx: Context, prepared: Prepared) -> Notification | None:
    """The subscriber's own notification in the event, if there is one."""
    viewer = ctx.viewer
    return prepared.notifications.get(viewer.id) if viewer is not None else None
