"""Value completion for the plans (schema/compiled/executor.py): graphql-core 3.3.2's
`complete_value` and what it calls (lists, leaves, abstract types, `is_type_of`, non-null
propagation, located errors), on a plan's fields instead of field groups collected anew."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    located_error,
)
from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable
from graphql.pyutils import inspect as inspect_value

from schema.compiled.plan import FieldPlan, Plan
from schema.live import PerEventExecutionContext


class Completion(PerEventExecutionContext):
    def _execute_fields(
        self,
        plan: Plan,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        fields: list[FieldPlan],
    ) -> Any:
        raise NotImplementedError  # pragma: no cover (CompiledExecutor's)

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
