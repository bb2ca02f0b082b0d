"""A `graphql-transport-ws` client for the tests, over a real socket (the `websockets` package,
against uvicorn) or straight into the ASGI app in this process (the app's own event loop and
database, so a test can wait for the app to settle)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.exceptions import ConnectionClosed

from tests.processes import Process
from tests.support import ROOT, RedisTarget, contract_text, missing_in_ci, redis_url

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


# --- real servers ------------------------------------------------------------------------

# Small limits and quick checks, so the tests reach each of them in a few steps.
LIVE_SETTINGS = {
    "QUARTIER_WS_SESSION_CHECK_SECONDS": "1",
    "QUARTIER_WS_KEEPALIVE_SECONDS": "2",
    "QUARTIER_WS_MAX_SUBSCRIPTIONS": "5",
    "QUARTIER_WS_MAX_CONNECTIONS": "3",
    "QUARTIER_WS_BUFFER": "4",
}


@contextmanager
def redis_prefix() -> Iterator[RedisTarget]:
    """The real Redis under a key prefix of this module's own, its keys deleted after (the
    sync twin of the `redis` fixture, for module-scoped servers)."""
    from redis import Redis

    url = redis_url()
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except OSError as error:
        client.close()
        missing_in_ci(f"Redis at {url} does not answer: {error}")
    prefix = f"quartier-test:{secrets.token_hex(6)}:"
    try:
        yield RedisTarget(url, prefix)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def workers_of(server: Process) -> list[int]:
    """The pids of a `uvicorn --workers N` process's workers."""
    pid = server.process.pid
    children: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listed:
            children += [int(child) for child in listed.read().split()]
    # Beside the workers, multiprocessing's resource tracker.
    return [child for child in children if b"spawn_main" in _cmdline(child)]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def worker_holding(client_port: int, pids: list[int]) -> int | None:
    """Which of these processes holds the server side of the connection from `client_port`."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        with suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return pid
    return None


def local_port(client: Client) -> int:
    return client.socket.connection.local_address[1]


async def graphql(
    url: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    return response.json()


async def succeeds(
    url: str, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    result = await graphql(url, query, variables, token)
    assert "errors" not in result, result
    payload = next(iter(result["data"].values()))
    assert not payload.get("userErrors"), payload
    return payload


class StalledClient:
    """A client that can stop reading altogether: its socket's receive buffer is small and,
    unlike the `websockets` client, nothing reads it in the background."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol: Any = None

    @classmethod
    async def open(cls, url: str) -> StalledClient:
        from websockets.client import ClientProtocol
        from websockets.http11 import Response
        from websockets.uri import parse_uri

        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
        client = cls(reader, writer)
        client.protocol = ClientProtocol(
            parse_uri(url.replace("http://", "ws://") + "/graphql"), subprotocols=[PROTOCOL]
        )
        client.protocol.send_request(client.protocol.connect())
        await client._flush()
        while not any(isinstance(e, Response) for e in await client._receive()):
            pass
        return client

    async def _flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))
        await self.writer.drain()

    async def _receive(self) -> list[Any]:
        data = await self.reader.read(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        return self.protocol.events_received()

    async def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        await self._flush()

    async def read(self) -> list[str]:
        """The text messages of the next read; raises Closed at the end."""
        from websockets.frames import Opcode

        events = await self._receive()
        texts = [e.data.decode() for e in events if getattr(e, "opcode", None) is Opcode.TEXT]
        if self.protocol.close_rcvd is not None or self.reader.at_eof():
            received = self.protocol.close_rcvd
            raise Closed(received.code if received else None, received.reason if received else "")
        return texts

    async def close(self) -> None:
        self.writer.close()
        with suppress(OSError):
            await self.writer.wait_closed()


# --- the graphql-ws client, in Node ------------------------------------------------------

NODE_CLIENT = ROOT / "tests" / "live" / "client.mjs"


def require_node_client() -> None:
    installed = (ROOT / "tests" / "live" / "node_modules" / "graphql-ws").is_dir()
    if not (installed and shutil.which("node")):
        missing_in_ci("tests/live/node_modules is missing: run `npm ci --prefix tests/live`")


class NodeClient:
    """The `graphql-ws` package's client (tests/live/client.mjs), retrying as it does."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())
        self.barriers = 0

    @classmethod
    async def start(cls, url: str, token: str | None, retry_attempts: int = 1000) -> NodeClient:
        require_node_client()
        address = url.replace("http://", "ws://") + "/graphql"
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_CLIENT),
            address,
            token or "",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "LIVE_RETRY_ATTEMPTS": str(retry_attempts)},
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(json.loads(line))
            self.changed.set()

    async def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()

    async def until(self, done: Callable[[], bool], within: float = TIMEOUT) -> None:
        async with asyncio.timeout(within):
            while not done():
                self.changed.clear()
                await self.changed.wait()

    async def subscribe(
        self, op_id: str, operation: str, variables: dict[str, Any] | None = None
    ) -> None:
        """Subscribes, then runs a query on the same connection: when its answer comes, the
        subscription listens (the server reads a connection's messages in order)."""
        await self.send(
            {
                "op": "subscribe",
                "id": op_id,
                "query": contract_text(LIVE),
                "operationName": operation,
                "variables": variables or {},
            }
        )
        await self.barrier()

    async def barrier(self) -> None:
        self.barriers += 1
        op_id = f"barrier-{self.barriers}"
        await self.send({"op": "subscribe", "id": op_id, "query": "query { __typename }"})
        await self.until(
            lambda: any(m.get("id") == op_id and m.get("complete") for m in self.lines)
        )

    def events(self, op_id: str) -> list[dict[str, Any]]:
        return [m["next"] for m in self.lines if m.get("id") == op_id and "next" in m]

    def kind(self, key: str) -> list[Any]:
        return [m[key] for m in self.lines if key in m]

    async def wait_for(self, op_id: str, count: int, within: float = TIMEOUT) -> list[dict]:
        await self.until(lambda: len(self.events(op_id)) >= count, within)
        return self.events(op_id)

    async def stop(self) -> None:
        with suppress(OSError, RuntimeError):
            await self.send({"op": "dispose"})
        try:
            async with asyncio.timeout(TIMEOUT):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self.reader
