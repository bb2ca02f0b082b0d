"""Helpers shared by the tests: databases, GraphQL calls, factories, statement counting."""

from __future__ import annotations

import importlib
import io
import logging
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from tortoise import connections
from tortoise.timezone import now

from models.accounts import Account, LetterStatus, Role, VerificationLetter
from models.geography import City, Neighbourhood, Street, fold
from resolvers import tokens
from resolvers.accounts import new_letter_code
from resolvers.ids import to_global_id
from server.db import sql_log
from server.taxonomy import create_city

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = Path(__file__).resolve().parent / "contract"
POSTGRES_ENV = "QUARTIER_TEST_POSTGRES_URL"
REDIS_ENV = "QUARTIER_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

TABLES = [
    "insight_day",
    "outbox_message",
    "account_token",
    "notification_preference",
    "appeal",
    "moderation_action",
    "notification",
    "consultation_answer",
    "consultation_option",
    "consultation",
    "announcement_street",
    "announcement_neighbourhood",
    "announcement",
    "report",
    "event_attendee",
    "event",
    "photo",
    "message",
    "conversation_participant",
    "conversation",
    "reaction",
    "comment",
    "post_topic",
    "post",
    "topic",
    "verification_letter",
    "auth_token",
    "account",
    "street",
    "neighbourhood",
    "city",
]


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@dataclass(frozen=True)
class RedisTarget:
    """Where a test's Redis keys live: QUARTIER_REDIS_URL and QUARTIER_REDIS_PREFIX for it."""

    url: str
    prefix: str

    def env(self) -> dict[str, str]:
        return {"QUARTIER_REDIS_URL": self.url, "QUARTIER_REDIS_PREFIX": self.prefix}


def redis_url() -> str:
    return os.environ.get(REDIS_ENV) or DEFAULT_REDIS_URL


def missing_in_ci(reason: str) -> None:
    """Skip a test that needs something this machine lacks; in CI (CI set), fail instead:
    CI provides everything the tests need."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)


def _asyncpg_dsn(url: str) -> str:
    return re.sub(r"^(postgres|asyncpg)://", "postgresql://", url)


async def create_postgres_database(admin_url: str) -> str:
    """A new, empty database beside the admin one; returns its Tortoise URL."""
    name = f"quartier_test_{os.getpid()}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return re.sub(r"/[^/]*$", f"/{name}", admin_url.replace("postgresql://", "postgres://"))


async def drop_postgres_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def truncate_all() -> None:
    """Empty every table; the moderation log's append-only guard is lifted for that alone."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(
            "ALTER TABLE moderation_action DISABLE TRIGGER USER;"
            f" TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE;"
            " ALTER TABLE moderation_action ENABLE TRIGGER USER"
        )
    else:
        await conn.execute_script(
            "DROP TRIGGER moderation_action_no_update; DROP TRIGGER moderation_action_no_delete"
        )
        for table in TABLES:
            await conn.execute_script(f"DELETE FROM {table}")
        await conn.execute_script("DELETE FROM sqlite_sequence")
        for statement in append_only_guard()._SQLITE_GUARD:
            await conn.execute_script(statement)


def append_only_guard():  # type: ignore[no-untyped-def]
    return importlib.import_module("models.migrations.0003_moderation")


# --- GraphQL -----------------------------------------------------------------------------


class Api:
    """Posts GraphQL to the app and returns the decoded JSON response."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        return response.json()


def contract_documents() -> list[Path]:
    return sorted(CONTRACT.rglob("*.graphql"))


def contract_text(relative: str) -> str:
    return (CONTRACT / relative).read_text()


def operation(relative: str, name: str) -> str:
    """The whole document; the caller names the operation to run with `operationName`."""
    text = contract_text(relative)
    assert re.search(rf"\b(query|mutation|subscription) {name}\b", text), name
    return text


async def run_contract(
    api: Api,
    relative: str,
    name: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post(
        "/graphql",
        json={
            "query": operation(relative, name),
            "operationName": name,
            "variables": variables or {},
        },
        headers=headers,
    )
    return response.json()


# --- factories ---------------------------------------------------------------------------


async def make_city(name: str = "La Louvière") -> City:
    return await create_city(name)


async def make_neighbourhood(
    city: City, name: str, *, active: bool = True, threshold: int = 10
) -> Neighbourhood:
    return await Neighbourhood.create(
        city=city, name=name, activation_threshold=threshold, activated_at=now() if active else None
    )


async def make_street(neighbourhood: Neighbourhood, name: str, postal_code: str = "7100") -> Street:
    return await Street.create(
        neighbourhood=neighbourhood, name=name, search_name=fold(name), postal_code=postal_code
    )


async def make_resident(
    street: Street,
    name: str,
    *,
    verified: bool = True,
    email: str | None = None,
    house_number: str = "1",
) -> tuple[Account, str]:
    """A resident and a bearer token for them (no argon2: tests sign in with the token)."""
    neighbourhood = await Neighbourhood.get(id=street.neighbourhood_id)
    account = await Account.create(
        email=email or f"{fold(name).replace(' ', '.')}.{secrets.token_hex(3)}@example.be",
        display_name=name,
        role=Role.RESIDENT,
        city_id=neighbourhood.city_id,
        street=street,
        neighbourhood=neighbourhood,
        house_number=house_number,
        verified_at=now() if verified else None,
    )
    await VerificationLetter.create(
        account=account,
        code=new_letter_code(),
        status=LetterStatus.USED if verified else LetterStatus.PENDING,
    )
    raw, _ = await tokens.issue(account, timedelta(hours=1))
    return account, raw


async def make_staff(role: Role, name: str, city: City | None = None) -> tuple[Account, str]:
    account = await Account.create(
        email=f"{role.lower()}.{secrets.token_hex(3)}@example.be"
        if role is not Role.CITY_INTEGRATION
        else None,
        display_name=name,
        role=role,
        city=city,
    )
    raw, _ = await tokens.issue(account, timedelta(hours=1))
    return account, raw


def tiny_png(colour: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (8, 6)) -> bytes:
    """A small, valid PNG: enough for an upload."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


# --- statement counting ------------------------------------------------------------------


class _StatementCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Every SQL statement Tortoise sends inside the block (BEGIN/COMMIT aside)."""
    handler = _StatementCounter()
    with sql_log(handler):
        yield handler.statements


# --- what was skipped, in one line -------------------------------------------------------

# Why a test skips, by what it lacks: the first needle found in the reason names it.
SKIP_CAUSES = (
    ("for lack of Node or its packages (npm ci --prefix gateway, tests/browser, tests/clients)",
     ("node_modules", "node is ", "npm ci")),
    ("for lack of Chromium (apt-get install chromium)", ("chromium",)),
    ("for lack of PostgreSQL (set QUARTIER_TEST_POSTGRES_URL)", ("postgres",)),
    ("for lack of Redis", ("redis",)),
    ("for lack of the shared/ contract beside the clone", ("shared/",)),
)  # fmt: skip
OTHER_CAUSE = "for other reasons (pytest -rs lists them)"


def skip_summary(reasons: list[str]) -> str | None:
    """One line saying how many tests were skipped for lack of what; None when none were."""
    if not reasons:
        return None
    counts = dict.fromkeys([cause for cause, _ in SKIP_CAUSES] + [OTHER_CAUSE], 0)
    for reason in reasons:
        lower = reason.lower()
        found = (c for c, needles in SKIP_CAUSES if any(n in lower for n in needles))
        counts[next(found, OTHER_CAUSE)] += 1
    return "skipped: " + ", ".join(f"{n} {cause}" for cause, n in counts.items() if n)
