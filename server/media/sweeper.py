"""The photo sweep, every 15 minutes, inside `quartier worker` (and `serve --with-worker`):
uploads nobody attached within a day, photos of deleted posts and messages and of erased
accounts lose their files and rows. `quartier media sweep` does one pass by hand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from resolvers import photos
from server.media import stores

EVERY_SECONDS = 15 * 60
log = logging.getLogger("quartier.photos")


async def run(settings: Any, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    """Sweeps at once, then every `every` seconds, until `stop` is set."""
    media = stores.build_media(settings.media)
    try:
        while not stop.is_set():
            try:
                swept = await photos.sweep(media)
            except Exception:
                # The database or the bucket went away for a moment: the next pass retries.
                log.exception("photo sweep failed")
            else:
                if swept:
                    log.info("photo sweep: %d photos deleted", swept)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
    finally:
        await stores.close(media)
