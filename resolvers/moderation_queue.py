"""The moderators' queue: reports grouped per content, worst first; and appeals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Min
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.moderation import (
    Appeal,
    AppealStatus,
    ContentType,
    ModerationAction,
    ModerationKind,
    Report,
    ReportStatus,
    SubjectType,
)
from permissions.text import tr
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import decode_cursor, encode_cursor
from resolvers.moderation import (
    CONTENT_MODELS,
    ContentRef,
    _log,
    _reason,
    announce,
    distinct_reporters,
    load_content,
    set_hidden,
)
from resolvers.pagination import Page, keyset_page, page_size
from resolvers.validation import Checks

APPEAL_MAX = 2_000
APPEALABLE = {ModerationKind.HIDE_CONTENT, ModerationKind.SUSPEND_ACCOUNT}


@dataclass(frozen=True)
class QueueEntry:
    """One reported content: its first report stands for the group."""

    report_id: int
    reporters: int
    hidden: bool

    @property
    def rank(self) -> tuple[int, int, int]:
        # Hidden content awaiting a decision first, then the most reported, then the oldest.
        return (0 if self.hidden else 1, -self.reporters, self.report_id)


async def report_queue(
    ctx: Context, status: ReportStatus, first: int | None, after: str | None
) -> Page[Report]:
    """Grouped in SQL; ordered in Python because the order mixes the group's count with the
    content's state. A queue holds reported contents, not rows of the feed: it stays small."""
    size = page_size(first, default=50)
    groups = (
        await Report.filter(status=status)
        .annotate(first_id=Min("id"), reporters=Count("reporter_id", distinct=True))
        .group_by("content_type", "content_id")
        .values("content_type", "content_id", "first_id", "reporters")
    )
    hidden = await _hidden_contents(groups)
    entries = sorted(
        (
            QueueEntry(
                g["first_id"], g["reporters"], (g["content_type"], g["content_id"]) in hidden
            )
            for g in groups
        ),
        key=lambda e: e.rank,
    )
    behind = False
    if after:
        mark = decode_cursor(after, (int, int, int))
        remaining = [e for e in entries if e.rank > mark]
        behind, entries = len(remaining) < len(entries), remaining
    page = entries[: size + 1]
    for entry in page:
        ctx.extra[("reporters", entry.report_id)] = entry.reporters
    reports = {r.id: r for r in await Report.filter(id__in=[e.report_id for e in page])}
    ranks = {e.report_id: e.rank for e in page}
    rows = [reports[e.report_id] for e in page[:size]]
    return Page(rows, len(page) > size, lambda r: encode_cursor(*ranks[r.id]), behind)


async def _hidden_contents(groups: list[dict]) -> set[tuple[str, int]]:
    hidden: set[tuple[str, int]] = set()
    for kind in ContentType:
        ids = [g["content_id"] for g in groups if g["content_type"] == kind]
        if ids:
            found = (
                await CONTENT_MODELS[kind]
                .filter(id__in=ids, hidden_at__isnull=False)
                .values_list("id", flat=True)
            )
            hidden |= {(kind.value, cast(int, pk)) for pk in found}
    return hidden


async def reporters_of(ctx: Context, report: Report) -> int:
    """Distinct residents who reported the same content with the same status."""
    cached = ctx.extra.get(("reporters", report.id))
    if cached is not None:
        return int(cached)
    return await distinct_reporters(
        ContentRef(report.content_type, report.content_id), report.status
    )


async def appeal(ctx: Context, *, action_id: str, message: str) -> Appeal:
    viewer = ctx.viewer
    assert viewer is not None
    checks = Checks()
    pk = checks.global_id("actionId", action_id, "ModerationAction")
    message = checks.text("message", message, max_length=APPEAL_MAX, multiline=True)
    checks.raise_if_any()
    action = await ModerationAction.get_or_none(id=pk, affected_account_id=viewer.id)
    if action is None:
        raise fail("actionId", ErrorCode.NOT_FOUND, tr("Décision introuvable."))
    if action.kind not in APPEALABLE:
        raise fail(
            "actionId",
            ErrorCode.NOT_APPEALABLE,
            tr("Cette décision ne fait pas l'objet d'un recours."),
        )
    try:
        return await Appeal.create(
            action_id=action.id, account_id=viewer.id, message=message, created_at=now()
        )
    except IntegrityError:
        raise fail(
            "actionId", ErrorCode.ALREADY_APPEALED, tr("Un recours a déjà été introduit.")
        ) from None


async def appeals(status: AppealStatus, first: int | None, after: str | None) -> Page[Appeal]:
    return await keyset_page(Appeal.filter(status=status), first, after)


async def decide_appeal(
    ctx: Context, *, appeal_id: str, accept: bool, reason: str
) -> ModerationAction:
    """Accepting undoes the action (the content comes back, the suspension ends)."""
    moderator = ctx.viewer
    assert moderator is not None
    checks = Checks()
    pk = checks.global_id("appealId", appeal_id, "Appeal")
    reason = _reason(checks, reason)
    checks.raise_if_any()
    async with in_transaction():
        row = await Appeal.filter(id=pk).select_for_update().first()
        if row is None:
            raise fail("appealId", ErrorCode.NOT_FOUND, tr("Recours introuvable."))
        if row.status is not AppealStatus.OPEN:
            raise fail("appealId", ErrorCode.ALREADY_DECIDED, tr("Ce recours a déjà été tranché."))
        action = await ModerationAction.get(id=row.action_id)
        if accept:
            await _undo(action)
        row.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
        row.decided_at = now()
        await row.save(update_fields=["status", "decided_at"])
        kind = ModerationKind.APPEAL_ACCEPTED if accept else ModerationKind.APPEAL_REJECTED
        decision = await _log(
            moderator, kind, action.subject_type, action.subject_id, row.account_id, reason
        )
    await announce(ctx, [decision])
    return decision


async def _undo(action: ModerationAction) -> None:
    if action.subject_type is SubjectType.ACCOUNT:
        await Account.filter(id=action.subject_id).update(suspended_at=None, suspended_until=None)
        return
    row = await load_content(ContentRef(ContentType(action.subject_type.value), action.subject_id))
    if row is not None:
        await set_hidden(row, None)
