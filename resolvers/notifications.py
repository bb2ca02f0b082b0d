"""What residents are told: one notification per announcement aimed at them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tortoise.expressions import F
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.city import Announcement, Notification
from permissions.text import tr
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.pagination import Page, keyset_page
from resolvers.validation import Checks

IDS_MAX = 100


async def notifications(ctx: Context, first: int | None, after: str | None) -> Page[Notification]:
    assert ctx.viewer is not None
    return await keyset_page(Notification.filter(account_id=ctx.viewer.id), first, after)


async def unread_count(ctx: Context) -> int:
    assert ctx.viewer is not None
    return await Notification.filter(account_id=ctx.viewer.id, read_at=None).count()


async def mark_read(ctx: Context, ids: Sequence[str] | None) -> int:
    """Marks the given notifications (all when `ids` is absent) read; returns the unread count."""
    assert ctx.viewer is not None
    checks = Checks()
    qs = Notification.filter(account_id=ctx.viewer.id, read_at=None)
    if ids is not None:
        if len(ids) > IDS_MAX:
            checks.add(
                "ids",
                ErrorCode.TOO_MANY_IDS,
                tr("{ids_max} notifications au maximum par appel.", ids_max=IDS_MAX),
            )
        pks = [checks.global_id("ids", raw, "Notification") for raw in ids[:IDS_MAX]]
        checks.raise_if_any()
        # Another account's notification ids simply match nothing.
        qs = qs.filter(id__in=pks)
    async with in_transaction():
        # The announcements' read counts move with their notifications, in one transaction;
        # the rows are locked first, so a concurrent call cannot count them twice.
        newly_read = (
            await qs.filter(announcement_id__isnull=False)
            .select_for_update()
            .values_list("announcement_id", flat=True)
        )
        await qs.update(read_at=now())
        for announcement_id, reads in Counter(newly_read).items():
            await Announcement.filter(id=announcement_id).update(read_count=F("read_count") + reads)
    return await unread_count(ctx)
