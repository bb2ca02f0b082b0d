"""A selection set's fast-path code, generated once per plan: what `FastRun` does for each field
of an object, written out as one Python function with the field's own steps and nothing else.

Interpreting a plan costs, for every field of every object, a call to look at the field's kind,
a call to complete its value, and the loads of the plan's attributes that decide both. The
function generated here has made those decisions once, where the plan was built (the way
graphql-jit compiles a query to JavaScript):

- the resolver is called as the field needs it: an attribute read, `func(source)`, or
  `func(source, info)` behind its permission classes; any other field goes through
  `FastRun.resolve`;
- a field's permission classes are asked once per object for all the fields that carry the
  same classes (a post's `title`, `body` and `author`), when each class declares `per_object`
  (permissions/classes.Permission does: a predicate on the caller and the parent object
  alone), so the answer is the same for each; each field still gets what its own extension
  returns on a refusal;
- the values graphql-core returns as they are (a str for String and ID, an int in range for
  Int, a bool for Boolean, a member for an enum, by its name) are written in place, and so
  are objects and lists of objects that need no `is_type_of` asked (`Shape.direct`): they go
  straight to their selection's function; anything else (null, other objects and lists,
  other scalars, awaitables) goes to `FastRun.complete` and `FastRun.start` as before;
- a field with one permission class asks it in line: its `has_permission` is bound when the
  plan is compiled (a class patched later reaches only plans compiled after it).

Nothing else changes: an exception still gives up (fast.py), and the exact path answers.
"""

from __future__ import annotations

import asyncio
import dis
import keyword
import types
from collections.abc import Callable
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.pyutils import Undefined
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from schema.compiled.fields import Kind
from schema.compiled.plan import LEAF, LIST, OBJECT, plain_class

if TYPE_CHECKING:
    from schema.compiled.fast import FastRun
    from schema.compiled.fields import FieldCall
    from schema.compiled.plan import FieldPlan, Shape

Selection = Callable[["FastRun", Any], dict[str, Any]]

# graphql-core's Int: a 32-bit signed integer.
INT_MIN: Final = -(2**31)
INT_MAX: Final = 2**31 - 1


class GiveUp(Exception):
    """The fast path stops here; the exact path answers."""


def decide(call: FieldCall, source: Any, info: Any, kwargs: dict[str, Any] | None = None) -> int:
    """The field's permission classes in order, as PermissionExtension.resolve asks them (with
    the field's arguments, `kwargs`): -1 when all allow, else the index of the first that
    refuses; an error, or an awaitable answer, gives up."""
    for index, permission in enumerate(call.permissions):
        if kwargs:
            allowed = permission.has_permission(source, info, **kwargs)
        else:
            allowed = permission.has_permission(source, info)
        if allowed is not True:
            judged(allowed)  # False, or a give-up
            return index
    return -1


def judged(allowed: Any) -> int:
    """decide()'s answer for a field's one permission class that did not answer True: 0
    when it refuses, else (an error, an awaitable answer) a give-up."""
    if allowed is False:
        return 0
    if asyncio.iscoroutine(allowed):
        allowed.close()
    raise GiveUp


def refused(call: FieldCall, index: int) -> Any:
    """What the field gives when its permission class at `index` refuses silently."""
    return call.extension._on_unauthorized(call.permissions[index])  # type: ignore[union-attr]


def leaf(shape: Shape, value: Any) -> Any:
    """A scalar's value as graphql-core's completion gives it (FastRun.complete)."""
    completed = shape.named.coerce_output_value(value)
    if completed is None or completed is Undefined:
        raise GiveUp
    return completed


def _origin(named: GraphQLScalarType) -> type | None:
    """The Python class of a Strawberry scalar's values (datetime for DateTime), if plain and
    not one the branches before it test."""
    origin = plain_class(named)
    return None if origin in (type(None), str, int, bool, list) else origin


def _enum_names(named: GraphQLEnumType) -> dict[str, str] | None:
    """Strawberry's enum (CustomGraphQLEnumType): its Python members by name, to the GraphQL
    name its coerce_output_value gives them (the first whose value equals theirs)."""
    wrapped = getattr(named, "wrapped_cls", None)
    if wrapped is None or type(named).coerce_output_value is GraphQLEnumType.coerce_output_value:
        return None
    names: dict[str, str] = {}
    for member in wrapped:
        for name, value in named.values.items():
            if member.value == value.value:
                names[member._name_] = name
                break
    return names


