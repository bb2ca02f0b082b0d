"""The models' base class: Tortoise's, without reading each model's source at import.

Tortoise's model metaclass reads the source of every model class (`inspect.getsource`, which
parses the whole module again for each class) to find `#:` comments to use as field
descriptions. The models have none, and it cost about a tenth of the CPU of starting
`quartier serve` (bench.startup). `_no_comments` turns it off; Tortoise reads it from the class
body only, so the metaclass puts it there for each model.
"""

from __future__ import annotations

from typing import Any

from tortoise.models import Model as TortoiseModel
from tortoise.models import ModelMeta


class _NoCommentsMeta(ModelMeta):
    def __new__(mcs, name: str, bases: tuple[Any, ...], attrs: dict[str, Any]) -> Any:
        attrs.setdefault("_no_comments", True)
        return super().__new__(mcs, name, bases, attrs)


class Model(TortoiseModel, metaclass=_NoCommentsMeta):
    class Meta:
        abstract = True
