"""A city-scale PostgreSQL database for the topicInsights benchmark, built with set-based SQL.

One city with the usual eight topics, 15 neighbourhoods of uneven size (the largest holds
about a fifth of the activity, the smallest under 2 %), 20 streets each, `residents`
residents, and `posts` posts spread over the 24 whole UTC months before the current one, each
with 1 to 3 topics (uneven too: "evenements" is rare), 0 to 4 comments (mean 2) and 0 to 6
reactions (mean 3) from neighbours, in the days after the post. Bodies have realistic lengths
(posts 60 to 600 characters, comments 20 to 220), so tables are as wide as real ones. About 1 % of posts are
hidden, 0.5 % deleted, 1 % of comments hidden. Small counts therefore occur in the small
neighbourhoods and rare topics, and suppression has work to do.

Tortoise's migrations create the schema; the small tables go in through Tortoise; the big ones
through `INSERT ... SELECT generate_series(...)` on one asyncpg connection, with foreign-key
triggers off for the session (the generated rows are consistent by construction) and the
models' indexes in place. `post.comment_count` and `reaction_count` agree with the rows.

    .venv/bin/python -m bench.city_dataset --postgres postgres://postgres@127.0.0.1:5432/postgres
        [--posts 1000000] [--residents 30000] [--keep]

builds one (200,000 posts by default), prints what it holds and how long it took, and drops
it unless `--keep` (then it prints the URL, for `bench.insights --reuse`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg
from tortoise import Tortoise

from bench.search_text import Texts, pools
from models.accounts import Account, Role
from models.community import Topic
from models.geography import City, Neighbourhood, Street, fold
from resolvers import tokens
from server import db

PREFIX = "quartier_bench_city_"
TOPICS = [
    ("mobilite", "Mobilité", 18),
    ("travaux", "Travaux", 16),
    ("securite", "Sécurité", 14),
    ("environnement", "Environnement", 12),
    ("proprete", "Propreté", 14),
    ("entraide", "Entraide", 14),
    ("objets", "Objets", 9),
    ("evenements", "Événements", 3),
]
NEIGHBOURHOODS = [
    "La Louvière centre", "Haine-Saint-Paul", "Haine-Saint-Pierre", "Houdeng-Aimeries",
    "Houdeng-Goegnies", "Strépy-Bracquegnies", "Maurage", "Boussoit", "Saint-Vaast",
    "Trivières", "Besonrieux", "Bois-d'Haine", "Jolimont", "Bouvy", "Longtain",
]  # fmt: skip
MONTHS = 24


@dataclass
class CityDataset:
    url: str
    city_id: int
    start: date
    end: date
    token: str = field(repr=False)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    size: str = ""

    def summary(self) -> dict:
        data = asdict(self)
        data.pop("token")
        return data


def asyncpg_dsn(url: str) -> str:
    return re.sub(r"^(postgres|postgresql|asyncpg)://", "postgresql://", url)


async def fresh_database(admin_url: str) -> str:
    name = f"{PREFIX}{secrets.token_hex(4)}"
    conn = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return re.sub(r"/[^/]*$", f"/{name}", admin_url.replace("postgresql://", "postgres://"))


async def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    assert name.startswith(PREFIX), name
    conn = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def period(today: date | None = None) -> tuple[date, date]:
    """The 24 whole months before the current one: every month in it has ended."""
    today = today or datetime.now(UTC).date()
    end = today.replace(day=1)
    start = end.replace(year=end.year - MONTHS // 12)
    return start, end


async def populate(
    url: str, *, posts: int, residents: int, seed: float = 0.42, texts: Texts | None = None
) -> CityDataset:
    """Migrate the empty database at `url` and fill it. Leaves Tortoise closed. With `texts`,
    titles, bodies and comments are drawn from its pools of sentences (the search benchmark
    needs words); without, they are filler of realistic length."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    await db.migrate(url)
    await Tortoise.close_connections()
    await db.start(url)
    try:
        city_id, token, hoods = await _small_tables(residents)
        by_slug = {t.slug: t.id for t in await Topic.filter(city_id=city_id)}
        topic_ids = [by_slug[slug] for slug, _, _ in TOPICS]
    finally:
        await db.stop()
    timings["schema and small tables"] = time.perf_counter() - started
    start, end = period()
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        await conn.execute(
            "SET session_replication_role = replica; SET synchronous_commit = off; "
            "SET maintenance_work_mem = '256MB'"
        )
        await conn.execute("SELECT setseed($1)", seed)
        # Full-text indexes are built once at the end (in bulk) rather than kept up row by row
        # through the load; the generated tsvector columns are computed as rows go in.
        search_indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%search_vector%'"
        )
        for index in search_indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        for name, statement, args in _statements(hoods, topic_ids, posts, start, end, texts):
            began = time.perf_counter()
            await conn.execute(statement, *args)
            timings[name] = time.perf_counter() - began
        began = time.perf_counter()
        for index in search_indexes:
            await conn.execute(index["indexdef"])
        timings["search indexes"] = time.perf_counter() - began
        began = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - began
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("account", "post", "post_topic", "comment", "reaction")
        }
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    timings["total"] = time.perf_counter() - started
    return CityDataset(
        url=url,
        city_id=city_id,
        start=start,
        end=end,
        token=token,
        counts=counts,
        seconds={k: round(v, 1) for k, v in timings.items()},
        size=size,
    )


