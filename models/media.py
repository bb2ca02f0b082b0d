"""Photos residents attach to their posts and messages. The image files live in the media
store (a directory or an S3 bucket); a row says where, and what the photo is attached to."""

from __future__ import annotations

from tortoise import fields

from models.accounts import Account
from models.base import Model
from models.community import Post
from models.messaging import Message


class Photo(Model):
    # An upload belongs to its owner until it is attached to one post (up to four per post)
    # or one message. Unattached after a day, or doomed (`deleted_at`), its files go and
    # then its row (resolvers/photos.py, `sweep`). The original upload is never stored.

    id = fields.IntField(primary_key=True)
    # Null once the account is erased: the sweep then deletes the files.
    owner: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="photos", null=True, on_delete=fields.SET_NULL
    )
    owner_id: int | None
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "quartier.Post", related_name="photos", null=True, on_delete=fields.SET_NULL
    )
    post_id: int | None
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "quartier.Message", related_name="photos", null=True, on_delete=fields.SET_NULL
    )
    message_id: int | None
    # Order of the photos of a post.
    position = fields.SmallIntField(default=0)
    # Random and unguessable: the files are "<key>/display.jpg" and "<key>/thumbnail.jpg".
    storage_key = fields.CharField(max_length=64, unique=True)
    # Of the display size.
    width = fields.IntField()
    height = fields.IntField()
    created_at = fields.DatetimeField()
    # Set when its post or message is deleted or it is taken off a post: nothing serves it
    # any more, and the sweep deletes its files.
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "photo"
        # The first serves the photos of a post and the sweep of unattached uploads
        # (post_id and message_id null, oldest first).
        indexes = (("post_id", "message_id", "created_at"), ("message_id",), ("deleted_at",))
