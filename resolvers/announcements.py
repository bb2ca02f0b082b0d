"""The city talks to residents: targets, audiences, publication and its fan-out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, Role
from models.city import (
    Announcement,
    AnnouncementKind,
    AnnouncementNeighbourhood,
    AnnouncementStreet,
    Consultation,
    ConsultationOption,
    Notification,
    NotificationKind,
    TargetScope,
)
from models.geography import Neighbourhood, Street
from permissions.errors import BadInput
from permissions.roles import is_resident
from permissions.text import tr
from permissions.visibility import can_view_announcement as visible
from permissions.visibility import is_verified_resident
from resolvers import outbox, small_counts
from resolvers.broadcast import AnnouncementPublished
from resolvers.context import Context
from resolvers.errors import ErrorCode, UserErrors
from resolvers.pagination import Order, Page, keyset_page
from resolvers.sql import Params, connection
from resolvers.validation import Checks

TITLE_MAX = 200
BODY_MAX = 10_000
QUESTION_MAX = 300
OPTION_MAX = 200
OPTIONS_MIN, OPTIONS_MAX = 2, 10
TARGETS_MAX = 500
NEWEST_PUBLISHED = Order("published_at")


@dataclass
class Target:
    scope: TargetScope
    neighbourhood_ids: list[int] = field(default_factory=list)
    street_ids: list[int] = field(default_factory=list)


def _city_of(ctx: Context) -> int:
    viewer = ctx.viewer
    assert viewer is not None
    if viewer.city_id is None:
        raise BadInput(tr("Ce compte n'est rattaché à aucune ville."))
    return viewer.city_id


async def _ids_in_city(
    checks: Checks, field_name: str, raw_ids: Sequence[str], type_name: str, city_id: int
) -> list[int]:
    if len(raw_ids) > TARGETS_MAX:
        checks.add(
            field_name,
            ErrorCode.TOO_MANY_TARGETS,
            tr("{targets_max} cibles au maximum.", targets_max=TARGETS_MAX),
        )
        return []
    wanted = list(dict.fromkeys(checks.global_id(field_name, raw, type_name) for raw in raw_ids))
    if 0 in wanted:
        return []
    if type_name == "Neighbourhood":
        found = set(
            await Neighbourhood.filter(id__in=wanted, city_id=city_id).values_list("id", flat=True)
        )
    else:
        found = set(
            await Street.filter(id__in=wanted, neighbourhood__city_id=city_id).values_list(
                "id", flat=True
            )
        )
    if len(found) != len(wanted):
        # Another city's places answer like places that do not exist.
        checks.add(field_name, ErrorCode.NOT_FOUND, tr("Cible introuvable dans votre ville."))
    return wanted


async def resolve_target(
    ctx: Context,
    checks: Checks,
    scope: TargetScope,
    neighbourhood_ids: Sequence[str] | None,
    street_ids: Sequence[str] | None,
) -> Target:
    city_id = _city_of(ctx)
    target = Target(scope)
    n_field, s_field = "target.neighbourhoodIds", "target.streetIds"
    if scope is TargetScope.CITY:
        if neighbourhood_ids or street_ids:
            checks.add(
                "target",
                ErrorCode.INVALID_TARGET,
                tr("Une cible « ville » ne liste ni quartier ni rue."),
            )
    elif scope is TargetScope.NEIGHBOURHOODS:
        if street_ids:
            checks.add(
                s_field,
                ErrorCode.INVALID_TARGET,
                tr("Une cible « quartiers » ne liste pas de rues."),
            )
        if not neighbourhood_ids:
            checks.add(n_field, ErrorCode.EMPTY_TARGET, tr("Choisissez au moins un quartier."))
        else:
            ids = await _ids_in_city(checks, n_field, neighbourhood_ids, "Neighbourhood", city_id)
            target.neighbourhood_ids = ids
    else:
        if neighbourhood_ids:
            checks.add(
                n_field,
                ErrorCode.INVALID_TARGET,
                tr("Une cible « rues » ne liste pas de quartiers."),
            )
        if not street_ids:
            checks.add(s_field, ErrorCode.EMPTY_TARGET, tr("Choisissez au moins une rue."))
        else:
            target.street_ids = await _ids_in_city(checks, s_field, street_ids, "Street", city_id)
    return target


def audience(city_id: int, target: Target) -> QuerySet[Account]:
    """Verified residents living in the target, now."""
    qs = Account.filter(role=Role.RESIDENT, verified_at__isnull=False, city_id=city_id)
    if target.scope is TargetScope.NEIGHBOURHOODS:
        qs = qs.filter(neighbourhood_id__in=target.neighbourhood_ids)
    elif target.scope is TargetScope.STREETS:
        qs = qs.filter(street_id__in=target.street_ids)
    return qs


async def audience_count(
    ctx: Context,
    scope: TargetScope,
    neighbourhood_ids: Sequence[str] | None,
    street_ids: Sequence[str] | None,
) -> int | None:
    """The draft's audience, or None where the figure would single residents out."""
    checks = Checks()
    target = await resolve_target(ctx, checks, scope, neighbourhood_ids, street_ids)
    try:
        checks.raise_if_any()
    except UserErrors as error:
        # One message keeps its translation; several are joined in French.
        messages = [e.message for e in error.errors]
        raise BadInput(messages[0] if len(messages) == 1 else " ".join(messages)) from None
    return await audience_figure(_city_of(ctx), target, ctx.settings.suppression_threshold)


