"""The schema objects: the monolith, the two subgraphs cut from it (schema/subgraphs.py), their
root types, and the hardening every request goes through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from graphql.language import FieldNode
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.federation import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from permissions.roles import is_staff
from permissions.text import tr
from schema.account_mail import AccountMailMutation
from schema.accounts import Account, AccountMutation, AccountQuery
from schema.city import (
    Announcement,
    CityMutation,
    CityQuery,
    Consultation,
    ConsultationOption,
    Notification,
)
from schema.community import CommunityMutation, CommunityQuery, Post
from schema.geography import City, GeographyQuery, Neighbourhood, Street, Topic
from schema.insights import InsightsQuery
from schema.messaging import MessagingMutation, MessagingQuery
from schema.moderation import ModerationMutation, ModerationQuery
from schema.nodes import NodeQuery
from schema.subgraphs import FieldCut, Subgraph, entities_field

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
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
    MessagingMutation,
    ModerationMutation,
    CityMutation,
):
    pass


@strawberry.type(name="Query")
class CommunitySubgraphQuery(
    NodeQuery, AccountQuery, GeographyQuery, CommunityQuery, MessagingQuery, ModerationQuery
):
    entities = entities_field(COMMUNITY_ENTITIES)


@strawberry.type(name="Mutation")
class CommunitySubgraphMutation(
    AccountMutation, AccountMailMutation, CommunityMutation, MessagingMutation, ModerationMutation
):
    pass


@strawberry.type(name="Query")
class CitySubgraphQuery(GeographyQuery, CityQuery, InsightsQuery):
    entities = entities_field(CITY_ENTITIES)


@strawberry.type(name="Mutation")
class CitySubgraphMutation(CityMutation):
    pass


ROOTS: Final[dict[Subgraph | None, tuple[type, type]]] = {
    None: (Query, Mutation),
    Subgraph.COMMUNITY: (CommunitySubgraphQuery, CommunitySubgraphMutation),
    Subgraph.CITY: (CitySubgraphQuery, CitySubgraphMutation),
}


class MaskUnexpectedErrors(MaskErrors):
    """Masks like Strawberry's, and still gives the masked error a code clients can test."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class NoFederationSdlRule(ValidationRule):
    """`_service { sdl }` prints the whole schema: introspection by another name. The gateway
    composes from the committed SDLs and never asks for it."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value == "_service":
            self.report_error(
                GraphQLError(
                    "GraphQL introspection has been disabled, but the requested query "
                    "contained the field '_service'.",
                    node,
                )
            )


class IntrospectionForStaffOnly(SchemaExtension):
    """Production: moderators and admins may introspect (their GraphiQL needs the schema);
    anyone else's `__schema`, `__type` or `_service` fails validation, as with Strawberry's
    DisableIntrospection. The ValidationCache keys on the rules too, so a document validated
    for staff is never taken as valid for others."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not is_staff(getattr(context, "viewer", None)):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
                NoFederationSdlRule,
            )
        yield


# QueryDepthLimiter and MaxAliasesLimiter make a new rule class per instance, and so per
# request, which left ValidationCache without a single hit (a feed request spent half its
# time re-validating its document). Their rules are built once here instead.
LIMIT_RULES = [
    QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules[0],
    MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules[0],
]


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors raised by our code unless they carry a code. Errors graphql-core made
    itself (syntax, validation, limits) have no original error and are safe to show."""
    if error.original_error is None:
        return False
    return not (error.extensions and "code" in error.extensions)


class QuartierSchema(Schema):
    """Logs only what went wrong on our side: a refused token or a userError-like coded
    error is the API working, not an incident, and a traceback for each would bury the
    real ones."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors([e for e in errors if is_unexpected(e)], execution_context)


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
    extensions: list = [
        *observers,
        # The same rule classes for every request: ValidationCache keys on them.
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskUnexpectedErrors(
            should_mask_error=is_unexpected, error_message=tr("Erreur inattendue.")
        ),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if production:
        extensions.append(IntrospectionForStaffOnly)
    chosen = Subgraph(subgraph) if subgraph is not None else None
    query, mutation = ROOTS[chosen]
    options: dict[str, Any] = {
        "query": query,
        "mutation": mutation,
        "extensions": extensions,
        "config": StrawberryConfig(disable_field_suggestions=True),
        "federation_version": FEDERATION_VERSION,
    }
    if chosen is None:
        return QuartierSchema(**options)
    if chosen is Subgraph.COMMUNITY:
        options["types"] = CITY_NODES
    return SubgraphSchema(chosen, **options)
