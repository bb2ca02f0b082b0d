"""The field extensions that put permission classes on a field, and say so in its description.

A permission class's `description` says who passes it. `requires(...)` and `content(...)`
append one sentence built from those descriptions to the field's own description when the
schema is built, so the printed SDL states each rule where the field is, from the very
declaration that enforces it (as Saleor's `PermissionsField` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strawberry.permission import BasePermission, PermissionExtension

from permissions.classes import IsAuthenticated, Permission

if TYPE_CHECKING:
    from strawberry.extensions.field_extension import FieldExtension
    from strawberry.types.field import StrawberryField


def _joined(permissions: list[BasePermission]) -> str:
    return "; and ".join(p.description for p in permissions if isinstance(p, Permission))


def _codes(permissions: list[BasePermission]) -> str:
    codes = dict.fromkeys(
        str(p.error_extensions["code"]) for p in permissions if p.error_extensions
    )
    return " or ".join(codes)


def _append(field: StrawberryField, sentence: str) -> None:
    """Idempotent: a field shared by the monolith and the subgraphs is applied once per schema."""
    text = field.description or ""
    if sentence not in text:
        field.description = f"{text} {sentence}".strip()


class Requires(PermissionExtension):
    """A field only some callers may use at all: the others get an error."""

    def __init__(self, permissions: list[BasePermission]) -> None:
        super().__init__(permissions=permissions, use_directives=False)

    def describe(self) -> str:
        rest = [p for p in self.permissions if not isinstance(p, IsAuthenticated)]
        who = _joined(rest) if rest else IsAuthenticated.description
        return f"Requires: {who}; anyone else gets an error ({_codes(self.permissions)})."

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        _append(field, self.describe())


class Hides(PermissionExtension):
    """A content field: the callers who may not read it get null, an empty list or what
    `hidden` makes (an empty connection, where the contract promises one), without an error."""

    def __init__(
        self, permissions: list[BasePermission], hidden: Callable[[], Any] | None = None
    ) -> None:
        super().__init__(permissions=permissions, fail_silently=True, use_directives=False)
        self.hidden = hidden

    def _on_unauthorized(self, permission: BasePermission) -> Any:
        return self.hidden() if self.hidden is not None else super()._on_unauthorized(permission)

    def describe(self) -> str:
        if self.hidden is not None:
            empty = "an empty connection"
        elif self.return_empty_list:
            empty = "an empty list"
        else:
            empty = "null"
        return f"Visible to: {_joined(self.permissions)}; anyone else gets {empty}, no error."

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        _append(field, self.describe())


def requires(*permissions: type[Permission]) -> list[FieldExtension]:
    """Extensions for a field only some callers may use at all: IsAuthenticated first, so a
    caller without an account gets UNAUTHENTICATED and one without the role FORBIDDEN."""
    checks: list[BasePermission] = [
        IsAuthenticated(),
        *(p() for p in permissions if p is not IsAuthenticated),
    ]
    return [Requires(checks)]


def content(
    *permissions: type[Permission], hidden: Callable[[], Any] | None = None
) -> list[FieldExtension]:
    """Extensions for a content field: hidden without an error (see `Hides`)."""
    return [Hides([p() for p in permissions], hidden)]
