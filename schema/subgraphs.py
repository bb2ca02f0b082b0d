"""The two subgraphs cut from the one set of types: which fields each serves, which fields
both serve (`@shareable`), and the `_entities` field each answers a gateway with.

The root types pick their domains' Query and Mutation mixins (schema/schemas.py). A type that
both subgraphs reach is cut field by field here; every other type is served whole by the one
subgraph that reaches it. A field both subgraphs would serve without being shareable fails
the composition test (tests/test_federation.py), so nothing is shared by accident.
"""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final

import strawberry
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Shareable
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from permissions.errors import BadInput
from permissions.text import tr


class Subgraph(StrEnum):
    """`community`: what residents write and do. `city`: what the city publishes and reads."""

    COMMUNITY = "community"
    CITY = "city"


@dataclass(frozen=True)
class Served:
    """The fields of a type a subgraph serves: the ones named, or all but the ones named."""

    names: frozenset[str]
    named_are_served: bool

    def __contains__(self, field_name: object) -> bool:
        return (field_name in self.names) == self.named_are_served


def only(*names: str) -> Served:
    return Served(frozenset(names), named_are_served=True)


def all_but(*names: str) -> Served:
    return Served(frozenset(names), named_are_served=False)


# The city contributes the resident's inbox to the community's Account entity.
CITY_ACCOUNT_FIELDS = ("announcements", "notifications", "unreadNotificationCount")

SERVED: Final[dict[Subgraph, dict[str, Served]]] = {
    Subgraph.COMMUNITY: {
        # GeographyQuery holds `city`, which is the city's.
        "Query": all_but("city"),
        "Account": all_but(*CITY_ACCOUNT_FIELDS),
        # A moderation decision's reason is the community's; the city's role may not read it.
        "Notification": only("id", "reason"),
        # The city's own types, which `node(id:)` names here and the city resolves by key.
        "Announcement": only("id"),
        "City": only("id"),
        "Consultation": only("id"),
        "ConsultationOption": only("id"),
    },
    Subgraph.CITY: {
        # Of GeographyQuery, the city serves `city` alone.
        "Query": all_but("streets", "neighbourhood", "topics"),
        "Account": only("id", *CITY_ACCOUNT_FIELDS),
        # The feed is the community's: posts never enter the city subgraph.
        "Neighbourhood": all_but("posts", "upcomingEvents", "search"),
        "Notification": all_but("reason"),
    },
}

# A gateway asks for one list's worth at a time (pages hold at most 100 items).
MAX_REPRESENTATIONS: Final = 100

# Types both subgraphs resolve alike from the same rows: what they both serve is @shareable.
SHAREABLE_TYPES: Final = frozenset({"Neighbourhood", "Street", "Topic", "PageInfo", "UserError"})


def graphql_name(field: StrawberryField) -> str:
    return field.graphql_name or to_camel_case(field.python_name)


def serves(subgraph: Subgraph, type_name: str, field_name: str) -> bool:
    """Whether the subgraph serves the field, once the type is in the subgraph at all.
    Federation's own fields (`_service`, `_entities`) are in every subgraph."""
    served = SERVED[subgraph].get(type_name)
    return field_name.startswith("_") or served is None or field_name in served


def is_shareable(type_name: str, field_name: str) -> bool:
    return type_name in SHAREABLE_TYPES and all(
        serves(subgraph, type_name, field_name) for subgraph in Subgraph
    )


class FieldCut:
    """A subgraph's fields for each type, built once per type: a schema asks many times."""

    def __init__(self, subgraph: Subgraph) -> None:
        self.subgraph = subgraph
        self._cut: dict[int, tuple[StrawberryObjectDefinition, list[StrawberryField]]] = {}
        # The directives added to copies, which Strawberry's collector (reading the types'
        # own fields) does not see: @link must import them.
        self.applied: list[object] = []

    def fields(
        self, definition: StrawberryObjectDefinition, fields: list[StrawberryField]
    ) -> list[StrawberryField]:
        cut = self._cut.get(id(definition))
        if cut is None:
            kept = [
                self._mark(definition.name, field)
                for field in fields
                if serves(self.subgraph, definition.name, graphql_name(field))
            ]
            # The definition is kept alive with its cut, so its id is never reused.
            cut = self._cut[id(definition)] = (definition, kept)
        return cut[1]

    def _mark(self, type_name: str, field: StrawberryField) -> StrawberryField:
        if not is_shareable(type_name, graphql_name(field)):
            return field
        shareable = Shareable()
        self.applied.append(shareable)
        shared = copy.copy(field)
        shared.directives = [*shared.directives, shareable]
        return shared


def entities_field(entity_types: Sequence[type]) -> Any:
    """`_entities`, over exactly these types. Strawberry would build it from every type with
    a key it finds behind the root fields, whether or not the subgraph serves that field."""
    members: Any = functools.reduce(operator.or_, entity_types)
    entity: Any = Annotated[members, strawberry.union("_Entity")]

    names = {t.__strawberry_definition__.name for t in entity_types}  # type: ignore[attr-defined]

    def resolve(info: Info, representations: list[FederationAny]) -> list[Any]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise BadInput(
                tr("{count} représentations au plus par requête.", count=MAX_REPRESENTATIONS)
            )
        # `_Any` admits any JSON: what is not an object naming one of these types is the
        # caller's mistake, refused before a resolver trips on it.
        for number, representation in enumerate(representations, 1):
            typename = (
                representation.get("__typename") if isinstance(representation, dict) else None
            )
            if typename not in names:
                raise BadInput(
                    tr(
                        "Représentation {number} : un objet dont `__typename` nomme une entité"
                        " de ce service est attendu.",
                        number=number,
                    )
                )
        # Strawberry's resolver: each type's `resolve_reference`, in the same tick, so a
        # loader batches every representation of a type into one statement. It pops
        # `__typename` from each representation: it gets copies.
        copies = [dict(r) if isinstance(r, dict) else r for r in representations]
        return info.schema.entities_resolver(info, copies)  # type: ignore[attr-defined]

    resolve.__annotations__ = {
        "info": Info,
        "representations": list[FederationAny],
        "return": list[entity | None],
    }
    return strawberry.field(name="_entities", resolver=resolve)
