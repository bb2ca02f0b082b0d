"""The migrations upgrade a database that already holds data, as `quartier migrate` does on a
deployment of the previous release. A column added NOT NULL needs its default in the database,
not only in Python: on an empty test database a missing one never shows.

The database is migrated to the last migration of the previous release, filled with rows
written as that release's schema had them, then migrated to the newest. Each step runs in its
own process: migrating re-initialises Tortoise, whose state the test session shares.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests import support
from tests.support import ROOT

PREVIOUS_RELEASE = "0004_insight_indexes"

MIGRATE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from server.db import tortoise_config

async def main(url, target):
    try:
        await migrate(config=tortoise_config(url), target=f"quartier.{target}" if target else None)
    finally:
        await Tortoise.close_connections()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

T = "'2026-01-05 10:00:00+00:00'"
# Rows of every kind the previous release wrote, in its own columns.
ROWS = [
    f"INSERT INTO city (id, name, created_at) VALUES (1, 'La Louvière', {T})",
    "INSERT INTO neighbourhood (id, city_id, name, activation_threshold, activated_at, created_at)"
    f" VALUES (1, 1, 'Centre', 2, {T}, {T})",
    "INSERT INTO street (id, neighbourhood_id, name, search_name, postal_code)"
    " VALUES (1, 1, 'Rue Albert Ier', 'rue albert ier', '7100')",
    "INSERT INTO account (id, email, password_hash, display_name, role, city_id, street_id,"
    " neighbourhood_id, house_number, verified_at, created_at) VALUES"
    f" (1, 'alice@example.be', 'x', 'Alice', 'RESIDENT', 1, 1, 1, '1', {T}, {T}),"
    f" (2, 'bob@example.be', 'x', 'Bob', 'RESIDENT', 1, 1, 1, '2', {T}, {T}),"
    f" (3, 'ville@example.be', 'x', 'Ville', 'CITY_STAFF', 1, NULL, NULL, NULL, NULL, {T})",
    "INSERT INTO topic (id, city_id, slug, label) VALUES (1, 1, 'mobilite', 'Mobilité')",
    "INSERT INTO post (id, neighbourhood_id, author_id, kind, title, body, share_with_city,"
    " version, comment_count, reaction_count, created_at, deleted_at) VALUES"
    f" (1, 1, 1, 'DISCUSSION', 'Vélos', 'Un parking ?', false, 1, 1, 1, {T}, NULL),"
    f" (2, 1, 2, 'DISCUSSION', 'Effacé', 'Mots effacés', false, 1, 0, 0, {T}, {T})",
    "INSERT INTO post_topic (id, post_id, topic_id) VALUES (1, 1, 1)",
    f"INSERT INTO comment (id, post_id, author_id, body, created_at) VALUES (1, 1, 2, 'Oui', {T})",
    f"INSERT INTO reaction (id, post_id, account_id, created_at) VALUES (1, 1, 2, {T})",
    "INSERT INTO conversation (id, neighbourhood_id, pair_key, created_at, last_message_at)"
    f" VALUES (1, 1, '1:2', {T}, {T})",
    "INSERT INTO conversation_participant (id, conversation_id, account_id, unread_count)"
    " VALUES (1, 1, 1, 0), (2, 1, 2, 1)",
    "INSERT INTO message (id, conversation_id, sender_id, body, created_at)"
    f" VALUES (1, 1, 1, 'Bonjour', {T})",
    "INSERT INTO announcement (id, city_id, author_id, kind, title, body, scope,"
    f" recipient_count, published_at) VALUES (1, 1, 3, 'ALERT', 'Travaux', 'Lundi', 'CITY', 2, {T})",
    "INSERT INTO notification (id, account_id, kind, announcement_id, created_at, read_at)"
    f" VALUES (1, 1, 'ANNOUNCEMENT', 1, {T}, {T}), (2, 2, 'ANNOUNCEMENT', 1, {T}, NULL)",
    "INSERT INTO consultation (id, announcement_id, question, closes_at)"
    f" VALUES (1, 1, 'Pour ?', {T})",
    "INSERT INTO consultation_option (id, consultation_id, label, position)"
    " VALUES (1, 1, 'Oui', 0), (2, 1, 'Non', 1)",
    "INSERT INTO consultation_answer (id, consultation_id, option_id, account_id,"
    f" neighbourhood_id, answered_at) VALUES (1, 1, 1, 1, 1, {T})",
]
# Where PostgreSQL keeps sequences, the rows' explicit ids must move them on.
SEQUENCES = [
    "city",
    "neighbourhood",
    "street",
    "account",
    "topic",
    "post",
    "post_topic",
    "comment",
    "reaction",
    "conversation",
    "conversation_participant",
    "message",
    "announcement",
    "notification",
    "consultation",
    "consultation_option",
    "consultation_answer",
]


def _migrate(url: str, target: str = "") -> None:
    result = subprocess.run(
        [sys.executable, "-c", MIGRATE, url, target],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


class Database:
    """A database of its own, written and read without Tortoise (the session's is elsewhere)."""

    def __init__(self, url: str, admin: str | None) -> None:
        self.url = url
        self.admin = admin

    async def execute(self, statements: list[str]) -> None:
        if self.admin is None:
            with sqlite3.connect(self.url.removeprefix("sqlite://")) as conn:
                for statement in statements:
                    conn.execute(statement)
            return
        conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def rows(self, sql: str) -> list[tuple]:
        if self.admin is None:
            with sqlite3.connect(self.url.removeprefix("sqlite://")) as conn:
                return [tuple(row) for row in conn.execute(sql).fetchall()]
        conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()


@pytest.fixture
async def fresh() -> AsyncIterator[Database]:
    admin = support.postgres_admin_url()
    if admin:
        url = await support.create_postgres_database(admin)
    else:
        url = f"sqlite://{Path(tempfile.mkdtemp(prefix='quartier-upgrade-')) / 'db.sqlite3'}"
    try:
        yield Database(url, admin)
    finally:
        if admin:
            await support.drop_postgres_database(admin, url)


async def test_a_database_of_the_previous_release_with_data_upgrades_to_the_newest(fresh):
    _migrate(fresh.url, PREVIOUS_RELEASE)
    await fresh.execute(ROWS)
    if fresh.admin:
        await fresh.execute(
            [f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), 100)" for t in SEQUENCES]
        )

    _migrate(fresh.url)

    assert await fresh.rows("SELECT id, language FROM account ORDER BY id") == [
        (1, "fr"),
        (2, "fr"),
        (3, "fr"),
    ]
    assert await fresh.rows("SELECT time_zone FROM city") == [("Europe/Brussels",)]
    assert await fresh.rows("SELECT read_count, audience_suppressed FROM announcement") == [
        (1, False)
    ]
    # A deleted post's words were purged by the upgrade; the live one kept its own.
    assert await fresh.rows("SELECT id, title, body FROM post ORDER BY id") == [
        (1, "Vélos", "Un parking ?"),
        (2, "", ""),
    ]
    assert await fresh.rows("SELECT account_id FROM consultation_answer") == [(1,)]
