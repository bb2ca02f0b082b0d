"""The Starlette application: GraphQL at /graphql, GraphiQL beside it, probes, metrics, CORS,
and the request log around it all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from permissions.text import Text
from resolvers.context import Context
from resolvers.loaders import Loaders
from schema.schemas import build_schema
from schema.subgraphs import Subgraph
from server import city_auth, db, export, graphiql, i18n
from server.auth import authenticate, bearer_token
from server.mail import pages as mail_pages
from server.mail import service as mail_service
from server.observability import health, logs, metrics, runtime
from server.observability.extension import OperationRecorder
from server.observability.middleware import RequestObserver
from server.settings import Settings

if TYPE_CHECKING:
    from server.observability.tracing import Tracing


class QuartierGraphQL(GraphQL):
    # The city subgraph loads the caller with fewer columns (server/city_auth.py).
    authenticate = staticmethod(authenticate)

    def __init__(self, schema: Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            # Our own page, not Strawberry's (see render_graphql_ide); gated in production.
            graphql_ide="graphiql",
            # Strawberry refuses mutations over GET; queries over GET stay cacheable.
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self.settings = settings

    async def render_graphql_ide(self, request: Request) -> Response:
        return await graphiql.ide_response(request, self.settings)

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        viewer, token = await self.authenticate(bearer_token(request))
        language = i18n.language_of(
            viewer.language if viewer else None, request.headers.get("accept-language")
        )
        # process_result reads it back to translate the errors.
        request.state.language = language
        return Context(
            viewer=viewer,
            token=token,
            loaders=Loaders(viewer),
            settings=self.settings,
            request=request,
            response=response,
            language=language.value,
            translate=i18n.translator(language),
        )

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Coded errors (UNAUTHENTICATED, FORBIDDEN...) and the masked one, in the reader's
        language."""
        language = getattr(request.state, "language", None) or i18n.language_of(
            None, request.headers.get("accept-language")
        )
        for error in result.errors or ():
            original = getattr(error.original_error, "message", None)
            text = original if isinstance(original, Text) else error.message
            error.message = i18n.translate(text, language)
        return await super().process_result(request, result)


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
    tracing = tracing_for(settings, subgraph)
    observers: list[Any] = [OperationRecorder]
    if tracing is not None:
        observers.append(tracing.extension())
    schema = build_schema(production=settings.production, subgraph=subgraph, observers=observers)
    graphql = QuartierGraphQL(schema, settings)
    if subgraph is Subgraph.CITY:
        graphql.authenticate = city_auth.authenticate

    readiness = health.Readiness(settings)
    origins = list(settings.cors_origins)
    lifespan = db.lifespan(
        settings.database_url, settings.db_pool_max, manage_database=manage_database
    )
    if settings.with_worker:
        lifespan = mail_service.with_worker(lifespan, settings)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *graphiql.routes(settings),
            *mail_pages.routes(settings),
            # The city subgraph's database role may not read what residents wrote.
            *(export.routes if subgraph is not Subgraph.CITY else []),
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
                allow_origin_regex=None
                if settings.production or origins
                else r"https?://(localhost|127\.0\.0\.1)(:\d+)?",
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            ),
        ],
        lifespan=runtime.lifespan(lifespan, readiness, tracing),
    )


def app_from_env(subgraph: Subgraph | None = None) -> Starlette:
    """Factory for uvicorn (`server.app:app_from_env`, with --factory): a server process,
    whose logs are JSON lines on stdout."""
    logs.configure()
    return create_app(subgraph=subgraph)
