"""Probes for an orchestrator, unauthenticated and cheap.

`/healthz`: the process answers (nothing else is asked: a liveness probe that fails on the
database would restart every worker when only the database is down). `/readyz`: the
database answers, every migration on disk is applied, and Redis answers where it is
configured; 503 otherwise, naming the check that failed but never a URL or a password.
"""

from __future__ import annotations

import asyncio
import pkgutil
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from tortoise import connections

from models import migrations
from server.db import APP_LABEL

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from starlette.requests import Request

    from server.settings import Settings

TIMEOUT_SECONDS = 2.0
HEADERS = {"Cache-Control": "no-store"}


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=HEADERS)


def disk_migrations() -> set[str]:
    """Migration modules as Tortoise's loader finds them."""
    return {
        name
        for _, name, is_package in pkgutil.iter_modules(migrations.__path__)
        if not is_package and name[0] not in "_~"
    }


class Readiness:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Applied migrations stay applied: once all are, the check is not run again.
        self.migrated = False
        self._redis: Redis | None = None

    async def database(self) -> str | None:
        conn = connections.get("default")
        await conn.execute_query("SELECT 1")
        if self.migrated:
            return None
        _, rows = await conn.execute_query(
            f"SELECT name FROM tortoise_migrations WHERE app = '{APP_LABEL}'"
        )
        missing = disk_migrations() - {row[0] for row in rows}
        if missing:
            return f"migrations not applied: {', '.join(sorted(missing))}"
        self.migrated = True
        return None

    async def redis(self) -> None:
        if self._redis is None:
            from redis.asyncio import Redis

            assert self.settings.redis_url is not None
            self._redis = Redis.from_url(
                self.settings.redis_url,
                socket_connect_timeout=TIMEOUT_SECONDS,
                socket_timeout=TIMEOUT_SECONDS,
            )
        await self._redis.ping()

    async def check(self, name: str) -> str:
        """ "ok", or why not (the exception's class: its message may hold a URL)."""
        try:
            if name == "database":
                problem = await asyncio.wait_for(self.database(), TIMEOUT_SECONDS)
                return problem or "ok"
            await asyncio.wait_for(self.redis(), TIMEOUT_SECONDS)
            return "ok"
        except TimeoutError:
            return f"no answer within {TIMEOUT_SECONDS:g} s"
        except Exception as error:  # any failure is the answer here, not a crash
            return f"unavailable ({type(error).__name__})"

    async def endpoint(self, _request: Request) -> JSONResponse:
        names = ["database"] + (["redis"] if self.settings.redis_url else [])
        checks = dict(zip(names, await asyncio.gather(*map(self.check, names)), strict=True))
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
            headers=HEADERS,
        )

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
