"""The schema objects: the monolith, the two subgraphs cut from it (schema/subgraphs.py), their
root types, and the extensions every request goes through: masking (schema/errors.py),
production's gates (schema/gates.py), and the checks before execution
(schema/request_checks.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

import strawberry
from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    execute,
    experimental_execute_incrementally,
)
from graphql.execution import MiddlewareManager
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.federation import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from permissions.extensions import stated
from schema.account_mail import AccountMailMutation
from schema.accounts import Account, AccountMutation, AccountQuery
from schema.attendance import AttendanceMutation
from schema.base import RequestInfo
from schema.city import (
    Announcement,
    CityMutation,
    CityQuery,
    Consultation,
    ConsultationOption,
    Notification,
)
from schema.community import CommunityMutation, CommunityQuery, Post
from schema.errors import SERVICE_UNAVAILABLE, MaskUnexpectedErrors, classify, is_unexpected
from schema.extension_runner import ExtensionsRunner
from schema.gates import ProductionGates
from schema.geography import City, GeographyQuery, Neighbourhood, Street, Topic
from schema.insights import InsightsQuery
from schema.live import CitySubscription, CommunitySubscription
from schema.messaging import MessagingMutation, MessagingQuery
from schema.moderation import ModerationMutation, ModerationQuery
from schema.nodes import NodeQuery
from schema.prepared import PreparedExecutor
from schema.request_checks import RequestChecks
from schema.scalars import SCALAR_OVERRIDES
from schema.search import NeighbourhoodSearch  # noqa: F401  (it contributes `Neighbourhood.search`)
from schema.subgraphs import FieldCut, Subgraph, entities_field

logger = logging.getLogger("quartier.errors")

FEDERATION_VERSION: Final = "2.9"

# The city's types that `node(id:)`, served by the community subgraph, may answer: the
# community holds their ids only, and the gateway fetches the rest from the city by key.
CITY_NODES = (Announcement, City, Consultation, ConsultationOption)
# What a gateway may fetch by key from each schema (`_entities`).
COMMUNITY_ENTITIES = (Account, Neighbourhood, Notification, Post, Street, Topic, *CITY_NODES)
CITY_ENTITIES = (Account, Neighbourhood, Notification, Street, Topic, *CITY_NODES)


@strawberry.type
class Query(
    NodeQuery,
    AccountQuery,
    GeographyQuery,
    CommunityQuery,
    MessagingQuery,
    CityQuery,
    InsightsQuery,
    ModerationQuery,
):
    entities = entities_field(COMMUNITY_ENTITIES)


@strawberry.type
class Mutation(
    AccountMutation,
    AccountMailMutation,
    CommunityMutation,
    AttendanceMutation,
    MessagingMutation,
    ModerationMutation,
    CityMutation,
):
    pass


@strawberry.type
class Subscription(CommunitySubscription, CitySubscription):
    pass


@strawberry.type(name="Query")
class CommunitySubgraphQuery(
    NodeQuery, AccountQuery, GeographyQuery, CommunityQuery, MessagingQuery, ModerationQuery
):
    entities = entities_field(COMMUNITY_ENTITIES)


@strawberry.type(name="Mutation")
class CommunitySubgraphMutation(
    AccountMutation,
    AccountMailMutation,
    CommunityMutation,
    AttendanceMutation,
    MessagingMutation,
    ModerationMutation,
):
    pass


# Posts, comments and messages are the community's; notifications are the city's type (the
# community adds only a moderation decision's `reason`, which the gateway fetches per event).
@strawberry.type(name="Subscription")
class CommunitySubgraphSubscription(CommunitySubscription):
    pass


@strawberry.type(name="Query")
class CitySubgraphQuery(GeographyQuery, CityQuery, InsightsQuery):
    entities = entities_field(CITY_ENTITIES)


@strawberry.type(name="Mutation")
class CitySubgraphMutation(CityMutation):
    pass


@strawberry.type(name="Subscription")
class CitySubgraphSubscription(CitySubscription):
    pass


ROOTS: Final[dict[Subgraph | None, tuple[type, type, type]]] = {
    None: (Query, Mutation, Subscription),
    Subgraph.COMMUNITY: (
        CommunitySubgraphQuery,
        CommunitySubgraphMutation,
        CommunitySubgraphSubscription,
    ),
    Subgraph.CITY: (CitySubgraphQuery, CitySubgraphMutation, CitySubgraphSubscription),
}


def state_permissions(schema: GraphQLSchema) -> None:
    """Appends to each guarded field's description who may use or read it, stated by its
    permission classes (permissions/extensions.py): the SDL, introspection and the
    federation `_service.sdl` all print these descriptions."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            sentence = stated(definition.extensions) if definition is not None else None
            if sentence:
                field.description = f"{field.description or ''} {sentence}".strip()


