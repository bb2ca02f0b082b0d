"""A trusted document: its id, its text, and what checking it once produced (the parsed
document and its operations), which requests that name it reuse instead of parsing and
validating the text again."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    specified_rules,
)

from schema.gates import GatewayOnlyEntitiesRule, NoFederationSdlRule
from schema.limits import MAX_COST
from schema.request_checks import limit_errors, parse_document, validation_errors

PREFIX: Final = "sha256:"
HEX: Final = re.compile(r"[0-9a-f]{64}")
# The rules of the most restricted caller (production's gates for an anonymous client): a
# document valid under them is valid for every caller, so no request need validate it again.
STRICTEST_RULES: Final = (
    *specified_rules,
    NoSchemaIntrospectionCustomRule,
    NoFederationSdlRule,
    GatewayOnlyEntitiesRule,
)


def document_id(text: str) -> str:
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_document_id(value: str) -> bool:
    return value.startswith(PREFIX) and HEX.fullmatch(value.removeprefix(PREFIX)) is not None


class Refused(ValueError):
    """A text that cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Trusted:
    id: str
    text: str
    document: DocumentNode
    operations: tuple[OperationDefinitionNode, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(o.name.value if o.name else "" for o in self.operations)


def checked(schema: GraphQLSchema, text: str) -> Trusted:
    """The text, parsed, validated for the most restricted caller and measured with its
    variables' defaults; Refused with the first reason otherwise."""
    try:
        document = parse_document(text)
    except GraphQLError as error:
        raise Refused(f"does not parse: {error.message}") from None
    operations = tuple(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    if not operations:
        raise Refused("holds no operation")
    errors = validation_errors(schema, document, STRICTEST_RULES)
    if errors:
        raise Refused(f"does not validate: {errors[0].message}")
    for operation in operations:
        over = limit_errors(schema, document, operation, None)
        if over:
            raise Refused(f"over the limits (cost limit {MAX_COST}): {over[0].message}")
    return Trusted(document_id(text), text, document, operations)
