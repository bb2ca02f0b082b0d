"""Request bodies over the limit (QUARTIER_MAX_BODY_BYTES, 1 MiB by default) get a 413 before
they are read whole: at once when Content-Length says so, else as soon as the chunks read
so far pass the limit. Ten clients sending 8 MiB each cost the process 8 MiB each before.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from permissions.text import tr
from server import i18n
from server.graphql_http import error_response


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose bodies may be larger (photo uploads), each with its own limit.
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(headers, max_bytes, scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(headers, max_bytes, scope, receive, send)

    async def _refuse(
        self, headers: Headers, max_bytes: int, scope: Scope, receive: Receive, send: Send
    ) -> None:
        # Before the request is read: no account yet, the Accept-Language header only.
        language = i18n.language_of(None, headers.get("accept-language"))
        message = tr("Le corps de la requête dépasse {limit} octets.", limit=max_bytes)
        response = error_response(
            headers,
            413,
            i18n.translate(message, language),
            # The rest of the body is not read: the connection cannot carry another request.
            {"Connection": "close"},
        )
        await response(scope, receive, send)
