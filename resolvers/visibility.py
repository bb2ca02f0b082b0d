"""Who still sees content a moderator (or enough reports) hid."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from models.accounts import Account
from permissions.roles import is_staff


def not_hidden_for(viewer: Account | None, author_field: str = "author_id") -> Q:
    """Hidden content stays visible to moderators and to its own author, no one else."""
    if is_staff(viewer):
        return Q()
    if viewer is None:
        return Q(hidden_at=None)
    own: dict[str, Any] = {author_field: viewer.id}
    return Q(hidden_at=None) | Q(**own)
