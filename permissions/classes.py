"""Permission classes, named as predicates and declared beside the fields they guard.

Checks on the caller raise coded errors (UNAUTHENTICATED before FORBIDDEN). Checks on
content are used with `fail_silently`: a caller who may not read a field gets null or an
empty list, with no error, so a city integration can fetch metadata in one query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from permissions.errors import Forbidden, Unauthenticated
from permissions.roles import is_city_role, is_resident, is_staff
from permissions.rules import can_view_neighbourhood

if TYPE_CHECKING:
    from strawberry.types import Info

    from models.accounts import Account


def _viewer(info: Info) -> Account | None:
    return info.context.viewer


def _signed_in(info: Info) -> Account:
    viewer = _viewer(info)
    if viewer is None:
        raise Unauthenticated()
    return viewer


class IsAuthenticated(BasePermission):
    message = "Connectez-vous pour continuer."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _viewer(info) is not None


class IsResident(BasePermission):
    message = "Réservé aux habitants."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not is_resident(_signed_in(info)):
            raise Forbidden(self.message)
        return True


class IsStaff(BasePermission):
    message = "Réservé à l'équipe de modération."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not is_staff(_signed_in(info)):
            raise Forbidden(self.message)
        return True


class IsNotCityRole(BasePermission):
    """Content written by residents: never for the city's accounts."""

    message = "Contenu non visible pour les comptes de la ville."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not is_city_role(_viewer(info))


class CanReadPostContent(BasePermission):
    """Title, body, author and comments of a post: its neighbours and moderators; the
    city only when the author shared the post with it."""

    message = "Contenu non visible pour ce compte."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        if viewer is None:
            return False
        row = source.row
        if is_staff(viewer):
            return True
        if is_city_role(viewer):
            return bool(row.share_with_city)
        return viewer.neighbourhood_id == row.neighbourhood_id


class CanReadNeighbourhoodPosts(BasePermission):
    """The feed of a neighbourhood: its residents, its city's accounts, moderators."""

    message = "Fil non visible pour ce compte."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return can_view_neighbourhood(_viewer(info), source.row)


def requires(*permissions: type[BasePermission]) -> list[FieldExtension]:
    """Extensions for a field only some callers may use at all: errors, no silence."""
    return [PermissionExtension(permissions=[p() for p in permissions], use_directives=False)]


def content(*permissions: type[BasePermission]) -> list[FieldExtension]:
    """Extensions for a content field: hidden (null, or empty) without an error."""
    return [
        PermissionExtension(
            permissions=[p() for p in permissions], fail_silently=True, use_directives=False
        )
    ]
