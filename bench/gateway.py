"""The gateway's overhead on the NeighbourhoodFeed query: the federated deployment (Hive
Gateway in front of the community and city subgraphs) against the monolith, in one run.

    .venv/bin/python -m bench.gateway                      # SQLite file in a temporary directory
    .venv/bin/python -m bench.gateway --postgres postgres://postgres@127.0.0.1:5432/postgres

Steps, in one run:

1. build a fresh database (bench.dataset, the feed benchmark's) and drop it at the end;
2. start, on free 127.0.0.1 ports, one uvicorn worker each for the monolith and the two
   subgraphs, and the gateway (`node gateway/serve.mjs`) pointed at the subgraphs;
3. assert that the gateway and the monolith return the same JSON for each page size;
4. for each page size: warm both up, then alternate them in rounds (A B B A ...), each round
   bounded in seconds and requests, `--concurrency` connections in flight, every response
   checked against that side's expected bytes;
5. print requests/s, latency and the ratio gateway / monolith, and write
   bench/results/gateway-<timestamp>-<database>.json.

Every process is terminated by its pid and the database dropped at the end, on error, on
Ctrl-C and on SIGTERM. Needs `npm ci --prefix gateway` first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dataset as datasets
from bench.feed import (
    HOST,
    HttpRequest,
    Sample,
    Server,
    _versions,
    check_load_args,
    execute,
    free_port,
    headers_for,
    load,
    request_body,
    summarise,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
GATEWAY_DIR = ROOT / "gateway"
SIDES = ("gateway", "monolith")


@dataclass
class NodeGateway(Server):
    """`node gateway/serve.mjs`, ready once its supergraph is loaded (/readiness)."""

    community_url: str = ""
    city_url: str = ""
    # The clients all send the same query with the same token: deduplication would let
    # concurrent requests share one subgraph request, which real traffic seldom does.
    deduplicate: bool = False

    def start(self, env: dict[str, str]) -> None:
        gateway_env = {
            **env,
            "QUARTIER_GATEWAY_HOST": HOST,
            "QUARTIER_GATEWAY_PORT": str(self.port),
            "QUARTIER_COMMUNITY_URL": self.community_url,
            "QUARTIER_CITY_URL": self.city_url,
            "APOLLO_TELEMETRY_DISABLED": "1",
            "QUARTIER_GATEWAY_DEDUPLICATE": "1" if self.deduplicate else "0",
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["node", "serve.mjs"], cwd=GATEWAY_DIR, env=gateway_env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    async def wait_ready(self, within: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    break
                try:
                    if (await client.get("/readiness")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the gateway did not start:\n{self.log_tail()}")


def node_version() -> str:
    return subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def start_servers(
    url: str, workdir: Path, servers: list[Server], *, deduplicate: bool
) -> dict[str, Server]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")},
        "DATABASE_URL": url,
        "QUARTIER_ENV": "development",
        "PYTHONUNBUFFERED": "1",
    }
    apps = {
        "monolith": "server.app:app_from_env",
        "community": "server.subgraphs:community_app",
        "city": "server.subgraphs:city_app",
    }
    started = {
        name: Server(name, app, free_port(), workdir / f"{name}.log") for name, app in apps.items()
    }
    started["gateway"] = NodeGateway(
        "gateway", "gateway/serve.mjs", free_port(), workdir / "gateway.log",
        community_url=f"{started['community'].base_url}/graphql",
        city_url=f"{started['city'].base_url}/graphql", deduplicate=deduplicate,
    )  # fmt: skip
    for server in started.values():
        servers.append(server)
        server.start(env)
    return started


async def same_answers(
    by_side: dict[str, Server], dataset: datasets.Dataset, sizes: list[int]
) -> tuple[dict[int, dict[str, bytes]], dict[str, Any]]:
    """Each side's bytes for each size, once both answer the same JSON."""
    expected: dict[int, dict[str, bytes]] = {}
    report: dict[str, Any] = {}
    for first in sizes:
        body = request_body(dataset.neighbourhood_id, first)
        got = {}
        for side in SIDES:
            async with httpx.AsyncClient(base_url=by_side[side].base_url, timeout=30) as client:
                response = await client.post(
                    "/graphql", content=body, headers=headers_for(dataset.token)
                )
            assert response.status_code == 200, (side, response.status_code, response.text[:500])
            got[side] = response.content
        parsed = {side: json.loads(content) for side, content in got.items()}
        assert "errors" not in parsed["monolith"], parsed["monolith"]["errors"]
        assert len(parsed["monolith"]["data"]["neighbourhood"]["posts"]["edges"]) == first
        assert parsed["gateway"] == parsed["monolith"], f"first={first}: the JSON differs"
        expected[first] = got
        report[str(first)] = {
            "parsed_equal": True,
            "bytes_equal": got["gateway"] == got["monolith"],
            "response_bytes": {side: len(content) for side, content in got.items()},
        }
        print(f"first={first}: same JSON; {len(got['monolith'])} bytes", flush=True)
    return expected, report


