"""The e-mail worker: claims due outbox rows in batches, renders and sends them at a steady
rate, and marks each sent, retried later (exponential backoff) or failed for good.

A claim is one UPDATE that re-checks, row by row, that nobody else holds the row, so several
workers (or a worker beside `serve --with-worker`) never send the same row at once. A worker
that dies mid-batch leaves its rows claimed until their lease ends; the next claim takes
them again. A row sent but not yet marked is then sent a second time, with the same
Message-ID (compose.message_id): at worst a duplicate that mail clients recognise, never a
lost e-mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from tortoise.expressions import F, Q
from tortoise.timezone import now

from models.accounts import Account
from models.city import Announcement
from models.geography import City
from models.mail import (
    MailKind,
    MailStatus,
    NotificationPreference,
    OutboxMessage,
    PreferenceKind,
)
from permissions.text import tr
from resolvers import erasure
from resolvers.outbox import NOTICE_PREFERENCES, preference_of
from server.mail import compose
from server.mail.transport import (
    FolderTransport,
    SmtpTransport,
    TransportError,
    open_transport,
)
from server.settings import Settings

log = logging.getLogger("quartier.mail")
ERROR_MAX = 500
# SMTP servers name the recipient in their refusals ("550 <bob@example.be>: unknown"): the log
# says which outbox row failed, never whose address.
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def _sender(row: OutboxMessage) -> int | None:
    return (row.params or {}).get("sender")


def redacted(error: str) -> str:
    return _ADDRESS.sub("<address>", error)


@dataclass
class BatchResult:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retried) + len(self.failed) + len(self.cancelled)


class Worker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._next_slot = time.monotonic()

    async def claim(self) -> tuple[str, list[OutboxMessage]]:
        moment = now()
        claim = secrets.token_hex(8)
        free = Q(locked_until=None) | Q(locked_until__lt=moment)
        due = OutboxMessage.filter(free, status=MailStatus.PENDING, next_attempt_at__lte=moment)
        ids = (
            await due.order_by("next_attempt_at", "id")
            .limit(self.settings.mail_batch_size)
            .values_list("id", flat=True)
        )
        if not ids:
            return claim, []
        # The WHERE is evaluated again on each row as the UPDATE takes it: a row another
        # worker claimed in between is skipped.
        await OutboxMessage.filter(free, id__in=list(ids), status=MailStatus.PENDING).update(
            locked_until=moment + timedelta(seconds=self.settings.mail_lease_seconds),
            claimed_by=claim,
            attempts=F("attempts") + 1,
        )
        rows = await OutboxMessage.filter(claimed_by=claim, status=MailStatus.PENDING).order_by(
            "id"
        )
        return claim, rows

    async def _recipients(self, rows: list[OutboxMessage]) -> dict[int, compose.Recipient]:
        account_ids = {r.account_id for r in rows if r.account_id is not None}
        accounts = {a.id: a for a in await Account.filter(id__in=account_ids)}
        announcement_ids = {r.announcement_id for r in rows if r.announcement_id is not None}
        announcements = {a.id: a for a in await Announcement.filter(id__in=announcement_ids)}
        cities = {
            c.id: c.name
            for c in await City.filter(id__in={a.city_id for a in announcements.values()})
        }
        senders = {_sender(r) for r in rows if r.kind is MailKind.PRIVATE_MESSAGE}
        # An account erased since it wrote is no longer named (resolvers/erasure.py).
        names: dict[int | None, str] = (
            {a.id: erasure.display_name(a) for a in await Account.filter(id__in=senders)}
            if senders
            else {}
        )
        result = {}
        for row in rows:
            account = accounts.get(row.account_id) if row.account_id else None
            announcement = announcements.get(row.announcement_id) if row.announcement_id else None
            city = cities.get(announcement.city_id, "") if announcement else ""
            sender = ""
            if row.kind is MailKind.PRIVATE_MESSAGE:
                sender = names.get(_sender(row)) or tr("Ancien voisin")
            result[row.id] = compose.Recipient(account, announcement, city, sender)
        return result

    async def _still_wanted(
        self, rows: list[OutboxMessage], to: dict[int, compose.Recipient]
    ) -> set[int]:
        """Announcements' and notifications' rows whose reader unsubscribed or lost their
        confirmed address since they were queued."""
        depends: dict[int, PreferenceKind | None] = {}
        for row in rows:
            if row.kind is MailKind.ANNOUNCEMENT or row.kind in NOTICE_PREFERENCES:
                announcement = to[row.id].announcement
                kind = announcement.kind if announcement is not None else None
                depends[row.id] = preference_of(row.kind, kind)
        if not depends:
            return set()
        refused = set(
            await NotificationPreference.filter(
                account_id__in={r.account_id for r in rows if r.id in depends}, email=False
            ).values_list("account_id", "kind")
        )
        cancelled = set()
        for row_id, preference in depends.items():
            account = to[row_id].account
            if (
                account is None
                or preference is None
                or not account.email_confirmed
                or (account.id, preference.value) in refused
            ):
                cancelled.add(row_id)
        return cancelled

    async def run_once(self) -> BatchResult:
        claim, rows = await self.claim()
        result = BatchResult()
        if not rows:
            return result
        to = await self._recipients(rows)
        for row_id in await self._still_wanted(rows, to):
            await self._mark(claim, row_id, MailStatus.CANCELLED, error="not wanted any more")
            result.cancelled.append(row_id)
        pending = [r for r in rows if r.id not in result.cancelled]
        try:
            async with open_transport(self.settings) as transport:
                for row in pending:
                    await self._pace()
                    await self._send_one(claim, row, to[row.id], transport, result)
        except TransportError as error:
            # The connection failed: every row not yet handled waits for its next try.
            done = {*result.sent, *result.failed, *result.retried}
            for row in pending:
                if row.id not in done:
                    await self._retry_or_fail(claim, row, str(error), result)
        return result

    async def _send_one(
        self,
        claim: str,
        row: OutboxMessage,
        to: compose.Recipient,
        transport: FolderTransport | SmtpTransport,
        result: BatchResult,
    ) -> None:
        try:
            message = compose.render(row, to, self.settings)
        except (compose.Unsendable, KeyError, ValueError) as error:
            await self._mark(claim, row.id, MailStatus.FAILED, error=f"unsendable: {error}")
            result.failed.append(row.id)
            return
        try:
            await transport.send(message, f"{row.id:08d}-{row.kind.lower()}")
        except TransportError as error:
            if error.permanent:
                await self._mark(claim, row.id, MailStatus.FAILED, error=str(error))
                result.failed.append(row.id)
            else:
                await self._retry_or_fail(claim, row, str(error), result)
            return
        # A message's e-mail keeps its conversation's id (no secret): the next message of
        # the burst finds it (resolvers/outbox.enqueue_message_notice).
        keep = row.kind is MailKind.PRIVATE_MESSAGE
        await self._mark(claim, row.id, MailStatus.SENT, keep_params=keep)
        result.sent.append(row.id)

    async def _retry_or_fail(
        self, claim: str, row: OutboxMessage, error: str, result: BatchResult
    ) -> None:
        # `attempts` counts this try already (the claim added it).
        if row.attempts >= self.settings.mail_max_attempts:
            await self._mark(claim, row.id, MailStatus.FAILED, error=error)
            result.failed.append(row.id)
            return
        delay = self.settings.mail_retry_seconds * 2 ** (row.attempts - 1)
        await OutboxMessage.filter(id=row.id, claimed_by=claim).update(
            next_attempt_at=now() + timedelta(seconds=delay),
            locked_until=None,
            claimed_by=None,
            last_error=error[:ERROR_MAX],
        )
        result.retried.append(row.id)
        log.warning(
            "e-mail %s not sent (try %s), next in %s s: %s",
            row.id,
            row.attempts,
            delay,
            redacted(error),
        )

    async def _mark(
        self,
        claim: str,
        row_id: int,
        status: MailStatus,
        *,
        error: str | None = None,
        keep_params: bool = False,
    ) -> None:
        moment = now()
        values: dict[str, object] = {"status": status, "locked_until": None, "claimed_by": None}
        if status is MailStatus.SENT:
            values.update(sent_at=moment, last_error=None)
            if not keep_params:
                # The link's token has done its job in the e-mail: it leaves the database.
                values.update(params=None)
        else:
            values.update(last_error=(error or "")[:ERROR_MAX])
            if status is MailStatus.FAILED:
                log.error("e-mail %s failed for good: %s", row_id, redacted(error or ""))
        await OutboxMessage.filter(id=row_id, claimed_by=claim).update(**values)

    async def _pace(self) -> None:
        """At most `mail_rate` messages a second, whatever the batch size."""
        moment = time.monotonic()
        self._next_slot = max(self._next_slot, moment)
        if self._next_slot > moment:
            await asyncio.sleep(self._next_slot - moment)
        self._next_slot += 1 / self.settings.mail_rate

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: batches back to back while there is work, else a poll."""
        log.info(
            "e-mail worker started (%s)",
            "SMTP" if self.settings.smtp_url else f"folder {self.settings.mail_dir}",
        )
        while not stop.is_set():
            try:
                result = await self.run_once()
            except Exception:
                # The database went away for a moment, for instance: try again after a poll.
                log.exception("e-mail batch failed")
                result = BatchResult()
            if result.claimed:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.mail_poll_ms / 1000)
