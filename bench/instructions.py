"""Instructions per NeighbourhoodFeed request, GraphQL against the hand-written baseline,
counted by valgrind's callgrind: the same count for the same code and data, whatever else
this shared machine runs, where CPU time moves by 10 % from one run to the next.

    .venv/bin/python -m bench.instructions                       # SQLite
    .venv/bin/python -m bench.instructions --postgres postgres://postgres@127.0.0.1:5432/postgres

It builds a `bench.dataset` database, then for each page size and side runs a child process
under `valgrind --tool=callgrind --instr-atstart=no`: the child calls the app's ASGI callable
directly (no HTTP), warms it up, tunes the collector as the server does, switches counting on
(`callgrind_control -i on`), sends `--requests` requests, and switches it off. The figure is
the instructions counted (the process's threads, SQLite's worker included; not the PostgreSQL
server's), divided by the requests. A step that lowers it lowers the work; the CPU time
follows, less the memory effects instructions do not see. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvloop

from bench import dataset as datasets
from bench.feed import headers_for, request_body

SIDES = ("graphql", "bare")
REQUESTS = {1: 30, 20: 10, 100: 4}


async def _call(app: Any, body: bytes, headers: dict[str, str]) -> bytes:
    """One POST /graphql through the ASGI callable."""
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("bench", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def _counting(state: str) -> None:
    """Callgrind's counting for this process, on or off; at once, nothing else running."""
    command = ["callgrind_control", "-i", state, str(os.getpid())]
    subprocess.run(command, check=True, capture_output=True)


@asynccontextmanager
async def warmed(args: argparse.Namespace) -> AsyncIterator[Callable[[], Awaitable[bytes]]]:
    """In a child: the side's app on the dataset, warmed up by 15 requests; yields what sends
    one more request (the database stopped at the end)."""
    from bench import bare
    from server import db
    from server.app import create_app
    from server.settings import Settings

    settings = Settings(database_url=args.url)
    if args.side == "graphql":
        app: Any = create_app(settings, manage_database=False)
    else:
        app = bare.create_app(settings, manage_database=False)
    await db.start(args.url, settings.db_pool_max)
    try:
        body = request_body(args.neighbourhood, args.first)
        headers = headers_for(args.token)

        def send() -> Awaitable[bytes]:
            return _call(app, body, headers)

        for _ in range(15):
            answer = await send()
        assert b'"errors"' not in answer, answer[:300]
        yield send
    finally:
        await db.stop()


def child_arguments(parser: argparse.ArgumentParser) -> None:
    """The hidden options a child process gets (`child_command`)."""
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--neighbourhood", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)


def child_command(
    module: str, dataset: datasets.Dataset, side: str, first: int, requests: int
) -> list[str]:
    """`python -m module` as a child measuring `side` on `dataset`."""
    return [
        sys.executable, "-m", module, "--child", "--url", dataset.url,
        "--neighbourhood", str(dataset.neighbourhood_id), "--token", dataset.token,
        "--side", side, "--first", str(first), "--requests", str(requests),
    ]  # fmt: skip


async def _child(args: argparse.Namespace) -> None:
    from server.app import tune_garbage_collector

    async with warmed(args) as send:
        tune_garbage_collector()
        _counting("on")
        for _ in range(args.requests):
            await send()
        _counting("off")


def _count(dataset: datasets.Dataset, side: str, first: int, requests: int) -> float:
    with tempfile.TemporaryDirectory() as directory:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={directory}/out",
            *child_command("bench.instructions", dataset, side, first, requests),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{side} first={first}: {done.stderr[-2000:]}")
    return int(found.group(1)) / requests


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(size) for size in args.sizes.split(",")]
    url = await datasets.fresh_database(args.postgres)
    try:
        dataset = await datasets.populate(url)
        figures: dict[str, Any] = {}
        for first in sizes:
            requests = args.requests or REQUESTS.get(first, max(2, 400 // first))
            counts = {side: _count(dataset, side, first, requests) for side in SIDES}
            figures[str(first)] = {
                **{side: round(count) for side, count in counts.items()},
                "ratio": round(counts["bare"] / counts["graphql"], 3),
            }
            print(
                f"first={first:<4} graphql {counts['graphql'] / 1e6:8.3f} M  "
                f"bare {counts['bare'] / 1e6:8.3f} M  "
                f"bare/graphql {figures[str(first)]['ratio']:.3f}",
                flush=True,
            )
        return figures
    finally:
        await datasets.drop_database(args.postgres, url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL admin URL (default: SQLite)")
    parser.add_argument("--sizes", default="1,20,100", help="values of `first`")
    parser.add_argument("--requests", type=int, default=0, help="counted requests per run")
    parser.add_argument("--first", type=int, help=argparse.SUPPRESS)
    child_arguments(parser)
    args = parser.parse_args(argv)
    if args.child:
        # The loop uvicorn serves both apps on (`--loop auto`): uvloop, whose loop costs a
        # fraction of asyncio's own, so the two sides' ratio is the served one.
        uvloop.run(_child(args))
        return 0
    figures = asyncio.run(_main(args))
    print(json.dumps({"database": "postgres" if args.postgres else "sqlite", **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
