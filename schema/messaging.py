"""Private conversations between neighbours."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models import messaging as models
from permissions import IsAuthenticated, IsResident, requires
from resolvers import messaging
from resolvers.ids import to_global_id
from schema.accounts import Account, Resident
from schema.base import Connection, Hideable, Node, UserError, attempt, contribute
from schema.community import Post
from schema.media import Photo


@strawberry.type(
    description="A private message. Only its conversation's participants reach it, and "
    "moderators once it is reported."
)
class Message(Hideable, Node):
    row: strawberry.Private[models.Message]

    @classmethod
    def from_model(cls, row: models.Message) -> Message:
        return cls(row=row)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Message", self.row.id))

    @strawberry.field
    def body(self) -> str | None:
        return self.row.body

    @strawberry.field
    async def sender(self, info: Info) -> Resident | None:
        return Resident(row=await info.context.loaders.account.load(self.row.sender_id))

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Its photo, if it has one.")
    async def photo(self, info: Info) -> Photo | None:
        row = await info.context.loaders.photo_by_message.load(self.row.id)
        return Photo(row=row) if row else None

    @strawberry.field(description="The post the message is about, if the caller may still see it.")
    async def about_post(self, info: Info) -> Post | None:
        row = await messaging.about_post(info.context, self.row)
        return Post(row=row) if row else None


@strawberry.type(
    description="A private conversation between two neighbours. Only its participants reach it."
)
class Conversation(Node):
    row: strawberry.Private[models.Conversation]

    @classmethod
    def from_model(cls, row: models.Conversation) -> Conversation:
        return cls(row=row)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Conversation", self.row.id))

    @strawberry.field
    async def participants(self, info: Info) -> list[Resident]:
        rows = await info.context.loaders.participants.load(self.row.id)
        return [Resident(row=p.account) for p in rows]

    @strawberry.field(description="Messages received since the last read (`markConversationRead`).")
    async def unread_count(self, info: Info) -> int:
        rows = await info.context.loaders.participants.load(self.row.id)
        viewer_id = info.context.viewer.id if info.context.viewer else None
        return next((p.unread_count for p in rows if p.account_id == viewer_id), 0)

    @strawberry.field
    async def last_message(self, info: Info) -> Message | None:
        row = await info.context.loaders.last_message.load(self.row.id)
        return Message(row=row) if row else None

    @strawberry.field(
        description="Messages. With `first`/`after` (the default, 50), newest first, `after` "
        "paging towards older ones. With `last`/`before`, as a chat shows them: the newest "
        "`last` messages, oldest first, and `before` (a page's `startCursor`) pages towards "
        "older ones, `hasPreviousPage` saying whether any remain. Either pair, not both "
        "(BAD_USER_INPUT); at most 100."
    )
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Message]:
        page = await messaging.messages(info.context, self.row, first, after, last, before)
        return Connection.of(page, Message.from_model)


@strawberry.type
class AccountConversations:
    """What messaging adds to `Account`."""

    @strawberry.field(description="Private conversations, the most recently active first.")
    async def conversations(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Conversation]:
        page = await messaging.conversations(info.context, first, after)
        return Connection.of(page, Conversation.from_model)


contribute(Account, AccountConversations)


@strawberry.input
class SendMessageInput:
    recipient_id: strawberry.ID
    body: str
    about_post_id: strawberry.ID | None = None
    photo_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the sender's uploads (`POST /media`)."
    )


@strawberry.input
class MarkConversationReadInput:
    conversation_id: strawberry.ID


@strawberry.type
class SendMessagePayload:
    message: Message | None = None
    conversation: Conversation | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MarkConversationReadPayload:
    conversation: Conversation | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MessagingQuery:
    @strawberry.field(
        description="A conversation of the signed-in account; null otherwise.",
        extensions=requires(IsAuthenticated),
    )
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        row = await messaging.conversation(info.context, id)
        return Conversation(row=row) if row else None


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(
        description="Write to a neighbour of the same neighbourhood, possibly about a post.",
        extensions=requires(IsResident),
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        action = messaging.send_message(
            info.context,
            recipient_id=input.recipient_id,
            body=input.body,
            about_post_id=input.about_post_id,
            photo_id=input.photo_id,
        )
        return await attempt(
            action,
            lambda r: SendMessagePayload(
                message=Message(row=r[0]), conversation=Conversation(row=r[1])
            ),
            lambda errors: SendMessagePayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Reset one's unread count of a conversation (participants).",
        extensions=requires(IsResident),
    )
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> MarkConversationReadPayload:
        return await attempt(
            messaging.mark_read(info.context, conversation_id=input.conversation_id),
            lambda row: MarkConversationReadPayload(conversation=Conversation(row=row)),
            lambda errors: MarkConversationReadPayload(user_errors=errors),
        )
