"""The federated API: two subgraphs cut from one schema, composed by both composers, served by
Hive Gateway, and answering every contract document as the monolith does.

Tests that need Node's packages skip without `gateway/node_modules`, and fail instead when
CI=true: CI installs them (`npm ci --prefix gateway` in .ci/run).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    build_client_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    parse,
    print_type,
    validate,
)

from models.accounts import Role
from models.city import Notification, NotificationKind
from models.community import Post, PostKind, Topic
from models.geography import Neighbourhood, Street
from resolvers.context import Context
from resolvers.loaders import Loaders
from schema.schemas import build_schema as build_quartier_schema
from schema.subgraph_export import printed_sdl, sdl_path
from schema.subgraphs import Subgraph
from server.cli import main as quartier
from server.settings import Settings
from tests import support
from tests.processes import (
    STARTUP_SECONDS,
    Process,
    app_env,
    free_port,
    spawn,
    uvicorn,
    wait_until_ready,
)
from tests.support import CONTRACT, ROOT, count_statements, gid
from tests.test_city_role import city_role_url
from tests.test_contract import COVERED

GATEWAY_DIR = ROOT / "gateway"
FEDERATION_INTERNALS = re.compile(r"^(_Any|_Entity|_Service|_FieldSet|link__\w+)$")


def require_node_modules() -> None:
    installed = (GATEWAY_DIR / "node_modules" / "@graphql-hive" / "gateway-runtime").is_dir()
    if installed and shutil.which("node"):
        return
    message = "gateway/node_modules is missing: run `npm ci --prefix gateway`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# --- the split ---------------------------------------------------------------------------


@pytest.mark.parametrize("subgraph", list(Subgraph), ids=str)
def test_committed_subgraph_sdl_matches_the_schema(subgraph):
    assert sdl_path(subgraph).read_text() == printed_sdl(subgraph), (
        "a subgraph changed: run `python -m schema.subgraph_export`"
    )


@pytest.mark.parametrize("subgraph", [None, *Subgraph], ids=str)
def test_quartier_schema_export_prints_the_sdl(capsys, subgraph):
    argv = ["schema", "export"] + (["--subgraph", subgraph.value] if subgraph else [])

    assert quartier(argv) == 0

    assert capsys.readouterr().out == printed_sdl(subgraph)


def test_the_city_subgraph_seeds_nothing(capsys):
    assert quartier(["serve", "--subgraph", "city", "--demo"]) == 1

    assert "seed with the community subgraph" in capsys.readouterr().err


def _served(subgraph: Subgraph | None) -> GraphQLSchema:
    return build_quartier_schema(production=False, subgraph=subgraph)._schema


def _fields(subgraph: Subgraph | None) -> set[str]:
    schema = _served(subgraph)
    return {
        f"{name}.{field}"
        for name, type_ in schema.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not name.startswith("_")
        for field in type_.fields
        if not field.startswith("_")
    }


def test_the_two_subgraphs_together_serve_the_monolith_and_nothing_more():
    community, city = (_fields(s) for s in Subgraph)

    assert community | city == _fields(None)


def test_what_both_subgraphs_serve_is_keys_and_shareable_fields():
    community, city = (_fields(s) for s in Subgraph)

    assert sorted(community & city) == [
        "Account.id",
        "Announcement.id",
        "City.id",
        "Consultation.id",
        "ConsultationOption.id",
        "Neighbourhood.activationThreshold",
        "Neighbourhood.id",
        "Neighbourhood.isActive",
        "Neighbourhood.name",
        "Neighbourhood.registeredCount",
        "Neighbourhood.registeredCountSuppressed",
        "Neighbourhood.verifiedCount",
        "Neighbourhood.verifiedCountSuppressed",
        "Notification.id",
        "PageInfo.endCursor",
        "PageInfo.hasNextPage",
        "PageInfo.hasPreviousPage",
        "PageInfo.startCursor",
        "Street.id",
        "Street.name",
        "Street.neighbourhood",
        "Street.postalCode",
        "Topic.id",
        "Topic.label",
        "Topic.slug",
        "UserError.code",
        "UserError.field",
        "UserError.message",
        "UserError.retryAfter",
    ]


def test_the_city_subgraph_has_no_resident_content():
    city = _served(Subgraph.CITY)

    assert not {"Post", "Comment", "Message", "Conversation", "Resident", "Report"} & set(
        city.type_map
    )
    assert sorted(city.type_map["Account"].fields) == [
        "announcements",
        "id",
        "notifications",
        "unreadNotificationCount",
    ]
    assert "posts" not in city.type_map["Neighbourhood"].fields
    assert "reason" not in city.type_map["Notification"].fields


# --- composition -------------------------------------------------------------------------


def test_both_composers_compose_the_subgraphs_without_errors_or_hints():
    require_node_modules()
    env = {**os.environ, "APOLLO_TELEMETRY_DISABLED": "1"}
    env.pop("QUARTIER_COMMUNITY_URL", None)
    env.pop("QUARTIER_CITY_URL", None)

    done = subprocess.run(
        ["node", "compose.mjs", "--check", "--json"],
        cwd=GATEWAY_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    outcome = json.loads(done.stdout)
    assert outcome["apollo"] == {"errors": [], "hints": []}, done.stdout
    assert outcome["guild"] == {"errors": []}, done.stdout
    assert outcome["apiSchemasAgree"] is True
    assert outcome["drift"] is False, "gateway/supergraph.graphql: run `npm run compose`"
    assert done.returncode == 0, done.stderr


# --- entities ----------------------------------------------------------------------------

KEYS = {
    "Account": "id",
    "Neighbourhood": "id",
    "Street": "id",
    "Topic": "slug",
    "Post": "id",
    "Notification": "id",
}


@functools.cache
def _schema(subgraph: Subgraph):
    return build_quartier_schema(production=False, subgraph=subgraph)


async def entities(subgraph: Subgraph, viewer, representations) -> tuple[list, list[str]]:
    schema = _schema(subgraph)
    served = [name for name in KEYS if name in schema._schema.type_map]
    fragments = " ".join(f"... on {name} {{ {KEYS[name]} }}" for name in served)
    query = (
        "query Entities($representations: [_Any!]!) {"
        f" _entities(representations: $representations) {{ __typename {fragments} }} }}"
    )
    context = Context(viewer=viewer, token=None, loaders=Loaders(viewer), settings=Settings())
    with count_statements() as statements:
        result = await schema.execute(
            query, variable_values={"representations": representations}, context_value=context
        )
    assert result.errors is None, result.errors
    return result.data["_entities"], list(statements)


@pytest.fixture
async def hundred(world):
    """A hundred rows of each entity type, all in Alice's neighbourhood and city."""
    n = range(100)
    await Neighbourhood.bulk_create(
        [Neighbourhood(city=world.city, name=f"Quartier {i:03}") for i in n]
    )
    await Street.bulk_create(
        [
            Street(
                neighbourhood=world.centre,
                name=f"Allée {i}",
                search_name=f"allee {i}",
                postal_code="7100",
            )
            for i in n
        ]
    )
    await Topic.bulk_create(
        [Topic(city=world.city, slug=f"theme-{i}", label=f"Thème {i}") for i in n]
    )
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    await Post.bulk_create(
        [
            Post(
                neighbourhood=world.centre, author=world.bob, kind=PostKind.DISCUSSION,
                title=f"Sujet {i}", body="…", created_at=moment + timedelta(minutes=i),
            )
            for i in n
        ]
    )  # fmt: skip
    await Notification.bulk_create(
        [
            Notification(account=world.alice, kind=NotificationKind.ANNOUNCEMENT, created_at=moment)
            for _ in n
        ]
    )
    ids = {
        "Neighbourhood": await Neighbourhood.filter(name__startswith="Quartier ").values_list(
            "id", flat=True
        ),
        "Street": await Street.filter(name__startswith="Allée ").values_list("id", flat=True),
        "Post": await Post.all().values_list("id", flat=True),
        "Notification": await Notification.all().values_list("id", flat=True),
    }
    reps = {
        name: [{"__typename": name, "id": gid(name, pk)} for pk in pks] for name, pks in ids.items()
    }
    reps["Topic"] = [{"__typename": "Topic", "slug": f"theme-{i}"} for i in n]
    return reps


