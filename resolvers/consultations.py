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
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    Notification,
)
from permissions.roles import is_resident
from permissions.text import tr
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


def results_visible_to(ctx: Context, row: Consultation) -> bool:
    """City roles and moderators always; residents once it has closed."""
    return not is_resident(ctx.viewer) or is_closed(row)


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


def _small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def suppress_results(
    cells: dict[tuple[int, int], int], option_ids: list[int], threshold: int
) -> Results:
    """Suppress small counts in a table of answers (neighbourhood x option) with its margins.

    Cells (neighbourhood, option) below the threshold are hidden. An option's total is shown
    only if it is not small itself and the hidden cells of that option do not add up to a
    small number (total minus visible cells would reveal it). The response count is shown
    only if what it adds to the visible figures (the hidden cells of hidden totals) is not
    small. Each figure therefore reveals hidden cells only as sums of at least `threshold`.
    """
    by_neighbourhood = {
        key: Figure(None if _small(c, threshold) else c) for key, c in cells.items()
    }
    by_option: dict[int, Figure] = {}
    hidden_remainder = 0
    for option in option_ids:
        option_cells = [(key, c) for key, c in cells.items() if key[1] == option]
        total = sum(c for _, c in option_cells)
        hidden = sum(c for key, c in option_cells if by_neighbourhood[key].suppressed)
        shown = not _small(total, threshold) and not _small(hidden, threshold)
        by_option[option] = Figure(total if shown else None)
        if not shown:
            hidden_remainder += hidden
    responses = sum(cells.values())
    shown = not _small(responses, threshold) and not _small(hidden_remainder, threshold)
    return Results(Figure(responses if shown else None), by_option, by_neighbourhood)


async def results(ctx: Context, row: Consultation) -> Results:
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
    options = await ctx.loaders.consultation_options.load(row.id)
    computed = suppress_results(cells, [o.id for o in options], ctx.settings.suppression_threshold)
    ctx.extra[("results", row.id)] = computed
    return computed


def neighbourhoods_of(cells: dict[tuple[int, int], Figure]) -> list[int]:
    by_neighbourhood: dict[int, int] = defaultdict(int)
    for neighbourhood_id, _ in cells:
        by_neighbourhood[neighbourhood_id] += 1
    return sorted(by_neighbourhood)
