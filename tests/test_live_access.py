"""Every subscription, for every kind of caller, against tests/access_table.py, over the
`graphql-transport-ws` protocol into the app: each caller subscribes to all four, asking for
every field of what they deliver; then posts, comments, a message, an announcement and a
moderation decision happen, and what each caller received is checked field by field against
the table, as tests/test_field_access.py does for queries. A post or comment that arrived is
also the same, field for field, as the query `post(id)` gives the same caller.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLObjectType

from models.accounts import Role
from server.app import create_app
from tests.access_table import FIELDS, Caller, Outcome
from tests.live_support import Client, Closed, connect_app
from tests.support import Api, gid, make_resident, make_staff
from tests.test_field_access import (
    TYPES,
    Check,
    _brief,
    _render,
    _resolve,
    _seen,
    live_fields,
)
from tests.test_field_access import _message as message_with_photo
from tests.test_field_access import _post as event_with_photo

FEED = "web/feed.graphql"


def selection(type_name: str) -> str:
    """Every field of the type, each asked briefly (as tests/test_field_access.py does)."""
    type_ = TYPES[type_name]
    assert isinstance(type_, GraphQLObjectType)
    return _render({name: _brief(field) for name, field in type_.fields.items()})


SUBSCRIPTIONS = {
    "posts": ("postAdded", "Post", "subscription($id: ID!) { postAdded(neighbourhoodId: $id)"),
    "comments": ("commentAdded", "Comment", "subscription($id: ID!) { commentAdded(postId: $id)"),
    "shared_comments": (
        "commentAdded",
        "Comment",
        "subscription($id: ID!) { commentAdded(postId: $id)",
    ),
    "messages": ("messageAdded", "MessageEvent", "subscription { messageAdded"),
    "notifications": ("notificationAdded", "Notification", "subscription { notificationAdded"),
}


def document(key: str) -> str:
    _, type_name, head = SUBSCRIPTIONS[key]
    if type_name == "MessageEvent":
        body = (
            f"conversation {{ {selection('Conversation')} }} message {{ {selection('Message')} }}"
        )
    else:
        body = selection(type_name)
    return f"{head} {{ {body} }} }}"


@pytest.fixture
async def app(settings):
    app = create_app(settings, manage_database=False)
    yield app
    await app.state.live.stop()


@pytest.fixture
async def live_api(app):
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client:
        yield Api(client)


async def _ok(api: Api, query: str, variables: dict[str, Any], token: str | None) -> dict:
    result = await api(query, variables, token)
    assert "errors" not in result, result
    payload = next(iter(result["data"].values()))
    assert payload.get("userErrors", []) == [], payload
    return payload


CREATE = (
    "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } userErrors { code } } }"
)
COMMENT = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } userErrors { code } } }"
MESSAGE = "mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } userErrors { code } } }"
ANNOUNCE = (
    "mutation($i: PublishAnnouncementInput!) "
    "{ publishAnnouncement(input: $i) { announcement { id } userErrors { code } } }"
)
MODERATE = (
    "mutation($i: ModerateInput!) { moderate(input: $i) { actions { id } userErrors { code } } }"
)


async def _post(api: Api, world, shared: bool) -> str:
    """Alice's event with a photo and a street: a post with every field a post may have."""
    street = gid("Street", world.centre_street.id)
    return await event_with_photo(
        api,
        world.alice_token,
        shareWithCity=shared,
        placeStreetId=street,
        topicSlugs=["evenements"],
    )


@dataclass
class Given:
    tokens: dict[Caller, str | None]
    ids: dict[str, str]


async def given_callers(world, moderator_token: str) -> dict[Caller, str | None]:
    unverified = (await make_resident(world.centre_street, "Ugo Martin", verified=False))[1]
    return {
        Caller.ANONYMOUS: None,
        Caller.UNVERIFIED: unverified,
        Caller.NEIGHBOUR: world.bob_token,
        Caller.OUTSIDER: world.carla_token,
        Caller.CITY_STAFF: (await make_staff(Role.CITY_STAFF, "Communication", world.city))[1],
        Caller.CITY_INTEGRATION: (await make_staff(Role.CITY_INTEGRATION, "Tableau", world.city))[
            1
        ],
        Caller.MODERATOR: moderator_token,
        Caller.ADMIN: (await make_staff(Role.ADMIN, "Ada Admin"))[1],
    }


