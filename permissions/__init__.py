"""Roles and the Strawberry permission classes that say who may see and do what."""

from permissions.classes import (
    CanReadNeighbourhoodPosts,
    CanReadPostContent,
    IsAuthenticated,
    IsNotCityRole,
    IsResident,
    IsStaff,
    content,
    requires,
)
from permissions.roles import CITY_ROLES, STAFF_ROLES, Role

__all__ = [
    "CITY_ROLES",
    "STAFF_ROLES",
    "CanReadNeighbourhoodPosts",
    "CanReadPostContent",
    "IsAuthenticated",
    "IsNotCityRole",
    "IsResident",
    "IsStaff",
    "Role",
    "content",
    "requires",
]
