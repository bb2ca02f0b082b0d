"""The roles an account can hold, and the groups the rules talk about."""

from __future__ import annotations

from models.accounts import Account, Role

CITY_ROLES = frozenset({Role.CITY_STAFF, Role.CITY_INTEGRATION})
STAFF_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})


def is_city_role(viewer: Account | None) -> bool:
    return viewer is not None and viewer.role in CITY_ROLES


def is_staff(viewer: Account | None) -> bool:
    return viewer is not None and viewer.role in STAFF_ROLES


def is_resident(viewer: Account | None) -> bool:
    return viewer is not None and viewer.role is Role.RESIDENT


__all__ = ["CITY_ROLES", "STAFF_ROLES", "Role", "is_city_role", "is_resident", "is_staff"]
