"""Trusted documents over HTTP: requests that name a document by `documentId` or Apollo's
hash, what each setting (off, allow, require) lets whom send, and that a trusted request
is neither parsed nor validated again."""

from __future__ import annotations

import hashlib
import json
import sys

import graphql.language.parser
import httpx
import pytest

from models.accounts import Role
from models.trusted import TrustedDocument
from resolvers.ids import to_global_id
from schema import request_checks
from server.settings import Settings, SettingsError, TrustedDocumentsMode
from server.trusted.manifests import BUILTIN, BUILTIN_SOURCE, contract_manifest, dumps
from tests import support
from tests.trusted_support import GRAPHQL_RESPONSE, bearer, builtin, client, errors

TOPICS_ID, TOPICS = builtin("Topics")
REQUIRED = (
    "Ce serveur n'exécute que les documents de confiance de ses clients : envoyez le "
    "`documentId` d'un document connu."
)


def apq(hex_: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": hex_}}


def slugs(response: httpx.Response) -> list[str]:
    return [t["slug"] for t in response.json()["data"]["topics"]]


def test_the_built_in_manifest_is_generated_from_the_contracts_web_documents():
    generated = dumps(contract_manifest(support.CONTRACT / "web"))
    assert BUILTIN.read_text(encoding="utf-8") == generated, (
        "run `quartier documents manifest --out server/trusted/web-documents.json`"
    )
    manifest = json.loads(generated)
    # One document per operation of the web client, each named by its text's hash.
    assert len(manifest) == sum(
        text.count("\nquery ") + text.count("\nmutation ") + text.count("\nsubscription ")
        for text in (p.read_text() for p in (support.CONTRACT / "web").glob("*.graphql"))
    )
    for id_, text in manifest.items():
        assert id_ == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


async def test_migrations_store_the_built_in_documents(database_url):
    stored = await TrustedDocument.filter(origin=BUILTIN_SOURCE).values_list("id", flat=True)
    assert sorted(stored) == sorted(json.loads(BUILTIN.read_text()))
    row = await TrustedDocument.get(id=TOPICS_ID)
    assert (row.body, row.operation_names) == (TOPICS, "Topics")


# --- allow ---------------------------------------------------------------------------------


async def test_a_document_id_runs_the_trusted_document_over_post_and_get(settings, world):
    alice = bearer(world.alice_token)
    async with client(settings, "allow") as http:
        posted = await http.post("/graphql", json={"documentId": TOPICS_ID}, headers=alice)
        got = await http.get("/graphql", params={"documentId": TOPICS_ID}, headers=alice)
        text = await http.post("/graphql", json={"query": TOPICS}, headers=alice)
    assert posted.status_code == got.status_code == 200
    assert posted.json() == got.json() == text.json()
    assert "mobilite" in slugs(posted)


async def test_a_document_id_with_variables_and_operation_name(settings, world):
    id_, _ = builtin("NeighbourhoodFeed")
    variables = {"id": to_global_id("Neighbourhood", world.centre.id), "first": 5}
    async with client(settings, "allow") as http:
        response = await http.post(
            "/graphql",
            json={"documentId": id_, "variables": variables, "operationName": "NeighbourhoodFeed"},
            headers=bearer(world.alice_token),
        )
        wrong_name = await http.post(
            "/graphql",
            json={"documentId": id_, "variables": variables, "operationName": "Other"},
            headers=bearer(world.alice_token),
        )
    assert response.json()["data"]["neighbourhood"]["name"] == "La Louvière centre"
    # As the same text would be answered.
    assert wrong_name.status_code == 400
    assert errors(wrong_name) == [('Unknown operation named "Other".', "BAD_REQUEST")]


async def test_apollos_hash_alone_runs_a_trusted_document_over_post_and_get(settings, world):
    hex_ = TOPICS_ID.removeprefix("sha256:")
    alice = bearer(world.alice_token)
    async with client(settings, "allow") as http:
        posted = await http.post("/graphql", json={"extensions": apq(hex_)}, headers=alice)
        got = await http.get(
            "/graphql", params={"extensions": json.dumps(apq(hex_))}, headers=alice
        )
    assert posted.json() == got.json()
    assert "mobilite" in slugs(posted)


async def test_unknown_ids_are_coded_as_apollo_and_graphql_over_http_clients_expect(settings):
    unknown = hashlib.sha256(b"query { nothing }").hexdigest()
    async with client(settings, "allow") as http:
        by_hash = await http.post("/graphql", json={"extensions": apq(unknown)})
        by_id = await http.post("/graphql", json={"documentId": f"sha256:{unknown}"})
        strict = await http.post(
            "/graphql",
            json={"documentId": f"sha256:{unknown}"},
            headers={"Accept": GRAPHQL_RESPONSE},
        )
        odd = await http.get("/graphql", params={"documentId": "md5:abc"})
    assert by_hash.status_code == 200
    assert by_hash.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert errors(by_id) == [
        (f"Document de confiance inconnu : sha256:{unknown}.", "TRUSTED_DOCUMENT_NOT_FOUND")
    ]
    assert (strict.status_code, "data" in strict.json()) == (400, False)
    assert errors(odd) == [
        ("Document de confiance inconnu : md5:abc.", "TRUSTED_DOCUMENT_NOT_FOUND")
    ]


async def test_text_and_an_id_that_do_not_match_are_refused(settings):
    other = hashlib.sha256(b"{ topics { slug } }").hexdigest()
    async with client(settings, "allow") as http:
        with_id = await http.post(
            "/graphql", json={"query": TOPICS, "documentId": f"sha256:{other}"}
        )
        with_hash = await http.post("/graphql", json={"query": TOPICS, "extensions": apq(other)})
        both = await http.post(
            "/graphql",
            json={"documentId": TOPICS_ID, "extensions": apq(other)},
            headers={"Accept": GRAPHQL_RESPONSE, "Accept-Language": "en"},
        )
    mismatch = ("L'identifiant ne correspond pas au texte du document.", "DOCUMENT_ID_MISMATCH")
    assert errors(with_id) == errors(with_hash) == [mismatch]
    assert both.status_code == 400
    assert [code for _, code in errors(both)] == ["DOCUMENT_ID_MISMATCH"]


async def test_apollos_registration_runs_the_text_and_stores_nothing(settings, world):
    text = "query Slugs { topics { slug } }"
    hex_ = hashlib.sha256(text.encode()).hexdigest()
    async with client(settings, "allow") as http:
        registered = await http.post(
            "/graphql",
            json={"query": text, "extensions": apq(hex_)},
            headers=bearer(world.alice_token),
        )
        again = await http.post("/graphql", json={"extensions": apq(hex_)})
    assert "mobilite" in slugs(registered)
    assert errors(again) == [("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")]
    assert not await TrustedDocument.exists(id=f"sha256:{hex_}")


class Calls:
    """Counts graphql-core's parsing and validation, wherever they are called from."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed = self.validated = 0
        parse_document = graphql.language.parser.Parser.parse_document
        validation = sys.modules["graphql.validation.validate"]
        context_class = validation.ValidationContext

        def counted_parse(parser: object) -> object:
            self.parsed += 1
            return parse_document(parser)  # type: ignore[arg-type]

        def counted_context(*args: object, **kwargs: object) -> object:
            self.validated += 1
            return context_class(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(graphql.language.parser.Parser, "parse_document", counted_parse)
        monkeypatch.setattr(validation, "ValidationContext", counted_context)
        # The text's own caches would hide a parse: the text path starts from nothing.
        request_checks._parse.cache_clear()
        request_checks.VALIDATED.clear()

    def reset(self) -> tuple[int, int]:
        counts = (self.parsed, self.validated)
        self.parsed = self.validated = 0
        return counts


async def test_a_trusted_request_is_neither_parsed_nor_validated(settings, world, monkeypatch):
    alice = bearer(world.alice_token)
    async with client(settings, "allow") as http:
        # The process meets the document: checked once.
        first = await http.post("/graphql", json={"documentId": TOPICS_ID}, headers=alice)
        calls = Calls(monkeypatch)
        by_id = [
            await http.post("/graphql", json={"documentId": TOPICS_ID}, headers=alice)
            for _ in range(3)
        ]
        trusted_counts = calls.reset()
        as_text = await http.post(
            "/graphql", json={"query": TOPICS.replace("{", "{ ", 1)}, headers=alice
        )
        text_counts = calls.reset()
        # Its variables are still checked, as every request's are.
        street_id, _ = builtin("StreetSearch")
        refused = await http.post(
            "/graphql", json={"documentId": street_id, "variables": {"search": "a\x00b"}}
        )
    assert "mobilite" in slugs(first)
    assert all(r.json() == first.json() for r in by_id)
    assert trusted_counts == (0, 0)
    assert text_counts == (1, 1)
    assert as_text.json() == first.json()
    assert errors(refused) == [
        (
            "Variable '$search' : caractère refusé (U+0000 ou demi-paire UTF-16) dans $search.",
            "BAD_USER_INPUT",
        )
    ]


# --- require -------------------------------------------------------------------------------


async def test_require_lets_anonymous_callers_and_residents_send_only_trusted_documents(
    settings, world
):
    unverified = (await support.make_resident(world.centre_street, "Nina", verified=False))[1]
    street_id, street_search = builtin("StreetSearch")
    variables = {"search": "Guyaux"}
    async with client(settings, "require") as http:
        for token in (None, world.alice_token, unverified):
            free = await http.post(
                "/graphql", json={"query": "{ topics { slug } }"}, headers=bearer(token)
            )
            strict = await http.post(
                "/graphql",
                json={"query": "{ topics { slug } }"},
                headers={**bearer(token), "Accept": GRAPHQL_RESPONSE},
            )
            named = await http.post(
                "/graphql",
                json={"documentId": street_id, "variables": variables},
                headers=bearer(token),
            )
            # The trusted document's own text is that document.
            same_text = await http.post(
                "/graphql",
                json={"query": street_search, "variables": variables},
                headers=bearer(token),
            )
            assert errors(free) == [(REQUIRED, "TRUSTED_DOCUMENT_REQUIRED")], token
            assert (strict.status_code, "data" in strict.json()) == (400, False)
            streets = named.json()["data"]["streets"]["edges"]
            assert [e["node"]["name"] for e in streets] == ["Rue Sylvain Guyaux"]
            assert same_text.json() == named.json()
        dutch = await http.post(
            "/graphql", json={"query": "{ topics { slug } }"}, headers={"Accept-Language": "nl"}
        )
    assert errors(dutch)[0][1] == "TRUSTED_DOCUMENT_REQUIRED"
    assert errors(dutch)[0][0] != REQUIRED


NESTED_FEED = """query Nested($id: ID!) {
  neighbourhood(id: $id) { posts(first: 100) { edges { node {
    neighbourhood { posts(first: 100) { edges { node {
      neighbourhood { posts(first: 100) { edges { node { id } } } }
    } } } }
  } } } }
}"""


async def test_require_lets_staff_and_city_roles_send_any_document_within_the_limits(
    settings, world
):
    tokens = [
        (await support.make_staff(role, role.value, world.city))[1]
        for role in (Role.MODERATOR, Role.ADMIN, Role.CITY_STAFF, Role.CITY_INTEGRATION)
    ]
    variables = {"id": to_global_id("Neighbourhood", world.centre.id)}
    async with client(settings, "require") as http:
        for token in tokens:
            free = await http.post(
                "/graphql", json={"query": "{ viewer { id } }"}, headers=bearer(token)
            )
            over = await http.post(
                "/graphql",
                json={"query": NESTED_FEED, "variables": variables},
                headers=bearer(token),
            )
            assert "errors" not in free.json()
            assert free.json()["data"]["viewer"]["id"]
            assert [code for _, code in errors(over)] == ["QUERY_TOO_COMPLEX"]


async def test_require_leaves_requests_the_gateway_admitted_to_the_gateway(settings, world):
    secret = "s3cret-of-the-gateway-and-subgraphs"
    async with client(settings, "require", gateway_secret=secret) as http:
        through = await http.post(
            "/graphql",
            json={"query": "{ topics { slug } }"},
            headers={**bearer(world.alice_token), "X-Quartier-Gateway-Secret": secret},
        )
        forged = await http.post(
            "/graphql",
            json={"query": "{ topics { slug } }"},
            headers={**bearer(world.alice_token), "X-Quartier-Gateway-Secret": "not-the-secret!!"},
        )
    assert "mobilite" in slugs(through)
    assert errors(forged) == [(REQUIRED, "TRUSTED_DOCUMENT_REQUIRED")]


# --- off -----------------------------------------------------------------------------------


async def test_off_refuses_ids_and_runs_text(settings, world):
    async with client(settings, "off") as http:
        by_id = await http.post("/graphql", json={"documentId": TOPICS_ID})
        by_hash = await http.post(
            "/graphql", json={"extensions": apq(TOPICS_ID.removeprefix("sha256:"))}
        )
        text = await http.post(
            "/graphql", json={"query": "{ topics { slug } }"}, headers=bearer(world.alice_token)
        )
    assert errors(by_id) == [
        (
            "Les documents de confiance ne sont pas activés : envoyez le texte.",
            "PERSISTED_QUERY_NOT_SUPPORTED",
        )
    ]
    assert errors(by_hash) == [("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")]
    assert "mobilite" in slugs(text)


async def test_a_get_without_a_query_but_with_an_id_is_not_the_ide_page(settings, world):
    async with client(settings, "allow") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        named = await http.get(
            "/graphql",
            params={"documentId": TOPICS_ID},
            headers={"Accept": "*/*", **bearer(world.alice_token)},
        )
    assert page.headers["content-type"].startswith("text/html")
    assert "mobilite" in slugs(named)


# --- the setting -----------------------------------------------------------------------------


def test_the_setting_reads_off_allow_or_require(monkeypatch):
    monkeypatch.delenv("QUARTIER_TRUSTED_DOCUMENTS", raising=False)
    assert Settings.from_env().trusted_documents is TrustedDocumentsMode.ALLOW
    monkeypatch.setenv("QUARTIER_TRUSTED_DOCUMENTS", " Require ")
    assert Settings.from_env().trusted_documents is TrustedDocumentsMode.REQUIRE
    monkeypatch.setenv("QUARTIER_TRUSTED_DOCUMENTS", "strict")
    with pytest.raises(SettingsError, match="must be 'off', 'allow' or 'require', got 'strict'"):
        Settings.from_env()


def test_production_compose_requires_trusted_documents_at_the_subgraphs_and_the_gateway(
    monkeypatch,
):
    from tests.test_compose import environment, settings_from

    for service in ("community", "city"):
        settings = settings_from(environment(service), monkeypatch)
        assert settings.trusted_documents is TrustedDocumentsMode.REQUIRE
    assert environment("gateway")["QUARTIER_TRUSTED_DOCUMENTS"] == "require"
