"""The compiled plans (schema/compiled/) answer as graphql-core does, to the byte.

Every request below is sent three times to the same app: plans with their fast path, plans
on the exact path alone, and graphql-core alone (`QUARTIER_COMPILED` 1, exact, 0); the
answers must be the same status and the same bytes: data,
errors (message, path, locations, extensions, order), null propagation. The requests are
every query of the contract (tests/contract/**) with the ids of a world that holds every type,
every query of the field-by-role test (tests/test_field_access.py, which reaches every field
of every type), and queries generated from the schema (hypothesis-graphql), each for every
caller of that test.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import weakref
from datetime import timedelta
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, StringValueNode, parse
from hypothesis import HealthCheck, Phase, given, settings, strategies
from hypothesis_graphql import queries
from tortoise.timezone import now

from models.community import Post
from permissions.classes import CanReadPostContent
from resolvers.loaders import TopicsByPostIdLoader
from schema.compiled.codegen import attribute_path, compile_selection
from schema.compiled.executor import CompiledExecutor
from schema.compiled.fields import Kind
from schema.compiled.plan import LIST, PLANS, PlanCache
from tests.access_table import Caller
from tests.support import contract_documents, contract_text, gid
from tests.test_field_access import SCHEMA, Given, Session, given_a_world

GENERATED = 30


class Twice:
    """An `api` that sends each request on the fast path, the exact path and graphql-core,
    and compares."""

    def __init__(self, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.client = api.client
        self.monkeypatch = monkeypatch
        self.compared = 0

    async def send(self, body: dict[str, Any], token: str | None) -> bytes:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Up to three pairs: once (in ~1,000 requests, PostgreSQL, moderator) two answers
        # differed and the same request agreed on every later run, as if the database's
        # answer itself varied; a plan that answers differently fails all three.
        for _attempt in range(3):
            answers = []
            for compiled in ("1", "exact", "0"):
                self.monkeypatch.setenv("QUARTIER_COMPILED", compiled)
                response = await self.client.post("/graphql", json=body, headers=headers)
                answers.append((response.status_code, response.content))
            if answers[0] == answers[1] == answers[2]:
                break
        for mode, answer in zip(("fast path", "exact path"), answers, strict=False):
            assert answer == answers[2], (mode, body, _difference(answer[1], answers[2][1]))
        self.compared += 1
        return answers[0][1]

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        content = await self.send({"query": query, "variables": variables or {}}, token)
        return json.loads(content)


def _difference(compiled: bytes, core: bytes) -> str:
    """Where two answers part, with some context."""
    at = next((i for i, (a, b) in enumerate(zip(compiled, core, strict=False)) if a != b), None)
    at = min(len(compiled), len(core)) if at is None else at
    start = max(0, at - 300)
    return f"plans: ...{compiled[start : at + 300]!r}\ncore:  ...{core[start : at + 300]!r}"


def contract_queries() -> list[tuple[str, str, str]]:
    """(file, operation name, document) of every query of the contract."""
    found = []
    for path in contract_documents():
        text = path.read_text()
        for definition in parse(text).definitions:
            if (
                isinstance(definition, OperationDefinitionNode)
                and definition.operation is OperationType.QUERY
                and definition.name is not None
            ):
                found.append((path.name, definition.name.value, text))
    return found


def variable_sets(name: str, ids: dict[str, str]) -> list[dict[str, Any]]:
    """Variables for a contract query: the world's ids, a missing one, a malformed one."""
    month = {"from": (now() - timedelta(days=30)).isoformat(), "to": now().isoformat()}
    by_name: dict[str, list[dict[str, Any]]] = {
        "NeighbourhoodFeed": [
            {"id": ids["centre"]},
            {"id": ids["centre"], "first": 1},
            {"id": ids["centre"], "kind": "EVENT", "topic": "securite"},
            {"id": ids["missing_post"]},
            {"id": "not a global id"},
        ],
        "PostDetail": [
            {"id": ids["post"]},
            {"id": ids["shared_post"]},
            {"id": ids["missing_post"]},
        ],
        "ConversationMessages": [{"id": ids["conversation"]}, {"id": ids["post"]}],
        "ConsultationResults": [
            {"id": ids["consultation"]},
            {"id": ids["closed_consultation"]},
        ],
        "CityPostMetadata": [{"neighbourhoodId": ids["centre"]}],
        "AnnouncementAudience": [
            {"target": {"scope": "CITY"}},
            {"target": {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [ids["centre"]]}},
            {"target": {"scope": "STREETS", "streetIds": [ids["street"]]}},
        ],
        "StreetSearch": [{"search": "Rue"}, {"search": ""}],
        "TopicInsights": [month, {**month, "neighbourhoodIds": [ids["centre"]]}],
    }
    return by_name.get(name, [{}])


