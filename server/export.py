"""`GET /me/export`: the caller's own data (GDPR), streamed as one JSON document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from resolvers import export, rate_limits
from resolvers.context import Context
from resolvers.errors import UserErrors
from resolvers.loaders import Loaders
from resolvers.media import MediaStore
from resolvers.rate_limits import RateCounter
from server.auth import authenticate, bearer_token
from server.client_address import ClientAddresses
from server.problems import problem, rate_limited, signed_out


class ExportEndpoint:
    """Any signed-in account, its own data only: there is no way to name another. An export
    reads everything the account ever wrote, so it is throttled like a write."""

    def __init__(
        self, settings: Any, rate_counter: RateCounter | None, store: MediaStore | None
    ) -> None:
        self.settings = settings
        self.store = store
        self.rate_counter = rate_counter
        self.addresses = ClientAddresses(settings.trusted_proxies)

    async def respond(self, request: Request) -> Response:
        viewer, token = await authenticate(bearer_token(request))
        if viewer is None:
            return problem(signed_out(), request)
        ctx = Context(
            viewer=viewer,
            token=token,
            loaders=Loaders(viewer),
            settings=self.settings,
            client_address=self.addresses.of(request),
            rate_counter=self.rate_counter,
        )
        try:
            await rate_limits.enforce(ctx, rate_limits.Action.EXPORT)
        except UserErrors as error:
            return problem(rate_limited(error), request, viewer)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in export.chunks(viewer, self.store):
                yield chunk.encode()

        return StreamingResponse(
            body(),
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="quartier-export.json"',
                "Cache-Control": "no-store",
            },
        )


def routes(
    settings: Any, rate_counter: RateCounter | None, store: MediaStore | None
) -> list[Route]:
    endpoint = ExportEndpoint(settings, rate_counter, store)
    return [Route("/me/export", endpoint.respond, methods=["GET"])]
