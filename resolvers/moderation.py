"""Moderators act on reported content and on accounts; every action goes to an append-only
log, its subject's author is notified with the reason, and may appeal once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, Role
from models.city import Notification, NotificationKind
from models.community import Comment, Post
from models.mail import MailKind
from models.messaging import Message
from models.moderation import (
    ContentType,
    ModerationAction,
    ModerationKind,
    Report,
    ReportStatus,
    SubjectType,
)
from permissions.text import tr
from resolvers import outbox, reasons
from resolvers.broadcast import Event, NotificationAdded, SessionChanged
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.ids import parse_global_id
from resolvers.pagination import Page, keyset_page
from resolvers.validation import Checks

REASON_MIN, REASON_MAX = 5, 1_000
IDS_MAX = 100
# Stored in French (the catalogues' msgid); readers get it translated (resolvers/reasons.py).
AUTO_HIDE_REASON = reasons.AUTO_HIDE
CONTENT_MODELS: dict[ContentType, type[Post] | type[Comment] | type[Message]] = {
    ContentType.POST: Post,
    ContentType.COMMENT: Comment,
    ContentType.MESSAGE: Message,
}
CONTENT_TYPE_NAMES = {
    "Post": ContentType.POST,
    "Comment": ContentType.COMMENT,
    "Message": ContentType.MESSAGE,
}
ACTION_KINDS = {
    ModerationKind.HIDE_CONTENT,
    ModerationKind.RESTORE_CONTENT,
    ModerationKind.DISMISS_REPORTS,
    ModerationKind.SUSPEND_ACCOUNT,
    ModerationKind.REINSTATE_ACCOUNT,
}


@dataclass(frozen=True)
class ContentRef:
    kind: ContentType
    pk: int


def author_of(row: Post | Comment | Message) -> int:
    return row.sender_id if isinstance(row, Message) else row.author_id


async def load_content(ref: ContentRef) -> Post | Comment | Message | None:
    row = await CONTENT_MODELS[ref.kind].get_or_none(id=ref.pk)
    if row is None or getattr(row, "deleted_at", None) is not None:
        return None
    return row


def _reason(checks: Checks, reason: str) -> str:
    cleaned = checks.text("reason", reason, max_length=REASON_MAX, multiline=True)
    if cleaned and len(cleaned) < REASON_MIN:
        checks.add(
            "reason",
            ErrorCode.REASON_TOO_SHORT,
            tr("Motivez en {reason_min} caractères au moins.", reason_min=REASON_MIN),
        )
    return cleaned


async def _contents(
    checks: Checks, content_ids: Sequence[str], report_ids: Sequence[str]
) -> list[ContentRef]:
    refs: list[ContentRef] = []
    for raw in content_ids:
        parsed = parse_global_id(raw)
        if parsed is None or parsed[0] not in CONTENT_TYPE_NAMES:
            checks.add("contentIds", ErrorCode.INVALID_ID, tr("Identifiant invalide."))
            continue
        refs.append(ContentRef(CONTENT_TYPE_NAMES[parsed[0]], parsed[1]))
    wanted = [checks.global_id("reportIds", raw, "Report") for raw in report_ids]
    reports = await Report.filter(id__in=[pk for pk in wanted if pk])
    if len(reports) != len({pk for pk in wanted if pk}):
        checks.add("reportIds", ErrorCode.NOT_FOUND, tr("Signalement introuvable."))
    refs += [ContentRef(r.content_type, r.content_id) for r in reports]
    unique = list(dict.fromkeys(refs))
    for ref in unique:
        if await load_content(ref) is None:
            checks.add("contentIds", ErrorCode.NOT_FOUND, tr("Contenu introuvable."))
            break
    return unique


async def _log(
    moderator: Account | None,
    kind: ModerationKind,
    subject: SubjectType,
    subject_id: int,
    affected: int | None,
    reason: str,
    until: datetime | None = None,
) -> ModerationAction:
    action = await ModerationAction.create(
        moderator_id=moderator.id if moderator else None,
        kind=kind,
        subject_type=subject,
        subject_id=subject_id,
        affected_account_id=affected,
        reason=reason,
        until=until,
        created_at=now(),
    )
    if affected is not None:
        await Notification.create(
            account_id=affected,
            kind=NotificationKind.MODERATION,
            moderation_action_id=action.id,
            created_at=action.created_at,
        )
        # What was decided, never the reason: moderators' words may quote the content, and
        # an e-mail leaves the neighbourhood.
        decision = {"decision": kind.value, "subject": subject.value, "automatic": not moderator}
        await outbox.enqueue_notices(MailKind.MODERATION, [affected], decision)
    return action


async def set_hidden(row: Post | Comment | Message, reason: str | None) -> bool:
    """Hide (reason given) or restore (None) the content; False when nothing changed. Keeps the
    post's comment count to what readers can see."""
    hidden = reason is not None
    if (row.hidden_at is not None) == hidden and (not hidden or row.hidden_reason == reason):
        return False
    was_hidden = row.hidden_at is not None
    moment = now() if hidden else None
    await (
        type(row)
        .filter(id=row.id)
        .update(hidden_at=moment if hidden else None, hidden_reason=reason)
    )
    if isinstance(row, Comment) and was_hidden != hidden:
        await Post.filter(id=row.post_id).update(
            comment_count=F("comment_count") + (-1 if hidden else 1)
        )
    row.hidden_at = (row.hidden_at or moment) if hidden else None
    row.hidden_reason = reason  # type: ignore[assignment]  # a nullable TextField
    return True


