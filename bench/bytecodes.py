"""Python bytecodes executed per NeighbourhoodFeed request, GraphQL against the hand-written
baseline, and the functions that execute them.

    .venv/bin/python -m bench.bytecodes [--first 20] [--top 30]
    .venv/bin/python -m bench.bytecodes --postgres postgres://postgres@127.0.0.1:5432/postgres

On this machine the GraphQL side's CPU time follows the bytecodes its interpreter runs more
than the instructions `bench.instructions` counts: the baseline's work is mostly C (JSON,
rows, the driver), which runs several instructions a cycle, and the GraphQL side's mostly
bytecode, which does not. Each side runs in a child process on uvloop (as uvicorn serves it),
warms up, then counts every bytecode of the main thread over `--requests` requests with a
`sys.settrace` opcode hook (slow, exact, the same on every run).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import site
import subprocess
import sys
import sysconfig
from typing import Any

import uvloop

from bench import dataset as datasets
from bench.instructions import SIDES, child_arguments, child_command, warmed


def _trace(counts: collections.Counter[Any]) -> Any:
    def tracer(frame: Any, event: str, _arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event == "opcode":
            code = frame.f_code
            counts[(code.co_filename, code.co_name, code.co_firstlineno)] += 1
        return tracer

    return tracer


async def _child(args: argparse.Namespace) -> dict[str, Any]:
    counts: collections.Counter[Any] = collections.Counter()
    async with warmed(args) as send:
        tracer = _trace(counts)
        sys.settrace(tracer)
        frame = sys._getframe()
        while frame is not None:  # the frames already running count too
            frame.f_trace = tracer
            frame.f_trace_opcodes = True
            frame = frame.f_back  # type: ignore[assignment]
        for _ in range(args.requests):
            await send()
        sys.settrace(None)
    per_function: collections.Counter[str] = collections.Counter()
    for (filename, name, line), count in counts.items():
        per_function[f"{name} ({_short(filename)}:{line})"] += count
    return {
        "total": sum(counts.values()) / args.requests,
        "top": [
            (name, count / args.requests) for name, count in per_function.most_common(args.top)
        ],
    }


def _short(filename: str) -> str:
    """A module's path from its package root (site-packages, the standard library or the
    project)."""
    for root in (
        *sorted(site.getsitepackages(), key=len, reverse=True),
        sysconfig.get_path("stdlib"),
    ):
        if filename.startswith(f"{root}/"):
            return filename.removeprefix(f"{root}/")
    return filename.removeprefix(f"{os.getcwd()}/")


def _count(dataset: datasets.Dataset, side: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        *child_command("bench.bytecodes", dataset, side, args.first, args.requests),
        "--top",
        str(args.top),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{side}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    url = await datasets.fresh_database(args.postgres)
    try:
        dataset = await datasets.populate(url)
        return {side: _count(dataset, side, args) for side in SIDES}
    finally:
        await datasets.drop_database(args.postgres, url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL admin URL (default: SQLite)")
    parser.add_argument("--first", type=int, default=20, help="the page size")
    parser.add_argument("--requests", type=int, default=10, help="counted requests")
    parser.add_argument("--top", type=int, default=30, help="functions listed per side")
    child_arguments(parser)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(uvloop.run(_child(args))))
        return 0
    figures = asyncio.run(_main(args))
    for side in SIDES:
        print(f"{side}: {figures[side]['total']:,.0f} bytecodes a request (first={args.first})")
        for name, count in figures[side]["top"]:
            print(f"  {count:9,.0f}  {name}")
    graphql, bare = figures["graphql"]["total"], figures["bare"]["total"]
    print(f"bare/graphql {bare / graphql:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
