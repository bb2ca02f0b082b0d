"""Opaque bearer tokens: random, stored only as a SHA-256 hash, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from tortoise.timezone import now

from models.accounts import Account, AuthToken

PREFIX = "qrt_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    raw = PREFIX + secrets.token_urlsafe(32)
    return raw, hash_token(raw)


async def issue(
    account: Account, ttl: timedelta | None, name: str | None = None
) -> tuple[str, AuthToken]:
    raw, digest = new_token()
    expires_at: datetime | None = now() + ttl if ttl is not None else None
    token = await AuthToken.create(
        account=account, token_hash=digest, name=name, expires_at=expires_at
    )
    return raw, token


async def authenticate(raw: str) -> tuple[Account, AuthToken] | None:
    """The account behind a bearer token, in one statement; None when unknown, revoked,
    expired, or the account is suspended."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        await AuthToken.filter(token_hash=hash_token(raw), revoked_at=None)
        .select_related("account")
        .first()
    )
    if token is None:
        return None
    moment = now()
    if token.expires_at is not None and token.expires_at <= moment:
        return None
    account = token.account
    if account.is_suspended(moment):
        return None
    return account, token


async def revoke(token: AuthToken) -> None:
    await AuthToken.filter(id=token.id, revoked_at=None).update(revoked_at=now())