async def _close_reports(ref: ContentRef, status: ReportStatus) -> None:
    await Report.filter(content_type=ref.kind, content_id=ref.pk, status=ReportStatus.OPEN).update(
        status=status
    )


async def _act_on_content(
    moderator: Account, kind: ModerationKind, ref: ContentRef, reason: str
) -> ModerationAction:
    row = await load_content(ref)
    assert row is not None
    if kind is ModerationKind.HIDE_CONTENT:
        await set_hidden(row, reason)
        await _close_reports(ref, ReportStatus.RESOLVED)
    elif kind is ModerationKind.RESTORE_CONTENT:
        await set_hidden(row, None)
        await _close_reports(ref, ReportStatus.DISMISSED)
    else:  # DISMISS_REPORTS: content hidden while reports are open was hidden automatically
        if row.hidden_at is not None and await Report.exists(
            content_type=ref.kind, content_id=ref.pk, status=ReportStatus.OPEN
        ):
            await set_hidden(row, None)
        await _close_reports(ref, ReportStatus.DISMISSED)
    return await _log(moderator, kind, SubjectType(ref.kind.value), ref.pk, author_of(row), reason)


async def moderate(
    ctx: Context,
    *,
    kind: ModerationKind,
    reason: str,
    report_ids: Sequence[str] | None,
    content_ids: Sequence[str] | None,
    account_id: str | None,
    until: datetime | None,
) -> list[ModerationAction]:
    """One action per subject, all in one transaction: all of them or none."""
    moderator = ctx.viewer
    assert moderator is not None
    checks = Checks()
    if kind not in ACTION_KINDS:
        checks.add(
            "kind",
            ErrorCode.INVALID_KIND,
            tr("Une décision sur un recours passe par `decideAppeal`."),
        )
    reason = _reason(checks, reason)
    if len(report_ids or []) + len(content_ids or []) > IDS_MAX:
        checks.add(
            "contentIds",
            ErrorCode.TOO_MANY_IDS,
            tr("{ids_max} éléments au maximum par décision.", ids_max=IDS_MAX),
        )
        checks.raise_if_any()
    if kind in (ModerationKind.SUSPEND_ACCOUNT, ModerationKind.REINSTATE_ACCOUNT):
        target = await _account(checks, account_id, moderator)
        if until is not None and (kind is ModerationKind.REINSTATE_ACCOUNT or until <= now()):
            checks.add(
                "until",
                ErrorCode.INVALID_UNTIL,
                tr("La fin de suspension doit être dans le futur."),
            )
        checks.raise_if_any()
        assert target is not None
        async with in_transaction():
            actions = [await _act_on_account(moderator, kind, target, reason, until)]
        await announce(ctx, actions)
        return actions
    refs = await _contents(checks, content_ids or [], report_ids or [])
    if not refs and not checks.errors:
        checks.add(
            "contentIds", ErrorCode.REQUIRED, tr("Indiquez les contenus ou signalements concernés.")
        )
    checks.raise_if_any()
    async with in_transaction():
        actions = [await _act_on_content(moderator, kind, ref, reason) for ref in refs]
    await announce(ctx, actions)
    return actions


