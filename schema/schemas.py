"""The schema objects: the root types and the hardening every request goes through."""

from __future__ import annotations

from typing import Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.federation import Schema
from strawberry.schema.config import StrawberryConfig

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


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors raised by our code unless they carry a code. Errors graphql-core made
    itself (syntax, validation, limits) have no original error and are safe to show."""
    if error.original_error is None:
        return False
    return not (error.extensions and "code" in error.extensions)


def build_schema(*, production: bool) -> Schema:
    extensions: list = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskUnexpectedErrors(
            should_mask_error=is_unexpected, error_message="Erreur inattendue."
        ),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
        federation_version=FEDERATION_VERSION,
    )
