"""The visibility rules of permissions/visibility.py, as predicates on rows (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from models.accounts import Role
from permissions.visibility import (
    HiddenContent,
    can_view_city,
    is_owner_or_staff,
    sees_exact_progress,
    sees_results_by_neighbourhood,
)

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _account(pk: int, role: Role, **values: object) -> Any:
    """An account row as the rules read it: the columns they look at."""
    columns = {"city_id": None, "neighbourhood_id": None, "verified_at": None, "erased_at": None}
    return SimpleNamespace(id=pk, role=role, **{**columns, **values})


RESIDENT = _account(1, Role.RESIDENT, city_id=1, neighbourhood_id=10, verified_at=NOW)
UNVERIFIED = _account(2, Role.RESIDENT, city_id=1, neighbourhood_id=10)
OUTSIDER = _account(3, Role.RESIDENT, city_id=1, neighbourhood_id=11, verified_at=NOW)
CITY_STAFF = _account(4, Role.CITY_STAFF, city_id=1)
INTEGRATION = _account(5, Role.CITY_INTEGRATION, city_id=1)
MODERATOR = _account(6, Role.MODERATOR)
ADMIN = _account(7, Role.ADMIN)
EVERYONE = [None, RESIDENT, UNVERIFIED, OUTSIDER, CITY_STAFF, INTEGRATION, MODERATOR, ADMIN]


def _who(rule) -> list[str]:
    return [v.role.value if v else "ANONYMOUS" for v in EVERYONE if rule(v)]


def test_what_belongs_to_an_account_is_its_own_and_the_moderators():
    assert _who(lambda v: is_owner_or_staff(v, RESIDENT.id)) == ["RESIDENT", "MODERATOR", "ADMIN"]
    assert _who(lambda v: is_owner_or_staff(v, None)) == ["MODERATOR", "ADMIN"]


def test_hidden_content_reads_the_same_rule():
    assert _who(lambda v: HiddenContent(v).sees(OUTSIDER.id)) == ["RESIDENT", "MODERATOR", "ADMIN"]


def test_a_city_is_for_its_own_accounts_and_moderators():
    in_city = ["RESIDENT", "RESIDENT", "RESIDENT", "CITY_STAFF", "CITY_INTEGRATION"]
    assert _who(lambda v: can_view_city(v, 1)) == [*in_city, "MODERATOR", "ADMIN"]
    assert _who(lambda v: can_view_city(v, 2)) == ["MODERATOR", "ADMIN"]


def test_exact_progress_is_for_the_neighbourhoods_residents_verified_or_not_and_moderators():
    assert _who(lambda v: sees_exact_progress(v, 10)) == [
        "RESIDENT",
        "RESIDENT",
        "MODERATOR",
        "ADMIN",
    ]
    assert sees_exact_progress(UNVERIFIED, 10)


def test_results_by_neighbourhood_wait_for_the_close_for_the_city_not_for_moderators():
    assert _who(lambda v: sees_results_by_neighbourhood(v, closed=False)) == ["MODERATOR", "ADMIN"]
    assert _who(lambda v: sees_results_by_neighbourhood(v, closed=True)) == [
        "CITY_STAFF",
        "CITY_INTEGRATION",
        "MODERATOR",
        "ADMIN",
    ]


def test_the_hidden_filter_names_the_relation_it_is_asked_about():
    q = HiddenContent(RESIDENT).q("post__author_id", "post__hidden_at")

    assert q.join_type == "OR"
    assert [c.filters for c in q.children] == [
        {"post__hidden_at": None},
        {"post__author_id": RESIDENT.id},
    ]
