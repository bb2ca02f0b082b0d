"""Loader statements built once per shape (resolvers/statements.py): the SQL Tortoise writes
for the same query, the same rows, and refused when the query does not bind each value once."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.timezone import now

from models.accounts import Account, AuthToken
from models.community import Post, PostKind, PostTopic, Reaction, Topic
from resolvers import loaders, statements
from resolvers.tokens import _by_hash, authenticate, hash_token
from tests.support import count_statements


async def test_a_prepared_statement_is_the_one_tortoise_writes_and_reads_the_same_rows(world):
    ids = [world.bob.id, world.alice.id]
    build = loaders._by_ids(Account)

    with count_statements() as prepared_sql:
        prepared = await statements.fetch_models(Account, build, ids)
    with count_statements() as tortoise_sql:
        direct = await Account.filter(id__in=ids)

    assert prepared_sql == tortoise_sql
    assert sorted((a.id, a.display_name, a.role) for a in prepared) == sorted(
        (a.id, a.display_name, a.role) for a in direct
    )
    # Same size, other values: the same statement, bound anew.
    again = await statements.fetch_models(Account, build, [world.alice.id, 10**9])
    assert [a.id for a in again] == [world.alice.id]


async def test_the_column_and_select_related_forms_read_what_the_queryset_reads(world):
    post = await Post.create(
        neighbourhood_id=world.centre.id,
        author_id=world.alice.id,
        kind=PostKind.DISCUSSION,
        title="Titre",
        body="Texte",
        created_at=now(),
    )
    topics = await Topic.filter(city_id=world.city.id).order_by("slug").limit(2)
    await PostTopic.bulk_create([PostTopic(post_id=post.id, topic_id=t.id) for t in topics])
    await Reaction.create(post_id=post.id, account_id=world.bob.id)

    links = await statements.fetch_models(PostTopic, loaders._topic_links, [post.id])
    reacted = await statements.fetch_column(
        Reaction, loaders._viewer_has(Reaction, "post_id"), [post.id, world.bob.id]
    )
    not_reacted = await statements.fetch_column(
        Reaction, loaders._viewer_has(Reaction, "post_id"), [post.id, world.alice.id]
    )

    assert sorted(link.topic.slug for link in links) == [t.slug for t in topics]
    assert reacted == [post.id]
    assert not_reacted == []


async def test_a_token_authenticates_through_its_prepared_statement(world):
    token = await AuthToken.filter(account_id=world.alice.id).first()
    assert token is not None
    found = await statements.fetch_models(AuthToken, _by_hash, [token.token_hash])

    assert [t.account.id for t in found] == [world.alice.id]
    assert (await authenticate(world.alice_token))[0].id == world.alice.id  # type: ignore[index]
    assert await authenticate("qrt_" + "x" * 43) is None
    assert hash_token(world.alice_token) == token.token_hash


def _binds_twice(values: list[int]):
    return Account.filter(id__in=values, neighbourhood_id__in=values)


async def test_a_query_that_does_not_bind_each_value_once_is_refused(world):
    with pytest.raises(ValueError, match="does not bind each"):
        await statements.fetch_models(Account, _binds_twice, [1])


async def test_a_loader_caches_one_future_per_key_and_batches_the_keys_of_a_tick(world):
    """resolvers.loaders.DataLoader's own `load`: what aiodataloader's gives."""
    accounts = loaders.AccountByIdLoader()
    with count_statements() as sql:
        first = accounts.load(world.bob.id)
        assert accounts.load(world.bob.id) is first
        second = accounts.load(world.alice.id)
        bob, alice = await first, await second
    assert len(sql) == 1
    assert (bob.id, alice.id) == (world.bob.id, world.alice.id)
    assert accounts.load(world.bob.id) is first  # from the cache, no statement
    with pytest.raises(TypeError, match="must be called with a value"):
        accounts.load(None)


class _Echo(loaders.DataLoader):
    """Each key's value is what `answer` gives for it; `fail` makes the whole batch fail."""

    def __init__(self, answer: Any = None, fail: Exception | None = None) -> None:
        super().__init__()
        self.answer, self.fail = answer, fail
        self.batches: list[list[Any]] = []

    async def batch_load_fn(self, keys: list[Any]) -> Any:
        self.batches.append(keys)
        if self.fail is not None:
            raise self.fail
        return self.answer(keys)


async def test_a_loader_gives_each_key_its_value_or_its_own_error():
    echo = _Echo(lambda keys: [ValueError(k) if k == "bad" else k.upper() for k in keys])
    futures = [echo.load(k) for k in ("a", "bad", "b")]
    assert await futures[0] == "A"
    assert await futures[2] == "B"
    with pytest.raises(ValueError, match="bad"):
        await futures[1]
    assert echo.batches == [["a", "bad", "b"]]
    assert echo.load("bad") is futures[1]  # an error of its own stays cached, as a value


@pytest.mark.parametrize(
    ("answer", "fail", "error"),
    [
        (None, RuntimeError("down"), "down"),
        (lambda keys: keys[:1], None, "returned 1 values for 2 keys"),
        (lambda keys: 3, None, "not an iterable"),
    ],
)
async def test_a_failed_batch_fails_every_key_and_caches_none(answer, fail, error):
    echo = _Echo(answer, fail)
    first, second = echo.load("a"), echo.load("b")
    for future in (first, second):
        with pytest.raises(Exception, match=error):
            await future
    assert len(echo.batches) == 1
    again = echo.load("a"), echo.load("b")  # not cached: asked again, in a new batch
    assert again[0] is not first
    for future in again:
        with pytest.raises(Exception, match=error):
            await future
    assert echo.batches == [["a", "b"], ["a", "b"]]


def test_a_loader_that_would_split_its_batches_is_refused():
    with pytest.raises(TypeError, match="one batch a tick"):

        class Split(loaders.DataLoader):
            max_batch_size = 10


def test_a_loader_that_would_not_batch_or_cache_is_refused():
    with pytest.raises(TypeError, match="batches and caches"):

        class Unbatched(loaders.DataLoader):
            batch = False


def test_a_loader_that_would_cache_by_another_key_is_refused():
    with pytest.raises(TypeError, match="caches by the key itself"):

        class ByName(loaders.DataLoader):
            @staticmethod
            def get_cache_key(key: Any) -> Any:
                return str(key)

            async def batch_load_fn(self, keys: list[Any]) -> list[Any]:
                return keys
