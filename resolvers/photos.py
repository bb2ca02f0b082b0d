"""Photos: uploads, attaching them to a post (up to four) or a message (one), and deleting
their files when what they belong to goes. A photo is served with its post's or message's
visibility: the schema hands out signed URLs only where that content may be read."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.timezone import now

from models.accounts import Account
from models.media import Photo
from permissions.text import tr
from resolvers.errors import ErrorCode, UserErrors, fail
from resolvers.media import Media, file_key, file_keys
from resolvers.validation import Checks

MAX_POST_PHOTOS = 4
MAX_MESSAGE_PHOTOS = 1
UNATTACHED_HOURS = 24
SWEEP_BATCH = 500

IN_USE = tr("Cette photo accompagne déjà un autre contenu.")

log = logging.getLogger("quartier.photos")


def taken(field: str) -> UserErrors:
    """For a photo another post or message took between the checks and the write."""
    return fail(field, ErrorCode.PHOTO_IN_USE, IN_USE)


@dataclass(frozen=True)
class Upload:
    """An upload once decoded and re-encoded (server/media/images.py)."""

    display: bytes
    thumbnail: bytes
    width: int
    height: int


async def store_upload(media: Media, owner: Account, upload: Upload) -> Photo:
    """Writes both files, then the row; the files go again if the row cannot be written."""
    key = secrets.token_urlsafe(24)
    stored: list[str] = []
    try:
        for size, data in (("display", upload.display), ("thumbnail", upload.thumbnail)):
            await media.store.put(file_key(key, size), data, "image/jpeg")
            stored.append(file_key(key, size))
        return await Photo.create(
            owner_id=owner.id,
            storage_key=key,
            width=upload.width,
            height=upload.height,
            created_at=now(),
        )
    except BaseException:
        await media.store.delete(stored)
        raise


async def chosen_photos(
    checks: Checks,
    owner: Account,
    raw_ids: Sequence[str] | None,
    *,
    field: str,
    limit: int,
    post_id: int | None = None,
) -> list[int] | None:
    """The ids of the caller's own uploads in `raw_ids`, in order and without repeats: free,
    or already on `post_id`. None when `raw_ids` is None (nothing to change)."""
    if raw_ids is None:
        return None
    ids = list(dict.fromkeys(checks.global_id(field, raw, "Photo") for raw in raw_ids))
    if 0 in ids:
        return []
    if len(ids) > limit:
        message = (
            tr("Une photo au maximum.")
            if limit == 1
            else tr("{limit} photos au maximum.", limit=limit)
        )
        checks.add(field, ErrorCode.TOO_MANY_PHOTOS, message)
        return []
    rows = {p.id: p for p in await Photo.filter(id__in=ids, owner_id=owner.id, deleted_at=None)}
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            # Someone else's upload answers like one that does not exist.
            checks.add(field, ErrorCode.NOT_FOUND, tr("Photo introuvable."))
        elif row.message_id is not None or row.post_id not in (None, post_id):
            checks.add(field, ErrorCode.PHOTO_IN_USE, IN_USE)
    return ids


async def attach(
    owner_id: int, ids: list[int], *, post_id: int | None = None, message_id: int | None = None
) -> bool:
    """Attaches the photos in this order, inside the caller's transaction. Compare-and-set:
    False (and the caller rolls back) if one was taken or deleted meanwhile."""
    target = {"post_id": post_id} if post_id is not None else {"message_id": message_id}
    for position, pk in enumerate(ids):
        free = Q(post_id=None, message_id=None)
        if post_id is not None:
            free |= Q(post_id=post_id)
        updated = await Photo.filter(free, id=pk, owner_id=owner_id, deleted_at=None).update(
            **target, position=position
        )
        if updated != 1:
            return False
    return True


async def detach_others(post_id: int, keep: list[int], moment: datetime) -> list[int]:
    """Dooms the post's photos not in `keep`, inside the caller's transaction; their ids."""
    gone = await Photo.filter(post_id=post_id, deleted_at=None).exclude(id__in=keep or [0])
    ids = [p.id for p in gone]
    if ids:
        await Photo.filter(id__in=ids).update(deleted_at=moment)
    return ids


async def doom_post(post_id: int, moment: datetime) -> list[int]:
    """Dooms a deleted post's photos, inside the caller's transaction; their ids."""
    return await detach_others(post_id, [], moment)


async def doom_of(model_field: str, ids: list[int], moment: datetime) -> int:
    """Dooms the photos of these posts ("post_id") or messages ("message_id"), whose words are
    purged; the worker's sweep deletes their files."""
    if not ids:
        return 0
    return await Photo.filter(**{f"{model_field}__in": ids}, deleted_at=None).update(
        deleted_at=moment
    )


async def doom_account(account_id: int, moment: datetime) -> list[int]:
    """Dooms every photo an account uploaded (for erasure), in the caller's transaction."""
    ids = [p.id for p in await Photo.filter(owner_id=account_id, deleted_at=None)]
    if ids:
        await Photo.filter(id__in=ids).update(deleted_at=moment)
    return ids


async def purge(media: Media | None, ids: list[int]) -> None:
    """Deletes the files of doomed photos, then their rows. Called after the transaction that
    doomed them; if the store fails, the rows stay doomed and the next sweep tries again."""
    if not ids or media is None:
        return
    rows = await Photo.filter(id__in=ids).exclude(deleted_at=None).values_list("id", "storage_key")
    try:
        await media.store.delete([key for _, key in rows for key in file_keys(key)])
    except Exception:
        log.exception("photo files not deleted; the sweep will try again")
        return
    await Photo.filter(id__in=[pk for pk, _ in rows]).delete()


def sweepable(moment: datetime) -> Q:
    """Photos whose files must go: doomed, owned by an erased account, or never attached
    within UNATTACHED_HOURS."""
    cutoff = moment - timedelta(hours=UNATTACHED_HOURS)
    return (
        Q(deleted_at__isnull=False)
        | Q(owner_id=None)
        | Q(post_id=None, message_id=None, created_at__lt=cutoff)
    )


async def sweep(media: Media, moment: datetime | None = None) -> int:
    """Deletes every sweepable photo, files first; how many went."""
    moment = moment or now()
    total = 0
    while True:
        rows = await Photo.filter(sweepable(moment)).order_by("id").limit(SWEEP_BATCH)
        if not rows:
            return total
        await Photo.filter(id__in=[r.id for r in rows]).update(deleted_at=moment)
        await media.store.delete([key for r in rows for key in file_keys(r.storage_key)])
        await Photo.filter(id__in=[r.id for r in rows]).delete()
        total += len(rows)
