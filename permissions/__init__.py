"""Roles and the Strawberry permission classes that say who may see and do what."""

from permissions.classes import (
    CanNameCommenter,
    CanReadCityAggregates,
    CanReadNeighbourhoodPosts,
    CanReadPostContent,
    CanReadResidentContent,
    CanSeePreciseTimes,
    IsAuthenticated,
    IsAuthorOrStaff,
    IsCityStaff,
    IsResident,
    IsStaff,
)
from permissions.extensions import content, requires
from permissions.roles import CITY_ROLES, STAFF_ROLES, Role

__all__ = [
    "CITY_ROLES",
    "STAFF_ROLES",
    "CanNameCommenter",
    "CanReadCityAggregates",
    "CanReadNeighbourhoodPosts",
    "CanReadPostContent",
    "CanReadResidentContent",
    "CanSeePreciseTimes",
    "IsAuthenticated",
    "IsAuthorOrStaff",
    "IsCityStaff",
    "IsResident",
    "IsStaff",
    "Role",
    "content",
    "requires",
]