def generated_queries(count: int) -> list[str]:
    """Queries drawn from the served schema, the same ones on every run."""
    found: list[str] = []
    scalars = {
        "DateTime": strategies.sampled_from(["2026-01-01T00:00:00+00:00", "yesterday"]).map(
            lambda value: StringValueNode(value=value)
        ),
    }
    # `_entities` is the gateway's, with representations only it builds.
    fields = [name for name in SCHEMA._schema.type_map["Query"].fields if name != "_entities"]

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(queries(SCHEMA._schema, fields=fields, custom_scalars=scalars, allow_x00=False))
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return found


async def world_for(api: Any, world: Any, moderator_token: str) -> Given:
    return await given_a_world(api, world, moderator_token)


@pytest.mark.parametrize("caller", list(Caller), ids=lambda caller: caller.name.lower())
async def test_plans_answer_every_query_as_graphql_core_does(
    api, world, moderator_token, monkeypatch, caller
):
    given = await world_for(api, world, moderator_token)
    twice = Twice(api, monkeypatch)
    token = given.tokens[caller]

    for _file, name, text in contract_queries():
        for variables in variable_sets(name, given.ids):
            await twice.send({"query": text, "operationName": name, "variables": variables}, token)
    await Session(twice, given, caller).queries()
    for query in generated_queries(GENERATED):
        await twice.send({"query": query}, token)

    assert twice.compared > 60


async def test_the_feed_runs_from_its_plan_with_direct_calls(api, world, monkeypatch):
    """Not a vacuous comparison: the feed's operation has a plan, and its fields go
    through the direct calls, not graphql-core's resolvers."""
    monkeypatch.setenv("QUARTIER_COMPILED", "1")
    text = contract_text("web/feed.graphql")
    body = {
        "query": text,
        "operationName": "NeighbourhoodFeed",
        "variables": {"id": gid("Neighbourhood", world.centre.id)},
    }
    await api.client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {world.bob_token}"}
    )
    plans = [
        plan
        for (_schema, operation), plan in PLANS.entries.values()
        if plan is not None and operation.name and operation.name.value == "NeighbourhoodFeed"
    ]
    assert plans
    kinds = {
        field.call.kind for plan in plans for fields in plan.subfields.values() for field in fields
    }
    assert Kind.DIRECT in kinds
    assert Kind.BASIC in kinds or Kind.GENERIC in kinds


async def posts_by(world: Any, *authors: Any) -> None:
    """A post in the centre's feed by each of `authors`, newest last."""
    for author in authors:
        await Post.create(
            neighbourhood_id=world.centre.id,
            author_id=author.id,
            kind="DISCUSSION",
            title="T",
            body="B",
            created_at=now(),
        )


