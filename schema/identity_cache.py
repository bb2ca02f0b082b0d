"""A bounded cache keyed by the identity of the objects a value is computed from.

graphql-core's AST nodes are frozen dataclasses whose hash walks the whole tree: a cache
keyed by a document costs the feed's document (about 850 nodes) on every lookup. Parsed
documents are themselves cached by their text (schema/request_checks.py), so a request
sending the same text meets the same node objects, whose ids are as good a key and cost
nothing. Each entry keeps its objects alive, so no other object takes their ids while it
lives.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """Values by (the identities of `objects`, `extra`), least recently used out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, tuple[tuple[object, ...], V]] = OrderedDict()

    def get(self, objects: tuple[object, ...], extra: Hashable, compute: Callable[[], V]) -> V:
        key = (*map(id, objects), extra)
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            return entry[1]
        value = compute()
        self._keep(key, objects, value)
        return value

    def find(self, objects: tuple[object, ...], extra: Hashable) -> V | None:
        """The value kept for these, or None (for values that only some outcomes keep)."""
        key = (*map(id, objects), extra)
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.entries.move_to_end(key)
        return entry[1]

    def keep(self, objects: tuple[object, ...], extra: Hashable, value: V) -> None:
        self._keep((*map(id, objects), extra), objects, value)

    def _keep(self, key: Hashable, objects: tuple[object, ...], value: V) -> None:
        self.entries[key] = (objects, value)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()