# Whether any of these extension classes implements `resolve` (resolver middleware).
_RESOLVING: Final[dict[tuple[type[SchemaExtension], ...], bool]] = {}
NO_MIDDLEWARE: Final = MiddlewareManager()


class QuartierSchema(Schema):
    """Logs only what went wrong on our side: a refused token, a client's mistake or a
    userError-like coded error is the API working, not an incident, and a traceback for
    each would bury the real ones. A database out of reach gets one line, no traceback.
    Each guarded field's description states its permission classes. Extensions' hooks are
    found once per class (schema/extension_runner.py)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        state_permissions(self._schema)
        self.defines_incremental_directives = any(
            self._schema.get_directive(name) is not None for name in ("defer", "stream")
        )

    def _get_middleware_manager(self, extensions: list[SchemaExtension]) -> MiddlewareManager:
        # Strawberry makes a manager per request of the request's extensions that implement
        # `resolve`; where none does (tracing off), the manager holds nothing, caches nothing
        # (graphql-core hands each resolver back as it is), and one serves every request.
        classes: tuple[type[SchemaExtension], ...] = tuple(map(type, extensions))
        resolving = _RESOLVING.get(classes)
        if resolving is None:
            resolving = _RESOLVING[classes] = any(c._implements_resolve() for c in classes)
        return super()._get_middleware_manager(extensions) if resolving else NO_MIDDLEWARE

    def _get_execute_function(self) -> Callable[..., Any]:
        # graphql-core's `execute` is `experimental_execute_incrementally` behind a guard that
        # looks for @defer and @stream among the schema's directives on every request, to
        # refuse the incremental results it cannot return. This schema defines neither, so
        # validation refuses them in any document and no operation can defer or stream.
        function = super()._get_execute_function()
        if function is execute and not self.defines_incremental_directives:
            return experimental_execute_incrementally
        return function

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Every error passes here first: its code is given here (schema/errors.py).
        for error in errors:
            if classify(error) == SERVICE_UNAVAILABLE:
                logger.warning("database unavailable: %r", error.original_error)
        super().process_errors([e for e in errors if is_unexpected(e)], execution_context)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # Each extension class's hooks looked up once, not on every request.
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # Handed to graphql-core's execute: no "Did you mean" in variable coercion errors.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        return {**kwargs, "hide_suggestions": True}


class SubgraphSchema(QuartierSchema):
    """One subgraph: the fields schema/subgraphs.py gives it, and no others."""

    def __init__(self, subgraph: Subgraph, **kwargs: Any) -> None:
        # Set first: building the schema asks for the fields.
        self.subgraph = subgraph
        self.cut = FieldCut(subgraph)
        super().__init__(**kwargs)

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        return self.cut.fields(type_definition, super().get_fields(type_definition))

    @property
    def schema_directives_in_use(self) -> list[object]:
        return [*super().schema_directives_in_use, *self.cut.applied]


def build_schema(
    *,
    production: bool,
    subgraph: Subgraph | str | None = None,
    observers: Sequence[Any] = (),
) -> Schema:
    """The monolith (both sides at one endpoint), or one subgraph of the federated API.
    `observers` (the server's logging, metrics and tracing extensions) run outermost, so
    they see what the client gets."""
    chosen = Subgraph(subgraph) if subgraph is not None else None
    extensions: list = [*observers, MaskUnexpectedErrors]
    if production:
        extensions.append(lambda: ProductionGates(subgraph=chosen is not None))
    # Last: the rules the gates add are in place when it validates.
    extensions.append(RequestChecks)
    query, mutation, subscription = ROOTS[chosen]
    options: dict[str, Any] = {
        "query": query,
        "mutation": mutation,
        "subscription": subscription,
        # Queries from their plans (schema/compiled/), the rest as graphql-core runs them;
        # built from what the document and plain variables decided before (schema/prepared.py).
        "execution_context_class": PreparedExecutor,
        "extensions": extensions,
        "config": StrawberryConfig(disable_field_suggestions=True, info_class=RequestInfo),
        "scalar_overrides": SCALAR_OVERRIDES,
        "federation_version": FEDERATION_VERSION,
    }
    if chosen is None:
        return QuartierSchema(**options)
    if chosen is Subgraph.COMMUNITY:
        options["types"] = CITY_NODES
    return SubgraphSchema(chosen, **options)
