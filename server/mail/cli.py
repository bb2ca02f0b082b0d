"""`quartier worker` (the e-mail worker as its own process) and `quartier mail status`."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import TYPE_CHECKING

from tortoise import Tortoise
from tortoise.functions import Count, Min

from models.mail import MailStatus, OutboxMessage
from server import db, housekeeping
from server.mail.worker import Worker
from server.media import sweeper
from server.observability import logs
from server.operations import CommandError

if TYPE_CHECKING:
    from server.settings import Settings

FAILED_SHOWN = 20


def check_can_send(settings: Settings) -> None:
    """Production sends real e-mail: it needs a server and a key to sign unsubscribe links."""
    if settings.production and not settings.smtp_url:
        raise CommandError("QUARTIER_SMTP_URL must be set to send e-mail in production")
    if settings.production and not settings.secret_key:
        raise CommandError("QUARTIER_SECRET_KEY must be set to send e-mail in production")


def configure_logging() -> None:
    """The worker's lines as JSON on stdout, like the API's (server/observability/logs.py):
    one format for a log shipper, whichever process the worker runs in."""
    logs.configure()


def worker(settings: Settings, _args: argparse.Namespace) -> None:
    check_can_send(settings)
    db.require_existing(settings.database_url)
    configure_logging()

    async def run() -> None:
        await db.start(settings.database_url, settings.db_pool_max)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM and Ctrl-C finish the message in hand, then stop.
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            # Beside the e-mails, the privacy chores (server/housekeeping.py) and the photo sweep.
            await asyncio.gather(
                Worker(settings).run(stop),
                housekeeping.run(settings, stop),
                sweeper.run(settings, stop),
            )
        finally:
            await Tortoise.close_connections()

    asyncio.run(run())


async def _status() -> list[str]:
    counts = (
        await OutboxMessage.annotate(n=Count("id"), oldest=Min("created_at"))
        .group_by("status")
        .values("status", "n", "oldest")
    )
    by_status = {row["status"]: row for row in counts}
    lines = []
    for status in MailStatus:
        row = by_status.get(status)
        n = row["n"] if row else 0
        since = (
            f" (oldest {row['oldest']:%Y-%m-%d %H:%M} UTC)"
            if row and status is MailStatus.PENDING
            else ""
        )
        lines.append(f"{status.value.lower():<10}{n:>8}{since}")
    failed = (
        await OutboxMessage.filter(status=MailStatus.FAILED).order_by("-id").limit(FAILED_SHOWN)
    )
    if failed:
        lines.append("")
        lines.append(f"Failed (newest {FAILED_SHOWN} at most): id, kind, tries, last error")
        lines.extend(
            f"  #{row.id} {row.kind.value} {row.attempts} {row.last_error or ''}" for row in failed
        )
    return lines


def status(settings: Settings, _args: argparse.Namespace) -> None:
    db.require_existing(settings.database_url)

    async def run() -> list[str]:
        await db.start(settings.database_url, settings.db_pool_max)
        try:
            return await _status()
        finally:
            await Tortoise.close_connections()

    print("\n".join(asyncio.run(run())), flush=True)


def add_commands(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "worker", help="send the outbox's e-mails (retries, backoff), until stopped"
    ).set_defaults(handler=worker)
    mail = sub.add_parser("mail", help="the e-mail outbox").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    mail.add_parser(
        "status", help="e-mails pending, sent, failed (with why) and cancelled"
    ).set_defaults(handler=status)
