"""Erasure: a person deletes their account, and the platform keeps nothing of them but what
others need, pseudonymised.

What goes, at once and in one transaction: email, name, password hash, house number and
address, every token (existing ones stop working on their next request), verification
letters, notifications, e-mails queued for them, e-mail tokens and preferences, their posts and comments (rows deleted, with the reactions, comments
and reports on them), their reactions, the notes of their reports, their appeals, the events
they said they would attend, and every photo they uploaded (files included, the messages'
too).

What stays, and why:
- The account row, emptied (`erased_at` set, every personal column null or blank): the
  append-only moderation log and the messages they sent refer to it, and the log may not be
  rewritten. It is shown as a former neighbour and signs in to nothing.
- Messages they sent: they belong to the conversation of the other participant too, who
  keeps reading them, the sender shown as a former neighbour.
- Their consultation answers, without the account: published results must not move.
- Reports they filed, without their note: a moderator's decision may rest on them.
- Moderation-log entries about them or by them, pointing to the emptied row.
The email is free to register again.
"""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, AuthToken, VerificationLetter
from models.city import ConsultationAnswer, Notification
from models.community import Comment, Post, Reaction
from models.mail import AccountToken, NotificationPreference, OutboxMessage
from models.moderation import Appeal, ContentType, Report
from permissions.text import tr
from resolvers import attendance, passwords, photos
from resolvers.broadcast import SessionChanged
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.rate_limits import Action, enforce


def display_name(account: Account) -> str:
    """The name others see: an erased account's is gone."""
    return tr("Ancien voisin") if account.erased_at is not None else account.display_name


async def delete_account(ctx: Context, *, password: str) -> int:
    """The caller erases their own account, password in hand; returns its id."""
    viewer = ctx.viewer
    assert viewer is not None
    if viewer.password_hash is None:
        raise fail(
            "password",
            ErrorCode.NO_PASSWORD,
            tr("Ce compte n'a pas de mot de passe : un opérateur peut le supprimer."),
        )
    await enforce(ctx, Action.PASSWORD)
    if not await passwords.verify_password(viewer.password_hash, password):
        raise fail("password", ErrorCode.WRONG_PASSWORD, tr("Mot de passe incorrect."))
    doomed = await erase(viewer.id)
    await photos.purge(ctx.media, doomed)
    # Its open websocket connections close now (4403), not at the next session check.
    await ctx.publisher.publish(SessionChanged(viewer.id))
    return viewer.id


async def erase(account_id: int) -> list[int]:
    """Erases the account in one transaction; returns the ids of its photos, doomed: the
    caller deletes their files (photos.purge) or the worker's sweep does."""
    async with in_transaction():
        doomed = await photos.doom_account(account_id, now())
        await attendance.forget(account_id)
        await _erase_content(account_id)
        await Reaction.filter(account_id=account_id).delete()
        await Report.filter(reporter_id=account_id).update(note=None)
        await Appeal.filter(account_id=account_id).delete()
        await ConsultationAnswer.filter(account_id=account_id).update(account_id=None)
        await Notification.filter(account_id=account_id).delete()
        await VerificationLetter.filter(account_id=account_id).delete()
        await AuthToken.filter(account_id=account_id).delete()
        # E-mail: queued messages (their address, their links' tokens), single-use tokens,
        # preferences.
        await OutboxMessage.filter(account_id=account_id).delete()
        await AccountToken.filter(account_id=account_id).delete()
        await NotificationPreference.filter(account_id=account_id).delete()
        await Account.filter(id=account_id).update(
            email=None,
            password_hash=None,
            display_name="",
            street_id=None,
            neighbourhood_id=None,
            house_number=None,
            verified_at=None,
            suspended_at=None,
            suspended_until=None,
            email_confirmed_at=None,
            erased_at=now(),
        )
    return doomed


async def _erase_content(account_id: int) -> None:
    """Their posts, with everything under them, and their comments elsewhere, deleted."""
    post_ids = list(await Post.filter(author_id=account_id).values_list("id", flat=True))
    comments_under = await Comment.filter(post_id__in=post_ids).values_list("id", flat=True)
    own_comments = await Comment.filter(author_id=account_id).exclude(post_id__in=post_ids)
    for comment in own_comments:
        if comment.hidden_at is None and comment.deleted_at is None:
            await Post.filter(id=comment.post_id).update(comment_count=F("comment_count") - 1)
    comment_ids = [*comments_under, *(c.id for c in own_comments)]
    await Report.filter(content_type=ContentType.POST, content_id__in=post_ids).delete()
    await Report.filter(content_type=ContentType.COMMENT, content_id__in=comment_ids).delete()
    await Comment.filter(id__in=[c.id for c in own_comments]).delete()
    # Comments, reactions and topics under the posts go with them (ON DELETE CASCADE);
    # messages about them lose the link (SET NULL).
    await Post.filter(id__in=post_ids).delete()
    await _recount_reactions(account_id)


async def _recount_reactions(account_id: int) -> None:
    """Their reactions leave the counts of the posts they reacted to."""
    reacted = await Reaction.filter(account_id=account_id).values_list("post_id", flat=True)
    for post_id in reacted:
        await Post.filter(id=post_id).update(reaction_count=F("reaction_count") - 1)
