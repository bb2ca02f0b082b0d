"""Which residents a caller can reach, as `Resident`s reach them: authors of the posts and
comments the caller reads, the other participant of their conversations. No path lists a
neighbourhood's residents, so `node(id:)` on a resident who never wrote anything the caller
reads answers null, like an unknown id: sequential ids must not enumerate a neighbourhood.
"""

from __future__ import annotations

from typing import Any, cast

from tortoise.expressions import Q, Subquery

from models.community import Comment, Post
from models.messaging import ConversationParticipant
from permissions.roles import is_city_role, is_staff
from permissions.visibility import HiddenContent, can_read_post_content
from resolvers.community import can_view_post
from resolvers.context import Context
from resolvers.loaders import DataLoader

_KEY = "resident_reach"


def resident_reach(ctx: Context) -> ResidentReachByAccountIdLoader:
    """This request's loader. It is kept in the context rather than in `Loaders` because the
    shared rules it applies (`can_view_post`) take the request's context."""
    loader = ctx.extra.get(_KEY)
    if loader is None:
        loader = ctx.extra[_KEY] = ResidentReachByAccountIdLoader(ctx)
    return loader


class ResidentReachByAccountIdLoader(DataLoader):
    """For each account id: None when the caller cannot reach that person as a `Resident`,
    else whether it is through a post shared with the city (which names its author to it)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: list[int]) -> list[bool | None]:
        viewer = self.ctx.viewer
        accounts = await self.ctx.loaders.account.load_many(keys)
        existing = {row.id for row in accounts if row is not None}
        if viewer is None or not existing:
            return [None for _ in keys]
        if is_staff(viewer):
            # Moderators read every author, reporter and sender (the report queue).
            return [False if key in existing else None for key in keys]
        reached: dict[int, bool] = {viewer.id: False} if viewer.id in existing else {}
        wanted = sorted(existing - set(reached))
        if wanted:
            for author_id, shared in await self._authors(wanted):
                reached[author_id] = reached.get(author_id, False) or shared
            for partner in await self._partners(wanted):
                reached.setdefault(partner, False)
        return [reached.get(key) for key in keys]

    async def _authors(self, wanted: list[int]) -> list[tuple[int, bool]]:
        """Authors among `wanted` of a post, or of a comment, the caller reads; the city is
        named only the author of a post shared with it, never a commenter."""
        viewer = self.ctx.viewer
        assert viewer is not None
        scope = (
            Q(neighbourhood__city_id=viewer.city_id, share_with_city=True)
            if is_city_role(viewer)
            else Q(neighbourhood_id=viewer.neighbourhood_id)
        )
        posts = await (
            Post.filter(scope, HiddenContent(viewer).q(), author_id__in=wanted, deleted_at=None)
            .distinct()
            .values("author_id", "neighbourhood_id", "share_with_city")
        )
        found = [(p["author_id"], p) for p in posts]
        if not is_city_role(viewer):
            comments = await (
                Comment.filter(HiddenContent(viewer).q(), author_id__in=wanted, deleted_at=None)
                .filter(
                    HiddenContent(viewer).q("post__author_id", "post__hidden_at"),
                    post__neighbourhood_id=viewer.neighbourhood_id,
                    post__deleted_at=None,
                )
                .distinct()
                .values(
                    "author_id",
                    neighbourhood_id="post__neighbourhood_id",
                    share_with_city="post__share_with_city",
                )
            )
            found += [(c["author_id"], c) for c in comments]
        reached = []
        for author_id, values in found:
            # The post stands for every post it shares these values with: the rules look at
            # nothing else once it is visible (not deleted, not hidden from the caller).
            post = _visible_post(values)
            if await can_view_post(viewer, post, self.ctx) and can_read_post_content(viewer, post):
                reached.append((author_id, bool(post.share_with_city) and is_city_role(viewer)))
        return reached

    async def _partners(self, wanted: list[int]) -> list[int]:
        viewer = self.ctx.viewer
        assert viewer is not None
        own = ConversationParticipant.filter(account_id=viewer.id).values("conversation_id")
        partners = await ConversationParticipant.filter(
            account_id__in=wanted, conversation_id__in=Subquery(own)
        ).values_list("account_id", flat=True)
        return [cast(int, pk) for pk in partners]


def _visible_post(values: dict[str, Any]) -> Post:
    return Post(
        neighbourhood_id=values["neighbourhood_id"],
        share_with_city=values["share_with_city"],
        deleted_at=None,
        hidden_at=None,
    )