async def test_the_feed_is_answered_by_the_fast_path_alone(api, world, monkeypatch):
    """An answer without errors never reaches the exact path: Bob's feed, posts by him and
    by Alice."""
    monkeypatch.setenv("QUARTIER_COMPILED", "1")

    def refused(*_args: Any) -> Any:
        raise AssertionError("the exact path ran")

    monkeypatch.setattr(CompiledExecutor, "_execute_exact", refused)
    await posts_by(world, world.alice, world.bob, world.alice)
    body = {
        "query": contract_text("web/feed.graphql"),
        "operationName": "NeighbourhoodFeed",
        "variables": {"id": gid("Neighbourhood", world.centre.id)},
    }
    response = await api.client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {world.bob_token}"}
    )
    answer = response.json()
    assert "errors" not in answer, answer
    assert answer["data"]["neighbourhood"]["posts"]["edges"]


async def test_arguments_coerced_for_one_request_serve_the_next_with_the_same_variables_only(
    api, world, monkeypatch
):
    """A plan keeps a field's arguments with the variables' object they were coerced from
    (requests with the same plain variables share it, schema/prepared.py): the same
    variables again take them, other variables coerce their own."""
    twice = Twice(api, monkeypatch)
    await posts_by(world, world.alice, world.bob, world.alice)
    query = (
        "query Feed($id: ID!, $first: Int) { neighbourhood(id: $id) { "
        "posts(first: $first) { edges { node { id title } } } } }"
    )
    centre = gid("Neighbourhood", world.centre.id)
    sizes = []
    for first in (1, 3, 1, 2, 2):
        answer = await twice(query, {"id": centre, "first": first}, world.bob_token)
        sizes.append(len(answer["data"]["neighbourhood"]["posts"]["edges"]))
    assert sizes == [1, 3, 1, 2, 2]


