"""Raw SQL where the ORM cannot say it in one statement: placeholders differ by database."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def connection() -> BaseDBAsyncClient:
    """The current connection: inside `in_transaction()`, the transaction's."""
    return connections.get("default")


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


class Params:
    """Collects values and hands out the matching placeholder: `$1` (asyncpg) or `?`."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.postgres = is_postgres(conn)
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def many(self, values: list[Any]) -> str:
        return ", ".join(self(v) for v in values)
