"""Queries executed from their plan (schema/compiled/plan.py): graphql-core's algorithm, step
for step (the same completion, null propagation, error locations and order, the same gathers),
without what it redoes on every request (collecting fields, looking them up, coercing literal
arguments) and without Strawberry's per-field wrapper (schema/compiled/fields.py).

Mutations, subscriptions, operations with directives on selections, requests with resolver
middleware (tracing) and `QUARTIER_COMPILED=0` run on graphql-core itself.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable
from typing import Any, Final

from graphql import (
    GraphQLAbstractType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    located_error,
)
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable
from graphql.pyutils import inspect as inspect_value
from strawberry.exceptions import PermissionReturnedNonBooleanError

from schema.compiled.fields import FieldCall, Kind, arguments, check_sync
from schema.compiled.plan import PLANS, FieldPlan, Plan
from schema.live import PerEventExecutionContext

BASIC: Final = Kind.BASIC
METHOD: Final = Kind.METHOD
DIRECT: Final = Kind.DIRECT


def enabled() -> bool:
    """`QUARTIER_COMPILED=0` sends every operation through graphql-core (for diagnosis)."""
    return os.environ.get("QUARTIER_COMPILED", "1") != "0"


class CompiledExecutor(PerEventExecutionContext):
    """graphql-core's executor, which runs a query from its plan when it has one."""

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

    @staticmethod
    def _complete_leaf(field: FieldPlan, result: Any) -> Any:
        """_complete_value for a scalar or enum (maybe non-null), without its dispatch."""
        if field.text and type(result) is str:
            return result
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            completed = None
        else:
            leaf_type = field.leaf_type
            completed = leaf_type.coerce_output_value(result)  # type: ignore[union-attr]
            if completed is Undefined or completed is None:
                msg = (
                    f"Expected `{inspect_value(leaf_type)}.coerce_output_value("
                    f"{inspect_value(result)})` to return non-nullable value, returned:"
                    f" {inspect_value(completed)}"
                )
                raise TypeError(msg)
        if completed is None and field.non_null:
            msg = (
                f"Cannot return null for non-nullable field {field.parent_type}.{field.field_name}."
            )
            raise TypeError(msg)
        return completed

    def _field_error(
        self, raw_error: Exception, return_type: GraphQLOutputType, field: FieldPlan, path: Path
    ) -> None:
        error = located_error(raw_error, list(field.nodes), path.as_list())
        if isinstance(return_type, GraphQLNonNull):
            raise error
        self.collected_errors.add(error, path)

    # --- completion (Executor.complete_value and what it calls) --------------------------

    async def _complete_awaitable(
        self,
        plan: Plan,
        field: FieldPlan,
        info: GraphQLResolveInfo | None,
        path: Path,
        result: Awaitable[Any],
    ) -> Any:
        return_type = field.return_type
        try:
            resolved = await result
            if field.leaf_type is not None:
                return self._complete_leaf(field, resolved)
            completed = self._complete_value(plan, field, return_type, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self._field_error(raw_error, return_type, field, path)
            completed = None
        return completed

    def _complete_value(
        self,
        plan: Plan,
        field: FieldPlan,
        return_type: GraphQLOutputType,
        info: GraphQLResolveInfo | None,
        path: Path,
        result: Any,
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        if isinstance(return_type, GraphQLNonNull):
            completed = self._complete_value(plan, field, return_type.of_type, info, path, result)
            if completed is None:
                msg = (
                    "Cannot return null for non-nullable field"
                    f" {field.parent_type}.{field.field_name}."
                )
                raise TypeError(msg)
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(return_type, GraphQLList):
            return self._complete_list(plan, field, return_type, info, path, result)
        if is_leaf_type(return_type):
            return self.complete_leaf_value(return_type, result)
        assert info is not None
        if is_abstract_type(return_type):
            return self._complete_abstract(plan, field, return_type, info, path, result)
        if is_object_type(return_type):
            return self._complete_object(plan, field, return_type, info, path, result)
        msg = f"Cannot complete value of unexpected output type: '{inspect_value(return_type)}'."
        raise TypeError(msg)  # pragma: no cover

    def _complete_list(
        self,
        plan: Plan,
        field: FieldPlan,
        return_type: GraphQLList[Any],
        info: GraphQLResolveInfo | None,
        path: Path,
        result: Any,
    ) -> Any:
        if self.is_async_iterable(result):
            # Not ours; graphql-core completes it the way it does.
            raw = info or self.build_resolve_info(
                field.field_def, field.nodes, field.parent_type, path
            )
            return self.complete_list_value(return_type, field.group, raw, path, result, None)
        if not is_iterable(result):
            msg = (
                "Expected Iterable, but did not find one for field"
                f" '{field.parent_type}.{field.field_name}'."
            )
            raise GraphQLError(msg)
        item_type = return_type.of_type
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        iterator = iter(result)
        index = 0
        try:
            for item in iterator:
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    append(
                        self._complete_awaitable_item(plan, field, item_type, info, item_path, item)
                    )
                    awaitable_indices.append(index)
                else:
                    try:
                        completed = self._complete_value(
                            plan, field, item_type, info, item_path, item
                        )
                        if is_awaitable(completed):
                            append(self._await_item(field, item_type, item_path, completed))
                            awaitable_indices.append(index)
                        else:
                            append(completed)
                    except Exception as raw_error:
                        self._field_error(raw_error, item_type, field, item_path)
                        append(None)
                index += 1
        except Exception:
            pending = [completed_results[i] for i in awaitable_indices]
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed_results[index] = await completed_results[index]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[i] for i in awaitable_indices)
                )
                for i, value in zip(awaitable_indices, awaited, strict=True):
                    completed_results[i] = value
            return completed_results

        return get_completed_results()

    async def _await_item(
        self, field: FieldPlan, item_type: GraphQLOutputType, item_path: Path, completed: Any
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self._field_error(raw_error, item_type, field, item_path)
            return None

    async def _complete_awaitable_item(
        self,
        plan: Plan,
        field: FieldPlan,
        item_type: GraphQLOutputType,
        info: GraphQLResolveInfo | None,
        item_path: Path,
        item: Any,
    ) -> Any:
        try:
            resolved = await item
            completed = self._complete_value(plan, field, item_type, info, item_path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self._field_error(raw_error, item_type, field, item_path)
            return None
        return completed

    def _complete_abstract(
        self,
        plan: Plan,
        field: FieldPlan,
        return_type: GraphQLAbstractType,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
    ) -> Any:
        resolve_type = return_type.resolve_type or self.type_resolver
        runtime_type = resolve_type(result, info, return_type)
        if self.is_awaitable(runtime_type):

            async def await_complete_object_value() -> Any:
                value = self._complete_object(
                    plan,
                    field,
                    self.ensure_valid_runtime_type(
                        await runtime_type, return_type, field.group, info, result
                    ),
                    info,
                    path,
                    result,
                )
                if self.is_awaitable(value):
                    return await value
                return value  # pragma: no cover

            return await_complete_object_value()
        return self._complete_object(
            plan,
            field,
            self.ensure_valid_runtime_type(runtime_type, return_type, field.group, info, result),
            info,
            path,
            result,
        )

    def _complete_object(
        self,
        plan: Plan,
        field: FieldPlan,
        return_type: GraphQLObjectType,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
    ) -> Any:
        if return_type.is_type_of:
            is_type_of = return_type.is_type_of(result, info)
            if self.is_awaitable(is_type_of):

                async def execute_subfields_async() -> dict[str, Any]:
                    if not await is_type_of:
                        raise invalid_return_type_error(return_type, result, field.group)
                    sub_fields = self._execute_fields(
                        plan,
                        return_type,
                        result,
                        path,
                        plan.sub_fields(self, return_type, field.group),
                    )
                    if self.is_awaitable(sub_fields):
                        return await sub_fields
                    return sub_fields  # pragma: no cover

                return execute_subfields_async()
            if not is_type_of:
                raise invalid_return_type_error(return_type, result, field.group)
        return self._execute_fields(
            plan, return_type, result, path, plan.sub_fields(self, return_type, field.group)
        )


def leaf(return_type: GraphQLOutputType) -> bool:
    return is_leaf_type(get_named_type(return_type))