async def test_a_query_leaves_no_reference_cycle_behind(api, world):
    """What a request built goes when it is done, without the garbage collector: a cycle
    (graphql-core's executor and its helpers for resolvers, the fast path and its records)
    kept the request's executor, context, loaders and rows until the collector's next pass,
    which then had them all to walk."""
    await posts_by(world, world.alice, world.bob, world.alice)
    body = {
        "query": contract_text("web/feed.graphql"),
        "operationName": "NeighbourhoodFeed",
        "variables": {"id": gid("Neighbourhood", world.centre.id), "first": 3},
    }
    headers = {"Authorization": f"Bearer {world.bob_token}"}
    await api.client.post("/graphql", json=body, headers=headers)  # caches filled
    gc.collect()
    gc.disable()
    try:
        response = await api.client.post("/graphql", json=body, headers=headers)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [
            type(o).__module__ + "." + type(o).__qualname__
            for o in gc.garbage
            if type(o).__module__.split(".")[0]
            in ("graphql", "strawberry", "schema", "resolvers", "models", "server")
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert response.json()["data"]["neighbourhood"]["posts"]["edges"]
    assert left == []


def _fields_at(fields: list[Any], keys: list[str]) -> list[Any]:
    """The plan's fields under the response keys `keys`, from `fields` down."""
    for key in keys:
        field = next(f for f in fields if f.key == key)
        shape = field.shape.item if field.shape.kind == LIST else field.shape
        fields = shape.fields
    return fields


async def feed_plan_root(api: Any, world: Any) -> list[Any]:
    """The root fields of the plan of Bob's NeighbourhoodFeed, once it has answered."""
    body = {
        "query": contract_text("web/feed.graphql"),
        "operationName": "NeighbourhoodFeed",
        "variables": {"id": gid("Neighbourhood", world.centre.id)},
    }
    headers = {"Authorization": f"Bearer {world.bob_token}"}
    assert "errors" not in (await api.client.post("/graphql", json=body, headers=headers)).json()
    # The most recently used: an earlier test's app may have left a plan of its own schema.
    plan = next(
        plan
        for _, plan in reversed(PLANS.entries.values())
        if plan is not None
        and plan.operation.name is not None
        and plan.operation.name.value == "NeighbourhoodFeed"
    )
    assert plan.root is not None
    return plan.root


async def test_a_post_asks_its_permission_classes_once_unless_they_say_otherwise(
    api, world, monkeypatch
):
    """`title`, `body` and `author` share one answer of CanReadPostContent, which declares
    `per_object`; a class that does not is asked for each field. The generated function is
    not kept alive by its own globals, and a post is recognised by its class."""
    await posts_by(world, world.alice)
    root = await feed_plan_root(api, world)
    posts = _fields_at(root, ["neighbourhood", "posts", "edges", "node"])
    node = next(f for f in _fields_at(root, ["neighbourhood", "posts", "edges"]) if f.key == "node")
    assert node.shape.by_class
    selection = compile_selection(posts)
    assert "selection" not in selection.__globals__
    assert selection.source.count("judged(") == 1  # type: ignore[attr-defined]
    monkeypatch.setattr(CanReadPostContent, "per_object", False)
    assert compile_selection(posts).source.count("judged(") == 3  # type: ignore[attr-defined]


async def test_an_error_anywhere_gives_the_answer_of_the_exact_path(api, world, monkeypatch):
    """The fast path gives up at an error deep in the answer, after it has started the
    feed's loaders, and the exact path answers with graphql-core's error and its path."""
    twice = Twice(api, monkeypatch)
    exact = CompiledExecutor._execute_exact
    runs = []

    def counted(self: CompiledExecutor, *args: Any) -> Any:
        runs.append(os.environ["QUARTIER_COMPILED"])
        return exact(self, *args)

    monkeypatch.setattr(CompiledExecutor, "_execute_exact", counted)
    await posts_by(world, world.alice, world.bob)
    # A malformed cursor is refused by each post's `comments`, once the loaders have started.
    query = (
        "query Feed($id: ID!) { neighbourhood(id: $id) { posts(first: 3) { edges { node { "
        "id author { id displayName } topics { slug } viewerHasReacted "
        'comments(after: "not a cursor") { edges { node { id } } } } } } } }'
    )
    answer = await twice(query, {"id": gid("Neighbourhood", world.centre.id)}, world.bob_token)
    assert answer["errors"][0]["path"][:3] == ["neighbourhood", "posts", "edges"]
    assert answer["data"]["neighbourhood"]["posts"]["edges"]
    # The fast path's request gave up and ran again on the exact path.
    assert runs.count("1") == 1
    assert runs.count("exact") == 1


async def test_loaded_fields_wait_on_their_loaders_batch_not_each_on_a_coroutine(api, world):
    """A post's `author`, `topics` and `viewerHasReacted` are declared loaded (schema/loaded.py):
    the generated selection queues their keys with their loaders and lists each waiting
    object under its field in `run.loading`, no coroutine of its own (the feed's statements
    are test_feed_statement's to check)."""
    await posts_by(world, world.alice, world.bob, world.alice)
    root = await feed_plan_root(api, world)
    posts = _fields_at(root, ["neighbourhood", "posts", "edges", "node"])
    loaded = {field.key for field in posts if field.call.loaded is not None}
    assert loaded == {"author", "topics", "viewerHasReacted"}
    source = compile_selection(posts).source  # type: ignore[attr-defined]
    assert source.count("run.loading[") == 3
    assert "CoroutineType" not in source


async def test_a_loaded_value_already_in_the_loader_and_a_failed_batch_answer_as_graphql_core(
    api, world, monkeypatch
):
    """Comment authors are loaded in a later batch than post authors, so some are in the
    loader already (taken at once); a loader whose batch fails gives graphql-core's errors,
    by the exact path."""
    twice = Twice(api, monkeypatch)
    await posts_by(world, world.alice, world.bob)
    centre = gid("Neighbourhood", world.centre.id)
    post = await Post.filter(neighbourhood_id=world.centre.id).order_by("-id").first()
    assert post is not None
    token = world.bob_token
    add = "mutation($i: AddCommentInput!) { addComment(input: $i) { userErrors { code } } }"
    for body in ("first", "second"):
        variables = {"i": {"postId": gid("Post", post.id), "body": body}}
        await api.client.post(
            "/graphql",
            json={"query": add, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    query = (
        "query Feed($id: ID!) { neighbourhood(id: $id) { posts(first: 3) { edges { node { "
        "id author { id displayName } topics { slug } viewerHasReacted "
        "comments { edges { node { id author { id displayName } } } } } } } } }"
    )
    answer = await twice(query, {"id": centre}, token)
    edges = answer["data"]["neighbourhood"]["posts"]["edges"]
    assert [c["node"]["author"]["id"] for c in edges[0]["node"]["comments"]["edges"]] == [
        gid("Resident", world.bob.id)
    ] * 2

    async def failing(self: Any, keys: list[int]) -> list[Any]:
        raise RuntimeError("the topics are out of reach")

    monkeypatch.setattr(TopicsByPostIdLoader, "batch_load_fn", failing)
    answer = await twice(query, {"id": centre}, token)
    assert answer["errors"][0]["path"][-1] == "topics"


async def test_an_executor_is_freed_without_the_garbage_collector():
    """Its async helpers hold it weakly: no reference cycle keeps it, and what the request
    built with it, until the collector's next pass. They work while it lives."""
    executor = CompiledExecutor.build(SCHEMA._schema, parse("{ topics { slug } }"))
    assert isinstance(executor, CompiledExecutor)
    helpers = executor.async_helpers

    async def two() -> int:
        return 2

    assert await helpers.gather([two(), asyncio.sleep(0, 3)]) == [2, 3]
    assert not executor.background_futures
    late = asyncio.ensure_future(two())
    helpers.track([1, late])
    assert executor.background_futures
    await late
    freed = weakref.ref(executor)
    gc.disable()
    try:
        del executor
        assert freed() is None
    finally:
        gc.enable()
    with pytest.raises(RuntimeError):
        helpers.track([])


def test_the_plan_cache_keeps_at_most_its_size():
    cache = PlanCache(size=8)
    for i in range(20):
        operation = parse(f"query Q{i} {{ topics {{ slug }} }}").definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        assert cache.get(SCHEMA._schema, operation, {}) is not None
    assert len(cache.entries) == 8


async def test_an_operation_with_skip_or_include_has_no_plan_and_answers_the_same(
    api, world, monkeypatch
):
    twice = Twice(api, monkeypatch)
    text = (
        "query Feed($id: ID!, $with: Boolean!) { neighbourhood(id: $id) { id "
        "name @include(if: $with) posts(first: 2) { edges { node { id title @skip(if: $with) } } } } }"
    )
    centre = gid("Neighbourhood", world.centre.id)
    for flag in (True, False):
        body = {"query": text, "variables": {"id": centre, "with": flag}}
        answer = json.loads(await twice.send(body, world.bob_token))
        assert answer["data"]["neighbourhood"]["id"] == centre
    operation = parse(text).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    assert PlanCache().get(SCHEMA._schema, operation, {}) is None


def test_a_resolver_that_only_reads_attributes_is_read_in_place():
    """`return self.row.title` is written into the generated selection as `source.row.title`;
    a resolver that does anything more is called."""

    def title(self: Any) -> Any:
        return self.row.title

    def shouted(self: Any) -> Any:
        return self.row.title.upper()

    def with_default(self: Any, row: Any = None) -> Any:
        return self.row

    assert attribute_path(title) == "row.title"
    assert attribute_path(shouted) is None
    assert attribute_path(with_default) is None
    assert attribute_path(len) is None

    class Holder:
        def title(self) -> Any:
            return self.row  # type: ignore[attr-defined]

    def keyword_only(self: Any, *, given: Any) -> Any:
        return self.row

    assert attribute_path(Holder().title) is None  # bound: calling it with the object fails
    assert attribute_path(keyword_only) is None
