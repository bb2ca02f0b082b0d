"""GDPR export: everything the platform holds about one account, as one JSON document, written
piece by piece. Rows are read in pages of `PAGE` by primary key and each row is encoded and
handed on before the next page is read: memory stays flat whatever the account holds (an
account with 10,000 posts streams as one with ten; bench/export.py measures it).

What it holds: the account and its address; verification letters; sign-in tokens (when, not
their hashes, which are no use to anyone but a thief); posts and comments (deleted ones as
empty rows with their deletion date: their words are gone); reactions; every message of the
account's conversations, both sides; reports the account made; consultation answers;
notifications; e-mails queued or sent to it, e-mail tokens (not their hashes) and
preferences; moderation actions about the account and by it; appeals; announcements it
published for a city; the events it organised (date, place) and those it attends; its photos,
each with its display-size image inline (base64 JPEG, the only size kept besides the
thumbnail; the original is never stored), read one at a time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.timezone import now

from models.accounts import Account, AuthToken, VerificationLetter
from models.city import Announcement, ConsultationAnswer, Notification
from models.community import Comment, Post, Reaction
from models.events import Event, EventAttendee
from models.geography import Neighbourhood, Street
from models.mail import AccountToken, NotificationPreference, OutboxMessage
from models.media import Photo
from models.messaging import ConversationParticipant, Message
from models.moderation import Appeal, ModerationAction, Report
from resolvers.erasure import display_name
from resolvers.media import MediaStore, file_key

PAGE = 500
FORMAT = "quartier-export/1"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def encode(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


async def _pages(qs: QuerySet[Any], fields: tuple[str, ...]) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows of `qs`, a page at a time, by id: never more than a page in memory."""
    last = 0
    while True:
        page = await qs.filter(id__gt=last).order_by("id").limit(PAGE).values("id", *fields)
        if page:
            yield page
        if len(page) < PAGE:
            return
        last = page[-1]["id"]


Section = tuple[str, Callable[[int], QuerySet[Any]], tuple[str, ...]]

SECTIONS: list[Section] = [
    (
        "verificationLetters",
        lambda pk: VerificationLetter.filter(account_id=pk),
        ("code", "status", "failed_attempts", "created_at", "used_at"),
    ),
    (
        "tokens",
        lambda pk: AuthToken.filter(account_id=pk),
        ("name", "created_at", "expires_at", "revoked_at"),
    ),
    (
        "posts",
        lambda pk: Post.filter(author_id=pk),
        (
            "neighbourhood_id",
            "kind",
            "title",
            "body",
            "share_with_city",
            "version",
            "comment_count",
            "reaction_count",
            "created_at",
            "updated_at",
            "deleted_at",
            "hidden_at",
            "hidden_reason",
        ),
    ),
    (
        "comments",
        lambda pk: Comment.filter(author_id=pk),
        ("post_id", "body", "created_at", "deleted_at", "hidden_at", "hidden_reason"),
    ),
    ("reactions", lambda pk: Reaction.filter(account_id=pk), ("post_id", "created_at")),
    (
        "messages",
        lambda pk: Message.filter(conversation__participants__account_id=pk),
        (
            "conversation_id",
            "sender_id",
            "about_post_id",
            "body",
            "created_at",
            "hidden_at",
            "hidden_reason",
        ),
    ),
    (
        "reportsMade",
        lambda pk: Report.filter(reporter_id=pk),
        ("content_type", "content_id", "reason", "note", "status", "created_at"),
    ),
    (
        "consultationAnswers",
        lambda pk: ConsultationAnswer.filter(account_id=pk),
        ("consultation_id", "option_id", "neighbourhood_id", "answered_at"),
    ),
    (
        "notifications",
        lambda pk: Notification.filter(account_id=pk),
        ("kind", "announcement_id", "moderation_action_id", "created_at", "read_at"),
    ),
    (
        "moderationActionsAboutMe",
        lambda pk: ModerationAction.filter(affected_account_id=pk),
        ("kind", "subject_type", "subject_id", "reason", "until", "created_at"),
    ),
    (
        "moderationActionsTaken",
        lambda pk: ModerationAction.filter(moderator_id=pk),
        ("kind", "subject_type", "subject_id", "reason", "until", "created_at"),
    ),
    (
        "appeals",
        lambda pk: Appeal.filter(account_id=pk),
        ("action_id", "message", "status", "created_at", "decided_at"),
    ),
    (
        "emailPreferences",
        lambda pk: NotificationPreference.filter(account_id=pk),
        ("kind", "email"),
    ),
    (
        "emailTokens",
        lambda pk: AccountToken.filter(account_id=pk),
        ("purpose", "email", "created_at", "expires_at", "used_at"),
    ),
    (
        "emails",
        lambda pk: OutboxMessage.filter(account_id=pk),
        ("kind", "to_address", "language", "announcement_id", "status", "created_at", "sent_at"),
    ),
    (
        "events",
        lambda pk: Event.filter(post__author_id=pk),
        ("post_id", "starts_at", "ends_at", "place", "street_id", "attendee_count"),
    ),
    (
        "eventsAttended",
        lambda pk: EventAttendee.filter(account_id=pk),
        ("event_id", "event__post_id", "created_at"),
    ),
    (
        "announcementsPublished",
        lambda pk: Announcement.filter(author_id=pk),
        ("kind", "title", "body", "scope", "published_at"),
    ),
]


