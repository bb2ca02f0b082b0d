"""Prometheus metrics (prometheus-client), and /metrics.

Several uvicorn workers (`quartier serve --workers N`, N > 1) each count their own requests:
`quartier serve` then points PROMETHEUS_MULTIPROC_DIR at an empty directory before the
workers start, each worker writes its values to memory-mapped files there, and a scrape of
any worker (or of the metrics listener) adds them all up: prometheus-client's multiprocess
mode. Gauges are `livesum`: a worker's share leaves the sum when it stops.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from starlette.responses import Response

from server.auth import bearer_token
from server.observability import pool
from server.observability.registry import multiprocess_mode, scrape_registry

if TYPE_CHECKING:
    from starlette.requests import Request

    from server.settings import Settings

# A `_created` series beside every counter doubles the scrape for a figure nobody graphs
# (and multiprocess mode leaves it out anyway).
disable_created_metrics()

GRAPHQL_REQUESTS = Counter(
    "quartier_graphql_requests",
    "GraphQL requests by operation name, operation type and outcome: ok, user_error (the "
    "payload's userErrors), error (a GraphQL error the caller caused), server_error.",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "quartier_graphql_request_duration_seconds",
    "Time from the request's first byte to its last, for GraphQL requests.",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRAPHQL_ERRORS = Counter(
    "quartier_graphql_errors",
    "Codes in GraphQL responses: extensions.code of errors (kind=error), code of userErrors "
    "(kind=user_error).",
    ["operation", "kind", "code"],
)
HTTP_REQUESTS = Counter(
    "quartier_http_requests",
    "HTTP requests by handler (the route, not the path asked for), method and status.",
    ["handler", "method", "status"],
)
DB_POOL = Gauge(
    "quartier_db_pool_connections",
    "Database connections held by the workers' pools, in use or idle (SQLite: its one connection).",
    ["state"],
    multiprocess_mode="livesum",
)
DB_POOL_MAX = Gauge(
    "quartier_db_pool_max_connections",
    "The most connections the workers' pools may open (QUARTIER_DB_POOL_MAX per worker).",
    multiprocess_mode="livesum",
)
WEBSOCKETS = Gauge(
    "quartier_websocket_connections",
    "Websocket connections open now (GraphQL subscriptions).",
    multiprocess_mode="livesum",
)

# Operation names are the client's choice: past this many distinct ones in a process, the
# rest are counted as "other", so no client can grow the metrics without bound.
MAX_OPERATION_NAMES = 200
_seen: set[str] = set()


def operation_label(name: str | None) -> str:
    if name is None:
        return "anonymous"
    if name in _seen:
        return name
    if len(_seen) >= MAX_OPERATION_NAMES:
        return "other"
    _seen.add(name)
    return name


@functools.cache
def labelled(metric: MetricWrapperBase, *values: str) -> Any:
    """`metric.labels(*values)`, kept: prometheus-client converts the values and takes a lock
    to find the same child on every call. Nothing removes a child, so the one kept is the one
    `labels` would find; the values are bounded as the metric's own children are."""
    return metric.labels(*values)


def sample_pool() -> None:
    use = pool.usage()
    if use is None:
        return
    DB_POOL.labels("in_use").set(use.in_use)
    DB_POOL.labels("idle").set(use.idle)
    DB_POOL_MAX.set(use.maximum)


def exposition() -> bytes:
    sample_pool()
    return generate_latest(scrape_registry())


def allowed(request: Request, settings: Settings) -> bool | None:
    """True to serve, False to ask for the token (401), None to answer as if there were no
    such page (production without a token: metrics only on the metrics listener)."""
    if settings.metrics_token is not None:
        offered = bearer_token(request) or ""
        return hmac.compare_digest(offered.encode(), settings.metrics_token.encode())
    return None if settings.production else True


def endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        verdict = allowed(request, settings)
        if verdict is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        if not verdict:
            return Response(
                "Unauthorized",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        # Multiprocess mode reads one file per worker and metric: off the event loop.
        body = await asyncio.to_thread(exposition) if multiprocess_mode() else exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return metrics
