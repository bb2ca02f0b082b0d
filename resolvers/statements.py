"""Loader statements built by Tortoise once per shape, then run with each batch's values.

A DataLoader runs the same query for every batch, only its keys change. Building it through
a QuerySet (filters resolved, pypika tree copied, SQL rendered) cost more CPU than running it:
about a seventh of a feed request's CPU (bench.feed). Here Tortoise builds the statement once
for a number of keys and a database dialect, with stand-in values; later batches of that size
bind their own values in the same places and run the same SQL, read into the same model
instances Tortoise's executor makes (resolvers/instances.py). The statements are Tortoise's,
byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tortoise.models import Model
from tortoise.queryset import AwaitableQuery

from resolvers import instances

# Stand-in values: never an id, a count or anything else a query binds.
_STAND_IN = -(10**15)


@dataclass(frozen=True)
class Statement:
    sql: str
    # For each placeholder of `sql`: the index of its value among the call's values, or the
    # constant the query itself binds (a LIMIT), as (False, value).
    slots: tuple[tuple[bool, Any], ...]
    # Tortoise's bookkeeping for select_related (None without).
    select_related_idx: Any

    def bind(self, values: Sequence[Any]) -> list[Any]:
        return [values[slot] if given else slot for given, slot in self.slots]


def stand_ins(count: int, kind: type = int) -> list[Any]:
    if kind is str:
        return [f"\x00stand-in {i}" for i in range(count)]
    return [_STAND_IN - i for i in range(count)]


def prepare(query: AwaitableQuery[Any], count: int, kind: type = int) -> Statement:
    """`query`, built with `stand_ins(count, kind)` as its values, as a reusable statement."""
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    where = {value: i for i, value in enumerate(stand_ins(count, kind))}
    slots = tuple((True, where[v]) if v in where else (False, v) for v in values)
    if sorted(i for given, i in slots if given) != list(range(count)):
        raise ValueError(f"the query does not bind each of its {count} values once: {sql}")
    return Statement(sql, slots, getattr(query, "_select_related_idx", None) or None)


Build = Callable[[list[Any]], AwaitableQuery[Any]]


@lru_cache(maxsize=1024)
def _statement(build: Build, count: int, kind: type, dialect: str) -> Statement:
    return prepare(build(stand_ins(count, kind)), count, kind)


def statement(model: type[Model], build: Build, values: list[Any]) -> Statement:
    """The statement `build` makes for as many values as `values` (all ints, or all strings)
    on the model's current database. `build` is part of the cache's key: a module-level
    function, or one made once per model (functools.cache)."""
    kind = str if values and isinstance(values[0], str) else int
    return _statement(build, len(values), kind, model._meta.db.capabilities.dialect)


async def fetch_models(model: type[Model], build: Build, values: list[Any]) -> list[Any]:
    """The model instances `build(values)` would return (its select_related included)."""
    prepared = statement(model, build, values)
    return await instances.select(
        model, prepared.sql, prepared.bind(values), prepared.select_related_idx
    )


async def fetch_column(model: type[Model], build: Build, values: list[Any]) -> list[Any]:
    """The first column of the rows `build(values)` selects, as the database returns it."""
    db = model._meta.db
    prepared = statement(model, build, values)
    _, rows = await db.execute_query(prepared.sql, prepared.bind(values))
    return [row[0] for row in rows]
