"""graphql-core's `Executor.build`, with what a document and a request's plain variables
decide kept from one request to the next.

For every request `Executor.build` finds the operation among the document's definitions,
tables its fragments (with each fragment variable's signature), and coerces the variables,
resolving each one's type from the AST again (`get_variable_signature`) before checking
and coercing its value: about 1,700 bytecodes of a feed request. The first two depend on
the document and the operation's name only. The coerced values depend only on the values
given when every variable of the operation (a query) is of a specified scalar type (String, Int,
Boolean, ID; Float's -0.0 equals 0.0 but coerces apart) or an enum (whose coercion gives
the same member for the same name), and every value given is a JSON string, integer,
boolean or null (told apart by type, as `True == 1`): a feed's requests repeat them (the
neighbourhood, the page size). Large values (a long text) are not kept (LARGEST_KEPT).

Both are taken from an executor that graphql-core built: a request whose document and
operation name are kept builds its executor from them, with its values coerced by
graphql-core (`get_variable_values`, as `build` does) unless those values were kept too;
any other request, and every one that graphql-core answers with errors, goes through
graphql-core's `build`. Errors are new objects on every request, as the code that gives
errors their codes and masks them expects. The executors of one document and
values share the fragments' tables and the coerced values, which execution only reads.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, Final

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    assert_valid_schema,
    type_from_ast,
)
from graphql.execution import MiddlewareManager
from graphql.execution.executor import (
    FragmentDetails,
    default_field_resolver,
    default_type_resolver,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.language import FragmentDefinitionNode
from graphql.type import GraphQLBoolean, GraphQLID, GraphQLInt, GraphQLString

from schema.compiled.executor import CompiledExecutor
from schema.identity_cache import IdentityCache

if TYPE_CHECKING:
    from typing import TypeGuard

    from graphql.execution import Executor

# The scalars whose coercion gives the same value for the same (type, value) given.
SCALARS: Final = frozenset((GraphQLString, GraphQLInt, GraphQLBoolean, GraphQLID))
PLAIN: Final = frozenset((str, int, bool, type(None)))
# Kept values are keys of a bounded cache: none that takes more bytes than this is kept (an
# id, a cursor, a slug take far fewer; a search's words may not, and are coerced anew).
LARGEST_KEPT: Final = 256


class Known:
    """What an operation of a document, chosen by name, lets build keep."""

    __slots__ = ("fragment_definitions", "fragments", "keeps_values", "operation")

    def __init__(self, schema: GraphQLSchema, executor: Executor) -> None:
        self.operation: OperationDefinitionNode = executor.operation
        self.fragment_definitions: dict[str, FragmentDefinitionNode] = executor.fragment_definitions
        self.fragments: dict[str, FragmentDetails] = executor.fragments
        # Queries only: a mutation's values are seldom sent twice, and may be long texts.
        self.keeps_values = self.operation.operation is OperationType.QUERY and all(
            _plain_input(type_from_ast(schema, d.type))
            for d in self.operation.variable_definitions or ()
        )


def _plain_input(type_: Any) -> bool:
    """Whether a variable of this type coerces the same value given to the same value."""
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return named in SCALARS or isinstance(named, GraphQLEnumType)


def _values_key(raw: dict[str, Any] | None) -> Hashable | None:
    """The variables given, as a key, or None when a value is not a plain scalar."""
    if not raw:
        return ()
    # In C, value by value (map): the feed's few variables cost no loop of ours.
    kinds = tuple(map(type, raw.values()))
    if not PLAIN.issuperset(kinds) or max(map(sys.getsizeof, raw.values())) > LARGEST_KEPT:
        return None
    return tuple(raw.items()), kinds


# By (schema, document) and the operation's name; by (schema, operation) and the values.
DOCUMENTS: Final[IdentityCache[Known]] = IdentityCache(256)
VALUES: Final[IdentityCache[VariableValues]] = IdentityCache(1024)


class PreparedExecutor(CompiledExecutor):
    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: Any = None,
        type_resolver: Any = None,
        subscribe_field_resolver: Any = None,
        max_coercion_errors: int = 50,
        enable_early_execution: bool = False,
        middleware: Any = None,
        is_awaitable: Callable[[Any], TypeGuard[Awaitable[Any]]] | None = None,
        is_async_iterable: Any = None,
        hide_suggestions: bool = False,
        abort_signal: Any = None,
        hooks: Any = None,
        **custom_args: Any,
    ) -> list[GraphQLError] | Executor:
        known = DOCUMENTS.find((schema, document), operation_name)
        # graphql-core accepts a list of middleware too; Strawberry gives a manager or none.
        if known is None or not (middleware is None or isinstance(middleware, MiddlewareManager)):
            executor = super().build(
                schema,
                document,
                root_value,
                context_value,
                raw_variable_values,
                operation_name,
                field_resolver,
                type_resolver,
                subscribe_field_resolver,
                max_coercion_errors,
                enable_early_execution,
                middleware,
                is_awaitable,
                is_async_iterable,
                hide_suggestions=hide_suggestions,
                abort_signal=abort_signal,
                hooks=hooks,
                **custom_args,
            )
            if not isinstance(executor, list):
                cls._keep(schema, document, operation_name, raw_variable_values, executor)
            return executor
        # As graphql-core's build goes on once it has found the operation and tabled the
        # fragments (executor.py, Executor.build).
        assert_valid_schema(schema)
        key = _values_key(raw_variable_values) if known.keeps_values else None
        values = VALUES.find((schema, known.operation), key) if key is not None else None
        if values is None:
            coerced = get_variable_values(
                schema,
                known.operation.variable_definitions or (),
                raw_variable_values or {},
                max_errors=max_coercion_errors,
                hide_suggestions=hide_suggestions,
            )
            if isinstance(coerced, list):
                return coerced  # errors
            values = coerced
            if key is not None:
                VALUES.keep((schema, known.operation), key, values)
        return cls(
            schema,
            known.fragment_definitions,
            known.fragments,
            root_value,
            context_value,
            known.operation,
            values,
            field_resolver or default_field_resolver,
            type_resolver or default_type_resolver,
            subscribe_field_resolver or default_field_resolver,
            enable_early_execution,
            middleware,
            is_awaitable,
            is_async_iterable,
            hide_suggestions=hide_suggestions,
            abort_signal=abort_signal,
            hooks=hooks,
            **custom_args,
        )

    @staticmethod
    def _keep(
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        raw_variable_values: dict[str, Any] | None,
        executor: Executor,
    ) -> None:
        known = DOCUMENTS.get((schema, document), operation_name, lambda: Known(schema, executor))
        if not known.keeps_values:
            return
        key = _values_key(raw_variable_values)
        if key is not None:
            VALUES.keep((schema, known.operation), key, executor.variable_values)