async def _small_tables(residents: int) -> tuple[int, str, list[tuple[int, int, int]]]:
    """City, topics, neighbourhoods, streets, residents, a CITY_STAFF account and its token.

    Returns (neighbourhood id, first resident id, resident count) per neighbourhood: residents
    of a neighbourhood have consecutive ids, so SQL can pick one with arithmetic."""
    city = await City.create(name="La Louvière")
    await Topic.bulk_create([Topic(city_id=city.id, slug=s, label=label) for s, label, _ in TOPICS])
    weights = [0.8**i for i in range(len(NEIGHBOURHOODS))]
    activated = datetime(2000, 1, 1, tzinfo=UTC)
    hoods: list[tuple[int, int, int]] = []
    next_id = 1
    for name, weight in zip(NEIGHBOURHOODS, weights, strict=True):
        hood = await Neighbourhood.create(city=city, name=name, activated_at=activated)
        await Street.bulk_create(
            [
                Street(neighbourhood=hood, name=f"Rue {i} ({name})", search_name=fold(f"rue {i} {name}"), postal_code="7100")
                for i in range(1, 21)
            ]
        )  # fmt: skip
        count = max(50, round(residents * weight / sum(weights)))
        assert count % 7919 != 0  # reactions step through residents by 7919
        hoods.append((hood.id, next_id, count))
        next_id += count
    await _residents(city.id, hoods)
    staff = await Account.create(
        email="communication@bench.example", display_name="Communication", role=Role.CITY_STAFF,
        city=city,
    )  # fmt: skip
    raw, _ = await tokens.issue(staff, timedelta(days=7))
    return city.id, raw, hoods


async def _residents(city_id: int, hoods: list[tuple[int, int, int]]) -> None:
    conn = Tortoise.get_connection("default")
    for hood_id, first, count in hoods:
        await conn.execute_query(
            """
            INSERT INTO account (id, email, display_name, role, city_id, street_id,
                                 neighbourhood_id, house_number, verified_at, created_at,
                                 language)
            SELECT g, 'habitant' || g || '@bench.example', 'Habitant ' || g, 'RESIDENT', $1,
                   (SELECT min(id) FROM street WHERE neighbourhood_id = $2) + g % 20, $2,
                   (1 + g % 180)::text, now() - interval '900 days', now() - interval '900 days',
                   'fr'
            FROM generate_series($3::int, $4::int) g
            """,
            [city_id, hood_id, first, first + count - 1],
        )
    await conn.execute_query(
        "SELECT setval(pg_get_serial_sequence('account', 'id'), (SELECT max(id) FROM account))"
    )


