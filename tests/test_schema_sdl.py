from schema.export import SDL_PATH, printed_sdl


def test_committed_sdl_matches_the_schema():
    assert SDL_PATH.read_text() == printed_sdl(), (
        "the schema changed: run `python -m schema.export`"
    )


def test_sdl_carries_no_permission_directives():
    # Permission classes stay out of the SDL (and of the federation `_service.sdl`).
    assert "@is" not in printed_sdl().lower()