async def subscribe_all(app, token: str | None, ids: dict[str, str]) -> Client | Closed:
    client = await connect_app(app)
    try:
        ack = await client.init(token)
    except Closed as closed:
        return closed
    assert ack == {"type": "connection_ack"}
    variables = {
        "posts": {"id": ids["centre"]},
        "comments": {"id": ids["post"]},
        "shared_comments": {"id": ids["shared_post"]},
    }
    for key in SUBSCRIPTIONS:
        await client.subscribe(key, query=document(key), variables=variables.get(key))
    return client


async def happen(api: Api, world, city_staff: str, moderator: str, ids: dict[str, str]) -> None:
    """A private and a shared post by Alice, Bob's comment under each of her earlier two, her
    message to Bob, an announcement to the centre."""
    ids["new_post"] = await _post(api, world, shared=False)
    ids["new_shared_post"] = await _post(api, world, shared=True)
    for key in ("post", "shared_post"):
        comment = {"postId": ids[key], "body": "J'y serai."}
        ids[f"comment_on_{key}"] = (await _ok(api, COMMENT, {"i": comment}, world.bob_token))[
            "comment"
        ]["id"]
    await message_with_photo(api, world, ids["post"], "Tu viens ?")
    announcement = {
        "kind": "INFO",
        "title": "Marché",
        "body": "Samedi.",
        "target": {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [ids["centre"]]},
    }
    await _ok(api, ANNOUNCE, {"i": announcement}, city_staff)


# What a post has none of when it is new: shown or hidden, it answers empty or null alike;
# the same post read by a query answers the same (same_as_queries).
NEW_IS_EMPTY = frozenset(
    {"Post.comments", "Post.updatedAt", "Post.attendees", "Post.attendeeCount"}
)


def _empty(value: Any) -> bool:
    return value in ([], None) or (isinstance(value, dict) and value.get("edges") == [])


class Observed:
    """What one caller's subscriptions gave, as checks against the table."""

    def __init__(self, caller: Caller, ids: dict[str, str]) -> None:
        self.caller = caller
        self.ids = ids
        self.checks: dict[str, Check] = {}

    def expect(self, key: str, condition: str = "") -> str:
        return _resolve(FIELDS[key].outcomes[self.caller], condition).name

    def refused(self, closed: Closed) -> None:
        assert closed.code == 4403, closed
        for key in live_fields():
            if key.startswith("Subscription."):
                self.checks[key] = Check(self.expect(key), Outcome.UNAUTHENTICATED.name)

    def record(self, client: Client) -> None:
        for key, (field_name, type_name, _) in SUBSCRIPTIONS.items():
            condition = "shared" if key == "shared_comments" else ""
            root = f"Subscription.{field_name}"
            errors = client.errors.get(key)
            events = client.events(key)
            if errors:
                observed = errors[0].get("extensions", {}).get("code") or errors[0]["message"]
            else:
                observed = Outcome.VALUE.name if events else Outcome.HIDDEN.name
            self.checks[f"{root} ({key})"] = Check(self.expect(root, condition), observed)
            for event in events:
                assert "errors" not in event, event
                self._fields(type_name, event["data"][field_name])

    def _fields(self, type_name: str, node: dict[str, Any]) -> None:
        condition = ""
        if type_name == "Post" and node["id"] == self.ids["new_shared_post"]:
            condition = "shared"
        if type_name == "Comment" and node["id"] == self.ids["comment_on_shared_post"]:
            condition = "shared"
        suffix = f" ({condition})" if condition else ""
        for name, value in node.items():
            key = f"{type_name}.{name}"
            expected = self.expect(key, condition)
            if key in NEW_IS_EMPTY and _empty(value) and expected == Outcome.VALUE.name:
                expected = Outcome.ANSWERED.name
            self.checks[key + suffix] = Check(expected, _seen(value))
            if type_name == "MessageEvent":
                self._fields(name.capitalize(), value)

    def mismatches(self) -> dict[str, str]:
        return {
            key: f"expected {check.expected}, got {check.observed}"
            for key, check in self.checks.items()
            if not check.holds
        }


