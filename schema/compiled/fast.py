"""The fast path: a query's plan run without a task, a `Path` or an `Info` per field, for the
answers that hold no error, which is nearly all of them.

graphql-core, and the exact path of `executor.py` after it, gather each object's awaited
fields and each list's items as tasks, so that errors come in the order they are raised and a
null propagates as soon as it is known; it builds a `Path` and an `Info` for every field of
every object. An answer without errors depends on none of that. The fast path therefore runs
the plan as if nothing could fail:

- each selection set is executed field after field, sync values completed at once (scalars
  serialised, objects and lists descended into);
- an awaitable is started at once, in its own `contextvars` context, and runs until it first
  waits (as an eager task would): every DataLoader key is queued before anything waits, so
  the batches are graphql-core's; this one coroutine then resumes each when the future it
  waits on is done, and completes its value in place, which may start more;
- one `Info` per field of the plan and request, shared by every object that field is resolved
  on (its `path` is the field's key alone: no resolver of this schema reads it).

The first exception anywhere (a resolver's, a permission's, a null where the schema says
non-null, an abstract type resolved asynchronously) gives up: every awaitable started runs
to its end in the background, its outcome dropped, and `executor.py` runs the operation again on the exact
path, which gives graphql-core's answer with its errors (tests/test_compiled.py compares the
three). Queries only: a query's resolvers read, so running one again changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import MutableSequence
from contextvars import Context, copy_context
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final

from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, is_iterable
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from schema.compiled.codegen import GiveUp, compile_selection, decide, refused
from schema.compiled.fields import FieldCall, Kind, arguments
from schema.compiled.plan import LEAF, LIST, OBJECT, Shape

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

    from schema.compiled.executor import CompiledExecutor
    from schema.compiled.plan import FieldPlan, Plan

# A loaded field waiting: its loader's future, the results it goes in, and the object it is
# a field of.
_Load = tuple[asyncio.Future[Any], dict[str, Any], Any]

BASIC: Final = Kind.BASIC
METHOD: Final = Kind.METHOD
DIRECT: Final = Kind.DIRECT


class _Waiting:
    """A started awaitable: where its completed value goes, and what it waits on."""

    __slots__ = ("container", "context", "field", "future", "key", "run", "shape", "steps")

    def __init__(
        self,
        container: Any,
        key: Any,
        field: FieldPlan,
        shape: Shape,
        steps: Any,
        context: Context,
        run: FastRun,
    ) -> None:
        self.container = container
        self.key = key
        self.field = field
        self.shape = shape
        self.steps = steps
        self.context = context
        self.future: Any = None
        self.run = run

    def woken(self, _future: Any) -> None:
        """The done-callback of the future it waits on."""
        if self.steps is not None:  # None: given up meanwhile
            self.run.woken(self)


class FastRun:
    """One query's run on the fast path."""

    def __init__(self, executor: CompiledExecutor, plan: Plan) -> None:
        self.executor = executor
        self.plan = plan
        self.is_awaitable = executor.is_awaitable
        # Every awaitable started (those finished have no steps left), for `close`.
        self.started: list[_Waiting] = []
        # Started and ready for their next step; how many wait on a future; what wakes
        # this coroutine when one is done.
        self.ready: list[_Waiting] = []
        self.blocked = 0
        self.wake: asyncio.Future[None] | None = None
        # Loaded fields (schema/loaded.py) waiting on their loader: by the function that
        # completes the field (codegen.py), the (future, results, object) of each, in the
        # order their keys were queued; the futures a done-callback watches.
        self.loading: dict[Any, list[_Load]] = {}
        self.watched: set[asyncio.Future[Any]] = set()
        # The request's DataLoaders (resolvers.loaders.Loaders), which loaded fields use.
        self.loaders: Any = getattr(executor.context_value, "loaders", None)
        self.infos: dict[int, Any] = {}
        self.raw_infos: dict[int, GraphQLResolveInfo] = {}
        self.arguments: dict[int, dict[str, Any]] = {}

    @property
    def unfinished(self) -> bool:
        return bool(self.ready or self.blocked or self.loading)

    async def settle(self) -> None:
        """Drives every started awaitable to its value, as a task would drive each: a step
        whenever what it waits on is done, in the order they become ready."""
        try:
            loop = asyncio.get_running_loop()
            while True:
                while self.ready:
                    ready, self.ready = self.ready, []
                    if any(waiting.future is None for waiting in ready):
                        # A bare `yield` (asyncio.sleep(0)): the loop runs once first.
                        await asyncio.sleep(0)
                    for waiting in ready:
                        self.step(waiting)
                if self.loading:
                    self.deliver()
                    if self.ready:
                        continue
                if not self.blocked and not self.loading:
                    # Each waiting record refers to this run: without this, the run, its
                    # records, their contexts and futures and everything they hold would
                    # outlive the request until the garbage collector found the cycle.
                    self.started = []
                    return
                # Any of them may have to finish first (a lock's waiter waits on another's
                # query): woken by the first future done, whichever it is.
                self.wake = loop.create_future()
                if self.loading:
                    self.watch()
                await self.wake
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Gives up what was started. It may be in the middle of a query on a pooled
        connection, so it runs to its end in the background, its value and error dropped
        (as graphql-core lets the fields it cancels settle), rather than stopped there."""
        try:
            asyncio.get_running_loop()
            looping = True
        except RuntimeError:  # run synchronously (execute_sync): nothing can go on
            looping = False
        for waiting in self.started:
            if waiting.steps is None:
                continue
            if looping:
                task = asyncio.ensure_future(_drain(waiting.steps, waiting.context, waiting.future))
                _DRAINING.add(task)
                task.add_done_callback(_DRAINING.discard)
            else:
                waiting.steps.close()
            waiting.steps = None
        self.started = []
        self.ready = []
        self.blocked = 0
        # The loaded fields' futures are the loaders' (the exact path may read them from
        # their caches): each one's error is marked read, as the coroutine awaiting it
        # would have read it, so that asyncio does not log it as never retrieved.
        for entries in self.loading.values():
            for future, *_ in entries:
                if future.done():
                    _read(future)
                else:
                    future.add_done_callback(_read)
        self.loading.clear()
        for future in self.watched:
            future.remove_done_callback(self.loaded)
        self.watched = set()

    # --- fields ------------------------------------------------------------------------

    def execute_fields(self, fields: list[FieldPlan], source: Any) -> dict[str, Any]:
        """`fields` on `source`, by the function generated for them (codegen.py)."""
        return self.selection(fields)(self, source)

    def selection(self, fields: list[FieldPlan]) -> Any:
        """The function generated for `fields` (codegen.py), once per plan."""
        selections = self.plan.selections
        selection = selections.get(id(fields))
        if selection is None:
            selection = selections[id(fields)] = compile_selection(fields)
        return selection

    def resolve(self, field: FieldPlan, source: Any) -> Any:
        call = field.call
        kind = call.kind
        if kind is METHOD:
            return call.func(source)
        if kind is BASIC:
            return call.default_resolver(source, call.python_name)
        args = field.args
        if args is None:
            executor = self.executor
            values = executor.variable_values
            coerced = field.coerced
            if coerced is not None and coerced[0] is values:
                # The same variables' object as the request before: the same arguments.
                args = coerced[1]
            else:
                args = self.arguments.get(id(field))
                if args is None:
                    details = field.group[0]
                    args = self.arguments[id(field)] = get_argument_values(
                        field.field_def,
                        details.node,
                        values,
                        details.fragment_variable_values,
                        executor.hide_suggestions,
                    )
                    field.coerced = (values, args)
        if kind is DIRECT:
            info = self.infos.get(id(field))
            if info is None:
                info = self.info(field)
            if call.self_and_info:
                # The common shape, without building the call's arguments.
                if call.extension is not None:
                    refusal = _refusal(call, source, info)
                    if refusal is not _ALLOWED:
                        return refusal
                return call.func(source, info)
            field_args, kwargs = arguments(call, source, info, args)
            requested = "info" in kwargs
            if requested:
                kwargs.pop("info")
            if call.extension is not None:
                refusal = _refusal(call, source, info, kwargs)
                if refusal is not _ALLOWED:
                    return refusal
            if requested:
                kwargs["info"] = info
            return call.func(*field_args, **kwargs)
        return (call.resolve or self.executor.field_resolver)(source, self.raw_info(field), **args)

    def info(self, field: FieldPlan) -> Any:
        """The Strawberry `Info` a DIRECT field's resolver gets, one per field and request."""
        info = self.infos[id(field)] = field.call.config.info_class(
            _raw_info=self.raw_info(field), _field=field.call.field
        )
        return info

    def raw_info(self, field: FieldPlan) -> GraphQLResolveInfo:
        info = self.raw_infos.get(id(field))
        if info is None:
            info = self.raw_infos[id(field)] = self.executor.build_resolve_info(
                field.field_def, field.nodes, field.parent_type, Path(None, field.key, None)
            )
        return info

    # --- values ------------------------------------------------------------------------

    def complete(self, field: FieldPlan, shape: Shape, result: Any) -> Any:
        if type(result) is shape.cls:
            return self.object(field, shape, result)
        if result is None or result is Undefined:
            if shape.non_null:
                raise GiveUp
            return None
        if isinstance(result, Exception):
            raise GiveUp
        kind = shape.kind
        if kind is LEAF:
            if shape.text and type(result) is str:
                return result
            completed = shape.named.coerce_output_value(result)
            if completed is None or completed is Undefined:
                raise GiveUp
            return completed
        if kind is OBJECT:
            return self.object(field, shape, result)
        if kind is LIST:
            if type(result) is not list:
                executor = self.executor
                if executor.is_async_iterable(result) or not is_iterable(result):
                    raise GiveUp
            return self.list(field, shape, result)
        return self.complete_abstract(field, shape, result)

    def object(self, field: FieldPlan, shape: Shape, result: Any) -> dict[str, Any]:
        """An object of the field's object type: its selection, by its generated function."""
        is_type_of = shape.is_type_of
        if is_type_of is not None and not (
            shape.direct
            and type(result) is shape.cls
            and getattr(result, TYPE_CAST_ATTRIBUTE, None) is None
        ):
            self.check_type(is_type_of(result, self.raw_info(field)))
        return (shape.selection or self.selection_of(field, shape))(self, result)

    def selection_of(self, field: FieldPlan, shape: Shape) -> Any:
        """An object shape's generated function, made the first time it is needed."""
        fields = shape.fields
        if fields is None:
            fields = shape.fields = self.plan.sub_fields(self.executor, shape.named, field.group)
        selection = shape.selection = self.selection(fields)
        return selection

    def list(self, field: FieldPlan, shape: Shape, result: Any) -> list[Any]:
        """An iterable, neither async nor a string: its items completed in order."""
        item = shape.item
        assert item is not None
        completed_items: list[Any] = []
        if item.direct:
            # Items of the class go straight to its selection's function (codegen.py).
            cls = item.cls
            selection = item.selection or self.selection_of(field, item)
            for value in result:
                if type(value) is cls and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                    completed_items.append(selection(self, value))
                else:
                    self.item(field, item, value, completed_items)
        else:
            for value in result:
                self.item(field, item, value, completed_items)
        return completed_items

    def item(
        self, field: FieldPlan, item: Shape, value: Any, completed_items: MutableSequence[Any]
    ) -> None:
        """One item of a list, appended to `completed_items`."""
        if type(value) is item.cls:
            completed_items.append(self.object(field, item, value))
        elif self.is_awaitable(value):
            # Started as a field's value is (`_entities` gives coroutines).
            completed_items.append(None)
            self.start(completed_items, len(completed_items) - 1, field, item, value)
        else:
            completed_items.append(self.complete(field, item, value))

    def complete_abstract(self, field: FieldPlan, shape: Shape, result: Any) -> Any:
        executor = self.executor
        abstract = shape.named
        info = self.raw_info(field)
        resolve_type = abstract.resolve_type or executor.type_resolver
        runtime_type = resolve_type(result, info, abstract)
        if self.is_awaitable(runtime_type):
            if asyncio.iscoroutine(runtime_type):
                runtime_type.close()
            raise GiveUp
        object_type = executor.ensure_valid_runtime_type(
            runtime_type, abstract, field.group, info, result
        )
        if object_type.is_type_of:
            self.check_type(object_type.is_type_of(result, info))
        fields = shape.fields.get(object_type.name)
        if fields is None:
            fields = shape.fields[object_type.name] = self.plan.sub_fields(
                executor, object_type, field.group
            )
        return self.execute_fields(fields, result)

    @staticmethod
    def check_type(is_type_of: Any) -> None:
        if is_type_of is not True:
            if asyncio.iscoroutine(is_type_of):
                is_type_of.close()
            raise GiveUp

    # --- awaitables --------------------------------------------------------------------

    def start(
        self, container: Any, key: Any, field: FieldPlan, shape: Shape, awaitable: Any
    ) -> None:
        """Runs `awaitable` at once, in a context of its own, until it first waits or
        returns (as an eager task would): a DataLoader key is queued now, and all of this
        request's are before anything waits, so they are batched as graphql-core's are."""
        # A coroutine steps itself; anything else through its __await__ iterator.
        steps = awaitable if type(awaitable) is CoroutineType else awaitable.__await__()
        context = copy_context()
        try:
            yielded = context.run(steps.send, None)
        except StopIteration as stop:
            # Done without waiting (data in hand): completed here, nothing kept.
            container[key] = self.complete(field, shape, stop.value)
            return
        except asyncio.CancelledError:
            if _cancelling():
                raise
            raise GiveUp from None
        waiting = _Waiting(container, key, field, shape, steps, context, self)
        self.started.append(waiting)
        self.waits(waiting, yielded)

    def step(self, waiting: _Waiting) -> None:
        """Runs `waiting` until it waits again or returns; a value is completed in place."""
        steps = waiting.steps
        try:
            yielded = waiting.context.run(steps.send, None)
        except StopIteration as stop:
            waiting.steps = None
            waiting.container[waiting.key] = self.complete(waiting.field, waiting.shape, stop.value)
            return
        except asyncio.CancelledError:
            waiting.steps = None
            if _cancelling():
                raise
            raise GiveUp from None
        except BaseException:
            waiting.steps = None
            raise
        self.waits(waiting, yielded)

    def waits(self, waiting: _Waiting, yielded: Any) -> None:
        """What a task does with what its coroutine yields: a future to wait on, or None."""
        if yielded is None:
            waiting.future = None
            self.ready.append(waiting)
        elif getattr(yielded, "_asyncio_future_blocking", None) is not None:
            # What a task does with the future its coroutine waits on.
            yielded._asyncio_future_blocking = False
            waiting.future = yielded
            if yielded.done():
                self.ready.append(waiting)
            else:
                self.blocked += 1
                yielded.add_done_callback(waiting.woken)
        else:
            raise GiveUp

    # --- loaded fields -----------------------------------------------------------------

    def deliver(self) -> None:
        """Completes each loaded field (schema/loaded.py) whose future is done, field by
        field, in the order their keys were queued (the generated selection, codegen.py,
        queued them where the resolver's coroutine would, without a coroutine, a context or
        a callback of its own, and kept their places in the answer); completing one may
        queue more."""
        loading = self.loading
        for deliver, entries in list(loading.items()):
            if not entries[0][0].done():
                continue  # the batch has yet to run
            del loading[deliver]
            try:
                left = deliver(self, entries)
            except BaseException as error:
                # Back where close() finds them, to mark their futures' errors read.
                loading[deliver] = entries
                if isinstance(error, asyncio.CancelledError) and not _cancelling():
                    raise GiveUp from None
                raise
            if left:
                loading[deliver] = left + loading.get(deliver, [])

    def watch(self) -> None:
        """A done-callback on each loaded field's first future waiting: a loader sets all of
        a batch's futures in one pass, so a batch wakes the run once."""
        for entries in self.loading.values():
            future = entries[0][0]
            if future not in self.watched:
                self.watched.add(future)
                future.add_done_callback(self.loaded)

    def loaded(self, future: asyncio.Future[Any]) -> None:
        self.watched.discard(future)
        wake = self.wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def woken(self, waiting: _Waiting) -> None:
        """`waiting`'s future is done: it is ready, and the run wakes if it waits."""
        self.blocked -= 1
        self.ready.append(waiting)
        wake = self.wake
        if wake is not None and not wake.done():
            wake.set_result(None)


