"""Throughput of the NeighbourhoodFeed query: the real GraphQL stack against a hand-written
Starlette endpoint that runs the same SQL and writes the same JSON.

    .venv/bin/python -m bench.feed                      # SQLite file in a temporary directory
    .venv/bin/python -m bench.feed --postgres postgres://postgres@127.0.0.1:5432/postgres

Steps, in one run:

1. build a fresh database (bench.dataset) and drop it at the end;
2. in this process, run the operation through both apps (httpx's ASGITransport) while the
   `tortoise.db_client` logger records every statement, and check that both run the same
   statements with the same parameters (column lists and parameters compared as sets:
   Tortoise builds a column list from a set, so its order changes from one process to the
   next, and an IN list follows the order in which keys reached the DataLoader);
3. start two uvicorn processes on free 127.0.0.1 ports with the same environment, one worker
   each: the app (`server.app:app_from_env`) and the baseline (`bench.bare:app_from_env`);
4. assert that both return the same JSON for each page size (parsed-equal; byte-equality is
   reported too);
5. for each page size: warm both up, then alternate the sides in rounds (A B B A A B B A: a
   slow drift of the machine weighs on both alike), each round a bounded number of seconds and
   requests, `--concurrency` clients in flight; every response is checked against the expected
   bytes;
6. print a table (requests/s, p50/p95 latency, GraphQL/bare throughput ratio) and write
   bench/results/feed-<timestamp>-<database>.json.

Servers are terminated (by pid) and the database dropped at the end, on error, on Ctrl-C and
on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

from bench import dataset as datasets
from resolvers.ids import to_global_id
from server.db import sql_log

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CONTRACT = ROOT / "tests" / "contract" / "web" / "feed.graphql"
OPERATION = "NeighbourhoodFeed"
HOST = "127.0.0.1"
SIDES = ("graphql", "bare")
APPS = {"graphql": "server.app:app_from_env", "bare": "bench.bare:app_from_env"}
# The feed's statements today (authentication, neighbourhood, page, authors, topics, reactions):
# a change that adds one fails the run.
MAX_STATEMENTS = 6
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- statements --------------------------------------------------------------------------


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The clients log ("%s: %s", query, values) before each statement.
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str):
            query, values = args
            if query.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                self.statements.append((query, list(values or [])))


@contextmanager
def recording() -> Iterator[list[tuple[str, list[Any]]]]:
    handler = _Recorder()
    with sql_log(handler):
        yield handler.statements


_SELECT = re.compile(r"^SELECT (.*?) FROM (.*)$", re.S)


def normalise(query: str) -> str:
    """The statement with its projection sorted: Tortoise iterates a set to build it."""
    match = _SELECT.match(query)
    if not match:
        return query
    columns = sorted(match.group(1).split(","))
    return f"SELECT {','.join(columns)} FROM {match.group(2)}"


def _multiset(values: list[Any]) -> list[str]:
    """Parameters in any order: an IN list follows a set's iteration order, which depends on
    the order the keys were loaded in."""
    return sorted(map(repr, values))


def abbreviate(query: str) -> str:
    match = _SELECT.match(query)
    if not match:
        return query
    n = len(match.group(1).split(","))
    shown = match.group(1) if n <= 2 else f"<{n} columns>"
    return f"SELECT {shown} FROM {match.group(2)}"


# --- requests ----------------------------------------------------------------------------


def request_body(neighbourhood_id: int, first: int, after: str | None = None) -> bytes:
    """The contract document with its operationName, as the web client sends it."""
    variables: dict[str, Any] = {
        "id": to_global_id("Neighbourhood", neighbourhood_id),
        "first": first,
    }
    if after is not None:
        variables["after"] = after
    payload = {"query": CONTRACT.read_text(), "operationName": OPERATION, "variables": variables}
    return json.dumps(payload).encode()


def headers_for(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def in_process_check(dataset: datasets.Dataset, sizes: list[int]) -> dict[str, Any]:
    """Both apps in this process: the statements each runs, compared; and their bytes."""
    from bench import bare
    from server import db
    from server.app import create_app
    from server.settings import Settings

    settings = Settings(database_url=dataset.url)
    apps = {
        "graphql": create_app(settings, manage_database=False),
        "bare": bare.create_app(settings, manage_database=False),
    }
    report: dict[str, Any] = {}
    await db.start(dataset.url, settings.db_pool_max)
    try:
        for first in sizes:
            body = request_body(dataset.neighbourhood_id, first)
            seen: dict[str, Any] = {}
            for side, app in apps.items():
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench"
                ) as client:
                    # Once to warm the caches (parser, validation, prepared statements)...
                    await client.post("/graphql", content=body, headers=headers_for(dataset.token))
                    with recording() as statements:
                        response = await client.post(
                            "/graphql", content=body, headers=headers_for(dataset.token)
                        )
                assert response.status_code == 200, (
                    side,
                    response.status_code,
                    response.text[:500],
                )
                seen[side] = {"statements": statements, "content": response.content}
            graphql, baseline = seen["graphql"]["statements"], seen["bare"]["statements"]
            if len(graphql) > MAX_STATEMENTS:
                lines = [
                    f"first={first}: {len(graphql)} statements per request, more than "
                    f"{MAX_STATEMENTS}:"
                ]
                lines += [f"    {q}  {v}" for q, v in graphql]
                raise AssertionError("\n".join(lines))
            # As multisets: the three loaders' statements run concurrently on PostgreSQL.
            same = sorted((normalise(q), _multiset(v)) for q, v in graphql) == sorted(
                (normalise(q), _multiset(v)) for q, v in baseline
            )
            if not same:
                lines = ["The baseline does not run the statements the GraphQL stack runs:"]
                for side in SIDES:
                    lines.append(f"  {side}:")
                    lines += [f"    {q}  {v}" for q, v in seen[side]["statements"]]
                raise AssertionError("\n".join(lines))
            report[str(first)] = {
                "statements": [
                    {
                        "sql": q,
                        "parameters": [
                            "<sha256 of the token>" if i == 0 and "token_hash" in q else v
                            for i, v in enumerate(values)
                        ],
                    }
                    for q, values in graphql
                ],
                "same_statements": True,
                "in_process_bytes_equal": seen["graphql"]["content"] == seen["bare"]["content"],
            }
    finally:
        await db.stop()
    return report


# --- servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    side: str
    app: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, env: dict[str, str]) -> None:
        command = [
            sys.executable, "-m", "uvicorn", self.app, "--factory",
            "--host", HOST, "--port", str(self.port), "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    async def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    break
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.side} server did not start:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """The server process's CPU time so far (user + system)."""
        if self.process is None:
            return None
        try:
            return process_cpu_seconds(self.process.pid)
        except OSError:
            return None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate this server's own process (by its pid), then kill it if it lingers."""
        process, self.process = self.process, None
        if process is not None:
            terminate(process)


