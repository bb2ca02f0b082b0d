"""`GET /trusted-documents/{id}`: a trusted document's text, for the gateway, which admits
clients' requests by id at the edge (gateway/serve.mjs) and plans them from the text. Where a
gateway secret is set, only the gateway that sends it is answered."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from models.trusted import TrustedDocument
from server.settings import Settings
from server.trusted.documents import is_document_id

PATH = "/trusted-documents/{id}"
GATEWAY_HEADER = "x-quartier-gateway-secret"


def routes(settings: Settings) -> list[Route]:
    async def document(request: Request) -> Response:
        secret = settings.gateway_secret
        sent = request.headers.get(GATEWAY_HEADER) or ""
        if secret and not hmac.compare_digest(sent, secret):
            return PlainTextResponse("Forbidden", status_code=403)
        id_ = request.path_params["id"]
        row = await TrustedDocument.get_or_none(id=id_) if is_document_id(id_) else None
        if row is None:
            return PlainTextResponse("Not Found", status_code=404)
        return PlainTextResponse(row.body, headers={"Cache-Control": "no-store"})

    return [Route(PATH, document, methods=["GET"])]
