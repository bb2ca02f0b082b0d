"""Permission classes, named as predicates and declared beside the fields they guard.

Every class is a pure predicate. `requires(...)` puts IsAuthenticated first, so a caller
without an account gets UNAUTHENTICATED and one without the role FORBIDDEN. `content(...)`
uses the same classes with `fail_silently`: a caller who may not read a field gets null or an
empty list, with no error, so a city integration can fetch metadata in one query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
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

    from models.accounts import Account


def _viewer(info: Info) -> Account | None:
    return info.context.viewer


class IsAuthenticated(BasePermission):
    message = tr("Connectez-vous pour continuer.")
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _viewer(info) is not None


class IsResident(BasePermission):
    message = tr("Réservé aux habitants.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return is_resident(_viewer(info))


class IsStaff(BasePermission):
    message = tr("Réservé à l'équipe de modération.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return is_staff(_viewer(info))


class IsCityStaff(BasePermission):
    """The city's communication team. Integrations are read-only: FORBIDDEN here."""

    message = tr("Réservé à l'équipe communication de la ville.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        return viewer is not None and viewer.role is Role.CITY_STAFF


class CanReadCityAggregates(BasePermission):
    """Aggregates and metadata of a city: its staff, its integrations, and moderators."""

    message = tr("Réservé aux comptes de la ville et aux modérateurs.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        return is_city_role(viewer) or is_staff(viewer)


class CanReadResidentContent(BasePermission):
    """What residents wrote and who they are: never for the city's accounts, except on a
    post its author shared with the city (the type then carries `shared_with_city`)."""

    message = tr("Contenu non visible pour les comptes de la ville.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not is_city_role(_viewer(info)) or bool(getattr(source, "shared_with_city", False))


class CanReadPostContent(BasePermission):
    """Title, body, author and comments of a post: its verified neighbours and moderators;
    the city only while the author shares the post with it."""

    message = tr("Contenu non visible pour ce compte.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return can_read_post_content(_viewer(info), source.row)


class CanSeePreciseTimes(BasePermission):
    """A post's `updatedAt` and `version`: not for the city's roles, unless shared."""

    message = tr("Non visible pour les comptes de la ville.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return sees_precise_times(_viewer(info), source.row)


class CanNameCommenter(BasePermission):
    """Who wrote a comment: the city's roles only when it is the post's author (the comment
    carries its post as `post`)."""

    message = tr("Auteur non visible pour les comptes de la ville.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        if source.post is None:
            return not is_city_role(viewer)
        return can_name_writer(viewer, source.post, source.row.author_id)


class IsVerifiedNeighbourOrStaff(BasePermission):
    """A neighbourhood's own verified residents, and moderators. Search is never for city
    roles (it would reveal content by probing) nor for unverified accounts."""

    message = tr("Réservé aux habitants vérifiés du quartier.")
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        return is_staff(viewer) or is_verified_resident_of(viewer, source.row.id)


class CanSeeAttendees(BasePermission):
    """An event's attendees see each other's names, and so do its organiser and moderators."""

    message = tr("Visible des participants à l'événement.")

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        if viewer is None:
            return False
        row = source.row
        if is_staff(viewer) or row.author_id == viewer.id:
            return True
        return bool(await info.context.loaders.viewer_attends.load(row.id))


class CanReadNeighbourhoodPosts(BasePermission):
    """The feed of a neighbourhood: its verified residents, its city's accounts, moderators."""

    message = tr("Fil non visible pour ce compte.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return can_read_feed(_viewer(info), source.row)


class CanSeeConsultationResults(BasePermission):
    """City roles and moderators; residents once the consultation has closed."""

    message = tr("Résultats visibles à la clôture.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        if viewer is None:
            return False
        if not is_resident(viewer):
            return True
        closes_at = source.row.closes_at
        return closes_at is not None and closes_at <= now()


class IsAuthorOrStaff(BasePermission):
    """Moderation notes on content: its author and moderators."""

    message = tr("Réservé à l'auteur et aux modérateurs.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        if viewer is None:
            return False
        row = source.row
        author = row.sender_id if hasattr(row, "sender_id") else row.author_id
        return is_staff(viewer) or author == viewer.id


def requires(*permissions: type[BasePermission]) -> list[FieldExtension]:
    """Extensions for a field only some callers may use at all: errors, no silence."""
    checks = [IsAuthenticated(), *(p() for p in permissions if p is not IsAuthenticated)]
    return [PermissionExtension(permissions=checks, use_directives=False)]


class _HiddenAs(PermissionExtension):
    """Fails silently with a value of the field's own type (an empty connection, say)."""

    def __init__(self, permissions: list[BasePermission], hidden: Callable[[], Any]) -> None:
        super().__init__(permissions=permissions, fail_silently=True, use_directives=False)
        self.hidden = hidden

    def _on_unauthorized(self, permission: BasePermission) -> Any:
        return self.hidden()


def content(
    *permissions: type[BasePermission], hidden: Callable[[], Any] | None = None
) -> list[FieldExtension]:
    """Extensions for a content field: hidden without an error: null, an empty list, or what
    `hidden` makes (an empty connection, where the contract promises one)."""
    checks = [p() for p in permissions]
    if hidden is not None:
        return [_HiddenAs(checks, hidden)]
    return [PermissionExtension(permissions=checks, fail_silently=True, use_directives=False)]