def attribute_path(func: Any) -> str | None:
    """`row.x` for a resolver that only returns `self.row.x` (attributes of its one
    argument, read in turn), which the generated code reads in place instead of calling it;
    None for any other resolver."""
    if type(func) is not types.FunctionType:  # not a bound method, a builtin, a partial
        return None
    code = func.__code__
    if code.co_argcount != 1 or code.co_kwonlyargcount or func.__defaults__:
        return None
    steps = [i for i in dis.get_instructions(code) if i.opname not in ("RESUME", "CACHE")]
    if len(steps) < 3 or steps[0].opname != "LOAD_FAST" or steps[0].arg != 0:
        return None
    if steps[-1].opname != "RETURN_VALUE":
        return None
    names = [i.argval for i in steps[1:-1]]
    if any(i.opname != "LOAD_ATTR" for i in steps[1:-1]):
        return None
    return ".".join(names)


def _per_object(call: FieldCall) -> bool:
    """Whether every permission class of the field answers per object (`per_object`, as
    permissions/classes.Permission declares): then its answer is shared by the object's
    fields that carry the same classes."""
    return all(getattr(type(p), "per_object", False) is True for p in call.permissions)


def _plain(call: FieldCall, field: FieldPlan) -> bool:
    """A resolver of `self` (and maybe `info`) alone, on a field without arguments."""
    return (
        field.args == {}
        and not call.convert
        and call.takes_self
        and call.parent_name is None
        and call.root_name is None
    )


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "CoroutineType": CoroutineType,
            "decide": decide,
            "judged": judged,
            "refused": refused,
            "leaf": leaf,
            "INT_MIN": INT_MIN,
            "INT_MAX": INT_MAX,
            "CAST": TYPE_CAST_ATTRIBUTE,
        }
        self.decisions: dict[tuple[type, ...], str] = {}
        # Whether a line reads the run's `infos` (set up at the top of a selection).
        self.reads_infos = False

    def constant(self, prefix: str, index: int, value: Any) -> str:
        name = f"{prefix}{index}"
        self.names[name] = value
        return name

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def field(self, index: int, field: FieldPlan) -> None:
        call = field.call
        key = repr(field.key)
        plan = self.constant("F", index, field)
        shape = self.constant("S", index, field.shape)
        kind = call.kind
        if kind is Kind.METHOD:
            path = attribute_path(call.func)
            if path is not None:  # `return self.row.x`: its attribute read in place
                self.line(1, f"v = source.{path}")
            else:
                self.line(1, f"v = {self.constant('f', index, call.func)}(source)")
        elif kind is Kind.BASIC and call.default_resolver is getattr:
            if call.python_name.isidentifier() and not keyword.iskeyword(call.python_name):
                self.line(1, f"v = source.{call.python_name}")
            else:
                self.line(1, f"v = getattr(source, {call.python_name!r})")
        elif kind is Kind.DIRECT and _plain(call, field) and call.loaded is not None:
            self.loaded(index, field, key, plan)
            return
        elif kind is Kind.DIRECT and _plain(call, field):
            func = self.constant("f", index, call.func)
            decision = self.permission(index, field, plan, needs_info=call.info_name is not None)
            # What fields.arguments gives a resolver without GraphQL arguments.
            resolver_call = f"{func}(source" + (
                ", info)"
                if call.self_and_info
                else f", {call.info_name}=info)"
                if call.info_name is not None
                else ")"
            )
            path = attribute_path(call.func) if call.info_name is None else None
            if path is not None and not call.is_async:
                resolver_call = f"source.{path}"
            if decision is None:
                self.line(1, f"v = {resolver_call}")
            else:
                self.line(1, f"if {decision} < 0:")
                self.line(2, f"v = {resolver_call}")
                self.line(1, "else:")
                self.line(2, f"v = refused(C{index}, {decision})")
        else:
            self.line(1, f"v = run.resolve({plan}, source)")
        self.complete(field, key, plan, shape)

    def permission(self, index: int, field: FieldPlan, plan: str, needs_info: bool) -> str | None:
        """Lines that decide the field's permission classes (shared with the object's
        earlier fields that carry the same, where they answer per object), and the `Info`
        when the first answer or the resolver needs it: the decision's name, None when the
        field has no permission classes."""
        call = field.call
        grant = tuple(type(p) for p in call.permissions)
        shared = call.extension is not None and _per_object(call)
        decision = self.decisions.get(grant) if shared else None
        if needs_info or (call.extension is not None and decision is None):
            self.reads_infos = True
            self.line(1, f"info = infos.get({id(field)})")
            self.line(1, "if info is None:")
            self.line(2, f"info = run.info({plan})")
        if call.extension is None:
            return None
        call_name = self.constant("C", index, call)
        if decision is None:
            decision = f"d{index}"
            if shared:
                self.decisions[grant] = decision
            if len(call.permissions) == 1:
                # decide() in line for the one class: its answer, -1 when it is True.
                allows = self.constant("H", index, call.permissions[0].has_permission)
                self.line(1, f"{decision} = {allows}(source, info)")
                self.line(1, f"{decision} = -1 if {decision} is True else judged({decision})")
            else:
                self.line(1, f"{decision} = decide({call_name}, source, info)")
        return decision

    def loaded(self, index: int, field: FieldPlan, key: str, plan: str) -> None:
        """A loaded field (schema/loaded.py): its key queued with its loader; its value
        completed at once if the loader has it (or what a refusal gives), else its place
        kept and the field's waiting list told, for a function of its own to complete
        when the batch is done (FastRun.deliver)."""
        loaded = field.call.loaded
        assert loaded is not None
        shape = self.constant("S", index, field.shape)
        then = self.constant("T", index, loaded.then)
        path = attribute_path(loaded.key)  # `lambda post: post.row.id` read in place
        key_of = f"source.{path}" if path else f"{self.constant('L', index, loaded.key)}(source)"
        waiting = self.constant("W", index, _delivery(index, field, then))
        decision = self.permission(index, field, plan, needs_info=False)
        depth = 1 if decision is None else 2
        if decision is not None:
            self.line(1, f"if {decision} < 0:")
        self.line(depth, f"future = run.loaders.{loaded.loader}.load({key_of})")
        # (A cancelled future waits, for FastRun.deliver to give up on.)
        self.line(depth, "if future.done() and not future.cancelled():")
        self.line(depth + 1, f"v = {then}(source, future.result())")
        self.complete(field, key, plan, shape, depth + 1)
        self.line(depth, "else:")
        self.line(depth + 1, f"results[{key}] = None")
        self.line(depth + 1, f"entries = run.loading.get({waiting})")
        self.line(depth + 1, "if entries is None:")
        self.line(depth + 2, f"run.loading[{waiting}] = [(future, results, source)]")
        self.line(depth + 1, "else:")
        self.line(depth + 2, "entries.append((future, results, source))")
        if decision is not None:
            self.line(1, "else:")
            self.line(2, f"v = refused(C{index}, {decision})")
            self.complete(field, key, plan, shape, 2)

    def items(self, key: str, plan: str, item: Shape) -> list[str]:
        """FastRun.list in line, for a list of objects that go straight to their selection's
        function (Shape.direct): each item of the class that no cast marked goes there, any
        other through FastRun.item."""
        shape = self.constant("I", len(self.names), item)
        test = self.direct("value", item)
        return [
            "items = []",
            f"select = {shape}.selection or run.selection_of({plan}, {shape})",
            "for value in v:",
            f"    if {test}:",
            "        items.append(select(run, value))",
            "    else:",
            f"        run.item({plan}, {shape}, value, items)",
            f"results[{key}] = items",
        ]

    def direct(self, var: str, shape: Shape) -> str:
        """The test that `var` goes straight to the selection of `shape` (Shape.direct), as
        FastRun.object would ask nothing of it: an instance of its class, which no cast
        marked where its type has Strawberry's is_type_of."""
        test = f"type({var}) is {self.constant('K', len(self.names), shape.cls)}"
        if shape.is_type_of is not None:
            test += f" and getattr({var}, CAST, None) is None"
        return test

    def function(self, name: str, filename: str) -> Any:
        """The function `name` of the lines written."""
        namespace = dict(self.names)
        exec(compile("\n".join(self.lines), filename, "exec"), namespace)
        # Taken out of its own globals: a function there is a reference cycle, which would
        # keep an evicted plan's functions until the garbage collector's pass.
        function = namespace.pop(name)
        function.source = "\n".join(self.lines)
        return function

    def complete(self, field: FieldPlan, key: str, plan: str, shape: str, depth: int = 1) -> None:
        """Lines, at `depth`, that complete `v`, the field's value, into `results`."""
        # (test, action): the first whose test holds takes the value.
        branches: list[tuple[str, list[str]]] = []
        # Its place kept in the answer's order; the value goes there when it comes.
        start = [f"results[{key}] = None", f"run.start(results, {key}, {plan}, {shape}, v)"]
        if field.call.kind is Kind.DIRECT and field.call.is_async and field.call.loaded is None:
            branches.append(("type(v) is CoroutineType", start))
        if field.shape.kind is LEAF:
            named = field.shape.named
            if named is GraphQLString or named is GraphQLID:
                branches.append(("type(v) is str", [f"results[{key}] = v"]))
            elif named is GraphQLInt:
                branches.append(
                    ("type(v) is int and INT_MIN <= v <= INT_MAX", [f"results[{key}] = v"])
                )
            elif named is GraphQLBoolean:
                branches.append(("type(v) is bool", [f"results[{key}] = v"]))
            elif isinstance(named, GraphQLScalarType) and (origin := _origin(named)):
                cls = self.constant("O", len(self.names), origin)
                branches.append((f"type(v) is {cls}", [f"results[{key}] = leaf({shape}, v)"]))
            elif isinstance(named, GraphQLEnumType):
                names = _enum_names(named)
                if names is not None:
                    members = self.constant("M", len(self.names), named.wrapped_cls)  # type: ignore[attr-defined]
                    table = self.constant("N", len(self.names), names)
                    branches.append(
                        (f"type(v) is {members}", [f"results[{key}] = {table}[v._name_]"])
                    )
        elif field.shape.kind is OBJECT and field.shape.cls is not None:
            if field.shape.direct:
                test = self.direct("v", field.shape)
                selection = f"({shape}.selection or run.selection_of({plan}, {shape}))"
                branches.append((test, [f"results[{key}] = {selection}(run, v)"]))
            else:
                cls = self.constant("K", len(self.names), field.shape.cls)
                branches.append(
                    (f"type(v) is {cls}", [f"results[{key}] = run.object({plan}, {shape}, v)"])
                )
        elif field.shape.kind is LIST:
            item = field.shape.item
            if item is not None and item.direct:
                branches.append(("type(v) is list", self.items(key, plan, item)))
            else:
                branches.append(
                    ("type(v) is list", [f"results[{key}] = run.list({plan}, {shape}, v)"])
                )
        if not field.shape.non_null:
            branches.append(("v is None", [f"results[{key}] = None"]))
        # The rare branch reads the run's test itself: no local set up on every call for it.
        branches.append(("run.is_awaitable(v)", start))
        for position, (test, action) in enumerate(branches):
            self.line(depth, f"{'if' if position == 0 else 'elif'} {test}:")
            for text in action:
                self.line(depth + 1, text)
        self.line(depth, "else:")
        self.line(depth + 1, f"results[{key}] = run.complete({plan}, {shape}, v)")


