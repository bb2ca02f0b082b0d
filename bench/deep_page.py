"""A deep page of the feed costs what page one costs: page 1 against a page 50,000 posts deep
in a 100,000-post neighbourhood, each reached the way a client reaches it.

    .venv/bin/python -m bench.deep_page                      # SQLite file in a temporary directory
    .venv/bin/python -m bench.deep_page --postgres postgres://postgres@127.0.0.1:5432/postgres

One run:

1. a fresh database (bench.dataset, bulk inserts) whose measured neighbourhood holds `--posts`
   posts (100,000) spread over `--days` days; dropped at the end, also on error or Ctrl-C;
2. in this process, through the real app (httpx ASGITransport), the client pages from the top
   with `first: 100` and each page's `endCursor` until `--depth` posts (50,000) lie behind it,
   checking that the posts come newest first without a repeat; the last `endCursor` is the
   deep page's cursor;
3. page 1 (no cursor) and the deep page (`after: <cursor>`), both `first: --first` (20), are
   requested alternately `--samples` times each; the run reports the median and p90 time of a
   request on each side and their ratio (goal: within 1.2), and the statements each runs
   (the same count, the same shape);
4. the page statement of each side is EXPLAINed on the database: the plan must read the
   `post (neighbourhood_id, created_at, id)` index, bounded at the cursor for the deep page
   (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN (ANALYZE, BUFFERS)` with the rows the
   scan read). A plan that does not fails the run.

Writes bench/results/deep_page-<timestamp>-<database>.json unless `--no-write`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from tortoise import connections

from bench import dataset as datasets
from bench.feed import RESULTS, ROOT, headers_for, percentile, recording, request_body


async def fetch(client: httpx.AsyncClient, body: bytes, token: str) -> dict[str, Any]:
    response = await client.post("/graphql", content=body, headers=headers_for(token))
    assert response.status_code == 200, (response.status_code, response.text[:500])
    data = response.json()
    assert "errors" not in data, data["errors"]
    posts: dict[str, Any] = data["data"]["neighbourhood"]["posts"]
    return posts


async def walk_to(client: httpx.AsyncClient, dataset: datasets.Dataset, depth: int) -> str:
    """The endCursor after `depth` posts, paging from the top 100 at a time as a client does."""
    seen: set[str] = set()
    after: str | None = None
    previous = ""
    while len(seen) < depth:
        first = min(100, depth - len(seen))
        posts = await fetch(
            client, request_body(dataset.neighbourhood_id, first, after), dataset.token
        )
        for edge in posts["edges"]:
            node = edge["node"]
            assert node["id"] not in seen, f"post {node['id']} came twice"
            # createdAt is ISO 8601 in UTC: newest first means not increasing as text too.
            assert not previous or node["createdAt"] <= previous, (previous, node["createdAt"])
            previous = node["createdAt"]
            seen.add(node["id"])
        assert posts["pageInfo"]["hasNextPage"], f"the feed ended after {len(seen)} posts"
        after = posts["pageInfo"]["endCursor"]
    assert after is not None
    return after


def page_statement(statements: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    pages = [(q, v) for q, v in statements if 'FROM "post"' in q and "ORDER BY" in q]
    assert len(pages) == 1, statements
    return pages[0]


async def explain(dialect: str, sql: str, values: list[Any]) -> tuple[list[str], dict[str, Any]]:
    """The plan of the page statement as lines, and what it says about the index."""
    conn = connections.get("default")
    if dialect == "sqlite":
        rows = await conn.execute_query_dict("EXPLAIN QUERY PLAN " + sql, values)
        lines = [str(r["detail"]) for r in rows]
        scan = next((line for line in lines if " post " in f" {line} "), "")
        facts = {
            "uses_index": "USING INDEX" in scan and "neighbourhood_id" in scan,
            "bounded_by_created_at": "created_at<" in scan.replace(" ", ""),
            "sorts": any("TEMP B-TREE" in line for line in lines),
        }
        return lines, facts
    rows = await conn.execute_query_dict("EXPLAIN (ANALYZE, BUFFERS) " + sql, values)
    lines = [str(r["QUERY PLAN"]) for r in rows]
    text = "\n".join(lines)
    cond = next((line.strip() for line in lines if "Index Cond:" in line), "")
    removed = sum(int(line.split(":")[1]) for line in lines if "Rows Removed by Filter:" in line)
    facts = {
        "uses_index": "Index Scan" in text and "neighbourhood_id" in cond,
        "bounded_by_created_at": "created_at <" in cond,
        "sorts": "Sort" in text and "Sort Key" in text,
        "rows_removed_by_filter": removed,
    }
    return lines, facts


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from server import db
    from server.app import create_app
    from server.settings import Settings

    results: dict[str, Any] = {
        "benchmark": "deep_page",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {k: v for k, v in vars(args).items() if k != "postgres"},
    }
    admin = args.postgres
    url = await datasets.fresh_database(admin)
    try:
        started = time.perf_counter()
        dataset = await datasets.populate(
            url,
            posts=args.posts,
            residents=args.residents,
            other_posts=300,
            days=args.days,
            social=False,
        )
        results["database"] = dataset.dialect
        results["dataset"] = {k: v for k, v in dataset.summary().items() if k != "url"}
        print(f"dataset: {dataset.counts} in {time.perf_counter() - started:.1f} s", flush=True)

        settings = Settings(database_url=url)
        app = create_app(settings, manage_database=False)
        await db.start(url, settings.db_pool_max)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                started = time.perf_counter()
                cursor = await walk_to(client, dataset, args.depth)
                walked = time.perf_counter() - started
                print(f"paged {args.depth} posts deep in {walked:.1f} s", flush=True)
                bodies = {
                    "page 1": request_body(dataset.neighbourhood_id, args.first),
                    "deep": request_body(dataset.neighbourhood_id, args.first, cursor),
                }
                statements: dict[str, list[tuple[str, list[Any]]]] = {}
                for side, body in bodies.items():
                    await fetch(client, body, dataset.token)  # warm the caches
                    with recording() as recorded:
                        posts = await fetch(client, body, dataset.token)
                    assert len(posts["edges"]) == args.first, (side, len(posts["edges"]))
                    statements[side] = list(recorded)
                times: dict[str, list[float]] = {side: [] for side in bodies}
                for i in range(args.samples):
                    order = list(bodies) if i % 2 == 0 else list(bodies)[::-1]
                    for side in order:
                        t0 = time.perf_counter()
                        await fetch(client, bodies[side], dataset.token)
                        times[side].append(time.perf_counter() - t0)
            plans: dict[str, Any] = {}
            for side, recorded in statements.items():
                sql, values = page_statement(recorded)
                lines, facts = await explain(dataset.dialect, sql, values)
                plans[side] = {"sql": sql, "plan": lines, **facts}
        finally:
            await db.stop()
    finally:
        await datasets.drop_database(admin, url)

    summary: dict[str, Any] = {}
    for side, samples in times.items():
        summary[side] = {
            "median_ms": round(statistics.median(samples) * 1000, 2),
            "p90_ms": round(percentile(samples, 90) * 1000, 2),
            "statements": len(statements[side]),
        }
    summary["ratio_deep_over_page1"] = round(
        summary["deep"]["median_ms"] / summary["page 1"]["median_ms"], 3
    )
    results["pages"] = summary
    results["plans"] = plans
    results["walk_seconds"] = round(walked, 1)
    return results


def report(results: dict[str, Any]) -> list[str]:
    """Prints the figures and plans; returns what fails the run."""
    pages, plans = results["pages"], results["plans"]
    print(f"\n{results['database']}: {results['dataset']['counts']['posts_in_feed_neighbourhood']}"
          f" posts in the neighbourhood, page of {results['settings']['first']}, "
          f"{results['settings']['samples']} requests per side")  # fmt: skip
    print(f"{'page':<8}{'median ms':>11}{'p90 ms':>9}{'statements':>12}")
    for side in ("page 1", "deep"):
        p = pages[side]
        print(f"{side:<8}{p['median_ms']:>11.2f}{p['p90_ms']:>9.2f}{p['statements']:>12}")
    print(f"ratio deep / page 1 (median) = {pages['ratio_deep_over_page1']:.3f}  (goal <= 1.2)")
    failures = []
    if pages["deep"]["statements"] != pages["page 1"]["statements"]:
        failures.append("the deep page runs another number of statements than page 1")
    for side, plan in plans.items():
        print(f"\nplan of the page statement, {side}:")
        for line in plan["plan"]:
            print(f"  {line}")
        if not plan["uses_index"]:
            failures.append(f"{side}: the plan does not read the (neighbourhood_id, ...) index")
        if plan["sorts"]:
            failures.append(f"{side}: the plan sorts instead of reading the index in order")
        if side == "deep" and not plan["bounded_by_created_at"]:
            failures.append("deep: the index scan does not start at the cursor (created_at)")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.deep_page", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=50_000, help="posts behind the deep page")
    parser.add_argument("--first", type=int, default=20, help="page size measured")
    parser.add_argument("--samples", type=int, default=40, help="requests per side")
    parser.add_argument("--days", type=int, default=3650, help="days the posts spread over")
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if not 0 < args.depth < args.posts - args.first or not 1 <= args.first <= 100:
        parser.error("depth must lie within the posts, first within 1..100")
    try:
        results = asyncio.run(measure(args))
    except KeyboardInterrupt:
        print("\ninterrupted: database dropped", file=sys.stderr)
        return 130
    failures = report(results)
    results["failures"] = failures
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"deep_page-{stamp}-{results['database']}.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {path.relative_to(ROOT)}")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