def _statements(
    hoods: list[tuple[int, int, int]],
    topic_ids: list[int],
    n_posts: int,
    start: date,
    end: date,
    texts: Texts | None = None,
) -> list[tuple[str, str, list]]:
    ids = [h[0] for h in hoods]
    firsts = [h[1] for h in hoods]
    sizes = [h[2] for h in hoods]
    weights = [0.8**i for i in range(len(hoods))]
    bounds = _cumulative(weights)
    topic_bounds = _cumulative([w for _, _, w in TOPICS])
    moment = (
        "$1::timestamptz + random() * ($2::timestamptz - $1::timestamptz)",
        [datetime.combine(start, datetime.min.time(), UTC), datetime.combine(end, datetime.min.time(), UTC)],
    )  # fmt: skip
    title, body, comment_body, pools = (
        "'Publication ' || id",
        "repeat('Texte ', 10 + id % 90)",
        "repeat('Oui ', 5 + (p.id + k * 13) % 50)",
        [],
    )
    if texts is not None:
        pools = [texts.titles, texts.bodies, texts.comments]
        title = "($8::text[])[1 + floor(random() * cardinality($8::text[]))::int]"
        body = (
            "array_to_string(ARRAY(SELECT ($9::text[])[1 + floor(random() * cardinality($9::text[]))::int]"
            " FROM generate_series(1, 2 + id % 5)), ' ')"
        )
        comment_body = "($5::text[])[1 + floor(random() * cardinality($5::text[]))::int]"
    return [
        (
            "post",
            f"""
            WITH drawn AS (
                SELECT g AS id, width_bucket(random(), $3::float8[]) AS h, random() AS flag,
                       {moment[0]} AS created_at,
                       floor(random() * 5)::int AS comments, floor(random() * 7)::int AS reactions
                FROM generate_series(1, $4::int) g
            )
            INSERT INTO post (id, neighbourhood_id, author_id, kind, title, body, share_with_city,
                              version, comment_count, reaction_count, created_at, deleted_at,
                              hidden_at)
            SELECT id, ($5::int[])[h], ($6::int[])[h] + floor(random() * ($7::int[])[h])::int,
                   'DISCUSSION', {title}, {body}, false,
                   1, comments, reactions, created_at,
                   CASE WHEN flag < 0.005 THEN created_at + interval '1 day' END,
                   CASE WHEN flag >= 0.005 AND flag < 0.015 THEN created_at + interval '1 day' END
            FROM drawn
            """,
            [*moment[1], bounds, n_posts, ids, firsts, sizes, *pools[:2]],
        ),
        (
            "post_topic",
            """
            INSERT INTO post_topic (post_id, topic_id)
            SELECT DISTINCT p.id, ($1::int[])[width_bucket(random(), $2::float8[])]
            FROM post p
            CROSS JOIN LATERAL generate_series(1, 1 + (p.id % 7 = 0)::int + (p.id % 5 = 0)::int) k
            """,
            [topic_ids, topic_bounds],
        ),
        (
            "comment",
            f"""
            INSERT INTO comment (post_id, author_id, body, created_at, hidden_at)
            SELECT p.id, h.first + floor(random() * h.size)::int, {comment_body},
                   least(p.created_at + random() * interval '3 days', $1::timestamptz
                         - interval '1 microsecond'),
                   CASE WHEN random() < 0.01 THEN p.created_at + interval '4 days' END
            FROM post p
            JOIN unnest($2::int[], $3::int[], $4::int[]) AS h(id, first, size)
              ON h.id = p.neighbourhood_id
            CROSS JOIN LATERAL generate_series(1, p.comment_count) k
            """,
            [datetime.combine(end, datetime.min.time(), UTC), ids, firsts, sizes, *pools[2:]],
        ),
        (
            "reaction",
            """
            INSERT INTO reaction (post_id, account_id, created_at)
            SELECT p.id, h.first + (p.id * 31 + k * 7919) % h.size,
                   least(p.created_at + random() * interval '2 days', $1::timestamptz
                         - interval '1 microsecond')
            FROM post p
            JOIN unnest($2::int[], $3::int[], $4::int[]) AS h(id, first, size)
              ON h.id = p.neighbourhood_id
            CROSS JOIN LATERAL generate_series(1, p.reaction_count) k
            """,
            [datetime.combine(end, datetime.min.time(), UTC), ids, firsts, sizes],
        ),
        (
            "sequences",
            "SELECT setval(pg_get_serial_sequence('post', 'id'), (SELECT max(id) FROM post))",
            [],
        ),
    ]


def _cumulative(weights: list[float]) -> list[float]:
    """Lower bounds of the buckets for width_bucket(random(), ...): 1 to n, by weight."""
    total, running, bounds = sum(weights), 0.0, [0.0]
    for w in weights[:-1]:
        running += w
        bounds.append(running / total)
    return bounds


async def _main(args: argparse.Namespace) -> None:
    url = await fresh_database(args.postgres)
    try:
        texts = pools() if args.text == "words" else None
        dataset = await populate(url, posts=args.posts, residents=args.residents, texts=texts)
        print(json.dumps(dataset.summary(), indent=2, default=str))
    finally:
        if not args.keep:
            await drop_database(args.postgres, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="admin URL (a database is created)")
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--residents", type=int, default=30_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--text", choices=("filler", "words"), default="filler",
        help="words: titles, bodies and comments from bench.search_text (for bench.search)",
    )  # fmt: skip
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
