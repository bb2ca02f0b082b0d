"""Who may see what residents wrote: each rule stated once, as a predicate on rows, and where
a query filters by it, as the ORM filter and the SQL that say the same.

The permission classes (permissions/classes.py), the resolvers and their loaders, and the
federation lookups (resolvers/references.py) all ask these functions; none of them spells a
rule out again. The contract's table (shared/contract/README.md) is the source:

- A neighbourhood's name, activity and progress: its residents, verified or not, its city's
  accounts and moderators (`can_view_neighbourhood`).
- What neighbours wrote (the feed, posts, comments, conversations) and the announcements
  aimed at residents: verified residents only. An unverified account has proved no address:
  it reads nothing its would-be neighbours wrote (`is_verified_resident_of`).
- The city's roles read the feed's metadata of their city's neighbourhoods; the content only
  of a post its author shared with the city, and of the comments under it no writer but the
  post's author is named (`can_read_post_content`, `can_name_writer`).
- Hidden content: its author and moderators (`HiddenContent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from permissions.roles import Role, is_city_role, is_staff

if TYPE_CHECKING:
    from models.accounts import Account
    from models.community import Post
    from models.geography import Neighbourhood


def is_verified_resident(viewer: Account | None) -> bool:
    """A resident who typed the code of the letter posted to their address, and has not
    erased their account."""
    return (
        viewer is not None
        and viewer.role is Role.RESIDENT
        and viewer.verified_at is not None
        and viewer.erased_at is None
    )


def is_verified_resident_of(viewer: Account | None, neighbourhood_id: int) -> bool:
    """A verified resident of this neighbourhood: who may read what its residents wrote."""
    return (
        is_verified_resident(viewer)
        and viewer is not None
        and (viewer.neighbourhood_id == neighbourhood_id)
    )


def is_owner_or_staff(viewer: Account | None, owner_id: int | None) -> bool:
    """What belongs to one account (a report, an appeal, hidden content): that account and
    moderators."""
    if viewer is None:
        return False
    return is_staff(viewer) or (owner_id is not None and owner_id == viewer.id)


def can_view_city(viewer: Account | None, city_id: int) -> bool:
    """A city and its taxonomy: its own accounts; moderators, who belong to none, any."""
    return viewer is not None and (is_staff(viewer) or viewer.city_id == city_id)


def can_view_neighbourhood(viewer: Account | None, neighbourhood: Neighbourhood) -> bool:
    """The neighbourhood itself (name, activity, progress): its residents, verified or not,
    its city's accounts, and moderators."""
    if viewer is None:
        return False
    if is_staff(viewer):
        return True
    if is_city_role(viewer):
        return viewer.city_id == neighbourhood.city_id
    return viewer.neighbourhood_id == neighbourhood.id


def sees_exact_progress(viewer: Account | None, neighbourhood_id: int) -> bool:
    """A neighbourhood's registered and verified counts, unsuppressed: its own residents,
    verified or not (it is their progress to activation), and moderators."""
    if viewer is None:
        return False
    if is_staff(viewer):
        return True
    return viewer.role is Role.RESIDENT and viewer.neighbourhood_id == neighbourhood_id


def sees_results_by_neighbourhood(viewer: Account | None, closed: bool) -> bool:
    """A consultation's results per neighbourhood: moderators at any time, the city's roles
    once it has closed (while it is open, one new answer would move a known cell by one)."""
    return is_staff(viewer) or (is_city_role(viewer) and closed)


def can_read_feed(viewer: Account | None, neighbourhood: Neighbourhood) -> bool:
    """Its posts (metadata for the city's roles): its verified residents, its city's
    accounts, and moderators."""
    return reads_feed_of(viewer, neighbourhood.id, neighbourhood.city_id)


def needs_city_of_feed(viewer: Account | None) -> bool:
    """Whether `reads_feed_of` needs the neighbourhood's city for this caller (a query
    spared for everyone else)."""
    return is_city_role(viewer)


