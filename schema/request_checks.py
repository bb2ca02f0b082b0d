"""The front of every operation, before any resolver runs: parse, choose the operation,
refuse what is too deep, too aliased or too costly, and validate. Each step's refusal is a
request error with its code (schema/errors.py), and nothing executes.

Parsing and validation are cached (a feed page's document is the same on every request);
the measures of schema/limits.py depend on the variables, and are kept per the values of the
few that size a page or a list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    StringValueNode,
    parse,
    validate,
)
from graphql.validation import ASTValidationRule, ValidationRule
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.schema.schema import MaybeNullValidationRule, OneOfInputValidationRule

from permissions.text import tr
from schema.errors import (
    BAD_USER_INPUT,
    OPERATION_RESOLUTION_FAILURE,
    PARSE_FAILED,
    QUERY_TOO_COMPLEX,
    VALIDATION_FAILED,
    set_code,
)
from schema.identity_cache import IdentityCache
from schema.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, measure

MAX_TOKENS: Final = 4000
CACHE_SIZE: Final = 256


class NoNulCharacterRule(ValidationRule):
    """PostgreSQL text cannot hold U+0000, and no field of ours needs it."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(
                GraphQLError(
                    tr("Le caractère nul (U+0000) est refusé dans un texte."),
                    node,
                    extensions={"code": BAD_USER_INPUT},
                )
            )


@functools.lru_cache(maxsize=CACHE_SIZE)
def _parse(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


def _validated(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    errors = validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule, NoNulCharacterRule),
        # No "Did you mean" for unknown fields, arguments, types, enum values or input
        # fields: suggestions would read the schema out to whoever may not introspect it.
        hide_suggestions=True,
    )
    for error in errors:
        if "code" not in (error.extensions or {}):
            set_code(error, VALIDATION_FAILED)
    return errors


# By the document's identity: its hash would walk the whole tree (schema/identity_cache.py).
VALIDATED: Final[IdentityCache[list[GraphQLError]]] = IdentityCache(CACHE_SIZE)


def validation_errors(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The document's validation errors under `rules` and ours (cached), each with its code."""
    return VALIDATED.get((schema, document), rules, lambda: _validated(schema, document, rules))


def parse_document(query: str) -> DocumentNode:
    """The document, or a GRAPHQL_PARSE_FAILED error (too many tokens included)."""
    try:
        return _parse(query)
    except GraphQLError as error:
        set_code(error, PARSE_FAILED)
        raise
    except RecursionError:
        raise GraphQLError(
            tr("Document trop imbriqué."), extensions={"code": PARSE_FAILED}
        ) from None


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        # The spec: several operations and no name is an error, not the first one.
        return operations[0] if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    return None


# The operation each document and name choose (None: none), looked up once per document.
OPERATIONS: Final[IdentityCache[OperationDefinitionNode | None]] = IdentityCache(CACHE_SIZE)


def chosen_operation(
    document: DocumentNode, name: str | None
) -> OperationDefinitionNode | GraphQLError:
    operation = OPERATIONS.get((document,), name, lambda: _operation(document, name))
    if operation is not None:
        return operation
    # A new error each time: a response's errors are its own (codes, masking, language).
    if name is None:
        return GraphQLError(
            "Must provide operation name if query contains multiple operations.",
            extensions={"code": OPERATION_RESOLUTION_FAILURE},
        )
    return GraphQLError(
        f"Unknown operation named '{name}'.", extensions={"code": OPERATION_RESOLUTION_FAILURE}
    )


# U+0000, which PostgreSQL text cannot hold, and halves of UTF-16 surrogate pairs, which
# JSON lets through (`"\ud800"`) and no database can encode.
UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def _unstorable_path(value: Any, path: str) -> str | None:
    """The path of the first string in a variable's value that no database could store."""
    stack = [(value, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, str):
            if UNSTORABLE.search(current):
                return where
        elif isinstance(current, Mapping):
            stack += [(v, f"{where}.{k}") for k, v in current.items()]
            if any(UNSTORABLE.search(str(k)) for k in current):
                return where
        elif isinstance(current, list):
            stack += [(v, f"{where}[{i}]") for i, v in enumerate(current)]
    return None


def variable_errors(variables: Mapping[str, Any] | None) -> list[GraphQLError]:
    errors = []
    for name, value in (variables or {}).items():
        # Most values are a plain string or number: checked here, without the walk.
        if isinstance(value, str) and UNSTORABLE.search(value) is None:
            continue
        if value is None or isinstance(value, (int, float)):
            continue
        where = _unstorable_path(value, f"${name}")
        if where is not None:
            errors.append(
                GraphQLError(
                    tr(
                        "Variable '${name}' : caractère refusé (U+0000 ou demi-paire UTF-16) "
                        "dans {where}.",
                        name=name,
                        where=where,
                    ),
                    extensions={"code": BAD_USER_INPUT},
                )
            )
    return errors


def limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
) -> list[GraphQLError]:
    measured = measure(schema, document, operation, variables)
    name = operation.name.value if operation.name else "anonymous"
    errors = []
    if measured.depth > MAX_DEPTH:
        errors.append(
            GraphQLError(
                f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}",
                operation,
                extensions={"code": VALIDATION_FAILED},
            )
        )
    if measured.aliases > MAX_ALIASES:
        errors.append(
            GraphQLError(
                f"{measured.aliases} aliases found. Allowed: {MAX_ALIASES}",
                extensions={"code": VALIDATION_FAILED},
            )
        )
    if measured.cost > MAX_COST:
        errors.append(
            GraphQLError(
                tr(
                    "'{name}' coûterait {cost} (limite : {limit}) : demandez moins "
                    "d'éléments (`first`) ou moins de niveaux.",
                    name=name,
                    cost=measured.cost,
                    limit=MAX_COST,
                ),
                operation,
                extensions={"code": QUERY_TOO_COMPLEX, "cost": measured.cost, "limit": MAX_COST},
            )
        )
    return errors


def _trusted(request: Any) -> Any:
    """The trusted document the request runs, checked once under the strictest rules (so
    valid under any caller's), or None for a text to check now."""
    return getattr(request, "trusted", None)


class RequestChecks(SchemaExtension):
    """Parses (cached), chooses the operation, measures it, validates it (cached). A trusted
    document is neither parsed nor validated again: its variables are checked and it is
    measured, as every request is.

    The hooks are plain functions, which Strawberry runs as a generator that calls them and
    yields: they have nothing to do after the stage, and our runner calls them without a
    context manager (schema/extension_runner.py)."""

    def on_parse(self) -> None:  # type: ignore[override]
        context = self.execution_context
        trusted = _trusted(context.context)
        if trusted is not None:
            # Parsed and validated once, when the process first met it (server/trusted/).
            context.graphql_document = trusted.document
        elif context.graphql_document is None and context.query:
            context.graphql_document = parse_document(context.query)

    def on_validate(self) -> None:  # type: ignore[override]
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        schema = context.schema._schema
        # Strawberry would take the first operation when none is named.
        name = getattr(context, "_provided_operation_name", None)
        operation = chosen_operation(document, name)
        if isinstance(operation, GraphQLError):
            errors = [operation]
        else:
            request = context.context
            if request is not None and hasattr(request, "operation_type"):
                request.operation_type = operation.operation.value
            errors = variable_errors(context.variables) or limit_errors(
                schema, document, operation, context.variables
            )
        if not errors and _trusted(context.context) is None:
            errors = validation_errors(schema, document, tuple(context.validation_rules))
        context.pre_execution_errors = errors
