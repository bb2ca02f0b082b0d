"""What resolvers know of photo files: the store that keeps them (a directory or an S3
bucket, server/media/) and the signed, expiring URLs that serve them."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlencode

URL_SECONDS = 600
SIZES = ("display", "thumbnail")


class MediaStore(Protocol):
    """Where photo files live. Keys are relative paths such as "ab12.../display.jpg"."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""
        ...

    async def delete(self, keys: list[str]) -> None:
        """Deletes the files; a missing one is not an error."""
        ...


def file_key(storage_key: str, size: str) -> str:
    return f"{storage_key}/{size}.jpg"


def file_keys(storage_key: str) -> list[str]:
    return [file_key(storage_key, size) for size in SIZES]


class Media:
    """This process's photo store and URL signer. The secret is shared by every worker
    (QUARTIER_MEDIA_URL_SECRET), so a URL one worker signs, another serves. It is read when
    first needed: a server that never meets a photo never touches the media directory."""

    def __init__(
        self, store: MediaStore, secret: Callable[[], bytes], base_url: str | None = None
    ) -> None:
        self.store = store
        self._secret = secret
        # Where /media is reached from the clients, e.g. "https://api.example.be"; None:
        # the request's own base URL.
        self.base_url = base_url

    @functools.cached_property
    def secret(self) -> bytes:
        return self._secret()

    def signature(self, photo_id: str, size: str, expires: int) -> str:
        message = f"{photo_id}/{size}/{expires}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, base: str, photo_id: str, size: str, now: float | None = None) -> str:
        """A URL that serves the file for URL_SECONDS, to whoever holds it."""
        expires = int(now if now is not None else time.time()) + URL_SECONDS
        query = urlencode(
            {"expires": expires, "signature": self.signature(photo_id, size, expires)}
        )
        root = (self.base_url or base).rstrip("/")
        return f"{root}/media/{photo_id}/{size}?{query}"

    def verify(self, photo_id: str, size: str, expires: str, signature: str) -> bool:
        """True while the URL is unexpired and was signed with this secret."""
        if size not in SIZES or not expires.isdigit() or len(expires) > 12:
            return False
        if int(expires) < time.time():
            return False
        expected = self.signature(photo_id, size, int(expires))
        return hmac.compare_digest(expected, signature)
