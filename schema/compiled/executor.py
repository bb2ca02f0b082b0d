"""Queries executed from their plan (schema/compiled/plan.py): graphql-core's algorithm, step
for step (the same completion, null propagation, error locations and order, the same gathers),
without what it redoes on every request (collecting fields, looking them up, coercing literal
arguments) and without Strawberry's per-field wrapper (schema/compiled/fields.py). This exact
path answers when the fast path (schema/compiled/fast.py), which a query takes first, gives up
at an error.

Mutations, subscriptions, operations with directives on selections, requests with resolver
middleware (tracing) and `QUARTIER_COMPILED=0` run on graphql-core itself.
"""

from __future__ import annotations

import inspect
import logging
import os
import weakref
from collections.abc import Awaitable, Sequence
from typing import Any, Final

from graphql import (
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    OperationType,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.exceptions import PermissionReturnedNonBooleanError

from schema.compiled.completion import Completion
from schema.compiled.fast import FastRun, GiveUp
from schema.compiled.fields import FieldCall, Kind, arguments, check_sync
from schema.compiled.plan import PLANS, FieldPlan, Plan
from schema.errors import SERVICE_UNAVAILABLE, cause_code

# schema/schemas.py's, where a request's errors are logged.
logger = logging.getLogger("quartier.errors")

BASIC: Final = Kind.BASIC
METHOD: Final = Kind.METHOD
DIRECT: Final = Kind.DIRECT


def enabled() -> bool:
    """`QUARTIER_COMPILED=0` sends every operation through graphql-core (for diagnosis)."""
    return os.environ.get("QUARTIER_COMPILED", "1") != "0"


def _note(error: Exception) -> None:
    """What the fast path met and the exact path may not meet again: a database connection
    that dropped (the exact path's query gets a fresh one) is logged as `process_errors`
    logs it (schema/schemas.py), or the incident would leave no trace."""
    if not isinstance(error, GiveUp) and cause_code(error) == SERVICE_UNAVAILABLE:
        logger.warning("database unavailable: %r", error)


def exact_only() -> bool:
    """`QUARTIER_COMPILED=exact`: plans without the fast path (for diagnosis and the tests)."""
    return os.environ.get("QUARTIER_COMPILED", "1") == "exact"


class _Helpers:
    """An executor's `async_helpers` (the `gather` and `track` every `Info` carries), holding
    it weakly. graphql-core gives them as the executor's bound methods, which the executor
    keeps: a reference cycle, from which hangs everything the request built (context,
    loaders, rows, infos), so that none of it is freed before the garbage collector's next
    pass, which then walks it all. An executor lives as long as its operation runs (and a
    subscription's as long as its events, whose executors are its copies)."""

    __slots__ = ("executor",)

    def __init__(self, executor: CompiledExecutor) -> None:
        self.executor = weakref.ref(executor)

    def _alive(self) -> CompiledExecutor:
        executor = self.executor()
        if executor is None:
            raise RuntimeError("the operation's executor is gone")
        return executor

    def gather(self, values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return self._alive().gather_async_work(values)

    def track(self, values: Sequence[Any]) -> None:
        self._alive().track_async_work(values)


class CompiledExecutor(Completion):
    """graphql-core's executor, which runs a query from its plan when it has one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        helpers = _Helpers(self)
        self.async_helpers = GraphQLResolveInfoHelpers(gather=helpers.gather, track=helpers.track)

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan() if serially is None else None
        if plan is None:
            return super().execute_operation(serially)
        return self._execute_plan(plan)

    def _plan(self) -> Plan | None:
        manager = self.middleware_manager
        if (
            self.operation.operation is not OperationType.QUERY
            or (manager is not None and manager.middlewares)
            or self.abort_signal is not None
            or self.hooks is not None
            or not self.error_propagation
            or self.schema.query_type is None
            or not enabled()
        ):
            return None
        return PLANS.get(self.schema, self.operation, self.fragment_definitions)

    # --- the operation (Executor.execute_operation) -------------------------------------

    def _execute_plan(self, plan: Plan) -> Any:
        root_type = self.schema.query_type
        assert root_type is not None
        try:
            fields = plan.root_fields(self, root_type)
        except RecursionError:
            fields = None
        if fields is None:
            return super().execute_operation()
        if not exact_only():
            return self._execute_fast(plan, root_type, fields)
        return self._execute_exact(plan, root_type, fields)

    def _execute_fast(
        self, plan: Plan, root_type: GraphQLObjectType, fields: list[FieldPlan]
    ) -> Any:
        """The fast path (fast.py), or the exact path at its first exception."""
        run = FastRun(self, plan)
        try:
            data = run.execute_fields(fields, self.root_value)
        except Exception as error:
            run.close()
            _note(error)
            return self._execute_exact(plan, root_type, fields)
        if not run.unfinished:
            return self.finish(self.build_response(data))

        async def await_result() -> Any:
            try:
                await run.settle()
            except Exception as error:
                _note(error)
                result = self._execute_exact(plan, root_type, fields)
                if self.is_awaitable(result):
                    return await result
                return result
            return self.build_response(data)

        return await_result()

    def _execute_exact(
        self, plan: Plan, root_type: GraphQLObjectType, fields: list[FieldPlan]
    ) -> Any:
        """graphql-core's algorithm on the plan, errors and their order included."""
        try:
            result = self._execute_fields(plan, root_type, self.root_value, None, fields)
            if self.is_awaitable(result):

                async def await_result() -> Any:
                    try:
                        data = await result
                    except GraphQLError as error:
                        self.collected_errors.add(error, None)
                        return self.build_response(None)
                    except Exception:
                        await self.cancel_incremental_work()
                        self.run_async_work_finished_hook()
                        raise
                    return self.build_response(data)

                return await_result()
            data = result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(data))

    # --- fields (Executor.execute_fields, execute_field) --------------------------------

    def _execute_fields(
        self,
        plan: Plan,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        fields: list[FieldPlan],
    ) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        type_name = parent_type.name
        try:
            for field in fields:
                key = field.key
                result = self._execute_field(plan, field, source, Path(path, key, type_name))
                results[key] = result
                if is_awaitable(result):
                    awaitable_fields.append(key)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[key] for key in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                key = awaitable_fields[0]
                results[key] = await results[key]
            else:
                awaited = await gather_with_cancel(*(results[key] for key in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _execute_field(self, plan: Plan, field: FieldPlan, source: Any, path: Path) -> Any:
        call = field.call
        return_type = field.return_type
        info: GraphQLResolveInfo | None = None
        try:
            args = field.args
            if args is None:
                details = field.group[0]
                args = get_argument_values(
                    field.field_def,
                    details.node,
                    self.variable_values,
                    details.fragment_variable_values,
                    self.hide_suggestions,
                )
            kind = call.kind
            if kind is BASIC or kind is METHOD:
                if not field.leaf:
                    info = self.build_resolve_info(
                        field.field_def, field.nodes, field.parent_type, path
                    )
                if kind is BASIC:
                    result = call.default_resolver(source, call.python_name)
                else:
                    result = call.func(source)
            else:
                info = self.build_resolve_info(
                    field.field_def, field.nodes, field.parent_type, path
                )
                if kind is DIRECT:
                    if call.is_async:
                        return self._direct_async(plan, field, source, info, args, path)
                    result = self._direct(call, source, info, args)
                else:
                    result = (call.resolve or self.field_resolver)(source, info, **args)
            if self.is_awaitable(result):
                return self._complete_awaitable(plan, field, info, path, result)
            if field.leaf_type is not None:
                return self._complete_leaf(field, result)
            completed = self._complete_value(plan, field, return_type, info, path, result)
            if self.is_awaitable(completed):

                async def await_completed() -> Any:
                    try:
                        return await completed
                    except Exception as raw_error:
                        self._field_error(raw_error, return_type, field, path)
                        return None

                return await_completed()
        except Exception as raw_error:
            self._field_error(raw_error, return_type, field, path)
            return None
        return completed

    def _direct(
        self, call: FieldCall, source: Any, raw_info: GraphQLResolveInfo, args: dict[str, Any]
    ) -> Any:
        """Strawberry's resolver wrapper and PermissionExtension.resolve, in one call."""
        info = call.config.info_class(_raw_info=raw_info, _field=call.field)
        field_args, kwargs = arguments(call, source, info, args)
        requested = "info" in kwargs
        if requested:
            kwargs.pop("info")
        if call.extension is not None:
            allowed, refused = check_sync(call, source, info, kwargs)
            if not allowed:
                return refused
        if requested:
            kwargs["info"] = info
        return call.func(*field_args, **kwargs)

    async def _direct_async(
        self,
        plan: Plan,
        field: FieldPlan,
        source: Any,
        raw_info: GraphQLResolveInfo,
        args: dict[str, Any],
        path: Path,
    ) -> Any:
        """Strawberry's async resolver wrapper, PermissionExtension.resolve_async and
        graphql-core's completion of an awaited value, in one coroutine."""
        call = field.call
        try:
            info = call.config.info_class(_raw_info=raw_info, _field=call.field)
            field_args, kwargs = arguments(call, source, info, args)
            requested = "info" in kwargs
            if requested:
                kwargs.pop("info")
            extension = call.extension
            refused = False
            resolved: Any = None
            if extension is not None:
                for permission in call.permissions:
                    allowed = permission.has_permission(source, info, **kwargs)
                    if inspect.isawaitable(allowed):
                        allowed = await allowed
                    if not isinstance(allowed, bool):
                        if inspect.iscoroutine(allowed):
                            allowed.close()
                        raise PermissionReturnedNonBooleanError(permission, allowed)
                    if not allowed:
                        resolved = extension._on_unauthorized(permission)
                        refused = True
                        break
            if not refused:
                if requested:
                    kwargs["info"] = info
                following = call.func(*field_args, **kwargs)
                if extension is not None and inspect.isasyncgen(following):
                    resolved = following
                elif inspect.isawaitable(following):
                    resolved = await following
                else:
                    resolved = following
            if field.leaf_type is not None:
                return self._complete_leaf(field, resolved)
            completed = self._complete_value(
                plan, field, field.return_type, raw_info, path, resolved
            )
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self._field_error(raw_error, field.return_type, field, path)
            completed = None
        return completed
