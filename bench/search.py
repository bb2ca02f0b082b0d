"""Two-word searches in one neighbourhood of a city of 1,000,000 posts, on PostgreSQL:
p50 and p99, through the GraphQL API and for the SQL statement alone.

    .venv/bin/python -m bench.search --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.search --reuse postgres://postgres@127.0.0.1:5432/quartier_bench_city_...

With `--postgres`, it builds the city with `bench.city_dataset` (`--posts`, default 1,000,000;
titles, bodies and comments from `bench.search_text`'s pools of French sentences) in a new
database, dropped at the end unless `--keep`. With `--reuse`, it runs on a kept one (built
with `python -m bench.city_dataset --text words --keep`). The neighbourhood searched is the
largest (about a fifth of the city). A verified resident of it sends `neighbourhood(id) {
search(query, first: 20) { ... } }` through the app in this process (httpx ASGITransport, from
request to decoded JSON), for each of the 20 queries of `bench.search_text.QUERIES`, `--rounds`
times, after one warm-up pass; then the resolver's SQL alone (`resolvers.search.search`), the
same way. Results go to bench/results/search-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tortoise import Tortoise
from tortoise.expressions import Q

from bench import city_dataset
from bench.feed import ROOT, percentile
from bench.search_text import QUERIES, pools
from models.accounts import Account
from models.community import Post
from resolvers import search, tokens
from resolvers.ids import to_global_id
from server import db
from server.app import create_app
from server.settings import Settings

SEARCH = """
query Search($id: ID!, $query: String!) {
  neighbourhood(id: $id) {
    search(query: $query, first: 20) {
      edges { cursor node { post { id title } comment { id } excerpt { text highlighted } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


def summary(seconds: list[float]) -> dict[str, float]:
    return {
        "samples": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


async def largest_neighbourhood() -> tuple[int, int]:
    conn = Tortoise.get_connection("default")
    rows = await conn.execute_query_dict(
        "SELECT neighbourhood_id, count(*) AS posts FROM post"
        " GROUP BY neighbourhood_id ORDER BY posts DESC LIMIT 1"
    )
    return int(rows[0]["neighbourhood_id"]), int(rows[0]["posts"])


async def matches(neighbourhood_id: int, query: str) -> int:
    """Every hit of the query in the neighbourhood (posts and comments), for scale."""
    conn = Tortoise.get_connection("default")
    words = " ".join(search.words(query))
    rows = await conn.execute_query_dict(
        "WITH q AS (SELECT plainto_tsquery('quartier_fr', $1) || plainto_tsquery('quartier_nl', $1) AS query)"
        " SELECT (SELECT count(*) FROM post p, q WHERE p.search_vector @@ q.query"
        "  AND p.neighbourhood_id = $2)"
        " + (SELECT count(*) FROM comment c JOIN post p ON p.id = c.post_id, q"
        "  WHERE c.search_vector @@ q.query AND p.neighbourhood_id = $2) AS hits",
        [words, neighbourhood_id],
    )
    return int(rows[0]["hits"])


async def measure(url: str, rounds: int) -> dict[str, Any]:
    await db.start(url)
    try:
        hood, posts = await largest_neighbourhood()
        resident = await Account.filter(neighbourhood_id=hood, verified_at__isnull=False).first()
        assert resident is not None
        token, _ = await tokens.issue(resident, timedelta(hours=2))
        comments = await Tortoise.get_connection("default").execute_query_dict(
            "SELECT count(*) AS n FROM comment c JOIN post p ON p.id = c.post_id"
            " WHERE p.neighbourhood_id = $1", [hood]
        )  # fmt: skip
        scale = {q: await matches(hood, q) for q in QUERIES}
        app = create_app(Settings(database_url=url), manage_database=False)
        headers = {"Authorization": f"Bearer {token}"}
        variables = {"id": to_global_id("Neighbourhood", hood)}
        graphql: list[float] = []
        sql: list[float] = []
        per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for round_ in range(rounds + 1):
                for query in QUERIES:
                    body = {"query": SEARCH, "variables": {**variables, "query": query}}
                    began = time.perf_counter()
                    response = await client.post("/graphql", json=body, headers=headers)
                    took = time.perf_counter() - began
                    data = response.json()
                    assert "errors" not in data, data
                    if round_:  # the first pass warms up
                        graphql.append(took)
                        per_query[query].append(took)
        for round_ in range(rounds + 1):
            for query in QUERIES:
                began = time.perf_counter()
                await search.search(hood, query, 20, None)
                if round_:
                    sql.append(time.perf_counter() - began)
        return {
            "neighbourhood": {"id": hood, "posts": posts, "comments": int(comments[0]["n"])},
            "graphql": summary(graphql),
            "sql alone": summary(sql),
            "per query": {
                q: {"hits": scale[q], "p50_ms": round(percentile(v, 50) * 1000, 1)}
                for q, v in per_query.items()
            },
            "hidden or deleted posts in the city": await Post.filter(
                Q(deleted_at__isnull=False) | Q(hidden_at__isnull=False)
            ).count(),
        }
    finally:
        await db.stop()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    built = None
    url = args.reuse
    if url is None:
        url = await city_dataset.fresh_database(args.postgres)
        dataset = await city_dataset.populate(
            url, posts=args.posts, residents=args.residents, texts=pools()
        )
        built = dataset.summary()
    try:
        results = await measure(url, args.rounds)
    finally:
        if args.reuse is None and not args.keep:
            await city_dataset.drop_database(args.postgres, url)
    return {
        "dataset": built or {"reused": url},
        **results,
        "load average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--postgres", help="admin URL: a database is built, then dropped")
    source.add_argument("--reuse", help="URL of a kept city database built with --text words")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"search-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
