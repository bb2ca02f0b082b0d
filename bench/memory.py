"""One worker's memory over 20,000 feed requests: flat after warm-up, or growing.

    .venv/bin/python -m bench.memory                      # SQLite file in a temporary directory
    .venv/bin/python -m bench.memory --postgres postgres://postgres@127.0.0.1:5432/postgres

One run builds bench.dataset's neighbourhood (2,000 posts) in a fresh database, starts one
uvicorn worker of the app (`server.app:app_from_env`, as bench.feed does), and sends it
`--requests` NeighbourhoodFeed requests (20,000; `--concurrency` 8 keep-alive connections,
page sizes alternating between the `--sizes`, 20 and 100, by chunk), every response checked
against the expected bytes. The worker's resident memory (VmRSS from /proc) is read after
every `--every` requests (1,000). The first `--warmup` requests (2,000) fill the caches
(parser, validation, prepared statements, the allocator's arenas); the growth is the RSS at
the end less the RSS after warm-up, with the slope of a least-squares line over the samples
after warm-up (KiB per 1,000 requests). Goal: flat, i.e. no growth beyond the allocator's
noise (a few hundred KiB). Writes bench/results/memory-<UTC>-<database>.json unless
`--no-write`; exits 1 if the growth after warm-up passes `--limit-kib` (2,048).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dataset as datasets
from bench.feed import (
    APPS,
    HttpRequest,
    Server,
    execute,
    free_port,
    headers_for,
    load,
    request_body,
)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def slope_per_thousand(points: list[tuple[int, int]]) -> float:
    """KiB per 1,000 requests: the least-squares slope of RSS over requests served."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    cov = sum((x - mx) * (y - my) for x, y in points)
    return cov / var * 1000 if var else 0.0


async def run(args: argparse.Namespace, servers: list[Server]) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",")]
    url = await datasets.fresh_database(args.postgres)
    workdir = Path(tempfile.mkdtemp(prefix="quartier-bench-memory-"))
    try:
        print(f"database: {re.sub(r'//[^@/]*@', '//', url)}", flush=True)
        dataset = await datasets.populate(url, posts=args.posts)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "QUARTIER_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        server = Server("graphql", APPS["graphql"], free_port(), workdir / "server.log")
        servers.append(server)
        server.start(env)
        await server.wait_ready()
        assert server.process is not None
        pid = server.process.pid
        headers = headers_for(dataset.token)
        requests: dict[int, HttpRequest] = {}
        expected: dict[int, bytes] = {}
        for first in sizes:
            body = request_body(dataset.neighbourhood_id, first)
            requests[first] = HttpRequest("POST", "/graphql", headers, body)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
                response = await client.post("/graphql", content=body, headers=headers)
            assert response.status_code == 200, response.text[:500]
            assert b'"errors"' not in response.content, response.text[:500]
            expected[first] = response.content

        samples: list[dict[str, Any]] = [{"requests": 0, "rss_kib": rss_kib(pid)}]
        served = errors = 0
        started = time.perf_counter()
        chunk = 0
        while served < args.requests:
            first = sizes[chunk % len(sizes)]
            chunk += 1
            sample = await load(
                server, requests[first], expected[first], client="raw",
                seconds=600, max_requests=min(args.every, args.requests - served),
                concurrency=args.concurrency,
            )  # fmt: skip
            served += sample.ok
            errors += sample.errors
            if sample.ok == 0:
                raise RuntimeError(f"the server answers no more:\n{server.log_tail()}")
            samples.append({"requests": served, "rss_kib": rss_kib(pid)})
            print(
                f"  {served:>6} requests: RSS {samples[-1]['rss_kib'] / 1024:7.1f} MiB",
                flush=True,
            )
        seconds = time.perf_counter() - started
        server.stop()
    finally:
        for s in servers:
            s.stop()
        await datasets.drop_database(args.postgres, url)
        shutil.rmtree(workdir, ignore_errors=True)

    after_warmup = [s for s in samples if s["requests"] >= args.warmup]
    base = after_warmup[0] if after_warmup else samples[-1]
    growth = samples[-1]["rss_kib"] - base["rss_kib"]
    return {
        "benchmark": "memory",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": dataset.dialect,
        "settings": {k: v for k, v in vars(args).items() if k != "postgres"},
        "loadavg": list(os.getloadavg()),
        "requests": served,
        "errors": errors,
        "seconds": round(seconds, 1),
        "samples": samples,
        "rss_start_kib": samples[0]["rss_kib"],
        "rss_after_warmup_kib": base["rss_kib"],
        "rss_end_kib": samples[-1]["rss_kib"],
        "growth_after_warmup_kib": growth,
        "slope_kib_per_1000": round(
            slope_per_thousand([(s["requests"], s["rss_kib"]) for s in after_warmup]), 1
        ),
        "limit_kib": args.limit_kib,
    }


def print_table(results: dict[str, Any]) -> None:
    print(
        f"\n{results['database']}: {results['requests']} feed requests in "
        f"{results['seconds']} s, {results['errors']} errors"
    )
    print(
        f"RSS at start {results['rss_start_kib'] / 1024:.1f} MiB, after "
        f"{results['settings']['warmup']} requests {results['rss_after_warmup_kib'] / 1024:.1f} "
        f"MiB, at the end {results['rss_end_kib'] / 1024:.1f} MiB"
    )
    print(
        f"growth after warm-up: {results['growth_after_warmup_kib']} KiB "
        f"(slope {results['slope_kib_per_1000']} KiB per 1,000 requests; "
        f"limit {results['limit_kib']} KiB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.memory", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=1_000, help="requests between samples")
    parser.add_argument("--warmup", type=int, default=2_000, help="requests before the baseline")
    parser.add_argument("--sizes", default="20,100", help="page sizes, one per chunk in turn")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--limit-kib", type=int, default=2048, help="growth that fails the run")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if not 0 <= args.warmup < args.requests or args.every < 1:
        parser.error("warmup must be below requests, every at least 1")
    growth: list[int] = []

    def report(results: dict[str, Any]) -> None:
        print_table(results)
        growth.append(results["growth_after_warmup_kib"])

    code = execute(args, run, report, "memory")
    return code or (1 if growth and growth[0] > args.limit_kib else 0)


if __name__ == "__main__":
    raise SystemExit(main())
