"""Events: a post of kind EVENT with a date, a place and the neighbours who come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.timezone import now

from models.accounts import Account
from models.city import Notification, NotificationKind
from models.community import Post, PostKind
from models.events import Event, EventAttendee
from models.geography import Neighbourhood, Street
from models.mail import MailKind
from permissions.text import tr
from resolvers import outbox
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.pagination import Order, Page, keyset_page
from resolvers.validation import Checks

PLACE_MAX = 200
LONGEST = timedelta(days=366)
BY_START = Order("starts_at", descending=False, tie="post_id")


@dataclass(frozen=True)
class EventDetails:
    """What createPost and editPost were given about an event; None: not given."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    street_id: str | None = None

    @property
    def given(self) -> bool:
        return any(
            v is not None for v in (self.starts_at, self.ends_at, self.place, self.street_id)
        )


async def checked(
    checks: Checks,
    viewer: Account,
    kind: PostKind,
    details: EventDetails,
    current: Event | None = None,
) -> dict[str, Any] | None:
    """The event's columns to write, once checked; None for a post that is not an event.
    On an edit, `current` holds what the details leave unchanged."""
    if kind is not PostKind.EVENT:
        if details.given:
            checks.add(
                "kind", ErrorCode.NOT_AN_EVENT, tr("Seul un événement a une date et un lieu.")
            )
        return None
    starts_at = details.starts_at or (current.starts_at if current else None)
    ends_at = details.ends_at or (current.ends_at if current else None)
    values: dict[str, Any] = {"starts_at": starts_at, "ends_at": ends_at}
    if starts_at is None:
        checks.add("startsAt", ErrorCode.REQUIRED, tr("Indiquez quand l'événement commence."))
    elif ends_at is not None and ends_at <= starts_at:
        checks.add("endsAt", ErrorCode.EVENT_ENDS_BEFORE_START, tr("La fin doit suivre le début."))
    elif ends_at is not None and ends_at - starts_at > LONGEST:
        checks.add("endsAt", ErrorCode.EVENT_TOO_LONG, tr("Un événement dure au plus un an."))
    elif (details.starts_at or details.ends_at) and (ends_at or starts_at) <= now():
        checks.add("startsAt", ErrorCode.EVENT_OVER, tr("Cet événement est déjà passé."))
    if details.place is not None or current is None:
        values["place"] = checks.text("place", details.place or "", max_length=PLACE_MAX)
    if details.street_id is not None:
        values["street_id"] = await _street(checks, viewer, details.street_id)
    return values


async def _street(checks: Checks, viewer: Account, raw_id: str) -> int | None:
    pk = checks.global_id("placeStreetId", raw_id, "Street")
    if not pk:
        return None
    if not await Street.exists(id=pk, neighbourhood_id=viewer.neighbourhood_id):
        checks.add("placeStreetId", ErrorCode.NOT_FOUND, tr("Rue introuvable dans votre quartier."))
        return None
    return pk


async def create(post: Post, values: dict[str, Any]) -> None:
    """Inside the caller's transaction."""
    await Event.create(post_id=post.id, neighbourhood_id=post.neighbourhood_id, **values)


async def update(post: Post, values: dict[str, Any]) -> None:
    """Inside the caller's transaction."""
    await Event.filter(post_id=post.id).update(**values)


async def notify_attendees(
    post_id: int, editor_id: int, moment: datetime, *, cancelled: bool = False
) -> None:
    """EVENT_CHANGED for everyone who said they come, but the one who changed it (and an
    e-mail to those who want one); inside the caller's transaction."""
    attendees = (
        await EventAttendee.filter(event__post_id=post_id)
        .exclude(account_id=editor_id)
        .values_list("account_id", flat=True)
    )
    await Notification.bulk_create(
        [
            Notification(
                account_id=account_id,
                kind=NotificationKind.EVENT_CHANGED,
                post_id=post_id,
                created_at=moment,
            )
            for account_id in attendees
        ]
    )
    # Whether it changed or was cancelled; not its title: an e-mail leaves the neighbourhood.
    readers = [int(a) for a in attendees]  # type: ignore[call-overload]
    await outbox.enqueue_notices(MailKind.EVENT_CHANGED, readers, {"cancelled": cancelled})


async def upcoming(
    ctx: Context, neighbourhood: Neighbourhood, first: int | None, after: str | None
) -> Page[Event]:
    """Events of the neighbourhood not yet over, soonest first. Hidden and deleted posts'
    events are left out. No event lasts over a year, which bounds the index range read."""
    moment = now()
    qs = Event.filter(
        Q(ends_at__gte=moment) | Q(ends_at=None, starts_at__gte=moment),
        neighbourhood_id=neighbourhood.id,
        starts_at__gte=moment - LONGEST,
        post__deleted_at=None,
        post__hidden_at=None,
    ).select_related("post")
    return await keyset_page(qs, first, after, BY_START)
