"""Manifests of trusted documents: the client builds' (read by `quartier documents import`)
and the built-in one, generated from the contract's web documents and stored by
`quartier migrate`.

Read formats, each a JSON file:
- GraphQL over HTTP's trusted documents: `{"sha256:<hex>": "<document>"}` (the built-in
  manifest is one);
- GraphQL Code Generator's client preset, `persisted-documents.json`: `{"<hex>": "<document>"}`;
- Apollo's `persisted-query-manifest.json`: `{"format": "apollo-persisted-query-manifest",
  "version": 1, "operations": [{"id": "<hex>", "name", "type", "body": "<document>"}]}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from graphql import (
    DefinitionNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.trusted import TrustedDocument
from server.trusted.documents import HEX, PREFIX, Refused, document_id, is_document_id

BUILTIN: Final = Path(__file__).resolve().parent / "web-documents.json"
BUILTIN_SOURCE: Final = "contract:web"
APOLLO_FORMAT: Final = "apollo-persisted-query-manifest"


def _full_id(key: object) -> str:
    """`sha256:<hex>` from either form of key; Refused for anything else."""
    if isinstance(key, str):
        if is_document_id(key):
            return key
        if HEX.fullmatch(key):
            return PREFIX + key
    raise Refused(f"{key!r} is not a SHA-256 id (sha256:<64 hex digits> or 64 hex digits)")


def _apollo(data: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    if data.get("version") != 1 or not isinstance(data.get("operations"), list):
        raise Refused("an Apollo manifest has version 1 and a list of operations")
    for operation in data["operations"]:
        if not isinstance(operation, dict):
            raise Refused("an Apollo manifest's operations are objects")
        yield operation.get("id"), operation.get("body")


def entries(data: object) -> list[tuple[str, str]]:
    """(id, text) of each document of a manifest, each id the hash of its text; Refused
    naming the first entry that is not."""
    if not isinstance(data, dict):
        raise Refused("a manifest is a JSON object")
    pairs = _apollo(data) if data.get("format") == APOLLO_FORMAT else iter(data.items())
    found = []
    for key, text in pairs:
        id_ = _full_id(key)
        if not isinstance(text, str):
            raise Refused(f"{id_}: the document is not a string")
        if document_id(text) != id_:
            raise Refused(f"{id_}: the id is not the SHA-256 of the document's text")
        found.append((id_, text))
    if not found:
        raise Refused("the manifest holds no document")
    return found


def read(path: Path) -> list[tuple[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise Refused("the file is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise Refused(f"the file is not JSON: {error}") from None
    return entries(data)


def operation_names(text: str) -> str:
    return " ".join(
        d.name.value if d.name else ""
        for d in parse(text).definitions
        if isinstance(d, OperationDefinitionNode)
    )


# --- the built-in manifest: the contract's web documents ---------------------------------


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: Any) -> None:
        self.names.append(node.name.value)


def _with_fragments(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> DocumentNode:
    """The operation and the fragments it spreads, directly or through others."""
    chosen: dict[str, FragmentDefinitionNode] = {}
    pending: list[DefinitionNode] = [operation]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in spreads.names:
            if name not in chosen and name in fragments:
                chosen[name] = fragments[name]
                pending.append(fragments[name])
    return DocumentNode(definitions=(operation, *chosen.values()))


def split(texts: Iterable[str]) -> dict[str, str]:
    """One document per operation (a client sends one at a time), printed by graphql-core
    so that its id does not depend on comments or layout: `{"sha256:<hex>": text}`."""
    manifest = {}
    for text in texts:
        definitions = parse(text).definitions
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        for definition in definitions:
            if isinstance(definition, OperationDefinitionNode):
                printed = print_ast(_with_fragments(definition, fragments))
                manifest[document_id(printed)] = printed
    return manifest


def contract_manifest(directory: Path) -> dict[str, str]:
    return split(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.graphql")))


def dumps(manifest: dict[str, str]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


async def store(found: list[tuple[str, str]], source: str) -> int:
    """Writes the documents not stored yet, all or none; how many were new."""
    async with in_transaction():
        present = set(
            await TrustedDocument.filter(id__in=[i for i, _ in found]).values_list("id", flat=True)
        )
        new = [(i, t) for i, t in dict(found).items() if i not in present]
        at = now()
        await TrustedDocument.bulk_create(
            [
                TrustedDocument(
                    id=i, body=t, operation_names=operation_names(t), origin=source, created_at=at
                )
                for i, t in new
            ]
        )
    return len(new)


async def store_builtin() -> None:
    """The built-in manifest's documents, and none it no longer holds (the contract's
    documents change with it)."""
    found = entries(json.loads(BUILTIN.read_text(encoding="utf-8")))
    await (
        TrustedDocument.filter(origin=BUILTIN_SOURCE).exclude(id__in=[i for i, _ in found]).delete()
    )
    await store(found, BUILTIN_SOURCE)