def _delivery(index: int, field: FieldPlan, then: str) -> Any:
    """The function that completes a loaded field on each object waiting for its loader's
    batch, from a list of (future, results, object) in the order their keys were queued:
    those whose future is done, in order; it returns those left for a later batch (None if
    none). A future's error (cancelled included) is raised, for FastRun.deliver."""
    writer = _Writer()
    writer.names[then] = field.call.loaded.then  # type: ignore[union-attr]
    writer.line(0, "def deliver(run, entries):")
    writer.line(1, "left = None")
    writer.line(1, "for future, results, source in entries:")
    writer.line(2, "if not future.done():  # a later batch of the same loader")
    writer.line(3, "if left is None:")
    writer.line(4, "left = []")
    writer.line(3, "left.append((future, results, source))")
    writer.line(3, "continue")
    writer.line(2, f"v = {then}(source, future.result())")
    plan = writer.constant("F", index, field)
    writer.complete(field, repr(field.key), plan, writer.constant("S", index, field.shape), 2)
    writer.line(1, "return left")
    return writer.function("deliver", f"<deliver {field.key}>")


def compile_selection(fields: list[FieldPlan]) -> Selection:
    """The function that executes `fields` on one object for the fast path."""
    writer = _Writer()
    writer.line(0, "def selection(run, source):")
    writer.line(1, "results = {}")
    for index, field in enumerate(fields):
        writer.field(index, field)
    if writer.reads_infos:
        writer.lines.insert(2, "    infos = run.infos")
    writer.line(1, "return results")
    selection: Selection = writer.function(
        "selection", f"<selection {', '.join(f.key for f in fields)[:80]}>"
    )
    return selection
