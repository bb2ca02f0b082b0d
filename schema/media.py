"""Photos on posts and messages."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from models import media as models
from resolvers.ids import to_global_id
from schema.base import Node


@strawberry.enum(description="The stored sizes of a photo.")
class PhotoSize(Enum):
    DISPLAY = "display"
    THUMBNAIL = "thumbnail"


@strawberry.type(
    description="A photo of a post or a message, re-encoded on upload without its metadata. "
    "Whoever may read the post or message may have its photos."
)
class Photo(Node):
    row: strawberry.Private[models.Photo]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Photo", self.row.id))

    @strawberry.field(description="Width of the display size, in pixels.")
    def width(self) -> int:
        return self.row.width

    @strawberry.field(description="Height of the display size, in pixels.")
    def height(self) -> int:
        return self.row.height

    @strawberry.field(
        description="A signed URL that serves the image (JPEG) for 10 minutes: DISPLAY has "
        "its longest side at most 2048 px, THUMBNAIL at most 400 px."
    )
    def url(self, info: Info, size: PhotoSize = PhotoSize.DISPLAY) -> str:
        media = info.context.media
        assert media is not None, "the app serves no photos"
        base = str(info.context.request.base_url)
        return media.url(base, to_global_id("Photo", self.row.id), size.value)
