"""How many websocket connections each account holds, across every process, against a cap.

With Redis, each account has a sorted set of its connections scored by when each was last
seen alive; a process refreshes its own at every session check, so the connections of a
process that died without saying goodbye stop counting after `ttl` seconds. Without Redis,
one process counts its own.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

# Drop the stale, count, add if under the cap: one step, so two processes cannot both pass.
CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]))
return 1
"""


class Presence(Protocol):
    async def claim(self, account_id: int, connection_id: str) -> bool:
        """Counts the connection in, unless the account already holds `limit`."""

    async def release(self, account_id: int, connection_id: str) -> None: ...

    async def refresh(self, connections: Iterable[tuple[int, str]]) -> None: ...


class LocalPresence:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held: dict[int, set[str]] = defaultdict(set)

    async def claim(self, account_id: int, connection_id: str) -> bool:
        held = self.held[account_id]
        if len(held) >= self.limit:
            return False
        held.add(connection_id)
        return True

    async def release(self, account_id: int, connection_id: str) -> None:
        held = self.held.get(account_id)
        if held is not None:
            held.discard(connection_id)
            if not held:
                del self.held[account_id]

    async def refresh(self, connections: Iterable[tuple[int, str]]) -> None:
        return None


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
