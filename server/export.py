"""`GET /me/export`: the caller's own data (GDPR), streamed as one JSON document."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from resolvers import export
from server.auth import authenticate, bearer_token


async def my_export(request: Request) -> Response:
    """Any signed-in account, its own data only: there is no way to name another."""
    viewer, _ = await authenticate(bearer_token(request))
    if viewer is None:
        return JSONResponse(
            {
                "errors": [
                    {
                        "message": "Connectez-vous pour continuer.",
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ]
            },
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def body() -> AsyncIterator[bytes]:
        async for chunk in export.chunks(viewer):
            yield chunk.encode()

    return StreamingResponse(
        body(),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="quartier-export.json"',
            "Cache-Control": "no-store",
        },
    )


routes = [Route("/me/export", my_export, methods=["GET"])]
