"""From an `Authorization: Bearer ...` header to the account making the request."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from models.accounts import Account, AuthToken
from resolvers import tokens


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


async def authenticate(raw: str | None) -> tuple[Account | None, AuthToken | None]:
    """An unknown, expired or revoked token makes an anonymous request: fields that need an
    account then answer UNAUTHENTICATED."""
    if raw is None:
        return None, None
    found = await tokens.authenticate(raw)
    if found is None:
        return None, None
    return found
