"""Pure predicates on the caller and a row, shared by resolvers and permission classes."""

from __future__ import annotations

from models.accounts import Account
from models.community import Post
from models.geography import Neighbourhood
from permissions.roles import is_city_role, is_staff


def can_view_neighbourhood(viewer: Account | None, neighbourhood: Neighbourhood) -> bool:
    """Its residents, its city's accounts, and moderators."""
    if viewer is None:
        return False
    if is_staff(viewer):
        return True
    if is_city_role(viewer):
        return viewer.city_id == neighbourhood.city_id
    return viewer.neighbourhood_id == neighbourhood.id


def can_read_post_content(viewer: Account | None, post: Post) -> bool:
    """Title, body, author and comments of a post: its neighbours and moderators; the city
    only when the author shared the post with it."""
    if viewer is None:
        return False
    if is_staff(viewer):
        return True
    if is_city_role(viewer):
        return bool(post.share_with_city)
    return viewer.neighbourhood_id == post.neighbourhood_id
