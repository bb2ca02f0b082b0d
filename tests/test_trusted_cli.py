"""`quartier documents import | list`: the three client manifests, each document checked
against the schema, all or nothing, through the real script."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from models.trusted import TrustedDocument
from server.trusted import manifests
from server.trusted.manifests import BUILTIN_SOURCE
from tests.test_cli import quartier

SLUGS = "query Slugs { topics { slug } }"
VIEWER = "query Me { viewer { id displayName } }"
BROKEN = "query Broken { topics { nope } }"


def hex_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(autouse=True)
async def imported_documents_removed() -> AsyncIterator[None]:
    """The built-in documents stay for the whole run; what a test imports goes after it."""
    yield
    await TrustedDocument.exclude(origin=BUILTIN_SOURCE).delete()


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


MANIFESTS = {
    "trusted-documents.json": {
        f"sha256:{hex_of(SLUGS)}": SLUGS,
        f"sha256:{hex_of(VIEWER)}": VIEWER,
    },
    "persisted-documents.json": {hex_of(SLUGS): SLUGS, hex_of(VIEWER): VIEWER},
    "persisted-query-manifest.json": {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": hex_of(SLUGS), "name": "Slugs", "type": "query", "body": SLUGS},
            {"id": hex_of(VIEWER), "name": "Me", "type": "query", "body": VIEWER},
        ],
    },
}


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_each_client_manifest_reads_as_the_same_documents(tmp_path, name):
    assert manifests.read(Path(write(tmp_path, name, MANIFESTS[name]))) == [
        (f"sha256:{hex_of(SLUGS)}", SLUGS),
        (f"sha256:{hex_of(VIEWER)}", VIEWER),
    ]


async def test_import_stores_a_manifest_once_and_list_shows_it(database_url, tmp_path):
    name = "persisted-query-manifest.json"
    path = write(tmp_path, name, MANIFESTS[name])

    first = await quartier(database_url, "documents", "import", path)
    again = await quartier(database_url, "documents", "import", path, "--source", "web 2.1")
    listed = await quartier(database_url, "documents", "list")

    assert (first.code, first.out, first.err) == (
        0,
        f"{path}: 2 document(s) added, 0 already trusted.\n",
        "",
    )
    assert (again.code, again.out) == (0, f"{path}: 0 document(s) added, 2 already trusted.\n")
    rows = await TrustedDocument.exclude(origin=BUILTIN_SOURCE).order_by("operation_names")
    assert [(r.id, r.body, r.operation_names, r.origin) for r in rows] == [
        (f"sha256:{hex_of(VIEWER)}", VIEWER, "Me", name),
        (f"sha256:{hex_of(SLUGS)}", SLUGS, "Slugs", name),
    ]
    lines = listed.out.splitlines()
    assert f"sha256:{hex_of(SLUGS)}\tSlugs\t{name}" in lines
    assert sum(line.endswith(f"\t{BUILTIN_SOURCE}") for line in lines) == 26


async def test_import_refuses_the_whole_file_for_one_bad_document(database_url, tmp_path):
    costly = (
        "query Costly($id: ID!) { neighbourhood(id: $id) { posts(first: 100) { edges { node {"
        " neighbourhood { posts(first: 100) { edges { node { neighbourhood { posts(first: 100)"
        " { edges { node { id } } } } } } } } } } } } }"
    )
    introspection = "query Schema { __schema { types { name } } }"
    wrong_hash = hex_of("something else")
    path = write(
        tmp_path,
        "bad.json",
        {
            hex_of(SLUGS): SLUGS,
            hex_of(BROKEN): BROKEN,
            hex_of(costly): costly,
            hex_of(introspection): introspection,
            hex_of("{"): "{",
        },
    )
    mismatched = write(tmp_path, "mismatch.json", {wrong_hash: SLUGS})

    run = await quartier(database_url, "documents", "import", path)
    mismatch = await quartier(database_url, "documents", "import", mismatched)
    not_json = await quartier(database_url, "documents", "import", __file__)

    assert (run.code, run.out) == (1, "")
    assert run.err.splitlines() == [
        f"quartier: {path}: 4 document(s) refused, nothing imported:",
        f"sha256:{hex_of(BROKEN)}: does not validate: Cannot query field 'nope' on type 'Topic'.",
        f"sha256:{hex_of(costly)}: over the limits (cost limit 10000): 'Costly' coûterait "
        "2040402 (limite : 10000) : demandez moins d'éléments (`first`) ou moins de niveaux.",
        f"sha256:{hex_of(introspection)}: does not validate: GraphQL introspection has been "
        "disabled, but the requested query contained the field '__schema'.",
        f"sha256:{hex_of('{')}: does not parse: Syntax Error: Expected Name, found <EOF>.",
    ]
    assert (mismatch.code, mismatch.out, mismatch.err) == (
        1,
        "",
        f"quartier: {mismatched}: sha256:{wrong_hash}: the id is not the SHA-256 of the "
        "document's text; nothing imported\n",
    )
    assert not_json.code == 1
    assert "the file is not JSON" in not_json.err
    assert not await TrustedDocument.exclude(origin=BUILTIN_SOURCE).exists()


async def test_documents_commands_refuse_a_database_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere.sqlite3"
    path = write(tmp_path, "ok.json", {hex_of(SLUGS): SLUGS})

    listed = await quartier(f"sqlite://{missing}", "documents", "list")
    imported = await quartier(f"sqlite://{missing}", "documents", "import", path)

    for run in (listed, imported):
        assert (run.code, run.out) == (1, "")
        assert run.err.startswith(f"quartier: no database at {missing} ")
    assert not missing.exists()
