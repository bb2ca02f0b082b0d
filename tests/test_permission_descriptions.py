"""A permission class says who passes it, and that text reaches the SDL of every field the class
guards: the rule is stated once, by the declaration that enforces it."""

from __future__ import annotations

from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension

from permissions import classes
from permissions.classes import Permission
from schema.export import printed_sdl
from schema.schemas import build_schema

SCHEMA = build_schema(production=False)


def _guarded_fields() -> list[tuple[str, str, str, PermissionExtension]]:
    found = []
    for type_name, graphql_type in SCHEMA._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            for extension in getattr(definition, "extensions", []):
                if isinstance(extension, PermissionExtension):
                    found.append((type_name, field_name, field.description or "", extension))
    return found


def _field_description(type_name: str, field_name: str) -> str | None:
    graphql_type = SCHEMA._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    return graphql_type.fields[field_name].description


def test_every_permission_class_describes_itself():
    permission_classes = [
        value
        for value in vars(classes).values()
        if isinstance(value, type) and issubclass(value, Permission) and value is not Permission
    ]

    assert len(permission_classes) == 14
    assert [c.__name__ for c in permission_classes if not getattr(c, "description", "")] == []


def test_every_guarded_field_states_its_rule_in_its_description():
    guarded = _guarded_fields()

    assert len(guarded) > 60
    for type_name, field_name, description, extension in guarded:
        opening = "Visible to: " if extension.fail_silently else "Requires: "
        assert opening in description, f"{type_name}.{field_name}"
        for permission in extension.permissions:
            if extension.fail_silently or len(extension.permissions) == 1:
                assert permission.description in description, f"{type_name}.{field_name}"


def test_a_content_field_says_who_reads_it_and_what_others_get():
    assert _field_description("Post", "title") == (
        "Visible to: the post's verified neighbours and moderators; the city's accounts only "
        "while its author shares the post with the city; anyone else gets null, no error."
    )
    assert _field_description("Post", "photos").endswith(
        "anyone else gets an empty list, no error."
    )
    assert _field_description("Post", "comments").endswith(
        "anyone else gets an empty connection, no error."
    )


def test_a_restricted_field_says_who_may_use_it_and_which_errors_others_get():
    assert _field_description("Query", "appeals") == (
        "Appeals, the oldest first. Requires: moderators and administrators; anyone else gets "
        "an error (UNAUTHENTICATED or FORBIDDEN)."
    )
    assert _field_description("Mutation", "logout") == (
        "Revokes the request's token. Requires: any signed-in account; anyone else gets an "
        "error (UNAUTHENTICATED)."
    )


def test_building_the_schema_again_states_each_rule_once():
    build_schema(production=False)

    sdl = printed_sdl()

    assert sdl.count("Visible to: the post's verified neighbours and moderators;") == 10
    for type_name, field_name, description, _ in _guarded_fields():
        stated = description.count("Visible to: ") + description.count("Requires: ")
        assert stated == 1, f"{type_name}.{field_name}"
