from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

from schema.export import (
    CLIENT_SDL_PATH,
    SDL_PATH,
    is_federation_internal,
    printed_client_sdl,
    printed_sdl,
    without_federation,
)
from server.cli import main as quartier


def test_committed_sdl_matches_the_schema():
    assert SDL_PATH.read_text() == printed_sdl(), (
        "the schema changed: run `python -m schema.export`"
    )


def test_committed_client_sdl_matches_the_schema():
    assert CLIENT_SDL_PATH.read_text() == printed_client_sdl(), (
        "the schema changed: run `python -m schema.export`"
    )


def test_sdl_carries_no_permission_directives():
    # Permission classes stay out of the SDL (and of the federation `_service.sdl`).
    assert "@is" not in printed_sdl().lower()


def test_the_client_sdl_is_plain_graphql_without_federation():
    text = CLIENT_SDL_PATH.read_text()

    schema = build_schema(text)

    assert "@" not in text
    assert [
        name
        for name in schema.type_map
        if is_federation_internal(name) and not name.startswith("__")
    ] == []
    assert [name for name in schema.query_type.fields if name.startswith("_")] == []


async def test_the_client_sdl_is_the_served_api_without_federation(api):
    served = without_federation(build_client_schema((await api(get_introspection_query()))["data"]))

    client = build_schema(CLIENT_SDL_PATH.read_text())

    assert print_schema(lexicographic_sort_schema(client)) == print_schema(
        lexicographic_sort_schema(served)
    )


def test_quartier_schema_export_prints_the_client_sdl(capsys):
    assert quartier(["schema", "export", "--client"]) == 0

    assert capsys.readouterr().out == printed_client_sdl()
