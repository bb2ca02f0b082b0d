"""Two more clients for the live tests: one that stops reading altogether, and the graphql-ws
package's own, driven by Node."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from tests.live_support import LIVE, PROTOCOL, TIMEOUT, Closed
from tests.support import ROOT, contract_text, missing_in_ci


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
