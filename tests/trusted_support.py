"""Helpers for the trusted documents' tests: the built-in manifest's documents by operation
name, and an app whose setting is chosen."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from server.app import create_app
from server.settings import Settings, TrustedDocumentsMode
from server.trusted.documents import document_id
from server.trusted.manifests import BUILTIN

__all__ = ["document_id"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
REQUIRED_MESSAGE = (
    "Ce serveur n'exécute que les documents de confiance de ses clients : envoyez le "
    "`documentId` d'un document connu."
)


def builtin(name: str) -> tuple[str, str]:
    """(id, text) of the built-in document of the contract's operation `name`."""
    manifest = json.loads(BUILTIN.read_text(encoding="utf-8"))
    found = [(i, t) for i, t in manifest.items() if f" {name}" in t.split("{", 1)[0]]
    assert len(found) == 1, name
    return found[0]


@asynccontextmanager
async def client(
    settings: Settings, mode: str, **changes: object
) -> AsyncIterator[httpx.AsyncClient]:
    chosen = replace(settings, trusted_documents=TrustedDocumentsMode(mode), **changes)
    app = create_app(chosen, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as http:
        yield http


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    return [(e["message"], e["extensions"]["code"]) for e in response.json()["errors"]]