ENTITY_TABLES = {
    "Neighbourhood": "neighbourhood",
    "Street": "street",
    "Topic": "topic",
    "Post": "post",
    "Notification": "notification",
}


@pytest.mark.parametrize(
    ("subgraph", "type_name"),
    [(Subgraph.COMMUNITY, name) for name in ENTITY_TABLES]
    + [(Subgraph.CITY, name) for name in ENTITY_TABLES if name != "Post"],
    ids=lambda v: str(v),
)
async def test_a_hundred_representations_of_a_type_cost_one_statement(
    world, hundred, subgraph, type_name
):
    found, statements = await entities(subgraph, world.alice, hundred[type_name])

    assert len(found) == 100
    assert all(entity is not None and entity["__typename"] == type_name for entity in found)
    assert len(statements) == 1, statements
    assert f'FROM "{ENTITY_TABLES[type_name]}"' in statements[0]


@pytest.mark.parametrize("subgraph", list(Subgraph), ids=str)
async def test_an_account_resolves_to_the_caller_alone_without_a_statement(world, subgraph):
    others = [{"__typename": "Account", "id": gid("Account", pk)} for pk in range(1, 101)]

    found, statements = await entities(subgraph, world.alice, others)

    assert [e for e in found if e is not None] == [
        {"__typename": "Account", "id": gid("Account", world.alice.id)}
    ]
    assert statements == []


