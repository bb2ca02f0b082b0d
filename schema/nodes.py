"""`node(id:)` and `nodes(ids:)`: Relay's object identification over every type with an id.

The monolith and the community subgraph serve them; the community holds every node type, the
city's as entities with their id alone (schema/schemas.py, `CITY_NODES`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import nodes
from schema.accounts import Account, Resident, VerificationLetter
from schema.base import Node
from schema.city import Announcement, Consultation, ConsultationOption, Notification
from schema.community import Comment, Post
from schema.geography import City, Neighbourhood, Street, Topic
from schema.media import Photo
from schema.messaging import Conversation, Message
from schema.moderation import Appeal, ModerationAction, Report

NODE_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Account,
        Resident,
        VerificationLetter,
        City,
        Neighbourhood,
        Street,
        Topic,
        Post,
        Comment,
        Conversation,
        Message,
        Notification,
        Photo,
        Announcement,
        Consultation,
        ConsultationOption,
        Report,
        ModerationAction,
        Appeal,
    )
}
assert set(NODE_TYPES) == set(nodes.FETCHERS)

IN_REACH = (
    "Null when the id is unknown, malformed, or names an object the caller could not reach "
    "along any other path (as `post(id:)` answers): being able to hold an object grants none "
    "of its fields, which keep their own permissions."
)


def _wrap(found: nodes.Found | None) -> Any:
    if found is None:
        return None
    cls = NODE_TYPES[found.type_name]
    if found.shared_with_city:
        return cls(row=found.row, shared_with_city=True)
    return cls(row=found.row)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="The object with this id. " + IN_REACH)
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return _wrap(await nodes.find(info.context, id))

    @strawberry.field(
        description="The objects with these ids, in their order, at most 100 "
        "(BAD_USER_INPUT above). Each is null as `node` would be."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        found = await nodes.find_many(info.context, ids)
        return [_wrap(one) for one in found]
