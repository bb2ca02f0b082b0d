"""How long `quartier serve` takes, on an existing filled database, to answer its first request.

    .venv/bin/python -m bench.startup                      # SQLite file in a temporary directory
    .venv/bin/python -m bench.startup --postgres postgres://postgres@127.0.0.1:5432/postgres

One run builds a fresh migrated database with bench.dataset's neighbourhood (2,000 posts), then
`--runs` times for each mode (`serve`, and `serve --demo`, which checks the demo city on a
database that already has one): spawns the real command (`quartier serve --port <free port>`,
its own process group, development settings), polls it every 20 ms with the contract's
`NeighbourhoodFeed` (bearer token, first: 20) until a 200 with the page's posts comes back,
and reports the seconds from spawn to that answer and the process's CPU time by then (user +
system, from /proc; steadier than wall time on the shared machine). The server is then
terminated by its pid. Goal: within 3 s. Writes bench/results/startup-<UTC>-<database>.json
unless `--no-write`; exits 1 if a median misses the goal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dataset as datasets
from bench.feed import (
    HOST,
    RESULTS,
    ROOT,
    free_port,
    headers_for,
    process_cpu_seconds,
    request_body,
    terminate,
)

GOAL_SECONDS = 3.0
MODES = {"serve": [], "serve --demo": ["--demo"]}


def spawn(extra: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """The real command, in its own process group, its output to `log`."""
    command = [str(Path(sys.executable).parent / "quartier"), "serve", "--port", str(port), *extra]
    with open(log, "wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def first_answer(
    extra: list[str], env: dict[str, str], body: bytes, token: str, log: Path, within: float
) -> dict[str, Any]:
    port = free_port()
    started = time.perf_counter()
    process = spawn(extra, env, port, log)
    try:
        deadline = started + within
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=within) as client:
            while time.perf_counter() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"quartier serve exited:\n{tail(log)}")
                try:
                    response = await client.post(
                        "/graphql", content=body, headers=headers_for(token)
                    )
                except httpx.TransportError:
                    await asyncio.sleep(0.02)
                    continue
                seconds = time.perf_counter() - started
                cpu = process_cpu_seconds(process.pid)
                data = response.json()
                assert response.status_code == 200, response.text[:500]
                assert "errors" not in data, data["errors"]
                assert data["data"]["neighbourhood"]["posts"]["edges"], data
                return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3)}
        raise RuntimeError(f"no answer within {within} s:\n{tail(log)}")
    finally:
        terminate(process)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    url = await datasets.fresh_database(args.postgres)
    workdir = Path(tempfile.mkdtemp(prefix="quartier-bench-startup-"))
    try:
        dataset = await datasets.populate(url, posts=args.posts)
        print(f"dataset: {dataset.counts} in {dataset.seconds} s", flush=True)
        # A restart: the modules' bytecode cached, as on an installed server (the sandbox's
        # PYTHONDONTWRITEBYTECODE would have every start compile the project's modules).
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env = {
            **inherited,
            "DATABASE_URL": url,
            "QUARTIER_ENV": "development",
            "QUARTIER_MAIL_DIR": str(workdir / "mail"),
            "PYTHONUNBUFFERED": "1",
        }
        body = request_body(dataset.neighbourhood_id, 20)
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for i in range(args.runs):
            for mode, extra in MODES.items():
                log = workdir / f"serve-{i}.log"
                run = await first_answer(extra, env, body, dataset.token, log, args.timeout)
                runs[mode].append(run)
                print(f"  {mode}: first answer after {run['seconds']:.2f} s "
                      f"(CPU {run['cpu_seconds']:.2f} s)", flush=True)  # fmt: skip
        return {
            "benchmark": "startup",
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": dataset.dialect,
            "dataset": dataset.counts,
            "loadavg": list(os.getloadavg()),
            "runs": runs,
            "median_seconds": {
                mode: statistics.median(r["seconds"] for r in rs) for mode, rs in runs.items()
            },
            "median_cpu_seconds": {
                mode: statistics.median(r["cpu_seconds"] for r in rs) for mode, rs in runs.items()
            },
        }
    finally:
        await datasets.drop_database(args.postgres, url)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL")
    parser.add_argument("--runs", type=int, default=3, help="restarts per mode")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    try:
        results = asyncio.run(measure(args))
    except KeyboardInterrupt:
        print("\ninterrupted: server stopped, database dropped", file=sys.stderr)
        return 130
    print(f"\n{results['database']}, load average {results['loadavg'][0]:.2f}:")
    for mode, seconds in results["median_seconds"].items():
        cpu = results["median_cpu_seconds"][mode]
        print(f"  quartier {mode:<14} first answer after {seconds:.2f} s (median of {args.runs}), "
              f"CPU {cpu:.2f} s  (goal <= {GOAL_SECONDS} s)")  # fmt: skip
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"startup-{stamp}-{results['database']}.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {path.relative_to(ROOT)}")
    return 0 if max(results["median_seconds"].values()) <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
