"""The Strawberry extension that tells the request's record which operation ran and which
error codes it answered with. It runs outermost, so it sees errors as the client does,
after masking."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from server.observability.record import CURRENT, OPERATION_NAME, user_error_codes

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def error_code(error: GraphQLError) -> str:
    """`extensions.code` when the error has one; graphql-core's own errors (syntax, validation,
    variable coercion) have none and are named as Apollo Server names them."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str) and code:
        return code
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    return VALIDATION_FAILED


def operation_name(context: ExecutionContext) -> str | None:
    try:
        name = context.operation_name
    except Exception:  # a document that does not parse has no operation to name
        return None
    return name if name is not None and OPERATION_NAME.match(name) else None


def operation_type(context: ExecutionContext) -> str | None:
    # The type of the operation RequestChecks chose, once it chose one (schema/request_checks.py
    # sets it on the request's context): the operation Strawberry's `operation_type` would
    # find again by walking the document. Before that, or for a document it refused, ask
    # Strawberry (which takes the first operation where no name is given).
    known = getattr(context.context, "operation_type", None)
    if known is not None:
        return known
    try:
        return context.operation_type.value
    except Exception:  # no document, or no operation of that name in it
        return None


class OperationRecorder(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # Raised by an inner extension (the token limit parses the document itself):
            # Strawberry answers it as the only error, after this hook.
            self.record([error], None)
            raise
        result = self.execution_context.result
        if result is not None:
            self.record(result.errors or [], result.data)
        else:
            self.record(self.execution_context.pre_execution_errors or [], None)

    def record(self, errors: list[GraphQLError], data: object) -> None:
        record = CURRENT.get()
        if record is None:
            return
        context = self.execution_context
        record.graphql = True
        record.operation = operation_name(context)
        record.operation_type = operation_type(context)
        record.error_codes = [error_code(e) for e in errors]
        record.user_error_codes = user_error_codes(data)
