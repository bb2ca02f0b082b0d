"""The transactional outbox: e-mails are rows written in the transaction that causes them,
so a rolled-back registration or announcement sends nothing, and a committed one always
does (the worker, server/mail/, sends and retries). Called inside `in_transaction()`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from tortoise.timezone import now

from models.accounts import Account
from models.city import Announcement, AnnouncementKind
from models.mail import (
    EMAIL_DEFAULTS,
    AccountToken,
    MailKind,
    MailStatus,
    OutboxMessage,
    PreferenceKind,
    TokenPurpose,
)
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
