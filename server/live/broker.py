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

from redis.asyncio import Redis
from redis.exceptions import RedisError

from resolvers.broadcast import Event, decode

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


class RedisBroker:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
        self.channel = f"{prefix}live"
        self.reader: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def send(self, event: Event) -> None:
        try:
            await self.client.publish(self.channel, event.encode())
        except (RedisError, OSError) as error:
            log.warning("live event %s not published, Redis unreachable: %s", event.kind, error)

    async def start(self, deliver: Deliver) -> None:
        if self.reader is None:
            self.reader = asyncio.create_task(self._read(deliver), name="live-redis-reader")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                await self.listening.wait()

    async def stop(self) -> None:
        await stopped(self.reader)
        self.reader = None
        await self.client.aclose()

    async def _read(self, deliver: Deliver) -> None:
        wait = 0.1
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.listening.set()
                wait = 0.1
                async for message in pubsub.listen():
                    event = decode(message["data"]) if message["type"] == "message" else None
                    if event is not None:
                        deliver(event)
            except (RedisError, OSError) as error:
                # Subscribers stay registered: they receive again once Redis answers.
                log.warning("live updates: Redis unreachable, retrying in %.1f s: %s", wait, error)
                await asyncio.sleep(wait)
                wait = min(wait * 2, RETRY_MAX_SECONDS)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()


def broker_for(redis_url: str | None, prefix: str) -> Broker:
    return RedisBroker(redis_url, prefix) if redis_url else LocalBroker()


async def announce(redis_url: str | None, prefix: str, *events: Event) -> None:
    """Publishes from a process that serves no one (the command line): with Redis every
    server process hears it at once; without, each finds out at its next session check."""
    broker = broker_for(redis_url, prefix)
    try:
        for event in events:
            await broker.send(event)
    finally:
        await broker.stop()
