"""A long mixed load against `quartier serve --workers 2` (marked `load`: `.ci/run` runs it
once, on PostgreSQL; the default run leaves it out). A hundred residents, each from an address
of their own through a trusted proxy, read their feed and write posts, comments and messages
for `QUARTIER_LOAD_SECONDS` (40 by default, and at least one round of each each) with one
request in flight each. The bar: no
error of any kind (HTTP status, GraphQL error, userError), and every write the server
acknowledged is in the database afterwards. The figures are printed (`pytest -m load -s`)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.community import Comment, Post
from models.messaging import Message
from tests import support
from tests.processes import Process, serve_workers
from tests.support import gid, operation

pytestmark = pytest.mark.load

CLIENTS = 100
SECONDS = float(os.environ.get("QUARTIER_LOAD_SECONDS", "40"))
FEED = operation("web/feed.graphql", "NeighbourhoodFeed")
MESSAGES = operation("web/messages.graphql", "SendMessage")
# Writes per client stay under the per-account limits (README: 30 posts, 60 comments and 120
# messages per 10 minutes): the load measures the server, not the throttle.
CAPS = {"CreatePost": 20, "AddComment": 40, "SendMessage": 80}


@pytest.fixture
def workers(tmp_path: Path, database_url: str, redis: support.RedisTarget) -> Iterator[Process]:
    """`quartier serve --workers 2` behind a proxy it trusts, sharing its counters in Redis."""
    settings = {"QUARTIER_TRUSTED_PROXIES": "127.0.0.1", **redis.env()}
    with serve_workers(tmp_path / "quartier.log", database_url, **settings) as server:
        yield server
    assert "Traceback" not in server.output()


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


async def _request(
    http: httpx.AsyncClient,
    tally: Tally,
    name: str,
    document: str,
    variables: dict[str, Any],
) -> dict[str, Any] | None:
    started = time.perf_counter()
    response = await http.post(
        "/graphql", json={"query": document, "operationName": name, "variables": variables}
    )
    tally.latencies.setdefault(name, []).append(time.perf_counter() - started)
    body = response.json() if response.status_code == 200 else None
    if body is None or "errors" in body:
        tally.errors.append(f"{name}: {response.status_code} {response.text[:300]}")
        return None
    payload = next(iter(body["data"].values()))
    if isinstance(payload, dict) and payload.get("userErrors"):
        tally.errors.append(f"{name}: {payload['userErrors']}")
        return None
    return payload


async def _resident(
    url: str, index: int, token: str, world: Any, peers: list[str], deadline: float, tally: Tally
) -> None:
    rng = random.Random(index)
    written = dict.fromkeys(CAPS, 0)
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": f"10.0.{index}.1"}
    hood = gid("Neighbourhood", world.centre.id)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        seen: list[str] = []
        step = 0
        # Each client goes round its cycle once whatever the time (read, post, read, comment,
        # read, message), then on until the deadline.
        while step < 6 or time.monotonic() < deadline:
            step += 1
            kind = ("SendMessage", "AddComment", "CreatePost")[step % 3]
            if step % 2 or written[kind] >= CAPS[kind] or (kind == "AddComment" and not seen):
                page = await _request(http, tally, "NeighbourhoodFeed", FEED, {"id": hood})
                if page is not None:
                    seen = [e["node"]["id"] for e in page["posts"]["edges"]] or seen
                continue
            written[kind] += 1
            text = f"Charge {index}-{step} : éèà « test »"
            if kind == "CreatePost":
                values = {"kind": "DISCUSSION", "title": text, "body": text}
                done = await _request(http, tally, kind, FEED, {"input": values})
                if done is not None:
                    tally.posts.append(done["post"]["id"])
            elif kind == "AddComment":
                values = {"postId": rng.choice(seen), "body": text}
                done = await _request(http, tally, kind, FEED, {"input": values})
                if done is not None:
                    tally.comments.append(done["comment"]["id"])
            else:
                values = {
                    "recipientId": rng.choice(peers[:index] + peers[index + 1 :]),
                    "body": text,
                }
                done = await _request(http, tally, kind, MESSAGES, {"input": values})
                if done is not None:
                    tally.messages.append(done["message"]["id"])


def _pks(global_ids: list[str]) -> set[int]:
    from resolvers.ids import parse_global_id

    return {int(parse_global_id(g)[1]) for g in global_ids}


async def test_a_hundred_residents_reading_and_writing_meet_no_error_and_lose_no_write(
    workers, world
):
    residents = [
        await support.make_resident(world.centre_street, f"Voisin {i}") for i in range(CLIENTS)
    ]
    peers = [gid("Account", account.id) for account, _ in residents]
    tally = Tally()
    started = time.monotonic()
    deadline = started + SECONDS

    await asyncio.gather(
        *(
            _resident(workers.url, i, token, world, peers, deadline, tally)
            for i, (_, token) in enumerate(residents)
        )
    )
    elapsed = time.monotonic() - started

    requests = sum(len(v) for v in tally.latencies.values())
    print(f"\n{CLIENTS} clients, {elapsed:.1f} s, {requests} requests, {requests / elapsed:.0f}/s")
    for name, latencies in sorted(tally.latencies.items()):
        ordered = sorted(latencies)
        p99 = ordered[int(len(ordered) * 0.99) - 1] if len(ordered) >= 100 else ordered[-1]
        print(
            f"  {name:18} {len(latencies):6} requests"
            f"  p50 {statistics.median(ordered) * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms"
        )
    assert tally.errors == []
    assert min(len(tally.posts), len(tally.comments), len(tally.messages)) >= CLIENTS
    stored = await Post.filter(id__in=list(_pks(tally.posts))).count()
    assert stored == len(tally.posts)
    assert await Comment.filter(id__in=list(_pks(tally.comments))).count() == len(tally.comments)
    assert await Message.filter(id__in=list(_pks(tally.messages))).count() == len(tally.messages)
