"""Loader statements built by Tortoise once per shape, then run with each batch's values.

A DataLoader runs the same query for every batch, only its keys change. Building it through
a QuerySet (filters resolved, pypika tree copied, SQL rendered) cost more CPU than running it:
about a seventh of a feed request's CPU (bench.feed). Here Tortoise builds the statement once
for a number of keys and a database dialect, with stand-in values; later batches of that size
bind their own values in the same places and run the same SQL, read into the same model
instances by Tortoise's own executor. The statements are Tortoise's, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tortoise.models import Model
from tortoise.queryset import AwaitableQuery

# Stand-in values: never an id, a count or anything else a query binds.
_STAND_IN = -(10**15)


@dataclass(frozen=True)
class Statement:
    sql: str
    # For each placeholder of `sql`, the index of its value among the call's values.
    slots: tuple[int, ...]
    # Tortoise's bookkeeping for select_related (None without).
    select_related_idx: Any

    def bind(self, values: Sequence[Any]) -> list[Any]:
        return [values[i] for i in self.slots]


def stand_ins(count: int) -> list[int]:
    return [_STAND_IN - i for i in range(count)]


def prepare(query: AwaitableQuery[Any], count: int) -> Statement:
    """`query`, built with `stand_ins(count)` as its values, as a reusable statement."""
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    where = {value: i for i, value in enumerate(stand_ins(count))}
    # A value that is no stand-in would be bound for good: refused.
    slots = tuple(where[value] for value in values)
    return Statement(sql, slots, getattr(query, "_select_related_idx", None) or None)


@lru_cache(maxsize=1024)
def _statement(
    build: Callable[[list[int]], AwaitableQuery[Any]], count: int, dialect: str
) -> Statement:
    return prepare(build(stand_ins(count)), count)


def statement(
    model: type[Model], build: Callable[[list[int]], AwaitableQuery[Any]], count: int
) -> Statement:
    """The statement `build` makes for `count` values on the model's current database.
    `build` must be a module-level function (it is part of the cache's key)."""
    return _statement(build, count, model._meta.db.capabilities.dialect)


async def fetch_models(
    model: type[Model], build: Callable[[list[int]], AwaitableQuery[Any]], values: list[Any]
) -> list[Any]:
    """The model instances `build(values)` would return (its select_related included)."""
    db = model._meta.db
    prepared = statement(model, build, len(values))
    executor = db.executor_class(model=model, db=db, select_related_idx=prepared.select_related_idx)
    return list(await executor.execute_select(prepared.sql, prepared.bind(values)))


async def fetch_column(
    model: type[Model], build: Callable[[list[int]], AwaitableQuery[Any]], values: list[Any]
) -> list[Any]:
    """The first column of the rows `build(values)` selects, as the database returns it."""
    db = model._meta.db
    prepared = statement(model, build, len(values))
    _, rows = await db.execute_query(prepared.sql, prepared.bind(values))
    return [row[0] for row in rows]