async def test_entities_answer_as_the_fields_that_lead_to_them(world, hundred):
    post = hundred["Post"][0]
    notification = hundred["Notification"][0]
    topic = {"__typename": "Topic", "slug": "mobilite"}
    moderator, _ = await support.make_staff(Role.MODERATOR, "Mona Modération")

    outsider, _ = await entities(Subgraph.COMMUNITY, world.carla, [post, notification, topic])
    anonymous, _ = await entities(Subgraph.COMMUNITY, None, [post, notification, topic])
    staff, _ = await entities(Subgraph.COMMUNITY, moderator, [post, notification, topic])

    # Carla sees her city's topic, not a post of another neighbourhood nor Alice's notification.
    assert outsider == [None, None, {"__typename": "Topic", "slug": "mobilite"}]
    assert anonymous == [None, None, None]
    # Moderators see every post and belong to no city's taxonomy.
    assert staff == [{"__typename": "Post", "id": post["id"]}, None, None]


# --- the gateway -------------------------------------------------------------------------


def _subgraph(name: str, database_url: str, directory: Path, **settings: str) -> Process:
    factory = f"server.subgraphs:{name}_app"
    return uvicorn(name, factory, app_env(database_url, **settings), directory / f"{name}.log")


def _gateway(community: Process, city: Process, directory: Path, **settings: str) -> Process:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env.update(
        APOLLO_TELEMETRY_DISABLED="1",
        QUARTIER_GATEWAY_PORT=str(port),
        QUARTIER_COMMUNITY_URL=f"{community.url}/graphql",
        QUARTIER_CITY_URL=f"{city.url}/graphql",
        **settings,
    )
    log = directory / "gateway.log"
    url = f"http://127.0.0.1:{port}"
    return spawn("gateway", ["node", "serve.mjs"], env, log, url, cwd=GATEWAY_DIR)


@pytest.fixture(scope="module")
async def city_database_url(database_url: str) -> AsyncIterator[str]:
    """On PostgreSQL, the city subgraph connects with its own narrow role."""
    if not database_url.startswith("postgres"):
        yield database_url
        return
    async with city_role_url(database_url) as url:
        yield url


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, city_database_url: str
) -> Iterator[str]:
    """Both subgraphs on the test database and Hive Gateway in front of them."""
    require_node_modules()
    directory = tmp_path_factory.mktemp("federation")
    started: list[Process] = []
    try:
        community = _subgraph("community", database_url, directory)
        started.append(community)
        city = _subgraph("city", city_database_url, directory)
        started.append(city)
        started.append(_gateway(community, city, directory))
        deadline = time.monotonic() + STARTUP_SECONDS
        wait_until_ready(community, deadline=deadline)
        wait_until_ready(city, deadline=deadline)
        wait_until_ready(started[2], "/readiness", deadline)
        yield started[2].url
    finally:
        for process in started:
            process.stop()


@pytest.fixture
async def through_gateway(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        yield client


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json=body, headers=headers)
    return {"status": response.status_code, **response.json()}


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without error locations: the gateway cannot map them back to the client's
    document, and drops them."""
    errors = [{k: v for k, v in e.items() if k != "locations"} for e in answer.get("errors", [])]
    return {"status": answer["status"], "data": answer.get("data"), "errors": errors}


def _api_types(introspection: dict[str, Any]) -> dict[str, str]:
    """Each type of a served schema, printed; federation's own types and fields aside."""
    schema = lexicographic_sort_schema(build_client_schema(introspection))
    printed = {
        name: print_type(type_)
        for name, type_ in schema.type_map.items()
        if not name.startswith("__") and not FEDERATION_INTERNALS.match(name)
    }
    query = [line for line in printed["Query"].splitlines() if not line.startswith("  _")]
    printed["Query"] = "\n".join(query).replace("{\n\n", "{\n")
    return printed


async def test_the_gateway_serves_the_monolith_api(api, through_gateway):
    monolith = (await api(get_introspection_query()))["data"]
    supergraph = (await post(through_gateway, {"query": get_introspection_query()}, None))["data"]

    assert _api_types(supergraph) == _api_types(monolith)


@pytest.mark.parametrize("relative", sorted(COVERED))
async def test_every_covered_document_validates_against_the_supergraph(through_gateway, relative):
    supergraph = build_client_schema(
        (await post(through_gateway, {"query": get_introspection_query()}, None))["data"]
    )

    assert [e.message for e in validate(supergraph, parse((CONTRACT / relative).read_text()))] == []


# --- one state, many callers -------------------------------------------------------------

PASSWORD = "Terril-Bleu-2026!"
CALLERS = (
    "anonymous", "unverified", "alice", "bob", "carla",
    "city_staff", "integration", "moderator", "admin",
)  # fmt: skip


