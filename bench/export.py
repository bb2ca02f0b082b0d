"""Peak memory of the GDPR export (GET /me/export) for an account with many posts.

    python -m bench.export [--posts 10000] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database dropped
after), gives one resident `--posts` posts of about 600 characters (and as many comments and
messages), then streams their export through the app's ASGI interface, counting each body message
and dropping it, as a server writing it to a socket would. tracemalloc measures the peak of Python allocations during the
export alone; the same run with a tenth of the posts shows whether memory grows with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import tracemalloc
from datetime import timedelta

from tortoise import Tortoise
from tortoise.timezone import now

from models.accounts import Account, Role
from models.community import Comment, Post, PostKind
from models.geography import City, Neighbourhood, Street
from models.messaging import Conversation, ConversationParticipant, Message
from resolvers import tokens
from server import db
from server.app import create_app
from server.settings import Settings

BODY = "Je donne un vélo d'enfant, bleu, roues de 16 pouces, en bon état. " * 9


async def _resident(label: str) -> tuple[Account, str]:
    city = await City.create(name=f"Bench {label}")
    hood = await Neighbourhood.create(city=city, name="Centre", activated_at=now())
    street = await Street.create(
        neighbourhood=hood, name="Rue", search_name="rue", postal_code="7100"
    )
    person = await Account.create(
        email=f"bench.{label}@example.be",
        display_name="Bench",
        role=Role.RESIDENT,
        city=city,
        street=street,
        neighbourhood=hood,
        house_number="1",
        verified_at=now(),
    )
    raw, _ = await tokens.issue(person, timedelta(hours=1))
    return person, raw


async def _fill(person: Account, count: int) -> None:
    other = await Account.create(
        email=f"other.{person.id}@example.be",
        display_name="Voisin",
        role=Role.RESIDENT,
        city_id=person.city_id,
        street_id=person.street_id,
        neighbourhood_id=person.neighbourhood_id,
        verified_at=now(),
    )
    moment = now()
    posts = [
        Post(
            neighbourhood_id=person.neighbourhood_id,
            author_id=person.id,
            kind=PostKind.ITEM_GIVEAWAY,
            title=f"Vélo {i}",
            body=BODY,
            created_at=moment,
        )
        for i in range(count)
    ]
    await Post.bulk_create(posts, batch_size=1000)
    first = await Post.filter(author_id=person.id).order_by("id").first()
    assert first is not None
    await Comment.bulk_create(
        [
            Comment(post_id=first.id + i, author_id=person.id, body=BODY, created_at=moment)
            for i in range(count)
        ],
        batch_size=1000,
    )
    thread = await Conversation.create(
        neighbourhood_id=person.neighbourhood_id,
        pair_key=f"{person.id}:{other.id}",
        created_at=moment,
        last_message_at=moment,
    )
    await ConversationParticipant.bulk_create(
        [
            ConversationParticipant(conversation_id=thread.id, account_id=person.id),
            ConversationParticipant(conversation_id=thread.id, account_id=other.id),
        ]
    )
    await Message.bulk_create(
        [
            Message(conversation_id=thread.id, sender_id=person.id, body=BODY, created_at=moment)
            for _ in range(count)
        ],
        batch_size=1000,
    )


async def _export(app, token: str) -> tuple[int, int, float]:
    """Bytes streamed, peak traced bytes, seconds. The endpoint's response is driven as an
    ASGI server would drive it, each body message dropped once counted (httpx's ASGI
    transport would keep the whole body, and measure itself)."""
    size = 0
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/me/export",
        "raw_path": b"/me/export",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", f"Bearer {token}".encode()), (b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict:
        await asyncio.sleep(3600)  # the client never disconnects during the export
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal size
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    tracemalloc.start()
    started = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, peak, elapsed


async def run(posts: int, postgres: str | None) -> None:
    from tests import support

    url = (
        await support.create_postgres_database(postgres)
        if postgres
        else f"sqlite://{os.path.join(tempfile.mkdtemp(prefix='quartier-bench-'), 'b.sqlite3')}"
    )
    try:
        await db.migrate(url)
        await Tortoise.close_connections()
        await db.start(url)
        app = create_app(Settings(database_url=url), manage_database=False)
        rows = []
        for count in (posts // 10, posts):
            person, token = await _resident(str(count))
            await _fill(person, count)
            rows.append((count, *await _export(app, token)))
        await db.stop()
    finally:
        if postgres:
            await support.drop_postgres_database(postgres, url)
    database = "PostgreSQL" if postgres else "SQLite"
    print(f"GDPR export on {database} (posts, comments and messages each):")
    for count, size, peak, seconds in rows:
        print(
            f"  {count:>6} each: {size / 2**20:6.1f} MiB streamed, peak Python memory "
            f"{peak / 2**20:5.2f} MiB, {seconds:5.1f} s"
        )
    print(f"  peak ratio {rows[1][2] / rows[0][2]:.2f} for {posts // (posts // 10)}x the rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--postgres", help="an admin URL: a fresh database is made and dropped")
    args = parser.parse_args()
    asyncio.run(run(args.posts, args.postgres))


if __name__ == "__main__":
    main()
