"""Fields whose value is one DataLoader's value: the loader, the key read off the object, and
what the value becomes, declared rather than written as a coroutine.

    @strawberry.field(extensions=content(CanReadPostContent))
    @loaded("account", key=lambda post: post.row.author_id)
    def author(self, row: models.Account) -> Resident | None:
        return Resident(row=row, shared_with_city=self.row.share_with_city)

Strawberry gets the resolver it would get written by hand, `async def author(self, info)`
awaiting `info.context.loaders.account.load(self.row.author_id)`. The declaration stays on it
(`LOADED`), for the fast path (schema/compiled/fast.py): there a feed page's posts do not each
run a coroutine that waits on its own future; the keys are queued as the coroutines would
queue them, and the values are read once a loader's batch is done.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from strawberry.types import Info

# The attribute of a resolver that carries its declaration.
LOADED: Final = "__quartier_loaded__"

S = TypeVar("S")
V = TypeVar("V")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Loaded:
    """`then(object, value)` of the value the request's `loader` (an attribute of
    `resolvers.loaders.Loaders`) gives for `key(object)`."""

    loader: str
    key: Callable[[Any], Any]
    then: Callable[[Any, Any], Any]


def loaded(
    loader: str, key: Callable[[Any], Any]
) -> Callable[[Callable[[S, V], R]], Callable[[S, Info], Coroutine[Any, Any, R]]]:
    """The field's resolver, from the function that makes its value of the loaded value."""
    if not loader.isidentifier() or keyword.iskeyword(loader):  # generated code names it
        raise ValueError(f"not a loader's name: {loader!r}")

    def decorate(then: Callable[[S, V], R]) -> Callable[[S, Info], Coroutine[Any, Any, R]]:
        async def resolver(self: S, info: Info) -> R:
            value = await getattr(info.context.loaders, loader).load(key(self))
            return then(self, value)

        # Strawberry reads the signature `(self, info)` and the return type, resolved in
        # the declaring module as the decorated function's own annotation would be.
        resolver.__name__ = then.__name__
        resolver.__qualname__ = then.__qualname__
        resolver.__module__ = then.__module__
        resolver.__doc__ = then.__doc__
        resolver.__annotations__ = {"info": Info, "return": then.__annotations__["return"]}
        setattr(resolver, LOADED, Loaded(loader, key, then))
        return resolver

    return decorate
