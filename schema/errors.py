"""Every error a response carries gets a code (`extensions.code`), and only ours stay masked.

The client's mistakes say what went wrong: GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
BAD_USER_INPUT (variables, values the database refuses), OPERATION_RESOLUTION_FAILURE,
QUERY_TOO_COMPLEX. A database that is out of reach is SERVICE_UNAVAILABLE: retryable, and
nobody's fault the client can fix. What is left was raised by our code without a code: it
is masked as INTERNAL_SERVER_ERROR, and it alone is logged with its traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Final

import asyncpg
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors
from tortoise.exceptions import DBConnectionError

from permissions.text import tr

PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
OPERATION_RESOLUTION_FAILURE: Final = "OPERATION_RESOLUTION_FAILURE"
QUERY_TOO_COMPLEX: Final = "QUERY_TOO_COMPLEX"
SERVICE_UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR: Final = "INTERNAL_SERVER_ERROR"

UNAVAILABLE_MESSAGE: Final = tr("Service momentanément indisponible : réessayez dans un instant.")
REFUSED_VALUE_MESSAGE: Final = tr("Une valeur envoyée est refusée (hors limites ou mal formée).")

# The connection to the database went away: the same request on a new one may succeed.
_LOST: Final = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    DBConnectionError,
    ConnectionError,
)
# The database cannot take more just now (too many connections, a timeout).
_BUSY: Final = (asyncpg.exceptions.InsufficientResourcesError, TimeoutError)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def connection_lost(error: BaseException) -> bool:
    """Whether the database connection dropped under `error` (retrying a read may help)."""
    return any(
        isinstance(cause, _LOST)
        or (isinstance(cause, asyncpg.InterfaceError) and "closed" in str(cause))
        for cause in _causes(error)
    )


def cause_code(original: BaseException) -> str | None:
    if connection_lost(original):
        return SERVICE_UNAVAILABLE
    for cause in _causes(original):
        if isinstance(cause, _BUSY):
            return SERVICE_UNAVAILABLE
        # SQLite: another process held the write lock longer than the busy timeout.
        if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
            return SERVICE_UNAVAILABLE
        # PostgreSQL refused a value (class 22: NUL in text, out of range...), or no
        # database could encode it.
        if isinstance(cause, (asyncpg.DataError, UnicodeEncodeError)):
            return BAD_USER_INPUT
    return None


def code_of(error: GraphQLError) -> str | None:
    return (error.extensions or {}).get("code")


def set_code(error: GraphQLError, code: str) -> None:
    error.extensions = {**(error.extensions or {}), "code": code}


def classify(error: GraphQLError) -> str | None:
    """Gives `error` its code when it has none and one applies; None: ours, unexpected."""
    code = code_of(error)
    if code is not None:
        return code
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError):
        code = PARSE_FAILED
    elif error.path is None and (original is None or error.nodes):
        # Made by graphql-core before any resolver ran (our validation errors are coded
        # already): the variables do not fit their types, or no operation can be chosen.
        code = BAD_USER_INPUT
    elif original is not None:
        code = cause_code(original)
        if code == SERVICE_UNAVAILABLE:
            error.message = UNAVAILABLE_MESSAGE
        elif code == BAD_USER_INPUT:
            error.message = REFUSED_VALUE_MESSAGE
    if code is not None:
        set_code(error, code)
    return code


def is_unexpected(error: GraphQLError) -> bool:
    return classify(error) is None


class MaskUnexpectedErrors(MaskErrors):
    """Masks like Strawberry's, and still gives the masked error a code clients can test."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=tr("Erreur inattendue."))

    def _process_result(self, result: object) -> None:
        # Strawberry's isinstance check against a runtime Protocol costs 15 µs a request.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_SERVER_ERROR}
        return masked
