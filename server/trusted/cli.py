"""`quartier documents import FILE | list | manifest`: the trusted documents an operator adds
from a client build's manifest, those stored, and the built-in manifest regenerated from the
contract's web documents."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from models.trusted import TrustedDocument
from server.operations import CommandError
from server.settings import Settings
from server.trusted import manifests
from server.trusted.documents import Refused, checked

Runner = Callable[[Settings, Callable[[], Awaitable[Any]]], Any]
CONTRACT_WEB = Path("tests/contract/web")


def _print(*lines: str) -> None:
    print(*lines, sep="\n", flush=True)


def verified(found: list[tuple[str, str]]) -> list[str]:
    """Each document checked against the API's schema (the monolith's, the one clients see
    whole); the reasons of those refused."""
    from schema.schemas import build_schema

    schema = build_schema(production=False)._schema
    reasons = []
    for id_, text in found:
        try:
            checked(schema, text)
        except Refused as refusal:
            reasons.append(f"{id_}: {refusal}")
    return reasons


def import_documents(run: Runner, settings: Settings, args: argparse.Namespace) -> None:
    path = Path(args.file)
    try:
        found = manifests.read(path)
    except Refused as refusal:
        raise CommandError(f"{path}: {refusal}; nothing imported") from None
    reasons = verified(found)
    if reasons:
        raise CommandError(
            "\n".join([f"{path}: {len(reasons)} document(s) refused, nothing imported:", *reasons])
        )
    source = args.source or path.name
    new = run(settings, lambda: manifests.store(found, source))
    _print(f"{path}: {new} document(s) added, {len(set(found)) - new} already trusted.")


def list_documents(run: Runner, settings: Settings, _args: argparse.Namespace) -> None:
    async def rows() -> list[TrustedDocument]:
        return await TrustedDocument.all().order_by("origin", "operation_names", "id")

    for row in run(settings, rows):
        _print(f"{row.id}\t{row.operation_names or '(anonymous)'}\t{row.origin}")


def write_manifest(_settings: Settings, args: argparse.Namespace) -> None:
    directory = Path(args.contract)
    if not directory.is_dir():
        raise CommandError(f"no contract documents at {directory.resolve()}")
    text = manifests.dumps(manifests.contract_manifest(directory))
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")


def add_commands(sub: Any, run: Runner) -> None:
    documents = sub.add_parser("documents", help="trusted documents").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = documents.add_parser(
        "import",
        help="a client build's manifest (GraphQL over HTTP's, Codegen's or Apollo's), each "
        "document checked against the schema: all or nothing",
    )
    p.add_argument("file")
    p.add_argument("--source", help="what the list says it came from (default: the file name)")
    p.set_defaults(handler=lambda s, a: import_documents(run, s, a))
    p = documents.add_parser("list", help="the trusted documents: id, operations, source")
    p.set_defaults(handler=lambda s, a: list_documents(run, s, a))
    p = documents.add_parser(
        "manifest", help="the built-in manifest, generated from the contract's web documents"
    )
    p.add_argument("--contract", default=str(CONTRACT_WEB), help=f"default: {CONTRACT_WEB}")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(handler=write_manifest)