def reads_feed_of(viewer: Account | None, neighbourhood_id: int, city_id: int | None) -> bool:
    """`can_read_feed`, from the neighbourhood's ids (its city's is read for city roles
    only)."""
    if viewer is None:
        return False
    if is_staff(viewer):
        return True
    if is_city_role(viewer):
        return city_id is not None and viewer.city_id == city_id
    return is_verified_resident_of(viewer, neighbourhood_id)


def can_view_post(viewer: Account | None, post: Post, city_id: int | None) -> bool:
    """A post (what `post(id)`, `_entities` and the writes that name a post find): not
    deleted, not hidden from this caller, in a feed the caller may read (`city_id`: its
    neighbourhood's city, needed for city roles only)."""
    if viewer is None or post.deleted_at is not None:
        return False
    if post.hidden_at is not None and not HiddenContent(viewer).sees(post.author_id):
        return False
    return reads_feed_of(viewer, post.neighbourhood_id, city_id)


def can_read_post_content(viewer: Account | None, post: Post) -> bool:
    """Title, body, author and comments of a post the caller holds: its verified neighbours
    and moderators; the city's roles only while its author shares it with the city."""
    if viewer is None:
        return False
    if is_staff(viewer):
        return True
    if is_city_role(viewer):
        return post.share_with_city
    return is_verified_resident_of(viewer, post.neighbourhood_id)


def can_name_writer(viewer: Account | None, post: Post, writer_id: int) -> bool:
    """Who wrote a comment (and when, to the second) under a post the caller may read: the
    city's roles only when that is the post's author, the one person who consented."""
    return not is_city_role(viewer) or writer_id == post.author_id


def sees_precise_times(viewer: Account | None, post: Post) -> bool:
    """A post's time of day, `updatedAt` and `version`: everyone who holds it but the city's
    roles, who get the day alone unless the author shares the post with the city."""
    return not is_city_role(viewer) or post.share_with_city


def can_use_private_messages(viewer: Account | None) -> bool:
    """Conversations are between verified residents."""
    return is_verified_resident(viewer)


def can_view_announcement(viewer: Account | None, city_id: int, targeted: bool) -> bool:
    """An announcement of `city_id`: its city's accounts, moderators, and the verified
    residents it was sent to (`targeted`: the caller has its notification)."""
    if viewer is None:
        return False
    if is_city_role(viewer):
        return viewer.city_id == city_id
    if viewer.role is Role.RESIDENT:
        return is_verified_resident(viewer) and targeted
    return True  # moderators and administrators


@dataclass(frozen=True)
class HiddenContent:
    """Content a moderator (or enough reports) hid stays visible to moderators and to its
    own author, no one else. One rule, read three ways: on a row, as an ORM filter, as SQL."""

    viewer: Account | None

    @property
    def sees_all(self) -> bool:
        return is_staff(self.viewer)

    @property
    def own_id(self) -> int | None:
        return self.viewer.id if self.viewer is not None else None

    def sees(self, author_id: int) -> bool:
        return is_owner_or_staff(self.viewer, author_id)

    def q(self, author_field: str = "author_id", hidden_field: str = "hidden_at") -> Q:
        if self.sees_all:
            return Q()
        hidden: dict[str, Any] = {hidden_field: None}
        if self.own_id is None:
            return Q(**hidden)
        own: dict[str, Any] = {author_field: self.own_id}
        return Q(**hidden) | Q(**own)

    def sql(self, alias: str, author_column: str = "author_id") -> str:
        """The same condition for a raw statement: only an integer is spliced into it."""
        if self.sees_all:
            return "1 = 1"
        if self.own_id is None:
            return f"{alias}.hidden_at IS NULL"
        return f"({alias}.hidden_at IS NULL OR {alias}.{author_column} = {int(self.own_id)})"
