"""What an operation may ask before it runs: its depth, its aliases and its cost, measured in
one walk of the document that measures each fragment once.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk a fragment again at every spread:
six levels of fragments each spreading the previous ten times (under 1 KB) cost a million
visits. Here a fragment's measure is kept (per slicing size, below) and reused at every
spread, so the walk is linear in the document's size whatever it spreads.

The cost counts the objects an operation may resolve, as GitHub's node limit and Shopify's
cost model do: each object field costs 1 plus what is selected under it; a list multiplies
that by its size. A connection's size is its `first` argument (its declared default when
absent, at most `MAX_PAGE_SIZE`; or `last`), given to the lists inside it (`edges`);
`_entities` counts its representations and `nodes` its ids; any other list counts
`DEFAULT_PAGE_SIZE` items unless `ASSUMED_SIZES` bounds it. Scalars cost nothing, and
neither does introspection, which the schema bounds (and production keeps to staff).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)

from resolvers.announcements import OPTIONS_MAX
from resolvers.community import TOPICS_MAX
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.identity_cache import IdentityCache

MAX_DEPTH: Final = 12
MAX_ALIASES: Final = 30
# About 10,000 objects, a second of this server's work. The contract's costliest operation
# costs 1,903 with `first: 100` (953 with its defaults; tests/test_request_limits.py checks
# them all); posts of posts of posts, 100 at each level, cost 2,040,402.
MAX_COST: Final = 10_000

# Lists with a known bound, by "Type.field".
ASSUMED_SIZES: Final[dict[str, int]] = {
    "Post.topics": TOPICS_MAX,
    "Conversation.participants": 2,
    "Consultation.options": OPTIONS_MAX,
}
# Lists as long as one of their arguments, by field name.
SIZED_BY_ARGUMENT: Final[dict[str, str]] = {"_entities": "representations", "nodes": "ids"}
# The arguments that size a page, forwards or backwards.
SLICING: Final = ("first", "last")


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def beside(self, other: Measure) -> Measure:
        """Two selections of one selection set."""
        return Measure(
            max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost
        )


NOTHING: Final = Measure()


def _unwrapped(type_: GraphQLOutputType) -> GraphQLOutputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


class Meter:
    """Measures the operations of one document, with one request's variables."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.provided = variables or {}
        self.values: dict[str, Any] = {}
        self.memo: dict[tuple[str, int | None], Measure] = {}
        self.open: set[tuple[str, int | None]] = set()

    def operation(self, node: OperationDefinitionNode) -> Measure:
        # A fragment's measure depends on the variables, whose defaults are the operation's.
        self.memo.clear()
        self.values = _values(node, self.provided)
        root = self.schema.get_root_type(node.operation)
        return self._selections(node.selection_set, root, None)

    def _selections(
        self, node: SelectionSetNode, parent: GraphQLNamedType | None, sized: int | None
    ) -> Measure:
        total = NOTHING
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                measure = self._field(selection, parent, sized)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                measure = self._selections(selection.selection_set, inner, sized)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                measure = self._fragment(selection.name.value, sized)
            total = total.beside(measure)
        return total

    def _fragment(self, name: str, sized: int | None) -> Measure:
        key = (name, sized)
        known = self.memo.get(key)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        # Unknown fragments and cycles fail validation; they measure nothing here.
        if fragment is None or key in self.open:
            return NOTHING
        self.open.add(key)
        condition = self.schema.get_type(fragment.type_condition.name.value)
        measure = self._selections(fragment.selection_set, condition, sized)
        self.open.discard(key)
        self.memo[key] = measure
        return measure

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType | None, sized: int | None
    ) -> Measure:
        aliases = 1 if node.alias else 0
        if node.selection_set is None:
            return Measure(0, aliases, 0)
        name = node.name.value
        definition = (
            parent.fields.get(name)
            if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
            else None
        )
        if definition is None:
            inner = self._selections(node.selection_set, None, None)
            return Measure(0 if name.startswith("__") else inner.depth + 1, aliases + inner.aliases)
        slice_size = self._slice(node, definition)
        is_list = isinstance(_unwrapped(definition.type), GraphQLList)
        inner = self._selections(
            node.selection_set,
            get_named_type(definition.type),
            slice_size if slice_size is not None and not is_list else None,
        )
        if name.startswith("__"):
            return Measure(0, aliases + inner.aliases, 0)
        items = 1
        if is_list:
            items = self._list_size(node, parent, definition, sized, slice_size)
        return Measure(inner.depth + 1, aliases + inner.aliases, items * (1 + inner.cost))

    def _slice(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The page size `first` (or `last`) asks for, or None when the field takes neither."""
        names = [name for name in SLICING if name in definition.args]
        if not names:
            return None
        given = (self._argument(node, name) for name in names)
        value = next((v for v in given if v is not None), definition.args[names[0]].default_value)
        if isinstance(value, bool) or not isinstance(value, int):
            return DEFAULT_PAGE_SIZE
        # Out of range is the resolver's BAD_USER_INPUT, more precise than a cost.
        return min(max(value, 0), MAX_PAGE_SIZE)

    def _list_size(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        definition: GraphQLField,
        sized: int | None,
        slice_size: int | None,
    ) -> int:
        if sized is not None:
            return sized
        if slice_size is not None:
            return slice_size
        counted = SIZED_BY_ARGUMENT.get(node.name.value)
        if counted is not None and counted in definition.args:
            value = self._argument(node, counted)
            return len(value) if isinstance(value, list) else 1
        owner = parent.name if parent is not None else ""
        return ASSUMED_SIZES.get(f"{owner}.{node.name.value}", DEFAULT_PAGE_SIZE)

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._value(argument.value)
        return None

    def _value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            return self.values.get(node.name.value)
        return _literal(node)


def _values(node: OperationDefinitionNode, provided: dict[str, Any]) -> dict[str, Any]:
    """The operation's variables as the meter reads them: given, or their defaults."""
    return {
        d.variable.name.value: provided.get(d.variable.name.value, _literal(d.default_value))
        for d in node.variable_definitions or ()
    }


def _literal(node: ValueNode | None) -> Any:
    """The sizes a literal can give: an int, or a list (its items unread)."""
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None


# The arguments the meter reads (Meter._slice, Meter._list_size): a variable given as one of
# them is all of the variables a measure depends on.
SIZING: Final = frozenset((*SLICING, *SIZED_BY_ARGUMENT.values()))


class _SizingVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        if node.name.value in SIZING and isinstance(node.value, VariableNode):
            self.names.add(node.value.name.value)


def _sizing_variables(document: DocumentNode) -> tuple[str, ...]:
    visitor = _SizingVariables()
    visit(document, visitor)
    return tuple(sorted(visitor.names))


def _shape(value: Any) -> Hashable:
    """What of a variable's value a measure reads: an int, a list's length, or neither
    (None apart: a null `first` gives way to `last`, or to the declared default)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "other"
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, list):
        return ("list", len(value))
    return "other"


def _sizing(
    document: DocumentNode, operation: OperationDefinitionNode
) -> tuple[tuple[str, bool, Any], ...]:
    """For each sizing variable of the document: its name, whether the operation declares it
    and its default (what `_values` reads: an undeclared one reads as None)."""
    declared = {
        d.variable.name.value: _literal(d.default_value)
        for d in operation.variable_definitions or ()
    }
    return tuple(
        (name, name in declared, declared.get(name)) for name in _sizing_variables(document)
    )


# The measures kept per operation (one per page size asked, or list length), the oldest out
# first past that.
MEASURED_SIZES: Final = 64


class Sized:
    """An operation's sizing variables (`_sizing`) and its measures by what they say."""

    __slots__ = ("measures", "sizing")

    def __init__(self, document: DocumentNode, operation: OperationDefinitionNode) -> None:
        self.sizing = _sizing(document, operation)
        self.measures: dict[tuple[Hashable, ...], Measure] = {}

    def keep(self, sizes: tuple[Hashable, ...], measured: Measure) -> None:
        if len(self.measures) >= MEASURED_SIZES:
            del self.measures[next(iter(self.measures))]
        self.measures[sizes] = measured


# Documents are the few the clients send (cached by their text) and the trusted ones; each
# measure is kept for the sizes its variables ask, so the walk runs once per page size.
SIZED: Final[IdentityCache[Sized]] = IdentityCache(256)


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
) -> Measure:
    """The operation's measure with these variables, walked once per document, operation and
    what the sizing variables say."""
    sized = SIZED.get((schema, document, operation), None, lambda: Sized(document, operation))
    given = variables or {}
    sizes = tuple(
        _shape(given.get(name, default)) if declared else None
        for name, declared, default in sized.sizing
    )
    measured = sized.measures.get(sizes)
    if measured is None:
        measured = Meter(schema, document, variables).operation(operation)
        sized.keep(sizes, measured)
    return measured
