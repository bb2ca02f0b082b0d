"""The ASGI middleware around every request: an X-Request-Id (the caller's, if it is a safe
one, or a new one) returned on the response, one JSON log line, the metrics, and with
tracing on, the request's server span.

The log line says what happened, never what was said: no query text, variables, headers,
query string or cookies, so no token, password, e-mail address or content. Paths are
logged as their route (`/graphql/assets/{name}`), not as asked for.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, MutableHeaders

from server.mail import links
from server.observability import metrics
from server.observability.logs import FIELDS, REQUEST_LOGGER
from server.observability.record import CURRENT, RequestRecord, request_id

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from server.observability.tracing import Tracing

logger = logging.getLogger(REQUEST_LOGGER)

HANDLERS = frozenset(
    {
        "/graphql",
        "/graphql/sign-in",
        "/graphql/session",
        "/healthz",
        "/readyz",
        "/metrics",
        # Their tokens travel in the query string, which is never logged.
        links.CONFIRM_PATH,
        links.RESET_PATH,
        links.UNSUBSCRIBE_PATH,
    }
)
# Probes and scrapes come every few seconds: their successes go to DEBUG, not to the log.
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})
HEADER = "X-Request-Id"


def handler(path: str) -> str:
    if path in HANDLERS:
        return path
    if path.startswith("/graphql/assets/"):
        return "/graphql/assets/{name}"
    return "other"


class RequestObserver:
    def __init__(self, app: ASGIApp, tracing: Tracing | None = None) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        record = RequestRecord(request_id(Headers(scope=scope).get(HEADER)))
        if self.tracing is None:
            await self._observe(scope, receive, send, record)
            return
        with self.tracing.server_span(scope, handler(scope["path"]), record) as span:
            status = await self._observe(scope, receive, send, record)
            self.tracing.end_server_span(span, status, record)

    async def _observe(
        self, scope: Scope, receive: Receive, send: Send, record: RequestRecord
    ) -> int:
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception leaves the server to send a 500
        accepted = False

        async def observed_send(message: Message) -> None:
            nonlocal status, accepted
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(HEADER, record.request_id)
            elif message["type"] == "websocket.accept":
                accepted = True
                status = 101
                metrics.WEBSOCKETS.inc()
            elif message["type"] == "websocket.close" and not accepted:
                status = 403  # a handshake refused: the server answers it with a 403
            await send(message)

        # A websocket carries many operations over its life: the record is per HTTP request.
        token = CURRENT.set(record) if scope["type"] == "http" else None
        try:
            await self.app(scope, receive, observed_send)
        finally:
            if token is not None:
                CURRENT.reset(token)
            if accepted:
                metrics.WEBSOCKETS.dec()
            finish(scope, record, status, time.perf_counter() - started)
        return status


def finish(scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
    route = handler(scope["path"])
    method = scope.get("method", "WEBSOCKET")
    labelled = metrics.labelled
    labelled(metrics.HTTP_REQUESTS, route, method, str(status)).inc()
    outcome = record.outcome(status)
    if record.graphql:
        operation = metrics.operation_label(record.operation)
        kind = record.operation_type or "unknown"
        labelled(metrics.GRAPHQL_REQUESTS, operation, kind, outcome).inc()
        labelled(metrics.GRAPHQL_DURATION, operation, kind).observe(seconds)
        for code in record.error_codes:
            labelled(metrics.GRAPHQL_ERRORS, operation, "error", code).inc()
        for code in record.user_error_codes:
            labelled(metrics.GRAPHQL_ERRORS, operation, "user_error", code).inc()
    level = logging.INFO
    if status >= 500:
        level = logging.ERROR
    elif route in QUIET and status < 400:
        level = logging.DEBUG
    if logger.isEnabledFor(level):
        logger.log(level, "request", extra={FIELDS: line(record, route, method, status, seconds)})


def line(
    record: RequestRecord, route: str, method: str, status: int, seconds: float
) -> dict[str, Any]:
    return {
        "event": "request",
        "request_id": record.request_id,
        "method": method,
        "path": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "operation": record.operation,
        "operation_type": record.operation_type,
        "outcome": record.outcome(status),
        "error_codes": record.error_codes,
        "user_error_codes": record.user_error_codes,
        "pid": os.getpid(),
    }
