"""How much of the database connection pool is in use, read from Tortoise's client."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections


@dataclass(frozen=True)
class PoolUse:
    in_use: int
    idle: int
    maximum: int


def usage() -> PoolUse | None:
    """None before the ORM has started in this process. Both clients connect on their first
    statement: until then nothing is open."""
    try:
        client = connections.get("default")
    except Exception:  # Tortoise not initialised (yet, or any more)
        return None
    if hasattr(client, "pool_maxsize"):  # asyncpg
        pool = getattr(client, "_pool", None)
        if pool is None:
            return PoolUse(0, 0, client.pool_maxsize)
        size, idle = pool.get_size(), pool.get_idle_size()
        return PoolUse(in_use=size - idle, idle=idle, maximum=pool.get_max_size())
    # SQLite: one connection, busy while a statement or transaction holds its lock.
    if getattr(client, "_connection", None) is None:
        return PoolUse(0, 0, 1)
    busy = int(client._lock.locked())
    return PoolUse(in_use=busy, idle=1 - busy, maximum=1)
