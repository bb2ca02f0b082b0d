"""The printed SDL, committed as schema/schema.graphql so every API change shows in review.

Regenerate with `python -m schema.export`; a test fails when the file drifts.
"""

from __future__ import annotations

from pathlib import Path

from schema.schemas import build_schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def printed_sdl() -> str:
    return build_schema(production=False).as_str() + "\n"


def main() -> None:
    SDL_PATH.write_text(printed_sdl())
    print(f"wrote {SDL_PATH}")


if __name__ == "__main__":
    main()
