"""The subgraphs' printed SDL, committed beside schema/schema.graphql: gateway/compose.mjs
composes the supergraph from these files, and a test fails when one drifts.

Regenerate with `python -m schema.subgraph_export` (the monolith's: `python -m schema.export`).
"""

from __future__ import annotations

from pathlib import Path

from schema import export
from schema.schemas import build_schema
from schema.subgraphs import Subgraph

SCHEMA_DIR = Path(__file__).parent


def sdl_path(subgraph: Subgraph) -> Path:
    return SCHEMA_DIR / f"{subgraph.value}.subgraph.graphql"


def printed_sdl(subgraph: Subgraph | str | None = None) -> str:
    """A subgraph's SDL, or the monolith's without one."""
    if subgraph is None:
        return export.printed_sdl()
    return build_schema(production=False, subgraph=subgraph).as_str() + "\n"


def main() -> None:
    for subgraph in Subgraph:
        path = sdl_path(subgraph)
        path.write_text(printed_sdl(subgraph))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
