"""What one request did, filled in as it goes: the middleware opens it, the GraphQL extension
adds the operation and its error codes, and the log line and metrics read it at the end."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# Accepted from a caller's X-Request-Id: no spaces, quotes or "@", so an id can never carry
# an e-mail address or break a log line.
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
# A GraphQL Name: anything else is not an operation name, whatever the client sent.
OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")


def request_id(offered: str | None) -> str:
    """The caller's id when it is a safe one, else a new one."""
    if offered is not None and REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


@dataclass
class RequestRecord:
    request_id: str
    # Set once GraphQL executed (or refused) an operation; None for every other request.
    operation: str | None = None
    operation_type: str | None = None
    graphql: bool = False
    error_codes: list[str] = field(default_factory=list)
    user_error_codes: list[str] = field(default_factory=list)

    def outcome(self, status: int) -> str:
        """ok, user_error (a payload's userErrors), error (a GraphQL error the caller caused)
        or server_error (ours)."""
        if status >= 500 or "INTERNAL_SERVER_ERROR" in self.error_codes:
            return "server_error"
        if self.error_codes or status >= 400:
            return "error"
        if self.user_error_codes:
            return "user_error"
        return "ok"


CURRENT: ContextVar[RequestRecord | None] = ContextVar("quartier_request", default=None)


def user_error_codes(data: Any) -> list[str]:
    """The codes of the userErrors that the root fields' payloads carry."""
    if not isinstance(data, dict):
        return []
    codes = []
    for payload in data.values():
        if isinstance(payload, dict):
            for error in payload.get("userErrors") or ():
                if isinstance(error, dict) and isinstance(error.get("code"), str):
                    codes.append(error["code"])
    return codes
