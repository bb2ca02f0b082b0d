"""Tortoise configuration, start and stop, and migrations."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as migrate_api

from models import MODEL_MODULES

APP_LABEL = "quartier"
DEFAULT_URL = "sqlite://quartier.sqlite3"


def tortoise_config(database_url: str, pool_max: int = 10) -> dict[str, Any]:
    connection: str | dict[str, Any] = database_url
    if database_url.startswith("sqlite://"):
        connection = expand_db_url(database_url)
        # Write transactions that lock up front: several workers may share the file.
        connection["engine"] = "server.sqlite"
    elif database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        connection = expand_db_url(database_url)
        # asyncpg's pool waits forever for a connection by default; bound both.
        connection["credentials"].update(
            {"minsize": 1, "maxsize": pool_max, "timeout": 10, "command_timeout": 30}
        )
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` command (makemigrations): `[tool.tortoise]` in pyproject.toml points here.
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL") or DEFAULT_URL)


class MissingDatabase(Exception):
    """A command that reads the database was pointed at a SQLite file that does not exist."""


def sqlite_path(database_url: str) -> Path | None:
    """The file a sqlite:// URL names, made absolute; None for other databases and memory."""
    if not database_url.startswith("sqlite://"):
        return None
    raw = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if raw in ("", ":memory:"):
        return None
    return Path(raw).resolve()


def require_existing(database_url: str) -> None:
    """SQLite creates a missing file on connect: an empty database in whatever directory the
    command ran from, then "no such table". Refused instead, naming the file looked for."""
    path = sqlite_path(database_url)
    if path is not None and not path.exists():
        raise MissingDatabase(
            f"no database at {path} (DATABASE_URL={database_url}): "
            "run `quartier migrate` to create it, or set DATABASE_URL to your database"
        )


async def migrate(database_url: str) -> None:
    """The migrations, then the built-in trusted documents, which follow the contract."""
    from server.trusted.manifests import store_builtin

    await migrate_api(config=tortoise_config(database_url))
    # The migrations' start of Tortoise leaves the models unable to filter: a full one.
    await Tortoise.close_connections()
    await start(database_url)
    await store_builtin()


async def start(database_url: str, pool_max: int = 10) -> None:
    await Tortoise.init(
        config=tortoise_config(database_url, pool_max), _enable_global_fallback=True
    )


async def stop() -> None:
    await Tortoise.close_connections()


def lifespan(
    database_url: str, pool_max: int, *, manage_database: bool = True
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Starlette lifespan that starts and stops Tortoise; `manage_database=False` leaves
    the ORM to the caller (tests do that)."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        if manage_database:
            await start(database_url, pool_max)
        try:
            yield
        finally:
            if manage_database:
                await stop()

    return run


@contextmanager
def sql_log(handler: logging.Handler) -> Iterator[None]:
    """Hands every SQL statement Tortoise sends inside the block to `handler` (its clients log
    each one at DEBUG; BEGIN and COMMIT are not logged)."""
    logger = logging.getLogger("tortoise.db_client")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
