"""The operator command line: `quartier serve | migrate | account | token | streets |
neighbourhoods | letters | schema | db | worker | mail | documents`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import os
import re
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError, OperationalError

from models.accounts import Account
from server import db, demo_data, federation_cli, imports, operations, privacy_cli
from server.demo import person, seed_demo
from server.mail import cli as mail_cli
from server.media import cli as media_cli
from server.operations import CommandError
from server.settings import Settings, SettingsError
from server.trusted import cli as trusted_cli

T = TypeVar("T")


def _print(*lines: str) -> None:
    print(*lines, sep="\n", flush=True)


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    db.require_existing(settings.database_url)

    async def run() -> T:
        await db.start(settings.database_url, settings.db_pool_max)
        try:
            return await work()
        finally:
            # An aiosqlite connection left open keeps the process from exiting.
            await Tortoise.close_connections()

    return asyncio.run(run())


async def _migrate(settings: Settings) -> None:
    try:
        await db.migrate(settings.database_url)
    finally:
        await Tortoise.close_connections()


async def _seed() -> tuple[bool, bool]:
    """Whether the demo city was seeded now, and whether its accounts exist."""
    seeded = await seed_demo()
    return seeded, await Account.filter(email=demo_data.MODERATOR[0]).exists()


# --- commands: each takes the settings and the parsed arguments --------------------------


def serve(settings: Settings, args: argparse.Namespace) -> None:
    if args.demo and settings.production:
        raise CommandError(
            "--demo is refused in production: it creates accounts with a known password"
        )
    if args.subgraph == "city" and args.demo:
        raise CommandError("--demo writes accounts: seed with the community subgraph")
    # The city subgraph's role may not change tables: the monolith or the community migrates.
    if args.subgraph != "city":
        asyncio.run(_migrate(settings))
    if args.demo:
        seeded, ready = _with_database(settings, _seed)
        if seeded:
            _print(f"Seeded the demo city {demo_data.CITY}.")
        elif not ready:
            _print("The database already has a city: the demo city was not seeded.")
        if ready:
            _print(
                f"Demo accounts ({demo_data.MODERATOR[0]}, {demo_data.CITY_STAFF[0]}, and residents "
                f"such as {person(0)[1]}) sign in with the password "
                f"{demo_data.PASSWORD}"
            )
    if not settings.production:
        _print(f"GraphiQL: http://{args.host}:{args.port}/graphql")
    if not os.environ.get("QUARTIER_PUBLIC_URL", "").strip():
        # The e-mails' links lead to this server unless the setting says where else.
        os.environ["QUARTIER_PUBLIC_URL"] = served_url(args.host, args.port)
    with_worker = args.with_worker if args.with_worker is not None else args.demo
    if with_worker:
        # The app factory reads it (uvicorn imports the app in its own way).
        os.environ["QUARTIER_WITH_WORKER"] = "1"
        where = (settings.smtp_url and _safe_url(settings.smtp_url)) or f"{settings.mail_dir}/*.eml"
        _print(f"E-mail worker: on, sending to {where}")
    run_uvicorn(settings, args)


def served_url(host: str, port: int) -> str:
    """Where a browser on this machine reaches `serve --host HOST --port PORT`: a wildcard
    address is no place to link to, so it becomes the loopback one."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_uvicorn(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from server.launch import collector_paused
    from server.live.transport import UVICORN_OPTIONS
    from server.observability import listener, registry
    from server.observability.logs import UVICORN_LOG_CONFIG

    module = "server.subgraphs" if args.subgraph else "server.app"
    if args.workers == 1:
        # Loaded here rather than by uvicorn: with the collector paused (server/launch.py).
        # Not with several workers: each loads the app itself, and the parent must not
        # create its metrics before their shared directory is prepared below.
        with collector_paused():
            importlib.import_module(module)

    # Each worker counts its own requests: with several, they share a directory of metric
    # files (prometheus-client's multiprocess mode) that a scrape of any of them adds up.
    made = registry.prepare_multiprocess() if args.workers > 1 else None
    try:
        if settings.metrics_listen:
            listener.start(settings.metrics_listen)
        uvicorn.run(
            f"{module}:{args.subgraph}_app" if args.subgraph else f"{module}:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=UVICORN_LOG_CONFIG,
            # One JSON line per request replaces it (server/observability/middleware.py).
            access_log=False,
            # The client's address comes from server/client_address.py alone, which trusts
            # X-Forwarded-For from QUARTIER_TRUSTED_PROXIES only (uvicorn trusts 127.0.0.1).
            proxy_headers=False,
            **UVICORN_OPTIONS,
        )
    finally:
        registry.remove(made)


def migrate(settings: Settings, _args: argparse.Namespace) -> None:
    asyncio.run(_migrate(settings))
    _print(f"Migrations applied to {_safe_url(settings.database_url)}")


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def account_create(settings: Settings, args: argparse.Namespace) -> None:
    password = args.password if args.password is not None else _read_password()
    account = _with_database(
        settings,
        lambda: operations.create_account(
            email=args.email,
            password=password,
            role=args.role,
            display_name=args.display_name,
            city_name=args.city,
        ),
    )
    _print(f"Created {account.role} account #{account.id} {account.email} ({account.display_name})")


def token_create(settings: Settings, args: argparse.Namespace) -> None:
    raw, account = _with_database(
        settings,
        lambda: operations.create_api_token(role=args.role, name=args.name, city_name=args.city),
    )
    _print(
        f"Created {account.role} account #{account.id} {account.display_name!r} and its token.",
        "Store the token now: only its hash is kept. It does not expire; revoke it with "
        f"`quartier token revoke {shlex.quote(account.display_name)}`.",
        raw,
    )


