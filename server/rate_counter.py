"""Where the rate limits of resolvers/rate_limits.py count: Redis when QUARTIER_REDIS_URL is
set, shared by every worker and every process of the deployment; else this process's
memory, which is what the embedded default (one worker, nothing installed) needs.

Both count in fixed windows: the first attempt under a key opens a window of the limit's
length, and the count starts again when it ends.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from resolvers.rate_limits import RateCounter
from server.settings import Settings

logger = logging.getLogger("quartier.rate_limits")
# Kept short: a Redis that hangs must not hold sign-ins with it.
REDIS_TIMEOUT_SECONDS = 0.5


class MemoryCounter:
    MAX_KEYS = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.windows: dict[str, tuple[int, float]] = {}

    async def hit(self, key: str, seconds: int) -> tuple[int, int]:
        now = self.clock()
        count, ends = self.windows.get(key, (0, now))
        if ends <= now:
            count, ends = 0, now + seconds
        self.windows[key] = (count + 1, ends)
        if len(self.windows) > self.MAX_KEYS:
            self.windows = {k: w for k, w in self.windows.items() if w[1] > now}
        return count + 1, max(1, math.ceil(ends - now))


class RedisCounter:
    def __init__(self, url: str, prefix: str) -> None:
        # Imported here: redis imports OpenTelemetry when it is installed, which a process
        # without Redis (or without tracing) should not pay for.
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        self.failures: tuple[type[Exception], ...] = (RedisError, OSError)
        self.redis = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.prefix = prefix
        self.warned_at = -math.inf

    async def hit(self, key: str, seconds: int) -> tuple[int, int]:
        name = self.prefix + key
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                # NX: only the window's first attempt sets its end.
                pipe.expire(name, seconds, nx=True)
                pipe.ttl(name)
                count, _, ttl = await pipe.execute()
        except self.failures as error:
            # Open, not closed: the limits brake abuse; without Redis, sign-in must still
            # work. Said once a minute.
            if time.monotonic() - self.warned_at > 60:
                self.warned_at = time.monotonic()
                logger.warning("rate limits not counted, Redis unreachable: %r", error)
            return 0, 0
        return int(count), max(1, int(ttl))

    async def close(self) -> None:
        await self.redis.aclose()


def counter_for(settings: Settings) -> RateCounter:
    if settings.redis_url:
        return RedisCounter(settings.redis_url, settings.redis_prefix)
    return MemoryCounter()
