"""How many websocket connections each account holds, across every process, against a cap.

With Redis (server/live/redis_backend.py), each account has a sorted set of its connections
scored by when each was last seen alive; a process refreshes its own at every session check,
so the connections of a process that died without saying goodbye stop counting after `ttl`
seconds. Without Redis, one process counts its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol


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