POST_QUERY = "query($id: ID!) {{ post(id: $id) {{ {fields} }} }}"


async def same_as_queries(api: Api, client: Client, token: str | None, ids: dict) -> None:
    """Each post and comment received equals what `post(id)` gives the same caller."""
    for event in client.events("posts"):
        post = event["data"]["postAdded"]
        queried = await api(POST_QUERY.format(fields=selection("Post")), {"id": post["id"]}, token)
        assert queried["data"]["post"] == post
    comments = f"comments(first: 100) {{ edges {{ node {{ {selection('Comment')} }} }} }}"
    for key, post_key in (("comments", "post"), ("shared_comments", "shared_post")):
        for event in client.events(key):
            comment = event["data"]["commentAdded"]
            answer = await api(POST_QUERY.format(fields=comments), {"id": ids[post_key]}, token)
            edges = answer["data"]["post"]["comments"]["edges"]
            assert [e["node"] for e in edges if e["node"]["id"] == comment["id"]] == [comment]


@pytest.mark.parametrize("caller", list(Caller), ids=lambda caller: caller.name.lower())
async def test_every_subscription_answers_every_caller_as_the_table_says(
    app, live_api, world, moderator_token, caller
):
    tokens = await given_callers(world, moderator_token)
    ids = {"centre": gid("Neighbourhood", world.centre.id)}
    ids["post"] = await _post(live_api, world, shared=False)
    ids["shared_post"] = await _post(live_api, world, shared=True)
    observed = Observed(caller, ids)

    subscribed = await subscribe_all(app, tokens[caller], ids)
    await happen(live_api, world, tokens[Caller.CITY_STAFF], moderator_token, ids)
    async with asyncio.timeout(10):
        await app.state.live.hub.settled()
    if isinstance(subscribed, Closed):
        observed.refused(subscribed)
    else:
        await subscribed.barrier()
        await same_as_queries(live_api, subscribed, tokens[caller], ids)
        hide = {
            "kind": "HIDE_CONTENT",
            "reason": "Hors sujet.",
            "contentIds": [ids["comment_on_post"]],
        }
        await _ok(live_api, MODERATE, {"i": hide}, moderator_token)
        async with asyncio.timeout(10):
            await app.state.live.hub.settled()
        await subscribed.barrier()
        observed.record(subscribed)
        await subscribed.close()

    assert observed.mismatches() == {}
    roots = {key.split(" ")[0] for key in observed.checks if key.startswith("Subscription.")}
    assert roots == {key for key in live_fields() if key.startswith("Subscription.")}


async def test_the_callers_together_see_every_field_subscriptions_reach(
    app, live_api, world, moderator_token
):
    tokens = await given_callers(world, moderator_token)
    ids = {"centre": gid("Neighbourhood", world.centre.id)}
    ids["post"] = await _post(live_api, world, shared=False)
    ids["shared_post"] = await _post(live_api, world, shared=True)
    clients = {caller: await subscribe_all(app, tokens[caller], ids) for caller in Caller}
    await happen(live_api, world, tokens[Caller.CITY_STAFF], moderator_token, ids)
    async with asyncio.timeout(10):
        await app.state.live.hub.settled()

    seen: set[str] = set()
    for caller, client in clients.items():
        if isinstance(client, Client):
            await client.barrier()
            observed = Observed(caller, ids)
            observed.record(client)
            seen |= {key.split(" ")[0] for key in observed.checks}
            await client.close()

    reached = {"Post", "Comment", "MessageEvent", "Conversation", "Message", "Notification"}
    expected = live_fields() | {k for k in FIELDS if k.split(".")[0] in reached}
    assert expected - seen == set()
