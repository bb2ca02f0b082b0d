"""The schema objects: the root types and the hardening every request goes through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
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

from permissions.roles import is_staff
from schema.accounts import AccountMutation, AccountQuery
from schema.city import CityMutation, CityQuery
from schema.community import CommunityMutation, CommunityQuery
from schema.geography import GeographyQuery
from schema.insights import InsightsQuery
from schema.messaging import MessagingMutation, MessagingQuery
from schema.moderation import ModerationMutation, ModerationQuery

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
FEDERATION_VERSION: Final = "2.9"


@strawberry.type
class Query(
    AccountQuery,
    GeographyQuery,
    CommunityQuery,
    MessagingQuery,
    CityQuery,
    InsightsQuery,
    ModerationQuery,
):
    pass


@strawberry.type
class Mutation(
    AccountMutation, CommunityMutation, MessagingMutation, ModerationMutation, CityMutation
):
    pass


class MaskUnexpectedErrors(MaskErrors):
    """Masks like Strawberry's, and still gives the masked error a code clients can test."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class IntrospectionForStaffOnly(SchemaExtension):
    """Production: moderators and admins may introspect (their GraphiQL needs the schema);
    anyone else's `__schema` or `__type` fails validation, as with Strawberry's
    DisableIntrospection. The ValidationCache keys on the rules too, so a document validated
    for staff is never taken as valid for others."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not is_staff(getattr(context, "viewer", None)):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
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


def build_schema(*, production: bool) -> Schema:
    extensions: list = [
        # The same rule classes for every request: ValidationCache keys on them.
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskUnexpectedErrors(
            should_mask_error=is_unexpected, error_message="Erreur inattendue."
        ),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if production:
        extensions.append(IntrospectionForStaffOnly)
    return QuartierSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
        federation_version=FEDERATION_VERSION,
    )
