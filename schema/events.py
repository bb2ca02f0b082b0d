"""Events: what a post of kind EVENT adds to it, and saying one comes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from permissions import CanReadPostContent, content
from permissions.classes import CanSeeAttendees
from schema.accounts import Resident
from schema.base import Connection
from schema.geography import Street

EVENT = "Posts of kind EVENT only (null otherwise)."


def post_content() -> list[Any]:
    """As the post's title and body."""
    return content(CanReadPostContent)


@strawberry.type
class PostEventFields:
    """The fields an event adds to `Post` (schema/community.py composes them in)."""

    row: strawberry.Private[Any]

    async def _event(self, info: Info) -> Any:
        return await info.context.loaders.event.load(self.row.id)

    @strawberry.field(description="When the event starts. " + EVENT, extensions=post_content())
    async def starts_at(self, info: Info) -> datetime | None:
        event = await self._event(info)
        return event.starts_at if event else None

    @strawberry.field(
        description="When the event ends, if its organiser said. " + EVENT,
        extensions=post_content(),
    )
    async def ends_at(self, info: Info) -> datetime | None:
        event = await self._event(info)
        return event.ends_at if event else None

    @strawberry.field(
        description="Where, in the organiser's words. " + EVENT, extensions=post_content()
    )
    async def place(self, info: Info) -> str | None:
        event = await self._event(info)
        return event.place if event else None

    @strawberry.field(
        description="The street of the neighbourhood where it takes place, if given. " + EVENT,
        extensions=post_content(),
    )
    async def place_street(self, info: Info) -> Street | None:
        event = await self._event(info)
        if event is None or event.street_id is None:
            return None
        return Street(row=await info.context.loaders.street.load(event.street_id))

    @strawberry.field(
        description="How many neighbours said they come. " + EVENT,
        extensions=post_content(),
    )
    async def attendee_count(self, info: Info) -> int | None:
        event = await self._event(info)
        return event.attendee_count if event else None

    @strawberry.field(description="True if the signed-in account said it comes to this event.")
    async def viewer_attends(self, info: Info) -> bool:
        return bool(await info.context.loaders.viewer_attends.load(self.row.id))

    @strawberry.field(
        description="Who comes, in the order they said so.",
        extensions=content(CanSeeAttendees),
    )
    async def attendees(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Resident] | None:
        from resolvers.pagination import page_size

        event = await self._event(info)
        if event is None:
            return Connection.empty()
        page = await info.context.loaders.attendees_page.load((event.id, page_size(first), after))
        accounts = await info.context.loaders.account.load_many([a.account_id for a in page.rows])
        by_id = {a.id: a for a in accounts if a is not None}
        return Connection.of(page, lambda row: Resident(row=by_id[row.account_id]))
