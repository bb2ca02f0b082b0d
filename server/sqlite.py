"""Tortoise's SQLite engine, with write transactions that take the write lock up front.

Several workers (processes) share one SQLite file. SQLite runs in WAL mode (Tortoise's
default) with a busy timeout, so a writer waits for another to finish rather than failing;
but a transaction that began with a read and then writes cannot wait: its snapshot is stale
once the other writer commits, and SQLite answers "database is locked" at once. `BEGIN
IMMEDIATE` takes the write lock when the transaction begins, so a second transaction waits
(the busy timeout) at BEGIN, before it has read anything. Statements outside transactions
wait the same way. Engine for `tortoise_config` in server/db.py.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import OperationalError

# How long a statement waits for another process's write lock before "database is locked".
BUSY_TIMEOUT_MS = 10_000


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise OperationalError(error) from error


class QuartierSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransaction(self), self._lock)


client_class = QuartierSqliteClient
