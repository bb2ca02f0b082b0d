"""The photo store the settings name, behind resolvers.media.MediaStore."""

from __future__ import annotations

import functools

from resolvers.media import Media, MediaStore
from server.media.directory import DirectoryStore
from server.media.settings import MediaSettings, url_secret


def build_store(settings: MediaSettings) -> MediaStore:
    if settings.s3 is not None:
        from server.media.s3 import S3Store

        return S3Store(settings.s3)
    return DirectoryStore(settings.directory)


def build_media(settings: MediaSettings) -> Media:
    return Media(build_store(settings), functools.partial(url_secret, settings), settings.base_url)


async def close(media: Media) -> None:
    closer = getattr(media.store, "close", None)
    if closer is not None:
        await closer()
