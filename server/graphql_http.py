"""GraphQL over HTTP (the GraphQL Foundation's spec): which media type answers a request, with
which status, and requests refused before GraphQL runs, answered as GraphQL errors.

`application/graphql-response+json` answers whoever asks for it: a request error (no `data`:
the document does not parse or validate, the variables do not fit) is a 4xx, a server
failure before execution a 5xx, and any response with `data` a 200. `application/json`,
the default, answers 200 to every well-formed request, as clients written before the spec
expect. A request that is not well-formed (its body, its parameters) is a 4xx in both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from starlette.datastructures import Headers
from starlette.responses import Response

from schema.errors import INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE

JSON: Final = "application/json"
GRAPHQL_RESPONSE: Final = "application/graphql-response+json"
# What our request errors (not GraphQL's) say, by status.
HTTP_CODES: Final = {
    400: "BAD_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: SERVICE_UNAVAILABLE,
}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None) -> str:
    """`application/graphql-response+json` if the client accepts it at least as much as
    `application/json`; otherwise (no Accept header included) `application/json`."""
    if not accept:
        return JSON
    graphql_response, json_ = 0.0, 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = _quality(params)
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            graphql_response = max(graphql_response, quality)
        elif media in (JSON, "application/*", "*/*"):
            json_ = max(json_, quality)
    return GRAPHQL_RESPONSE if graphql_response > 0 and graphql_response >= json_ else JSON


def status_for(media_type: str, body: Mapping[str, Any]) -> int:
    if media_type == JSON or "data" in body:
        return 200
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
    if SERVICE_UNAVAILABLE in codes:
        return 503
    if INTERNAL_SERVER_ERROR in codes:
        return 500
    return 400


def error_response(
    headers: Headers, status: int, message: str, extra_headers: Mapping[str, str] | None = None
) -> Response:
    """A request refused before GraphQL ran, as a GraphQL response without `data`."""
    code = HTTP_CODES.get(status, "BAD_REQUEST")
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type=negotiate(headers.get("accept")),
        headers=dict(extra_headers or {}),
    )
