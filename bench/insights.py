"""topicInsights on a city-scale PostgreSQL database against the bare GROUP BY run in psql.

    .venv/bin/python -m bench.insights --postgres postgres://postgres@127.0.0.1:5432/postgres
        [--posts 1000000] [--rounds 5] [--keep | --reuse URL]

Steps, in one run:

1. build a fresh database with bench.city_dataset (or `--reuse` one kept by `--keep`);
2. start Tortoise on it in this process, and the app over httpx's ASGITransport (no sockets:
   the GraphQL side is timed from request to decoded JSON);
3. check the answer: every shown count of the headline scenario equals the bare statement's
   count for that cell, and report how many cells suppression hid;
4. for each phase (the models' indexes only; then with INDEXES created by CREATE INDEX and
   VACUUM ANALYZE) and each scenario: warm both sides up, then alternate them for `--rounds`
   rounds (A B, then B A: a drift of the machine weighs on both alike). Side A is the GraphQL
   request; side B is the bare statement, the same joins and filters grouped straight by the
   period with no suppression, run by psql and timed by its `\\timing` (connection set-up
   excluded). The resolver's own statement is also run in psql, to split the GraphQL time
   into SQL and the rest;
5. print a table of medians and GraphQL/bare ratios and write bench/results/insights-*.json.

The database is dropped at the end unless `--keep` or `--reuse`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import city_dataset
from models.geography import Neighbourhood
from resolvers import tokens
from resolvers.ids import to_global_id
from resolvers.insights import statement
from resolvers.suppression import Interval
from server import db
from server.app import create_app
from server.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
QUERY = """
query TopicInsights($from: DateTime!, $to: DateTime!, $ids: [ID!], $interval: InsightInterval) {
  topicInsights(from: $from, to: $to, neighbourhoodIds: $ids, interval: $interval) {
    neighbourhood { id name } topic { slug label } periodStart
    postCount commentCount reactionCount suppressed
  }
}
"""
# What each index is for: see bench/README.md, section topicInsights.
INDEXES = {
    "comment_created_post": "CREATE INDEX IF NOT EXISTS bench_comment_created_post "
    "ON comment (created_at, post_id, deleted_at, hidden_at)",
    "reaction_created_post": "CREATE INDEX IF NOT EXISTS bench_reaction_created_post "
    "ON reaction (created_at, post_id)",
}
_BARE_PERIOD = {
    Interval.DAY: "(({}) AT TIME ZONE 'UTC')::date",
    Interval.WEEK: "date_trunc('week', ({}) AT TIME ZONE 'UTC')::date",
    Interval.MONTH: "date_trunc('month', ({}) AT TIME ZONE 'UTC')::date",
}


@dataclass
class Scenario:
    name: str
    interval: Interval
    low: date
    high: date
    hood_ids: list[int] | None  # None: the whole city, neighbourhoodIds omitted


def scenarios(start: date, end: date, hoods: list[int]) -> list[Scenario]:
    last_monday = end - timedelta(days=end.weekday())
    three_months_back = _months_before(end, 3)
    return [
        Scenario("city, MONTH, 24 months", Interval.MONTH, start, end, None),
        Scenario("city, NONE, 24 months", Interval.NONE, start, end, None),
        Scenario("city, DAY, last 3 months", Interval.DAY, three_months_back, end, None),
        Scenario(
            "1 neighbourhood, WEEK, 52 weeks",
            Interval.WEEK,
            last_monday - timedelta(weeks=52),
            last_monday,
            [hoods[4]],
        ),
        Scenario(
            "1 neighbourhood, DAY, last month",
            Interval.DAY,
            _months_before(end, 1),
            end,
            [hoods[4]],
        ),
    ]


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


# --- the two sides ------------------------------------------------------------------------


def bare_statement(hood_ids: Sequence[int], low: date, high: date, interval: Interval) -> str:
    """The naive statement: counts per neighbourhood, topic and period, no suppression."""
    grouping = Interval.MONTH if interval is Interval.NONE else interval
    ids = ", ".join(str(i) for i in hood_ids)
    bounds = f"'{low.isoformat()} 00:00:00+00' AND {{col}} < '{high.isoformat()} 00:00:00+00'"

    def branch(measure: int, alias: str, joins: str, extra: str) -> str:
        col = f"{alias}.created_at"
        return (
            f"SELECT {measure}, p.neighbourhood_id, pt.topic_id, "
            f"{_BARE_PERIOD[grouping].format(col)}, count(*)\n{joins}\n"
            f"WHERE p.neighbourhood_id IN ({ids}) AND {col} >= {bounds.format(col=col)}"
            f"{extra} AND p.deleted_at IS NULL AND p.hidden_at IS NULL\nGROUP BY 1, 2, 3, 4"
        )

    via_post = "JOIN post p ON p.id = {a}.post_id JOIN post_topic pt ON pt.post_id = {a}.post_id"
    return (
        "\nUNION ALL\n".join(
            [
                branch(0, "p", "FROM post p JOIN post_topic pt ON pt.post_id = p.id", ""),
                branch(
                    1,
                    "c",
                    "FROM comment c " + via_post.format(a="c"),
                    " AND c.deleted_at IS NULL AND c.hidden_at IS NULL",
                ),
                branch(2, "r", "FROM reaction r " + via_post.format(a="r"), ""),
            ]
        )
        + ";"
    )


def resolver_statement(hood_ids: Sequence[int], low: date, high: date, interval: Interval) -> str:
    """The resolver's statement, for psql."""
    return statement("postgres", hood_ids, low, high, interval, 5) + ";"


