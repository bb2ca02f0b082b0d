"""Streets, neighbourhoods and their activation."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.timezone import now

from models.accounts import Account, Role
from models.community import Topic
from models.geography import City, Neighbourhood, Street, fold
from permissions.errors import BadInput, Unauthenticated
from permissions.roles import is_staff
from permissions.text import tr
from permissions.visibility import can_view_neighbourhood, sees_exact_progress
from resolvers import small_counts
from resolvers.context import Context
from resolvers.ids import decode_id
from resolvers.pagination import Order, Page, keyset_page
from resolvers.validation import has_control_characters

BY_NAME = Order("search_name", kind=str, descending=False)


async def search_streets(search: str, first: int | None, after: str | None) -> Page[Street]:
    if has_control_characters(search):
        raise BadInput(tr("La recherche contient des caractères interdits."))
    folded = " ".join(fold(search).split())
    if len(folded) < 2:
        raise BadInput(tr("La recherche doit compter au moins 2 caractères."))
    if len(folded) > 100:
        raise BadInput(tr("La recherche compte 100 caractères au maximum."))
    # Tortoise escapes LIKE wildcards: "%" typed by the user matches a literal "%".
    qs = Street.filter(search_name__contains=folded)
    return await keyset_page(qs, first, after, BY_NAME)


async def neighbourhood(ctx: Context, raw_id: str) -> Neighbourhood | None:
    """The neighbourhood if the caller may see it; None alike for unknown and out of reach."""
    if ctx.viewer is None:
        raise Unauthenticated()
    pk = decode_id(raw_id, "Neighbourhood")
    if pk is None:
        return None
    row = await ctx.loaders.neighbourhood.load(pk)
    if row is None or not can_view_neighbourhood(ctx.viewer, row):
        return None
    return row


@dataclass(frozen=True)
class Progress:
    """Registered and verified residents of a neighbourhood, None where suppressed."""

    registered: int | None
    verified: int | None


async def progress(ctx: Context, neighbourhood: Neighbourhood, home: bool = False) -> Progress:
    """Exact for the neighbourhood's own residents (verified or not: it is their progress to
    activation; `home`: reached through their own account) and for moderators; for everyone
    else, small counts are suppressed."""
    registered, verified = await ctx.loaders.resident_counts.load(neighbourhood.id)
    if home or sees_exact_progress(ctx.viewer, neighbourhood.id):
        return Progress(registered, verified)
    threshold = ctx.settings.suppression_threshold
    return Progress(*small_counts.resident_figures(registered, verified, threshold))


async def verified_count(neighbourhood_id: int) -> int:
    return await Account.filter(
        neighbourhood_id=neighbourhood_id, role=Role.RESIDENT, verified_at__isnull=False
    ).count()


async def refresh_activation(neighbourhood: Neighbourhood) -> bool:
    """Activate the neighbourhood once its verified residents reach its threshold. An active
    neighbourhood stays active. Call inside the transaction that verified someone."""
    if neighbourhood.activated_at is not None:
        return True
    if await verified_count(neighbourhood.id) < neighbourhood.activation_threshold:
        return False
    neighbourhood.activated_at = now()
    await Neighbourhood.filter(id=neighbourhood.id, activated_at=None).update(
        activated_at=neighbourhood.activated_at
    )
    return True


async def topics(ctx: Context) -> list[Topic]:
    viewer = ctx.viewer
    if viewer is None:
        raise Unauthenticated()
    if viewer.city_id is None:
        return []
    rows = await Topic.filter(city_id=viewer.city_id)
    # Sorted here: "Événements" belongs beside "Environnement" whatever the database collation.
    return sorted(rows, key=lambda t: fold(t.label))


async def city(ctx: Context, raw_id: str | None) -> City | None:
    """The caller's city. Moderators, who belong to none, name one, or get the only one."""
    viewer = ctx.viewer
    assert viewer is not None
    if not is_staff(viewer):
        if raw_id is not None and decode_id(raw_id, "City") != viewer.city_id:
            return None
        return await ctx.loaders.city.load(viewer.city_id) if viewer.city_id else None
    if raw_id is not None:
        pk = decode_id(raw_id, "City")
        return await ctx.loaders.city.load(pk) if pk else None
    cities = await City.all().limit(2)
    return cities[0] if len(cities) == 1 else None


async def city_neighbourhoods(city_id: int) -> list[Neighbourhood]:
    rows = await Neighbourhood.filter(city_id=city_id)
    return sorted(rows, key=lambda n: fold(n.name))
