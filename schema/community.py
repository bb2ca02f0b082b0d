"""Posts, comments and reactions: the neighbourhood feed."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from models import community as models
from models import geography as geography_models
from models.accounts import Account
from permissions import (
    CanNameCommenter,
    CanReadPostContent,
    CanReadResidentContent,
    CanSeePreciseTimes,
    IsResident,
    content,
    requires,
)
from permissions.classes import CanReadNeighbourhoodPosts, IsVerifiedNeighbourOrStaff
from resolvers import community, references
from resolvers import events as event_resolvers
from resolvers.events import EventDetails
from resolvers.ids import to_global_id
from schema.accounts import Resident
from schema.base import Connection, Hideable, Node, UserError, attempt, contribute
from schema.events import PostEventFields, post_content
from schema.geography import Neighbourhood, Topic
from schema.loaded import loaded
from schema.media import Photo


@strawberry.federation.type(
    keys=["id"],
    description="A post in a neighbourhood's feed: whoever may read that feed reaches it.",
)
class Post(Hideable, PostEventFields, Node):
    row: strawberry.Private[models.Post]

    @classmethod
    def from_model(cls, row: models.Post) -> Post:
        return cls(row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Post | None:
        row = await references.entity(info.context, "Post", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Post", self.row.id))

    @strawberry.field
    def kind(self) -> models.PostKind:
        return self.row.kind

    @strawberry.field(extensions=content(CanReadPostContent))
    def title(self) -> str | None:
        return self.row.title

    @strawberry.field(extensions=content(CanReadPostContent))
    def body(self) -> str | None:
        return self.row.body

    @strawberry.field(extensions=content(CanReadPostContent))
    @loaded("account", key=lambda post: post.row.author_id)
    def author(self, row: Account) -> Resident | None:
        return Resident(row=row, shared_with_city=self.row.share_with_city)

    @strawberry.field(
        description="Its photos, in order (up to four).",
        extensions=post_content(),
    )
    async def photos(self, info: Info) -> list[Photo]:
        return [Photo(row=p) for p in await info.context.loaders.photos_by_post.load(self.row.id)]

    @strawberry.field(
        description="The city's roles get the day alone, at midnight in the city's time zone, "
        "unless the author shares the post with the city.",
        graphql_type=datetime,
    )
    def created_at(self, info: Info) -> datetime | Coroutine[Any, Any, datetime]:
        row = self.row
        # The moment, or for the city's roles a coroutine of its day: the executors await
        # what a resolver returns when it is awaitable, and a resident's costs no coroutine.
        return community.shown_time(info.context, row, row.created_at, row.author_id)

    @strawberry.field(description="Last edit.", extensions=content(CanSeePreciseTimes))
    def updated_at(self) -> datetime | None:
        return self.row.updated_at

    @strawberry.field(
        description="Incremented by each edit; `editPost` takes it back.",
        extensions=content(CanSeePreciseTimes),
    )
    def version(self) -> int | None:
        return self.row.version

    @strawberry.field(description="True when the author shares the post with the city.")
    def shared_with_city(self) -> bool:
        return self.row.share_with_city

    @strawberry.field
    @loaded("topics_by_post", key=lambda post: post.row.id)
    def topics(self, rows: list[models.Topic]) -> list[Topic]:
        return [Topic(row=row) for row in rows]

    @strawberry.field(description="Comments not hidden nor deleted.")
    def comment_count(self) -> int:
        return self.row.comment_count

    @strawberry.field
    def reaction_count(self) -> int:
        return self.row.reaction_count

    @strawberry.field(description="True when the signed-in account reacted to the post.")
    @loaded("viewer_reacted", key=lambda post: post.row.id)
    def viewer_has_reacted(self, reacted: bool) -> bool:
        return reacted

    @strawberry.field
    async def neighbourhood(self, info: Info) -> Neighbourhood:
        return Neighbourhood(
            row=await info.context.loaders.neighbourhood.load(self.row.neighbourhood_id)
        )

    @strawberry.field(
        description="Comments, oldest first. Under a post shared with the city, its roles see "
        "no writer named but the post's author.",
        extensions=content(CanReadPostContent, hidden=Connection.empty),
    )
    async def comments(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Comment] | None:
        page = await community.comments(info.context, self.row, first, after)
        return Connection.of(page, lambda row: Comment.under(self.row, row))


@strawberry.type(description="A comment under a post.")
class Comment(Hideable, Node):
    row: strawberry.Private[models.Comment]
    # True under a post its author shared with the city.
    shared_with_city: strawberry.Private[bool] = False
    # The post it is under, when reached through it: who may be named depends on its author.
    post: strawberry.Private[models.Post | None] = None

    @classmethod
    def from_model(cls, row: models.Comment) -> Comment:
        return cls(row=row)

    @classmethod
    def under(cls, post: models.Post, row: models.Comment) -> Comment:
        """A comment as read under its post: the post's sharing with the city carries over,
        and its author is who decides which commenters the city may see named."""
        return cls(row=row, shared_with_city=post.share_with_city, post=post)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Comment", self.row.id))

    @strawberry.field(extensions=content(CanReadResidentContent))
    def body(self) -> str | None:
        return self.row.body

    @strawberry.field(
        extensions=content(CanReadResidentContent, CanNameCommenter),
    )
    @loaded("account", key=lambda comment: comment.row.author_id)
    def author(self, row: Account) -> Resident | None:
        return Resident(row=row, shared_with_city=self.shared_with_city)

    @strawberry.field(
        description="The city's roles get the day alone (midnight in the city's time zone) "
        "of a comment by anyone but the post's author."
    )
    async def created_at(self, info: Info) -> datetime:
        # Reached without its post (a mutation's answer, `node`, the report queue): load it.
        post = self.post or await info.context.loaders.post.load(self.row.post_id)
        row = self.row
        when = community.shown_time(info.context, post, row.created_at, row.author_id)
        return when if isinstance(when, datetime) else await when


@strawberry.type
class NeighbourhoodFeed:
    """What the community adds to `Neighbourhood`."""

    row: strawberry.Private[geography_models.Neighbourhood]

    @strawberry.field(
        description="The neighbourhood's feed, newest first.",
        extensions=content(CanReadNeighbourhoodPosts),
    )
    async def posts(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        kind: models.PostKind | None = None,
        topic: str | None = None,
    ) -> Connection[Post] | None:
        page = await community.feed(
            info.context, self.row, first=first, after=after, kind=kind, topic=topic
        )
        return Connection.of(page, Post.from_model)

    @strawberry.field(
        description="Its events not yet over, soonest first (keyset paginated).",
        extensions=content(IsVerifiedNeighbourOrStaff),
    )
    async def upcoming_events(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Post] | None:
        page = await event_resolvers.upcoming(info.context, self.row, first, after)
        return Connection.of(page, lambda event: Post(row=event.post))


contribute(Neighbourhood, NeighbourhoodFeed)


@strawberry.input
class CreatePostInput:
    kind: models.PostKind
    title: str
    body: str
    topic_slugs: list[str] | None = None
    share_with_city: bool = False
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Up to four of the caller's uploads (`POST /media`), in order."
    )
    starts_at: datetime | None = strawberry.field(
        default=None,
        description="EVENT only, and required there.",
    )
    ends_at: datetime | None = strawberry.field(
        default=None, description="EVENT only, optional; after `startsAt`."
    )
    place: str | None = strawberry.field(
        default=None, description="EVENT only, and required there: where, in free text."
    )
    place_street_id: strawberry.ID | None = strawberry.field(
        default=None, description="EVENT only, optional: a street of the caller's neighbourhood."
    )


@strawberry.input
class EditPostInput:
    post_id: strawberry.ID
    title: str | None = None
    body: str | None = None
    topic_slugs: list[str] | None = None
    expected_version: int
    share_with_city: bool | None = strawberry.field(
        default=None,
        description="Share the post with the city (title, body, author, comments) or withdraw "
        "that consent: withdrawn, the city sees the content nowhere from then on.",
    )
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The post's photos from now on, in order (up to four); photos left out are "
        "deleted. Absent: unchanged.",
    )
    starts_at: datetime | None = strawberry.field(default=None, description="EVENT only.")
    ends_at: datetime | None = strawberry.field(default=None, description="EVENT only.")
    place: str | None = strawberry.field(default=None, description="EVENT only.")
    place_street_id: strawberry.ID | None = strawberry.field(
        default=None, description="EVENT only."
    )


def _event_details(input: CreatePostInput | EditPostInput) -> EventDetails:
    return EventDetails(
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        place=input.place,
        street_id=input.place_street_id,
    )


@strawberry.input
class DeletePostInput:
    post_id: strawberry.ID


@strawberry.input
class DeleteCommentInput:
    comment_id: strawberry.ID


@strawberry.input
class AddCommentInput:
    post_id: strawberry.ID
    body: str


@strawberry.input
class ToggleReactionInput:
    post_id: strawberry.ID


@strawberry.type
class PostPayload:
    post: Post | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePostPayload:
    deleted_post_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCommentPayload:
    deleted_comment_id: strawberry.ID | None = None
    post: Post | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddCommentPayload:
    comment: Comment | None = None
    post: Post | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def post_payload(row: models.Post) -> PostPayload:
    return PostPayload(post=Post(row=row))


def post_errors(errors: list[UserError]) -> PostPayload:
    return PostPayload(user_errors=errors)


@strawberry.type
class CommunityQuery:
    @strawberry.field(description="A post the signed-in account may see; null otherwise.")
    async def post(self, info: Info, id: strawberry.ID) -> Post | None:
        row = await community.post(info.context, id)
        return Post(row=row) if row else None


@strawberry.type
class CommunityMutation:
    @strawberry.mutation(
        description="Post in one's neighbourhood's feed (verified resident, active neighbourhood).",
        extensions=requires(IsResident),
    )
    async def create_post(self, info: Info, input: CreatePostInput) -> PostPayload:
        action = community.create_post(
            info.context,
            kind=input.kind,
            title=input.title,
            body=input.body,
            topic_slugs=input.topic_slugs,
            share_with_city=input.share_with_city,
            photo_ids=input.photo_ids,
            event=_event_details(input),
        )
        return await attempt(action, post_payload, post_errors)

    @strawberry.mutation(
        description="Edit one's post; a stale `expectedVersion` is VERSION_CONFLICT.",
        extensions=requires(IsResident),
    )
    async def edit_post(self, info: Info, input: EditPostInput) -> PostPayload:
        action = community.edit_post(
            info.context,
            post_id=input.post_id,
            title=input.title,
            body=input.body,
            topic_slugs=input.topic_slugs,
            expected_version=input.expected_version,
            share_with_city=input.share_with_city,
            photo_ids=input.photo_ids,
            event=_event_details(input),
        )
        return await attempt(action, post_payload, post_errors)

    @strawberry.mutation(
        description="Delete one's own post; its words (and those of the comments under it) are "
        "erased from the database.",
        extensions=requires(IsResident),
    )
    async def delete_post(self, info: Info, input: DeletePostInput) -> DeletePostPayload:
        return await attempt(
            community.delete_post(info.context, post_id=input.post_id),
            lambda row: DeletePostPayload(
                deleted_post_id=strawberry.ID(to_global_id("Post", row.id))
            ),
            lambda errors: DeletePostPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Delete one's own comment; its words are erased from the database.",
        extensions=requires(IsResident),
    )
    async def delete_comment(self, info: Info, input: DeleteCommentInput) -> DeleteCommentPayload:
        return await attempt(
            community.delete_comment(info.context, comment_id=input.comment_id),
            lambda post: DeleteCommentPayload(
                deleted_comment_id=input.comment_id, post=Post(row=post)
            ),
            lambda errors: DeleteCommentPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Comment on a post of one's neighbourhood (verified resident).",
        extensions=requires(IsResident),
    )
    async def add_comment(self, info: Info, input: AddCommentInput) -> AddCommentPayload:
        return await attempt(
            community.add_comment(info.context, post_id=input.post_id, body=input.body),
            lambda result: AddCommentPayload(
                comment=Comment(row=result[0]), post=Post(row=result[1])
            ),
            lambda errors: AddCommentPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Adds or removes the account's reaction.", extensions=requires(IsResident)
    )
    async def toggle_reaction(self, info: Info, input: ToggleReactionInput) -> PostPayload:
        action = community.toggle_reaction(info.context, post_id=input.post_id)
        return await attempt(action, post_payload, post_errors)
