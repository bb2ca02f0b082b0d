"""schema/extension_runner.py runs the extensions' hooks as Strawberry's runner does: the same
hooks, in the same order, with the same exceptions, whatever kind of function each is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from schema.extension_runner import ExtensionsRunner
from schema.schemas import NO_MIDDLEWARE, build_schema


class Boom(Exception):
    pass


def extensions(events: list[str], fail: str | None) -> list[SchemaExtension]:
    class Outer(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            events.append("outer operation in")
            try:
                yield
            except Boom:
                events.append("outer operation saw boom")
                raise
            events.append("outer operation out")

        def on_parse(self) -> Iterator[None]:
            events.append("outer parse in")
            if fail == "outer parse":
                raise Boom
            yield
            events.append("outer parse out")

    class Middle(SchemaExtension):
        async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
            events.append("middle validate in")
            yield
            events.append("middle validate out")

        def on_execute(self) -> None:  # type: ignore[override]
            events.append("middle execute (a plain function)")
            if fail == "plain execute":
                raise Boom

    class Inner(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            events.append("inner operation in")
            yield
            events.append("inner operation out")

        def on_parse(self) -> None:  # type: ignore[override]
            events.append("inner parse (a plain function)")

        def on_validate(self) -> Iterator[None]:
            events.append("inner validate in")
            yield
            if fail == "inner validate":
                raise Boom
            events.append("inner validate out")

    return [Outer(), Middle(), Inner()]


async def run(runner: type[SchemaExtensionsRunner], fail: str | None) -> list[str]:
    events: list[str] = []
    hooked = runner(execution_context=None, extensions=extensions(events, fail))  # type: ignore[arg-type]
    try:
        async with hooked.operation():
            async with hooked.parsing():
                events.append("parsing")
            async with hooked.validation():
                events.append("validating")
            async with hooked.executing():
                events.append("executing")
                if fail == "execute":
                    raise Boom
    except Boom:
        events.append("raised")
    return events


@pytest.mark.parametrize(
    "fail", [None, "outer parse", "inner validate", "execute", "plain execute"]
)
async def test_the_hooks_run_as_strawberry_runs_them(fail: Any) -> None:
    ours = await run(ExtensionsRunner, fail)
    # Twice: the second run reads what the first looked up.
    assert ours == await run(ExtensionsRunner, fail) == await run(SchemaExtensionsRunner, fail)
    assert "outer operation in" in ours
    assert ("raised" in ours) == (fail is not None)


async def test_a_stage_no_extension_hooks_runs_its_body_and_lets_errors_through() -> None:
    class Quiet(SchemaExtension):
        pass

    hooked = ExtensionsRunner(execution_context=None, extensions=[Quiet()])  # type: ignore[arg-type]
    stage = hooked.executing()
    assert stage.hooks == []
    with pytest.raises(Boom):
        async with stage:
            raise Boom


async def test_a_stage_of_plain_functions_calls_them_without_a_context_manager() -> None:
    events: list[str] = []
    hooked = ExtensionsRunner(execution_context=None, extensions=extensions(events, None))  # type: ignore[arg-type]
    stage = hooked.executing()
    assert stage.hooks == []
    async with stage:
        events.append("executing")
    assert events == ["middle execute (a plain function)", "executing"]


def test_resolver_middleware_is_made_per_request_only_when_an_extension_resolves() -> None:
    class Resolving(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            return _next(root, info, *args, **kwargs)

    plain = build_schema(production=False)
    resolving = build_schema(production=False, observers=[Resolving])

    assert plain._get_middleware_manager(plain.get_extensions()) is NO_MIDDLEWARE
    assert NO_MIDDLEWARE.middlewares == ()
    extensions = resolving.get_extensions()
    manager = resolving._get_middleware_manager(extensions)
    assert manager is not NO_MIDDLEWARE
    assert list(manager.middlewares) == [extensions[0]]
