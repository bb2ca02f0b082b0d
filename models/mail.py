"""E-mail: the transactional outbox, single-use account tokens, and e-mail preferences."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields

from models.accounts import Account
from models.base import Model
from models.city import Announcement


class MailKind(StrEnum):
    CONFIRM_EMAIL = "CONFIRM_EMAIL"
    PASSWORD_RESET = "PASSWORD_RESET"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    EMAIL_CHANGE_CONFIRM = "EMAIL_CHANGE_CONFIRM"
    EMAIL_CHANGE_NOTICE = "EMAIL_CHANGE_NOTICE"
    ANNOUNCEMENT = "ANNOUNCEMENT"
    # A notification's e-mail (opt-in per PreferenceKind): what happened and a link to the
    # app, never the words someone wrote.
    MODERATION = "MODERATION"
    EVENT_CHANGED = "EVENT_CHANGED"
    PRIVATE_MESSAGE = "PRIVATE_MESSAGE"


class MailStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    # Gave up after the configured number of tries; `last_error` says why.
    FAILED = "FAILED"
    # Not sent on purpose: the recipient unsubscribed or lost their address meanwhile.
    CANCELLED = "CANCELLED"


class OutboxMessage(Model):
    # One e-mail to send. Written in the transaction that causes it; the worker renders it
    # in the recipient's language and sends it. Its Message-ID derives from `id`, so a resend
    # after a crash carries the same one.

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(MailKind, max_length=30)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="outbox_messages", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    # Set when an e-mail goes to one given address (a change of address is confirmed from the
    # new one); null for bulk e-mails, whose address is the account's when sending.
    to_address = fields.CharField(max_length=254, null=True)
    language = fields.CharField(max_length=5)
    announcement: fields.ForeignKeyNullableRelation[Announcement] = fields.ForeignKeyField(
        "quartier.Announcement", related_name="outbox_messages", null=True, on_delete=fields.CASCADE
    )
    announcement_id: int | None
    # What the template needs (a link's token); emptied once sent: no secret outlives its use.
    # A private message's e-mail keeps its ids (conversation, sender; no secret): the next
    # message's e-mail waits for the quiet time after it (resolvers/outbox.py).
    params: Any = fields.JSONField(null=True)
    status = fields.CharEnumField(MailStatus, max_length=10, default=MailStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A worker that claimed the row holds it until then; past it, another may take it over.
    locked_until = fields.DatetimeField(null=True)
    # Which claim holds it: a worker marks only the rows it claimed itself.
    claimed_by = fields.CharField(max_length=32, null=True)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"), ("account_id", "created_at"))


class TokenPurpose(StrEnum):
    CONFIRM_EMAIL = "CONFIRM_EMAIL"
    PASSWORD_RESET = "PASSWORD_RESET"
    CHANGE_EMAIL = "CHANGE_EMAIL"


class AccountToken(Model):
    # A single-use token sent by e-mail; only its SHA-256 is stored.

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="account_tokens", on_delete=fields.CASCADE
    )
    account_id: int
    purpose = fields.CharEnumField(TokenPurpose, max_length=20)
    token_hash = fields.CharField(max_length=64, unique=True)
    # The address being confirmed (registration's, or the new one of a change).
    email = fields.CharField(max_length=254)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_token"
        indexes = (("account_id", "purpose", "created_at"),)


class PreferenceKind(StrEnum):
    CITY_ALERT = "CITY_ALERT"
    CITY_ANNOUNCEMENT = "CITY_ANNOUNCEMENT"
    MODERATION = "MODERATION"
    EVENT_CHANGED = "EVENT_CHANGED"
    PRIVATE_MESSAGE = "PRIVATE_MESSAGE"


# E-mail is opt-in, except city alerts: a resident hears of a water cut unless they said no.
EMAIL_DEFAULTS: dict[PreferenceKind, bool] = {
    PreferenceKind.CITY_ALERT: True,
    PreferenceKind.CITY_ANNOUNCEMENT: False,
    PreferenceKind.MODERATION: False,
    PreferenceKind.EVENT_CHANGED: False,
    PreferenceKind.PRIVATE_MESSAGE: False,
}


class NotificationPreference(Model):
    # A resident's choice for one kind; no row means the kind's default.

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    account_id: int
    kind = fields.CharEnumField(PreferenceKind, max_length=20)
    email = fields.BooleanField()

    class Meta:
        table = "notification_preference"
        unique_together = (("account", "kind"),)
