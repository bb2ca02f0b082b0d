"""OpenTelemetry traces, imported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (create_app
checks the setting first): without it, no OpenTelemetry module is loaded and no extension
runs.

A request gives a server span (continuing the caller's `traceparent`), inside it a span for
the GraphQL operation with its parsing, validation and root fields (Strawberry's
OpenTelemetryExtension), and a client span for every SQL statement Tortoise sends. Spans
carry names, types, paths and SQL with its placeholders; never the query text, variables or
arguments, which hold passwords and what residents wrote. Exported over OTLP/HTTP in
batches; the SDK reads its usual OTEL_* variables (OTEL_SERVICE_NAME, OTEL_BSP_*, ...).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base_postgres.client import BasePostgresClient
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper

from server.observability.extension import operation_name, operation_type
from server.observability.record import CURRENT

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo
    from starlette.types import Scope

    from server.observability.record import RequestRecord

TRACER = "quartier"
STATEMENT_METHODS = (
    "execute_insert",
    "execute_many",
    "execute_query",
    "execute_query_dict",
    "execute_script",
)
CLIENTS: dict[type, str] = {
    AsyncpgDBClient: "postgresql",
    TransactionWrapper: "postgresql",
    BasePostgresClient: "postgresql",
    SqliteClient: "sqlite",
    SqliteTransactionWrapper: "sqlite",
}


class OperationTracing(OpenTelemetryExtension):
    """Strawberry's extension, less what would leak: its operation span records the query
    text and its field spans every argument. Fields below the root get no span of their
    own (a feed page resolves some 370): their SQL statements still do."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(arg_filter=lambda _args, _info: {}, **kwargs)

    def on_operation(self) -> Generator[None, None, None]:
        context = self.execution_context
        span = self._tracer.start_span("GraphQL operation", kind=SpanKind.INTERNAL)
        self._span_holder[LifecycleStep.OPERATION] = span
        record = CURRENT.get()
        if record is not None:
            span.set_attribute("quartier.request_id", record.request_id)
        # Current while the operation runs: the SQL spans of its resolvers nest inside it.
        with trace.use_span(span, end_on_exit=True):
            yield
            name, kind = operation_name(context), operation_type(context)
            span.update_name(f"GraphQL {kind or 'operation'} {name or ''}".rstrip())
            if name:
                span.set_attribute("graphql.operation.name", name)
            if kind:
                span.set_attribute("graphql.operation.type", kind)
            errors = context.result.errors if context.result is not None else None
            if errors:
                span.set_status(Status(StatusCode.ERROR))

    async def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if info.path.prev is None:
            return await super().resolve(_next, root, info, *args, **kwargs)
        result = _next(root, info, *args, **kwargs)
        if isawaitable(result):
            result = await result
        return result


def _statement_span(method: Callable[..., Any], system: str) -> Callable[..., Any]:
    tracer = trace.get_tracer(TRACER)

    @functools.wraps(method)
    async def traced(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        verb = query.lstrip().split(None, 1)[0].upper() if query.strip() else "SQL"
        attributes = {"db.system.name": system, "db.operation.name": verb, "db.query.text": query}
        with tracer.start_as_current_span(verb, kind=SpanKind.CLIENT, attributes=attributes):
            return await method(self, query, *args, **kwargs)

    traced.__quartier_traced__ = True  # type: ignore[attr-defined]
    return traced


def instrument_tortoise() -> None:
    """A span around each statement method the SQLite and asyncpg clients define. Tortoise
    has no hook for this, and a driver-level instrumentation would not do for SQLite:
    aiosqlite runs statements on a thread of its own, outside the request's trace."""
    for client, system in CLIENTS.items():
        for name in STATEMENT_METHODS:
            method = client.__dict__.get(name)
            if method is not None and not getattr(method, "__quartier_traced__", False):
                setattr(client, name, _statement_span(method, system))


class Tracing:
    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = trace.get_tracer(TRACER, tracer_provider=provider)

    @contextmanager
    def server_span(self, scope: Scope, route: str, record: RequestRecord) -> Iterator[Span]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope.get("method", "GET")
        with self.tracer.start_as_current_span(
            f"{method} {route}",
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "http.route": route,
                "quartier.request_id": record.request_id,
            },
        ) as span:
            yield span

    def end_server_span(self, span: Span, status: int, record: RequestRecord) -> None:
        span.set_attribute("http.response.status_code", status)
        if record.error_codes:
            span.set_attribute("graphql.error_codes", record.error_codes)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))

    def extension(self) -> type[OperationTracing]:
        return OperationTracing

    def shutdown(self) -> None:
        self.provider.force_flush()


_enabled: Tracing | None = None


def enable(service_name: str) -> Tracing:
    """Once per process: the SDK's provider is global."""
    global _enabled
    if _enabled is None:
        # OTEL_SERVICE_NAME, when set, names the service; else the app's part does.
        named = os.environ.get("OTEL_SERVICE_NAME")
        resource = Resource.create({} if named else {"service.name": service_name})
        provider = TracerProvider(resource=resource)
        # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and adds /v1/traces to it.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        instrument_tortoise()
        _enabled = Tracing(provider)
    return _enabled
