"""The `graphql-transport-ws` protocol at /graphql: Strawberry's handler, with Quartier's
authentication, limits and close codes.

Close codes (graphql-ws's where the protocol has one):
- 4400 a message that is not the protocol's (not JSON, not an object, an unknown type, a bad
  field), 4401 `subscribe` before `connection_ack`, 4408 no `connection_init` within 10 s,
  4409 a subscription id already in use, 4429 a second `connection_init`: as graphql-ws.
- 4403 the token in `connection_init` (`{"Authorization": "Bearer <token>"}`) is missing,
  unknown, revoked or expired, or the account is suspended or gone; and later, on an open
  connection, when any of that happens (server/live/sessions.py). graphql-ws closes with 4403
  when it refuses a connection, and its client retries 4403 (with the token it is given then).
- 4429 the account already holds `QUARTIER_WS_MAX_CONNECTIONS` connections (the client does
  not retry: close another tab or device first).
- 1009 a message over 64 KiB; 1013 the client reads its messages too slowly (an inbox full,
  or a send blocked for 10 s): retry later and refetch. A restart closes with 1012.
A subscription past `QUARTIER_WS_MAX_SUBSCRIPTIONS` on one connection gets an `error` message
(extensions.code TOO_MANY_SUBSCRIPTIONS); the connection stays.

A `subscribe` payload may name a trusted document (`documentId`, or Apollo's
`extensions.persistedQuery`) instead of its `query` (absent or ""); QUARTIER_TRUSTED_DOCUMENTS
applies to it as over HTTP (server/trusted/admission.py), a refusal being an `error` message.
The gateway proves itself with its secret in `connection_init`'s payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import logging
import secrets
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from json import JSONDecodeError
from typing import TYPE_CHECKING, Any, Final, TypedDict

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from starlette.websockets import WebSocketDisconnected as StarletteDisconnected
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.utils.aio import aclosing

from permissions.text import Text, tr
from resolvers import tokens
from resolvers.loaders import Loaders
from server import i18n
from server.live.sessions import FORBIDDEN, standings

if TYPE_CHECKING:
    from models.accounts import Account
    from resolvers.context import Context
    from server.live.runtime import LiveRuntime

# What closing a websocket may raise once its client has gone or stopped reading: Strawberry's
# and Starlette's disconnects, or the transport's own errors.
CLOSE_FAILURES: Final = (
    RuntimeError,
    OSError,
    WebSocketDisconnected,
    WebSocketDisconnect,
    StarletteDisconnected,
)

log = logging.getLogger("quartier.live")

MAX_MESSAGE_BYTES: Final = 64 * 1024
# The gateway's secret, in `connection_init`'s payload (gateway/serve.mjs).
GATEWAY_PARAMETER: Final = "x-quartier-gateway-secret"
TOO_BIG: Final = 1009
TOO_SLOW: Final = 1013
TOO_MANY: Final = 4429
BAD_MESSAGE: Final = 4400
# A send blocked this long means the client stopped reading.
SEND_TIMEOUT_SECONDS: Final = 10.0
CLOSE_TIMEOUT_SECONDS: Final = 2.0
# How long `subscribe` waits for the subscription to listen before reading the next message:
# a client that sends `ping` after `subscribe` knows, at `pong`, that nothing will be missed.
START_TIMEOUT_SECONDS: Final = 5.0
NO_TOKEN: Final = "Forbidden: connection_init carries no valid token"
ID_MAX: Final = 128


# How `quartier serve` runs uvicorn's websockets: a message over the limit is refused before
# it is read whole (1009); no per-message compression, whose state costs ~40 KiB for every
# connection (measured by bench.live) for events of a few hundred bytes.
class UvicornOptions(TypedDict):
    ws_max_size: int
    ws_per_message_deflate: bool


UVICORN_OPTIONS: Final = UvicornOptions(ws_max_size=MAX_MESSAGE_BYTES, ws_per_message_deflate=False)

# Connection tasks cancelled on purpose (a client that stopped reading): the view ends them
# quietly instead of letting the cancellation reach uvicorn as an error.
DROPPED: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


class MessageTooBigError(Exception):
    pass


class LiveWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter, refusing oversized messages and JSON too deep to parse."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > MAX_MESSAGE_BYTES:
                    raise MessageTooBigError
                try:
                    # The view's decoder refuses bad and too deeply nested JSON (HTTPException).
                    yield self.view.decode_json(text)
                except (JSONDecodeError, RecursionError, HTTPException) as error:
                    raise NonJsonMessageReceived from error
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


def bearer(payload: Mapping[str, object]) -> str | None:
    header = payload.get("Authorization", payload.get("authorization"))
    if not isinstance(header, str):
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _protocol_error(message: object) -> str | None:
    """Why a message is not one of the protocol's, or None."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "Invalid message: an object with a string `type` is expected"
    kind = message["type"]
    if kind == "connection_init":
        payload = message.get("payload")
        return None if payload is None or isinstance(payload, dict) else "Invalid payload"
    if kind in ("subscribe", "complete"):
        op_id = message.get("id")
        if not isinstance(op_id, str) or not op_id or len(op_id) > ID_MAX:
            return "Invalid message: `id` must be a non-empty string"
    if kind != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "Invalid subscribe payload: an object is expected"
    named = payload.get("documentId") is not None or payload.get("extensions") is not None
    if not isinstance(payload.get("query"), str) and not (named and payload.get("query") is None):
        return "Invalid subscribe payload: `query` must be a string"
    expected = {"variables": dict, "operationName": str, "extensions": dict, "documentId": str}
    for key, kind_of in expected.items():
        if payload.get(key) is not None and not isinstance(payload[key], kind_of):
            return f"Invalid subscribe payload: bad `{key}`"
    return None


