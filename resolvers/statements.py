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
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from tortoise.models import Model
from tortoise.queryset import AwaitableQuery

from resolvers import instances

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

# Stand-in values: never an id, a count, a date or anything else a query binds. Statements
# whose values are of several types are built with two sets of them (`prepare_mixed`).
_STAND_IN = -(10**15)
_OTHER_STAND_IN = -(2 * 10**15)
_TIME_STAND_IN = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Statement:
    sql: str
    # For each placeholder of `sql`: the index of its value among the call's values, or the
    # constant the query itself binds (a LIMIT), as (False, value).
    slots: tuple[tuple[bool, Any], ...]
    # Tortoise's bookkeeping for select_related (None without).
    select_related_idx: Any

    def bind(self, values: Sequence[Any]) -> list[Any]:
        if self.in_order and len(values) == len(self.slots):
            return list(values)
        return [values[slot] if given else slot for given, slot in self.slots]

    @cached_property
    def in_order(self) -> bool:
        """Whether the statement binds the call's values as they come (an IN list alone)."""
        return self.slots == tuple((True, i) for i in range(len(self.slots)))


def stand_ins(count: int, kind: type = int) -> list[Any]:
    return _stand_ins((kind,) * count)


def _stand_ins(kinds: Sequence[type], other: bool = False) -> list[Any]:
    values: list[Any] = []
    for i, kind in enumerate(kinds):
        if kind is str:
            values.append(f"\x00stand-in {'other ' if other else ''}{i}")
        elif kind is datetime:
            values.append(_TIME_STAND_IN + timedelta(days=400 * other, microseconds=i))
        else:
            values.append((_OTHER_STAND_IN if other else _STAND_IN) - i)
    return values


def prepare(query: AwaitableQuery[Any], count: int, kind: type = int) -> Statement:
    """`query`, built with `stand_ins(count, kind)` as its values, as a reusable statement."""
    prepared = _statement_of(query, stand_ins(count, kind))
    if sorted(i for given, i in prepared.slots if given) != list(range(count)):
        raise ValueError(f"the query does not bind each of its {count} values once: {prepared.sql}")
    return prepared


def prepare_mixed(build: Build, kinds: tuple[type, ...]) -> Statement:
    """The statement `build` makes for values of `kinds` (int, str, datetime), each bound once
    or more. Built twice, with two sets of stand-ins: a value that Tortoise changed on its way
    into the statement would be taken for a constant; the second build shows it."""
    prepared = _statement_of(build(_stand_ins(kinds)), _stand_ins(kinds))
    if {i for given, i in prepared.slots if given} != set(range(len(kinds))):
        raise ValueError(f"the query does not bind each of its values: {prepared.sql}")
    other = _stand_ins(kinds, other=True)
    if instances.rendered(build(other)) != (prepared.sql, prepared.bind(other)):
        raise ValueError(f"the query does not bind its values as they are: {prepared.sql}")
    return prepared


def _statement_of(query: AwaitableQuery[Any], values: list[Any]) -> Statement:
    sql, bound = instances.rendered(query)
    where = {value: i for i, value in enumerate(values)}
    slots = tuple((True, where[v]) if v in where else (False, v) for v in bound)
    return Statement(sql, slots, getattr(query, "_select_related_idx", None) or None)


Build = Callable[[list[Any]], AwaitableQuery[Any]]


@lru_cache(maxsize=1024)
def _statement(build: Build, count: int, kind: type, dialect: str) -> Statement:
    return prepare(build(stand_ins(count, kind)), count, kind)


@lru_cache(maxsize=1024)
def _mixed_statement(build: Build, kinds: tuple[type, ...], dialect: str) -> Statement:
    return prepare_mixed(build, kinds)


def statement(
    model: type[Model],
    build: Build,
    values: list[Any],
    kinds: tuple[type, ...] | None = None,
    db: BaseDBAsyncClient | None = None,
) -> Statement:
    """The statement `build` makes for as many values as `values` (all ints, or all strings;
    or of the types `kinds` names) on `db` (the model's current database by default). `build`
    is part of the cache's key: a module-level function, or one made once per model or shape
    (functools.cache)."""
    dialect = (db or model._meta.db).capabilities.dialect
    if kinds is not None:
        return _mixed_statement(build, kinds, dialect)
    kind = str if values and isinstance(values[0], str) else int
    return _statement(build, len(values), kind, dialect)


async def fetch_models(
    model: type[Model], build: Build, values: list[Any], kinds: tuple[type, ...] | None = None
) -> list[Any]:
    """The model instances `build(values)` would return (its select_related included)."""
    # Looked up once: the model's database is found through Tortoise's connection context.
    db = model._meta.db
    prepared = statement(model, build, values, kinds, db)
    return await instances.select(
        model, prepared.sql, prepared.bind(values), prepared.select_related_idx, db
    )


async def fetch_column(model: type[Model], build: Build, values: list[Any]) -> list[Any]:
    """The first column of the rows `build(values)` selects, as the database returns it."""
    db = model._meta.db
    prepared = statement(model, build, values, db=db)
    _, rows = await db.execute_query(prepared.sql, prepared.bind(values))
    return [row[0] for row in rows]
