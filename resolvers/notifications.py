"""What residents are told: one notification per announcement aimed at them."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.timezone import now

from models.city import Notification
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
    await qs.update(read_at=now())
    return await unread_count(ctx)