async def audience_figure(city_id: int, target: Target, threshold: int) -> int | None:
    """resolvers/small_counts.py's rule over the city's verified residents per street, now."""
    rows = (
        await Account.filter(role=Role.RESIDENT, verified_at__isnull=False, city_id=city_id)
        .annotate(n=Count("id"))
        .group_by("neighbourhood_id", "street_id")
        .values_list("neighbourhood_id", "street_id", "n")
    )
    residents = small_counts.CityResidents({(r[0], r[1]): r[2] for r in rows})
    homes = dict(
        await Street.filter(id__in=target.street_ids).values_list("id", "neighbourhood_id")
    )
    return small_counts.audience_figure(
        target.scope, target.neighbourhood_ids, target.street_ids, residents, threshold, homes
    )


@dataclass
class ConsultationDraft:
    question: str
    options: list[str]
    closes_at: datetime | None


def check_consultation(
    checks: Checks, question: str, options: list[str], closes_at: datetime | None
) -> ConsultationDraft:
    question = checks.text("consultation.question", question, max_length=QUESTION_MAX)
    labels = [
        checks.text("consultation.options", label, max_length=OPTION_MAX) for label in options
    ]
    if len(labels) < OPTIONS_MIN:
        checks.add(
            "consultation.options", ErrorCode.TOO_FEW_OPTIONS, tr("Proposez au moins 2 réponses.")
        )
    elif len(labels) > OPTIONS_MAX:
        checks.add(
            "consultation.options",
            ErrorCode.TOO_MANY_OPTIONS,
            tr("{options_max} réponses au maximum.", options_max=OPTIONS_MAX),
        )
    elif len({label.casefold() for label in labels}) != len(labels):
        checks.add(
            "consultation.options", ErrorCode.DUPLICATE_OPTION, tr("Deux réponses sont identiques.")
        )
    if closes_at is not None and closes_at <= now():
        checks.add(
            "consultation.closesAt", ErrorCode.CLOSES_IN_PAST, tr("La date de clôture est passée.")
        )
    return ConsultationDraft(question, labels, closes_at)


