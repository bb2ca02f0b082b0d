"""`quartier media sweep`: delete the files and rows of photos nobody attached within a day,
of deleted posts and messages, and of erased accounts. The server also sweeps every 15
minutes while it runs; the command is for a cron, or a server that is down."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from tortoise import Tortoise

from resolvers import photos
from server import db
from server.media import stores

if TYPE_CHECKING:
    from server.settings import Settings


def sweep(settings: Settings, _args: argparse.Namespace) -> None:
    async def run() -> int:
        await db.start(settings.database_url, settings.db_pool_max)
        media = stores.build_media(settings.media)
        try:
            return await photos.sweep(media)
        finally:
            await stores.close(media)
            await Tortoise.close_connections()

    print(f"{asyncio.run(run())} photos deleted.", flush=True)


def add_commands(sub: Any) -> None:
    media = sub.add_parser("media", help="photo files").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = media.add_parser(
        "sweep", help="delete unattached uploads older than a day and photos of deleted content"
    )
    p.set_defaults(handler=sweep)
