"""The transactional outbox: e-mails are rows written in the transaction that causes them,
so a rolled-back registration or announcement sends nothing, and a committed one always
does (the worker, server/mail/, sends and retries). Called inside `in_transaction()`."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.timezone import now

from models.accounts import Account
from models.city import Announcement, AnnouncementKind
from models.mail import (
    EMAIL_DEFAULTS,
    AccountToken,
    MailKind,
    MailStatus,
    NotificationPreference,
    OutboxMessage,
    PreferenceKind,
    TokenPurpose,
)
from models.messaging import ConversationParticipant
from resolvers.sql import Params, connection


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def issue_token(account: Account, purpose: TokenPurpose, email: str, ttl: timedelta) -> str:
    """A single-use token for a link; only its hash is kept. Returns the raw token."""
    raw = secrets.token_urlsafe(32)
    moment = now()
    await AccountToken.create(
        account_id=account.id,
        purpose=purpose,
        token_hash=hash_secret(raw),
        email=email,
        created_at=moment,
        expires_at=moment + ttl,
    )
    return raw


async def enqueue(
    kind: MailKind, account: Account, to_address: str, params: dict[str, Any] | None = None
) -> OutboxMessage:
    moment = now()
    return await OutboxMessage.create(
        kind=kind,
        account_id=account.id,
        to_address=to_address,
        language=account.language,
        params=params,
        next_attempt_at=moment,
        created_at=moment,
    )


def preference_for(kind: AnnouncementKind) -> PreferenceKind:
    return (
        PreferenceKind.CITY_ALERT
        if kind is AnnouncementKind.ALERT
        else PreferenceKind.CITY_ANNOUNCEMENT
    )


# Notifications' e-mails and the preference that each depends on.
NOTICE_PREFERENCES = {
    MailKind.MODERATION: PreferenceKind.MODERATION,
    MailKind.EVENT_CHANGED: PreferenceKind.EVENT_CHANGED,
    MailKind.PRIVATE_MESSAGE: PreferenceKind.PRIVATE_MESSAGE,
}
# After an e-mail about a conversation, more messages in it send none for this long: one
# e-mail per burst of messages, not one per message.
MESSAGE_QUIET = timedelta(minutes=15)


def preference_of(kind: MailKind, announcement: AnnouncementKind | None) -> PreferenceKind | None:
    """The preference an e-mail of `kind` depends on; None for an account's own e-mails
    (confirmation, reset...), which are sent whatever the preferences."""
    if kind is MailKind.ANNOUNCEMENT:
        return preference_for(announcement) if announcement is not None else None
    return NOTICE_PREFERENCES.get(kind)


async def enqueue_notices(
    kind: MailKind, account_ids: Collection[int], params: dict[str, Any] | None = None
) -> int:
    """A notification's e-mail to each of `account_ids` whose address is confirmed and who
    wants this kind by e-mail, in their language; inside the caller's transaction, so the
    e-mail commits with its notification or not at all. The address is read when sending.
    Returns how many were queued."""
    if not account_ids:
        return 0
    preference = NOTICE_PREFERENCES[kind]
    chosen = dict(
        await NotificationPreference.filter(
            account_id__in=list(account_ids), kind=preference
        ).values_list("account_id", "email")
    )
    readers = await Account.filter(
        id__in=list(account_ids), email_confirmed_at__isnull=False
    ).values_list("id", "language")
    moment = now()
    rows = [
        OutboxMessage(
            kind=kind,
            account_id=account_id,
            language=language,
            params=params,
            next_attempt_at=moment,
            created_at=moment,
        )
        for account_id, language in readers
        if chosen.get(account_id, EMAIL_DEFAULTS[preference])
    ]
    if rows:
        await OutboxMessage.bulk_create(rows)
    return len(rows)


async def enqueue_message_notice(recipient_id: int, conversation_id: int, sender_id: int) -> None:
    """The e-mail for a new private message, at most one per burst: none while the recipient
    has older messages of the conversation unread (an earlier e-mail told them already), and
    none while an e-mail about the conversation is unsent or was queued less than
    MESSAGE_QUIET ago. Inside the transaction that stores the message."""
    if await ConversationParticipant.filter(
        conversation_id=conversation_id, account_id=recipient_id, unread_count__gt=1
    ).exists():
        return
    recent = await OutboxMessage.filter(
        Q(status=MailStatus.PENDING) | Q(created_at__gte=now() - MESSAGE_QUIET),
        account_id=recipient_id,
        kind=MailKind.PRIVATE_MESSAGE,
    ).values_list("params", flat=True)
    if any(isinstance(p, dict) and p.get("conversation") == conversation_id for p in recent):
        return
    params = {"conversation": conversation_id, "sender": sender_id}
    await enqueue_notices(MailKind.PRIVATE_MESSAGE, [recipient_id], params)


async def enqueue_announcement(row: Announcement) -> None:
    """One e-mail per notified resident whose address is confirmed and who wants this kind
    by e-mail, in one INSERT ... SELECT over the notifications just fanned out: the same
    audience, in the same snapshot. The address is read when sending, so this statement
    needs no column the city's database role may not read (server/city_role.py)."""
    preference = preference_for(row.kind)
    conn = connection()
    p = Params(conn)
    sql = (
        "INSERT INTO outbox_message (kind, account_id, language, announcement_id, status,"
        " attempts, next_attempt_at, created_at)"
        f" SELECT {p(MailKind.ANNOUNCEMENT.value)}, a.id, a.language, ann.id,"
        f" {p(MailStatus.PENDING.value)}, 0, ann.published_at, ann.published_at"
        " FROM notification n JOIN account a ON a.id = n.account_id"
        " JOIN announcement ann ON ann.id = n.announcement_id"
        " LEFT JOIN notification_preference pref ON pref.account_id = a.id"
        f" AND pref.kind = {p(preference.value)}"
        f" WHERE n.announcement_id = {p(row.id)} AND a.email_confirmed_at IS NOT NULL"
        f" AND COALESCE(pref.email, {p(EMAIL_DEFAULTS[preference])})"
    )
    await conn.execute_query(sql, p.values)
