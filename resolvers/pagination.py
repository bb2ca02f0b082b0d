"""Keyset pagination: pages follow an ordered pair of columns, never an OFFSET.

A page knows whether rows lie beyond each of its ends. The end it was fetched towards comes
with the page (one row more than asked); the other end, behind the cursor the client sent,
costs a statement of its own, so it is a check run only when a client asks for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from permissions.errors import BadInput
from permissions.text import tr
from resolvers import instances
from resolvers.ids import decode_cursor, encode_cursor

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
M = TypeVar("M")
# Whether rows lie beyond an end of a page: known, or a check to run when asked.
Beyond = bool | Callable[[], Awaitable[bool]]


def page_size(first: int | None, default: int = DEFAULT_PAGE_SIZE, name: str = "first") -> int:
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadInput(
            tr(
                "`{name}` doit être compris entre 0 et {max_page_size}.",
                name=name,
                max_page_size=MAX_PAGE_SIZE,
            )
        )
    return first


@dataclass(frozen=True)
class Order:
    """Two columns that order the rows uniquely, the second being the primary key."""

    column: str
    kind: type = datetime
    descending: bool = True
    tie: str = "id"

    def cursor(self, row: Any) -> str:
        return encode_cursor(getattr(row, self.column), getattr(row, self.tie))

    def after(self, qs: QuerySet[Any], cursor: str) -> QuerySet[Any]:
        """The rows that come after the cursor's row."""
        return qs.filter(self._beyond(cursor, forward=True))

    def after_values(self, qs: QuerySet[Any], value: Any, tie: int) -> QuerySet[Any]:
        """The rows that come after the row of these values (a decoded cursor)."""
        return qs.filter(self._beyond_values(value, tie, forward=True))

    def decode(self, cursor: str) -> tuple[Any, int]:
        """The cursor's values: its row's column and tie; BAD_USER_INPUT when malformed."""
        value, tie = decode_cursor(cursor, (self.kind, int))
        return value, tie

    def before(self, qs: QuerySet[Any], cursor: str) -> QuerySet[Any]:
        """The rows that come before the cursor's row."""
        return qs.filter(self._beyond(cursor, forward=False))

    def up_to(self, qs: QuerySet[Any], cursor: str) -> QuerySet[Any]:
        """The cursor's row and those before it: what a page after the cursor has behind it."""
        return qs.exclude(self._beyond(cursor, forward=True))

    def from_(self, qs: QuerySet[Any], cursor: str) -> QuerySet[Any]:
        """The cursor's row and those after it: what a page before the cursor has ahead."""
        return qs.exclude(self._beyond(cursor, forward=False))

    def _beyond(self, cursor: str, *, forward: bool) -> Q:
        return self._beyond_values(*self.decode(cursor), forward=forward)

    def _beyond_values(self, value: Any, tie: int, *, forward: bool) -> Q:
        op = "lt" if self.descending == forward else "gt"
        beyond = Q(**{f"{self.column}__{op}": value}) | Q(
            **{self.column: value, f"{self.tie}__{op}": tie}
        )
        # The same rows, with a plain bound on the column first: the OR alone is no range, so
        # SQLite and PostgreSQL scanned the (…, column, tie) index from the top of the list to
        # the cursor; with the bound the scan starts at the cursor, and a page 50,000 rows deep
        # costs what page one costs (bench.deep_page).
        return Q(**{f"{self.column}__{op}e": value}) & beyond

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        sign = "-" if self.descending else ""
        return qs.order_by(f"{sign}{self.column}", f"{sign}{self.tie}")

    def reverse(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        sign = "" if self.descending else "-"
        return qs.order_by(f"{sign}{self.column}", f"{sign}{self.tie}")


NEWEST_FIRST = Order("created_at")
OLDEST_FIRST = Order("created_at", descending=False)


@dataclass
class Page(Generic[M]):
    rows: list[M]
    has_next: Beyond
    cursor: Callable[[M], str]
    has_previous: Beyond = False

    @classmethod
    def empty(cls) -> Page[Any]:
        return cls([], False, lambda _row: "")

    @classmethod
    def from_rows(cls, rows: list[M], size: int, order: Order) -> Page[M]:
        return cls(rows[:size], len(rows) > size, order.cursor)


def _exists(qs: QuerySet[Any]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(await qs.exists())

    return check


# How a caller reads a page's rows itself (a statement prepared once per shape): given the
# number of rows to read and the cursor's values (None for the first page), the rows that
# `order.apply(order.after(qs, cursor)).limit(count)` reads.
ReadRows = Callable[[int, tuple[Any, int] | None], Awaitable[list[Any]]]


def _built(qs: QuerySet[Any] | Callable[[], QuerySet[Any]]) -> QuerySet[Any]:
    return qs if isinstance(qs, QuerySet) else qs()


async def keyset_page(
    qs: QuerySet[Any] | Callable[[], QuerySet[Any]],
    first: int | None,
    after: str | None,
    order: Order = NEWEST_FIRST,
    read: ReadRows | None = None,
) -> Page[Any]:
    """A page of `qs` (or of the query `qs()` builds, only when it is needed: a first page
    that `read` reads needs none)."""
    size = page_size(first)
    behind: Beyond = _exists(order.up_to(_built(qs), after)) if after else False
    if read is not None and size > 0:
        rows = await read(size + 1, order.decode(after) if after else None)
    else:
        query = _built(qs)
        if after:
            query = order.after(query, after)
        if size == 0:
            return Page([], await query.exists(), order.cursor, behind)
        rows = await instances.fetch(order.apply(query).limit(size + 1))
    page = Page.from_rows(rows, size, order)
    page.has_previous = behind
    return page


async def keyset_page_backward(
    qs: QuerySet[Any], last: int | None, before: str | None, order: Order, default: int = 20
) -> Page[Any]:
    """The `last` rows before the cursor (the last rows without one), in the order's
    direction: the end of the list first, paging towards its start."""
    size = page_size(last, default, name="last")
    ahead: Beyond = _exists(order.from_(qs, before)) if before else False
    if before:
        qs = order.before(qs, before)
    if size == 0:
        return Page([], ahead, order.cursor, await qs.exists())
    rows = await instances.fetch(order.reverse(qs).limit(size + 1))
    return Page(rows[:size][::-1], ahead, order.cursor, len(rows) > size)
