"""`node(id:)` and `nodes(ids:)` answer every caller exactly as the other paths to each object do.

Every caller walks every path of the world of tests/test_field_access.py and collects each
object with an id it meets, with its leaf fields. Then `nodes` over every id anyone met (and
every account) must give each caller what its paths gave it, field for field, and null for
what they never led it to: holding an object by id grants nothing a path would not.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from tortoise.timezone import now

from models.accounts import Account, Role
from models.city import Announcement, AnnouncementKind, Consultation, TargetScope
from models.community import Post, PostKind
from models.moderation import Report
from resolvers import nodes
from resolvers.ids import parse_global_id
from schema.schemas import build_schema
from schema.subgraphs import Subgraph
from tests.access_table import Caller
from tests.support import count_statements, gid, make_staff, run_contract
from tests.test_federation import entities
from tests.test_field_access import Given, given_a_world

FEED = "web/feed.graphql"
SCHEMA = build_schema(production=False)._schema
NODE = SCHEMA.type_map["Node"]
assert isinstance(NODE, GraphQLInterfaceType)
NODE_TYPES = sorted(t.name for t in SCHEMA.get_possible_types(NODE))
STAFF = {Caller.MODERATOR, Caller.ADMIN}
CITY = {Caller.CITY_STAFF, Caller.CITY_INTEGRATION}


def _leaves(type_name: str) -> list[str]:
    fields = SCHEMA.type_map[type_name].fields  # type: ignore[attr-defined]
    return [
        name
        for name, field in fields.items()
        if is_leaf_type(get_named_type(field.type))
        and not any(is_non_null_type(arg.type) for arg in field.args.values())
    ]


def _conflicting() -> set[str]:
    """Leaf fields that several node types give different types (Account.displayName String!,
    Resident.displayName String): one selection over `Node` may not ask them unaliased."""
    types: dict[str, set[str]] = {}
    for name in NODE_TYPES:
        for field in _leaves(name):
            types.setdefault(field, set()).add(str(SCHEMA.type_map[name].fields[field].type))  # type: ignore[attr-defined]
    return {field for field, seen in types.items() if len(seen) > 1}


CONFLICTING = _conflicting()
# Each type's leaves as (response key, field).
KEYS = {
    name: [(f"{name}_{f}" if f in CONFLICTING else f, f) for f in _leaves(name)]
    for name in NODE_TYPES
}
FRAGMENTS = {
    name: f"fragment F{name} on {name} {{ __typename "
    + " ".join(f"{key}: {field}" if key != field else field for key, field in KEYS[name])
    + " }"
    for name in NODE_TYPES
}


def _document(selection: str) -> str:
    """A query of `selection` and the fragments it spreads (an unused one is invalid)."""
    used = [text for name, text in FRAGMENTS.items() if re.search(rf"\.\.\.F{name}\b", selection)]
    variables = "($ids: [ID!]!)" if "$ids" in selection else ""
    return "\n".join([f"query{variables} {{ {selection} }}", *used])


EVERY_TYPE = " ".join(f"...F{name}" for name in NODE_TYPES)
POST = (
    "...FPost author { ...FResident } topics { ...FTopic } neighbourhood { ...FNeighbourhood } "
    "comments { edges { node { ...FComment author { ...FResident } } } } photos { ...FPhoto }"
)
MESSAGE = "...FMessage sender { ...FResident } aboutPost { ...FPost } photo { ...FPhoto }"
CONVERSATION = (
    "...FConversation participants { ...FResident } lastMessage { ...FMessage } "
    f"messages {{ edges {{ node {{ {MESSAGE} }} }} }}"
)
CONSULTATION = (
    "...FConsultation options { ...FConsultationOption } viewerAnswer { ...FConsultationOption } "
    "results { option { ...FConsultationOption } } "
    "resultsByNeighbourhood { neighbourhood { ...FNeighbourhood } option { ...FConsultationOption } }"
)
ANNOUNCEMENTS = (
    "announcements { edges { node { ...FAnnouncement target { neighbourhoods { ...FNeighbourhood } "
    f"streets {{ ...FStreet }} }} consultation {{ {CONSULTATION} }} }} }} }}"
)
REPORTS = (
    "edges { node { ...FReport reporter { ...FResident } "
    f"content {{ ... on Post {{ {POST} }} ... on Comment {{ ...FComment author {{ ...FResident }} }} "
    f"... on Message {{ {MESSAGE} }} }} }} }}"
)
# Every path from a root field to objects with an id; `$name` is one of Given.ids.
PATHS = [
    "viewer { ...FAccount resident { ...FResident } street { ...FStreet } "
    "neighbourhood { ...FNeighbourhood } notifications { edges { node { ...FNotification } } } "
    f"conversations {{ edges {{ node {{ {CONVERSATION} }} }} }} {ANNOUNCEMENTS} }}",
    "city { ...FCity neighbourhoods { ...FNeighbourhood } }",
    # Apart: an error on a non-null field (FORBIDDEN for residents) nulls its parent.
    f"city {{ {ANNOUNCEMENTS} }}",
    'streets(search: "rue") { edges { node { ...FStreet neighbourhood { ...FNeighbourhood } } } }',
    "topics { ...FTopic }",
    f'neighbourhood(id: "$centre") {{ ...FNeighbourhood posts {{ edges {{ node {{ {POST} }} }} }} }}',
    f'post(id: "$post") {{ {POST} }}',
    f'post(id: "$shared_post") {{ {POST} }}',
    f'conversation(id: "$conversation") {{ {CONVERSATION} }}',
    f'consultation(id: "$consultation") {{ {CONSULTATION} }}',
    f'consultation(id: "$closed_consultation") {{ {CONSULTATION} }}',
    *(f"reports(status: {status}) {{ {REPORTS} }}" for status in ("OPEN", "RESOLVED", "DISMISSED")),
    "moderationLog { edges { node { ...FModerationAction moderator { ...FResident } } } }",
    "appeals { edges { node { ...FAppeal action { ...FModerationAction } } } }",
    "verificationLetters { edges { node { ...FVerificationLetter recipient { ...FResident } "
    "street { ...FStreet } } } }",
    'topicInsights(from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z", '
    'neighbourhoodIds: ["$centre"]) { neighbourhood { ...FNeighbourhood } topic { ...FTopic } }',
]

Seen = dict[str, list[dict[str, Any]]]


def _leaves_of(value: dict[str, Any]) -> dict[str, Any]:
    return {field: value[key] for key, field in KEYS[value["__typename"]]}


def _collect(value: Any, seen: Seen) -> None:
    """Every object with an id in an answer: its leaf fields, by id."""
    if isinstance(value, list):
        for item in value:
            _collect(item, seen)
    elif isinstance(value, dict):
        if value.get("__typename") in NODE_TYPES and "id" in value:
            leaves = _leaves_of(value)
            if leaves not in seen.setdefault(value["id"], []):
                seen[value["id"]].append(leaves)
        for item in value.values():
            _collect(item, seen)


async def _walk(api, given: Given, caller: Caller) -> Seen:
    seen: Seen = {}
    for path in PATHS:
        for name, value in given.ids.items():
            path = path.replace(f"${name}", value)
        result = await api(_document(path), token=given.tokens[caller])
        _collect(result.get("data"), seen)
    return seen


async def _nodes(api, ids: list[str], token: str | None) -> list[dict[str, Any] | None]:
    answers: list[dict[str, Any] | None] = []
    for start in range(0, len(ids), 100):
        query = _document(f"nodes(ids: $ids) {{ {EVERY_TYPE} }}")
        result = await api(query, {"ids": ids[start : start + 100]}, token)
        assert "errors" not in result, result
        answers += result["data"]["nodes"]
    return answers


def _type(raw_id: str) -> str:
    parsed = parse_global_id(raw_id)
    assert parsed is not None
    return parsed[0]


def _differences(seen: Seen, ids: list[str], answers: list[Any]) -> list[tuple[str, str]]:
    differences = []
    for raw_id, node in zip(ids, answers, strict=True):
        answer = _leaves_of(node) if node else None
        met = seen.get(raw_id)
        if met is None and answer is not None:
            differences.append((raw_id, "answered, though no path leads there"))
        elif met is not None and answer not in met:
            differences.append((raw_id, f"answered {answer}, paths gave {met}"))
    return sorted(differences)


def _known(
    caller: Caller, world, reports: list[str], seen: Seen, ids: list[str]
) -> list[tuple[str, str]]:
    """Where `node` knowingly differs from the other paths, and why."""
    known = []
    if caller in STAFF:
        # Moderators act on any account (suspensions, letters) by the id `moderate` takes.
        known += [
            (i, "answered, though no path leads there")
            for i in ids
            if _type(i) == "Resident" and i not in seen
        ]
    if caller is Caller.NEIGHBOUR:
        # Bob reported a message: his report came back in `reportContent`'s answer.
        known += [(i, "answered, though no path leads there") for i in reports]
    return sorted(known)


async def test_nodes_give_each_caller_what_the_other_paths_give_and_nothing_more(
    api, world, moderator_token
):
    given = await given_a_world(api, world, moderator_token)
    seen = {caller: await _walk(api, given, caller) for caller in Caller}
    everyone = await Account.all().values_list("id", flat=True)
    people = [gid(kind, pk) for pk in everyone for kind in ("Account", "Resident")]
    ids = sorted({*people, *(i for met in seen.values() for i in met)})

    reports = [
        gid("Report", pk)
        for pk in await Report.filter(reporter_id=world.bob.id).values_list("id", flat=True)
    ]

    answers = {caller: await _nodes(api, ids, given.tokens[caller]) for caller in Caller}

    assert {_type(i) for met in seen.values() for i in met} == set(NODE_TYPES)
    assert {c: _differences(seen[c], ids, answers[c]) for c in Caller} == {
        c: _known(c, world, reports, seen[c], ids) for c in Caller
    }


NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Post { title } } }
"""