async def _account(account: Account) -> dict[str, Any]:
    street = await Street.get_or_none(id=account.street_id) if account.street_id else None
    hood = (
        await Neighbourhood.get_or_none(id=account.neighbourhood_id)
        if account.neighbourhood_id
        else None
    )
    return {
        "id": account.id,
        "email": account.email,
        "displayName": account.display_name,
        "role": account.role.value,
        "address": {
            "street": street.name if street else None,
            "postalCode": street.postal_code if street else None,
            "houseNumber": account.house_number,
            "neighbourhood": hood.name if hood else None,
        },
        "language": account.language,
        "emailConfirmedAt": account.email_confirmed_at,
        "createdAt": account.created_at,
        "verifiedAt": account.verified_at,
        "suspendedAt": account.suspended_at,
        "suspendedUntil": account.suspended_until,
    }


async def _partners(account_id: int) -> list[dict[str, Any]]:
    """Who the account's conversations are with: the names it sees in them."""
    mine = ConversationParticipant.filter(account_id=account_id).values_list(
        "conversation_id", flat=True
    )
    others = (
        await ConversationParticipant.filter(conversation_id__in=await mine)
        .exclude(account_id=account_id)
        .select_related("account")
    )
    return [{"conversationId": p.conversation_id, "with": display_name(p.account)} for p in others]


PHOTO_FIELDS = ("post_id", "message_id", "position", "width", "height", "created_at", "deleted_at")


async def _photos(account_id: int, store: MediaStore | None) -> AsyncIterator[str]:
    """The account's photos, each with its display image when a store is given: one image in
    memory at a time, however many there are."""
    separator = ""
    qs = Photo.filter(owner_id=account_id)
    async for page in _pages(qs, (*PHOTO_FIELDS, "storage_key")):
        for row in page:
            key = row.pop("storage_key")
            data = await store.get(file_key(key, "display")) if store is not None else None
            row["displayJpegBase64"] = base64.b64encode(data).decode() if data else None
            yield separator + encode(row)
            separator = ", "


async def chunks(account: Account, store: MediaStore | None = None) -> AsyncIterator[str]:
    """The document, in pieces whose concatenation is one JSON object. With `store`, each
    photo carries its image; without (no media store configured), its metadata only."""
    yield '{"format": ' + encode(FORMAT) + ', "exportedAt": ' + encode(now())
    yield ', "account": ' + encode(await _account(account))
    yield ', "conversations": ' + encode(await _partners(account.id))
    for name, query, fields in SECTIONS:
        yield f', "{name}": ['
        separator = ""
        async for page in _pages(query(account.id), fields):
            yield separator + ", ".join(encode(row) for row in page)
            separator = ", "
        yield "]"
    yield ', "photos": ['
    async for piece in _photos(account.id, store):
        yield piece
    yield "]"
    yield "}\n"
