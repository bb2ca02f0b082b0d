"""How an event reaches every process: Redis pub/sub when QUARTIER_REDIS_URL is set, a queue in
this process otherwise (the embedded default runs one process and needs nothing installed).

Every process subscribes to one channel, `<QUARTIER_REDIS_PREFIX>live`, and keeps to itself the
events no local subscriber waits for: a city's events are a few per second, and one channel
means no subscribe and unsubscribe traffic as clients come and go. An event published while
Redis is unreachable is lost (logged): the write it announces has committed and stands, and
clients refetch when they reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from resolvers.broadcast import Event

log = logging.getLogger("quartier.live")
Deliver = Callable[[Event], None]
RETRY_MAX_SECONDS = 5.0
# How long the first subscriber waits for the channel; past it, it waits for events anyway.
START_TIMEOUT_SECONDS = 5.0


async def stopped(task: asyncio.Task[None] | None) -> None:
    """Cancels a background task and waits until it has finished; None: nothing to stop."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Broker(Protocol):
    async def send(self, event: Event) -> None: ...

    async def start(self, deliver: Deliver) -> None:
        """Deliver every event from now on; returns once listening."""

    async def stop(self) -> None: ...


class LocalBroker:
    """One process: publishing is handing the event over."""

    def __init__(self) -> None:
        self.deliver: Deliver | None = None

    async def send(self, event: Event) -> None:
        if self.deliver is not None:
            self.deliver(event)

    async def start(self, deliver: Deliver) -> None:
        self.deliver = deliver

    async def stop(self) -> None:
        self.deliver = None


def broker_for(redis_url: str | None, prefix: str) -> Broker:
    if redis_url is None:
        return LocalBroker()
    from server.live.redis_backend import RedisBroker

    return RedisBroker(redis_url, prefix)


async def announce(redis_url: str | None, prefix: str, *events: Event) -> None:
    """Publishes from a process that serves no one (the command line): with Redis every
    server process hears it at once; without, each finds out at its next session check."""
    broker = broker_for(redis_url, prefix)
    try:
        for event in events:
            await broker.send(event)
    finally:
        await broker.stop()
