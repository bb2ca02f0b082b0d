"""An operation's plan, built once per document and kept in a bounded cache: the fields each
selection set collects, and for each field what to call and with which constant arguments.

graphql-core collects the fields of every selection set again on every request, looks each
field up in the schema, and coerces its literal arguments; none of that depends on the
request when the operation has no @skip, @include, @defer or @stream and no fragment
arguments, which is what a plan requires (anything else runs on graphql-core alone).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Final

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.compiled.fields import FieldCall, field_call
from schema.identity_cache import IdentityCache

# Documents are few (the clients' and the trusted ones); the cache only bounds a client
# that sends a new document with each request.
CACHE_SIZE: Final = 256


class _Unplannable(Visitor):
    """Finds what makes collection depend on the request: directives on selections and
    fragment variables."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        self.found = True

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_args: Any) -> None:
        if node.variable_definitions:
            self.found = True


def plannable(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    if operation.directives:
        return False
    visitor = _Unplannable()
    for definition in (operation, *fragments.values()):
        visit(definition, visitor)
    return not visitor.found


LEAF: Final = 0
OBJECT: Final = 1
LIST: Final = 2
ABSTRACT: Final = 3


class Shape:
    """What completing a value of one output type takes (the fast path's, fast.py), worked
    out once per field of a plan rather than by graphql-core's chain of type checks on every
    value."""

    __slots__ = (
        "by_class",
        "cls",
        "direct",
        "fields",
        "is_type_of",
        "item",
        "kind",
        "named",
        "non_null",
        "selection",
        "text",
    )

    def __init__(self, return_type: GraphQLOutputType) -> None:
        self.non_null = isinstance(return_type, GraphQLNonNull)
        inner: Any = return_type.of_type if self.non_null else return_type  # type: ignore[union-attr]
        # The scalar, enum, object or abstract type itself (None for a list).
        self.named: Any = None
        self.item: Shape | None = None
        self.text = False
        self.is_type_of: Any = None
        # The object's selection (per runtime type for an abstract type), once collected,
        # and an object's generated function for it (codegen.py).
        self.fields: Any = None
        self.selection: Any = None
        # An object type's Python class: a value of exactly this class is an object to
        # descend into, not a null, an error or an awaitable.
        self.cls: type | None = None
        # Whether `is_type_of` is Strawberry's own, which holds of any instance of exactly
        # `cls` that no `strawberry.cast` marked: true without asking.
        self.by_class = False
        # Whether an instance of exactly `cls` needs nothing asked before its selection
        # runs (no is_type_of, or Strawberry's), but that strawberry.cast did not mark it.
        self.direct = False
        if isinstance(inner, GraphQLList):
            self.kind = LIST
            self.item = Shape(inner.of_type)
            return
        self.named = inner
        if is_leaf_type(inner):
            self.kind = LEAF
            # graphql-core's String and ID return a str as it is.
            self.text = inner is GraphQLString or inner is GraphQLID
        elif is_abstract_type(inner):
            self.kind = ABSTRACT
            self.fields = {}
        else:
            assert isinstance(inner, GraphQLObjectType)
            self.kind = OBJECT
            self.is_type_of = inner.is_type_of
            self.cls = plain_class(inner)
            self.by_class = self.cls is not None and (
                getattr(inner.is_type_of, "__qualname__", None) == STRAWBERRY_IS_TYPE_OF
                and inner.is_type_of.__module__ == GraphQLCoreConverter.__module__
            )
            self.direct = self.cls is not None and (inner.is_type_of is None or self.by_class)


# The `is_type_of` Strawberry gives an object type with interfaces (schema_converter.py):
# true of an instance of the type's class, unless strawberry.cast marked it.
STRAWBERRY_IS_TYPE_OF: Final = (
    "GraphQLCoreConverter.from_object.<locals>._get_is_type_of.<locals>.is_type_of"
)


def plain_class(named: GraphQLNamedType) -> type | None:
    """The Python class behind a Strawberry type (an object type's class, a scalar's origin),
    if its instances are plain values (not awaitable, not errors)."""
    definition = (named.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    cls = getattr(definition, "origin", None)
    generic = getattr(definition, "concrete_of", None)
    if generic is not None and getattr(named, "is_type_of", None) is None:
        # A generic's specialisation (PostEdge, of Edge[Post]): Strawberry makes a subclass
        # for it, but resolvers build the generic class itself (Edge(...)), which graphql-core
        # takes as it is, there being no is_type_of to ask.
        cls = generic.origin
    if not isinstance(cls, type) or hasattr(cls, "__await__") or issubclass(cls, BaseException):
        return None
    return cls


class FieldPlan:
    """One response key of a selection set on one object type."""

    __slots__ = (
        "args",
        "call",
        "coerced",
        "field_def",
        "field_name",
        "group",
        "key",
        "leaf",
        "leaf_type",
        "nodes",
        "non_null",
        "parent_type",
        "return_type",
        "shape",
        "text",
    )

    def __init__(
        self,
        key: str,
        group: FieldDetailsList,
        field_def: GraphQLField,
        parent_type: GraphQLObjectType,
        args: dict[str, Any] | None,
        call: FieldCall,
    ) -> None:
        self.key = key
        self.group = group
        self.nodes: list[FieldNode] = [details.node for details in group]
        self.field_name = self.nodes[0].name.value
        self.field_def = field_def
        self.return_type: GraphQLOutputType = field_def.type
        self.parent_type = parent_type
        self.leaf = is_leaf_type(get_named_type(self.return_type))
        self.shape = Shape(self.return_type)
        # A scalar or enum, maybe non-null: completed inline by the executor.
        self.non_null = self.shape.non_null
        self.leaf_type = self.shape.named if self.shape.kind is LEAF else None
        self.text = self.shape.text
        # None: coerced on each request (they read variables).
        self.args = args
        # Those coerced last, with the variables' object they were coerced from: requests
        # with the same plain variables share that object (schema/prepared.py), and
        # arguments coerced from the same values are the same. Shared, as `args` are, on
        # the rule that resolvers read their arguments and never change them (Strawberry
        # converts them into new objects on the way, fields.arguments).
        self.coerced: tuple[Any, dict[str, Any]] | None = None
        self.call = call


def _uses_variables(node: FieldNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, _node: VariableNode, *_args: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Finder())
    return found


class Plan:
    """The collected fields of one operation, per (object type, field group)."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> None:
        self.schema = schema
        self.operation = operation
        self.root: list[FieldPlan] | None = None
        # Keyed like graphql-core's memo, on the identity of the group, which the plan keeps.
        self.subfields: dict[tuple[str, int], list[FieldPlan]] = {}
        # The fast path's generated function per selection (schema/compiled/codegen.py), by
        # the identity of its list of fields, which the plan keeps.
        self.selections: dict[int, Any] = {}

    def root_fields(self, executor: Any, root_type: GraphQLObjectType) -> list[FieldPlan]:
        if self.root is None:
            collected = collect_fields(
                self.schema,
                executor.fragments,
                executor.variable_values,
                root_type,
                self.operation,
                executor.hide_suggestions,
            )
            self.root = self._fields(root_type, collected.grouped_field_set)
        return self.root

    def sub_fields(
        self, executor: Any, return_type: GraphQLObjectType, group: FieldDetailsList
    ) -> list[FieldPlan]:
        key = (return_type.name, id(group))
        fields = self.subfields.get(key)
        if fields is None:
            collected = collect_subfields(
                self.schema,
                executor.fragments,
                executor.variable_values,
                self.operation,
                return_type,
                group,
                executor.hide_suggestions,
            )
            fields = self.subfields[key] = self._fields(return_type, collected.grouped_field_set)
        return fields

    def _fields(
        self, parent_type: GraphQLObjectType, grouped: dict[str, FieldDetailsList]
    ) -> list[FieldPlan]:
        fields = []
        for key, group in grouped.items():
            node = group[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            if field_def is None:
                continue
            args: dict[str, Any] | None = {}
            if field_def.args or node.arguments:
                args = None
                if not _uses_variables(node):
                    args = _constant_arguments(field_def, node)
            fields.append(
                FieldPlan(
                    key,
                    group,
                    field_def,
                    parent_type,
                    args,
                    field_call(self.schema, field_def),
                )
            )
        return fields


def _constant_arguments(field_def: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
    try:
        return get_argument_values(field_def, node, None, None, True)
    except Exception:
        # Raised again, and located, when the field runs.
        return None


class PlanCache:
    """Plans by (schema, operation), least recently used out first, in an IdentityCache: the
    operation's node (from the parsed document, itself cached by its text in
    schema/request_checks.py) is kept with its plan, so its id is not reused while the entry
    lives."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.cache: IdentityCache[Plan | None] = IdentityCache(size)

    @property
    def entries(self) -> OrderedDict[Hashable, tuple[tuple[object, ...], Plan | None]]:
        """((schema, operation), plan) by key, least recently used first."""
        return self.cache.entries

    def get(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> Plan | None:
        return self.cache.get(
            (schema, operation),
            None,
            lambda: Plan(schema, operation) if plannable(operation, fragments) else None,
        )


PLANS: Final = PlanCache()
