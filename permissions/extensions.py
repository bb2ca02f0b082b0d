"""The field extensions that put permission classes on a field, and the sentence that states
them in the field's description.

A permission class's `description` says who passes it. `requires(...)` and `content(...)`
build the extensions; `stated(...)` turns a field's extensions into one sentence, which the
schema appends to the field's description when it is built (schema/schemas.py), so the
printed SDL states each rule where the field is, from the very declaration that enforces it
(as Saleor's `PermissionsField` does). Nothing here runs when a field resolves but the
permission classes themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from strawberry.permission import BasePermission, PermissionExtension

from permissions.classes import IsAuthenticated, Permission

if TYPE_CHECKING:
    from strawberry.extensions.field_extension import FieldExtension


def _joined(permissions: list[BasePermission]) -> str:
    return "; and ".join(p.description for p in permissions if isinstance(p, Permission))


def _codes(permissions: list[BasePermission]) -> str:
    codes = dict.fromkeys(
        str(p.error_extensions["code"]) for p in permissions if p.error_extensions
    )
    return " or ".join(codes)


class Requires(PermissionExtension):
    """A field only some callers may use at all: the others get an error."""

    def __init__(self, permissions: list[BasePermission]) -> None:
        super().__init__(permissions=permissions, use_directives=False)

    def describe(self) -> str:
        rest = [p for p in self.permissions if not isinstance(p, IsAuthenticated)]
        who = _joined(rest) if rest else IsAuthenticated.description
        return f"Requires: {who}; anyone else gets an error ({_codes(self.permissions)})."


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
        """Once the schema is built (`apply` has told a list from a single value)."""
        if self.hidden is not None:
            empty = "an empty connection"
        elif self.return_empty_list:
            empty = "an empty list"
        else:
            empty = "null"
        return f"Visible to: {_joined(self.permissions)}; anyone else gets {empty}, no error."


def stated(extensions: Sequence[object]) -> str | None:
    """The sentence that states a field's permission classes, if it has any."""
    sentences = [e.describe() for e in extensions if isinstance(e, Requires | Hides)]
    return " ".join(sentences) or None


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
