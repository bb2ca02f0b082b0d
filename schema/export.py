"""The printed SDL, committed so every API change shows in review: schema/schema.graphql, the
federation subgraph's SDL of the monolith (with its `@key`s and `@link`), and
schema/client.graphql, the same API for clients and IDE tooling, which know no federation:
plain GraphQL that graphql-js `buildSchema` accepts, without federation's directives, types
and `_entities`/`_service` fields.

Regenerate both with `python -m schema.export`; a test fails when either drifts.
"""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    print_schema,
    specified_directives,
)

from schema.schemas import build_schema

SDL_PATH = Path(__file__).with_name("schema.graphql")
CLIENT_SDL_PATH = Path(__file__).with_name("client.graphql")


def printed_sdl() -> str:
    return build_schema(production=False).as_str() + "\n"


def is_federation_internal(name: str) -> bool:
    """Federation's own types and fields (`_Any`, `_Entity`, `_Service`, `_entities`,
    `_service`, `link__Import`, ...), which a gateway uses and clients never see."""
    return name.startswith(("_", "link__")) or name == "FieldSet"


def without_federation(served: GraphQLSchema) -> GraphQLSchema:
    """`served` as a client sees it: no federation type, field or directive."""
    query = served.query_type
    assert query is not None
    client_query = GraphQLObjectType(
        query.name,
        {name: field for name, field in query.fields.items() if not is_federation_internal(name)},
        interfaces=query.interfaces,
        description=query.description,
    )
    types: list[GraphQLNamedType] = [
        type_
        for name, type_ in served.type_map.items()
        if name != query.name and not is_federation_internal(name)
    ]
    return GraphQLSchema(
        query=client_query,
        mutation=served.mutation_type,
        subscription=served.subscription_type,
        types=types,
        directives=specified_directives,
    )


def printed_client_sdl() -> str:
    return print_schema(without_federation(build_schema(production=False)._schema)) + "\n"


def main() -> None:
    SDL_PATH.write_text(printed_sdl())
    print(f"wrote {SDL_PATH}")
    CLIENT_SDL_PATH.write_text(printed_client_sdl())
    print(f"wrote {CLIENT_SDL_PATH}")


if __name__ == "__main__":
    main()
