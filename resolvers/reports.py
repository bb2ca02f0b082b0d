"""Residents report a post, a comment or a message; enough reporters hide it at once."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.community import Comment, Post
from models.messaging import ConversationParticipant, Message
from models.moderation import ContentType, Report, ReportReason
from permissions.text import tr
from resolvers.community import can_view_post
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import parse_global_id
from resolvers.moderation import CONTENT_MODELS, CONTENT_TYPE_NAMES, ContentRef, announce, auto_hide
from resolvers.rate_limits import Action, enforce
from resolvers.validation import Checks

NOTE_MAX = 1_000


async def _author_of_visible(ctx: Context, kind: ContentType, pk: int) -> int | None:
    """The author of the content if the caller can see it, else None."""
    viewer = ctx.viewer
    assert viewer is not None
    if kind is ContentType.POST:
        post = await Post.get_or_none(id=pk)
        return post.author_id if post and await can_view_post(viewer, post, ctx) else None
    if kind is ContentType.COMMENT:
        comment = await Comment.get_or_none(id=pk, deleted_at=None)
        if comment is None:
            return None
        post = await Post.get_or_none(id=comment.post_id)
        return comment.author_id if post and await can_view_post(viewer, post, ctx) else None
    message = await Message.get_or_none(id=pk)
    if message is None or not await ConversationParticipant.exists(
        conversation_id=message.conversation_id, account_id=viewer.id
    ):
        return None
    return message.sender_id


async def report_content(
    ctx: Context, *, content_id: str, reason: ReportReason, note: str | None
) -> Report:
    viewer = ctx.viewer
    assert viewer is not None
    await enforce(ctx, Action.REPORT)
    checks = Checks()
    parsed = parse_global_id(content_id)
    if parsed is None or parsed[0] not in CONTENT_TYPE_NAMES:
        checks.add("contentId", ErrorCode.INVALID_ID, tr("Identifiant invalide."))
    note = checks.optional_text("note", note, max_length=NOTE_MAX, multiline=True)
    checks.raise_if_any()
    assert parsed is not None
    kind, pk = CONTENT_TYPE_NAMES[parsed[0]], parsed[1]
    author_id = await _author_of_visible(ctx, kind, pk)
    if author_id is None:
        raise fail("contentId", ErrorCode.NOT_FOUND, tr("Contenu introuvable."))
    if author_id == viewer.id:
        raise fail(
            "contentId",
            ErrorCode.CANNOT_REPORT_OWN,
            tr("Vous ne pouvez pas signaler votre propre contenu."),
        )
    try:
        async with in_transaction():
            # Reports of one content are counted one after another (the row lock), so the
            # report that reaches the threshold sees the others, however close they come.
            await CONTENT_MODELS[kind].filter(id=pk).select_for_update().first()
            report = await Report.create(
                reporter_id=viewer.id,
                content_type=kind,
                content_id=pk,
                reason=reason,
                note=note,
                created_at=now(),
            )
            hidden = await auto_hide(ContentRef(kind, pk), ctx.settings.auto_hide_threshold)
    except IntegrityError:
        raise fail(
            "contentId", ErrorCode.ALREADY_REPORTED, tr("Vous avez déjà signalé ce contenu.")
        ) from None
    if hidden is not None:
        await announce(ctx, [hidden])
    return report
