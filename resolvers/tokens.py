"""Opaque bearer tokens: random, stored only as a SHA-256 hash, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise.timezone import now

from models.accounts import Account, AuthToken
from resolvers.statements import fetch_models

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


def _by_hash(values: list[str]) -> Any:
    """The live token of a hash with its account (resolvers/statements.py builds it once)."""
    (digest,) = values
    return AuthToken.filter(token_hash=digest, revoked_at=None).select_related("account").first()


async def authenticate(raw: str) -> tuple[Account, AuthToken] | None:
    """The account behind a bearer token, in one statement; None when unknown, revoked,
    expired, or the account is suspended."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    found = await fetch_models(AuthToken, _by_hash, [hash_token(raw)])
    if not found:
        return None
    token = found[0]
    moment = now()
    if token.expires_at is not None and token.expires_at <= moment:
        return None
    account = token.account
    if account.is_suspended(moment):
        return None
    return account, token


async def revoke(token: AuthToken) -> None:
    await AuthToken.filter(id=token.id, revoked_at=None).update(revoked_at=now())
