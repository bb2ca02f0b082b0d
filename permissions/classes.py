"""Permission classes, named as predicates and declared beside the fields they guard.

Every class is a pure predicate on the caller and the parent object, asking the rules of
permissions/visibility.py, and says in `description` who passes it: permissions/extensions.py
puts that text in the description of every field the class guards, so the SDL states the rule
from the same declaration that enforces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from strawberry.permission import BasePermission
from tortoise.timezone import now

from permissions.roles import Role, is_city_role, is_resident, is_staff
from permissions.text import tr
from permissions.visibility import (
    can_name_writer,
    can_read_feed,
    can_read_post_content,
    is_verified_resident_of,
    sees_precise_times,
)

if TYPE_CHECKING:
    from strawberry.types import Info


class Permission(BasePermission):
    """A permission class that says who passes it, in English, for the SDL.

    `per_object`: its answer depends on the caller and the parent object alone (not on the
    field, its arguments or any state of its own), so the fast path asks it once per object
    for all the fields that carry it (schema/compiled/codegen.py). A class that reads more
    sets it to False."""

    description: ClassVar[str]
    per_object: ClassVar[bool] = True


class IsAuthenticated(Permission):
    description = "any signed-in account"
    message = tr("Connectez-vous pour continuer.")
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.viewer is not None


class IsResident(Permission):
    description = "residents"
    message = tr("Réservé aux habitants.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return is_resident(info.context.viewer)


class IsStaff(Permission):
    description = "moderators and administrators"
    message = tr("Réservé à l'équipe de modération.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return is_staff(info.context.viewer)


class IsCityStaff(Permission):
    """Integrations are read-only: FORBIDDEN here."""

    description = "the city's communication team (CITY_STAFF)"
    message = tr("Réservé à l'équipe communication de la ville.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.role is Role.CITY_STAFF


class CanReadCityAggregates(Permission):
    """Aggregates and metadata of a city."""

    description = "the city's accounts (CITY_STAFF, CITY_INTEGRATION) and moderators"
    message = tr("Réservé aux comptes de la ville et aux modérateurs.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return is_city_role(viewer) or is_staff(viewer)


class CanReadResidentContent(Permission):
    """What residents wrote and who they are. The type carries `shared_with_city` when it was
    reached under a post its author shares with the city."""

    description = (
        "everyone who holds it but the city's accounts, who read it only under a post its "
        "author shares with the city"
    )
    message = tr("Contenu non visible pour les comptes de la ville.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not is_city_role(info.context.viewer) or bool(
            getattr(source, "shared_with_city", False)
        )


class CanReadPostContent(Permission):
    description = (
        "the post's verified neighbours and moderators; the city's accounts only while "
        "its author shares the post with the city"
    )
    message = tr("Contenu non visible pour ce compte.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return can_read_post_content(info.context.viewer, source.row)


class CanSeePreciseTimes(Permission):
    """A post's `updatedAt` and `version` (its `createdAt` shows the city the day alone)."""

    description = (
        "everyone who holds the post but the city's accounts, who read it only while its "
        "author shares the post with the city"
    )
    message = tr("Non visible pour les comptes de la ville.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return sees_precise_times(info.context.viewer, source.row)


class CanNameCommenter(Permission):
    """Who wrote a comment (the comment carries its post as `post`): the post's author is
    the one person who consented to being named to the city."""

    description = "for the city's accounts, only when the commenter is the post's author"
    message = tr("Auteur non visible pour les comptes de la ville.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if source.post is None:
            return not is_city_role(viewer)
        return can_name_writer(viewer, source.post, source.row.author_id)


class IsVerifiedNeighbourOrStaff(Permission):
    """Search is never for city roles: it would reveal content by probing."""

    description = "the neighbourhood's verified residents and moderators"
    message = tr("Réservé aux habitants vérifiés du quartier.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return is_staff(viewer) or is_verified_resident_of(viewer, source.row.id)


class CanSeeAttendees(Permission):
    description = "the event's attendees, its organiser and moderators"
    message = tr("Visible des participants à l'événement.")

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            return False
        row = source.row
        if is_staff(viewer) or row.author_id == viewer.id:
            return True
        return bool(await info.context.loaders.viewer_attends.load(row.id))


class CanReadNeighbourhoodPosts(Permission):
    description = "the neighbourhood's verified residents, its city's accounts and moderators"
    message = tr("Fil non visible pour ce compte.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return can_read_feed(info.context.viewer, source.row)


class CanSeeConsultationResults(Permission):
    description = "the city's accounts and moderators; residents once the consultation has closed"
    message = tr("Résultats visibles à la clôture.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            return False
        if not is_resident(viewer):
            return True
        closes_at = source.row.closes_at
        return closes_at is not None and closes_at <= now()


class IsAuthorOrStaff(Permission):
    """Moderation notes on content."""

    description = "its author and moderators"
    message = tr("Réservé à l'auteur et aux modérateurs.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            return False
        row = source.row
        author = row.sender_id if hasattr(row, "sender_id") else row.author_id
        return is_staff(viewer) or author == viewer.id