def token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    token, revoked = _with_database(settings, lambda: operations.revoke_api_token(args.name))
    assert token.revoked_at is not None
    if revoked:
        # Its open websocket connections close now rather than at the next session check.
        from resolvers.broadcast import SessionChanged
        from server.live.broker import announce

        changed = SessionChanged(token.account_id)
        asyncio.run(announce(settings.redis_url, settings.redis_prefix, changed))
    when = token.revoked_at.isoformat(timespec="seconds")
    _print(
        f"Revoked token {token.name!r}."
        if revoked
        else f"Token {token.name!r} was already revoked ({when})."
    )


def streets_import(settings: Settings, args: argparse.Namespace) -> None:
    rows = imports.read_streets_file(Path(args.file))
    summary = _with_database(
        settings,
        lambda: imports.import_streets(
            rows, city_name=args.city, default_threshold=settings.default_activation_threshold
        ),
    )
    city = f"{summary.city} (created)" if summary.city_created else summary.city
    _print(
        f"{city}: {summary.neighbourhoods_created} neighbourhoods created, "
        f"{summary.neighbourhoods_updated} updated, {summary.streets_created} streets created."
    )
    if summary.activated:
        _print(f"Now active: {', '.join(summary.activated)}.")


def neighbourhood_threshold(settings: Settings, args: argparse.Namespace) -> None:
    row, verified = _with_database(
        settings, lambda: operations.set_threshold(args.name, args.threshold, args.city)
    )
    state = "active" if row.is_active else "not active yet"
    _print(
        f"{row.name}: threshold {row.activation_threshold}, {verified} verified residents, {state}."
    )


def letters_export(settings: Settings, args: argparse.Namespace) -> None:
    # Before the output file is opened: a refusal leaves no empty file behind.
    db.require_existing(settings.database_url)
    if args.out is None:
        count = _with_database(settings, lambda: operations.write_pending_letters(sys.stdout))
        sys.stdout.flush()
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            count = _with_database(settings, lambda: operations.write_pending_letters(out))
    # Not on stdout, which may be the CSV itself.
    print(f"{count} pending letters exported.", file=sys.stderr)


# --- arguments ---------------------------------------------------------------------------


def _threshold(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def _commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="apply migrations and run the API with uvicorn")
    p.add_argument("--demo", action="store_true", help="seed the demo city into an empty database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--subgraph",
        choices=federation_cli.SUBGRAPHS,
        help="serve one subgraph of the federated API (default: both sides in one schema)",
    )
    p.add_argument(
        "--with-worker",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the e-mail worker in this process (default: on with --demo, else off)",
    )
    p.set_defaults(handler=serve)

    sub.add_parser("migrate", help="apply the migrations to DATABASE_URL").set_defaults(
        handler=migrate
    )

    accounts = sub.add_parser("account", help="staff accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = accounts.add_parser("create", help="a CITY_STAFF, MODERATOR or ADMIN account")
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="asked for when omitted (keeps it out of shell history)")
    p.add_argument("--role", required=True, help="CITY_STAFF, MODERATOR or ADMIN")
    p.add_argument("--display-name")
    p.add_argument("--city", help="for CITY_STAFF; defaults to the only city")
    p.set_defaults(handler=account_create)
    privacy_cli.add_commands(accounts, sub, _with_database)

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = token.add_parser("create", help="a token-only account and its token (printed last)")
    p.add_argument("--role", required=True, help="CITY_INTEGRATION, CITY_STAFF, MODERATOR or ADMIN")
    p.add_argument("--name", required=True, help="names the token and its account")
    p.add_argument("--city", help="for city roles; defaults to the only city")
    p.set_defaults(handler=token_create)
    p = token.add_parser("revoke", help="revoke a named token")
    p.add_argument("name")
    p.set_defaults(handler=token_revoke)

    streets = sub.add_parser("streets", help="streets and neighbourhoods").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = streets.add_parser(
        "import", help="CSV: neighbourhood, street, postal_code[, activation_threshold]"
    )
    p.add_argument("file")
    p.add_argument("--city", help="created when missing; defaults to the only city")
    p.set_defaults(handler=streets_import)

    hoods = sub.add_parser("neighbourhoods", help="neighbourhood settings").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = hoods.add_parser("threshold", help="set the activation threshold")
    p.add_argument("name")
    p.add_argument("threshold", type=_threshold)
    p.add_argument("--city")
    p.set_defaults(handler=neighbourhood_threshold)

    letters = sub.add_parser("letters", help="verification letters").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = letters.add_parser("export", help="pending letters as CSV, newest first")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(handler=letters_export)

    federation_cli.add_commands(sub)
    mail_cli.add_commands(sub)
    media_cli.add_commands(sub)
    trusted_cli.add_commands(sub, _with_database)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="quartier", description="Operate a Quartier server.")
    _commands(root)
    return root


def _missing_table(message: str) -> bool:
    return "no such table" in message or ("relation" in message and "does not exist" in message)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"quartier: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        args.handler(settings, args)
    except (CommandError, db.MissingDatabase) as error:
        print(f"quartier: {error}", file=sys.stderr)
        return 1
    except (DBConnectionError, OperationalError) as error:
        first = (str(error).splitlines() or [type(error).__name__])[0]
        hint = " (run `quartier migrate` first?)" if _missing_table(first) else ""
        print(f"quartier: database error: {first}{hint}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"quartier: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
