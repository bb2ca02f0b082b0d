"""Subscriptions: what just happened, over `graphql-transport-ws` at /graphql.

Each event goes through the gates a query would: a new post reaches a subscriber only if the
permission classes of `Neighbourhood.posts` let them read that feed and `post(id)` would give
them the post; a comment only through those of `Post.comments`; messages and notifications
only those of the viewer's own `Account.conversations` and `Account.notifications`. The
fields are then resolved by the same types and permission classes as any query's, so a city
role gets a post's metadata and null content, exactly as from the feed. The gates are read
off those fields, not restated here: a rule changed there changes what subscribers get.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.utils.await_maybe import await_maybe

from permissions import IsAuthenticated, requires
from permissions.errors import BadInput
from permissions.text import tr
from resolvers import broadcast
from resolvers import live as deliveries
from resolvers.loaders import Loaders
from schema.accounts import Account
from schema.city import Notification
from schema.community import Comment, Post
from schema.geography import Neighbourhood
from schema.messaging import Conversation, Message

if TYPE_CHECKING:
    from models.accounts import Account as AccountRow
    from resolvers.broadcast import Live
    from resolvers.context import Context
    from resolvers.live import Prepared


class PerEventExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core 3.3.2 copies a subscription's executor for each event but keeps one memo
    of collected subfields for all of them, keyed by lists made anew at each event: it grew by
    ~30 objects per event and subscriber for as long as the subscription lived (measured with
    1,000 subscribers, and the garbage collector's passes over it took 60 % of a fan-out).
    Each event gets a memo of its own."""

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor


def gates(owner: type, name: str) -> list[BasePermission]:
    """The permission classes a query goes through to read `owner.name`."""
    definition = owner.__strawberry_definition__  # type: ignore[attr-defined]
    field = next(f for f in definition.fields if f.python_name == name)
    return [
        permission
        for extension in field.extensions
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
    ]


FEED = gates(Neighbourhood, "posts")
COMMENTS = gates(Post, "comments")
CONVERSATIONS = gates(Account, "conversations")
INBOX = gates(Account, "notifications")


async def passes(permissions: list[BasePermission], source: Any, info: Info) -> bool:
    for permission in permissions:
        if not await await_maybe(permission.has_permission(source, info)):
            return False
    return True


def _live(info: Info) -> Live:
    live: Live | None = info.context.live
    if live is None:
        raise BadInput(tr("Les abonnements passent par un websocket (graphql-transport-ws)."))
    return live


@strawberry.type(description="A message just sent or received, and its conversation.")
class MessageEvent:
    conversation: Conversation = strawberry.field(
        description="The conversation, as its participant sees it (`unreadCount` is theirs)."
    )
    message: Message = strawberry.field(description="The message. Its two participants only.")


def _viewer(info: Info) -> AccountRow:
    viewer: AccountRow | None = info.context.viewer
    assert viewer is not None  # the connection is signed in (server/live/transport.py)
    return viewer


T = TypeVar("T")
# What a subscriber gets of one event: the object its fields resolve from, or None.
Pick = Callable[[Info, "Context", "Prepared"], Awaitable[T | None]]


def stream(info: Info, topics: list[str], pick: Pick[T]) -> AsyncGenerator[T, None]:
    """The events of these topics that `pick` gives this subscriber, each with a fresh
    start: the account as the session last saw it, and loaders of its own primed with the
    event's rows (nothing cached from an earlier event)."""
    live = _live(info)

    async def events_for_subscriber() -> AsyncGenerator[T, None]:
        async with live.listen(*topics) as incoming:
            async for prepared in incoming:
                context: Context = info.context
                context.viewer = live.viewer
                context.loaders = Loaders(context.viewer)
                prepared.prime(context.loaders)
                picked = await pick(info, context, prepared)
                if picked is not None:
                    yield picked

    return events_for_subscriber()


def new_post(neighbourhood: Neighbourhood) -> Pick[Post]:
    async def pick(info: Info, context: Context, prepared: Prepared) -> Post | None:
        if not await passes(FEED, neighbourhood, info):
            return None
        row = await deliveries.post_for(context, prepared)
        return Post(row=row) if row is not None else None

    return pick


async def new_comment(info: Info, context: Context, prepared: Prepared) -> Comment | None:
    found = await deliveries.comment_for(context, prepared)
    if found is None or not await passes(COMMENTS, Post(row=found[1]), info):
        return None
    return Comment.under(found[1], found[0])


async def new_message(info: Info, context: Context, prepared: Prepared) -> MessageEvent | None:
    found = deliveries.message_for(context, prepared)
    if found is None or not await passes(CONVERSATIONS, Account(row=_viewer(info)), info):
        return None
    message, conversation = found
    return MessageEvent(conversation=Conversation(row=conversation), message=Message(row=message))


async def new_notification(info: Info, context: Context, prepared: Prepared) -> Notification | None:
    row = deliveries.notification_for(context, prepared)
    if row is None or not await passes(INBOX, Account(row=_viewer(info)), info):
        return None
    return Notification(row=row)


@strawberry.type
class CommunitySubscription:
    @strawberry.subscription(
        description="Each new post of the neighbourhood, as its feed shows it to the caller: "
        "neighbours and moderators read it whole, the city's accounts its metadata (content "
        "only if shared with the city); a neighbourhood out of reach is NOT_FOUND.",
        extensions=requires(IsAuthenticated),
    )
    async def post_added(
        self, info: Info, neighbourhood_id: strawberry.ID
    ) -> AsyncGenerator[Post, None]:
        _live(info)
        row = await deliveries.neighbourhood_to_watch(info.context, neighbourhood_id)
        return stream(info, [broadcast.posts_topic(row.id)], new_post(Neighbourhood(row=row)))

    @strawberry.subscription(
        description="Each new comment under the post, for whoever may read its comments "
        "(neighbours, moderators; the city's accounts only under a post shared with them); a "
        "post out of reach is NOT_FOUND.",
        extensions=requires(IsAuthenticated),
    )
    async def comment_added(
        self, info: Info, post_id: strawberry.ID
    ) -> AsyncGenerator[Comment, None]:
        _live(info)
        watched = await deliveries.post_to_watch(info.context, post_id)
        return stream(info, [broadcast.comments_topic(watched.id)], new_comment)

    @strawberry.subscription(
        description="Every message the caller sends or receives, in any of their "
        "conversations. Its two participants only.",
        extensions=requires(IsAuthenticated),
    )
    async def message_added(self, info: Info) -> AsyncGenerator[MessageEvent, None]:
        return stream(info, [broadcast.messages_topic(_viewer(info).id)], new_message)


@strawberry.type
class CitySubscription:
    @strawberry.subscription(
        description="Each new notification of the caller: an announcement of their city aimed "
        "at them, a moderation decision about their content. Their own only.",
        extensions=requires(IsAuthenticated),
    )
    async def notification_added(self, info: Info) -> AsyncGenerator[Notification, None]:
        viewer = _viewer(info)
        topics = [broadcast.notifications_topic(viewer.id)]
        if viewer.city_id is not None:
            topics.append(broadcast.announcements_topic(viewer.city_id))
        return stream(info, topics, new_notification)
