"""Private conversations between two neighbours."""

from __future__ import annotations

from tortoise import fields

from models.accounts import Account
from models.base import Model
from models.community import Post
from models.geography import Neighbourhood


class Conversation(Model):
    id = fields.IntField(primary_key=True)
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="conversations", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int
    # "smaller-id:larger-id": one conversation per pair, enforced by the database.
    pair_key = fields.CharField(max_length=40, unique=True)
    created_at = fields.DatetimeField()
    last_message_at = fields.DatetimeField()

    class Meta:
        table = "conversation"


class ConversationParticipant(Model):
    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "quartier.Conversation", related_name="participants", on_delete=fields.CASCADE
    )
    conversation_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="conversation_memberships", on_delete=fields.CASCADE
    )
    account_id: int
    last_read_at = fields.DatetimeField(null=True)
    # Messages from the other side since this participant last read; kept on the row so a
    # conversation list needs no COUNT per conversation.
    unread_count = fields.IntField(default=0)

    class Meta:
        table = "conversation_participant"
        unique_together = (("conversation", "account"),)
        indexes = (("account_id", "conversation_id"),)


class Message(Model):
    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "quartier.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    conversation_id: int
    sender: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="sent_messages", on_delete=fields.RESTRICT
    )
    sender_id: int
    about_post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "quartier.Post", related_name="messages_about", null=True, on_delete=fields.SET_NULL
    )
    about_post_id: int | None
    body = fields.TextField()
    created_at = fields.DatetimeField()
    hidden_at = fields.DatetimeField(null=True)
    # Shown to the author beside the hidden content; set with hidden_at.
    hidden_reason = fields.TextField(null=True)

    class Meta:
        table = "message"
        indexes = (("conversation_id", "created_at", "id"),)