async def test_nodes_refuses_more_than_a_hundred_ids(api, world):
    ids = [gid("Street", world.centre_street.id)] * 101

    result = await api(NODES, {"ids": ids}, world.alice_token)

    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        ("`ids` compte 100 identifiants au maximum.", "BAD_USER_INPUT")
    ]


async def test_malformed_unknown_and_missing_ids_answer_null_in_their_place(api, world):
    street = gid("Street", world.centre_street.id)
    ids = ["pas un id", gid("Planet", 1), gid("Post", 2**31 - 1), "", street, gid("Street", 0)]

    anonymous = await api(NODES, {"ids": ids})
    single = [(await api(NODE_BY_ID, {"id": i}, world.alice_token))["data"]["node"] for i in ids]

    assert anonymous == {
        "data": {"nodes": [None, None, None, None, {"__typename": "Street", "id": street}, None]}
    }
    assert single == anonymous["data"]["nodes"]


NODE_BY_ID = "query($id: ID!) { node(id: $id) { __typename id ... on Post { title } } }"


async def _posts(world, count: int) -> list[str]:
    start = now()
    await Post.bulk_create(
        [
            Post(
                neighbourhood_id=world.centre.id,
                author_id=world.bob.id,
                kind=PostKind.DISCUSSION,
                title=f"Publication {i}",
                body="Texte",
                created_at=start + timedelta(seconds=i),
            )
            for i in range(count)
        ]
    )
    return [gid("Post", pk) for pk in await Post.all().order_by("id").values_list("id", flat=True)]


