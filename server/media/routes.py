"""`POST /media` takes a photo and answers its id; `GET /media/{id}/{size}` serves a stored
size to whoever holds a signed URL from `Photo.url`."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.accounts import Account
from models.media import Photo
from permissions.roles import is_resident
from permissions.text import tr
from resolvers import photos, rate_limits
from resolvers.community import require_writer
from resolvers.context import Context
from resolvers.errors import UserErrors
from resolvers.ids import decode_id, to_global_id
from resolvers.loaders import Loaders
from resolvers.media import Media, file_key
from resolvers.rate_limits import RateCounter
from server.auth import authenticate, bearer_token
from server.client_address import ClientAddresses
from server.media import images
from server.problems import HTTPProblem, problem, rate_limited, signed_out

# Multipart framing around a 10 MiB file: boundaries, part headers, a field or two.
MULTIPART_OVERHEAD = 64 * 1024
# What the app's body limit lets through to POST /media; the route then holds each kind of
# body (raw or multipart) to its own cap.
MAX_UPLOAD_BODY = images.MAX_BYTES + MULTIPART_OVERHEAD
# Decoding a large photo takes a core and tens of megabytes: two at a time per process.
DECODERS = 2


class MediaEndpoints:
    def __init__(self, media: Media, rate_counter: RateCounter | None, settings: Any) -> None:
        self.media = media
        self.rate_counter = rate_counter
        self.settings = settings
        self.addresses = ClientAddresses(settings.trusted_proxies)
        self._decoders: asyncio.Semaphore | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/media", self.upload, methods=["POST"]),
            Route("/media/{photo_id}/{size}", self.serve, methods=["GET"]),
        ]

    async def upload(self, request: Request) -> Response:
        viewer: Account | None = None
        try:
            viewer = await self._uploader(request)
            data = await _image_bytes(request)
            processed = await self._decode(data)
        except HTTPProblem as error:
            return problem(error, request, viewer)
        except images.ImageRejected as error:
            return problem(HTTPProblem(error.status, error.code, error.message), request, viewer)
        upload = photos.Upload(
            display=processed.display.data,
            thumbnail=processed.thumbnail.data,
            width=processed.display.width,
            height=processed.display.height,
        )
        row = await photos.store_upload(self.media, viewer, upload)
        body = {"id": to_global_id("Photo", row.id), "width": row.width, "height": row.height}
        return JSONResponse(body, status_code=201)

    async def _uploader(self, request: Request) -> Account:
        viewer, token = await authenticate(bearer_token(request))
        if viewer is None:
            raise signed_out()
        if not is_resident(viewer):
            raise HTTPProblem(403, "FORBIDDEN", tr("Réservé aux habitants."))
        ctx = Context(
            viewer=viewer,
            token=token,
            loaders=Loaders(viewer),
            settings=self.settings,
            client_address=self.addresses.of(request),
            rate_counter=self.rate_counter,
        )
        try:
            await require_writer(ctx)
        except UserErrors as error:
            first = error.errors[0]
            raise HTTPProblem(403, first.code.value, first.message) from None
        try:
            # Every attempt counts, refused ones too: a flood of garbage is a flood.
            await rate_limits.enforce(ctx, rate_limits.Action.UPLOAD)
        except UserErrors as error:
            raise rate_limited(error) from None
        return viewer

    async def _decode(self, data: bytes) -> images.Processed:
        if self._decoders is None:
            self._decoders = asyncio.Semaphore(DECODERS)
        async with self._decoders:
            return await asyncio.to_thread(images.process, data)

    async def serve(self, request: Request) -> Response:
        photo_id = request.path_params["photo_id"]
        size = request.path_params["size"]
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("signature", "")
        if not self.media.verify(photo_id, size, expires, signature):
            forbidden = HTTPProblem(403, "FORBIDDEN", tr("Lien de photo expiré ou invalide."))
            return problem(forbidden, request)
        pk = decode_id(photo_id, "Photo")
        row = await Photo.get_or_none(id=pk, deleted_at=None) if pk else None
        data = await self.media.store.get(file_key(row.storage_key, size)) if row else None
        if data is None:
            return problem(HTTPProblem(404, "NOT_FOUND", tr("Photo introuvable.")), request)
        remaining = max(0, int(expires) - int(time.time()))
        return Response(
            data,
            media_type="image/jpeg",
            headers={
                # The URL is the permission: shared caches must not keep the image.
                "Cache-Control": f"private, max-age={remaining}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'",
            },
        )


async def _image_bytes(request: Request) -> bytes:
    """The image: the body itself, or the one file of a multipart form. 413 past the cap,
    however the body is sent (Content-Length or chunked)."""
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    limit = images.MAX_BYTES + (MULTIPART_OVERHEAD if multipart else 0)
    body = await _read_capped(request, limit)
    if not multipart:
        return body
    return await _form_file(request, body)


def _too_large() -> HTTPProblem:
    return HTTPProblem(413, "PAYLOAD_TOO_LARGE", tr("L'image dépasse 10 Mo."))


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPProblem(400, "BAD_REQUEST", tr("En-tête Content-Length invalide."))
        if int(declared) > limit:
            raise _too_large()
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large()
        chunks.append(chunk)
    if total == 0:
        raise HTTPProblem(400, "BAD_REQUEST", tr("Aucune image reçue."))
    return b"".join(chunks)


async def _form_file(request: Request, body: bytes) -> bytes:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(request.scope, replay).form(max_files=1, max_fields=10) as form:
            files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            if not files:
                raise HTTPProblem(
                    400, "BAD_REQUEST", tr("Le formulaire ne contient aucun fichier.")
                )
            data = await files[0].read()
    except MultiPartException as error:
        raise HTTPProblem(
            400, "BAD_REQUEST", tr("Formulaire illisible : {reason}", reason=error.message)
        ) from None
    if len(data) > images.MAX_BYTES:
        raise _too_large()
    return data
