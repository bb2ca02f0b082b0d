"""What the API announces once a write has committed, and the publisher resolvers hand it to.

An event names rows by id and nothing else: each subscriber loads what it may see itself, with
its own permissions (resolvers/live.py). So an event says nothing a subscriber could not read,
and one lost on the way costs a client a refetch, never a leak.

Resolvers publish after their transaction has committed, never inside it: a post rolled back
is never announced. `Publisher.publish` refuses to run inside a transaction.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tortoise.backends.base.client import TransactionalDBClient

from resolvers.sql import connection

if TYPE_CHECKING:
    from models.accounts import Account


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]

    def topics(self) -> tuple[str, ...]:
        raise NotImplementedError

    def encode(self) -> str:
        return json.dumps({"kind": self.kind, **asdict(self)}, separators=(",", ":"))


@dataclass(frozen=True)
class PostAdded(Event):
    kind = "post"
    post_id: int
    neighbourhood_id: int

    def topics(self) -> tuple[str, ...]:
        return (posts_topic(self.neighbourhood_id),)


@dataclass(frozen=True)
class CommentAdded(Event):
    kind = "comment"
    comment_id: int
    post_id: int

    def topics(self) -> tuple[str, ...]:
        return (comments_topic(self.post_id),)


@dataclass(frozen=True)
class MessageAdded(Event):
    kind = "message"
    message_id: int
    conversation_id: int
    participant_ids: tuple[int, ...]

    def topics(self) -> tuple[str, ...]:
        return tuple(messages_topic(account_id) for account_id in self.participant_ids)


@dataclass(frozen=True)
class NotificationAdded(Event):
    """One notification to one account (a moderation decision about their content)."""

    kind = "notification"
    notification_id: int
    account_id: int

    def topics(self) -> tuple[str, ...]:
        return (notifications_topic(self.account_id),)


@dataclass(frozen=True)
class AnnouncementPublished(Event):
    """An announcement's notifications, fanned out to thousands at once: one event for the
    city, and each worker finds the notifications of its own subscribers in one statement."""

    kind = "announcement"
    announcement_id: int
    city_id: int

    def topics(self) -> tuple[str, ...]:
        return (announcements_topic(self.city_id),)


@dataclass(frozen=True)
class SessionChanged(Event):
    """The account's tokens, suspension or verification changed: its open connections are
    checked again at once (closed, or given the account as it now is)."""

    kind = "session"
    account_id: int

    def topics(self) -> tuple[str, ...]:
        return (SESSIONS_TOPIC,)


SESSIONS_TOPIC = "sessions"


def posts_topic(neighbourhood_id: int) -> str:
    return f"posts:{neighbourhood_id}"


def comments_topic(post_id: int) -> str:
    return f"comments:{post_id}"


def messages_topic(account_id: int) -> str:
    return f"messages:{account_id}"


def notifications_topic(account_id: int) -> str:
    return f"notifications:{account_id}"


def announcements_topic(city_id: int) -> str:
    return f"announcements:{city_id}"


KINDS: dict[str, type[Event]] = {
    kind.kind: kind
    for kind in (
        PostAdded,
        CommentAdded,
        MessageAdded,
        NotificationAdded,
        AnnouncementPublished,
        SessionChanged,
    )
}


def decode(raw: str | bytes) -> Event | None:
    """The event, or None for anything that is not one (a foreign message on the channel)."""
    try:
        data = json.loads(raw)
        kind = KINDS[data.pop("kind")]
        if kind is MessageAdded:
            data["participant_ids"] = tuple(data["participant_ids"])
        event = kind(**data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    values = [
        v
        for value in asdict(event).values()
        for v in (value if isinstance(value, tuple) else (value,))
    ]
    return event if all(type(v) is int for v in values) else None


class Sink(Protocol):
    """Where published events go: a broker (server/live/broker.py)."""

    async def send(self, event: Event) -> None: ...


class PublishedInTransactionError(RuntimeError):
    """A resolver tried to announce a write before its transaction committed."""


class Publisher:
    """What resolvers call after a write commits (`await ctx.publisher.publish(event)`)."""

    def __init__(self, sink: Sink | None) -> None:
        # None: a context without live updates (a script, a test building its own context).
        self.sink = sink

    async def publish(self, *events: Event) -> None:
        if self.sink is None:
            return
        if isinstance(connection(), TransactionalDBClient):
            raise PublishedInTransactionError("events are published after the commit")
        for event in events:
            await self.sink.send(event)


NO_PUBLISHER = Publisher(None)


class Live(Protocol):
    """A subscriber's side of the live updates: the websocket connection the subscription
    runs on (server/live/transport.py)."""

    @property
    def viewer(self) -> Account | None:
        """The account as the session last checked it (verification may have changed it)."""

    def listen(self, *topics: str) -> AbstractAsyncContextManager[AsyncIterator[Any]]:
        """The events of these topics, prepared once per process for all their subscribers."""