def terminate(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process this run started (by its pid), then kill it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def process_cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the command name (which may hold spaces), from field 3 on.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# --- load --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def wire(self, port: int) -> bytes:
        """The request as bytes on a keep-alive HTTP/1.1 connection."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


class ProtocolError(Exception):
    pass


Call = Callable[[], Awaitable[tuple[int, bytes]]]


@asynccontextmanager
async def raw_connection(server: Server, request: HttpRequest) -> AsyncIterator[Call]:
    """A minimal HTTP/1.1 client on one keep-alive connection: the request is built once, the
    response read by its Content-Length. It costs the load generator far less CPU than httpx,
    which matters when client and server share two cores."""
    wire = request.wire(server.port)
    reader, writer = await asyncio.open_connection(HOST, server.port)

    async def call() -> tuple[int, bytes]:
        writer.write(wire)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ProtocolError("response without Content-Length")
        return status, await reader.readexactly(length)

    try:
        yield call
    finally:
        writer.close()
        with suppress(OSError, ConnectionError):
            await writer.wait_closed()


@asynccontextmanager
async def httpx_connection(server: Server, request: HttpRequest) -> AsyncIterator[Call]:
    """httpx.AsyncClient, one connection per load worker."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=30.0) as client:

        async def call() -> tuple[int, bytes]:
            response = await client.request(
                request.method, request.path, content=request.body, headers=request.headers
            )
            return response.status_code, response.content

        yield call


CLIENTS = {"raw": raw_connection, "httpx": httpx_connection}


@dataclass
class Sample:
    side: str
    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    # The server process's CPU time over the sample (None when it cannot be read).
    cpu_seconds: float | None = None

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.cpu_seconds is None or not self.ok:
            return None
        return self.cpu_seconds * 1000 / self.ok


async def load(
    server: Server,
    request: HttpRequest,
    expected: bytes | None,
    *,
    client: str,
    seconds: float,
    max_requests: int,
    concurrency: int,
) -> Sample:
    """`concurrency` connections with one request in flight each, until `seconds` pass or
    `max_requests` are sent. A response that is not 200 with the expected bytes is an error."""
    sample = Sample(server.side)
    connect = CLIENTS[client]
    issued = 0
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            try:
                async with connect(server, request) as call:
                    while issued < max_requests and time.perf_counter() < deadline:
                        issued += 1
                        sent = time.perf_counter()
                        status, content = await call()
                        elapsed = time.perf_counter() - sent
                        if status != 200 or (expected is not None and content != expected):
                            sample.errors += 1
                        else:
                            sample.ok += 1
                            sample.latencies.append(elapsed)
            except (
                OSError,
                EOFError,
                ValueError,
                asyncio.LimitOverrunError,
                ProtocolError,
                httpx.HTTPError,
            ):
                # A broken connection counts once and is opened again.
                sample.errors += 1
                await asyncio.sleep(0.05)

    async with asyncio.timeout(seconds + 60), asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    sample.seconds = time.perf_counter() - started
    cpu_after = server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        sample.cpu_seconds = cpu_after - cpu_before
    return sample


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    ok = sum(s.ok for s in samples)
    seconds = sum(s.seconds for s in samples)
    latencies = [x for s in samples for x in s.latencies]
    return {
        "requests": ok,
        "errors": sum(s.errors for s in samples),
        "seconds": round(seconds, 3),
        "rps": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "rounds_rps": [round(s.rps, 1) for s in samples],
        "cpu_ms_per_request": cpu_per_request(samples),
    }


def cpu_per_request(samples: list[Sample]) -> float | None:
    """The server's CPU milliseconds per successful request over the samples."""
    if any(s.cpu_seconds is None for s in samples):
        return None
    ok = sum(s.ok for s in samples)
    return round(sum(s.cpu_seconds or 0.0 for s in samples) * 1000 / ok, 3) if ok else None


# --- the run -----------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    names = ["strawberry-graphql", "graphql-core", "starlette", "uvicorn", "tortoise-orm",
             "aiosqlite", "asyncpg", "aiodataloader", "httpx", "uvloop", "httptools"]  # fmt: skip
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except Exception:
            found[name] = "absent"
    return found


