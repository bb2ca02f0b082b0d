"""The Starlette application: GraphQL at /graphql (server/graphql_view.py), GraphiQL beside it,
probes, metrics, CORS, the request body limit, and the request log around it all."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from schema.schemas import build_schema
from schema.subgraphs import Subgraph
from server import city_auth, db, export, graphiql
from server.body_limit import BodyLimit
from server.graphql_view import LOCAL_ORIGIN, QuartierGraphQL
from server.live.runtime import LiveRuntime
from server.mail import pages as mail_pages
from server.mail import service as mail_service
from server.media import app as media_app
from server.media import routes as media_routes
from server.observability import health, logs, metrics, runtime
from server.observability.extension import OperationRecorder
from server.observability.middleware import RequestObserver
from server.rate_counter import RedisCounter, counter_for
from server.settings import Settings, SettingsError
from server.trusted import route as trusted_route

if TYPE_CHECKING:
    from server.observability.tracing import Tracing


def _closing(
    base: Callable[[Any], AbstractAsyncContextManager[None]], counter: RedisCounter
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan: `base`, then the Redis connections of the rate counter closed."""

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        async with base(app):
            try:
                yield
            finally:
                await counter.close()

    return run


def tracing_for(settings: Settings, subgraph: Subgraph | None) -> Tracing | None:
    """OpenTelemetry only when a collector is configured: otherwise not even imported."""
    if settings.otlp_endpoint is None:
        return None
    from server.observability import tracing

    return tracing.enable("quartier" if subgraph is None else f"quartier-{subgraph.value}")


def create_app(
    settings: Settings | None = None,
    *,
    manage_database: bool = True,
    subgraph: Subgraph | None = None,
) -> Starlette:
    """The app: the monolith, or one subgraph. `manage_database=False` leaves Tortoise to the
    caller (tests do that)."""
    settings = settings or Settings.from_env()
    if subgraph is not None and settings.production and not settings.gateway_secret:
        raise SettingsError(
            "QUARTIER_GATEWAY_SECRET must be set in production: only the gateway, which "
            "sends it, may call a subgraph's `_entities` and `_service`"
        )
    tracing = tracing_for(settings, subgraph)
    observers: list[Any] = [OperationRecorder]
    if tracing is not None:
        observers.append(tracing.extension())
    schema = build_schema(production=settings.production, subgraph=subgraph, observers=observers)
    rate_counter = counter_for(settings)
    # Photos and events are the community's: the city subgraph serves neither.
    photos = None if subgraph is Subgraph.CITY else media_app.MediaApp(settings, rate_counter)
    city = subgraph is Subgraph.CITY
    live = LiveRuntime(settings, city_auth.ACCOUNT_COLUMNS if city else None)
    media = photos.media if photos else None
    graphql = QuartierGraphQL(schema, settings, rate_counter, media, live)
    if city:
        graphql.authenticate = city_auth.authenticate

    readiness = health.Readiness(settings)
    origins = list(settings.cors_origins)
    lifespan = db.lifespan(
        settings.database_url, settings.db_pool_max, manage_database=manage_database
    )
    if settings.with_worker:
        lifespan = mail_service.with_worker(lifespan, settings)
    if isinstance(rate_counter, RedisCounter):
        lifespan = _closing(lifespan, rate_counter)
    lifespan = _live(lifespan, live)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *graphiql.routes(settings),
            *mail_pages.routes(settings),
            # The city subgraph's database role may not read what residents wrote.
            *(
                export.routes(settings, rate_counter, media.store if media else None)
                if subgraph is not Subgraph.CITY
                else []
            ),
            *(photos.routes() if photos else []),
            *trusted_route.routes(settings),
            Route("/healthz", health.healthz),
            Route("/readyz", readiness.endpoint),
            Route("/metrics", metrics.endpoint(settings)),
        ],
        middleware=[
            Middleware(RequestObserver, tracing=tracing),
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                # In development any local web client may call; production lists its origins.
                allow_origin_regex=None if settings.production or origins else LOCAL_ORIGIN.pattern,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            ),
            # Inside CORS: a browser can read the 413.
            Middleware(
                BodyLimit,
                max_bytes=settings.max_body_bytes,
                # Photos have their own cap (10 MiB), checked as they are read.
                larger={"/media": media_routes.MAX_UPLOAD_BODY} if photos else None,
            ),
        ],
        lifespan=runtime.lifespan(media_app.with_media(lifespan, photos), readiness, tracing),
    )
    # Tests wait on it (`app.state.live.hub.settled()`).
    app.state.live = live
    return app


def tune_garbage_collector() -> None:
    """What the process built to start (modules, schema, app) lives as long as it: frozen, the
    collector never walks it again. And a collection every 50,000 allocations rather than 700:
    a post's fan-out to 1,000 subscribers keeps their work alive across the young collections,
    which then promoted it and set off a full pass over every connection's objects at each post
    (half the fan-out's time; with 10,000, none: bench.live, schema/live.py); and the objects
    of eight feed requests of 100 posts in flight, alive until each answers, set off a young
    collection every few requests at 10,000 (0.7 ms a request; none at 50,000). A request
    leaves no cyclic garbage behind (tests/test_compiled.py), so little waits for a pass."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


def _live(
    base: Callable[[Any], AbstractAsyncContextManager[None]], live: LiveRuntime
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan: `base`, the collector tuned, and live updates stopped before it ends."""

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        async with base(app):
            tune_garbage_collector()
            try:
                yield
            finally:
                await live.stop()

    return run


def app_from_env(subgraph: Subgraph | None = None) -> Starlette:
    """Factory for uvicorn (`server.app:app_from_env`, with --factory): a server process,
    whose logs are JSON lines on stdout."""
    logs.configure()
    return create_app(subgraph=subgraph)
