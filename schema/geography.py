"""City, neighbourhoods, streets and the topic taxonomy.

A leaf of the schema: other domains add their fields to `City` and `Neighbourhood`
(schema/base.contribute): the feed and events (schema/community.py), search
(schema/search.py), announcements (schema/city.py).
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models import community as community_models
from models import geography as models
from permissions import IsAuthenticated, requires
from resolvers import geography, references
from resolvers.ids import to_global_id
from schema.base import Connection, Node


@strawberry.federation.type(keys=["id"], description="A city that licenses the platform.")
class City(Node):
    row: strawberry.Private[models.City]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> City | None:
        row = await references.entity(info.context, "City", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("City", self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(
        description="The city's IANA time zone: the city's roles see a post's day at "
        "midnight there."
    )
    def time_zone(self) -> str:
        return self.row.time_zone

    @strawberry.field(description="Its neighbourhoods, by name.")
    async def neighbourhoods(self) -> list[Neighbourhood]:
        rows = await geography.city_neighbourhoods(self.row.id)
        return [Neighbourhood(row=r) for r in rows]


@strawberry.federation.type(
    keys=["id"], description="A neighbourhood: its residents talk with each other there."
)
class Neighbourhood(Node):
    row: strawberry.Private[models.Neighbourhood]
    # Reached through the account it is the home of (`Account.neighbourhood`): the caller is
    # one of its residents, even in the answer to `register` that made them one.
    home: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, row: models.Neighbourhood) -> Neighbourhood:
        return cls(row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Neighbourhood | None:
        row = await references.entity(info.context, "Neighbourhood", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Neighbourhood", self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Active once enough residents have verified their address.")
    def is_active(self) -> bool:
        return self.row.is_active

    @strawberry.field(
        description="Registered residents, verified or not. Exact for the neighbourhood's own "
        "residents and moderators; for anyone else null (registeredCountSuppressed) when it "
        "is, or reveals, a count below the suppression threshold."
    )
    async def registered_count(self, info: Info) -> int | None:
        return (await geography.progress(info.context, self.row, self.home)).registered

    @strawberry.field(description="True when registeredCount is null for this caller.")
    async def registered_count_suppressed(self, info: Info) -> bool:
        return (await geography.progress(info.context, self.row, self.home)).registered is None

    @strawberry.field(
        description="Residents whose address is verified. Exact for the neighbourhood's own "
        "residents and moderators; for anyone else null (verifiedCountSuppressed) below the "
        "suppression threshold."
    )
    async def verified_count(self, info: Info) -> int | None:
        return (await geography.progress(info.context, self.row, self.home)).verified

    @strawberry.field(description="True when verifiedCount is null for this caller.")
    async def verified_count_suppressed(self, info: Info) -> bool:
        return (await geography.progress(info.context, self.row, self.home)).verified is None

    @strawberry.field(description="Verified residents needed to activate the neighbourhood.")
    def activation_threshold(self) -> int:
        return self.row.activation_threshold


@strawberry.federation.type(
    keys=["id"], description="A street; it places its residents in a neighbourhood."
)
class Street(Node):
    row: strawberry.Private[models.Street]

    @classmethod
    def from_model(cls, row: models.Street) -> Street:
        return cls(row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Street | None:
        row = await references.entity(info.context, "Street", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Street", self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def postal_code(self) -> str:
        return self.row.postal_code

    @strawberry.field
    async def neighbourhood(self, info: Info) -> Neighbourhood:
        return Neighbourhood(
            row=await info.context.loaders.neighbourhood.load(self.row.neighbourhood_id)
        )


# Keyed by its slug: the city's own services name a topic of its taxonomy that way.
@strawberry.federation.type(
    keys=["slug"], description="A topic of the city's taxonomy (mobility, works, ...)."
)
class Topic(Node):
    row: strawberry.Private[community_models.Topic]

    @classmethod
    def from_model(cls, row: community_models.Topic) -> Topic:
        return cls(row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, slug: str) -> Topic | None:
        row = await references.topic(info.context, slug)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Topic", self.row.id))

    @strawberry.field
    def slug(self) -> str:
        return self.row.slug

    @strawberry.field(description="In the caller's language (fr, nl, en), as the city named it.")
    def label(self, info: Info) -> str:
        return self.row.label_in(info.context.language)


@strawberry.type
class GeographyQuery:
    @strawberry.field(
        description="The signed-in account's city (a moderator may name one).",
        extensions=requires(IsAuthenticated),
    )
    async def city(self, info: Info, id: strawberry.ID | None = None) -> City | None:
        row = await geography.city(info.context, id)
        return City(row=row) if row else None

    @strawberry.field(description="Street search, ignoring accents and case.")
    async def streets(
        self, search: str, first: int | None = 10, after: str | None = None
    ) -> Connection[Street]:
        return Connection.of(
            await geography.search_streets(search, first, after), Street.from_model
        )

    @strawberry.field(description="A neighbourhood the signed-in account may see; null otherwise.")
    async def neighbourhood(self, info: Info, id: strawberry.ID) -> Neighbourhood | None:
        row = await geography.neighbourhood(info.context, id)
        return Neighbourhood(row=row) if row else None

    @strawberry.field(description="The topic taxonomy of the signed-in account's city.")
    async def topics(self, info: Info) -> list[Topic]:
        return [Topic(row=row) for row in await geography.topics(info.context)]
