"""The resident's whole path through a real uvicorn process, over HTTP, with the contract's
documents unchanged: sign-up, letter, verification, activation, post, comment, reaction,
message, report, sign-out."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from models.accounts import Role
from resolvers.ids import parse_global_id
from tests import support
from tests.processes import STARTUP_SECONDS, Process, app_env, uvicorn, wait_until_ready
from tests.support import gid, operation

ACCOUNT = "web/account.graphql"
FEED = "web/feed.graphql"
MESSAGES = "web/messages.graphql"
LETTERS = "moderation/verification.graphql"
LETTER_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


# --- the servers -------------------------------------------------------------------------


@dataclass
class Servers:
    app: Process
    # Its database has no tables: every query fails inside the driver, unexpectedly.
    unmigrated: Process


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Servers]:
    """`uvicorn server.app:app_from_env` on the test database, and one on an empty file."""
    directory = tmp_path_factory.mktemp("uvicorn")
    unmigrated_url = f"sqlite://{directory / 'unmigrated.sqlite3'}"
    started: list[Process] = []
    try:
        # Both start at once: most of the wait is each process importing the app.
        for name, url in (("app", database_url), ("unmigrated", unmigrated_url)):
            log = directory / f"{name}.log"
            started.append(uvicorn(name, "server.app:app_from_env", app_env(url), log))
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in started:
            wait_until_ready(server, deadline=deadline)
        yield Servers(*started)
    finally:
        for server in started:
            server.stop()


@pytest.fixture
async def client(servers: Servers) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers.app.url, timeout=10) as client:
        yield client


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def send(
    client: httpx.AsyncClient,
    relative: str,
    name: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Posts one operation of a contract document, as the clients do."""
    body = {"query": operation(relative, name), "operationName": name, "variables": variables or {}}
    response = await client.post("/graphql", json=body, headers=_headers(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def is_id(value: Any, type_name: str) -> bool:
    return isinstance(value, str) and (parse_global_id(value) or ("", 0))[0] == type_name


def is_timestamp(value: Any) -> bool:
    return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None


def codes(user_errors: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    assert all(e["message"] for e in user_errors), user_errors
    return [(e["field"], e["code"]) for e in user_errors]


# --- the story ---------------------------------------------------------------------------

PASSWORD = "Terril-Bleu-2026!"
GIVEAWAY = {
    "kind": "ITEM_GIVEAWAY",
    "title": "Vélo d'enfant à donner",
    "body": "Un vélo 16 pouces, à venir chercher rue de la Déportation.",
    "topicSlugs": ["objets", "entraide"],
}
TOPICS = [{"slug": "entraide", "label": "Entraide"}, {"slug": "objets", "label": "Objets"}]


@dataclass
class Neighbour:
    id: str
    name: str
    token: str
    viewer: dict[str, Any]

    @property
    def author(self) -> dict[str, str]:
        """As neighbours meet them: the `Resident` beside the viewer's own `Account`."""
        pk = (parse_global_id(self.id) or ("", 0))[1]
        return {"id": gid("Resident", pk), "displayName": self.name}


async def sign_up(
    client: httpx.AsyncClient, street_id: str, name: str, email: str, house: str
) -> Neighbour:
    fields = {"email": email, "password": PASSWORD, "displayName": name, "houseNumber": house}
    variables = {"input": {**fields, "streetId": street_id}}
    payload = (await send(client, ACCOUNT, "Register", variables))["data"]["register"]
    assert payload["userErrors"] == []
    assert payload["token"].startswith("qrt_")
    assert is_id(payload["viewer"]["id"], "Account")
    return Neighbour(payload["viewer"]["id"], name, payload["token"], payload["viewer"])


async def viewer(client: httpx.AsyncClient, token: str) -> dict[str, Any] | None:
    return (await send(client, ACCOUNT, "Viewer", token=token))["data"]["viewer"]


async def letters(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    result = await send(client, LETTERS, "VerificationLetters", token=token)
    return [edge["node"] for edge in result["data"]["verificationLetters"]["edges"]]


async def verify(client: httpx.AsyncClient, token: str, code: str) -> dict[str, Any]:
    variables = {"input": {"code": code}}
    return (await send(client, ACCOUNT, "VerifyAddress", variables, token))["data"]["verifyAddress"]


async def print_letters(
    client: httpx.AsyncClient, moderator: str, street_id: str
) -> dict[str, str]:
    """The code of each pending letter, by recipient, as a moderator reads them."""
    pending = await letters(client, moderator)
    assert [(p["recipientName"], p["houseNumber"]) for p in pending] == [
        ("Marc Lejeune", "14A"),
        ("Léa Dubois", "12"),
    ]
    street = {"id": street_id, "name": "Rue de la Déportation", "postalCode": "7100"}
    for letter in pending:
        assert is_id(letter["id"], "VerificationLetter")
        assert LETTER_CODE.match(letter["code"]), letter["code"]
        assert is_timestamp(letter["createdAt"])
        assert letter["street"] == street
    return {letter["recipientName"]: letter["code"] for letter in pending}


async def verify_both(
    client: httpx.AsyncClient, moderator: str, street_id: str, lea: Neighbour, marc: Neighbour
) -> None:
    code = await print_letters(client, moderator, street_id)
    inactive = {**lea.viewer["neighbourhood"], "registeredCount": 2}

    # Léa mistypes her code, then types it as residents do: lower case, a space for the dash
    wrong = "2222-2222" if code[lea.name] != "2222-2222" else "3333-3333"
    assert await verify(client, lea.token, wrong) == {
        "viewer": None,
        "userErrors": [
            {
                "field": "code",
                "code": "INVALID_CODE",
                "message": "Code incorrect (4 essai(s) restant(s)).",
            }
        ],
    }
    typed = code[lea.name].lower().replace("-", " ")
    verified = {"viewer": {"id": lea.id, "isVerified": True}, "userErrors": []}
    assert await verify(client, lea.token, typed) == verified
    expected = {**lea.viewer, "isVerified": True, "neighbourhood": inactive}
    assert await viewer(client, lea.token) == expected
    assert [p["recipientName"] for p in await letters(client, moderator)] == [marc.name]

    # Marc verifies too: the neighbourhood reaches its threshold and opens
    verified = {"viewer": {"id": marc.id, "isVerified": True}, "userErrors": []}
    assert await verify(client, marc.token, code[marc.name]) == verified
    active = {**inactive, "isActive": True}
    assert (await viewer(client, marc.token))["neighbourhood"] == active
    assert (await viewer(client, lea.token))["neighbourhood"] == active
    assert await letters(client, moderator) == []


async def publish(
    client: httpx.AsyncClient, neighbourhood_id: str, lea: Neighbour, marc: Neighbour
) -> dict[str, Any]:
    """Léa posts; Marc finds the post in the feed. Returns the post as the feed shows it."""
    created = (await send(client, FEED, "CreatePost", {"input": GIVEAWAY}, lea.token))["data"]
    post = created["createPost"]["post"]
    assert is_id(post["id"], "Post")
    assert is_timestamp(post["createdAt"])
    assert created["createPost"] == {
        "post": {
            "id": post["id"],
            "kind": "ITEM_GIVEAWAY",
            "title": "Vélo d'enfant à donner",
            "createdAt": post["createdAt"],
            "topics": TOPICS,
        },
        "userErrors": [],
    }

    feed = await send(client, FEED, "NeighbourhoodFeed", {"id": neighbourhood_id}, marc.token)
    posts = feed["data"]["neighbourhood"]["posts"]
    assert feed["data"]["neighbourhood"]["isActive"] is True
    assert posts["pageInfo"] == {"hasNextPage": False, "endCursor": posts["edges"][0]["cursor"]}
    shown = {
        "id": post["id"],
        "kind": "ITEM_GIVEAWAY",
        "title": "Vélo d'enfant à donner",
        "body": "Un vélo 16 pouces, à venir chercher rue de la Déportation.",
        "createdAt": post["createdAt"],
        "author": lea.author,
        "topics": TOPICS,
        "commentCount": 0,
        "reactionCount": 0,
        "viewerHasReacted": False,
    }
    assert [edge["node"] for edge in posts["edges"]] == [shown]
    return shown


async def comment_and_react(
    client: httpx.AsyncClient, post: dict[str, Any], lea: Neighbour, marc: Neighbour
) -> dict[str, Any]:
    """Marc comments and reacts; the post's page shows both. Returns the comment."""
    comment_input = {"input": {"postId": post["id"], "body": "Je le prends pour ma fille !"}}
    added = (await send(client, FEED, "AddComment", comment_input, marc.token))["data"]
    comment = added["addComment"]["comment"]
    assert is_id(comment["id"], "Comment")
    assert is_timestamp(comment["createdAt"])
    assert added["addComment"] == {
        "comment": {
            "id": comment["id"],
            "body": "Je le prends pour ma fille !",
            "createdAt": comment["createdAt"],
            "author": marc.author,
        },
        "post": {"id": post["id"], "commentCount": 1},
        "userErrors": [],
    }

    toggle = {"input": {"postId": post["id"]}}
    reacted = (await send(client, FEED, "ToggleReaction", toggle, marc.token))["data"]
    assert reacted["toggleReaction"] == {
        "post": {"id": post["id"], "reactionCount": 1, "viewerHasReacted": True},
        "userErrors": [],
    }

    detail = (await send(client, FEED, "PostDetail", {"id": post["id"]}, marc.token))["data"]
    end_cursor = detail["post"]["comments"]["pageInfo"]["endCursor"]
    assert isinstance(end_cursor, str)
    assert detail["post"] == {
        **post,
        "commentCount": 1,
        "reactionCount": 1,
        "viewerHasReacted": True,
        "comments": {
            "edges": [{"node": comment}],
            "pageInfo": {"hasNextPage": False, "endCursor": end_cursor},
        },
    }
    as_author = await send(client, FEED, "PostDetail", {"id": post["id"]}, lea.token)
    assert as_author["data"]["post"]["viewerHasReacted"] is False
    return comment


async def edit_twice_from_version_one(
    client: httpx.AsyncClient, post: dict[str, Any], lea: Neighbour
) -> None:
    edit = {"postId": post["id"], "title": "Vélo d'enfant donné", "expectedVersion": 1}
    edited = await send(client, FEED, "EditPost", {"input": edit}, lea.token)
    assert edited["data"]["editPost"] == {
        "post": {"id": post["id"], "title": edit["title"], "body": post["body"], "version": 2},
        "userErrors": [],
    }

    stale = {**edit, "title": "Vélo d'enfant toujours disponible"}
    conflict = (await send(client, FEED, "EditPost", {"input": stale}, lea.token))["data"]
    assert conflict["editPost"]["post"] is None
    assert codes(conflict["editPost"]["userErrors"]) == [("expectedVersion", "VERSION_CONFLICT")]
    detail = await send(client, FEED, "PostDetail", {"id": post["id"]}, lea.token)
    assert detail["data"]["post"]["title"] == "Vélo d'enfant donné"


async def converse(
    client: httpx.AsyncClient, post: dict[str, Any], lea: Neighbour, marc: Neighbour
) -> None:
    """Marc writes to Léa about the post; she finds it unread in her conversations."""
    note = "Bonjour, je passe ce soir vers 18 h ?"
    message_input = {"input": {"recipientId": lea.id, "body": note, "aboutPostId": post["id"]}}
    sent = (await send(client, MESSAGES, "SendMessage", message_input, marc.token))["data"]
    message = sent["sendMessage"]["message"]
    conversation_id = sent["sendMessage"]["conversation"]["id"]
    assert is_id(message["id"], "Message")
    assert is_id(conversation_id, "Conversation")
    assert is_timestamp(message["createdAt"])
    assert sent["sendMessage"] == {
        "message": {
            "id": message["id"],
            "body": note,
            "createdAt": message["createdAt"],
            "sender": marc.author,
        },
        "conversation": {"id": conversation_id},
        "userErrors": [],
    }

    inbox = (await send(client, MESSAGES, "Conversations", token=lea.token))["data"]["viewer"]
    assert inbox["id"] == lea.id
    assert inbox["conversations"]["pageInfo"]["hasNextPage"] is False
    assert [edge["node"] for edge in inbox["conversations"]["edges"]] == [
        {
            "id": conversation_id,
            "unreadCount": 1,
            "participants": [lea.author, marc.author],
            "lastMessage": {"id": message["id"], "body": note, "createdAt": message["createdAt"]},
        }
    ]
    outbox = (await send(client, MESSAGES, "Conversations", token=marc.token))["data"]["viewer"]
    assert [edge["node"]["unreadCount"] for edge in outbox["conversations"]["edges"]] == [0]

    variables = {"id": conversation_id}
    thread = (await send(client, MESSAGES, "ConversationMessages", variables, lea.token))["data"]
    assert thread["conversation"]["id"] == conversation_id
    assert [edge["node"] for edge in thread["conversation"]["messages"]["edges"]] == [message]


async def report(client: httpx.AsyncClient, comment: dict[str, Any], lea: Neighbour) -> None:
    report_input = {"input": {"contentId": comment["id"], "reason": "SPAM", "note": "Hors sujet."}}
    reported = (await send(client, FEED, "ReportContent", report_input, lea.token))["data"]
    report_id = reported["reportContent"]["report"]["id"]
    assert is_id(report_id, "Report")
    assert reported["reportContent"] == {
        "report": {"id": report_id, "status": "OPEN"},
        "userErrors": [],
    }


async def sign_out_and_in(client: httpx.AsyncClient, lea: Neighbour) -> None:
    logout = await send(client, ACCOUNT, "Logout", token=lea.token)
    assert logout == {"data": {"logout": {"ok": True}}}
    assert await viewer(client, lea.token) is None
    refused = await send(client, FEED, "CreatePost", {"input": GIVEAWAY}, lea.token)
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    assert refused["errors"][0]["path"] == ["createPost"]

    # She signs in again with her address as the server keeps it, in lower case
    credentials = {"email": "lea.dubois@example.be", "password": PASSWORD}
    login = (await send(client, ACCOUNT, "Login", {"input": credentials}))["data"]["login"]
    assert login["userErrors"] == []
    assert login["token"].startswith("qrt_")
    assert login["token"] != lea.token
    assert login["viewer"] == {"id": lea.id, "displayName": lea.name, "roles": ["RESIDENT"]}
    assert (await viewer(client, login["token"]))["isVerified"] is True


async def test_a_resident_signs_up_verifies_posts_and_talks_to_a_neighbour(client):
    # Given a city with an inactive neighbourhood that two verified residents will open
    city = await support.make_city()
    haine = await support.make_neighbourhood(city, "Haine-Saint-Paul", active=False, threshold=2)
    centre = await support.make_neighbourhood(city, "La Louvière centre")
    street = await support.make_street(haine, "Rue de la Déportation")
    await support.make_street(centre, "Rue Sylvain Guyaux")
    _, moderator = await support.make_staff(Role.MODERATOR, "Mona Modération")
    haine_id, street_id = gid("Neighbourhood", haine.id), gid("Street", street.id)

    # The sign-up form finds the street without its accent or capitals
    found = await send(client, ACCOUNT, "StreetSearch", {"search": "deportation"})
    street_node = {
        "id": street_id,
        "name": "Rue de la Déportation",
        "postalCode": "7100",
        "neighbourhood": {"id": haine_id, "name": "Haine-Saint-Paul"},
    }
    assert found == {"data": {"streets": {"edges": [{"node": street_node}]}}}

    # Two neighbours sign up
    lea = await sign_up(client, street_id, "Léa Dubois", "Lea.Dubois@Example.be", "12")
    marc = await sign_up(client, street_id, "Marc Lejeune", "marc.lejeune@example.be", "14A")
    neighbourhood = {
        "id": haine_id,
        "name": "Haine-Saint-Paul",
        "isActive": False,
        "registeredCount": 1,
        "activationThreshold": 2,
    }
    assert lea.viewer == {
        "id": lea.id,
        "displayName": "Léa Dubois",
        "isVerified": False,
        "roles": ["RESIDENT"],
        "neighbourhood": neighbourhood,
    }
    assert marc.viewer["neighbourhood"] == {**neighbourhood, "registeredCount": 2}
    expected = {**lea.viewer, "neighbourhood": {**neighbourhood, "registeredCount": 2}}
    assert await viewer(client, lea.token) == expected

    # Unverified, in an inactive neighbourhood: she may not post yet, and is told both reasons
    refused = (await send(client, FEED, "CreatePost", {"input": GIVEAWAY}, lea.token))["data"]
    assert refused["createPost"]["post"] is None
    assert codes(refused["createPost"]["userErrors"]) == [
        (None, "NEIGHBOURHOOD_NOT_ACTIVE"),
        (None, "NOT_VERIFIED"),
    ]

    await verify_both(client, moderator, street_id, lea, marc)
    post = await publish(client, haine_id, lea, marc)
    comment = await comment_and_react(client, post, lea, marc)
    await edit_twice_from_version_one(client, post, lea)
    await converse(client, post, lea, marc)
    await report(client, comment, lea)
    await sign_out_and_in(client, lea)


# --- the transport -----------------------------------------------------------------------


async def a_resident() -> tuple[str, str]:
    """A verified resident's global ID and bearer token, straight from the factories."""
    city = await support.make_city()
    neighbourhood = await support.make_neighbourhood(city, "Centre")
    street = await support.make_street(neighbourhood, "Rue Haute")
    account, token = await support.make_resident(street, "Léa Dubois")
    return gid("Account", account.id), token


async def test_a_query_over_get_is_answered(client):
    account_id, token = await a_resident()
    params = {"query": operation(ACCOUNT, "Viewer"), "operationName": "Viewer"}

    response = await client.get("/graphql", params=params, headers=_headers(token))

    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["id"] == account_id


async def test_a_mutation_over_get_is_refused_and_not_executed(client):
    account_id, token = await a_resident()
    params = {"query": operation(ACCOUNT, "Logout"), "operationName": "Logout"}

    response = await client.get("/graphql", params=params, headers=_headers(token))

    # GraphQL over HTTP: 405 Method Not Allowed.
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    assert (await viewer(client, token))["id"] == account_id


async def test_a_batched_request_is_refused_and_not_executed(client):
    account_id, token = await a_resident()
    batch = [
        {"query": operation(ACCOUNT, name), "operationName": name, "variables": {}}
        for name in ("Viewer", "Logout")
    ]

    response = await client.post("/graphql", json=batch, headers=_headers(token))

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Une requête à la fois : le regroupement n'est pas accepté.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }
    assert (await viewer(client, token))["id"] == account_id


# --- unexpected errors -------------------------------------------------------------------


async def test_an_unexpected_error_is_masked_and_logged_on_the_server_only(servers):
    body = {
        "query": operation(ACCOUNT, "StreetSearch"),
        "operationName": "StreetSearch",
        "variables": {"search": "deportation"},
    }
    async with httpx.AsyncClient(base_url=servers.unmigrated.url, timeout=10) as client:
        response = await client.post("/graphql", json=body)

    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Erreur inattendue.",
                "locations": [{"line": 4, "column": 3}],
                "path": ["streets"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    }
    for leak in ("Traceback", "sqlite", "no such table", "OperationalError", ".py"):
        assert leak not in response.text
    assert "no such table: street" in servers.unmigrated.output()
