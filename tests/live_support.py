"""A `graphql-transport-ws` client for the tests, over a real socket (the `websockets` package,
against uvicorn) or straight into the ASGI app in this process (the app's own event loop and
database, so a test can wait for the app to settle)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from tests.support import contract_text

PROTOCOL = "graphql-transport-ws"
LIVE = "web/live.graphql"
TIMEOUT = 10.0


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class AsgiSocket:
    """A websocket into an ASGI app, without a network."""

    def __init__(self, app: Any, path: str = "/graphql", origin: str | None = None) -> None:
        self.inbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        headers = [(b"host", b"quartier.test")]
        if origin:
            headers.append((b"origin", origin.encode()))
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("quartier.test", 80),
            "subprotocols": [PROTOCOL],
            "state": {},
            "extensions": {},
        }
        self.inbound.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.inbound.get, self.outbound.put))
        self.closed: Closed | None = None

    async def accept(self) -> None:
        message = await self.outbound.get()
        if message["type"] != "websocket.accept":
            raise Closed(message.get("code"), message.get("reason", ""))

    async def send(self, text: str) -> None:
        await self.inbound.put({"type": "websocket.receive", "text": text})

    async def recv(self) -> str:
        if self.closed:
            raise self.closed
        message = await self.outbound.get()
        if message["type"] == "websocket.close":
            self.closed = Closed(message.get("code", 1000), message.get("reason") or "")
            raise self.closed
        return message["text"]

    async def close(self) -> None:
        await self.inbound.put({"type": "websocket.disconnect", "code": 1000})
        with suppress(Exception):
            await asyncio.wait_for(self.task, TIMEOUT)


class NetworkSocket:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def send(self, text: str) -> None:
        await self.connection.send(text)

    async def recv(self) -> str:
        try:
            return await self.connection.recv()
        except ConnectionClosed as error:
            received = error.rcvd
            raise Closed(
                received.code if received else None, received.reason if received else ""
            ) from None

    async def close(self) -> None:
        await self.connection.close()


@dataclass
class Client:
    """The protocol over one socket: what each subscription received, and pings answered."""

    socket: Any
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)
    pings: int = 0
    pongs: int = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def read(self) -> dict[str, Any]:
        message = json.loads(await self.socket.recv())
        kind, op_id = message.get("type"), message.get("id")
        if kind == "next":
            self.received.setdefault(op_id, []).append(message["payload"])
        elif kind == "error":
            self.errors[op_id] = message["payload"]
        elif kind == "complete":
            self.completed.add(op_id)
        elif kind == "ping":
            self.pings += 1
            await self.send({"type": "pong"})
        elif kind == "pong":
            self.pongs += 1
        return message

    async def read_until(self, done: Callable[[], bool], within: float = TIMEOUT) -> None:
        async with asyncio.timeout(within):
            while not done():
                await self.read()

    async def init(self, token: str | None) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        async with asyncio.timeout(TIMEOUT):
            return await self.read()

    async def subscribe(
        self,
        op_id: str,
        operation: str | None = None,
        variables: dict[str, Any] | None = None,
        query: str | None = None,
    ) -> None:
        """Subscribes, then waits for the pong of a ping sent after: the server reads a
        client's messages in order, so the subscription listens by then (or has failed)."""
        payload: dict[str, Any] = {"query": query or contract_text(LIVE), "variables": variables}
        if operation:
            payload["operationName"] = operation
        await self.send({"id": op_id, "type": "subscribe", "payload": payload})
        await self.barrier()

    async def barrier(self) -> None:
        expected = self.pongs + 1
        await self.send({"type": "ping"})
        await self.read_until(lambda: self.pongs >= expected)

    def events(self, op_id: str) -> list[dict[str, Any]]:
        return self.received.get(op_id, [])

    async def wait_for(self, op_id: str, count: int, within: float = TIMEOUT) -> list[dict]:
        await self.read_until(lambda: len(self.events(op_id)) >= count, within)
        return self.events(op_id)

    async def closed(self, within: float = TIMEOUT) -> Closed:
        """Reads until the server closes the connection; its code and reason."""
        try:
            await self.read_until(lambda: False, within)
        except Closed as closed:
            return closed
        raise AssertionError("the connection stayed open")

    async def close(self) -> None:
        await self.socket.close()


async def connect(url: str, *, origin: str | None = None, **options: Any) -> Client:
    """A client over a real websocket to `url` (http://host:port)."""
    address = url.replace("http://", "ws://") + "/graphql"
    headers = {"Origin": origin} if origin else None
    connection = await websockets.connect(
        address, subprotocols=[PROTOCOL], additional_headers=headers, **options
    )
    return Client(NetworkSocket(connection))


async def connect_app(app: Any) -> Client:
    socket = AsgiSocket(app)
    await socket.accept()
    return Client(socket)