async def run(args: argparse.Namespace, servers: list[Server]) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, Any] = {
        "benchmark": "feed",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "note": "2 cores shared by the load generator, the server under test and the "
            "database, and by other work on the machine",
            "loadavg_at_start": list(os.getloadavg()),
        },
        "versions": _versions(),
        "settings": {
            "sizes": sizes,
            "client": args.client,
            "concurrency": args.concurrency,
            "seconds_per_side": args.duration,
            "rounds_per_side": args.rounds,
            "warmup_seconds": args.warmup,
            "max_requests_per_round": args.max_requests,
            "uvicorn": "1 worker, --loop auto --http auto (uvloop, httptools), access log off",
        },
    }
    admin = args.postgres
    url = await datasets.fresh_database(admin)
    workdir = Path(tempfile.mkdtemp(prefix="quartier-bench-logs-"))
    try:
        print(f"database: {re.sub(r'//[^@/]*@', '//', url)}", flush=True)
        dataset = await datasets.populate(
            url, posts=args.posts, residents=args.residents, seed=args.seed
        )
        results["database"] = dataset.dialect
        results["dataset"] = {k: v for k, v in dataset.summary().items() if k != "url"}
        print(f"dataset: {dataset.counts} in {dataset.seconds} s", flush=True)

        checks = await in_process_check(dataset, sizes)
        results["statements"] = checks
        print(f"\nstatements per NeighbourhoodFeed request (first={sizes[0]}), both sides:")
        for i, statement in enumerate(checks[str(sizes[0])]["statements"], 1):
            print(f"  {i}. {abbreviate(statement['sql'])}")

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "QUARTIER_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        for side in SIDES:
            server = Server(side, APPS[side], free_port(), workdir / f"{side}.log")
            servers.append(server)
            server.start(env)
        for server in servers:
            await server.wait_ready()
        by_side = {s.side: s for s in servers}
        headers = headers_for(dataset.token)

        # The two endpoints answer the same page with the same JSON.
        expected: dict[int, dict[str, bytes]] = {}
        equality: dict[str, Any] = {}
        for first in sizes:
            body = request_body(dataset.neighbourhood_id, first)
            got = {}
            for side in SIDES:
                async with httpx.AsyncClient(base_url=by_side[side].base_url, timeout=30) as client:
                    response = await client.post("/graphql", content=body, headers=headers)
                assert response.status_code == 200, (
                    side,
                    response.status_code,
                    response.text[:500],
                )
                got[side] = response.content
            parsed = {side: json.loads(content) for side, content in got.items()}
            assert "errors" not in parsed["graphql"], parsed["graphql"]["errors"]
            edges = parsed["graphql"]["data"]["neighbourhood"]["posts"]["edges"]
            assert len(edges) == first, (first, len(edges))
            assert parsed["graphql"] == parsed["bare"], f"first={first}: the JSON differs"
            expected[first] = got
            equality[str(first)] = {
                "parsed_equal": True,
                "bytes_equal": got["graphql"] == got["bare"],
                "response_bytes": {side: len(content) for side, content in got.items()},
            }
            print(
                f"first={first}: same JSON (parsed); byte-equal: "
                f"{got['graphql'] == got['bare']}; {len(got['graphql'])} bytes",
                flush=True,
            )
        results["equality"] = equality

        common = {
            "client": args.client,
            "max_requests": args.max_requests,
            "concurrency": args.concurrency,
        }
        # What the load generator drives at all: a trivial endpoint of the baseline.
        ceiling = await load(
            by_side["bare"], HttpRequest("GET", "/healthz", {}), None,
            seconds=min(2.0, args.duration), **common,
        )  # fmt: skip
        results["client_ceiling_rps"] = round(ceiling.rps, 1)
        print(f"load generator ceiling (GET /healthz on the baseline): {ceiling.rps:.0f} req/s")

        results["runs"] = {}
        per_round = args.duration / args.rounds
        for first in sizes:
            request = HttpRequest(
                "POST", "/graphql", headers, request_body(dataset.neighbourhood_id, first)
            )
            for side in SIDES:
                await load(
                    by_side[side], request, expected[first][side], seconds=args.warmup, **common
                )
            samples: dict[str, list[Sample]] = {side: [] for side in SIDES}
            for r in range(args.rounds):
                order = SIDES if r % 2 == 0 else SIDES[::-1]
                for side in order:
                    sample = await load(
                        by_side[side], request, expected[first][side], seconds=per_round, **common
                    )
                    samples[side].append(sample)
                print(
                    f"  first={first} round {r + 1}/{args.rounds}: "
                    + ", ".join(f"{s} {samples[s][-1].rps:.0f} req/s" for s in SIDES),
                    flush=True,
                )
            summary: dict[str, Any] = {side: summarise(samples[side]) for side in SIDES}
            pairs = [
                a.rps / b.rps
                for a, b in zip(samples["graphql"], samples["bare"], strict=True)
                if b.rps
            ]
            summary["ratio_graphql_over_bare"] = round(
                summary["graphql"]["rps"] / summary["bare"]["rps"], 3
            )
            summary["ratio_per_round"] = [round(x, 3) for x in pairs]
            cpu = {side: summary[side]["cpu_ms_per_request"] for side in SIDES}
            # bare CPU/request over GraphQL CPU/request: compares with the throughput ratio.
            summary["cpu_ratio_bare_over_graphql"] = (
                round(cpu["bare"] / cpu["graphql"], 3)
                if cpu["bare"] is not None and cpu["graphql"]
                else None
            )
            results["runs"][str(first)] = summary

        results["machine"]["loadavg_at_end"] = list(os.getloadavg())
        results["server_logs"] = {}
        for server in servers:
            server.stop()
            results["server_logs"][server.side] = server.log_tail(10)
        return results
    except Exception:
        for server in servers:
            server.stop()
            print(f"--- {server.side} server log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        await datasets.drop_database(admin, url)
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(results: dict[str, Any]) -> None:
    print()
    header = (
        f"{'db':<9}{'first':>6}  {'side':<8}{'req/s':>9}{'CPU ms/req':>11}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'requests':>10}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for first, run_ in results["runs"].items():
        for side in SIDES:
            s = run_[side]
            cpu = s["cpu_ms_per_request"]
            print(
                f"{results['database']:<9}{first:>6}  {side:<8}{s['rps']:>9.1f}"
                f"{'n/a' if cpu is None else f'{cpu:.2f}':>11}{s['p50_ms']:>9.2f}"
                f"{s['p95_ms']:>9.2f}{s['requests']:>10}{s['errors']:>8}"
            )
        rounds = run_["ratio_per_round"]
        print(
            f"{'':<9}{'':>6}  ratio graphql/bare = {run_['ratio_graphql_over_bare']:.3f}"
            f"  (per round {min(rounds):.3f} .. {max(rounds):.3f})"
        )
        cpu_ratio = run_["cpu_ratio_bare_over_graphql"]
        if cpu_ratio is not None:
            print(f"{'':<9}{'':>6}  CPU ratio bare/graphql (per request) = {cpu_ratio:.3f}")
    print(f"load generator ceiling: {results['client_ceiling_rps']:.0f} req/s (GET /healthz)")
    load = results["machine"]
    print(
        "load average (1 min) at start / end: "
        f"{load['loadavg_at_start'][0]:.2f} / {load['loadavg_at_end'][0]:.2f} on {load['cpus']} CPUs"
    )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the load generator too, when it is installed (uvicorn[standard] brings it)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.feed", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL (else SQLite)"
    )
    parser.add_argument("--sizes", default="20,100", help="page sizes (`first`), comma-separated")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--client", choices=sorted(CLIENTS), default="raw",
        help="load generator: a minimal HTTP/1.1 client (raw) or httpx.AsyncClient",
    )  # fmt: skip
    parser.add_argument(
        "--duration", type=float, default=10.0, help="measured seconds per side and size"
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side (alternated)")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="warm-up seconds per side and size"
    )
    parser.add_argument("--max-requests", type=int, default=100_000, help="bound per round")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    check_load_args(parser, args)
    return execute(args, run, print_table, "feed")


def check_load_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[int]:
    """The page sizes to measure; exits with a usage error on out-of-range options."""
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(not 1 <= s <= 100 for s in sizes) or args.posts < max(sizes) + 1:
        parser.error("sizes must be within 1..100 and below --posts")
    if not (1 <= args.concurrency <= 64 and 0 < args.duration <= 600 and 1 <= args.rounds <= 50):
        parser.error("concurrency 1..64, duration up to 600 s, rounds 1..50")
    return sizes


def execute(
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace, list[Server]], Awaitable[dict[str, Any]]],
    print_table: Callable[[dict[str, Any]], None],
    name: str,
) -> int:
    """Runs a benchmark with its servers stopped on any exit, prints and writes its results."""

    async def cancellable() -> dict[str, Any]:
        # SIGTERM cancels the run as Ctrl-C does: the `finally` blocks stop the servers and
        # drop the database.
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(args, servers)

    servers: list[Server] = []
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            results = runner.run(cancellable())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: servers stopped, database dropped", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
    print_table(results)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"{name}-{stamp}-{results['database']}.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
