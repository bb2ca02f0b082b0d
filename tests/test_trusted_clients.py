"""Apollo Client 4's persisted queries against a real uvicorn. Apollo hashes the document it
sends (its own printing, `__typename` added), so the texts a build sends are what it imports:
before, each operation costs the hash (PersistedQueryNotFound) then the text; after, one GET
by hash. Under `require`, a resident's document that is not imported is refused.

Needs Node and `npm ci --prefix tests/clients`: skipped without them, failing in CI."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest

from models.trusted import TrustedDocument
from server.trusted.manifests import BUILTIN_SOURCE, store
from tests.served import Served, served_app
from tests.test_clients import CLIENTS_DIR, require_client_packages
from tests.trusted_support import REQUIRED_MESSAGE, document_id

OPERATIONS = [
    {"name": "Slugs", "document": "query Slugs { topics { slug } }", "variables": {}},
    {"name": "Me", "document": "query Me { viewer { displayName } }", "variables": {}},
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[dict]:
    require_client_packages()
    with (
        served_app(tmp_path_factory, database_url) as allow,
        served_app(tmp_path_factory, database_url, QUARTIER_TRUSTED_DOCUMENTS="require") as require,
    ):
        yield {"allow": allow, "require": require}


@pytest.fixture(autouse=True)
async def imported_documents_removed() -> AsyncIterator[None]:
    yield
    await TrustedDocument.exclude(origin=BUILTIN_SOURCE).delete()


def apollo(server: Served, token: str, operations: list[dict]) -> list[dict]:
    done = subprocess.run(
        ["node", "persisted.mjs", server.url, token, json.dumps(operations)],
        cwd=CLIENTS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


async def test_apollo_sends_the_text_until_its_build_is_imported_then_the_hash_alone(
    servers, world
):
    before = apollo(servers["allow"], world.alice_token, OPERATIONS)
    sent = [r["requests"][1]["text"] for r in before]
    await store([(document_id(text), text) for text in sent], "persisted-query-manifest.json")
    after = apollo(servers["allow"], world.alice_token, OPERATIONS)

    for result in before:
        assert result["error"] is None
        assert [(r["method"], r["text"] is None) for r in result["requests"]] == [
            ("GET", True),
            ("POST", False),
        ]
    assert all("__typename" in text for text in sent)
    assert [r["data"] for r in after] == [r["data"] for r in before]
    assert "mobilite" in [t["slug"] for t in after[0]["data"]["topics"]]
    assert after[1]["data"]["viewer"]["displayName"] == "Alice Dupont"
    assert [r["requests"] for r in after] == [[{"method": "GET", "text": None}]] * 2


async def test_under_require_a_resident_runs_the_imported_documents_only(servers, world):
    labels = {"name": "Labels", "document": "query Labels { topics { label } }", "variables": {}}
    other = {"name": "Mine", "document": "query Mine { viewer { id } }", "variables": {}}
    [before] = apollo(servers["allow"], world.alice_token, [labels])
    text = before["requests"][1]["text"]
    await store([(document_id(text), text)], "persisted-query-manifest.json")

    imported, refused = apollo(servers["require"], world.alice_token, [labels, other])

    assert "Mobilité" in [t["label"] for t in imported["data"]["topics"]]
    assert imported["requests"] == [{"method": "GET", "text": None}]
    assert (refused["data"], refused["error"]) == (None, REQUIRED_MESSAGE)
