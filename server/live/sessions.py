"""Open connections stay signed in only as long as their token does.

Every `interval` seconds each process checks the tokens of all its open connections in two
statements per 500 connections, closes those whose token was revoked or has expired, or whose
account was suspended or deleted, and gives each of the others its account as it now is (a
resident who verified meanwhile is then treated as verified). Logout, suspension, reinstatement
and verification also publish `SessionChanged`, and every process checks that account's
connections at once: the worst case is the delivery of that event, or `interval` seconds when
it is lost (Redis unreachable) or when nothing published it (a token that simply expired).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol

from tortoise.timezone import now

from models.accounts import Account, AuthToken
from server.live.broker import stopped
from server.live.presence import Presence

log = logging.getLogger("quartier.live")
CHUNK = 500
# graphql-ws closes with 4403 when it refuses a connection: so do we, with a reason.
FORBIDDEN = 4403
TOKEN_ENDED = "Forbidden: the token was revoked or has expired"
SUSPENDED = "Forbidden: the account is suspended"
DELETED = "Forbidden: the account no longer exists"


class Session(Protocol):
    token_hash: str
    connection_id: str

    @property
    def account_id(self) -> int: ...

    def renew(self, viewer: Account) -> None: ...

    def end(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True)
class Standing:
    account: Account | None
    refusal: str | None


async def standings(
    hashes: Collection[str], account_columns: tuple[str, ...] | None
) -> dict[str, Standing]:
    """Per token hash: the account as it now is, or why the token no longer works."""
    found: dict[str, Standing] = {}
    moment = now()
    for start in range(0, len(hashes), CHUNK):
        chunk = list(hashes)[start : start + CHUNK]
        tokens = await AuthToken.filter(token_hash__in=chunk).values(
            "token_hash", "account_id", "expires_at", "revoked_at"
        )
        accounts_query = Account.filter(id__in={t["account_id"] for t in tokens})
        if account_columns is not None:
            accounts_query = accounts_query.only(*account_columns)
        accounts = {a.id: a for a in await accounts_query}
        for token in tokens:
            account = accounts.get(token["account_id"])
            ended = token["revoked_at"] is not None or (
                token["expires_at"] is not None and token["expires_at"] <= moment
            )
            if account is None:
                found[token["token_hash"]] = Standing(None, DELETED)
            elif ended:
                found[token["token_hash"]] = Standing(None, TOKEN_ENDED)
            elif account.is_suspended(moment):
                found[token["token_hash"]] = Standing(None, SUSPENDED)
            else:
                found[token["token_hash"]] = Standing(account, None)
    return found


class Sessions:
    def __init__(
        self, interval: float, presence: Presence, account_columns: tuple[str, ...] | None
    ) -> None:
        self.interval = interval
        self.presence = presence
        self.account_columns = account_columns
        self.open: set[Session] = set()
        self.task: asyncio.Task[None] | None = None

    def add(self, session: Session) -> None:
        self.open.add(session)
        if self.task is None:
            self.task = asyncio.create_task(self._run(), name="live-sessions")

    def discard(self, session: Session) -> None:
        self.open.discard(session)

    async def stop(self) -> None:
        await stopped(self.task)
        self.task = None

    async def account_changed(self, account_id: int) -> None:
        await self.check([s for s in self.open if s.account_id == account_id])

    async def check(self, sessions: Iterable[Session]) -> None:
        sessions = list(sessions)
        if not sessions:
            return
        found = await standings({s.token_hash for s in sessions}, self.account_columns)
        for session in sessions:
            standing = found.get(session.token_hash, Standing(None, DELETED))
            if standing.account is not None:
                session.renew(standing.account)
            else:
                session.end(FORBIDDEN, standing.refusal or DELETED)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check(set(self.open))
                await self.presence.refresh((s.account_id, s.connection_id) for s in self.open)
            except Exception:
                # A database hiccup: the next round checks again.
                log.exception("live sessions could not be checked")
