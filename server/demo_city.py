"""The demo's city side and moderation queue: what La Louvière has said and asked, and a
post neighbours reported, so each kind of user finds something on first sign-in."""

from __future__ import annotations

from datetime import timedelta

from tortoise.timezone import now

from models.accounts import Account, Role
from models.city import AnnouncementKind, TargetScope
from models.community import Post
from models.geography import City, Neighbourhood
from models.moderation import ContentType, Report, ReportReason
from resolvers.announcements import ConsultationDraft, publish
from resolvers.context import Context
from resolvers.ids import to_global_id
from resolvers.loaders import Loaders
from resolvers.validation import Checks
from server.settings import Settings

WORKS = (
    "Travaux de voirie rue Sylvain Guyaux",
    "La rue sera fermée à la circulation du 2 au 6 décembre entre 7 h et 17 h. "
    "Les riverains garderont l'accès à leur garage.",
)
CONSULTATION = (
    "Une zone 30 autour de l'école communale ?",
    "La Ville envisage de limiter la vitesse à 30 km/h autour de l'école. Donnez votre avis "
    "avant la fin du mois.",
    "Êtes-vous favorable à une zone 30 autour de l'école ?",
    ["Oui", "Non", "Sans avis"],
)


async def seed_city_side(city: City) -> None:
    staff = await Account.get(city=city, role=Role.CITY_STAFF)
    ctx = Context(viewer=staff, token=None, loaders=Loaders(staff), settings=Settings())
    centre = await Neighbourhood.filter(city=city).order_by("id").first()
    assert centre is not None
    await publish(
        ctx,
        kind=AnnouncementKind.WORKS,
        title=WORKS[0],
        body=WORKS[1],
        scope=TargetScope.CITY,
        neighbourhood_ids=None,
        street_ids=None,
        consultation=None,
        checks=Checks(),
    )
    title, body, question, options = CONSULTATION
    await publish(
        ctx,
        kind=AnnouncementKind.CONSULTATION,
        title=title,
        body=body,
        scope=TargetScope.NEIGHBOURHOODS,
        neighbourhood_ids=[to_global_id("Neighbourhood", centre.id)],
        street_ids=None,
        consultation=ConsultationDraft(question, options, now() + timedelta(days=20)),
        checks=Checks(),
    )


async def seed_reports(city: City) -> None:
    """Two neighbours report the most recent post of the first neighbourhood: below the
    auto-hide threshold, it waits in the moderators' queue."""
    post = await Post.filter(neighbourhood__city=city).order_by("-created_at").first()
    if post is None:
        return
    reporters = (
        await Account.filter(
            neighbourhood_id=post.neighbourhood_id, role=Role.RESIDENT, verified_at__isnull=False
        )
        .exclude(id=post.author_id)
        .limit(2)
    )
    await Report.bulk_create(
        [
            Report(
                reporter=reporter,
                content_type=ContentType.POST,
                content_id=post.id,
                reason=ReportReason.SPAM,
                note="Publicité déguisée ?" if i == 0 else None,
                created_at=now(),
            )
            for i, reporter in enumerate(reporters)
        ]
    )
