"""Strawberry's extension runner, with what it worked out on every request worked out once.

For each stage of an operation (operation, parsing, validation, execution) Strawberry's
runner asks each extension of the request whether its class overrides the stage's hook and
what kind of function the hook is (`inspect`), then wraps the bound hook in a new
`contextlib` decorator (`functools.wraps` included): 4 stages by 3 or 4 extensions on every
request, though the answer depends only on the extensions' classes. Here it is found once per
stage and set of classes, and a stage that no extension hooks (execution, as the schema
stands) enters no exit stack. The hooks run as Strawberry runs them: the same context managers
(the hook's generator under `contextlib.contextmanager`, called with the extension), in the
same exit stack, in the same order, with the same exceptions. A plain function hook
(RequestChecks' parsing and validation) is Strawberry's `func(extension); yield`: a stage
whose hooks are all plain functions calls them on entry, in order, and has nothing to do on
exit (an exception from the stage's body passes such a hook unchanged), so it builds no
context manager and no exit stack. A hook of any other kind (a coroutine function) goes
through Strawberry's own lookup. Extensions that keep Strawberry's empty `get_results` are
not asked for results.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.utils.await_maybe import await_maybe

if TYPE_CHECKING:
    from strawberry.types import ExecutionContext

# A hook's context manager factory (called with the extension), whether it is async, and the
# hook itself when it is a plain function (None for a generator).
Factory = tuple[Callable[..., Any], bool, Callable[..., Any] | None]


class _Plan:
    """A stage's hooks for one tuple of extension classes: each hooking extension's index
    and Factory, and when all of them are plain functions, each one with its index."""

    __slots__ = ("calls", "hooks")

    def __init__(self, hooks: list[tuple[int, Factory]]) -> None:
        self.hooks = hooks
        plain = [(function, index) for index, (_, _, function) in hooks]
        self.calls: list[tuple[Callable[..., Any], int]] | None = None
        if all(function is not None for function, _ in plain):
            self.calls = plain  # type: ignore[assignment]


def _plain(extension: SchemaExtension, hook: Callable[..., Any]) -> Iterator[None]:
    # Strawberry's `from_callable` for a plain function hook.
    hook(extension)
    yield


def _factory(cls: type, name: str) -> Factory | bool | None:
    """What Strawberry's `get_hook` decides for `cls`: None for no hook, False for a hook
    that it builds another way."""
    hook = getattr(cls, name)
    if hook is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False, None
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True, None
    if inspect.isfunction(hook) and not inspect.iscoroutinefunction(hook):
        plain = contextlib.contextmanager(_plain)
        return (lambda extension: plain(extension, hook)), False, hook
    return False


def _plan(name: str, classes: tuple[type, ...]) -> _Plan | None:
    hooks = []
    for index, cls in enumerate(classes):
        found = _factory(cls, name)
        if found is False:
            return None
        if found is not None:
            assert not isinstance(found, bool)
            hooks.append((index, found))
    return _Plan(hooks)


class _Stage(ExtensionContextManagerBase):
    """A stage's hooks, looked up once per set of extension classes; no exit stack when
    there are none, or when all are plain functions (`calls`)."""

    __slots__ = ("calls", "extensions")

    def __init__(self, extensions: list[SchemaExtension], plan: _Plan | None) -> None:
        name = self.HOOK_NAME
        self.calls: list[tuple[Callable[..., Any], int]] | None = None
        if plan is None:
            super().__init__(extensions)
            return
        self.default_hook = getattr(SchemaExtension, name)
        if plan.calls is not None:
            # Entering calls them; the exit stack would only step through their yields.
            self.calls = plan.calls
            self.extensions = extensions
            self.hooks = []
            return
        # As Strawberry's contextmanager(MethodType(hook, extension)): the hook's generator
        # with the extension as `self`.
        self.hooks = [
            WrappedHook(
                extension=extensions[index],
                hook=functools.partial(manager, extensions[index]),
                is_async=is_async,
            )
            for index, (manager, is_async, _) in plan.hooks
        ]

    def _call(self) -> None:
        assert self.calls is not None
        extensions = self.extensions
        for hook, index in self.calls:
            hook(extensions[index])

    def __enter__(self) -> None:
        if self.calls is not None:
            self._call()
        elif self.hooks:
            super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self.hooks:
            super().__exit__(exc_type, exc_val, exc_tb)

    async def __aenter__(self) -> None:
        if self.calls is not None:
            self._call()
        elif self.hooks:
            await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self.hooks:
            await super().__aexit__(exc_type, exc_val, exc_tb)


class _Operation(_Stage, OperationContextManager):
    __slots__ = ()


class _Parsing(_Stage, ParsingContextManager):
    __slots__ = ()


class _Validation(_Stage, ValidationContextManager):
    __slots__ = ()


class _Executing(_Stage, ExecutingContextManager):
    __slots__ = ()


def _plans(classes: tuple[type, ...]) -> dict[str, Planned]:
    """Each stage's _Plan for these extension classes, by hook name, and for a stage that no
    extension hooks, the one stage object every request shares (it holds nothing of one)."""
    planned: dict[str, Planned] = {}
    for stage in (_Operation, _Validation, _Parsing, _Executing):
        plan = _plan(stage.HOOK_NAME, classes)
        idle = stage([], plan) if plan is not None and not plan.hooks else None
        planned[stage.HOOK_NAME] = (plan, idle)
    return planned


# A stage's _Plan, None when one of the extensions has a hook of another kind (a coroutine
# function), left to Strawberry's lookup; and its shared object when nothing hooks it.
Planned = tuple[_Plan | None, Any]
# The extensions' classes -> each stage's Planned, by hook name.
_PLANS: Final[dict[tuple[type, ...], dict[str, Planned]]] = {}


class ExtensionsRunner(SchemaExtensionsRunner):
    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        classes = tuple(map(type, self.extensions))
        plans = _PLANS.get(classes)
        if plans is None:
            plans = _PLANS[classes] = _plans(classes)
        self.plans = plans

    def _stage(self, stage: type[_Stage]) -> Any:
        """The stage for this request: the shared one when nothing hooks it."""
        plan, idle = self.plans[stage.HOOK_NAME]
        return idle or stage(self.extensions, plan)

    def operation(self) -> OperationContextManager:
        return self._stage(_Operation)

    def validation(self) -> ValidationContextManager:
        return self._stage(_Validation)

    def parsing(self) -> ParsingContextManager:
        return self._stage(_Parsing)

    def executing(self) -> ExecutingContextManager:
        return self._stage(_Executing)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        # Strawberry's, less the extensions whose `get_results` is the base class's `{}`.
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if type(extension).get_results is not SchemaExtension.get_results:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
