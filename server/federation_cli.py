"""The federated deployment's commands: `quartier schema export [--subgraph community|city]`
and `quartier db create-city-role`. `quartier serve --subgraph ...` is in server/cli.py."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from tortoise import Tortoise

from server import db

if TYPE_CHECKING:
    from server.settings import Settings

SUBGRAPHS = ("community", "city")


def schema_export(_settings: Settings, args: argparse.Namespace) -> None:
    from schema.export import printed_client_sdl
    from schema.subgraph_export import printed_sdl

    sys.stdout.write(printed_client_sdl() if args.client else printed_sdl(args.subgraph))
    sys.stdout.flush()


def create_city_role(settings: Settings, args: argparse.Namespace) -> None:
    from server import city_role

    city_role.require_postgres(settings.database_url)

    async def run() -> str:
        await db.start(settings.database_url, settings.db_pool_max)
        try:
            return await city_role.create_city_role(
                settings.database_url, args.role_name, args.password
            )
        finally:
            await Tortoise.close_connections()

    url = asyncio.run(run())
    print(
        f"Role {args.role_name} can now read what the city's side needs and nothing else.",
        "Run the city subgraph with this DATABASE_URL (it holds the password; store it now):",
        url,
        sep="\n",
        flush=True,
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    schema = sub.add_parser("schema", help="the GraphQL schema").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = schema.add_parser("export", help="print the SDL: the monolith's, or a subgraph's")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--subgraph", choices=SUBGRAPHS, help="community or city")
    which.add_argument(
        "--client", action="store_true", help="plain GraphQL for clients, without federation"
    )
    p.set_defaults(handler=schema_export)

    database = sub.add_parser("db", help="database roles").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = database.add_parser(
        "create-city-role",
        help="PostgreSQL: the city subgraph's role, reading only the columns the city needs",
    )
    p.add_argument("--role-name", default="quartier_city")
    p.add_argument(
        "--password", help="16 to 200 printable ASCII characters; a random one when omitted"
    )
    p.set_defaults(handler=create_city_role)
