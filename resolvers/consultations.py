"""Consultations: one question, options, answers, and results with small counts suppressed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.city import (
    Announcement,
    AnnouncementNeighbourhood,
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    Notification,
    TargetScope,
)
from models.geography import Neighbourhood, Street
from permissions.text import tr
from permissions.visibility import sees_results_by_neighbourhood
from resolvers import consultation_suppression as suppression
from resolvers.announcements import can_view_announcement
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import decode_id
from resolvers.validation import Checks


def is_closed(consultation: Consultation) -> bool:
    return consultation.closes_at is not None and consultation.closes_at <= now()


async def consultation(ctx: Context, raw_id: str) -> Consultation | None:
    """The consultation if the caller may see its announcement; None alike otherwise."""
    pk = decode_id(raw_id, "Consultation")
    row = await Consultation.get_or_none(id=pk) if pk else None
    if row is None:
        return None
    announcement = await Announcement.get(id=row.announcement_id)
    return row if await can_view_announcement(ctx, announcement) else None


async def answer(ctx: Context, *, consultation_id: str, option_id: str) -> Consultation:
    viewer = await _verified_resident(ctx)
    checks = Checks()
    consultation_pk = checks.global_id("consultationId", consultation_id, "Consultation")
    option_pk = checks.global_id("optionId", option_id, "ConsultationOption")
    checks.raise_if_any()
    row = await Consultation.get_or_none(id=consultation_pk)
    # Only its audience may answer: the residents notified when it was published.
    if row is None or not await Notification.exists(
        account_id=viewer.id, announcement_id=row.announcement_id
    ):
        raise fail("consultationId", ErrorCode.NOT_FOUND, tr("Consultation introuvable."))
    if is_closed(row):
        raise fail(
            "consultationId", ErrorCode.CONSULTATION_CLOSED, tr("Cette consultation est close.")
        )
    if not await ConsultationOption.exists(id=option_pk, consultation_id=row.id):
        raise fail(
            "optionId", ErrorCode.NOT_FOUND, tr("Cette réponse n'appartient pas à la consultation.")
        )
    assert viewer.neighbourhood_id is not None
    values: dict[str, Any] = {
        "option_id": option_pk,
        "answered_at": now(),
        "neighbourhood_id": viewer.neighbourhood_id,
    }
    async with in_transaction():
        updated = await ConsultationAnswer.filter(
            consultation_id=row.id, account_id=viewer.id
        ).update(**values)
        if not updated:
            try:
                async with in_transaction():
                    await ConsultationAnswer.create(
                        consultation_id=row.id, account_id=viewer.id, **values
                    )
            except IntegrityError:
                # The same resident answered twice at once: the later answer wins.
                await ConsultationAnswer.filter(
                    consultation_id=row.id, account_id=viewer.id
                ).update(**values)
    ctx.loaders.consultation_answer.clear(row.id)
    return row


async def _verified_resident(ctx: Context) -> Account:
    viewer = ctx.viewer
    assert viewer is not None
    if not viewer.is_verified:
        raise fail(
            None,
            ErrorCode.NOT_VERIFIED,
            tr("Vérifiez votre adresse avec le code reçu par courrier."),
        )
    return viewer


def sees_table(ctx: Context, row: Consultation) -> bool:
    return sees_results_by_neighbourhood(ctx.viewer, is_closed(row))


@dataclass(frozen=True)
class Figure:
    """A count, or None when it is suppressed."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass
class Results:
    response_count: Figure
    by_option: dict[int, Figure]
    by_neighbourhood: dict[tuple[int, int], Figure]


async def results(ctx: Context, row: Consultation) -> Results:
    """The figures this caller may read (resolvers/consultation_suppression.py): the table and
    its margins once closed or for moderators; while open, the totals alone."""
    loaded = ctx.extra.get(("results", row.id))
    if loaded is not None:
        return loaded
    grouped = (
        await ConsultationAnswer.filter(consultation_id=row.id)
        .annotate(answers=Count("id"))
        .group_by("neighbourhood_id", "option_id")
        .values("neighbourhood_id", "option_id", "answers")
    )
    cells = {(g["neighbourhood_id"], g["option_id"]): g["answers"] for g in grouped}
    options = [o.id for o in await ctx.loaders.consultation_options.load(row.id)]
    threshold = ctx.settings.suppression_threshold
    if sees_table(ctx, row) or is_closed(row):
        hoods = sorted(set(await _targeted_neighbourhoods(row)) | {n for n, _ in cells})
        table = suppression.protect_table(cells, hoods, options, threshold)
        by_place = (
            {key: Figure(v) for key, v in table.cells.items()} if sees_table(ctx, row) else {}
        )
        totals = table.totals
    else:
        totals = suppression.protect_totals(
            {o: sum(v for (_, opt), v in cells.items() if opt == o) for o in options}, threshold
        )
        by_place = {}
    computed = Results(
        Figure(totals.responses), {o: Figure(v) for o, v in totals.by_option.items()}, by_place
    )
    ctx.extra[("results", row.id)] = computed
    return computed


async def _targeted_neighbourhoods(row: Consultation) -> list[int]:
    """Every neighbourhood the consultation was sent to, answers or not: the rows of the
    table do not depend on who answered."""
    announcement = await Announcement.get(id=row.announcement_id)
    if announcement.scope is TargetScope.CITY:
        found = await Neighbourhood.filter(city_id=announcement.city_id).values_list(
            "id", flat=True
        )
    elif announcement.scope is TargetScope.NEIGHBOURHOODS:
        found = await AnnouncementNeighbourhood.filter(announcement_id=announcement.id).values_list(
            "neighbourhood_id", flat=True
        )
    else:
        found = (
            await Street.filter(announcement_targets__announcement_id=announcement.id)
            .distinct()
            .values_list("neighbourhood_id", flat=True)
        )
    return [int(pk) for pk in found]  # type: ignore[call-overload]


def neighbourhoods_of(cells: dict[tuple[int, int], Figure]) -> list[int]:
    by_neighbourhood: dict[int, int] = defaultdict(int)
    for neighbourhood_id, _ in cells:
        by_neighbourhood[neighbourhood_id] += 1
    return sorted(by_neighbourhood)
