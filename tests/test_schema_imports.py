"""The schema's modules import in one direction: a domain adds its fields to another domain's
type (schema/base.contribute) instead of that type reaching for it."""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter

import pytest
import strawberry

from schema.base import contribute
from tests.support import ROOT

SCHEMA = ROOT / "schema"


def _imports(module: str) -> set[str]:
    """Every schema module `module` names: at the top, under TYPE_CHECKING, inside a function,
    or as a `strawberry.lazy` reference resolved when the schema is built."""
    text = (SCHEMA / f"{module}.py").read_text()
    named = set(re.findall(r'strawberry\.lazy\("schema\.(\w+)"\)', text))
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("schema."):
                named.add(node.module.split(".")[1])
            elif node.module == "schema":
                named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            named.update(a.name.split(".")[1] for a in node.names if a.name.startswith("schema."))
    return named - {module}


GRAPH = {path.stem: _imports(path.stem) for path in SCHEMA.glob("*.py")}


def test_the_schema_modules_import_without_a_cycle():
    try:
        order = list(TopologicalSorter(GRAPH).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {error.args[1]}")

    assert order.index("geography") < order.index("accounts") < order.index("community")


def test_geography_and_accounts_are_leaves():
    assert GRAPH["geography"] == {"base"}
    assert GRAPH["accounts"] == {"base", "geography"}


def test_the_fields_other_domains_contribute_are_on_their_types():
    from schema.accounts import Account
    from schema.geography import City, Neighbourhood
    from schema.schemas import build_schema

    build_schema(production=False)

    def names(cls: type) -> set[str]:
        return {f.python_name for f in cls.__strawberry_definition__.fields}  # type: ignore[attr-defined]

    assert {"conversations", "announcements", "notifications", "notification_preferences"} <= (
        names(Account)
    )
    assert {"posts", "upcoming_events", "search"} <= names(Neighbourhood)
    assert "announcements" in names(City)


def test_a_field_contributed_twice_under_one_name_is_refused():
    @strawberry.type
    class Target:
        @strawberry.field
        def name(self) -> str:
            return "target"

    @strawberry.type
    class Part:
        @strawberry.field
        def name(self) -> str:
            return "part"

    with pytest.raises(TypeError, match=r"Target\.name is declared twice"):
        contribute(Target, Part)
