"""Keyset pagination: pages follow an ordered pair of columns, never an OFFSET."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from permissions.errors import BadInput
from permissions.text import tr
from resolvers.ids import decode_cursor, encode_cursor

MAX_PAGE_SIZE = 100
M = TypeVar("M")


def page_size(first: int | None, default: int = 20) -> int:
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadInput(
            tr("`first` doit être compris entre 0 et {max_page_size}.", max_page_size=MAX_PAGE_SIZE)
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
        value, tie = decode_cursor(cursor, (self.kind, int))
        op = "lt" if self.descending else "gt"
        return qs.filter(
            Q(**{f"{self.column}__{op}": value})
            | Q(**{self.column: value, f"{self.tie}__{op}": tie})
        )

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        sign = "-" if self.descending else ""
        return qs.order_by(f"{sign}{self.column}", f"{sign}{self.tie}")


NEWEST_FIRST = Order("created_at")
OLDEST_FIRST = Order("created_at", descending=False)


@dataclass
class Page(Generic[M]):
    rows: list[M]
    has_next: bool
    cursor: Callable[[M], str]

    @classmethod
    def empty(cls) -> Page[Any]:
        return cls([], False, lambda _row: "")

    @classmethod
    def from_rows(cls, rows: list[M], size: int, order: Order) -> Page[M]:
        return cls(rows[:size], len(rows) > size, order.cursor)


async def keyset_page(
    qs: QuerySet[Any], first: int | None, after: str | None, order: Order = NEWEST_FIRST
) -> Page[Any]:
    size = page_size(first)
    if after:
        qs = order.after(qs, after)
    if size == 0:
        return Page([], await qs.exists(), order.cursor)
    rows = await order.apply(qs).limit(size + 1)
    return Page.from_rows(list(rows), size, order)
