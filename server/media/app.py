"""Photos and event files in the app: their routes and their store.
(The sweep of unattached and doomed photos runs in the worker: server/media/sweeper.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.routing import Route

from resolvers.rate_limits import RateCounter
from server import calendar
from server.media import stores
from server.media.routes import MediaEndpoints

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


class MediaApp:
    def __init__(self, settings: Any, rate_counter: RateCounter | None) -> None:
        self.media = stores.build_media(settings.media)
        # Uploads count in the app's rate counter (resolvers/rate_limits.py, Action.UPLOAD).
        self.endpoints = MediaEndpoints(self.media, rate_counter, settings)

    def routes(self) -> list[Route]:
        return [*self.endpoints.routes(), *calendar.routes()]

    async def close(self) -> None:
        await stores.close(self.media)


def with_media(lifespan: Lifespan, media: MediaApp | None) -> Lifespan:
    """The database lifespan; the photo store closes at the end."""
    if media is None:
        return lifespan

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        async with lifespan(app):
            try:
                yield
            finally:
                await media.close()

    return run
