"""Live updates at scale: 1,000 websocket subscribers to one neighbourhood, a post, and how long
it takes to reach every one of them.

    .venv/bin/python -m bench.live                      # SQLite file in a temporary directory
    .venv/bin/python -m bench.live --postgres postgres://postgres@127.0.0.1:5432/postgres

Two runs on one fresh database, with the same subscribers and posts:

1. `one worker`: uvicorn with one worker and the in-process broker (no Redis);
2. `two workers`: uvicorn `--workers 2` and Redis (QUARTIER_REDIS_URL, default
   127.0.0.1:6379, under a prefix of the run's own whose keys are deleted at the end), the
   subscribers split between the workers as the kernel hands out the connections.

In each: the resident subscribers (each with their own token) connect from `--clients`
processes (bench/live_clients.py) and subscribe with the contract's `PostAdded`; the server's
resident memory is read before and after, idle; then a neighbour posts `--posts` times through
the API, one every `--interval` seconds. Latency is from the post's `createdAt` (set in the
transaction, just before its commit: an upper bound of commit to receipt by a few ms) to the
moment a subscriber's process read the event, on this machine's one clock. Every subscriber
must receive every post exactly once and in order; the count of those who did not is reported.

Servers are terminated (by pid), Redis keys deleted and the database dropped at the end, on
error, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from tortoise import Tortoise
from tortoise.timezone import now

from bench import dataset as datasets
from bench.feed import HOST, ROOT, Server, execute, free_port, percentile
from bench.live_clients import serve
from models.accounts import Account, AuthToken, Role
from models.geography import Neighbourhood, Street, fold
from resolvers import tokens
from resolvers.ids import to_global_id
from server import db
from server.live.transport import UVICORN_OPTIONS
from server.taxonomy import create_city

LIVE = ROOT / "tests" / "contract" / "web" / "live.graphql"
CREATE = (
    "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } userErrors { code } } }"
)


@dataclass
class People:
    neighbourhood_id: int
    poster: str
    subscribers: list[str]


async def populate(url: str, count: int) -> People:
    """A city, an active neighbourhood, `count` verified residents with a token each, and
    one more who posts."""
    await db.migrate(url)
    await Tortoise.close_connections()
    await db.start(url)
    try:
        city = await create_city("La Louvière")
        neighbourhood = await Neighbourhood.create(
            city=city, name="Centre", activation_threshold=10, activated_at=now()
        )
        street = await Street.create(
            neighbourhood=neighbourhood,
            name="Rue Hamoir",
            search_name=fold("Rue Hamoir"),
            postal_code="7100",
        )
        moment = now()
        await Account.bulk_create(
            [
                Account(
                    email=f"voisin.{i}@bench.quartier.be",
                    display_name=f"Voisin {i}",
                    role=Role.RESIDENT,
                    city=city,
                    street=street,
                    neighbourhood=neighbourhood,
                    house_number=str(i + 1),
                    verified_at=moment,
                )
                for i in range(count + 1)
            ],
            batch_size=500,
        )
        accounts = await Account.filter(neighbourhood=neighbourhood).order_by("id")
        raw = [tokens.new_token() for _ in accounts]
        await AuthToken.bulk_create(
            [
                AuthToken(account=account, token_hash=digest, expires_at=moment + timedelta(days=1))
                for account, (_, digest) in zip(accounts, raw, strict=True)
            ],
            batch_size=500,
        )
        return People(neighbourhood.id, raw[0][0], [token for token, _ in raw[1:]])
    finally:
        await Tortoise.close_connections()


class LiveServer(Server):
    """uvicorn with `workers` workers (bench.feed's Server runs one)."""

    workers = 1

    def start(self, env: dict[str, str]) -> None:
        command = [
            sys.executable, "-m", "uvicorn", self.app, "--factory", "--host", HOST,
            "--port", str(self.port), "--workers", str(self.workers),
            "--log-level", "warning", "--no-access-log",
            # As `quartier serve` runs it (server/live/transport.py, UVICORN_OPTIONS).
            "--ws-max-size", str(UVICORN_OPTIONS["ws_max_size"]),
            "--ws-per-message-deflate", str(UVICORN_OPTIONS["ws_per_message_deflate"]).lower(),
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        pid = self.process.pid
        children = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                children += [int(c) for c in listed.read().split()]
        return [c for c in children if b"spawn_main" in open(f"/proc/{c}/cmdline", "rb").read()]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time these processes have used: what an event costs the server,
    whatever else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


def holders(ports: list[int], pids: list[int]) -> dict[int, int]:
    """How many of the connections from these local ports each worker holds."""
    wanted = set(ports)
    inodes: dict[str, int] = {}
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) in wanted:
                inodes[f"socket:[{fields[9]}]"] = 1
    counts = {}
    for pid in pids:
        fds = os.listdir(f"/proc/{pid}/fd")
        counts[pid] = sum(1 for fd in fds if _link(pid, fd) in inodes)
    return counts


def _link(pid: int, fd: str) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return ""


async def measure(
    args: argparse.Namespace, server: LiveServer, people: People, mode: str
) -> dict[str, Any]:
    ws_url = f"ws://{HOST}:{server.port}/graphql"
    variables = {"neighbourhoodId": to_global_id("Neighbourhood", people.neighbourhood_id)}
    document = LIVE.read_text()
    # Warm: the first connection imports and starts what the others share.
    await _warm(ws_url, people.subscribers[0], document, variables)
    await asyncio.sleep(1)
    pids = server.worker_pids()
    before = sum(rss_kib(pid) for pid in pids)

    shares = [people.subscribers[i :: args.clients] for i in range(args.clients)]
    pipes = [multiprocessing.Pipe() for _ in shares]
    processes = _start_clients(ws_url, shares, document, variables, pipes)
    try:
        ports = []
        for parent, _ in pipes:
            kind, value = await asyncio.to_thread(parent.recv)
            if kind != "ready":
                raise RuntimeError(f"a subscriber process failed: {value}")
            ports += value
        await asyncio.sleep(2)
        after = sum(rss_kib(pid) for pid in pids)
        split = holders(ports, pids)

        posted = []
        cpu_before = cpu_seconds(pids)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {people.poster}"}
            for i in range(args.posts):
                values = {"kind": "DISCUSSION", "title": f"Annonce {i}", "body": "Vu au marché."}
                answer = await client.post(
                    "/graphql", json={"query": CREATE, "variables": {"i": values}}, headers=headers
                )
                posted.append(answer.json()["data"]["createPost"]["post"]["id"])
                await asyncio.sleep(args.interval)
        await asyncio.sleep(args.settle)
        cpu = cpu_seconds(pids) - cpu_before
        received: list[list[tuple[str, str, float]]] = []
        for parent, _ in pipes:
            parent.send("stop")
        for parent, _ in pipes:
            kind, value = await asyncio.to_thread(parent.recv)
            if kind != "received":
                raise RuntimeError(f"a subscriber process failed: {value}")
            received += value
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    summary = _summary(mode, posted, received, before, after, split, len(people.subscribers))
    # The posts' own requests count too: a few ms each, against a thousand events each.
    events = max(1, summary["events_received"])
    summary["server_cpu_ms_per_event"] = round(cpu * 1000 / events, 3)
    return summary


def _summary(mode, posted, received, before, after, split, count) -> dict[str, Any]:
    latencies = sorted(
        (read_at - datetime.fromisoformat(created).timestamp()) * 1000
        for events in received
        for _, created, read_at in events
    )
    exact = sum(1 for events in received if [post for post, _, _ in events] == posted)
    per_post = {}
    for post in posted:
        reads = [read_at for events in received for p, _, read_at in events if p == post]
        per_post[post] = len(reads)
    return {
        "mode": mode,
        "subscribers": count,
        "posts": len(posted),
        "events_expected": count * len(posted),
        "events_received": len(latencies),
        "subscribers_exactly_once_in_order": exact,
        "subscribers_not_exactly_once": count - exact,
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(latencies[-1], 1) if latencies else None,
        },
        "server_rss_kib": {"before": before, "after": after},
        "memory_per_idle_connection_kib": round((after - before) / count, 1),
        "connections_per_worker": list(split.values()),
    }