FEED, ACCOUNT, MESSAGES = "web/feed.graphql", "web/account.graphql", "web/messages.graphql"
ANNOUNCEMENTS, WEB_CITY = "city/announcements.graphql", "web/city.graphql"
MODERATION = "moderation/moderation.graphql"


@dataclass
class State:
    tokens: dict[str, str | None]
    ids: dict[str, str] = field(default_factory=dict)
    letter_code: str = ""


async def _run(api, document: str, operation: str, variables: dict, token: str | None) -> dict:
    return await support.run_contract(api, document, operation, variables, token)


async def build_state(api) -> State:
    """Residents of three neighbourhoods, the city's two accounts, operator staff, and what
    they did: posts (one shared with the city), comments, reactions, messages, a report, an
    announcement to everyone with a consultation and one to a neighbourhood, an answer, a
    hidden comment. Built through the monolith, as the clients would."""
    city = await support.make_city()
    centre = await support.make_neighbourhood(city, "La Louvière centre")
    haine = await support.make_neighbourhood(city, "Haine-Saint-Paul")
    maurage = await support.make_neighbourhood(city, "Maurage", active=False, threshold=3)
    streets = [
        await support.make_street(centre, "Rue Sylvain Guyaux"),
        await support.make_street(haine, "Rue de la Déportation"),
        await support.make_street(maurage, "Rue de l'Église", "7110"),
    ]
    people = {
        "alice": await support.make_resident(streets[0], "Alice Dupont"),
        "bob": await support.make_resident(streets[0], "Bob Lambert"),
        "carla": await support.make_resident(streets[1], "Carla Rossi"),
        "unverified": await support.make_resident(streets[2], "Ugo Martin", verified=False),
        "city_staff": await support.make_staff(Role.CITY_STAFF, "Service communication", city),
        "integration": await support.make_staff(Role.CITY_INTEGRATION, "Tableau de bord", city),
        "moderator": await support.make_staff(Role.MODERATOR, "Mona Modération"),
        "admin": await support.make_staff(Role.ADMIN, "Adam Admin"),
    }
    state = State(tokens={"anonymous": None, **{k: v[1] for k, v in people.items()}})
    state.ids.update(
        city=gid("City", city.id),
        centre=gid("Neighbourhood", centre.id),
        haine=gid("Neighbourhood", haine.id),
        maurage=gid("Neighbourhood", maurage.id),
        centre_street=gid("Street", streets[0].id),
        maurage_street=gid("Street", streets[2].id),
        # Residents as their neighbours hold them (authors, participants), and their own
        # accounts as they see themselves (`viewer`).
        **{name: gid("Resident", people[name][0].id) for name in ("alice", "bob", "carla")},
        **{f"{n}_account": gid("Account", people[n][0].id) for n in ("alice", "bob", "carla")},
    )
    letter = await people["unverified"][0].letters.all().first()
    state.letter_code = letter.code

    async def run(who: str, document: str, name: str, **values: Any) -> dict[str, Any]:
        result = await _run(api, document, name, {"input": values}, state.tokens[who])
        return next(iter(result["data"].values()))

    async def create(who: str, kind: str, title: str, topics: list[str], **more: Any) -> str:
        values = {"kind": kind, "title": title, "body": f"{title}.", "topicSlugs": topics}
        return (await run(who, FEED, "CreatePost", **values, **more))["post"]["id"]

    ids = state.ids
    ids["p1"] = await create(
        "alice", "DISCUSSION", "Travaux rue Albert Ier", ["mobilite", "travaux"]
    )
    ids["p2"] = await create(
        "bob", "SERVICE_OFFER", "Je tonds vos pelouses", ["entraide"], shareWithCity=True
    )
    ids["p3"] = await create("carla", "ITEM_GIVEAWAY", "Vélo d'enfant", ["objets"])
    comment = await run("bob", FEED, "AddComment", postId=ids["p1"], body="Bande d'incapables !")
    ids["comment"] = comment["comment"]["id"]
    await run("alice", FEED, "AddComment", postId=ids["p2"], body="Merci Bob !")
    await run("bob", FEED, "ToggleReaction", postId=ids["p1"])
    await run("alice", FEED, "ToggleReaction", postId=ids["p2"])
    sent = await run(
        "alice", MESSAGES, "SendMessage", recipientId=ids["bob"], body="Tu passes samedi ?",
        aboutPostId=ids["p2"],
    )  # fmt: skip
    ids["conversation"] = sent["conversation"]["id"]
    await run("alice", FEED, "ReportContent", contentId=ids["comment"], reason="HARASSMENT")
    published = await run(
        "city_staff", ANNOUNCEMENTS, "PublishAnnouncement", kind="CONSULTATION",
        title="Zone 30 ?", body="Votre avis.", target={"scope": "CITY"},
        consultation={"question": "Zone 30 autour de l'école ?", "options": ["Oui", "Non"],
                      "closesAt": "2099-01-01T00:00:00+00:00"},
    )  # fmt: skip
    consultation = published["announcement"]["consultation"]
    ids["consultation"], ids["yes"] = consultation["id"], consultation["options"][0]["id"]
    ids["announcement"] = published["announcement"]["id"]
    await run(
        "city_staff", ANNOUNCEMENTS, "PublishAnnouncement", kind="WORKS", title="Travaux",
        body="Rue fermée.", target={"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [ids["haine"]]},
    )  # fmt: skip
    await run(
        "alice", WEB_CITY, "AnswerConsultation", consultationId=ids["consultation"],
        optionId=ids["yes"],
    )  # fmt: skip
    await run(
        "moderator", MODERATION, "Moderate", kind="HIDE_CONTENT", reason="Propos injurieux",
        contentIds=[ids["comment"]],
    )  # fmt: skip
    return state


# Not in the contract: paths the gateway plans across both subgraphs.
ACROSS = """
query NotificationReasons {
  viewer { id notifications { edges { node { id kind reason subjectId } } } }
}
query CityFeeds {
  city { id neighbourhoods { id name posts(first: 2) { edges { node { id kind title } } } } }
}
query TargetStreets {
  city {
    announcements { edges { node { id target { streets { id name neighbourhood { id name } } } } } }
  }
}
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename id
    ... on Post { kind title author { id displayName } }
    ... on Comment { body author { id displayName } }
    ... on Resident { displayName }
    ... on Conversation { unreadCount }
    ... on Neighbourhood { name isActive }
    ... on City { name }
    ... on Announcement { announcementKind: kind announcementTitle: title recipientCount }
    ... on Consultation { question options { id label } }
    ... on ConsultationOption { label }
  }
}
"""


NODE_IDS = (
    "p1", "p2", "p3", "comment", "alice", "bob", "conversation", "centre", "city",
    "announcement", "consultation", "yes",
)  # fmt: skip


def _reads(s: State) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    soon = (datetime.now(UTC) + timedelta(days=1)).date().isoformat() + "T00:00:00+00:00"
    return {
        "web/account.graphql": [("StreetSearch", {"search": "rue"}), ("Viewer", {})],
        "web/feed.graphql": [
            ("Topics", {}),
            ("NeighbourhoodFeed", {"id": s.ids["centre"]}),
            ("NeighbourhoodFeed", {"id": s.ids["centre"], "first": 1, "kind": "DISCUSSION"}),
            ("NeighbourhoodFeed", {"id": s.ids["haine"], "topic": "objets"}),
            ("NeighbourhoodFeed", {"id": s.ids["maurage"]}),
            ("PostDetail", {"id": s.ids["p1"]}),
            ("PostDetail", {"id": s.ids["p2"]}),
            ("PostDetail", {"id": s.ids["p3"]}),
        ],
        "web/messages.graphql": [
            ("Conversations", {}),
            ("ConversationMessages", {"id": s.ids["conversation"]}),
        ],
        "web/city.graphql": [("MyAnnouncements", {}), ("Notifications", {})],
        "city/announcements.graphql": [
            ("AnnouncementAudience", {"target": {"scope": "CITY"}}),
            (
                "AnnouncementAudience",
                {"target": {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [s.ids["centre"]]}},
            ),
            ("CityAnnouncements", {}),
            ("ConsultationResults", {"id": s.ids["consultation"]}),
        ],
        "city/insights.graphql": [
            ("CityOverview", {}),
            ("TopicInsights", {"from": "2025-01-01T00:00:00+00:00", "to": soon}),
            (
                "TopicInsights",
                {
                    "from": "2026-01-01T00:00:00+00:00",
                    "to": soon,
                    "interval": "MONTH",
                    "neighbourhoodIds": [s.ids["centre"]],
                },
            ),
            ("CityPostMetadata", {"neighbourhoodId": s.ids["centre"]}),
        ],
        "moderation/moderation.graphql": [("ReportQueue", {}), ("ModerationLog", {})],
        "moderation/verification.graphql": [("VerificationLetters", {})],
        "across subgraphs": [
            ("NotificationReasons", {}),
            ("CityFeeds", {}),
            ("TargetStreets", {}),
            # `node` is the community's; the city's types come back from the city by key.
            ("Nodes", {"ids": [s.ids[name] for name in NODE_IDS]}),
        ],
    }


def _body(document: str, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
    text = ACROSS if document == "across subgraphs" else (CONTRACT / document).read_text()
    return {"query": text, "operationName": operation, "variables": variables}


# Subscriptions go over a websocket: through the gateway in tests/test_live_gateway.py.
READS = sorted(COVERED - {"web/live.graphql"})


@pytest.mark.parametrize("document", [*READS, "across subgraphs"])
async def test_every_read_answers_every_caller_as_the_monolith_does(api, through_gateway, document):
    state = await build_state(api)
    differences = []

    for operation, variables in _reads(state)[document]:
        for caller in CALLERS:
            body, token = _body(document, operation, variables), state.tokens[caller]
            monolith = await post(api.client, body, token)
            federated = await post(through_gateway, body, token)
            if comparable(federated) != comparable(monolith):
                differences.append((operation, variables, caller, monolith, federated))

    assert differences == []


async def test_a_city_token_through_the_gateway_gets_metadata_and_null_content(
    api, through_gateway
):
    state = await build_state(api)
    body = _body(
        "city/insights.graphql", "CityPostMetadata", {"neighbourhoodId": state.ids["centre"]}
    )

    answer = await post(through_gateway, body, state.tokens["city_staff"])

    assert "errors" not in answer
    nodes = {e["node"]["id"]: e["node"] for e in answer["data"]["neighbourhood"]["posts"]["edges"]}
    alice_post, bob_shared = nodes[state.ids["p1"]], nodes[state.ids["p2"]]
    assert (alice_post["kind"], alice_post["commentCount"], alice_post["reactionCount"]) == (
        "DISCUSSION", 0, 1,
    )  # fmt: skip
    assert [t["slug"] for t in alice_post["topics"]] == ["mobilite", "travaux"]
    assert (alice_post["title"], alice_post["body"], alice_post["author"]) == (None, None, None)
    assert alice_post["comments"] == {"edges": []}
    assert bob_shared["title"] == "Je tonds vos pelouses"
    assert bob_shared["author"] == {"id": state.ids["bob"], "displayName": "Bob Lambert"}


# --- writes: the same story through both -------------------------------------------------

Vars = dict[str, Any] | Callable[[State, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    document: str
    operation: str
    caller: str | Callable[[State, dict[str, Any]], str | None]
    variables: Vars = field(default_factory=dict)


def _new_post(_state: State, results: dict[str, Any]) -> dict[str, Any]:
    return {"input": {"postId": results["CreatePost"]["data"]["createPost"]["post"]["id"]}}


def _with_new_post(**values: Any) -> Callable[[State, dict[str, Any]], dict[str, Any]]:
    return lambda state, results: {"input": {**_new_post(state, results)["input"], **values}}


def _login_token(_state: State, results: dict[str, Any]) -> str | None:
    return results["Login"]["data"]["login"]["token"]


def _published(results: dict[str, Any]) -> dict[str, Any]:
    return results["Publish"]["data"]["publishAnnouncement"]["announcement"]["consultation"]


def _answer_published(_state: State, results: dict[str, Any]) -> dict[str, Any]:
    consultation = _published(results)
    option = consultation["options"][1]["id"]
    return {"input": {"consultationId": consultation["id"], "optionId": option}}


def _first_notification(_state: State, results: dict[str, Any]) -> dict[str, Any]:
    edges = results["Notifications"]["data"]["viewer"]["notifications"]["edges"]
    return {"input": {"ids": [edges[0]["node"]["id"]]}}


LOGIN = {"email": "lea@example.be", "password": PASSWORD}
SIGN_UP = {**LOGIN, "displayName": "Léa Dubois"}
CREATE = {"kind": "DISCUSSION", "title": "Fête des voisins", "body": "Le 21 juin."}
MARKET = {
    "kind": "CONSULTATION",
    "title": "Marché du dimanche",
    "body": "Où ?",
    "consultation": {
        "question": "Quelle place ?",
        "options": ["Mansart", "Maugrétout"],
        "closesAt": "2099-06-01T00:00:00+00:00",
    },
}


def _sign_up(state: State, _results: dict[str, Any]) -> dict[str, Any]:
    return {"input": {**SIGN_UP, "houseNumber": "12", "streetId": state.ids["maurage_street"]}}


def _market(state: State, _results: dict[str, Any]) -> dict[str, Any]:
    target = {"scope": "STREETS", "streetIds": [state.ids["centre_street"]]}
    return {"input": {**MARKET, "target": target}}


def _ids(**names: str) -> Callable[[State, dict[str, Any]], dict[str, Any]]:
    """Variables naming ids of the state: `_ids(id="centre")`."""
    return lambda state, _results: {key: state.ids[name] for key, name in names.items()}


SCRIPTS: dict[str, list[Step]] = {
    "residents": [
        Step("Register", ACCOUNT, "Register", "anonymous", _sign_up),
        Step("Register again", ACCOUNT, "Register", "anonymous", _sign_up),
        Step("Login", ACCOUNT, "Login", "anonymous", {"input": LOGIN}),
        Step("Login wrong", ACCOUNT, "Login", "anonymous",
             {"input": {**LOGIN, "password": "Mauvais-Mot-2026"}}),
        Step("VerifyAddress", ACCOUNT, "VerifyAddress", "unverified",
             lambda state, _: {"input": {"code": state.letter_code}}),
        Step("VerifyAddress wrong", ACCOUNT, "VerifyAddress", _login_token,
             {"input": {"code": "2222-2222"}}),
        Step("CreatePost", FEED, "CreatePost", "alice", {"input": CREATE}),
        Step("CreatePost inactive", FEED, "CreatePost", "unverified", {"input": CREATE}),
        Step("CreatePost city", FEED, "CreatePost", "city_staff", {"input": CREATE}),
        Step("EditPost", FEED, "EditPost", "alice",
             _with_new_post(title="Fête des voisins !", expectedVersion=1)),
        Step("EditPost stale", FEED, "EditPost", "alice",
             _with_new_post(body="Le 22.", expectedVersion=1)),
        Step("AddComment", FEED, "AddComment", "bob", _with_new_post(body="Une tarte.")),
        Step("AddComment outsider", FEED, "AddComment", "carla", _with_new_post(body="Moi ?")),
        Step("ToggleReaction", FEED, "ToggleReaction", "bob", _new_post),
        Step("ToggleReaction again", FEED, "ToggleReaction", "bob", _new_post),
        Step("SendMessage", MESSAGES, "SendMessage", "bob",
             lambda state, results: {"input": {
                 "recipientId": state.ids["alice"], "body": "Je viens !",
                 "aboutPostId": _new_post(state, results)["input"]["postId"]}}),
        Step("SendMessage outsider", MESSAGES, "SendMessage", "alice",
             lambda state, _: {"input": {"recipientId": state.ids["carla"], "body": "Bonjour"}}),
        Step("Conversations", MESSAGES, "Conversations", "alice"),
        Step("ConversationMessages", MESSAGES, "ConversationMessages", "bob",
             _ids(id="conversation")),
        Step("ReportContent", FEED, "ReportContent", "bob",
             lambda state, results: {"input": {
                 "contentId": _new_post(state, results)["input"]["postId"], "reason": "SPAM"}}),
        Step("NeighbourhoodFeed", FEED, "NeighbourhoodFeed", "alice", _ids(id="centre")),
        Step("DeletePost other", FEED, "DeletePost", "bob", _new_post),
        Step("DeletePost", FEED, "DeletePost", "alice", _new_post),
        Step("Logout", ACCOUNT, "Logout", _login_token),
        Step("Viewer after logout", ACCOUNT, "Viewer", _login_token),
        Step("Inbox after logout", WEB_CITY, "Notifications", _login_token),
    ],
    "city": [
        Step("Audience", ANNOUNCEMENTS, "AnnouncementAudience", "integration",
             lambda state, _: {"target": {"scope": "STREETS",
                                          "streetIds": [state.ids["centre_street"]]}}),
        Step("Audience resident", ANNOUNCEMENTS, "AnnouncementAudience", "alice",
             {"target": {"scope": "CITY"}}),
        Step("Audience moderator", ANNOUNCEMENTS, "AnnouncementAudience", "moderator",
             {"target": {"scope": "CITY"}}),
        Step("Publish", ANNOUNCEMENTS, "PublishAnnouncement", "city_staff", _market),
        Step("Publish integration", ANNOUNCEMENTS, "PublishAnnouncement", "integration",
             _market),
        Step("Publish invalid", ANNOUNCEMENTS, "PublishAnnouncement", "city_staff",
             {"input": {"kind": "INFO", "title": " ", "body": "y",
                        "target": {"scope": "NEIGHBOURHOODS"}}}),
        Step("MyAnnouncements", WEB_CITY, "MyAnnouncements", "bob"),
        Step("MyAnnouncements outsider", WEB_CITY, "MyAnnouncements", "carla"),
        Step("Answer", WEB_CITY, "AnswerConsultation", "bob", _answer_published),
        Step("Answer outsider", WEB_CITY, "AnswerConsultation", "carla", _answer_published),
        Step("Answer city", WEB_CITY, "AnswerConsultation", "city_staff", _answer_published),
        Step("Results", ANNOUNCEMENTS, "ConsultationResults", "city_staff",
             lambda _, results: {"id": _published(results)["id"]}),
        Step("Results resident", ANNOUNCEMENTS, "ConsultationResults", "bob",
             lambda _, results: {"id": _published(results)["id"]}),
        Step("CityAnnouncements", ANNOUNCEMENTS, "CityAnnouncements", "integration"),
        Step("Notifications", WEB_CITY, "Notifications", "bob"),
        Step("Mark one", WEB_CITY, "MarkNotificationsRead", "bob", _first_notification),
        Step("Mark all", WEB_CITY, "MarkNotificationsRead", "bob", {"input": {}}),
        Step("Mark anonymous", WEB_CITY, "MarkNotificationsRead", "anonymous", {"input": {}}),
        Step("Notifications after", WEB_CITY, "Notifications", "bob"),
        Step("Read counts", ANNOUNCEMENTS, "CityAnnouncements", "city_staff"),
    ],
    "moderation": [
        Step("ReportQueue resident", MODERATION, "ReportQueue", "alice"),
        Step("Report", FEED, "ReportContent", "bob",
             lambda state, _: {"input": {"contentId": state.ids["p1"], "reason": "SPAM",
                                         "note": "Pub"}}),
        Step("ReportQueue", MODERATION, "ReportQueue", "moderator"),
        Step("Moderate", MODERATION, "Moderate", "moderator",
             lambda state, _: {"input": {"kind": "HIDE_CONTENT", "reason": "Publicité déguisée",
                                         "contentIds": [state.ids["p1"]]}}),
        Step("Moderate invalid", MODERATION, "Moderate", "admin",
             {"input": {"kind": "HIDE_CONTENT", "reason": "Non"}}),
        Step("Moderate resident", MODERATION, "Moderate", "alice",
             lambda state, _: {"input": {"kind": "RESTORE_CONTENT", "reason": "C'est à moi",
                                         "contentIds": [state.ids["p1"]]}}),
        Step("ModerationLog", MODERATION, "ModerationLog", "admin"),
        Step("Reasons", "across subgraphs", "NotificationReasons", "alice"),
        Step("Metadata after", "city/insights.graphql", "CityPostMetadata", "integration",
             _ids(neighbourhoodId="centre")),
        Step("Letters", "moderation/verification.graphql", "VerificationLetters", "moderator"),
    ],
}  # fmt: skip

_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def _steady(value: Any, key: str = "") -> Any:
    """What two runs of a story from the same state share: not the moments they ran at,
    the cursors made of those moments, the tokens or the letters' random codes."""
    if isinstance(value, dict):
        return {k: _steady(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    if isinstance(value, str):
        if key in ("cursor", "endCursor") or _MOMENT.match(value):
            return "<moment>"
        if value.startswith("qrt_") or _CODE.match(value):
            return "<secret>"
    return value


async def _story(client: httpx.AsyncClient, state: State, steps: list[Step]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for step in steps:
        token = step.caller(state, results) if callable(step.caller) else state.tokens[step.caller]
        variables = step.variables(state, results) if callable(step.variables) else step.variables
        results[step.name] = await post(
            client, _body(step.document, step.operation, variables), token
        )
    return results


@pytest.mark.parametrize("script", sorted(SCRIPTS))
async def test_every_write_does_through_the_gateway_what_it_does_in_the_monolith(
    api, through_gateway, script
):
    monolith = await _story(api.client, await build_state(api), SCRIPTS[script])
    await support.truncate_all()
    federated = await _story(through_gateway, await build_state(api), SCRIPTS[script])

    assert {k: comparable(_steady(v)) for k, v in federated.items()} == {
        k: comparable(_steady(v)) for k, v in monolith.items()
    }
    # Nothing failed unexpectedly on either side (the city role refusing a column would).
    codes = [e["extensions"]["code"] for v in federated.values() for e in v.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes


async def test_the_gateway_forwards_the_token_and_each_subgraph_checks_it(api, through_gateway):
    state = await build_state(api)
    inbox = _body(WEB_CITY, "Notifications", {})

    signed_in = await post(through_gateway, inbox, state.tokens["bob"])
    forged = await post(through_gateway, inbox, "qrt_" + "x" * 43)

    assert signed_in["data"]["viewer"]["id"] == state.ids["bob_account"]
    assert signed_in["data"]["viewer"]["unreadNotificationCount"] == 2
    assert forged == {"status": 200, "data": {"viewer": None}}


async def test_withdrawing_the_sharing_hides_the_content_through_the_gateway_at_once(
    api, world, through_gateway
):
    city_staff = (await support.make_staff(Role.CITY_STAFF, "Ville", world.city))[1]
    created = await support.run_contract(
        api,
        FEED,
        "CreatePost",
        {
            "input": {
                "kind": "EVENT",
                "title": "Fête",
                "body": "Samedi",
                "shareWithCity": True,
                "startsAt": "2099-06-20T17:00:00+02:00",
                "place": "Place Maugrétout",
            }
        },
        world.alice_token,
    )
    post_id = created["data"]["createPost"]["post"]["id"]
    read = _body(FEED, "PostDetail", {"id": post_id})
    edit = _body(
        FEED,
        "EditPost",
        {"input": {"postId": post_id, "shareWithCity": False, "expectedVersion": 1}},
    )

    shared = await post(through_gateway, read, city_staff)
    withdrawn = await post(through_gateway, edit, world.alice_token)
    hidden = await post(through_gateway, read, city_staff)

    assert (shared["data"]["post"]["title"], shared["data"]["post"]["body"]) == ("Fête", "Samedi")
    assert withdrawn["data"]["editPost"]["userErrors"] == []
    assert hidden["data"]["post"]["title"] is None
    assert hidden["data"]["post"]["body"] is None
    assert hidden["data"]["post"]["author"] is None
    assert hidden["data"]["post"]["comments"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