async def publish(
    ctx: Context,
    *,
    kind: AnnouncementKind,
    title: str,
    body: str,
    scope: TargetScope,
    neighbourhood_ids: Sequence[str] | None,
    street_ids: Sequence[str] | None,
    consultation: ConsultationDraft | None,
    checks: Checks,
) -> Announcement:
    viewer = ctx.viewer
    assert viewer is not None
    city_id = _city_of(ctx)
    title = checks.text("title", title, max_length=TITLE_MAX)
    body = checks.text("body", body, max_length=BODY_MAX, multiline=True)
    target = await resolve_target(ctx, checks, scope, neighbourhood_ids, street_ids)
    checks.raise_if_any()
    async with in_transaction():
        row = await Announcement.create(
            city_id=city_id,
            author_id=viewer.id,
            kind=kind,
            title=title,
            body=body,
            scope=scope,
            published_at=now(),
        )
        await AnnouncementNeighbourhood.bulk_create(
            [
                AnnouncementNeighbourhood(announcement_id=row.id, neighbourhood_id=n)
                for n in target.neighbourhood_ids
            ]
        )
        await AnnouncementStreet.bulk_create(
            [AnnouncementStreet(announcement_id=row.id, street_id=s) for s in target.street_ids]
        )
        if consultation is not None:
            created = await Consultation.create(
                announcement_id=row.id,
                question=consultation.question,
                closes_at=consultation.closes_at,
            )
            await ConsultationOption.bulk_create(
                [
                    ConsultationOption(consultation_id=created.id, label=label, position=i)
                    for i, label in enumerate(consultation.options)
                ]
            )
        row.recipient_count = await _fan_out(row, target)
        await outbox.enqueue_announcement(row)
        shown = await audience_figure(city_id, target, ctx.settings.suppression_threshold)
        row.audience_suppressed = shown is None
        await Announcement.filter(id=row.id).update(
            recipient_count=row.recipient_count, audience_suppressed=row.audience_suppressed
        )
    await ctx.publisher.publish(AnnouncementPublished(row.id, city_id))
    return row


async def _fan_out(row: Announcement, target: Target) -> int:
    """One notification per recipient, in one INSERT ... SELECT inside the caller's
    transaction: the audience is fixed in the same snapshot as the announcement."""
    conn = connection()
    # Placeholders are taken in the order they appear: SQLite's are positional.
    p = Params(conn)
    sql = (
        "INSERT INTO notification (account_id, kind, announcement_id, created_at)"
        f" SELECT a.id, {p(NotificationKind.ANNOUNCEMENT.value)}, ann.id, ann.published_at"
        f" FROM account a JOIN announcement ann ON ann.id = {p(row.id)}"
        f" WHERE a.role = {p(Role.RESIDENT.value)} AND a.verified_at IS NOT NULL"
        " AND a.city_id = ann.city_id"
    )
    if target.scope is TargetScope.NEIGHBOURHOODS:
        sql += (
            " AND a.neighbourhood_id IN (SELECT neighbourhood_id FROM announcement_neighbourhood"
            f" WHERE announcement_id = {p(row.id)})"
        )
    elif target.scope is TargetScope.STREETS:
        sql += (
            " AND a.street_id IN (SELECT street_id FROM announcement_street"
            f" WHERE announcement_id = {p(row.id)})"
        )
    await conn.execute_query(sql, p.values)
    return await Notification.filter(announcement_id=row.id).count()


async def viewer_announcements(
    ctx: Context, first: int | None, after: str | None
) -> Page[Announcement]:
    """The announcements aimed at the signed-in resident, newest first."""
    viewer = ctx.viewer
    if not is_verified_resident(viewer):
        return Page.empty()
    assert viewer is not None
    qs = Announcement.filter(notifications__account_id=viewer.id)
    return await keyset_page(qs, first, after, NEWEST_PUBLISHED)


async def city_announcements(
    ctx: Context, city_id: int, first: int | None, after: str | None
) -> Page[Announcement]:
    return await keyset_page(Announcement.filter(city_id=city_id), first, after, NEWEST_PUBLISHED)


async def can_view_announcement(ctx: Context, row: Announcement) -> bool:
    """`visibility.can_view_announcement`; whether it was sent to a resident is their
    notification."""
    viewer = ctx.viewer
    targeted = is_resident(viewer) and bool(await ctx.loaders.viewer_notified.load(row.id))
    return visible(viewer, row.city_id, targeted)


def recipient_figure(row: Announcement, threshold: int) -> int | None:
    """Recipients as the city may read them: hidden when small, or when the audience was
    hidden at publication."""
    if row.audience_suppressed:
        return None
    return small_counts.shown(row.recipient_count, threshold)


def read_figure(row: Announcement, threshold: int) -> int | None:
    shown = recipient_figure(row, threshold) is not None
    return small_counts.read_figure(shown, row.recipient_count, row.read_count, threshold)