async def measure(
    args: argparse.Namespace, by_side: dict[str, Server], dataset: datasets.Dataset, sizes: list[int],
    expected: dict[int, dict[str, bytes]],
) -> dict[str, Any]:  # fmt: skip
    common = {"client": "raw", "max_requests": args.max_requests, "concurrency": args.concurrency}
    runs: dict[str, Any] = {}
    per_round = args.duration / args.rounds
    for first in sizes:
        request = HttpRequest(
            "POST", "/graphql", headers_for(dataset.token),
            request_body(dataset.neighbourhood_id, first),
        )  # fmt: skip
        for side in SIDES:
            await load(by_side[side], request, expected[first][side], seconds=args.warmup, **common)
        samples: dict[str, list[Sample]] = {side: [] for side in SIDES}
        for r in range(args.rounds):
            for side in SIDES if r % 2 == 0 else SIDES[::-1]:
                samples[side].append(
                    await load(
                        by_side[side], request, expected[first][side], seconds=per_round, **common
                    )
                )
            print(
                f"  first={first} round {r + 1}/{args.rounds}: "
                + ", ".join(f"{s} {samples[s][-1].rps:.1f} req/s" for s in SIDES),
                flush=True,
            )
        summary: dict[str, Any] = {side: summarise(samples[side]) for side in SIDES}
        summary["ratio_gateway_over_monolith"] = round(
            summary["gateway"]["rps"] / summary["monolith"]["rps"], 3
        )
        summary["ratio_per_round"] = [
            round(a.rps / b.rps, 3)
            for a, b in zip(samples["gateway"], samples["monolith"], strict=True)
            if b.rps
        ]
        runs[str(first)] = summary
    return runs


async def run(args: argparse.Namespace, servers: list[Server]) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, Any] = {
        "benchmark": "gateway",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "node": node_version(),
            "loadavg_at_start": list(os.getloadavg()),
        },
        "versions": _versions(),
        "settings": {
            "sizes": sizes,
            "concurrency": args.concurrency,
            "seconds_per_side": args.duration,
            "rounds_per_side": args.rounds,
            "warmup_seconds": args.warmup,
            "servers": "uvicorn 1 worker each (monolith, community, city); the gateway is one "
            "Node process (Hive Gateway runtime)",
            "gateway_deduplicates_inflight_requests": args.deduplicate,
        },
    }
    admin = args.postgres
    url = await datasets.fresh_database(admin)
    workdir = Path(tempfile.mkdtemp(prefix="quartier-bench-logs-"))
    try:
        print(f"database: {re.sub(r'//[^@/]*@', '//', url)}", flush=True)
        dataset = await datasets.populate(url, posts=args.posts, residents=args.residents)
        results["database"] = dataset.dialect
        results["dataset"] = {k: v for k, v in dataset.summary().items() if k != "url"}
        started = start_servers(url, workdir, servers, deduplicate=args.deduplicate)
        for server in started.values():
            await server.wait_ready()
        by_side = {"gateway": started["gateway"], "monolith": started["monolith"]}
        expected, results["equality"] = await same_answers(by_side, dataset, sizes)
        results["runs"] = await measure(args, by_side, dataset, sizes, expected)
        results["machine"]["loadavg_at_end"] = list(os.getloadavg())
        return results
    except Exception:
        for server in servers:
            print(f"--- {server.side} log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        await datasets.drop_database(admin, url)
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(results: dict[str, Any]) -> None:
    header = f"{'db':<9}{'first':>6}  {'side':<9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'requests':>10}{'errors':>8}"
    print(f"\n{header}\n{'-' * len(header)}")
    for first, run_ in results["runs"].items():
        for side in SIDES:
            s = run_[side]
            print(
                f"{results['database']:<9}{first:>6}  {side:<9}{s['rps']:>9.1f}{s['p50_ms']:>9.2f}"
                f"{s['p95_ms']:>9.2f}{s['requests']:>10}{s['errors']:>8}"
            )
        rounds = run_["ratio_per_round"]
        print(
            f"{'':<15}  ratio gateway/monolith = {run_['ratio_gateway_over_monolith']:.3f}"
            f"  (per round {min(rounds):.3f} .. {max(rounds):.3f})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.gateway", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL (else SQLite)"
    )
    parser.add_argument("--sizes", default="20,100", help="page sizes (`first`), comma-separated")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per side and size")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side (alternated)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per side")
    parser.add_argument("--max-requests", type=int, default=100_000, help="bound per round")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument(
        "--deduplicate", action="store_true",
        help="let the gateway share one subgraph request among identical ones in flight",
    )  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    check_load_args(parser, args)
    if not (GATEWAY_DIR / "node_modules").is_dir():
        parser.error("gateway/node_modules is missing: run `npm ci --prefix gateway`")
    return execute(args, run, print_table, "gateway")


if __name__ == "__main__":
    sys.exit(main())
