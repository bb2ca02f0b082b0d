"""The federated deployment's two processes: factories uvicorn starts for each subgraph.

`quartier serve --subgraph community|city` runs one of them (`quartier serve` alone runs
the monolith). Each reads DATABASE_URL; the city's should name the narrow role that
`quartier db create-city-role` creates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema.subgraphs import Subgraph
from server.app import app_from_env

if TYPE_CHECKING:
    from starlette.applications import Starlette


def community_app() -> Starlette:
    return app_from_env(Subgraph.COMMUNITY)


def city_app() -> Starlette:
    return app_from_env(Subgraph.CITY)