# What runs on after a give-up (close), kept here until done: the loop keeps weak references.
_DRAINING: Final[set[asyncio.Future[None]]] = set()


async def _drain(steps: Any, context: Context, future: Any) -> None:
    """Runs a started awaitable to its end, as its task would have, and drops the outcome."""
    while True:
        resume: Any = steps.send
        argument: Any = None
        try:
            if future is None:
                await asyncio.sleep(0)
            elif not future.done():
                with contextlib.suppress(Exception):
                    await future
        except asyncio.CancelledError as cancelled:
            # Cancelled itself (the loop closing): passed on, as a task's cancel would be.
            resume, argument = steps.throw, cancelled
        try:
            future = context.run(resume, argument)
        except BaseException:  # its value or its error: the exact path has its own
            return
        if future is not None:
            future._asyncio_future_blocking = False


def _read(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


_ALLOWED: Final = object()


def _refusal(call: FieldCall, source: Any, info: Any, kwargs: dict[str, Any] | None = None) -> Any:
    """The field's permission classes in order (PermissionExtension.resolve): `_ALLOWED`, or
    what a silent refusal gives; a refusal with an error (or an awaitable answer) gives up."""
    index = decide(call, source, info, kwargs)
    return _ALLOWED if index < 0 else refused(call, index)


def _cancelling() -> bool:
    """Whether this task is being cancelled (rather than a future it waited on)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