def _start_clients(ws_url, shares, document, variables, pipes) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=serve, args=(ws_url, share, document, variables, child), daemon=True)
        for share, (_, child) in zip(shares, pipes, strict=True)
    ]
    for process in processes:
        process.start()
    return processes


async def _warm(ws_url: str, token: str, document: str, variables: dict) -> None:
    pipes = [multiprocessing.Pipe()]
    (process,) = _start_clients(ws_url, [[token]], document, variables, pipes)
    parent, _ = pipes[0]
    kind, value = await asyncio.to_thread(parent.recv)
    if kind != "ready":
        raise RuntimeError(f"the warm-up subscriber failed: {value}")
    parent.send("stop")
    await asyncio.to_thread(parent.recv)
    process.join(timeout=30)


async def run(args: argparse.Namespace, servers: list[Server]) -> dict[str, Any]:
    url = await datasets.fresh_database(args.postgres)
    prefix = f"quartier-bench:{secrets.token_hex(4)}:"
    results: dict[str, Any] = {"database": "postgres" if args.postgres else "sqlite"}
    try:
        people = await populate(url, args.subscribers)
        base = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
        base |= {"DATABASE_URL": url, "QUARTIER_ENV": "development"}
        # One neighbour posts every post of both runs: more than a resident's limit.
        base["QUARTIER_RATE_LIMITS"] = "post.account=10000/600,post.address=10000/600"
        modes = [
            ("one worker", 1, {}),
            ("two workers", 2, {"QUARTIER_REDIS_URL": args.redis, "QUARTIER_REDIS_PREFIX": prefix}),
        ]
        results["runs"] = []
        results["loadavg_at_start"] = os.getloadavg()
        for mode, workers, extra in modes:
            server = LiveServer(
                mode,
                "server.app:app_from_env",
                free_port(),
                ROOT / "bench" / "results" / f"live-{workers}.log",
            )
            server.log_path.parent.mkdir(exist_ok=True)
            server.workers = workers
            servers.append(server)
            server.start(base | extra)
            await server.wait_ready()
            results["runs"].append(await measure(args, server, people, mode))
            server.stop()
        results["loadavg_at_end"] = os.getloadavg()
        results["cpus"] = os.cpu_count()
        results["clients"] = args.clients
        results["interval_s"] = args.interval
    finally:
        await _forget_redis(args.redis, prefix)
        await datasets.drop_database(args.postgres, url)
    return results


