"""Errors of the plain HTTP endpoints beside /graphql (photos, calendar files, the export),
written as GraphQL errors look so that clients read one shape, in the reader's language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from models.accounts import Account
from permissions.text import tr
from resolvers.errors import UserErrors
from server import i18n


class HTTPProblem(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def signed_out() -> HTTPProblem:
    return HTTPProblem(
        401,
        "UNAUTHENTICATED",
        tr("Connectez-vous pour continuer."),
        {"WWW-Authenticate": "Bearer"},
    )


def rate_limited(error: UserErrors) -> HTTPProblem:
    """The RATE_LIMITED userError of resolvers/rate_limits.py as a 429 with Retry-After."""
    limited = error.errors[0]
    wait = str(limited.retry_after or 1)
    return HTTPProblem(429, limited.code.value, limited.message, {"Retry-After": wait})


def problem(error: HTTPProblem, request: Request, viewer: Account | None = None) -> JSONResponse:
    language = i18n.language_of(
        viewer.language if viewer else None, request.headers.get("accept-language")
    )
    message = i18n.translate(error.message, language)
    body = {"errors": [{"message": message, "extensions": {"code": error.code}}]}
    return JSONResponse(body, status_code=error.status, headers=error.headers)
