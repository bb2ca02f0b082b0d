"""The worker inside the API process (`quartier serve --with-worker`, on with --demo)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from server.mail.cli import check_can_send, configure_logging
from server.mail.worker import Worker
from server.media import sweeper
from server.settings import Settings


@asynccontextmanager
async def in_process(settings: Settings) -> AsyncIterator[None]:
    """Runs the worker while the app runs; the database must be started already."""
    check_can_send(settings)
    configure_logging()
    stop = asyncio.Event()
    task = asyncio.gather(Worker(settings).run(stop), sweeper.run(settings, stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


def with_worker(
    base: Callable[[Any], AbstractAsyncContextManager[None]], settings: Settings
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Starlette lifespan: `base` (the database), and the worker inside it."""

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        async with base(app), in_process(settings):
            yield

    return run