async def _forget_redis(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def print_table(results: dict[str, Any]) -> None:
    load = results["loadavg_at_start"][0], results["loadavg_at_end"][0]
    print(f"db {results['database']}, {results['cpus']} CPUs, load {load[0]:.2f} / {load[1]:.2f}")
    print(
        "mode          subs  posts  received/expected  p50 ms  p99 ms  max ms"
        "  KiB/idle conn  CPU ms/event  not once  per worker"
    )
    for r in results["runs"]:
        lat = r["latency_ms"]
        print(
            f"{r['mode']:<12} {r['subscribers']:>5} {r['posts']:>6} "
            f"{r['events_received']:>8}/{r['events_expected']:<8} "
            f"{lat['p50']:>7} {lat['p99']:>7} {lat['max']:>7} "
            f"{r['memory_per_idle_connection_kib']:>14} {r['server_cpu_ms_per_event']:>13} "
            f"{r['subscribers_not_exactly_once']:>9}  {r['connections_per_worker']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.live", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL (else SQLite)"
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/0", help="Redis for the two workers"
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="subscriber processes")
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between posts")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds to wait after the last post"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if not (1 <= args.subscribers <= 5000 and 1 <= args.clients <= 32 and 1 <= args.posts <= 1000):
        parser.error("subscribers 1..5000, clients 1..32, posts 1..1000")
    return execute(args, run, print_table, "live")


if __name__ == "__main__":
    sys.exit(main())