def psql_ms(url: str, sql: str) -> float:
    """Run `sql` once in psql; the milliseconds its \\timing reports."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write("\\timing on\n\\o /dev/null\n" + sql + "\n")
    try:
        out = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", _libpq(url), "-f", handle.name],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        ).stdout
    finally:
        os.unlink(handle.name)
    match = re.search(r"Time: ([0-9.]+) ms", out)
    assert match, out
    return float(match.group(1))


def _libpq(url: str) -> str:
    return re.sub(r"^(postgres|asyncpg)://", "postgresql://", url)


class GraphQLSide:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def run(self, scenario: Scenario) -> tuple[float, list[dict]]:
        variables = {
            "from": f"{scenario.low.isoformat()}T00:00:00Z",
            "to": f"{scenario.high.isoformat()}T00:00:00Z",
            "interval": scenario.interval.value,
            "ids": [to_global_id("Neighbourhood", i) for i in scenario.hood_ids]
            if scenario.hood_ids
            else None,
        }
        began = time.perf_counter()
        response = await self.client.post(
            "/graphql",
            json={"query": QUERY, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        elapsed = (time.perf_counter() - began) * 1000
        assert "errors" not in body, body
        return elapsed, body["data"]["topicInsights"]


# --- measuring ----------------------------------------------------------------------------


async def measure(
    side_a: Callable[[], Any], side_b: Callable[[], float], rounds: int
) -> tuple[list[float], list[float]]:
    a_times: list[float] = []
    b_times: list[float] = []
    await side_a()
    side_b()
    for i in range(rounds):
        order = ("a", "b") if i % 2 == 0 else ("b", "a")
        for side in order:
            if side == "a":
                a_times.append(await side_a())
            else:
                b_times.append(await asyncio.to_thread(side_b))
    return a_times, b_times


async def check_answer(url: str, rows: list[dict], hood_ids: list[int], scenario: Scenario) -> dict:
    """Every shown count equals the bare count; how many were hidden."""
    conn = await asyncpg.connect(_libpq(url))
    try:
        bare = await conn.fetch(
            bare_statement(hood_ids, scenario.low, scenario.high, scenario.interval)
        )
        topics = {r["slug"]: r["id"] for r in await conn.fetch("SELECT id, slug FROM topic")}
    finally:
        await conn.close()
    counts = {(r[0], r[1], r[2], r[3]): r[4] for r in bare}
    names = ("postCount", "commentCount", "reactionCount")
    shown = hidden = 0
    by_gid = {to_global_id("Neighbourhood", i): i for i in hood_ids}
    for row in rows:
        hood = by_gid[row["neighbourhood"]["id"]]
        topic = topics[row["topic"]["slug"]]
        day = date.fromisoformat(row["periodStart"][:10])
        for measure, name in enumerate(names):
            value = row[name]
            if value is None:
                hidden += 1
                continue
            shown += 1
            assert value == counts.get((measure, hood, topic, day), 0), (row, measure)
    return {"cells shown": shown, "cells suppressed": hidden}


async def run(args: argparse.Namespace) -> dict:
    if shutil.which("psql") is None:
        raise SystemExit("psql is not on PATH")
    dataset: dict[str, Any] = {}
    url = args.reuse
    if url is None:
        url = await city_dataset.fresh_database(args.postgres)
        built = await city_dataset.populate(url, posts=args.posts, residents=args.residents)
        dataset = built.summary()
        print(json.dumps(dataset, indent=2, default=str), flush=True)
    start, end = city_dataset.period()
    try:
        return await _bench(url, start, end, args.rounds, dataset)
    finally:
        if args.reuse is None and not args.keep:
            await city_dataset.drop_database(args.postgres, url)
        elif args.keep:
            print(f"kept {url}")


async def _bench(url: str, start: date, end: date, rounds: int, dataset: dict) -> dict:
    await _drop_indexes(url)  # a reused database starts the first phase without them
    await db.start(url, pool_max=2)
    try:
        token, city_id = await _staff_token(url)
        hoods = list(
            await Neighbourhood.filter(city_id=city_id).order_by("id").values_list("id", flat=True)
        )
        app = create_app(Settings(database_url=url), manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench.test", timeout=600
        ) as client:
            side = GraphQLSide(client, token)
            plan = scenarios(start, end, hoods)
            _, rows = await side.run(plan[0])
            check = await check_answer(url, rows, hoods, plan[0])
            print(f"answer checked against the bare statement: {check}", flush=True)
            results = []
            for phase in ("model indexes", "model + bench indexes"):
                if phase != "model indexes":
                    results.append(await _create_indexes(url))
                for scenario in plan:
                    results.append(await _scenario(url, side, scenario, hoods, rounds, phase))
    finally:
        await db.stop()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load average before": os.getloadavg()},
        "dataset": dataset,
        "check": check,
        "indexes": INDEXES,
        "results": results,
    }
    _print(results)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"insights-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {path}")
    return report


async def _staff_token(url: str) -> tuple[str, int]:
    """A fresh bearer token for the dataset's CITY_STAFF account, and its city."""
    raw, digest = tokens.new_token()
    conn = await asyncpg.connect(_libpq(url))
    try:
        staff = await conn.fetchrow(
            "SELECT id, city_id FROM account WHERE role = 'CITY_STAFF' ORDER BY id LIMIT 1"
        )
        await conn.execute(
            "INSERT INTO auth_token (account_id, token_hash, created_at, expires_at) "
            "VALUES ($1, $2, now(), now() + interval '2 hours')",
            staff["id"],
            digest,
        )
    finally:
        await conn.close()
    return raw, staff["city_id"]