async def announce(ctx: Context, actions: Sequence[ModerationAction]) -> None:
    """Once the decisions have committed: each author's new notification, and the open
    connections of an account whose standing changed, checked again at once."""
    notices = await Notification.filter(
        moderation_action_id__in=[action.id for action in actions]
    ).values_list("id", "account_id")
    events: list[Event] = [NotificationAdded(int(n), int(a)) for n, a in notices]
    events += [
        SessionChanged(action.subject_id)
        for action in actions
        if action.subject_type is SubjectType.ACCOUNT
    ]
    await ctx.publisher.publish(*events)


async def _account(checks: Checks, raw: str | None, moderator: Account) -> Account | None:
    if raw is None:
        checks.add("accountId", ErrorCode.REQUIRED, tr("Indiquez le compte concerné."))
        return None
    pk = checks.person("accountId", raw)
    target = await Account.get_or_none(id=pk) if pk else None
    if pk and target is None:
        checks.add("accountId", ErrorCode.NOT_FOUND, tr("Compte introuvable."))
    elif target is not None and target.role is Role.ADMIN:
        checks.add(
            "accountId",
            ErrorCode.CANNOT_SUSPEND_ADMIN,
            tr("Un administrateur ne peut être suspendu."),
        )
    elif target is not None and target.id == moderator.id:
        checks.add(
            "accountId", ErrorCode.CANNOT_MODERATE_SELF, tr("Vous ne pouvez pas vous suspendre.")
        )
    return target


async def _act_on_account(
    moderator: Account, kind: ModerationKind, target: Account, reason: str, until: datetime | None
) -> ModerationAction:
    if kind is ModerationKind.SUSPEND_ACCOUNT:
        # Tokens are checked against the account on every request: this ends them at once.
        await Account.filter(id=target.id).update(suspended_at=now(), suspended_until=until)
    else:
        await Account.filter(id=target.id).update(suspended_at=None, suspended_until=None)
    return await _log(moderator, kind, SubjectType.ACCOUNT, target.id, target.id, reason, until)


async def distinct_reporters(
    ref: ContentRef, status: ReportStatus, *, verified_only: bool = False
) -> int:
    """How many residents reported the content: one resident reporting twice counts once."""
    qs = Report.filter(content_type=ref.kind, content_id=ref.pk, status=status)
    if verified_only:
        qs = qs.filter(reporter__verified_at__isnull=False)
    counts = (
        await qs.annotate(n=Count("reporter_id", distinct=True))
        .group_by("content_type")
        .values_list("n", flat=True)
    )
    return int(cast(int, counts[0])) if counts else 0


async def auto_hide(ref: ContentRef, threshold: int) -> ModerationAction | None:
    """Hide content that `threshold` distinct verified residents have reported, pending a
    moderator's decision. Runs in the transaction that stored the latest report; returns the
    logged action, if it hid the content."""
    count = await distinct_reporters(ref, ReportStatus.OPEN, verified_only=True)
    row = await load_content(ref)
    if count < threshold or row is None or row.hidden_at is not None:
        return None
    reason = AUTO_HIDE_REASON
    await set_hidden(row, reason)
    return await _log(
        None,
        ModerationKind.HIDE_CONTENT,
        SubjectType(ref.kind.value),
        ref.pk,
        author_of(row),
        reason,
    )


def notified_reason(action: ModerationAction) -> str:
    """What the person an action touched is told, as translatable text when the action was
    automatic. Automatic actions logged before the reason lost its report count keep it in
    the append-only log; the person gets today's wording."""
    return reasons.auto_hide() if action.moderator_id is None else action.reason


async def moderation_log(first: int | None, after: str | None) -> Page[ModerationAction]:
    return await keyset_page(ModerationAction.all(), first, after)
