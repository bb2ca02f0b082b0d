"""Every contract document an issue has named validates against the schema the server serves
(fetched by introspection over HTTP), unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_client_schema, get_introspection_query, parse, validate

from tests.support import CONTRACT, ROOT, contract_documents

# The documents the landed issues cover. The others show where the API is going: they are
# expected not to validate yet, strictly, so the day one does this list must grow.
COVERED = {
    "web/account.graphql",
    "web/feed.graphql",
    "web/messages.graphql",
    "moderation/verification.graphql",
    "city/announcements.graphql",
    "web/city.graphql",
    "city/insights.graphql",
    "moderation/moderation.graphql",
    "web/live.graphql",
}
SHARED = ROOT.parent / "shared" / "contract"


def _relative(path: Path) -> str:
    return path.relative_to(CONTRACT).as_posix()


def _params() -> list:
    return [
        pytest.param(
            _relative(path),
            id=_relative(path),
            marks=[]
            if _relative(path) in COVERED
            else [pytest.mark.xfail(strict=True, reason="not built yet")],
        )
        for path in contract_documents()
    ]


@pytest.fixture
async def served_schema(api):
    result = await api(get_introspection_query())
    return build_client_schema(result["data"])


@pytest.mark.parametrize("relative", _params())
async def test_contract_document_validates_against_the_served_schema(served_schema, relative):
    document = parse((CONTRACT / relative).read_text())

    errors = validate(served_schema, document)

    assert [e.message for e in errors] == []


def test_every_covered_document_exists():
    assert {_relative(p) for p in contract_documents()} >= COVERED


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared/ checkout beside this clone")
def test_vendored_contract_matches_the_shared_one():
    shared = {
        p.relative_to(SHARED).as_posix(): p.read_text() for p in SHARED.rglob("*") if p.is_file()
    }
    vendored = {
        p.relative_to(CONTRACT).as_posix(): p.read_text()
        for p in CONTRACT.rglob("*")
        if p.is_file()
    }

    assert vendored == shared
