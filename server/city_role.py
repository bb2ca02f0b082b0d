"""The city subgraph's own PostgreSQL role: defence in depth behind the field permissions.

The city's side never needs what residents wrote, so its role may not read it: no title or
body of posts, no comment or message bodies, no emails, names or house numbers. It reads the
columns below and writes only what the city publishes and what residents answer it.
`quartier db create-city-role` creates the role (or brings an existing one back to exactly
these grants, after a migration for instance) and prints the URL for the city subgraph.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

from tortoise import connections
from tortoise.transactions import in_transaction

from server import city_auth
from server.operations import CommandError

DEFAULT_ROLE: Final = "quartier_city"
ALL: Final = None

# Table: the columns the city's side selects (ALL: the whole row, for the city's own tables
# and the places and taxonomy it targets and counts by).
READS: Final[dict[str, tuple[str, ...] | None]] = {
    "account": city_auth.ACCOUNT_COLUMNS,
    "auth_token": city_auth.TOKEN_COLUMNS,
    "city": ALL,
    "neighbourhood": ALL,
    "street": ALL,
    "topic": ALL,
    # topicInsights counts rows; it never reads what they say nor who wrote them.
    "post": ("id", "neighbourhood_id", "created_at", "deleted_at", "hidden_at"),
    "post_topic": ALL,
    "comment": ("id", "post_id", "created_at", "deleted_at", "hidden_at"),
    "reaction": ("id", "post_id", "created_at"),
    "announcement": ALL,
    "announcement_neighbourhood": ALL,
    "announcement_street": ALL,
    "consultation": ALL,
    "consultation_option": ALL,
    "consultation_answer": ALL,
    "notification": ALL,
    # Publishing queues e-mails to those who want them (resolvers/outbox.py).
    "notification_preference": ("account_id", "kind", "email"),
    # /readyz checks that every migration is applied.
    "tortoise_migrations": ("app", "name"),
    # topicInsights' frozen day counts (resolvers/insight_snapshots.py).
    "insight_day": ALL,
    # Requests that name a trusted document by its id (server/trusted/).
    "trusted_document": ALL,
}
# Table: what the city's side writes (publishing, answers to consultations, reading one's
# notifications).
WRITES: Final[dict[str, tuple[str, ...]]] = {
    "announcement": ("INSERT", "UPDATE (recipient_count, audience_suppressed, read_count)"),
    "announcement_neighbourhood": ("INSERT",),
    "announcement_street": ("INSERT",),
    "consultation": ("INSERT",),
    "consultation_option": ("INSERT",),
    "consultation_answer": ("INSERT", "UPDATE (option_id, answered_at, neighbourhood_id)"),
    "notification": ("INSERT", "UPDATE (read_at)"),
    # Rows only: the address is read by the worker, which runs as the owner.
    "outbox_message": ("INSERT",),
    # Freezing the ended days of topicInsights.
    "insight_day": ("INSERT",),
    "neighbourhood": ("UPDATE (insights_frozen_until)",),
}
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSWORD = re.compile(r"^[\x21-\x7e]{16,200}$")
SCRAM_ITERATIONS = 4096


def scram_verifier(password: str) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier: the role gets its password without the clear
    text ever reaching the server (or its statement log)."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    stored_key = hashlib.sha256(client_key).digest()
    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def grant_statements(role: str) -> list[str]:
    """Every grant, after revoking whatever the role held on the tables before."""
    quoted = f'"{role}"'
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
    ]
    for table, columns in READS.items():
        what = "SELECT" if columns is ALL else f"SELECT ({', '.join(columns)})"
        statements.append(f"GRANT {what} ON {table} TO {quoted}")
    for table, privileges in WRITES.items():
        statements.append(f"GRANT {', '.join(privileges)} ON {table} TO {quoted}")
        # Inserting takes the next id from the table's sequence.
        statements.append(
            f"DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {quoted}', "
            f"pg_get_serial_sequence('{table}', 'id')); END $$"
        )
    return statements


def role_url(database_url: str, role: str, password: str) -> str:
    """DATABASE_URL with the role's credentials in place of the owner's."""
    parts = urlsplit(database_url)
    host = parts.hostname or "127.0.0.1"
    address = f"[{host}]" if ":" in host else host
    if parts.port:
        address += f":{parts.port}"
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{address}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def require_postgres(database_url: str) -> None:
    if not database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        raise CommandError("the city role is PostgreSQL's: DATABASE_URL names another database")


async def create_city_role(database_url: str, role: str, password: str | None) -> str:
    """Creates the role (or resets it to exactly these grants) and returns its URL. Run with
    the owner's DATABASE_URL, on the database the subgraphs share."""
    require_postgres(database_url)
    if not ROLE_NAME.match(role):
        raise CommandError(f"invalid role name {role!r}: lowercase letters, digits and _")
    password = password if password is not None else secrets.token_urlsafe(24)
    if not PASSWORD.match(password):
        raise CommandError("the password must be 16 to 200 printable ASCII characters")
    quoted = f'"{role}"'
    async with in_transaction() as conn:
        _, rows = await conn.execute_query("SELECT current_database()")
        database = rows[0][0]
        _, found = await conn.execute_query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])
        if not found:
            await conn.execute_script(f"CREATE ROLE {quoted}")
        await conn.execute_script(
            f"ALTER ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
            f"PASSWORD '{scram_verifier(password)}'"
        )
        database_name = database.replace('"', '""')
        await conn.execute_script(f'GRANT CONNECT ON DATABASE "{database_name}" TO {quoted}')
        for statement in grant_statements(role):
            await conn.execute_script(statement)
    return role_url(database_url, role, password)


async def drop_city_role(role: str) -> None:
    """Revokes everything the role holds in this database, then drops it (tests do this)."""
    conn = connections.get("default")
    await conn.execute_script(f'DROP OWNED BY "{role}"')
    await conn.execute_script(f'DROP ROLE IF EXISTS "{role}"')
