"""The GraphQL endpoint: Strawberry's ASGI view, with the request's context (the caller, its
address, the rate counter, the gateway's secret), GraphQL over HTTP's media types and
statuses (server/graphql_http.py), request bodies checked before they reach GraphQL, a
read retried once when the database connection dropped under it, and subscriptions over
graphql-transport-ws websockets (server/live/).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.federation import Schema
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from models.accounts import Language
from permissions.text import Text, tr
from resolvers.context import Context
from resolvers.loaders import Loaders
from resolvers.media import Media
from resolvers.rate_limits import RateCounter
from schema.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, cause_code, connection_lost
from server import graphiql, i18n
from server.auth import authenticate, bearer_token
from server.client_address import ClientAddresses
from server.graphql_http import JSON, error_response, negotiate, status_for
from server.live.runtime import LiveRuntime
from server.live.transport import DROPPED, LiveHandler, LiveWebSocketAdapter
from server.settings import Settings
from server.trusted.admission import Admission
from server.trusted.registry import TrustedDocuments

logger = logging.getLogger("quartier.errors")
GATEWAY_HEADER: Final = "x-quartier-gateway-secret"
# Deeper JSON than any variable of ours needs; graphql-core's coercion recurses on it.
MAX_JSON_DEPTH: Final = 64
LOCAL_ORIGIN: Final = re.compile(r"https?://(localhost|127\.0\.0\.1)(:\d+)?")
# What Strawberry's encode_json writes (json.dumps with these separators), made once.
COMPACT_JSON: Final = json.JSONEncoder(separators=(",", ":"))


def deeper_than(value: Any, levels: int) -> bool:
    """Whether `value` nests deeper than `levels` levels: a scalar is one level, an object or
    an array one more than its deepest item. It visits containers only, and no deeper than
    `levels` (so its recursion is bounded by it)."""
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return levels < 1
    if levels <= 1:
        # An empty container is one level deep; one with any item at least two.
        return levels < 1 or len(items) > 0
    # A loop, not any() over a generator: a request body's few items each cost a generator
    # step more than the check itself.
    for item in items:  # noqa: SIM110
        if isinstance(item, (dict, list)) and deeper_than(item, levels - 1):
            return True
    return False


# What each optional parameter of a request must be, and the refusal if it is not.
PARAMETERS: Final = {
    "query": (str, tr("`query` doit être une chaîne (ou null).")),
    "operationName": (str, tr("`operationName` doit être une chaîne (ou null).")),
    "variables": (dict, tr("`variables` doit être un objet (ou null).")),
    "extensions": (dict, tr("`extensions` doit être un objet (ou null).")),
    "documentId": (str, tr("`documentId` doit être une chaîne (ou null).")),
}


@dataclass
class RequestData(GraphQLRequestData):
    # A trusted document's id (GraphQL over HTTP's persisted documents), server/trusted/.
    document_id: str | None = None


def _parameter(data: dict[str, Any], key: str) -> Any:
    kind, refusal = PARAMETERS[key]
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise HTTPException(400, refusal)
    return value


@functools.lru_cache(maxsize=64)
def _media_type(content_type: str) -> str:
    # Strawberry parses the header with the standard library's e-mail parser: 15 µs.
    media_type, _ = parse_content_type(content_type)
    return media_type


def _is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution: graphql-core's and our request errors carry no path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def _connection_lost(result: ExecutionResult) -> bool:
    return any(
        e.original_error is not None and connection_lost(e.original_error)
        for e in result.errors or ()
    )


def _language(request: Request) -> Language:
    return getattr(request.state, "language", None) or i18n.language_of(
        None, request.headers.get("accept-language")
    )


class QuartierGraphQL(GraphQL):
    # The city subgraph loads the caller with fewer columns (server/city_auth.py).
    authenticate = staticmethod(authenticate)
    websocket_adapter_class = LiveWebSocketAdapter
    graphql_transport_ws_handler_class = LiveHandler  # type: ignore[assignment]

    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        rate_counter: RateCounter,
        media: Media | None = None,
        live: LiveRuntime | None = None,
    ) -> None:
        super().__init__(
            schema,
            # Our own page, not Strawberry's (see render_graphql_ide); gated in production.
            graphql_ide="graphiql",
            # Strawberry refuses mutations over GET; queries over GET stay cacheable.
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
            # graphql-ws's protocol only, not the abandoned subscriptions-transport-ws.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.rate_counter = rate_counter
        self.addresses = ClientAddresses(settings.trusted_proxies)
        self.media = media
        # Documents named by id instead of sent (server/trusted/), and who may send text.
        self.trusted = TrustedDocuments(schema._schema)
        self.admission = Admission(settings.trusted_documents, self.trusted)
        # Subscriptions' hub and the publisher of this process's writes.
        self.live = live or LiveRuntime(settings)
        # _answer leaves out Strawberry's streaming over HTTP (none may be configured) and
        # its root value (Strawberry's None).
        assert not self._stream_transport_map
        assert type(self).get_root_value is GraphQL.get_root_value

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        # As CORS: the listed origins, or in development without a list any local page.
        if super().is_websocket_origin_allowed(request, origin):
            return True
        unlisted = not self.settings.production and not self.settings.cors_origins
        return unlisted and LOCAL_ORIGIN.fullmatch(origin) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            try:
                await super().__call__(scope, receive, send)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                # A connection ended because its client stopped reading: not an error.
                if task is None or task not in DROPPED:
                    raise
                task.uncancel()
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._answer(request)
        except HTTPException as error:
            extra = {405: {"Allow": "GET, POST"}, 503: {"Retry-After": "1"}}
            message = i18n.translate(error.reason, _language(request))
            response = error_response(
                request.headers, error.status_code, message, extra.get(error.status_code)
            )
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        """Strawberry's `run` for an HTTP request, less what cannot happen here. Its batch and
        streaming branches: a batch is refused in parse_http_body, and no HTTP stream
        transport is configured (subscriptions are served over the websocket only), so
        `execute_operation` would call `execute_single` and nothing else. And its checks of
        the result against Strawberry's SubscriptionExecutionResult, a runtime Protocol whose
        isinstance reads attributes with `inspect.getattr_static` (about 15 µs a request),
        and against incremental results: `_execute` returns an ExecutionResult or raises,
        and the schema does not enable incremental delivery."""
        request_adapter = self.request_adapter_class(request)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        if not self.is_request_allowed(request_adapter):
            raise HTTPException(405, "GraphQL only supports GET and POST requests.")
        if self.should_render_graphql_ide(request_adapter):
            if self.graphql_ide:
                return await self.render_graphql_ide(request)
            raise HTTPException(404, "Not Found")
        try:
            request_data = await self.parse_http_body(request_adapter)
        except json.JSONDecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        except KeyError as error:
            raise HTTPException(400, "File(s) missing in form data") from error
        assert isinstance(request_data, GraphQLRequestData)
        result = await self.execute_single(
            request,
            request_adapter,
            sub_response,
            context,
            None,
            request_data,
        )
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that names a trusted document is a query, not a visit to the IDE. (A POST
        # is not: its query string is left unparsed.)
        if not super().should_render_graphql_ide(request):
            return False
        return not any(request.query_params.get(k) for k in ("documentId", "extensions"))

    async def render_graphql_ide(self, request: Request) -> Response:
        return await graphiql.ide_response(request, self.settings)

    # --- the context -------------------------------------------------------------------

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        viewer, token = await self._authenticate(request)
        language = i18n.language_of(
            viewer.language if viewer else None, request.headers.get("accept-language")
        )
        # process_result reads it back to translate the errors.
        request.state.language = language
        secret = self.settings.gateway_secret
        # Without a secret nothing comes from the gateway: its header is not looked for.
        sent = request.headers.get(GATEWAY_HEADER) if secret else None
        return Context(
            viewer=viewer,
            token=token,
            loaders=Loaders(viewer),
            settings=self.settings,
            request=request,
            response=response,
            language=language.value,
            translate=i18n.translator(language),
            client_address=self.addresses.of(request),
            rate_counter=self.rate_counter,
            from_gateway=bool(secret and sent and hmac.compare_digest(sent, secret)),
            media=self.media,
            publisher=self.live.publisher,
        )

    async def _authenticate(self, request: Any) -> tuple[Any, Any]:
        """The token's account; read again once if the connection dropped under it."""
        raw = bearer_token(request)
        for attempt in (1, 2):
            try:
                return await self.authenticate(raw)
            except Exception as error:
                code = cause_code(error)
                if code != SERVICE_UNAVAILABLE:
                    raise
                logger.warning("database unavailable while authenticating: %r", error)
                if attempt == 2 or not connection_lost(error):
                    raise HTTPException(503, UNAVAILABLE_MESSAGE) from error
        raise AssertionError("unreachable")

    # --- the request body --------------------------------------------------------------

    def encode_json(self, data: object) -> str:
        # Strawberry's json.dumps(data, separators=(",", ":")) makes an encoder per call.
        return COMPACT_JSON.encode(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(
                400, tr("Le corps de la requête n'est pas de l'UTF-8 valide.")
            ) from None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise HTTPException(
                400, tr("Le corps de la requête n'est pas du JSON valide.")
            ) from None
        except RecursionError:
            value, too_deep = None, True
        else:
            too_deep = deeper_than(value, MAX_JSON_DEPTH)
        if too_deep:
            raise HTTPException(
                400, tr("JSON trop imbriqué ({depth} niveaux au plus).", depth=MAX_JSON_DEPTH)
            )
        return value

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method != "POST":
            data = await super().parse_http_body(request)
            assert isinstance(data, GraphQLRequestData)
            named = request.query_params.get("documentId")
            return RequestData(**vars(data), document_id=named or None)
        if _media_type(request.content_type or "") != JSON:
            raise HTTPException(415, tr("Envoyez la requête en application/json."))
        data = self.parse_json(await request.get_body())
        if isinstance(data, list):
            raise HTTPException(
                400, tr("Une requête à la fois : le regroupement n'est pas accepté.")
            )
        if not isinstance(data, dict):
            raise HTTPException(400, tr("Le corps de la requête doit être un objet JSON."))
        # No HTTP stream transport is configured (see _answer): the protocol is plain HTTP.
        return RequestData(
            query=_parameter(data, "query"),
            variables=_parameter(data, "variables"),
            operation_name=_parameter(data, "operationName"),
            extensions=_parameter(data, "extensions"),
            protocol="http",
            document_id=_parameter(data, "documentId"),
        )

    # --- execution ---------------------------------------------------------------------

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,  # type: ignore[override]
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        result = await self._execute(request_adapter, context, root_value, request_data)
        if context.operation_type == "query" and _connection_lost(result):
            # A read has no effect: once more, on a fresh connection and fresh loaders.
            fresh = await self.get_context(request, sub_response)
            result = await self._execute(request_adapter, fresh, root_value, request_data)
        return result

    async def _execute(
        self,
        request_adapter: AsyncHTTPRequestAdapter,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Over plain HTTP a subscription would run as a query and fail inside: subscriptions
        # are served over the websocket only.
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            context.trusted = await self.admission.admit(
                request_data.query,
                getattr(request_data, "document_id", None),
                request_data.extensions,
                context.viewer,
                from_gateway=context.from_gateway,
            )
        except GraphQLError as refusal:
            return ExecutionResult(data=None, errors=[refusal])
        query = context.trusted.text if context.trusted else request_data.query
        try:
            return await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            reason = error.as_http_error_reason(request_adapter.method)
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, reason) from error
            # The spec: a mutation over GET is 405 Method Not Allowed.
            raise HTTPException(405, reason) from error
        except MissingQueryError as error:
            raise HTTPException(
                400, tr("La requête ne contient pas de document GraphQL.")
            ) from error

    # --- the response ------------------------------------------------------------------

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        # Strawberry's: no status (the answer decides it unless a resolver sets one) and no
        # header of its own (the answer sets its length); its headers are the resolvers'.
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]
        sub_response.raw_headers = []
        sub_response.media_type = negotiate(request.headers.get("accept"))
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Errors in the reader's language; no `data` when refused before execution."""
        language = _language(request)
        body = process_result(result)
        # Translated in the answer, not in the errors: validation errors are cached and
        # shared by every request.
        for error, formatted in zip(result.errors or (), body.get("errors") or (), strict=True):
            original = getattr(error.original_error, "message", None)
            text = original if isinstance(original, Text) else error.message
            formatted["message"] = i18n.translate(text, language)  # type: ignore[index]
        if _is_request_error(result):
            # The GraphQL spec: an error raised before execution began leaves no `data`.
            body.pop("data", None)
        return body

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        # Strawberry's, with the negotiated media type and its status set as the response is
        # made rather than replaced after: the same headers, in the same order.
        media_type = sub_response.media_type or JSON
        status = sub_response.status_code
        if not status:
            status = (
                status_for(media_type, response_data) if isinstance(response_data, dict) else 200
            )
        response = Response(self.encode_json(response_data), status, media_type=media_type)
        response.raw_headers.extend(sub_response.raw_headers)
        if sub_response.background:
            response.background = sub_response.background
        return response
