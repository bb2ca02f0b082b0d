"""Live updates through Redis: the pub/sub broker and the connection count shared by every
process. Imported only when QUARTIER_REDIS_URL is set: redis brings OpenTelemetry along,
which a process without a collector never loads (tests/test_tracing.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from resolvers.broadcast import Event, decode
from server.live.broker import RETRY_MAX_SECONDS, START_TIMEOUT_SECONDS, Deliver, log, stopped

# Drop the stale, count, add if under the cap: one step, so two processes cannot both pass.
CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]))
return 1
"""


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


class RedisPresence:
    def __init__(self, client: Redis, prefix: str, limit: int, ttl: float) -> None:
        self.client = client
        self.prefix = prefix
        self.limit = limit
        self.ttl = ttl
        self.claim_script = client.register_script(CLAIM)

    def _key(self, account_id: int) -> str:
        return f"{self.prefix}live:connections:{account_id}"

    async def claim(self, account_id: int, connection_id: str) -> bool:
        try:
            args: list[str | float] = [time.time(), self.ttl, self.limit, connection_id]
            return bool(await self.claim_script(keys=[self._key(account_id)], args=args))
        except (RedisError, OSError):
            # Redis down must not lock everyone out: the cap is a guard, not a gate.
            return True

    async def release(self, account_id: int, connection_id: str) -> None:
        # On failure the entry expires after `ttl`.
        with contextlib.suppress(RedisError, OSError):
            await self.client.zrem(self._key(account_id), connection_id)

    async def refresh(self, connections: Iterable[tuple[int, str]]) -> None:
        moment = time.time()
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for account_id, connection_id in connections:
                    key = self._key(account_id)
                    pipe.zadd(key, {connection_id: moment}, xx=True)
                    pipe.expire(key, int(self.ttl) + 1)
                await pipe.execute()
        except (RedisError, OSError):
            pass  # entries expire; the next refresh restores them
