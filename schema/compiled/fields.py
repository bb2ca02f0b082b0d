"""How a plan calls a field: what Strawberry's resolver wrapper would do, read from the
Strawberry field definition once instead of on every call.

Strawberry wraps each resolver (schema_converter.from_resolver): it builds an `Info`, converts
the arguments, chains the field extensions with `functools.partial` and awaits through
`await_maybe`, for every field of every object. For the two shapes nearly all our fields
have, a plan does the same steps directly:

- BASIC: no resolver and no extension, the attribute itself (Strawberry's default resolver);
- DIRECT: a resolver with at most one `PermissionExtension` (or a subclass that only changes
  what a silent refusal returns): its permission classes, in order, then the resolver, with
  the same arguments; async where Strawberry is async, so errors arrive in the same order.

Any other field (other extensions, exception handlers, federation's, introspection's) is
GENERIC: its graphql-core resolver, called as graphql-core calls it.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any, Final

import strawberry
from graphql import GraphQLField, GraphQLSchema
from strawberry.exceptions import (
    PermissionReturnedAwaitableInSyncContextError,
    PermissionReturnedNonBooleanError,
)
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField

from schema.loaded import LOADED, Loaded


class Kind(Enum):
    BASIC = "basic"
    # DIRECT, for a sync resolver that takes only `self`: no Info, no arguments, no checks.
    METHOD = "method"
    DIRECT = "direct"
    GENERIC = "generic"


class FieldCall:
    __slots__ = (
        "arguments",
        "config",
        "convert",
        "default_resolver",
        "extension",
        "field",
        "func",
        "info_name",
        "is_async",
        "kind",
        "loaded",
        "parent_name",
        "permissions",
        "python_name",
        "resolve",
        "root_name",
        "scalars",
        "self_and_info",
        "takes_self",
    )

    def __init__(self, kind: Kind, field_def: GraphQLField) -> None:
        self.kind = kind
        self.resolve = field_def.resolve
        self.field: StrawberryField | None = None
        self.func: Any = None
        self.is_async = False
        self.extension: PermissionExtension | None = None
        self.permissions: tuple[BasePermission, ...] = ()
        self.python_name = ""
        self.default_resolver: Any = None
        # Whether GraphQL arguments need Strawberry's conversion (inputs, enums, ids).
        self.convert = False
        self.takes_self = False
        # A resolver `(self, info)` and nothing else: called as func(source, info).
        self.self_and_info = False
        self.parent_name: str | None = None
        self.root_name: str | None = None
        self.info_name: str | None = None
        self.config: Any = None
        self.scalars: Any = None
        # Per argument: its GraphQL name, its Python name, and the Strawberry type its value
        # is converted to, None where the conversion gives the value as it is.
        self.arguments: list[tuple[str, str, Any]] = []
        # A resolver `(self, info)` declared by schema/loaded.py: its loader, key and value.
        self.loaded: Loaded | None = None


# Kept on the schema itself, so that a schema's calls go with it (tests build many).
_ATTRIBUTE: Final = "_quartier_field_calls"


def field_call(schema: GraphQLSchema, field_def: GraphQLField) -> FieldCall:
    """The call for `field_def`, built once per field of a schema."""
    calls: dict[int, tuple[GraphQLField, FieldCall]] | None = getattr(schema, _ATTRIBUTE, None)
    if calls is None:
        calls = {}
        setattr(schema, _ATTRIBUTE, calls)
    entry = calls.get(id(field_def))
    if entry is not None and entry[0] is field_def:
        return entry[1]
    call = _build(field_def, getattr(schema, "_strawberry_schema", None))
    calls[id(field_def)] = (field_def, call)
    return call


def _build(field_def: GraphQLField, strawberry_schema: Any) -> FieldCall:
    generic = FieldCall(Kind.GENERIC, field_def)
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolve = field_def.resolve
    if (
        strawberry_schema is None
        or not isinstance(field, StrawberryField)
        or resolve is None
        or not hasattr(resolve, "_is_default")
        or field.is_subscription
    ):
        return generic
    converter = strawberry_schema.schema_converter
    if converter._get_field_exception_handlers(field):
        return generic
    if field.is_basic_field:
        call = FieldCall(Kind.BASIC, field_def)
        call.field = field
        call.python_name = field.python_name
        call.default_resolver = field.default_resolver
        return call
    resolver = field.base_resolver
    if resolver is None:
        return generic
    extensions = [e for e in field.extensions if e.has_resolver]
    if len(extensions) > 1 or len(extensions) != len(field.extensions):
        return generic
    extension = extensions[0] if extensions else None
    if extension is not None and not _plain_permissions(extension):
        return generic
    assert extension is None or isinstance(extension, PermissionExtension)
    is_async = field.is_async
    if extension is not None and not is_async and not extension.supports_sync:
        # Strawberry runs these through its sync-to-async wrapper: leave it to it.
        return generic
    call = FieldCall(Kind.DIRECT, field_def)
    call.field = field
    call.func = resolver.wrapped_func
    call.is_async = is_async
    call.extension = extension
    call.permissions = tuple(extension.permissions) if extension else ()
    call.convert = bool(field.arguments)
    call.takes_self = resolver.self_parameter is not None
    call.parent_name = resolver.parent_parameter.name if resolver.parent_parameter else None
    call.root_name = resolver.root_parameter.name if resolver.root_parameter else None
    call.info_name = resolver.info_parameter.name if resolver.info_parameter else None
    call.config = strawberry_schema.config
    call.scalars = converter.scalar_registry
    call.arguments = [
        (
            call.config.name_converter.from_argument(argument),
            argument.python_name,
            None if _as_it_is(argument.type) else argument.type,
        )
        for argument in field.arguments
    ]
    call.self_and_info = (
        not call.convert
        and call.parent_name is None
        and call.root_name is None
        and resolver.self_parameter is not None
        and resolver.info_parameter is not None
        and [(p.name, p.kind) for p in inspect.signature(call.func).parameters.values()]
        == [
            (resolver.self_parameter.name, inspect.Parameter.POSITIONAL_OR_KEYWORD),
            (resolver.info_parameter.name, inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ]
    )
    if call.self_and_info:
        call.loaded = getattr(call.func, LOADED, None)
    if (
        not is_async
        and extension is None
        and not call.convert
        and call.takes_self
        and call.parent_name is None
        and call.root_name is None
        and call.info_name is None
    ):
        call.kind = Kind.METHOD
    return call


def _plain_permissions(extension: Any) -> bool:
    """Strawberry's PermissionExtension, or a subclass that changes `_on_unauthorized` only."""
    if not isinstance(extension, PermissionExtension):
        return False
    kind = type(extension)
    return all(
        getattr(kind, name) is getattr(PermissionExtension, name)
        for name in ("resolve", "resolve_async", "map_arguments", "apply")
    )