async def _drop_indexes(url: str) -> None:
    conn = await asyncpg.connect(_libpq(url))
    try:
        for name in INDEXES:
            await conn.execute(f"DROP INDEX IF EXISTS bench_{name}")
    finally:
        await conn.close()


async def _create_indexes(url: str) -> dict:
    conn = await asyncpg.connect(_libpq(url))
    began = time.perf_counter()
    try:
        for sql in INDEXES.values():
            await conn.execute(sql)
        await conn.execute("VACUUM ANALYZE comment")
        await conn.execute("VACUUM ANALYZE reaction")
    finally:
        await conn.close()
    return {"create indexes, vacuum analyze (s)": round(time.perf_counter() - began, 1)}


async def _scenario(
    url: str, side: GraphQLSide, scenario: Scenario, hoods: list[int], rounds: int, phase: str
) -> dict:
    ids = scenario.hood_ids or hoods
    bare = bare_statement(ids, scenario.low, scenario.high, scenario.interval)
    ours = resolver_statement(ids, scenario.low, scenario.high, scenario.interval)

    async def graphql() -> float:
        return (await side.run(scenario))[0]

    a_times, b_times = await measure(graphql, lambda: psql_ms(url, bare), rounds)
    ours_times = [await asyncio.to_thread(psql_ms, url, ours) for _ in range(2)]
    rows = len((await side.run(scenario))[1])
    graphql_ms, bare_ms = statistics.median(a_times), statistics.median(b_times)
    result = {
        "phase": phase,
        "scenario": scenario.name,
        "rows": rows,
        "graphql ms (median)": round(graphql_ms),
        "bare psql ms (median)": round(bare_ms),
        "ratio": round(graphql_ms / bare_ms, 2),
        "resolver statement psql ms": round(statistics.median(ours_times)),
        "graphql ms": [round(t) for t in a_times],
        "bare psql ms": [round(t) for t in b_times],
        "load average": os.getloadavg(),
    }
    print(
        json.dumps({k: v for k, v in result.items() if "ms" not in k or "median" in k}), flush=True
    )
    return result


def _print(results: list[dict]) -> None:
    print()
    print(
        f"{'phase':<24} {'scenario':<34} {'rows':>6} {'GraphQL':>9} {'bare':>9} {'ratio':>6} {'stmt':>8}"
    )
    for r in results:
        if "scenario" not in r:
            print(f"  ({next(iter(r))}: {next(iter(r.values()))})")
            continue
        print(
            f"{r['phase']:<24} {r['scenario']:<34} {r['rows']:>6} "
            f"{r['graphql ms (median)']:>7}ms {r['bare psql ms (median)']:>7}ms "
            f"{r['ratio']:>6} {r['resolver statement psql ms']:>6}ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="admin URL (a database is created)")
    parser.add_argument("--posts", type=int, default=200_000, help="1000000 for city scale")
    parser.add_argument("--residents", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database, print its URL")
    parser.add_argument("--reuse", metavar="URL", help="a database kept by --keep")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