class OperationLive:
    """What one operation's resolvers see of the connection (resolvers.broadcast.Live)."""

    def __init__(self, connection: LiveHandler, started: asyncio.Event) -> None:
        self.connection = connection
        self.started = started

    @property
    def viewer(self) -> Account | None:
        return self.connection.viewer_row

    @contextlib.asynccontextmanager
    async def listen(self, *topics: str) -> AsyncIterator[AsyncIterator[Any]]:
        hub = self.connection.runtime.hub
        async with hub.listen(topics, self.connection) as events:
            self.started.set()
            yield events


class LiveHandler(BaseGraphQLTransportWSHandler["Context", None]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime: LiveRuntime = self.view.live  # type: ignore[attr-defined]
        self.connection_id = secrets.token_hex(8)
        self.token_hash = ""
        self.viewer_row: Account | None = None
        self.claimed = False
        self.started: dict[str, asyncio.Event] = {}
        # Each operation's trusted document (server/trusted/), until it starts.
        self.trusted: dict[str, Any] = {}
        self.task: asyncio.Task[Any] | None = None
        self.keepalive: asyncio.Task[None] | None = None
        self.ending: asyncio.Task[None] | None = None
        self.language = i18n.DEFAULT

    # --- the session, as the hub and the session checks see it ----------------------------

    @property
    def account_id(self) -> int:
        return self.viewer_row.id if self.viewer_row is not None else 0

    def renew(self, viewer: Account) -> None:
        self.viewer_row = viewer

    def overflowed(self) -> None:
        self.end(TOO_SLOW, "Try again later: the client reads its messages too slowly")

    def end(self, code: int, reason: str) -> None:
        if self.ending is None:
            log.info("live connection closed (%d): %s", code, reason)
            self.ending = asyncio.create_task(self._terminate(code, reason))

    async def _terminate(self, code: int, reason: str) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.websocket.close(code, reason)
        except (TimeoutError, *CLOSE_FAILURES):
            # The close frame cannot be written (the client reads nothing, or has already
            # gone: Starlette then raises its own disconnect): stop reading, and
            # uvicorn drops the connection once what is buffered for it has gone or failed.
            if self.task is not None and not self.task.done():
                DROPPED.add(self.task)
                self.task.cancel()

    # --- the connection ---------------------------------------------------------------------

    async def handle(self) -> None:
        self.task = asyncio.current_task()
        try:
            await super().handle()
        except MessageTooBigError:
            with contextlib.suppress(*CLOSE_FAILURES):
                await self.websocket.close(TOO_BIG, "Message too big")
        finally:
            self.runtime.sessions.discard(self)
            if self.keepalive is not None:
                self.keepalive.cancel()
            if self.claimed and self.viewer_row is not None:
                await self.runtime.presence.release(self.viewer_row.id, self.connection_id)

    async def handle_message(self, message: Any) -> None:
        error = _protocol_error(message)
        if error is not None:
            await self.handle_invalid_message(error)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        if self.connection_init_received:
            await self.websocket.close(TOO_MANY, "Too many initialisation requests")
            return
        self.connection_init_received = True
        payload = message.get("payload") or {}
        raw = bearer(payload)
        viewer, token = await self.view.authenticate(raw) if raw else (None, None)  # type: ignore[attr-defined]
        if viewer is None:
            await self.websocket.close(FORBIDDEN, await self._refusal(raw))
            return
        if not await self.runtime.presence.claim(viewer.id, self.connection_id):
            await self.websocket.close(TOO_MANY, "Too many connections for this account")
            return
        self.claimed = True
        self.viewer_row = viewer
        secret, sent = self.runtime.settings.gateway_secret, payload.get(GATEWAY_PARAMETER)
        if secret and isinstance(sent, str) and hmac.compare_digest(sent, secret):
            self.context.from_gateway = True
        self.token_hash = tokens.hash_token(raw or "")
        self.context.viewer, self.context.token = viewer, token
        # Messages in the account's language, as over HTTP.
        accepted = self.context.request.headers.get("accept-language")
        self.language = i18n.language_of(viewer.language, accepted)
        self.context.language = self.language.value
        self.context.translate = i18n.translator(self.language)
        self.runtime.sessions.add(self)
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self.keepalive = asyncio.create_task(self._keep_alive())

    async def _refusal(self, raw: str | None) -> str:
        if raw is None:
            return NO_TOKEN
        found = await standings({tokens.hash_token(raw)}, self.runtime.account_columns)
        standing = found.get(tokens.hash_token(raw))
        return standing.refusal if standing and standing.refusal else NO_TOKEN

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.runtime.settings.ws_keepalive_seconds)
            await self.send_message({"type": "ping"})

    async def send_message(self, message: Any) -> None:
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await self.websocket.send_json(message)
        except TimeoutError:
            self.end(TOO_SLOW, "Try again later: the client reads its messages too slowly")
        except (WebSocketDisconnected, StarletteDisconnected):
            pass  # the client has gone: the receiving side notices and cleans up

    # --- operations ---------------------------------------------------------------------------

    async def handle_subscribe(self, message: Any) -> None:
        if not self.connection_acknowledged:
            await self.websocket.close(4401, "Unauthorized")
            return
        op_id = message["id"]
        if op_id in self.operations:
            await self.websocket.close(4409, f"Subscriber for {op_id} already exists")
            return
        if len(self.operations) >= self.runtime.settings.ws_max_subscriptions:
            error = {
                "message": self.context.translate(tr("Trop d'abonnements sur cette connexion.")),
                "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
            }
            await self.send_message({"id": op_id, "type": "error", "payload": [error]})
            return
        payload = message["payload"]
        try:
            trusted = await self.view.admission.admit(  # type: ignore[attr-defined]
                payload.get("query") or None,
                payload.get("documentId"),
                payload.get("extensions"),
                self.viewer_row,
                from_gateway=self.context.from_gateway,
            )
        except GraphQLError as refusal:
            refused: dict[str, Any] = {
                "message": self.context.translate(refusal.message),
                "extensions": refusal.extensions,
            }
            await self.send_message({"id": op_id, "type": "error", "payload": [refused]})
            return
        query = trusted.text if trusted is not None else payload["query"]
        self.trusted[op_id] = trusted
        operation: Operation[Context, None] = Operation(
            self, op_id, query, payload.get("variables"), payload.get("operationName")
        )
        started = self.started[op_id] = asyncio.Event()
        operation.task = asyncio.create_task(self.run_operation(operation))
        operation.task.add_done_callback(self._task_done)
        self.operations[op_id] = operation
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                await started.wait()

    async def _translated(self, results: AsyncIterator[Any]) -> AsyncGenerator[Any]:
        """Each result's errors in the reader's language, as HTTP answers do."""
        async for result in results:
            for error in getattr(result, "errors", None) or ():
                original = getattr(error.original_error, "message", None)
                text = original if isinstance(original, Text) else error.message
                error.message = i18n.translate(text, self.language)
            yield result

    def _operation_context(self, started: asyncio.Event, trusted: Any) -> Context:
        """Each operation has a context of its own: its subscription renews the loaders at
        every event, and another operation's must not change under it."""
        return dataclasses.replace(
            self.context,
            viewer=self.viewer_row,
            loaders=Loaders(self.viewer_row),
            live=OperationLive(self, started),
            extra={},
            trusted=trusted,
        )

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's, with the operation's own context."""
        started = self.started.get(operation.id) or asyncio.Event()
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self._operation_context(
                    started, self.trusted.pop(operation.id, None)
                ),
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, self._translated(result_source))
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except GraphQLError as error:
            # A document that does not parse: Strawberry's parser cache raises it before the
            # stream starts. Closed with 4400, as Strawberry does without the cache.
            self.operations.pop(operation.id, None)
            await self.websocket.close(BAD_MESSAGE, error.message)
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            started.set()
            self.started.pop(operation.id, None)
