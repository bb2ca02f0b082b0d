"""Operator commands for the residents' rights: `quartier account export EMAIL`,
`quartier account delete EMAIL --yes`, and `quartier content purge`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any, TextIO

from models.accounts import Account
from resolvers import erasure, export, photos, purge
from resolvers.broadcast import SessionChanged
from server.live.broker import announce
from server.media import stores
from server.operations import CommandError
from server.settings import Settings

Runner = Callable[[Settings, Callable[[], Any]], Any]


async def _account(email: str) -> Account:
    found = await Account.get_or_none(email=email.strip().casefold(), erased_at=None)
    if found is None:
        raise CommandError(f"no account with email {email!r}")
    return found


async def write_export(email: str, out: TextIO, settings: Settings) -> None:
    account = await _account(email)
    media = stores.build_media(settings.media)
    try:
        async for chunk in export.chunks(account, media.store):
            out.write(chunk)
    finally:
        await stores.close(media)


async def delete(email: str, settings: Settings) -> int:
    account = await _account(email)
    doomed = await erasure.erase(account.id)
    media = stores.build_media(settings.media)
    try:
        await photos.purge(media, doomed)
    finally:
        await stores.close(media)
    return account.id


def add_commands(accounts: Any, sub: Any, run: Runner) -> None:
    """`accounts` is the `account` command's subparsers, `sub` the top level's."""

    def export_account(settings: Settings, args: argparse.Namespace) -> None:
        if args.out is None:
            run(settings, lambda: write_export(args.email, sys.stdout, settings))
            sys.stdout.flush()
        else:
            with open(args.out, "w", encoding="utf-8") as out:
                run(settings, lambda: write_export(args.email, out, settings))
            print(f"Exported {args.email} to {args.out}.", file=sys.stderr)

    def delete_account(settings: Settings, args: argparse.Namespace) -> None:
        if not args.yes:
            raise CommandError("erasure cannot be undone: add --yes to confirm")
        pk = run(settings, lambda: delete(args.email, settings))
        # Its open websocket connections close now rather than at the next session check.
        changed = SessionChanged(pk)
        asyncio.run(announce(settings.redis_url, settings.redis_prefix, changed))
        print(f"Erased account #{pk}: its personal data and its posts and comments are gone.")

    def purge_content(settings: Settings, args: argparse.Namespace) -> None:
        days = args.days if args.days is not None else settings.hidden_retention_days
        count = run(settings, lambda: purge.purge_hidden(days))
        print(f"Purged the words of {count} hidden contents decided more than {days} days ago.")

    p = accounts.add_parser("export", help="everything held about an account, as JSON (GDPR)")
    p.add_argument("email")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(handler=export_account)
    p = accounts.add_parser("delete", help="erase an account (GDPR), as deleteAccount does")
    p.add_argument("email")
    p.add_argument("--yes", action="store_true", help="confirm: erasure cannot be undone")
    p.set_defaults(handler=delete_account)

    content = sub.add_parser("content", help="residents' content").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = content.add_parser("purge", help="purge the words of hidden content past retention")
    p.add_argument("--days", type=int, help="retention in days (default: the setting, 90)")
    p.set_defaults(handler=purge_content)
