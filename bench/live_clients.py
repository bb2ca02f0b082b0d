"""The subscribers of `bench.live`: processes of their own, each holding a share of the
websocket connections, so that reading 1,000 sockets does not wait on one Python thread.

Each connection signs in with its own resident's token, subscribes with the contract's
`PostAdded`, and waits for the pong of a ping sent after (the server reads a connection's
messages in order: the subscription listens by then). Each `next` is stamped with the
wall-clock time it was read; the stamps go back to the parent when it says stop.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import websockets

PROTOCOL = "graphql-transport-ws"
# Connections opened at once by one process: a burst of 1,000 handshakes is not the point.
OPENING = 25


@dataclass
class Subscriber:
    token: str
    # (post id, the post's createdAt as sent, the time the event was read)
    received: list[tuple[str, str, float]] = field(default_factory=list)


async def _subscribe(url: str, subscriber: Subscriber, document: str, variables: dict) -> Any:
    connection = await websockets.connect(
        url, subprotocols=[PROTOCOL], open_timeout=60, ping_interval=None, max_size=None
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {subscriber.token}"}}
    await connection.send(json.dumps(init))
    ack = json.loads(await connection.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"connection refused: {ack}")
    payload = {"query": document, "operationName": "PostAdded", "variables": variables}
    await connection.send(json.dumps({"id": "posts", "type": "subscribe", "payload": payload}))
    await connection.send(json.dumps({"type": "ping"}))
    while json.loads(await connection.recv()).get("type") != "pong":
        pass
    return connection


async def _listen(connection: Any, subscriber: Subscriber) -> None:
    async for raw in connection:
        read_at = time.time()
        message = json.loads(raw)
        if message.get("type") == "next":
            post = message["payload"]["data"]["postAdded"]
            subscriber.received.append((post["id"], post["createdAt"], read_at))
        elif message.get("type") == "ping":
            await connection.send(json.dumps({"type": "pong"}))


async def _run(
    url: str, tokens: list[str], document: str, variables: dict, pipe: Connection
) -> None:
    subscribers = [Subscriber(token) for token in tokens]
    connections: list[Any] = []
    for start in range(0, len(subscribers), OPENING):
        batch = subscribers[start : start + OPENING]
        connections += await asyncio.gather(
            *(_subscribe(url, s, document, variables) for s in batch)
        )
    # The local ports tell the parent which worker holds each connection.
    ports = [connection.local_address[1] for connection in connections]
    listeners = [
        asyncio.create_task(_listen(c, s)) for c, s in zip(connections, subscribers, strict=True)
    ]
    pipe.send(("ready", ports))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    pipe.send(("received", [s.received for s in subscribers]))


def serve(url: str, tokens: list[str], document: str, variables: dict, pipe: Connection) -> None:
    """A subscriber process's whole life (the target of multiprocessing.Process)."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        runner(_run(url, tokens, document, variables, pipe))
    except Exception as error:
        pipe.send(("failed", repr(error)))