async def test_a_hundred_nodes_of_a_type_cost_the_statements_of_one(api, world):
    posts = await _posts(world, 100)
    authors = [gid("Resident", world.bob.id)] * 100
    comments = []
    for post in posts[:3]:
        added = await run_contract(
            api, FEED, "AddComment", {"input": {"postId": post, "body": "Oui"}}, world.bob_token
        )
        comments.append(added["data"]["addComment"]["comment"]["id"])

    costs = {}
    for name, ids in {"posts": posts, "authors": authors, "comments": comments}.items():
        for size in (1, len(ids)):
            with count_statements() as statements:
                result = await api(NODES, {"ids": ids[:size]}, world.alice_token)
            assert len([n for n in result["data"]["nodes"] if n]) == size, result
            costs[(name, size)] = len(statements)

    # The caller's token and account, then per type: posts 1; comments and their posts 2;
    # residents 4 (accounts, and the posts, comments and conversations that reach them).
    assert costs == {
        ("posts", 1): 2,
        ("posts", 100): 2,
        ("authors", 1): 5,
        ("authors", 100): 5,
        ("comments", 1): 3,
        ("comments", 3): 3,
    }


def test_every_type_with_an_id_is_a_node_and_node_can_answer_it():
    with_ids = {
        name
        for name, type_ in SCHEMA.type_map.items()
        if isinstance(type_, GraphQLObjectType) and "id" in type_.fields
    }
    community = build_schema(production=False, subgraph=Subgraph.COMMUNITY)._schema

    assert with_ids == set(NODE_TYPES) == set(nodes.FETCHERS)
    assert set(NODE_TYPES) <= set(community.type_map)
    assert "node" in community.query_type.fields
    assert (
        "node"
        not in build_schema(production=False, subgraph=Subgraph.CITY)._schema.query_type.fields
    )


async def test_the_city_answers_a_hundred_of_its_types_by_key_in_one_statement_each(world):
    staff, _ = await make_staff(Role.CITY_STAFF, "Service communication", world.city)
    await Announcement.bulk_create(
        [
            Announcement(
                city=world.city, author=staff, kind=AnnouncementKind.INFO, title=f"Annonce {i}",
                body="…",
                scope=TargetScope.CITY, published_at=now(), recipient_count=0,
            )
            for i in range(100)
        ]
    )  # fmt: skip
    pks = await Announcement.all().values_list("id", flat=True)
    await Consultation.bulk_create(
        [Consultation(announcement_id=pk, question="Oui ?") for pk in pks]
    )
    representations = {
        "City": [{"__typename": "City", "id": gid("City", world.city.id)}] * 100,
        "Announcement": [
            {"__typename": "Announcement", "id": gid("Announcement", pk)} for pk in pks
        ],
        "Consultation": [
            {"__typename": "Consultation", "id": gid("Consultation", pk)}
            for pk in await Consultation.all().values_list("id", flat=True)
        ],
    }

    found = {
        name: await entities(Subgraph.CITY, staff, reps) for name, reps in representations.items()
    }

    assert {name: len([e for e in rows if e]) for name, (rows, _) in found.items()} == {
        "City": 100,
        "Announcement": 100,
        "Consultation": 100,
    }
    # The city by id; announcements by id; consultations, then their announcements.
    assert {name: len(statements) for name, (_, statements) in found.items()} == {
        "City": 1,
        "Announcement": 1,
        "Consultation": 2,
    }