# Strawberry's scalars whose argument values convert_argument returns as they are.
_PLAIN: Final = (str, int, float, bool, strawberry.ID)


def _as_it_is(kind: Any) -> bool:
    """Whether convert_argument gives a value of this Strawberry type as it is: a built-in
    scalar, or an optional one (not Maybe, which wraps it)."""
    if isinstance(kind, StrawberryMaybe):
        return False
    if isinstance(kind, StrawberryOptional):
        kind = kind.of_type
    return any(kind is plain for plain in _PLAIN)


def arguments(
    call: FieldCall, source: Any, info: Any, kwargs: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Strawberry's get_arguments: its conversion (convert_arguments) read from the field
    once (names and types), and none for a field that takes no argument."""
    if call.convert or kwargs:
        assert call.field is not None  # a DIRECT call's
        converted: dict[str, Any] = {}
        for name, python_name, kind in call.arguments:
            if name in kwargs:
                value = kwargs[name]
                converted[python_name] = (
                    value
                    if kind is None
                    else convert_argument(
                        value=value,
                        type_=kind,
                        config=call.config,
                        scalar_registry=call.scalars,
                        info=info,
                        path=(name,),
                    )
                )
        for extension in call.field.extensions:
            converted = extension.map_arguments(converted)
        kwargs = converted
    else:
        kwargs = {}
    args = [source] if call.takes_self else []
    field_kwargs: dict[str, Any] = kwargs
    if call.parent_name is not None:
        field_kwargs[call.parent_name] = source
    if call.root_name is not None:
        field_kwargs[call.root_name] = source
    if call.info_name is not None:
        field_kwargs[call.info_name] = info
    return args, field_kwargs


def check_sync(call: FieldCall, source: Any, info: Any, kwargs: dict[str, Any]) -> tuple[bool, Any]:
    """PermissionExtension.resolve's checks: (allowed, what a refusal returns)."""
    extension = call.extension
    for permission in call.permissions:
        allowed = permission.has_permission(source, info, **kwargs)
        if inspect.isawaitable(allowed):
            if inspect.iscoroutine(allowed):
                allowed.close()
            raise PermissionReturnedAwaitableInSyncContextError(permission)
        if not isinstance(allowed, bool):
            raise PermissionReturnedNonBooleanError(permission, allowed)
        if not allowed:
            return False, extension._on_unauthorized(permission)  # type: ignore[union-attr]
    return True, None
